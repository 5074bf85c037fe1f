import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { LuaScript } from '../lua.js';

const { RELEASE, RENEW } = LuaScript.beside(import.meta.url, {
  RELEASE: 'sweep-lock-release-1',
  RENEW: 'sweep-lock-renew-1',
});

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
        RENEW.run(this.redis, [this.key], [token, this.ttlMs]).catch(() => undefined);
      },
      Math.max(10, Math.floor(this.ttlMs / 3)),
    );
    renew.unref();
    try {
      return await work();
    } finally {
      clearInterval(renew);
      await RELEASE.run(this.redis, [this.key], [token]).catch(() => undefined);
    }
  }
}
