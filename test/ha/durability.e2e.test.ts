import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ACTION_IDS, BLOCK_IDS, CALLBACK_IDS } from '../../src/blocks/ids.js';
import type { User } from '../../src/cipherscale/schemas.js';
import { Keys } from '../../src/keys.js';
import type { SlackCall } from '../fakes/slack/server.js';
import { visibleText } from '../helpers/blocks-text.js';
import {
  approvalPosted,
  approveBy,
  makeRequest,
  mark,
  type PostedRequest,
  submit,
  threadNotes,
  viewShown,
} from '../helpers/flows.js';
import { APPROVERS, type Harness, startHarness } from '../helpers/harness.js';
import { makeUsers } from '../helpers/make-users.js';
import { until } from '../helpers/poll.js';
import { type RedisServer, startRedisServer } from '../helpers/redis-server.js';

// A primary and a replica of the test's own, the app on the primary (REDIS_WAIT_REPLICAS auto): what the
// requester and the approver are told is on the replica first; a replica that does not answer slows an
// action by REDIS_WAIT_MS at most and is said in the log and the metrics; and a run that finds the change
// its own lost attempt made reports it as done, not as "already".
const [A] = APPROVERS;
const WAIT_MS = '300';
const METRICS_TOKEN = 'durability-scrape-token';

let primary: RedisServer;
let replica: RedisServer;
let primaryRedis: Redis;
let replicaRedis: Redis;
let replicaPid: number;
let h: Harness;
/** Runs at the moment the app asks Slack to post or update a channel message (before Slack answers). */
let onTold: ((call: SlackCall) => Promise<void> | void) | undefined;

const portOf = (url: string) => Number(new URL(url).port);

beforeAll(async () => {
  primary = await startRedisServer(['--repl-diskless-sync-delay', '0']);
  replica = await startRedisServer([
    '--replicaof',
    '127.0.0.1',
    String(portOf(primary.url)),
    '--repl-diskless-sync-delay',
    '0',
  ]);
  primaryRedis = new Redis(primary.url);
  replicaRedis = new Redis(replica.url);
  await until(
    'the replica to be in sync',
    () => replicaRedis.info('replication'),
    (info) => /master_link_status:up/.test(info),
  );
  replicaPid = Number(/process_id:(\d+)/.exec(await replicaRedis.info('server'))?.[1]);
  h = await startHarness({
    processBeforeResponse: true,
    env: { REDIS_URL: primary.url, REDIS_WAIT_MS: WAIT_MS, METRICS_TOKEN },
  });
  // The moment the requester or the approver is told: the request's message posted or updated.
  h.slack.addGate(async (call) => {
    const channelMessage =
      (call.method === 'chat.postMessage' || call.method === 'chat.update') &&
      call.args.thread_ts === undefined;
    if (channelMessage) await onTold?.(call);
    return undefined;
  });
});
afterAll(async () => {
  await h?.close();
  primaryRedis?.disconnect();
  replicaRedis?.disconnect();
  await replica?.stop();
  await primary?.stop();
});
beforeEach(() => {
  h.slack.reset();
  h.cipher.reset();
  onTold = undefined;
});

const keys = () => new Keys(h.config.redis.prefix);
const key = (id: string) => keys().request(id);

/** The request whose Approve button a posted message carries. */
function approveValue(call: SlackCall): string | undefined {
  const blocks = (call.args.blocks ?? []) as Array<{
    elements?: Array<{ action_id?: string; value?: string }>;
  }>;
  for (const block of blocks)
    for (const element of block.elements ?? [])
      if (element.action_id === ACTION_IDS.approve) return element.value;
  return undefined;
}

const lines = () => h.logs.map((l) => JSON.parse(l) as Record<string, unknown>);
const unconfirmed = (requestId: string, moment: string) =>
  lines().filter((l) => l.requestId === requestId && l.moment === moment && l.acked === 0);

async function unreplicated(moment: string): Promise<number> {
  const res = await fetch(`${h.baseUrl}/metrics`, { headers: { Authorization: `Bearer ${METRICS_TOKEN}` } });
  const text = await res.text();
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`cipher_user_redis_unreplicated_total{moment="${moment}"}`));
  return Number(line?.split(' ')[1] ?? 0);
}

const waitCalls = async (redis: Redis) =>
  Number(/cmdstat_wait:calls=(\d+)/.exec(await redis.info('commandstats'))?.[1] ?? 0);

const settled = (requestId: string, state: string) =>
  until(
    `${requestId} to be ${state} with its outcome posted`,
    () => h.runtime.ctx.store.get(requestId),
    (r) => r?.state === state && r.outcomePosted === true,
    15_000,
  );

function addUsers(count: number, tag: string): User[] {
  const users = makeUsers(count, tag);
  for (const user of users) h.cipher.setUser(user);
  return users;
}

async function bulkDeactivate(users: readonly User[]): Promise<PostedRequest> {
  const start = mark(h);
  await h.command(`deactivate ${users.map((u) => u.id).join(' ')} -- durability drill`);
  const review = await viewShown(h, CALLBACK_IDS.bulkReview, start);
  expect((await submit(h, review, {})).text).toBe('');
  return approvalPosted(h, start);
}

describe('WAIT at the moments that matter', () => {
  it('a created request and a reached quorum are on the replica before the requester and the approver are told', async () => {
    const [user] = addUsers(1, 'aaaaaaa1') as [User];
    const before = await waitCalls(primaryRedis);
    // What the replica held each time Slack was asked to show this request: its message, then its updates.
    let request: PostedRequest | undefined;
    const onReplica: Record<string, string>[] = [];
    onTold = async (call) => {
      const id = approveValue(call) ?? (call.args.ts === request?.ts ? request?.requestId : undefined);
      if (id) onReplica.push(await replicaRedis.hgetall(key(id)));
    };

    request = await makeRequest(h, 'deactivate', user.id);
    const posted = request;
    expect(onReplica[0]?.state).toBe('pending');
    // Read right after the requester's submission was answered.
    expect(await replicaRedis.hget(key(posted.requestId), 'state')).toBe('pending');

    expect(await approveBy(h, posted, A)).toMatchObject({ status: 200 });
    // The message's first update after the quorum click found the quorum on the replica (and the request
    // moved on from pending: by then the worker may have run it too).
    expect(onReplica[1]?.[`approval:${A}`]).toBeDefined();
    expect(onReplica[1]?.state).not.toBe('pending');
    expect(await replicaRedis.hget(key(posted.requestId), `approval:${A}`)).toBeDefined();

    await settled(posted.requestId, 'succeeded');
    expect(h.cipher.callsTo('deactivateUser', user.id)).toHaveLength(1);
    // One WAIT each: the new request, the quorum, the change about to be sent.
    expect((await waitCalls(primaryRedis)) - before).toBeGreaterThanOrEqual(3);
    expect(unconfirmed(posted.requestId, 'request-created')).toEqual([]);
  });

  it('with the replica stopped, the request, the quorum and the change still go through; the log and the metric say what was not confirmed', async () => {
    const [user] = addUsers(1, 'aaaaaaa2') as [User];
    const counted = {
      created: await unreplicated('request-created'),
      quorum: await unreplicated('quorum-reached'),
      attempt: await unreplicated('change-attempted'),
    };
    // How many log lines there were when the requester's message, then the approver's update, were about to go out.
    let requesterTold: number | undefined;
    let approverTold: number | undefined;
    let shown: PostedRequest | undefined;
    onTold = (call) => {
      if (requesterTold === undefined && approveValue(call)) requesterTold = h.logs.length;
      if (approverTold === undefined && shown && call.args.ts === shown.ts) approverTold = h.logs.length;
    };
    process.kill(replicaPid, 'SIGSTOP');
    let posted: PostedRequest;
    try {
      posted = await makeRequest(h, 'deactivate', user.id);
      const created = unconfirmed(posted.requestId, 'request-created');
      expect(created).toHaveLength(1);
      expect(String(created[0]?.msg)).toMatch(/the new request is not confirmed on a replica \(0 of 1/);
      shown = posted;
      expect(await approveBy(h, posted, A)).toMatchObject({ status: 200 });
      expect(unconfirmed(posted.requestId, 'quorum-reached')).toHaveLength(1);
      await settled(posted.requestId, 'succeeded');
    } finally {
      process.kill(replicaPid, 'SIGCONT');
    }
    expect(h.cipher.callsTo('deactivateUser', user.id)).toHaveLength(1);
    const attempt = unconfirmed(posted.requestId, 'change-attempted');
    expect(attempt).toEqual([expect.objectContaining({ targetId: user.id, wanted: 1, waitMs: 300 })]);
    expect(await unreplicated('request-created')).toBe(counted.created + 1);
    expect(await unreplicated('quorum-reached')).toBe(counted.quorum + 1);
    expect(await unreplicated('change-attempted')).toBe(counted.attempt + 1);
    // Each warning was written before Slack was asked to show what it is about.
    const warned = (moment: string) =>
      h.logs.findIndex((l) => l.includes(`"moment":"${moment}"`) && l.includes(posted.requestId));
    expect(warned('request-created')).toBeGreaterThanOrEqual(0);
    expect(warned('request-created')).toBeLessThan(requesterTold ?? 0);
    expect(warned('quorum-reached')).toBeGreaterThanOrEqual(0);
    expect(warned('quorum-reached')).toBeLessThan(approverTold ?? 0);
    await until(
      'the replica to be back in sync',
      () => replicaRedis.hget(key(posted.requestId), 'state'),
      (state) => state === 'succeeded',
    );
  });
});

describe('REDIS_WAIT_REPLICAS=0', () => {
  it('sends no WAIT at all, and the flow runs as usual', async () => {
    const other = await startHarness({
      processBeforeResponse: true,
      env: { REDIS_URL: primary.url, REDIS_WAIT_REPLICAS: '0' },
    });
    try {
      const [user] = makeUsers(1, 'aaaaaaa3') as [User];
      other.cipher.setUser(user);
      await primaryRedis.config('RESETSTAT');
      const posted = await makeRequest(other, 'deactivate', user.id);
      await approveBy(other, posted, A);
      await until(
        'the request to succeed',
        () => other.runtime.ctx.store.get(posted.requestId),
        (r) => r?.state === 'succeeded',
      );
      expect(other.cipher.callsTo('deactivateUser', user.id)).toHaveLength(1);
      expect(await waitCalls(primaryRedis)).toBe(0);
    } finally {
      await other.close();
    }
  });
});

describe('exactly once after a lost outcome', () => {
  /** The change reaches Cipherscale and takes, but its answer is lost (as an outcome lost with a primary). */
  function loseAnswerOfDeactivate(user: User): void {
    h.cipher.script([{ status: 503, latencyMs: 400 }], { operation: 'deactivateUser', userId: user.id });
    void h.cipher
      .waitForCalls((c) => c.operation === 'deactivateUser' && c.userId === user.id, { timeoutMs: 15_000 })
      .then(() => h.cipher.setUser({ ...user, status: 'inactive' }));
  }

  it('a deactivation whose first answer was lost is reported deactivated, with one call at Cipherscale', async () => {
    const [user] = addUsers(1, 'bbbbbbb1') as [User];
    loseAnswerOfDeactivate(user);
    const posted = await makeRequest(h, 'deactivate', user.id);
    await approveBy(h, posted, A);

    const done = await settled(posted.requestId, 'succeeded');
    expect(h.cipher.callsTo('deactivateUser', user.id)).toHaveLength(1);
    expect(done?.outcome).toMatchObject({ ok: true, code: 'done' });
    expect(done?.outcome?.summary).toMatch(
      /^Deactivated\. \(Confirmed on re-reading the user after a retry\.\)/,
    );
    const note = threadNotes(h, posted)
      .map((c) => visibleText(c.args.blocks))
      .join('\n');
    expect(note).toMatch(/Deactivated/);
    expect(note).not.toMatch(/already deactivated/);
  });

  it('an edit whose answer was lost is reported updated, not "changed since requested", with one PUT', async () => {
    const [user] = addUsers(1, 'bbbbbbb4') as [User];
    h.cipher.script([{ status: 503, latencyMs: 400 }], { operation: 'updateUser', userId: user.id });
    void h.cipher
      .waitForCalls((c) => c.operation === 'updateUser' && c.userId === user.id, { timeoutMs: 15_000 })
      .then(() => h.cipher.setUser({ ...user, lastName: 'Dupont' }));
    const posted = await makeRequest(h, 'edit', user.id, { [BLOCK_IDS.lastName]: 'Dupont' });
    await approveBy(h, posted, A);

    const done = await settled(posted.requestId, 'succeeded');
    expect(h.cipher.callsTo('updateUser', user.id)).toHaveLength(1);
    expect(done?.outcome).toMatchObject({ ok: true, code: 'done' });
    expect(done?.outcome?.summary).toBe('Profile updated. (Confirmed on re-reading the user after a retry.)');
  });

  it('a batch user whose answer was lost counts as deactivated in the summary, one call per user', async () => {
    const users = addUsers(3, 'bbbbbbb2');
    loseAnswerOfDeactivate(users[1] as User);
    const posted = await bulkDeactivate(users);
    await approveBy(h, posted, A);

    await settled(posted.requestId, 'succeeded');
    for (const user of users) expect(h.cipher.callsTo('deactivateUser', user.id)).toHaveLength(1);
    const results = await h.runtime.ctx.store.itemResults(posted.requestId);
    expect(results.get(users[1]?.id ?? '')).toMatchObject({ ok: true, code: 'done' });
    // The progress reply in the thread, updated in place until it says the batch finished.
    const replies = new Set(threadNotes(h, posted).map((c) => c.response?.ts));
    const summary = h.slack
      .callsTo('chat.update')
      .filter((c) => replies.has(c.args.ts as string))
      .map((c) => visibleText(c.args.blocks))
      .filter((t) => /Finished/.test(t))
      .at(-1);
    expect(summary).toMatch(/3\/3 done/);
    expect(summary).not.toMatch(/already inactive/);
  });

  it('without an attempt of its own (someone else deactivated the user, another request left a marker) it stays "already deactivated"', async () => {
    const [user] = addUsers(1, 'bbbbbbb3') as [User];
    // An earlier request deactivated them (its own marker), then they were reactivated.
    const earlier = await makeRequest(h, 'deactivate', user.id);
    await approveBy(h, earlier, A);
    await settled(earlier.requestId, 'succeeded');
    h.cipher.setUser({ ...user, status: 'active' });

    const posted = await makeRequest(h, 'deactivate', user.id);
    // Someone deactivates them in Cipherscale meanwhile, and the earlier request's marker is copied over.
    h.cipher.setUser({ ...user, status: 'inactive' });
    const attempted = keys().attempted(earlier.requestId);
    const marker = await primaryRedis.hget(attempted, user.id);
    expect(marker).toMatch(new RegExp(`^${earlier.requestId}:\\d+$`));
    await primaryRedis.hset(keys().attempted(posted.requestId), user.id, marker ?? '');
    await approveBy(h, posted, A);

    const done = await settled(posted.requestId, 'succeeded');
    expect(done?.outcome).toMatchObject({ ok: true, code: 'noop' });
    expect(done?.outcome?.summary).toBe('The user was already deactivated: nothing to do.');
    expect(h.cipher.callsTo('deactivateUser', user.id)).toHaveLength(1);
  });
});
