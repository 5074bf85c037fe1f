import { randomUUID } from 'node:crypto';
import { FlowProducer, Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { Keys } from '../../src/keys.js';
import type { Logger } from '../../src/logger.js';
import { JobProducer } from '../../src/queue/producer.js';
import { HomeRefreshQueue } from '../../src/slack/outbound/home/refresh-queue.js';
import type { HomeChange } from '../../src/slack/outbound/home/tab.js';
import { HomeViewers } from '../../src/slack/outbound/home/viewers.js';
import { until } from '../helpers/poll.js';

const T0 = 1_760_000_000_000;
const DAY = 24 * 60 * 60 * 1000;

describe('HomeViewers', () => {
  let redis: Redis;
  let prefix: string;
  let viewers: HomeViewers;

  beforeEach(() => {
    redis = new Redis(inject('redisUrl'));
    prefix = `test-${randomUUID()}:`;
    viewers = new HomeViewers({ redis, prefix, retentionMs: 7 * DAY, max: 3 });
  });
  afterEach(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  it('remembers the latest viewers, within the retention and the bound, and expires the set', async () => {
    await viewers.opened('UOLD', T0 - 8 * DAY);
    for (const [i, user] of ['U0A', 'U0B', 'U0C', 'U0D'].entries()) await viewers.opened(user, T0 + i);
    await viewers.opened('<!channel>', T0 + 10);
    expect(await viewers.recent(10, T0 + 10)).toEqual(['U0D', 'U0C', 'U0B']);
    expect(await viewers.recent(2, T0 + 10)).toEqual(['U0D', 'U0C']);
    expect(await viewers.has('U0D', T0 + 10)).toBe(true);
    expect(await viewers.has('U0A', T0 + 10)).toBe(false);
    expect(await viewers.recent(10, T0 + 7 * DAY + 2)).toEqual(['U0D', 'U0C']);
    expect(await redis.pttl(`${prefix}home:viewers`)).toBeGreaterThan(6 * DAY);
  });

  it('lets a publish through only when no later reading was published to that user', async () => {
    const older = await viewers.nextGeneration();
    const newer = await viewers.nextGeneration();
    expect(newer).toBeGreaterThan(older);
    expect(await viewers.claim('U0A', newer)).toBe(true);
    expect(await viewers.claim('U0A', older)).toBe(false);
    expect(await viewers.claim('U0B', older)).toBe(true);
    expect(await viewers.claim('U0B', await viewers.nextGeneration())).toBe(true);
  });
});

describe('HomeRefreshQueue', () => {
  let redis: Redis;
  let prefix: string;
  let queue: Queue;
  let flows: FlowProducer;
  let worker: Worker;
  let refreshed: HomeChange[][];
  let hold: Promise<void> | undefined;
  let homes: HomeRefreshQueue;
  let clock: number;
  const warnings: string[] = [];
  const logger = {
    warn: (_fields: unknown, message: string) => void warnings.push(message),
  } as unknown as Logger;

  beforeEach(async () => {
    redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
    prefix = `test-${randomUUID()}`;
    queue = new Queue('requests', { connection: redis, prefix: `${prefix}-bull` });
    flows = new FlowProducer({ connection: redis, prefix: `${prefix}-bull` });
    refreshed = [];
    hold = undefined;
    clock = Date.now();
    warnings.length = 0;
    const home = {
      async refreshFor(changes: Iterable<HomeChange>) {
        refreshed.push([...changes].sort((a, b) => a.requestId.localeCompare(b.requestId)));
        await hold;
      },
    };
    const producer = new JobProducer(queue, flows, { attempts: 1, retentionMs: 60_000, now: Date.now });
    homes = new HomeRefreshQueue({
      redis,
      keys: new Keys(`${prefix}:`),
      home,
      producer,
      logger,
      now: () => clock,
      windowMs: 300,
    });
    worker = new Worker('requests', async () => homes.refresh(), {
      connection: redis.duplicate(),
      prefix: `${prefix}-bull`,
    });
  });
  afterEach(async () => {
    await worker.close();
    await flows.close();
    await queue.obliterate({ force: true });
    await queue.close();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  const dirty = () => redis.hgetall(`${prefix}:home:dirty`);

  it('folds every change before the refresh starts into one publish round, "all" winning over "requester"', async () => {
    homes.changed('r1');
    homes.changed('r2', 'requester');
    homes.changed('r2');
    homes.changed('r3', 'requester');
    homes.changed('r3', 'requester');
    await until(
      'one refresh',
      async () => refreshed.length,
      (n) => n === 1,
    );
    expect(refreshed[0]).toEqual([
      { requestId: 'r1', scope: 'all' },
      { requestId: 'r2', scope: 'all' },
      { requestId: 'r3', scope: 'requester' },
    ]);
    expect(await dirty()).toEqual({});
    homes.changed('r4', 'requester');
    await until(
      'a second refresh',
      async () => refreshed.length,
      (n) => n === 2,
    );
    expect(refreshed[1]).toEqual([{ requestId: 'r4', scope: 'requester' }]);
    const jobs = await queue.getJobs(['completed']);
    expect(jobs.map((job) => job.name)).toEqual(['home', 'home']);
  });

  it('a change recorded while a refresh is publishing gets a refresh of its own afterwards', async () => {
    let release: () => void = () => undefined;
    hold = new Promise<void>((resolve) => (release = resolve));
    homes.changed('r1');
    await until(
      'the first refresh to start',
      async () => refreshed.length,
      (n) => n === 1,
    );
    homes.changed('r2');
    await until('r2 recorded', dirty, (d) => d.r2 === 'all');
    release();
    await until(
      'the second refresh',
      async () => refreshed.length,
      (n) => n === 2,
    );
    expect(refreshed).toEqual([[{ requestId: 'r1', scope: 'all' }], [{ requestId: 'r2', scope: 'all' }]]);
  });

  it('a refresh job Redis lost is added again once its window has passed, with every change since', async () => {
    await worker.pause();
    homes.changed('r1');
    const first = await until(
      'the first job',
      () => queue.getJobs(['delayed', 'waiting']),
      (jobs) => jobs.length === 1,
    );
    await first[0]?.remove();
    homes.changed('r2');
    await until('r2 recorded', dirty, (d) => d.r2 === 'all');
    // Within the window this process trusts the job it added: no second add.
    expect(await queue.getJobs(['delayed', 'waiting'])).toEqual([]);
    clock += 400;
    homes.changed('r3');
    await until(
      'a new job',
      () => queue.getJobs(['delayed', 'waiting']),
      (jobs) => jobs.length === 1,
    );
    worker.resume();
    await until(
      'the refresh',
      async () => refreshed.length,
      (n) => n === 1,
    );
    expect(refreshed[0]?.map((c) => c.requestId)).toEqual(['r1', 'r2', 'r3']);
  });

  it('never throws or waits when Redis fails: the change is logged as not scheduled', async () => {
    const down = new Redis({
      port: 1,
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
    });
    const broken = new HomeRefreshQueue({
      redis: down,
      keys: new Keys(`${prefix}:`),
      home: { refreshFor: async () => undefined },
      producer: { refreshHomes: async () => undefined },
      logger,
      now: Date.now,
    });
    expect(broken.changed('r1')).toBeUndefined();
    await until(
      'the warning',
      async () => warnings,
      (w) => w.includes('App Home refresh not scheduled'),
    );
    down.disconnect();
  });
});
