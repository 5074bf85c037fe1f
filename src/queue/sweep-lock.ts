import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';

// Deletes or extends the lock only while it is still ours.
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;
const RENEW = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`;

/**
 * One sweep at a time across every replica: BullMQ schedules the next run when one starts, so a run
 * longer than the interval would otherwise overlap the next. Held for as long as the run lasts;
 * it expires `ttlMs` after its holder dies.
 */
export class SweepLock {
  constructor(
    private readonly redis: Redis,
    private readonly key: string,
    private readonly ttlMs: number,
  ) {}

  /** Runs `work` holding the lock; undefined (nothing run) when another sweep holds it. */
  async holding<T>(work: () => Promise<T>): Promise<T | undefined> {
    const token = randomBytes(12).toString('hex');
    if ((await this.redis.set(this.key, token, 'PX', this.ttlMs, 'NX')) !== 'OK') return undefined;
    const renew = setInterval(
      () => {
        this.redis.eval(RENEW, 1, this.key, token, this.ttlMs).catch(() => undefined);
      },
      Math.max(10, Math.floor(this.ttlMs / 3)),
    );
    renew.unref();
    try {
      return await work();
    } finally {
      clearInterval(renew);
      await this.redis.eval(RELEASE, 1, this.key, token).catch(() => undefined);
    }
  }
}
