import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { type CreateResult, type NewRequest, RequestStore } from '../../src/approvals/store/store.js';
import type { Action, TargetSnapshot } from '../../src/approvals/types.js';
import { until } from '../helpers/poll.js';

// One open request per (action, target) and a cap of open requests per requester, held in Redis by
// the create script (issue 11, point 8).

const T0 = 1_760_000_000_000;
const TTL = 60_000;
const RETENTION = 3_600_000;
const ALICE = '9b2f6c1e-3a4d-4e5f-8a7b-0c1d2e3f4a5b';
const LIMITS = { maxOpenPerRequester: 10 };

let redis: Redis;
let other: Redis;
let prefix: string;
let store: RequestStore;

beforeEach(() => {
  redis = new Redis(inject('redisUrl'));
  other = new Redis(inject('redisUrl'));
  prefix = `test-${randomUUID()}:`;
  store = new RequestStore({ redis, prefix, retentionMs: RETENTION });
});

afterEach(async () => {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
  await Promise.all([redis.quit(), other.quit()]);
});

const user = (id: string): TargetSnapshot => ({ id, firstName: 'Alice', status: 'active', isOwner: false });

function single(action: Action, targetId = ALICE, requesterId = 'UREQ'): NewRequest {
  return {
    id: store.newId(),
    action,
    target: user(targetId),
    ...(action === 'edit' ? { changes: { firstName: 'Alicia' } } : {}),
    reason: 'offboarding',
    requesterId,
    channelId: 'CSEC',
    requiredApprovals: 1,
    createdAt: T0,
    expiresAt: T0 + TTL,
  };
}

function batch(action: 'deactivate' | 'delete', ids: string[], requesterId = 'UREQ'): NewRequest {
  return {
    id: store.newId(),
    action,
    batch: { targets: ids.map(user), excluded: [], duplicates: 0 },
    reason: 'incident',
    requesterId,
    channelId: 'CSEC',
    requiredApprovals: 1,
    createdAt: T0,
    expiresAt: T0 + TTL,
  };
}

async function created(result: Promise<CreateResult>): Promise<string> {
  const r = await result;
  if (r.outcome !== 'created') throw new Error(`refused: ${JSON.stringify(r)}`);
  return r.request.id;
}

const uuid = () => randomUUID();

describe('one open request per action and target', () => {
  it('refuses a second request for the same action and user, naming the open one', async () => {
    const first = await created(store.tryCreate(single('deactivate'), LIMITS));
    const second = await store.tryCreate(single('deactivate', ALICE, 'UOTHER'), LIMITS);
    expect(second).toEqual({ outcome: 'already_open', open: [{ targetId: ALICE, requestId: first }] });
    expect(await store.listOpen()).toHaveLength(1);
  });

  it('the same UUID in capitals is the same user', async () => {
    const first = await created(store.tryCreate(single('delete', ALICE.toUpperCase()), LIMITS));
    const second = await store.tryCreate(single('delete', ` ${ALICE} `), LIMITS);
    expect(second).toMatchObject({ outcome: 'already_open', open: [{ requestId: first }] });
    expect((await store.openFor('delete', [ALICE.toUpperCase()])).get(ALICE)?.id).toBe(first);
  });

  it('another action on the same user, or the same action on another user, is allowed', async () => {
    await created(store.tryCreate(single('deactivate'), LIMITS));
    await created(store.tryCreate(single('delete'), LIMITS));
    await created(store.tryCreate(single('edit'), LIMITS));
    await created(store.tryCreate(single('deactivate', uuid()), LIMITS));
    // Any open edit of a user blocks another edit of them: two edits would conflict.
    expect((await store.tryCreate(single('edit'), LIMITS)).outcome).toBe('already_open');
  });

  it('every way out of the open states frees the user for a new request', async () => {
    const ends: Record<string, (id: string) => Promise<unknown>> = {
      rejected: (id) => store.reject(id, 'UAPP', 'no', T0 + 1),
      cancelled: (id) => store.cancel(id, 'UREQ', T0 + 1),
      'expired (expire job)': (id) => store.expire(id, T0 + TTL),
      'expired (a late click)': (id) => store.approve(id, 'UAPP', T0 + TTL + 1),
      succeeded: async (id) => {
        await store.approve(id, 'UAPP', T0 + 1);
        await store.transition(id, ['approved'], 'running');
        await store.transition(id, ['running'], 'succeeded');
      },
      'failed (from approved)': async (id) => {
        await store.approve(id, 'UAPP', T0 + 1);
        await store.transition(id, ['approved'], 'failed');
      },
      deleted: (id) => store.delete(id),
    };
    for (const [label, end] of Object.entries(ends)) {
      const target = uuid();
      const first = await created(store.tryCreate(single('deactivate', target), LIMITS));
      expect((await store.tryCreate(single('deactivate', target), LIMITS)).outcome, label).toBe(
        'already_open',
      );
      await end(first);
      // Freed in the same script, not left for the next create to find stale.
      expect(await redis.hexists(`${prefix}holds`, `deactivate:${target}`), label).toBe(0);
      expect(await redis.zscore(`${prefix}requesters:open`, `UREQ:${first}`), label).toBeNull();
      expect((await store.tryCreate(single('deactivate', target), LIMITS)).outcome, label).toBe('created');
    }
  });

  it('a request still on its way (approved, queued, running) keeps holding the user', async () => {
    const first = await created(store.tryCreate(single('deactivate'), LIMITS));
    await store.approve(first, 'UAPP', T0 + 1);
    for (const [from, to] of [
      [undefined, 'approved'],
      ['approved', 'queued'],
      ['queued', 'running'],
    ] as const) {
      if (from) await store.transition(first, [from], to);
      expect((await store.get(first))?.state).toBe(to);
      expect((await store.tryCreate(single('deactivate'), LIMITS)).outcome, to).toBe('already_open');
    }
  });

  it('a hold whose request expired by TTL, or was finished without freeing it, does not block', async () => {
    const gone = await created(store.tryCreate(single('deactivate'), LIMITS));
    await redis.pexpire(`${prefix}request:${gone}`, 1);
    await until(
      'the record to expire',
      () => redis.exists(`${prefix}request:${gone}`),
      (n) => n === 0,
    );
    expect(await redis.hget(`${prefix}holds`, `deactivate:${ALICE}`)).toBe(gone);
    const next = await created(store.tryCreate(single('deactivate'), LIMITS));
    expect(await redis.hget(`${prefix}holds`, `deactivate:${ALICE}`)).toBe(next);

    // A path that forgot the hold (a sweeper writing the state itself): terminal means free.
    await redis.hset(`${prefix}request:${next}`, 'state', 'expired');
    expect((await store.openFor('deactivate', [ALICE])).size).toBe(0);
    expect((await store.tryCreate(single('deactivate'), LIMITS)).outcome).toBe('created');
  });

  it('the holds live at least as long as the request they point at', async () => {
    const id = await created(store.tryCreate(single('deactivate'), LIMITS));
    expect(await redis.pttl(`${prefix}request:${id}`)).toBeGreaterThan(0);
    // One hash and one set for every request, with no TTL: a hold goes only when its request ends.
    expect(await redis.hget(`${prefix}holds`, `deactivate:${ALICE}`)).toBe(id);
    expect(await redis.pttl(`${prefix}holds`)).toBe(-1);
    expect(await redis.zscore(`${prefix}requesters:open`, `UREQ:${id}`)).not.toBeNull();
    expect(await redis.pttl(`${prefix}requesters:open`)).toBe(-1);
  });

  it('20 parallel creates for one user on two connections: exactly one, 19 refusals naming it', async () => {
    const stores = [store, new RequestStore({ redis: other, prefix, retentionMs: RETENTION })];
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (stores[i % 2] as RequestStore).tryCreate(single('deactivate', ALICE, `U${i}`), LIMITS),
      ),
    );
    const made = results.flatMap((r) => (r.outcome === 'created' ? [r.request.id] : []));
    expect(made).toHaveLength(1);
    const refused = results.filter((r) => r.outcome === 'already_open');
    expect(refused).toHaveLength(19);
    for (const r of refused) expect(r).toMatchObject({ open: [{ targetId: ALICE, requestId: made[0] }] });
    expect((await store.listOpen()).map((r) => r.id)).toEqual(made);
  });
});

describe('bulk requests hold each of their users', () => {
  it('a single deactivate of a user in an open bulk deactivate is refused; a delete is not', async () => {
    const [a, b, c] = [uuid(), uuid(), uuid()];
    const bulk = await created(store.tryCreate(batch('deactivate', [a, b]), LIMITS));
    expect(await store.tryCreate(single('deactivate', b), LIMITS)).toEqual({
      outcome: 'already_open',
      open: [{ targetId: b, requestId: bulk }],
    });
    expect((await store.tryCreate(single('delete', b), LIMITS)).outcome).toBe('created');
    // A bulk request overlapping the open one is refused whole, naming every user that collides.
    const overlap = await store.tryCreate(batch('deactivate', [c, a, b]), LIMITS);
    expect(overlap).toEqual({
      outcome: 'already_open',
      open: [
        { targetId: a, requestId: bulk },
        { targetId: b, requestId: bulk },
      ],
    });
    expect(await redis.hexists(`${prefix}holds`, `deactivate:${c}`)).toBe(0);
  });

  it('a stopped batch frees all of its users', async () => {
    const ids = [uuid(), uuid(), uuid()];
    const bulk = await created(store.tryCreate(batch('deactivate', ids), LIMITS));
    await store.approve(bulk, 'UAPP', T0 + 1);
    expect((await store.stop(bulk, 'UAPP', T0 + 2)).outcome).toBe('stopped');
    for (const id of ids)
      expect((await store.tryCreate(single('deactivate', id), LIMITS)).outcome).toBe('created');
  });
});

describe('open requests per requester', () => {
  it('cap N and N+5 parallel creates (two connections): exactly N, the rest told the count and the cap', async () => {
    const cap = { maxOpenPerRequester: 4 };
    const stores = [store, new RequestStore({ redis: other, prefix, retentionMs: RETENTION })];
    const results = await Promise.all(
      Array.from({ length: 9 }, (_, i) =>
        (stores[i % 2] as RequestStore).tryCreate(single('deactivate', uuid()), cap),
      ),
    );
    expect(results.filter((r) => r.outcome === 'created')).toHaveLength(4);
    const refused = results.filter((r) => r.outcome === 'requester_cap');
    expect(refused).toHaveLength(5);
    for (const r of refused) expect(r).toEqual({ outcome: 'requester_cap', open: 4, cap: 4 });
    // Someone else is not held back by it.
    expect((await store.tryCreate(single('deactivate', uuid(), 'UOTHER'), cap)).outcome).toBe('created');
  });

  it('a finished request, or one gone by TTL, no longer counts', async () => {
    const cap = { maxOpenPerRequester: 2 };
    const a = await created(store.tryCreate(single('deactivate', uuid()), cap));
    const b = await created(store.tryCreate(single('deactivate', uuid()), cap));
    expect((await store.tryCreate(single('deactivate', uuid()), cap)).outcome).toBe('requester_cap');
    await store.cancel(a, 'UREQ', T0 + 1);
    const c = await created(store.tryCreate(single('deactivate', uuid()), cap));
    expect((await store.tryCreate(single('deactivate', uuid()), cap)).outcome).toBe('requester_cap');
    await redis.del(`${prefix}request:${b}`);
    expect((await store.tryCreate(single('deactivate', uuid()), cap)).outcome).toBe('created');
    expect(await redis.zrangebylex(`${prefix}requesters:open`, '[UREQ:', '(UREQ;')).toHaveLength(2);
    expect(await redis.zscore(`${prefix}requesters:open`, `UREQ:${c}`)).not.toBeNull();
  });

  it('a bulk request is one request against the cap', async () => {
    const cap = { maxOpenPerRequester: 2 };
    await created(store.tryCreate(batch('delete', [uuid(), uuid(), uuid()]), cap));
    await created(store.tryCreate(single('delete', uuid()), cap));
    expect((await store.tryCreate(batch('delete', [uuid()]), cap)).outcome).toBe('requester_cap');
  });
});
