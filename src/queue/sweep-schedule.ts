import { type ConnectionOptions, Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { withLogContext } from '../logger.js';
import { SWEEP_QUEUE_NAME } from './registry.js';
import { SweepLock } from './sweep-lock.js';
import { type SweepDeps, type SweepOptions, sweep } from './sweeper.js';
import { FETCH_RETRY_MS } from './worker.js';

export interface SweeperOptions extends SweepOptions {
  connection: ConnectionOptions;
  /** BullMQ's key prefix. */
  prefix: string;
  /** The lock's Redis and key. */
  redis: Redis;
  lockKey: string;
  intervalMs: number;
  lockMs: number;
}

export interface Sweeper {
  close(): Promise<void>;
}

/**
 * A BullMQ job scheduler runs the sweep every `intervalMs` on whichever worker takes it (every replica
 * upserts the same scheduler: one job per tick); the lock keeps two runs from overlapping.
 */
export async function startSweeper(deps: SweepDeps, options: SweeperOptions): Promise<Sweeper> {
  const queue = new Queue(SWEEP_QUEUE_NAME, { connection: options.connection, prefix: options.prefix });
  // Unheard, BullMQ prints its connection's errors (Redis away, a failover) to stderr.
  queue.on('error', (err) =>
    deps.logger.warn({ err: { name: err.name, message: err.message } }, 'sweeper queue error'),
  );
  try {
    await queue.upsertJobScheduler(
      'sweep',
      { every: options.intervalMs },
      { name: 'sweep', data: {}, opts: { removeOnComplete: true, removeOnFail: { count: 100 } } },
    );
  } catch (err) {
    await queue.close();
    throw err;
  }
  const lock = new SweepLock(options.redis, options.lockKey, Math.max(60_000, 2 * options.intervalMs));
  const worker = new Worker(
    SWEEP_QUEUE_NAME,
    () =>
      withLogContext('job', {}, async () => {
        const report = await lock.holding(() => sweep(deps, options));
        const fixed = report ? Object.entries(report).filter(([, ids]) => ids.length > 0) : [];
        if (fixed.length > 0)
          deps.logger.info(Object.fromEntries(fixed), 'sweep: completed what was left undone');
      }),
    {
      connection: options.connection,
      prefix: options.prefix,
      concurrency: 1,
      lockDuration: options.lockMs,
      stalledInterval: options.lockMs,
      runRetryDelay: FETCH_RETRY_MS,
    },
  );
  worker.on('error', (err) =>
    deps.logger.error({ err: { name: err.name, message: err.message } }, 'sweeper error'),
  );
  worker.on('failed', (_job, err) =>
    deps.logger.warn({ err: { name: err.name, message: err.message } }, 'sweep failed; the next one retries'),
  );
  return {
    async close() {
      await worker.close();
      await queue.close();
    },
  };
}
