import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { MAX_HOLD_MS, RedisCallBudget } from '../../src/cipherscale/budget.js';
import { createCipherscaleClient } from '../../src/cipherscale/client.js';
import { SEED_IDS } from '../fakes/cipherscale/seed.js';
import { FakeCipherscale } from '../fakes/cipherscale/server.js';
import { busiestWindow } from '../helpers/windows.js';

let redis: Redis;
let fake: FakeCipherscale;
let prefix: string;

beforeEach(async () => {
  redis = new Redis(inject('redisUrl'), { maxRetriesPerRequest: null });
  fake = await FakeCipherscale.start();
  prefix = `test-${randomUUID()}:`;
});
afterEach(async () => {
  for (const key of await redis.keys(`${prefix}*`)) await redis.del(key);
  redis.disconnect();
  await fake.close();
});

const budget = (limit: number, extra: Partial<ConstructorParameters<typeof RedisCallBudget>[0]> = {}) =>
  new RedisCallBudget({ redis, prefix, limit, callMaxMs: 3000, ...extra });

/** Two clients (two processes' worth: interactive and bulk) sharing one budget of `limit` on one Redis. */
function twoClients(limit: number) {
  const client = (priority: 'interactive' | 'bulk') =>
    createCipherscaleClient({
      baseUrl: fake.url,
      token: fake.token,
      timeoutMs: 2000,
      budget: new RedisCallBudget({ redis, prefix, limit, callMaxMs: 3000 }),
      priority,
    });
  return [client('interactive'), client('bulk')] as const;
}

describe('the call budget', () => {
  it('holds in every sliding second for calls of every method, from the first second, across clients', async () => {
    // Two clients (two processes' worth) on one Redis, one budget; the fake records arrivals.
    const [one, two] = twoClients(5);
    fake.setLatency(30);
    const calls = Array.from({ length: 12 }, (_, i) => {
      const client = i % 2 ? one : two;
      return i % 3 === 0 ? client.deactivateUser(SEED_IDS.alice) : client.getUser(SEED_IDS.alice);
    });
    const results = await Promise.all(calls);
    expect(results.every((r) => r.ok)).toBe(true);
    expect(fake.calls).toHaveLength(12);
    expect(busiestWindow(fake.calls.map((c) => c.at))).toBe(5);
    // 12 calls at 5 a second: the 11th cannot start before two full windows have passed.
    const times = fake.calls.map((c) => c.at).sort((a, b) => a - b);
    expect((times[10] as number) - (times[0] as number)).toBeGreaterThanOrEqual(2000);
  });

  it('counts a slow call from its start until one window after its answer (an arrival late at the API still counts)', async () => {
    const calls = budget(1);
    const slow = await calls.take('bulk', 0);
    expect(slow.ok).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 600));
    const releasedAt = Date.now();
    if (slow.ok) await slow.release();
    const next = await calls.take('bulk', 5000);
    expect(next.ok).toBe(true);
    expect(Date.now() - releasedAt).toBeGreaterThanOrEqual(990);
  });

  it('a call that got no answer (timeout) keeps its slot until its longest possible end plus a window', async () => {
    const client = createCipherscaleClient({
      baseUrl: fake.url,
      token: fake.token,
      timeoutMs: 300,
      budget: new RedisCallBudget({ redis, prefix, limit: 1, callMaxMs: 1300 }),
      priority: 'bulk',
    });
    fake.script([{ hang: true }]);
    const timedOut = await client.getUser(SEED_IDS.alice);
    expect(timedOut).toMatchObject({ ok: false, error: { kind: 'transient', reason: 'timeout' } });
    expect((await client.getUser(SEED_IDS.alice)).ok).toBe(true);
    const [first, second] = fake.calls.map((c) => c.at) as [number, number];
    expect(second - first).toBeGreaterThanOrEqual(2250);
  });

  it('frees the slot of a caller that died mid-call only after its longest possible call plus a window', async () => {
    const calls = budget(1, { callMaxMs: 500 });
    const lost = await calls.take('bulk', 0);
    expect(lost.ok).toBe(true); // never released: the process "died"
    const started = Date.now();
    const refused = await calls.take('bulk', 0);
    expect(refused).toMatchObject({ ok: false });
    const next = await calls.take('bulk', 5000);
    expect(next.ok).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1400);
  });

  it('gives an interactive caller the next slot while bulk callers wait, without polling in a loop', async () => {
    let polls = 0;
    const counting = (ms: number) => {
      polls += 1;
      return new Promise<void>((resolve) => setTimeout(resolve, ms));
    };
    const calls = budget(4, { sleep: counting });
    const order: string[] = [];
    const run = async (who: string, priority: 'bulk' | 'interactive') => {
      const slot = await calls.take(priority, 10_000);
      if (!slot.ok) throw new Error(`${who} refused`);
      order.push(who);
      await slot.release();
    };
    // 12 bulk callers fill the window and queue; then one interactive caller arrives.
    const bulk = Array.from({ length: 12 }, (_, i) => run(`bulk${i}`, 'bulk'));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const interactive = run('lookup', 'interactive');
    await Promise.all([...bulk, interactive]);
    // Only the first window's four went before it.
    expect(order.indexOf('lookup')).toBe(4);
    // Waiters are told when their turn comes: about one poll per waiter per slot, not a busy loop.
    expect(polls).toBeLessThanOrEqual(40);
  });

  it('answers "retry in N ms" at once when no slot comes within the caller\'s own wait', async () => {
    const calls = budget(1);
    const first = await calls.take('interactive', 0);
    expect(first.ok).toBe(true);
    const started = Date.now();
    const refused = await calls.take('interactive', 200);
    expect(Date.now() - started).toBeLessThan(150);
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.retryAfterMs).toBeGreaterThan(800);
  });

  it('a 429 hold stops every caller of every priority until it ends; holds only grow and are capped', async () => {
    const calls = budget(100);
    const other = budget(100);
    await calls.holdFor(800);
    await other.holdFor(100); // shorter: does not shorten the hold
    const started = Date.now();
    const refused = await other.take('interactive', 0);
    expect(refused.ok).toBe(false);
    if (!refused.ok) expect(refused.retryAfterMs).toBeGreaterThan(600);
    const [a, b] = await Promise.all([calls.take('bulk', 5000), other.take('interactive', 5000)]);
    expect(a.ok && b.ok).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(700);

    await calls.holdFor(10 * MAX_HOLD_MS);
    expect(await redis.pttl(`${prefix}budget:hold`)).toBeLessThanOrEqual(MAX_HOLD_MS);
  });

  it('the client holds every process back after a 429 with Retry-After, and a missing Retry-After still holds a second', async () => {
    const [one, two] = twoClients(50);
    fake.script([{ status: 429, retryAfter: '1' }]);
    const hit = await one.getUser(SEED_IDS.alice);
    expect(hit).toMatchObject({ ok: false, error: { kind: 'rate_limited' } });
    const after = await two.getUser(SEED_IDS.minimal);
    expect(after.ok).toBe(true);
    const [first, second] = fake.calls.map((c) => c.at) as [number, number];
    expect(second - first).toBeGreaterThanOrEqual(950);

    fake.script([{ status: 429 }]);
    fake.calls.length = 0;
    await one.getUser(SEED_IDS.alice);
    expect((await two.getUser(SEED_IDS.minimal)).ok).toBe(true);
    const [hitAt, nextAt] = fake.calls.map((c) => c.at) as [number, number];
    expect(nextAt - hitAt).toBeGreaterThanOrEqual(950);
  });

  it('fails closed when Redis is gone: no call reaches the API, the caller gets a retryable failure', async () => {
    const dead = new Redis('redis://127.0.0.1:1', {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
    });
    dead.on('error', () => undefined);
    const client = createCipherscaleClient({
      baseUrl: fake.url,
      token: fake.token,
      timeoutMs: 500,
      budget: new RedisCallBudget({ redis: dead, prefix, limit: 5, callMaxMs: 1000 }),
    });
    const result = await client.getUser(SEED_IDS.alice);
    expect(result).toMatchObject({ ok: false, error: { kind: 'transient' } });
    expect(fake.calls).toHaveLength(0);
    dead.disconnect();
  });
});
