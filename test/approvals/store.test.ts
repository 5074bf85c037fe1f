import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import {
  type NewRequest,
  RECENT_KEPT,
  RequestExistsError,
  RequestStore,
} from '../../src/approvals/store/store.js';
import type { Outcome } from '../../src/approvals/types.js';

const T0 = 1_760_000_000_000;
const TTL = 60_000;
const RETENTION = 3_600_000;

let redis: Redis;
let prefix: string;
let store: RequestStore;

beforeEach(() => {
  redis = new Redis(inject('redisUrl'));
  prefix = `test-${randomUUID()}:`;
  store = new RequestStore({ redis, prefix, retentionMs: RETENTION });
});

afterEach(async () => {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

function newRequest(overrides: Partial<Extract<NewRequest, { target: object }>> = {}): NewRequest {
  return {
    id: store.newId(),
    action: 'edit',
    target: {
      id: '9b2f6c1e-3a4d-4e5f-8a7b-0c1d2e3f4a5b',
      firstName: 'Alice',
      status: 'active',
      isOwner: false,
    },
    changes: { firstName: 'Alicia' },
    reason: 'Name change after marriage',
    requesterId: 'UREQ',
    channelId: 'CSEC',
    requiredApprovals: 1,
    createdAt: T0,
    expiresAt: T0 + TTL,
    ...overrides,
  };
}

const outcome: Outcome = { ok: true, summary: 'Updated.', code: 'done', attempts: 1, at: T0 + 5000 };
const approvers = (n: number) => Array.from({ length: n }, (_, i) => `UAPP${i}`);

describe('create and get', () => {
  it('round-trips a new request as pending with no approvals', async () => {
    const input = newRequest();
    const created = await store.create(input);
    expect(created).toEqual({ ...input, state: 'pending', approvals: [], attempts: 0, version: 1 });
    expect(await store.get(input.id)).toEqual(created);
  });

  it('keeps requests without changes (deactivate) and unicode text intact', async () => {
    const input = newRequest({ action: 'deactivate', reason: 'Départ — مغادرة 👋\nline two' });
    delete input.changes;
    const created = await store.create(input);
    expect(created.changes).toBeUndefined();
    expect((await store.get(input.id))?.reason).toBe('Départ — مغادرة 👋\nline two');
  });

  it('refuses to create the same id twice', async () => {
    const input = newRequest();
    await store.create(input);
    await expect(store.create({ ...input, reason: 'other' })).rejects.toBeInstanceOf(RequestExistsError);
    expect((await store.get(input.id))?.reason).toBe(input.reason);
  });

  it('refuses ids newId() would not make', async () => {
    await expect(store.create(newRequest({ id: 'x:1' }))).rejects.toThrow();
  });

  it('makes unguessable ids safe for buttons and job ids', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => store.newId()));
    expect(ids.size).toBe(1000);
    for (const id of ids) expect(id).toMatch(/^r[a-z2-7]{15}$/);
  });

  it('answers undefined / not_found for unknown and hostile ids without touching Redis keys', async () => {
    for (const id of ['../x', 'x'.repeat(10_000), '', `${store.newId()}*`, 'r*', store.newId()]) {
      expect(await store.get(id)).toBeUndefined();
      expect(await store.approve(id, 'UAPP0', T0)).toEqual({ outcome: 'not_found' });
      expect(await store.reject(id, 'UAPP0', undefined, T0)).toEqual({ outcome: 'not_found' });
      expect(await store.cancel(id, 'UREQ', T0)).toEqual({ outcome: 'not_found' });
      expect(await store.expire(id, T0 + TTL)).toEqual({ outcome: 'not_found' });
      expect(await store.transition(id, ['approved'], 'queued')).toEqual({ ok: false, request: undefined });
      expect(await store.setMessage(id, 'CSEC', '1.2')).toBeUndefined();
      await store.markOutcomePosted(id);
      await store.delete(id);
    }
    expect(await redis.keys(`${prefix}*`)).toEqual([]);
  });

  it('stores the message location', async () => {
    const { id } = await store.create(newRequest());
    const updated = await store.setMessage(id, 'COTHER', '1712345678.000100');
    expect(updated).toMatchObject({ channelId: 'COTHER', messageTs: '1712345678.000100', version: 2 });
    expect(await store.get(id)).toEqual(updated);
  });

  it('deletes the record and its index entries', async () => {
    const { id } = await store.create(newRequest());
    await store.delete(id);
    expect(await store.get(id)).toBeUndefined();
    expect(await store.listOpen()).toEqual([]);
    expect(await store.dueForExpiry(T0 + TTL)).toEqual([]);
    expect(await redis.keys(`${prefix}*`)).toEqual([]);
  });

  it('throws when Redis cannot be reached', async () => {
    const offline = new Redis(inject('redisUrl'), { lazyConnect: true, enableOfflineQueue: false });
    const unreachable = new RequestStore({ redis: offline, prefix, retentionMs: RETENTION });
    await expect(unreachable.get(store.newId())).rejects.toThrow();
    await expect(unreachable.approve(store.newId(), 'UAPP0', T0)).rejects.toThrow();
    offline.disconnect();
  });

  it('throws on a stored record it cannot read', async () => {
    const { id } = await store.create(newRequest());
    await redis.hset(`${prefix}request:${id}`, 'target', '{not json');
    await expect(store.get(id)).rejects.toThrow(/unreadable/);
  });
});

describe('approve', () => {
  it('refuses self-approval and records nothing', async () => {
    const { id } = await store.create(newRequest());
    const result = await store.approve(id, 'UREQ', T0 + 1);
    expect(result.outcome).toBe('self_approval');
    expect(await store.get(id)).toMatchObject({ state: 'pending', approvals: [], version: 1 });
  });

  it('reaches quorum with one approval when one is needed', async () => {
    const { id } = await store.create(newRequest());
    const result = await store.approve(id, 'UAPP0', T0 + 1);
    expect(result).toMatchObject({
      outcome: 'quorum',
      request: { state: 'approved', approvals: [{ userId: 'UAPP0', at: T0 + 1 }], version: 2 },
    });
    expect((await store.approve(id, 'UAPP1', T0 + 2)).outcome).toBe('not_pending');
    expect((await store.get(id))?.approvals).toHaveLength(1);
  });

  it('needs two distinct approvers when two are needed; the same one twice counts once', async () => {
    const { id } = await store.create(newRequest({ action: 'delete', requiredApprovals: 2 }));
    expect(await store.approve(id, 'UAPP0', T0 + 1)).toMatchObject({
      outcome: 'counted',
      request: { state: 'pending', version: 2 },
    });
    expect(await store.approve(id, 'UAPP0', T0 + 2)).toMatchObject({
      outcome: 'duplicate',
      request: { state: 'pending', version: 2 },
    });
    const second = await store.approve(id, 'UAPP1', T0 + 3);
    expect(second).toMatchObject({ outcome: 'quorum', request: { state: 'approved', version: 3 } });
    expect('request' in second && second.request.approvals).toEqual([
      { userId: 'UAPP0', at: T0 + 1 },
      { userId: 'UAPP1', at: T0 + 3 },
    ]);
    expect((await store.approve(id, 'UAPP2', T0 + 4)).outcome).toBe('not_pending');
  });

  it('expires lazily when an approval comes after expiresAt', async () => {
    const { id } = await store.create(newRequest());
    const result = await store.approve(id, 'UAPP0', T0 + TTL);
    expect(result).toMatchObject({ outcome: 'expired', request: { state: 'expired', approvals: [] } });
    expect((await store.approve(id, 'UAPP0', T0 + TTL)).outcome).toBe('not_pending');
    expect(await store.listOpen()).toEqual([]);
  });
});

describe('concurrent approvals', () => {
  const count = (outcomes: string[]) =>
    outcomes.reduce<Record<string, number>>((acc, o) => Object.assign(acc, { [o]: (acc[o] ?? 0) + 1 }), {});

  it('20 approvers at once on a request needing 1: exactly one quorum', async () => {
    const { id } = await store.create(newRequest());
    const results = await Promise.all(approvers(20).map((user) => store.approve(id, user, T0 + 1)));
    expect(count(results.map((r) => r.outcome))).toEqual({ quorum: 1, not_pending: 19 });
    expect((await store.get(id))?.approvals).toHaveLength(1);
  });

  it('20 approvers at once on a request needing 2: exactly one quorum', async () => {
    const { id } = await store.create(newRequest({ requiredApprovals: 2 }));
    const results = await Promise.all(approvers(20).map((user) => store.approve(id, user, T0 + 1)));
    expect(count(results.map((r) => r.outcome))).toEqual({ counted: 1, quorum: 1, not_pending: 18 });
    const stored = await store.get(id);
    expect(stored?.state).toBe('approved');
    expect(new Set(stored?.approvals.map((a) => a.userId)).size).toBe(2);
  });

  it('one approver clicking 10 times at once counts once', async () => {
    const { id } = await store.create(newRequest({ requiredApprovals: 2 }));
    const results = await Promise.all(Array.from({ length: 10 }, () => store.approve(id, 'UAPP0', T0 + 1)));
    expect(count(results.map((r) => r.outcome))).toEqual({ counted: 1, duplicate: 9 });
    expect(await store.get(id)).toMatchObject({
      state: 'pending',
      version: 2,
      approvals: [{ userId: 'UAPP0' }],
    });
  });

  it('one approver clicking 10 times at once on a request needing 1: one quorum', async () => {
    const { id } = await store.create(newRequest());
    const results = await Promise.all(Array.from({ length: 10 }, () => store.approve(id, 'UAPP0', T0 + 1)));
    expect(count(results.map((r) => r.outcome))).toEqual({ quorum: 1, not_pending: 9 });
  });

  it('two store instances on separate connections still decide once', async () => {
    const other = new Redis(inject('redisUrl'));
    try {
      const second = new RequestStore({ redis: other, prefix, retentionMs: RETENTION });
      const { id } = await store.create(newRequest());
      const results = await Promise.all(
        approvers(10).map((user, i) => (i % 2 ? store : second).approve(id, user, T0 + 1)),
      );
      expect(results.filter((r) => r.outcome === 'quorum')).toHaveLength(1);
    } finally {
      await other.quit();
    }
  });
});

describe('reject, cancel, expire', () => {
  it('rejects with who, when and why', async () => {
    const { id } = await store.create(newRequest());
    const result = await store.reject(id, 'UAPP0', 'Wrong user', T0 + 10);
    expect(result).toMatchObject({
      outcome: 'rejected',
      request: {
        state: 'rejected',
        decidedBy: 'UAPP0',
        decidedAt: T0 + 10,
        decisionReason: 'Wrong user',
        version: 2,
      },
    });
    expect((await store.reject(id, 'UAPP1', undefined, T0 + 11)).outcome).toBe('not_pending');
    expect((await store.approve(id, 'UAPP1', T0 + 11)).outcome).toBe('not_pending');
  });

  it('rejects without a reason', async () => {
    const { id } = await store.create(newRequest());
    const result = await store.reject(id, 'UAPP0', undefined, T0 + 10);
    expect('request' in result && result.request.decisionReason).toBeUndefined();
  });

  it('refuses a reject from the requester, who must cancel instead', async () => {
    const { id } = await store.create(newRequest());
    expect(await store.reject(id, 'UREQ', 'oops', T0 + 1)).toMatchObject({
      outcome: 'requester',
      request: { state: 'pending', version: 1 },
    });
  });

  it('lets only the requester cancel, and only while pending', async () => {
    const { id } = await store.create(newRequest());
    expect(await store.cancel(id, 'UAPP0', T0 + 1)).toMatchObject({
      outcome: 'not_requester',
      request: { state: 'pending', version: 1 },
    });
    expect(await store.cancel(id, 'UREQ', T0 + 2)).toMatchObject({
      outcome: 'cancelled',
      request: { state: 'cancelled', decidedBy: 'UREQ', decidedAt: T0 + 2 },
    });
    expect((await store.cancel(id, 'UREQ', T0 + 3)).outcome).toBe('not_pending');

    const approved = await store.create(newRequest());
    await store.approve(approved.id, 'UAPP0', T0 + 1);
    expect((await store.cancel(approved.id, 'UREQ', T0 + 2)).outcome).toBe('not_pending');
  });

  it('reject and cancel after expiresAt expire the request instead', async () => {
    const a = await store.create(newRequest());
    const b = await store.create(newRequest());
    const rejected = await store.reject(a.id, 'UAPP0', 'no', T0 + TTL + 1);
    expect(rejected).toMatchObject({ outcome: 'expired', request: { state: 'expired' } });
    expect('request' in rejected && rejected.request.decidedBy).toBeUndefined();
    expect((await store.cancel(b.id, 'UREQ', T0 + TTL)).outcome).toBe('expired');
  });

  it('expires only when due, once', async () => {
    const { id } = await store.create(newRequest());
    expect(await store.expire(id, T0 + TTL - 1)).toMatchObject({
      outcome: 'not_due',
      request: { state: 'pending' },
    });
    expect(await store.expire(id, T0 + TTL)).toMatchObject({
      outcome: 'expired',
      request: { state: 'expired' },
    });
    expect((await store.expire(id, T0 + TTL + 1)).outcome).toBe('not_pending');
    expect((await store.approve(id, 'UAPP0', T0 + 1)).outcome).toBe('not_pending');
  });

  it('concurrent expire and approve: exactly one wins', async () => {
    const { id } = await store.create(newRequest());
    const [expired, approved] = await Promise.all([
      store.expire(id, T0 + TTL),
      store.approve(id, 'UAPP0', T0 + 1),
    ]);
    expect([expired.outcome, approved.outcome].sort()).toEqual(
      expired.outcome === 'expired' ? ['expired', 'not_pending'] : ['not_pending', 'quorum'],
    );
  });
});

describe('transition', () => {
  async function approved() {
    const { id } = await store.create(newRequest());
    await store.approve(id, 'UAPP0', T0 + 1);
    return id;
  }

  it('moves only from one of the given states', async () => {
    const id = await approved();
    expect(await store.transition(id, ['queued'], 'running')).toMatchObject({
      ok: false,
      request: { state: 'approved' },
    });
    expect(await store.transition(id, ['approved'], 'queued')).toMatchObject({
      ok: true,
      request: { state: 'queued', version: 3 },
    });
  });

  it('counts attempts and stores the outcome', async () => {
    const id = await approved();
    await store.transition(id, ['approved', 'queued'], 'running', { incrementAttempts: true });
    const retried = await store.transition(id, ['running'], 'running', { incrementAttempts: true });
    expect(retried).toMatchObject({ ok: true, request: { state: 'running', attempts: 2 } });
    const done = await store.transition(id, ['running'], 'succeeded', { outcome });
    expect(done).toMatchObject({ ok: true, request: { state: 'succeeded', outcome, attempts: 2 } });
    const stored = await store.get(id);
    expect(stored?.outcome).toEqual(outcome);
    expect(stored?.outcomePosted).toBeUndefined();
  });

  it('never leaves a terminal state, whatever `from` says', async () => {
    const id = await approved();
    await store.transition(id, ['approved'], 'failed', {
      outcome: { ...outcome, ok: false, code: 'client_error' },
    });
    const before = await store.get(id);
    for (const to of ['running', 'succeeded', 'approved'] as const) {
      expect(await store.transition(id, ['failed', 'approved', 'running'], to)).toEqual({
        ok: false,
        request: before,
      });
    }
    const { id: rejected } = await store.create(newRequest());
    await store.reject(rejected, 'UAPP0', undefined, T0 + 1);
    expect((await store.transition(rejected, ['rejected', 'pending'], 'queued')).ok).toBe(false);
  });

  it('refuses to move anything back to pending', async () => {
    const id = await approved();
    await expect(store.transition(id, ['approved'], 'pending')).rejects.toThrow(RangeError);
  });

  it('concurrent CAS: one winner', async () => {
    const id = await approved();
    const results = await Promise.all(
      Array.from({ length: 10 }, () => store.transition(id, ['approved'], 'queued')),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(1);
  });

  it('marks the outcome posted once', async () => {
    const id = await approved();
    await store.transition(id, ['approved'], 'succeeded', { outcome });
    await store.markOutcomePosted(id);
    await store.markOutcomePosted(id);
    expect(await store.get(id)).toMatchObject({ outcomePosted: true, version: 4 });
  });
});

describe('indexes', () => {
  it('lists open requests oldest first and drops them when they close', async () => {
    const a = await store.create(newRequest({ createdAt: T0, expiresAt: T0 + TTL }));
    const b = await store.create(newRequest({ createdAt: T0 + 1, expiresAt: T0 + TTL + 1 }));
    const c = await store.create(newRequest({ createdAt: T0 + 2, expiresAt: T0 + TTL + 2 }));
    const d = await store.create(newRequest({ createdAt: T0 + 3, expiresAt: T0 + TTL + 3 }));
    expect((await store.listOpen()).map((r) => r.id)).toEqual([a.id, b.id, c.id, d.id]);
    expect((await store.listOpen(2)).map((r) => r.id)).toEqual([a.id, b.id]);

    await store.approve(a.id, 'UAPP0', T0 + 10);
    await store.transition(a.id, ['approved'], 'running');
    await store.reject(b.id, 'UAPP0', undefined, T0 + 10);
    await store.cancel(c.id, 'UREQ', T0 + 10);
    expect((await store.listOpen()).map((r) => [r.id, r.state])).toEqual([
      [a.id, 'running'],
      [d.id, 'pending'],
    ]);
    expect(await store.dueForExpiry(T0 + TTL + 100)).toEqual([d.id]);

    await store.transition(a.id, ['running'], 'succeeded', { outcome });
    expect((await store.listOpen()).map((r) => r.id)).toEqual([d.id]);
    expect(await redis.zcard(`${prefix}requests:open`)).toBe(1);
  });

  it('lists due requests by expiresAt, only once due', async () => {
    const late = await store.create(newRequest({ expiresAt: T0 + 2 * TTL }));
    const soon = await store.create(newRequest({ expiresAt: T0 + TTL }));
    expect(await store.dueForExpiry(T0 + TTL - 1)).toEqual([]);
    expect(await store.dueForExpiry(T0 + TTL)).toEqual([soon.id]);
    expect(await store.dueForExpiry(T0 + 2 * TTL)).toEqual([soon.id, late.id]);
    expect(await store.dueForExpiry(T0 + 2 * TTL, 1)).toEqual([soon.id]);
    await store.expire(soon.id, T0 + TTL);
    expect(await store.dueForExpiry(T0 + 2 * TTL)).toEqual([late.id]);
  });

  it('removes members whose record expired from Redis', async () => {
    const gone = await store.create(newRequest());
    const kept = await store.create(newRequest({ createdAt: T0 + 1 }));
    await redis.del(`${prefix}request:${gone.id}`);
    expect(await store.dueForExpiry(T0 + TTL + 1)).toEqual([kept.id]);
    expect((await store.listOpen()).map((r) => r.id)).toEqual([kept.id]);
    expect(await redis.zrange(`${prefix}requests:open`, 0, -1)).toEqual([kept.id]);
    expect(await redis.zrange(`${prefix}requests:pending`, 0, -1)).toEqual([kept.id]);
  });

  it('prunes stale members when creating', async () => {
    const gone = await store.create(newRequest());
    await redis.del(`${prefix}request:${gone.id}`);
    const next = await store.create(newRequest());
    expect(await redis.zrange(`${prefix}requests:open`, 0, -1)).toEqual([next.id]);
    expect(await redis.zrange(`${prefix}requests:pending`, 0, -1)).toEqual([next.id]);
  });
});

describe('retention', () => {
  const pttl = (id: string) => redis.pttl(`${prefix}request:${id}`);

  it('keeps a pending request until expiresAt plus retention', async () => {
    const { id } = await store.create(newRequest());
    const ttl = await pttl(id);
    expect(ttl).toBeGreaterThan(TTL + RETENTION - 5000);
    expect(ttl).toBeLessThanOrEqual(TTL + RETENTION);
  });

  it('resets to retention once terminal', async () => {
    for (const close of [
      (id: string) => store.reject(id, 'UAPP0', undefined, T0 + 1),
      (id: string) => store.cancel(id, 'UREQ', T0 + 1),
      (id: string) => store.expire(id, T0 + TTL),
      async (id: string) => {
        await store.approve(id, 'UAPP0', T0 + 1);
        await store.transition(id, ['approved'], 'succeeded', { outcome });
      },
    ]) {
      const { id } = await store.create(newRequest());
      await close(id);
      const ttl = await pttl(id);
      expect(ttl).toBeGreaterThan(RETENTION - 5000);
      expect(ttl).toBeLessThanOrEqual(RETENTION);
    }
  });

  it('keeps at least retention while the worker runs', async () => {
    const { id } = await store.create(newRequest());
    await store.approve(id, 'UAPP0', T0 + 1);
    await redis.pexpire(`${prefix}request:${id}`, 1000);
    await store.transition(id, ['approved'], 'running');
    expect(await pttl(id)).toBeGreaterThan(RETENTION - 5000);
  });
});

describe('recent index', () => {
  const batchRequest = (): NewRequest => ({
    ...newRequest({ action: 'deactivate' }),
    changes: undefined,
    target: undefined,
    batch: {
      targets: [{ id: '0c5b7a8e-1111-4222-8333-444455556666', status: 'active', isOwner: false }],
      excluded: [],
      duplicates: 0,
    },
  });
  const created = async (n: number) => {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) ids.push((await store.create(newRequest())).id);
    return ids;
  };
  const recent = async (limit?: number) => (await store.listRecent(limit)).map((r) => [r.id, r.state]);

  it('lists every kind of finished request, the last finished first, and no open one', async () => {
    const [open = '', rejected = '', cancelled = '', expired = '', succeeded = '', failed = ''] =
      await created(6);
    const stopped = (await store.create(batchRequest())).id;
    expect(await store.listRecent()).toEqual([]);

    await store.reject(rejected, 'UAPP0', 'no', T0 + 1);
    await store.cancel(cancelled, 'UREQ', T0 + 1);
    await store.expire(expired, T0 + TTL);
    for (const id of [succeeded, failed, stopped, open]) await store.approve(id, 'UAPP0', T0 + 1);
    await store.transition(open, ['approved'], 'running');
    await store.transition(failed, ['approved'], 'failed', { outcome: { ...outcome, ok: false } });
    await store.stop(stopped, 'UAPP0', T0 + 2);
    await store.transition(succeeded, ['approved'], 'succeeded', { outcome });

    expect(await recent()).toEqual([
      [succeeded, 'succeeded'],
      [stopped, 'stopped'],
      [failed, 'failed'],
      [expired, 'expired'],
      [cancelled, 'cancelled'],
      [rejected, 'rejected'],
    ]);
    expect(await recent(2)).toEqual([
      [succeeded, 'succeeded'],
      [stopped, 'stopped'],
    ]);
    expect((await store.listRecent(1))[0]).toEqual(await store.get(succeeded));
  });

  it('keeps the order of finishing when requests finish within the same millisecond', async () => {
    const ids = await created(20);
    for (const id of ids) await store.cancel(id, 'UREQ', T0 + 1);
    expect((await store.listRecent()).map((r) => r.id)).toEqual([...ids].reverse());
  });

  it('skips and drops requests whose record expired from Redis, and ones deleted', async () => {
    const [gone = '', deleted = '', kept = ''] = await created(3);
    for (const id of [gone, deleted, kept]) await store.cancel(id, 'UREQ', T0 + 1);
    await redis.del(`${prefix}request:${gone}`);
    await store.delete(deleted);
    expect(await recent()).toEqual([[kept, 'cancelled']]);
    expect(await redis.zrange(`${prefix}requests:recent`, 0, -1)).toEqual([kept]);
  });

  it(`stays bounded: the ${RECENT_KEPT} last finished`, async () => {
    const ids = await created(RECENT_KEPT + 1);
    for (const id of ids) await store.cancel(id, 'UREQ', T0 + 1);
    expect(await redis.zcard(`${prefix}requests:recent`)).toBe(RECENT_KEPT);
    expect((await store.listRecent(1000)).map((r) => r.id)).toEqual(ids.slice(1).reverse());
  });

  it('is written by the transition itself: a refused transition adds nothing', async () => {
    const [id = ''] = await created(1);
    await store.cancel(id, 'UAPP0', T0 + 1);
    await store.transition(id, ['approved'], 'failed', { outcome });
    expect(await store.listRecent()).toEqual([]);
    expect(await redis.exists(`${prefix}requests:recent`)).toBe(0);
  });
});

describe('batch users', () => {
  const users = ['0c5b7a8e-1111-4222-8333-444455556661', '0c5b7a8e-1111-4222-8333-444455556662'];
  const batch = (): NewRequest => ({
    ...newRequest({ action: 'delete' }),
    changes: undefined,
    target: undefined,
    batch: {
      targets: users.map((id, i) => ({ id, firstName: `User ${i}`, status: 'active', isOwner: false })),
      excluded: [],
      duplicates: 0,
    },
  });

  it("gives one user's snapshot with the request's state and action, from its own field", async () => {
    const { id } = await store.create(batch());
    expect(await store.batchItem(id, users[1] as string)).toEqual({
      state: 'pending',
      action: 'delete',
      target: { id: users[1], firstName: 'User 1', status: 'active', isOwner: false },
    });
    expect(await store.batchItem(id, '0c5b7a8e-1111-4222-8333-000000000000')).toBeUndefined();
    expect(await store.batchItem('rnotthere0000000', users[0] as string)).toBeUndefined();
    // Kept as long as the record at least, and removed with it.
    expect(await redis.pttl(`${prefix}request:${id}:targets`)).toBeGreaterThanOrEqual(
      await redis.pttl(`${prefix}request:${id}`),
    );
    await store.delete(id);
    expect(await redis.exists(`${prefix}request:${id}:targets`)).toBe(0);
  });

  it('falls back to the record when the per-user field is missing (a batch stored before it existed)', async () => {
    const { id } = await store.create(batch());
    await redis.del(`${prefix}request:${id}:targets`);
    expect((await store.batchItem(id, users[0] as string))?.target.firstName).toBe('User 0');
  });
});
