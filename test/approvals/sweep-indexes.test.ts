import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { type NewRequest, RequestStore, type StoreTransition } from '../../src/approvals/store/store.js';
import type { Outcome } from '../../src/approvals/types.js';
import { SweepLock } from '../../src/queue/sweep-lock.js';
import { eventually } from '../helpers/poll.js';

// The sweeper's indexes: every request that may need completing is in one, whatever else is open.
const HOUR = 3_600_000;

let redis: Redis;
let prefix: string;
let store: RequestStore;
let changes: StoreTransition[];

beforeEach(() => {
  redis = new Redis(inject('redisUrl'));
  prefix = `test-${randomUUID()}:`;
  changes = [];
  store = new RequestStore({ redis, prefix, retentionMs: HOUR, onTransition: (c) => changes.push(c) });
});
afterEach(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

const now = Date.now();
const newRequest = (): NewRequest => ({
  id: store.newId(),
  action: 'deactivate',
  target: { id: '9b2f6c1e-3a4d-4e5f-8a7b-0c1d2e3f4a5b', status: 'active', isOwner: false },
  changes: undefined,
  reason: 'test',
  requesterId: 'UREQ',
  channelId: 'CSEC',
  requiredApprovals: 1,
  createdAt: now,
  expiresAt: now + HOUR,
});
const outcome: Outcome = { ok: true, summary: 'Deactivated.', code: 'done', attempts: 1, at: now };

describe('sweep indexes', () => {
  it('a request is in fresh once created, in working from quorum to its end, in unposted until its outcome is posted', async () => {
    const request = await store.create(newRequest());
    expect(await store.sweepDue('fresh', 0)).toEqual([request.id]);
    expect(await store.sweepDue('working', 0)).toEqual([]);
    await store.approve(request.id, 'UAPP', now);
    expect(await store.sweepDue('fresh', 0)).toEqual([]);
    expect(await store.sweepDue('working', 0)).toEqual([request.id]);
    await store.transition(request.id, ['approved'], 'queued');
    await store.transition(request.id, ['queued'], 'running');
    expect(await store.sweepDue('working', 0)).toEqual([request.id]);
    await store.transition(request.id, ['running'], 'succeeded', { outcome });
    expect(await store.sweepDue('working', 0)).toEqual([]);
    expect(await store.sweepDue('unposted', 0)).toEqual([request.id]);
    await store.markOutcomePosted(request.id);
    expect(await store.sweepDue('unposted', 0)).toEqual([]);
  });

  it('pages are bounded and each run starts with the ones the last run did not reach', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await store.create(newRequest())).id);
    const first = await store.sweepDue('fresh', 0, 2);
    const second = await store.sweepDue('fresh', 0, 2);
    const third = await store.sweepDue('fresh', 0, 2);
    expect(first).toHaveLength(2);
    expect(new Set([...first, ...second, ...third.slice(0, 1)])).toEqual(new Set(ids));
    // Within the grace period nothing is handed out again.
    expect(await store.sweepDue('fresh', 60_000, 10)).toEqual([]);
  });

  it('a member whose record has gone (TTL, deleted) is dropped, not handed out', async () => {
    const request = await store.create(newRequest());
    await redis.del(`${prefix}request:${request.id}`);
    expect(await store.sweepDue('fresh', 0)).toEqual([]);
    expect(await redis.zcard(`${prefix}requests:fresh`)).toBe(0);
  });

  it('reports each state change once, with the wait to quorum, and nothing for refused ones', async () => {
    const request = await store.create(newRequest());
    await store.approve(request.id, 'UAPP', now + 5000);
    await store.approve(request.id, 'UAPP2', now + 6000); // not pending any more
    await store.transition(request.id, ['approved'], 'queued');
    await store.transition(request.id, ['approved'], 'queued'); // refused
    expect(changes.map((c) => [c.transition, c.request.action, c.waitedMs])).toEqual([
      ['pending', 'deactivate', undefined],
      ['approved', 'deactivate', 5000],
      ['queued', 'deactivate', undefined],
    ]);
  });
});

describe('sweep lock', () => {
  it('one holder at a time; released after the work, and by itself if the holder dies', async () => {
    const key = `${prefix}sweeper:lock`;
    const started = Date.now();
    const a = new SweepLock(redis, key, 60_000);
    const b = new SweepLock(redis, key, 60_000);
    let inner: string | undefined = 'not run';
    const outer = await a.holding(async () => {
      inner = await b.holding(async () => 'ran');
      return 'ran';
    });
    expect([outer, inner]).toEqual(['ran', undefined]);
    expect(await b.holding(async () => 'ran')).toBe('ran');
    // A run longer than the lock's time keeps it.
    const short = new SweepLock(redis, key, 60);
    const long = await short.holding(async () => {
      await eventually(async () => (await redis.pttl(key)) > 0 && Date.now() - started > 200, 2000, 20);
      return b.holding(async () => 'overlapped');
    });
    expect(long).toBeUndefined();
    // A holder that died: its lock times out.
    await redis.set(key, 'dead-holder', 'PX', 50);
    expect(await b.holding(async () => 'ran')).toBeUndefined();
    await eventually(async () => (await redis.exists(key)) === 0, 2000, 10);
    expect(await b.holding(async () => 'ran')).toBe('ran');
  });
});
