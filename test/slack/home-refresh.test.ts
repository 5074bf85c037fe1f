import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { HomeRefresher } from '../../src/slack/home/refresher.js';
import { HomeViewers } from '../../src/slack/home/viewers.js';

const T0 = 1_760_000_000_000;
const DAY = 24 * 60 * 60 * 1000;
const silent = pino({ level: 'silent' });

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

describe('HomeRefresher', () => {
  const announced: string[] = [];
  const inner = (fail = false) => ({
    async announce(id: string) {
      announced.push(id);
      if (fail) throw new Error('Slack is down');
    },
  });
  beforeEach(() => {
    announced.length = 0;
  });

  it('refreshes after each announcement, folding the ones that arrive meanwhile into the next refresh', async () => {
    const refreshed: string[][] = [];
    let release: () => void = () => undefined;
    const home = {
      async refreshFor(ids: Iterable<string>) {
        refreshed.push([...ids]);
        if (refreshed.length === 1) await new Promise<void>((resolve) => (release = resolve));
      },
    };
    const refresher = new HomeRefresher(inner(), home, silent);
    await refresher.announce('r1');
    await refresher.announce('r2');
    await refresher.announce('r3');
    await refresher.announce('r2');
    expect(refreshed).toEqual([['r1']]);
    release();
    await refresher.idle();
    expect(refreshed).toEqual([['r1'], ['r2', 'r3']]);
    expect(announced).toEqual(['r1', 'r2', 'r3', 'r2']);
  });

  it('never fails or delays an announcement, and still refreshes when the announcement failed', async () => {
    const refreshed: string[] = [];
    const failing = {
      async refreshFor(ids: Iterable<string>) {
        refreshed.push(...ids);
        throw new Error('Redis is down');
      },
    };
    const hanging = { refreshFor: () => new Promise<void>(() => undefined) };
    await expect(new HomeRefresher(inner(), failing, silent).announce('r1')).resolves.toBeUndefined();
    await expect(new HomeRefresher(inner(), hanging, silent).announce('r2')).resolves.toBeUndefined();
    const broken = new HomeRefresher(inner(true), failing, silent);
    await expect(broken.announce('r3')).rejects.toThrow('Slack is down');
    await broken.idle();
    expect(refreshed).toEqual(['r1', 'r3']);
  });
});
