import type { Redis } from 'ioredis';
import { Keys } from '../../../keys.js';

export interface HomeViewersOptions {
  redis: Redis;
  /** Every key starts with it, e.g. 'cipher-user:'. */
  prefix: string;
  /** Someone who has not opened the Home for this long is no longer refreshed. */
  retentionMs?: number;
  /** Viewers remembered at most (the latest). */
  max?: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const SLACK_USER_ID = /^[UW][A-Z0-9]{2,30}$/;

/**
 * Who has opened the App Home (`home:viewers`, user id → when, bounded, expiring), and the order of Home
 * publishes: each publish takes a generation (`home:generation`) before it reads the requests, and only
 * publishes if no later generation was published for that user (`home:published`), so an older Home never
 * replaces a newer one, whichever process or request sent it.
 */
export class HomeViewers {
  private readonly redis: Redis;
  private readonly keys: Keys;
  private readonly retentionMs: number;
  private readonly max: number;

  constructor(options: HomeViewersOptions) {
    this.redis = options.redis;
    this.keys = new Keys(options.prefix);
    this.retentionMs = options.retentionMs ?? 30 * DAY_MS;
    this.max = options.max ?? 1000;
  }

  /** Remembers that `userId` opened the Home at `now`. */
  async opened(userId: string, now: number): Promise<void> {
    if (!SLACK_USER_ID.test(userId)) return;
    const results = await this.redis
      .multi()
      .zadd(this.viewersKey, now, userId)
      .zremrangebyscore(this.viewersKey, '-inf', `(${now - this.retentionMs}`)
      .zremrangebyrank(this.viewersKey, 0, -(this.max + 1))
      .pexpire(this.viewersKey, this.retentionMs)
      .exec();
    const failed = results?.find(([err]) => err);
    if (failed?.[0]) throw failed[0];
  }

  /** Who opened the Home within the retention, the latest first, at most `limit`. */
  async recent(limit: number, now: number): Promise<string[]> {
    return this.redis.zrevrangebyscore(this.viewersKey, '+inf', now - this.retentionMs, 'LIMIT', 0, limit);
  }

  /** Whether `userId` opened the Home within the retention. */
  async has(userId: string, now: number): Promise<boolean> {
    const score = await this.redis.zscore(this.viewersKey, userId);
    return score !== null && Number(score) >= now - this.retentionMs;
  }

  /** A number larger than any handed out before, across processes: a publish's place in line. */
  async nextGeneration(): Promise<number> {
    // The publish-order set is bounded and kept alive here, once per publish round, not once per claim.
    const results = await this.redis
      .pipeline()
      .incr(this.generationKey)
      .zremrangebyrank(this.publishedKey, 0, -(this.max + 1))
      .pexpire(this.publishedKey, this.retentionMs)
      .exec();
    const failed = results?.find(([err]) => err);
    if (failed?.[0]) throw failed[0];
    return Number(results?.[0]?.[1]);
  }

  /** Claims the next publish to `userId` for `generation`; false when a later one was claimed already. */
  async claim(userId: string, generation: number): Promise<boolean> {
    // Bounded and given its expiry by the next round's nextGeneration (a set created now has none until then).
    return (await this.redis.zadd(this.publishedKey, 'GT', 'CH', generation, userId)) === 1;
  }

  private get viewersKey(): string {
    return this.keys.homeViewers;
  }
  private get publishedKey(): string {
    return this.keys.homePublished;
  }
  private get generationKey(): string {
    return this.keys.homeGeneration;
  }
}
