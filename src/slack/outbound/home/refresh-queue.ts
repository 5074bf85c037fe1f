import type { Redis } from 'ioredis';
import { z } from 'zod';
import type { Keys } from '../../../keys.js';
import type { Logger } from '../../../logger.js';
import { LuaScript } from '../../../lua.js';
import type { JobProducer } from '../../../queue/producer.js';
import type { Audience, HomeChange, HomeTab } from './tab.js';

export interface HomeRefreshQueueOptions {
  redis: Redis;
  keys: Keys;
  home: Pick<HomeTab, 'refreshFor'>;
  producer: Pick<JobProducer, 'refreshHomes'>;
  logger: Logger;
  now: () => number;
  /** How long the first change waits for others to fold into the same refresh (default 1 s). */
  windowMs?: number;
}

const DIRTY_KEPT_MS = 24 * 60 * 60 * 1000;
const { TAKE } = LuaScript.beside(import.meta.url, { TAKE: 'take-changes-3' });
const taken = z.tuple([z.array(z.string()), z.array(z.string())]);

/**
 * App Home refreshes as a debounced job: a change is recorded in Redis (`home:dirty`, request id → whose
 * Homes it concerns) together with the current generation (`home:generation`), and a `home` job named
 * after that generation is added, delayed by the window. Every change until that job takes the dirty
 * set names the same job, so it folds into one refresh, across processes; the first change after it
 * starts the next generation. The job publishes each concerned Home once, from one reading of the
 * requests. Recording never throws and never waits on Slack.
 */
export class HomeRefreshQueue {
  private readonly windowMs: number;
  /** The last generation whose job this process added, and when. */
  private scheduled: { generation: number; at: number } | undefined;

  constructor(private readonly options: HomeRefreshQueueOptions) {
    this.windowMs = Math.max(1, options.windowMs ?? 1000);
  }

  /**
   * A request changed. `all`: lists approvers see changed too (created, an approval, a decision, an end);
   * `requester`: only the requester's own list shows it (running).
   */
  changed(requestId: string, scope: HomeChange['scope'] = 'all'): void {
    void this.record(requestId, scope).catch((err: unknown) =>
      this.options.logger.warn(
        { requestId, err: { name: (err as Error).name, message: (err as Error).message } },
        'App Home refresh not scheduled',
      ),
    );
  }

  /** The `home` job: publishes the Homes concerned by every change recorded so far, and those put off. */
  async refresh(): Promise<void> {
    const keys = [this.dirtyKey, this.generationKey, this.options.keys.homeDeferred];
    const [flat, flatDeferred] = taken.parse(await TAKE.run(this.options.redis, keys, []));
    const changes: HomeChange[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) {
      changes.push({ requestId: flat[i] ?? '', scope: flat[i + 1] === 'requester' ? 'requester' : 'all' });
    }
    const deferred: Audience = new Map();
    for (let i = 0; i + 1 < flatDeferred.length; i += 2) {
      const flag = flatDeferred[i + 1];
      deferred.set(flatDeferred[i] ?? '', flag === '1' ? true : flag === '0' ? false : undefined);
    }
    if (changes.length > 0 || deferred.size > 0) await this.options.home.refreshFor(changes, deferred);
  }

  /**
   * Homes Slack's rate tier had no room for: kept in Redis and published by a `home` job `retryAfterMs`
   * from now (or an earlier one), from what Redis holds then, so the last state is what they get.
   */
  async defer(users: Audience, retryAfterMs: number): Promise<void> {
    const key = this.options.keys.homeDeferred;
    const batch = this.options.redis.pipeline();
    for (const [userId, approver] of users) {
      const flag = approver === true ? '1' : approver === false ? '0' : '';
      // A known answer wins over an unknown one.
      if (flag === '') batch.hsetnx(key, userId, flag);
      else batch.hset(key, userId, flag);
    }
    const results = await batch.pexpire(key, DIRTY_KEPT_MS).get(this.generationKey).exec();
    const failed = results?.find(([err]) => err);
    if (failed?.[0]) throw failed[0];
    const generation = Number(results?.at(-1)?.[1] ?? 0);
    await this.options.producer.refreshHomes(generation, Math.max(this.windowMs, retryAfterMs));
  }

  /**
   * The sweeper's check: changes or put-off Homes waiting in Redis get their generation's job (added again
   * if the process that recorded them died first; BullMQ keeps a job that already exists). The generation
   * scheduled, or undefined when nothing waits.
   */
  async ensureScheduled(): Promise<number | undefined> {
    const results = await this.options.redis
      .pipeline()
      .hlen(this.dirtyKey)
      .hlen(this.options.keys.homeDeferred)
      .get(this.generationKey)
      .exec();
    const failed = results?.find(([err]) => err);
    if (failed?.[0]) throw failed[0];
    const waiting = Number(results?.[0]?.[1] ?? 0) + Number(results?.[1]?.[1] ?? 0);
    if (waiting === 0) return undefined;
    const generation = Number(results?.[2]?.[1] ?? 0);
    await this.options.producer.refreshHomes(generation, this.windowMs);
    return generation;
  }

  private async record(requestId: string, scope: HomeChange['scope']): Promise<void> {
    // In order, not in a transaction: the generation is read after the change is in, so a take that
    // lands between the two has the change already and the job named here merely finds nothing.
    const batch = this.options.redis.pipeline();
    // 'all' wins over 'requester' for the same request within a window.
    if (scope === 'all') batch.hset(this.dirtyKey, requestId, scope);
    else batch.hsetnx(this.dirtyKey, requestId, scope);
    // Bounded if no worker runs for a long time (a listener alone): the changes are dropped, not kept.
    const results = await batch.pexpire(this.dirtyKey, DIRTY_KEPT_MS).get(this.generationKey).exec();
    const failed = results?.find(([err]) => err);
    if (failed?.[0]) throw failed[0];
    const generation = Number(results?.[2]?.[1] ?? 0);
    // This process added that generation's job within the window (it is still waiting): another add would
    // be ignored by BullMQ anyway. After the window, add again: a job Redis lost (a restart) is replaced.
    const now = this.options.now();
    if (this.scheduled?.generation === generation && now - this.scheduled.at < this.windowMs) return;
    await this.options.producer.refreshHomes(generation, this.windowMs);
    this.scheduled = { generation, at: now };
  }

  private get dirtyKey(): string {
    return this.options.keys.homeChanges;
  }
  private get generationKey(): string {
    return this.options.keys.homeRefreshGeneration;
  }
}
