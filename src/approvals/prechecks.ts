import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { Keys } from '../keys.js';
import { LuaScript } from '../lua.js';

// Bulk pre-checks in flight per requester: one lease each, in Redis (shared by every replica), each
// with a deadline so a process that dies mid-check frees its slot once the lease runs out.

/** How long a pre-check's lease outlives its last renewal (renewed every third of it while running). */
export const PRECHECK_LEASE_MS = 60_000;

export interface PrecheckLimitsOptions {
  redis: Redis;
  prefix: string;
  /** Pre-checks one requester may have running at once. */
  max: number;
  /** A lease not renewed for this long is gone (the process holding it died). */
  leaseMs: number;
}

export interface PrecheckLease {
  /** Keeps the lease while the check runs; false once it is gone. */
  renew(): Promise<boolean>;
  release(): Promise<void>;
}

export type AcquireResult = { ok: true; lease: PrecheckLease } | { ok: false; inFlight: number; max: number };

const { ACQUIRE, RENEW } = LuaScript.beside(import.meta.url, {
  ACQUIRE: 'precheck-acquire-1',
  RENEW: 'precheck-renew-1',
});
const acquireReply = z.tuple([z.number(), z.number()]);

export class PrecheckLimits {
  constructor(private readonly options: PrecheckLimitsOptions) {}

  get max(): number {
    return this.options.max;
  }

  /** A slot for one pre-check of `requesterId`, or how many are running already. */
  async acquire(requesterId: string): Promise<AcquireResult> {
    const { redis, max, leaseMs } = this.options;
    const key = this.key(requesterId);
    const id = randomBytes(9).toString('hex');
    const [granted, count] = acquireReply.parse(await ACQUIRE.run(redis, [key], [id, leaseMs, max]));
    if (granted !== 1) return { ok: false, inFlight: Number(count), max };
    return {
      ok: true,
      lease: {
        renew: async () => (await RENEW.run(redis, [key], [id, leaseMs])) === 1,
        release: async () => void (await redis.zrem(key, id)),
      },
    };
  }

  /** Runs `work` under a lease renewed every third of its length; the lease goes when `work` settles. */
  async run<T>(requesterId: string, work: () => Promise<T>): Promise<{ ok: true; value: T } | Refused> {
    const acquired = await this.acquire(requesterId);
    if (!acquired.ok) return acquired;
    const { lease } = acquired;
    const timer = setInterval(() => void lease.renew().catch(() => undefined), this.options.leaseMs / 3);
    timer.unref();
    try {
      return { ok: true, value: await work() };
    } finally {
      clearInterval(timer);
      await lease.release().catch(() => undefined);
    }
  }

  private key(requesterId: string): string {
    return new Keys(this.options.prefix).prechecks(requesterId);
  }
}

type Refused = Extract<AcquireResult, { ok: false }>;
