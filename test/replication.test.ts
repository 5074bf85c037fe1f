import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { RequestStore } from '../src/approvals/store/store.js';
import { Workflow, type WorkflowDeps } from '../src/approvals/workflow/index.js';
import { Keys } from '../src/keys.js';
import { createLogger } from '../src/logger.js';
import { type DurableMoment, Replication } from '../src/replication.js';

// The test Redis has no replica: a WAIT for one comes back short after its timeout.
const RETENTION = 3_600_000;
const PASSWORD = 'never-in-a-log-4711';

let redis: Redis;
let prefix: string;
let store: RequestStore;
let lines: string[];

beforeEach(() => {
  redis = new Redis(inject('redisUrl'));
  prefix = `test-${randomUUID()}:`;
  store = new RequestStore({ redis, prefix, retentionMs: RETENTION });
  lines = [];
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

function logger() {
  return createLogger({
    level: 'debug',
    secrets: [PASSWORD],
    format: 'json',
    destination: new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    }),
  });
}
const logged = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>);

function replication(replicas: 'auto' | number, on: Redis = redis, short: DurableMoment[] = []) {
  return new Replication(on, {
    replicas,
    timeoutMs: 20,
    slotKey: new Keys(prefix).sweeperLock,
    logger: logger(),
    onShort: (moment) => short.push(moment),
  });
}

describe('Replication.confirm', () => {
  it('a WAIT no replica acknowledges goes on, warns with what was not confirmed, and counts it', async () => {
    const short: DurableMoment[] = [];
    const answer = await replication(1, redis, short).confirm('quorum-reached', { requestId: 'rabc' });
    expect(answer).toEqual({ wanted: 1, acked: 0 });
    expect(short).toEqual(['quorum-reached']);
    expect(logged()).toEqual([
      expect.objectContaining({
        level: 'warn',
        moment: 'quorum-reached',
        requestId: 'rabc',
        msg: expect.stringMatching(/^Redis: the reached quorum is not confirmed on a replica \(0 of 1/),
      }),
    ]);
  });

  it('auto, with no replica connected to the primary: no WAIT, nothing to warn about', async () => {
    const short: DurableMoment[] = [];
    expect(await replication('auto', redis, short).confirm('request-created')).toEqual({
      wanted: 0,
      acked: 0,
    });
    expect(short).toEqual([]);
    expect(lines).toEqual([]);
  });

  it('a Redis that refuses WAIT (an ACL without it answers NOPERM, as Memorystore Cluster does): said once, not asked again', async () => {
    const user = `test-nowait-${randomUUID()}`;
    await redis.call('ACL', 'SETUSER', user, 'on', `>${PASSWORD}`, '~*', '+@all', '-wait');
    const limited = new Redis(inject('redisUrl'), { username: user, password: PASSWORD });
    try {
      const short: DurableMoment[] = [];
      const refused = replication(1, limited, short);
      expect(await refused.confirm('request-created')).toEqual({ wanted: 0, acked: 0 });
      expect(await refused.confirm('quorum-reached')).toEqual({ wanted: 0, acked: 0 });
      expect(short).toEqual([]);
      const warnings = logged().filter((l) => l.level === 'warn');
      expect(warnings).toEqual([
        expect.objectContaining({ msg: 'Redis refuses WAIT: writes are not confirmed on a replica' }),
      ]);
      expect(lines.join('')).not.toContain(PASSWORD);
      // Asked once: the second confirm sent no WAIT (the ACL log counts each refused call of the user).
      const denied = (await redis.call('ACL', 'LOG')) as unknown[][];
      const mine = denied.filter((entry) => entry.includes(user));
      expect(mine.map((entry) => entry[entry.indexOf('count') + 1])).toEqual([1]);
    } finally {
      limited.disconnect();
      await redis.call('ACL', 'DELUSER', user);
    }
  });
});

describe('the workflow when the confirmation fails', () => {
  it('a request Redis stored is still created when its WAIT fails; the log says so, without secrets', async () => {
    // The confirmation's connection is gone (a failover in progress); the store's still works.
    const gone = new Redis(inject('redisUrl'), { password: PASSWORD, lazyConnect: true });
    gone.disconnect();
    const deps = {
      store,
      metrics: { transition: () => undefined },
      logger: logger(),
      now: () => 1_760_000_000_000,
      replicas: replication(1, gone),
    } as Partial<WorkflowDeps> as WorkflowDeps;
    const workflow = new Workflow(deps);
    const created = await workflow.create(
      {
        id: store.newId(),
        action: 'deactivate',
        target: { id: '9b2f6c1e-3a4d-4e5f-8a7b-0c1d2e3f4a5b', status: 'active', isOwner: false },
        changes: undefined,
        reason: 'offboarding',
        requesterId: 'UREQ',
        channelId: 'CSEC',
        requiredApprovals: 1,
        createdAt: 1_760_000_000_000,
        expiresAt: 1_760_000_060_000,
      },
      { maxOpenPerRequester: 10 },
    );
    expect(created.outcome).toBe('created');
    if (created.outcome !== 'created') return;
    expect((await store.get(created.request.id))?.state).toBe('pending');
    expect(logged()).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        requestId: created.request.id,
        moment: 'request-created',
        msg: 'Redis: could not confirm the write on a replica; going on',
      }),
    );
    expect(lines.join('')).not.toContain(PASSWORD);
  });
});

describe('attempt markers', () => {
  const USER = '9b2f6c1e-3a4d-4e5f-8a7b-0c1d2e3f4a5b';

  it("count only under the request's own key and naming that request, and live at least as long as it", async () => {
    const [mine, other] = [store.newId(), store.newId()];
    expect(await store.attempted(mine, USER)).toBe(false);
    await store.recordAttempt(other, USER, 1_760_000_000_000);
    expect(await store.attempted(other, USER)).toBe(true);
    expect(await store.attempted(mine, USER)).toBe(false);
    // Another request's marker copied under this one's key does not make its change this one's.
    const keys = new Keys(prefix);
    await redis.hset(keys.attempted(mine), USER, String(await redis.hget(keys.attempted(other), USER)));
    expect(await store.attempted(mine, USER)).toBe(false);
    await redis.hset(keys.attempted(mine), USER, `${mine}:not-a-time`);
    expect(await store.attempted(mine, USER)).toBe(false);
    expect(await redis.pttl(keys.attempted(other))).toBeGreaterThan(RETENTION - 60_000);

    await store.delete(other);
    expect(await redis.exists(keys.attempted(other))).toBe(0);
  });
});
