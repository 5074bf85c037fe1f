import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';

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

// KEYS[1] the requester's leases (member → deadline, Redis's clock). ARGV: lease id, lease ms, max.
const ACQUIRE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local count = redis.call('ZCARD', KEYS[1])
if count >= tonumber(ARGV[3]) then return {0, count} end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return {1, count + 1}
`;

// Same keys and arguments: moves the deadline on, only while the lease is still there.
const RENEW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local deadline = redis.call('ZSCORE', KEYS[1], ARGV[1])
if not deadline or tonumber(deadline) <= now then
  redis.call('ZREM', KEYS[1], ARGV[1])
  return 0
end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[2]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 1
`;

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
    const [granted, count] = (await redis.eval(ACQUIRE, 1, key, id, leaseMs, max)) as [number, number];
    if (granted !== 1) return { ok: false, inFlight: Number(count), max };
    return {
      ok: true,
      lease: {
        renew: async () => (await redis.eval(RENEW, 1, key, id, leaseMs, max)) === 1,
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
    return `${this.options.prefix}requester:${requesterId}:prechecks`;
  }
}

type Refused = Extract<AcquireResult, { ok: false }>;
