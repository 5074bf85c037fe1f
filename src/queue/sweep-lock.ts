import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';

// Deletes the lock only while it is still ours.
const RELEASE = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

/**
 * One sweep at a time across every replica: BullMQ schedules the next run when one starts, so a run
 * longer than the interval would otherwise overlap the next. The lock expires if its holder dies.
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
    try {
      return await work();
    } finally {
      await this.redis.eval(RELEASE, 1, this.key, token).catch(() => undefined);
    }
  }
}
