import type { Redis } from 'ioredis';
import type { Logger } from './logger.js';

/** The moments a user is told something Redis must not forget if its primary dies right after. */
export type DurableMoment = 'request-created' | 'quorum-reached' | 'change-attempted';

export interface ReplicationOptions {
  /** REDIS_WAIT_REPLICAS: a number, or `auto` (1 while the primary reports a connected replica, else none). */
  replicas: 'auto' | number;
  /** REDIS_WAIT_MS: the longest a WAIT may hold the caller. */
  timeoutMs: number;
  /** Any key of the deployment's slot: routes a Cluster's WAIT to the primary that took the write. */
  slotKey: string;
  logger: Logger;
  /** Called when fewer replicas than wanted acknowledged in time (a metric). */
  onShort?: (moment: DurableMoment) => void;
  now?: () => number;
}

/** What a short WAIT leaves unconfirmed, as the log says it. */
const WRITTEN: Record<DurableMoment, string> = {
  'request-created': 'the new request',
  'quorum-reached': 'the reached quorum',
  'change-attempted': 'the record of a change about to be sent',
};

/** How long `auto` trusts what INFO said about connected replicas. */
const REPLICAS_CACHED_MS = 5000;

/**
 * Redis replication acknowledgement (WAIT) at the moments that matter. Writes on `redis` before
 * `confirm` are on a replica when it returns `acked >= wanted`; otherwise the app goes on (a dead
 * replica must not stop every approval), logs a warning and counts it. WAIT is sent on the same
 * connection as the writes: a single instance's or Sentinel's primary, or, in a pipeline with a key
 * of the deployment's slot, the Cluster node that holds it.
 */
export class Replication {
  private known: { replicas: number; at: number } | undefined;
  private unsupported = false;

  constructor(
    private readonly redis: Redis,
    private readonly options: ReplicationOptions,
  ) {}

  async confirm(
    moment: DurableMoment,
    context: Record<string, unknown> = {},
  ): Promise<{ wanted: number; acked: number }> {
    const wanted = await this.wanted();
    if (wanted === 0 || this.unsupported) return { wanted: 0, acked: 0 };
    const { slotKey, timeoutMs, logger } = this.options;
    let acked = 0;
    try {
      const replies = await this.redis.pipeline().exists(slotKey).wait(wanted, timeoutMs).exec();
      const [err, value] = replies?.[1] ?? [new Error('no reply')];
      if (err) throw err;
      acked = Number(value);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      // ElastiCache / Memorystore: "unknown command", "not allowed", Memorystore Cluster: "NOPERM".
      if (/unknown command|not allowed|^NOPERM/i.test(message)) {
        // A managed Redis that refuses WAIT: said once, then not asked again.
        this.unsupported = true;
        logger.warn({ reason: message }, 'Redis refuses WAIT: writes are not confirmed on a replica');
        return { wanted: 0, acked: 0 };
      }
      throw err;
    }
    if (acked < wanted) {
      this.options.onShort?.(moment);
      logger.warn(
        { ...context, moment, wanted, acked, waitMs: timeoutMs },
        `Redis: ${WRITTEN[moment]} is not confirmed on a replica (${acked} of ${wanted} acknowledged within ${timeoutMs} ms); going on, but if the primary fails now it may be lost`,
      );
    }
    return { wanted, acked };
  }

  private async wanted(): Promise<number> {
    const { replicas, slotKey } = this.options;
    if (replicas !== 'auto') return replicas;
    const now = (this.options.now ?? Date.now)();
    if (this.known && now - this.known.at < REPLICAS_CACHED_MS) return this.known.replicas;
    const replies = await this.redis.pipeline().exists(slotKey).info('replication').exec();
    const info = String(replies?.[1]?.[1] ?? '');
    const connected = Number(/^connected_slaves:(\d+)/m.exec(info)?.[1] ?? 0);
    this.known = { replicas: Math.min(connected, 1), at: now };
    return this.known.replicas;
  }
}
