import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { CorruptRequestError, type NewRequest, RequestStore } from '../../src/approvals/store/store.js';
import type { Needs } from '../../src/policy/needs.js';

// approve-9.lua with a request's `needs`: the workflow's judgement holds for one version only, the credits
// are stored with the approval, and the quorum needs the judgement's `reaches`. Without needs: as before.

const T0 = 1_760_000_000_000;
const needs: Needs = {
  quorum: 2,
  require: [{ rule: 'vault', count: 2, from: { users: [], groups: [{ id: 'SLEADS' }] } }],
  rules: [{ name: 'vault', why: 'the user has role Vault Keeper' }],
};

let redis: Redis;
let prefix: string;
let store: RequestStore;

beforeEach(() => {
  redis = new Redis(inject('redisUrl'));
  prefix = `test-${randomUUID()}:`;
  store = new RequestStore({ redis, prefix, retentionMs: 3_600_000 });
});
afterEach(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  await redis.quit();
});

async function created(withNeeds: boolean) {
  const request: NewRequest = {
    id: store.newId(),
    action: 'deactivate',
    target: { id: '9b2f6c1e-3a4d-4e5f-8a7b-0c1d2e3f4a5b', status: 'active', isOwner: false },
    reason: 'offboarding',
    requesterId: 'UREQ',
    channelId: 'CSEC',
    requiredApprovals: 2,
    ...(withNeeds ? { needs } : {}),
    createdAt: T0,
    expiresAt: T0 + 60_000,
  };
  return store.create(request);
}

describe('approve with needs', () => {
  it('refuses a judgement made on an older version, stores credits, and needs `reaches` for the quorum', async () => {
    const request = await created(true);
    const first = await store.approve(request.id, 'UA', T0 + 1, {
      groups: ['SLEADS'],
      expectVersion: request.version,
      reaches: false,
    });
    expect(first.outcome).toBe('counted');
    // Judged on the version before UA's approval: refused, nothing written.
    const stale = await store.approve(request.id, 'UB', T0 + 2, {
      groups: ['SLEADS'],
      expectVersion: request.version,
      reaches: false,
    });
    expect(stale.outcome).toBe('conflict');
    const now = await store.get(request.id);
    expect(now?.approvals).toEqual([{ userId: 'UA', at: T0 + 1, groups: ['SLEADS'] }]);

    // The count reaches 2 but the judgement says the needs are not met: still pending.
    const notYet = await store.approve(request.id, 'UC', T0 + 3, {
      groups: [],
      expectVersion: now?.version ?? 0,
      reaches: false,
    });
    expect(notYet.outcome).toBe('counted');
    expect(notYet.outcome !== 'not_found' && notYet.request.state).toBe('pending');
  });

  it('an approval judged to reach everything moves it to approved', async () => {
    const request = await created(true);
    await store.approve(request.id, 'UA', T0 + 1, { groups: ['SLEADS'], expectVersion: 1, reaches: false });
    const second = await store.approve(request.id, 'UB', T0 + 2, {
      groups: ['SLEADS', 'not a group id!', 'S,EVIL'],
      expectVersion: 2,
      reaches: true,
    });
    expect(second.outcome).toBe('quorum');
    // Credits that are not group ids never reach Redis.
    const stored = await redis.hget(`${prefix}request:${request.id}`, 'approval:UB');
    expect(stored).toBe(`2:${T0 + 2}:SLEADS`);
  });

  it('without needs the judgement is ignored: the count alone is the quorum, as before rules', async () => {
    const request = await created(false);
    await store.approve(request.id, 'UA', T0 + 1, { groups: ['SLEADS'], expectVersion: 99, reaches: false });
    const second = await store.approve(request.id, 'UB', T0 + 2);
    expect(second.outcome).toBe('quorum');
    expect(await redis.hget(`${prefix}request:${request.id}`, 'approval:UA')).toBe(`1:${T0 + 1}`);
  });

  it('a stored approval value outside the parse is a corrupt record, not a credit', async () => {
    const request = await created(true);
    await redis.hset(`${prefix}request:${request.id}`, 'approval:UX', `1:${T0}:SLEADS;DROP`);
    await expect(store.get(request.id)).rejects.toThrow(CorruptRequestError);
  });
});
