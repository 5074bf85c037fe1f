import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CALLBACK_IDS } from '../../src/blocks/ids.js';
import { bullKeyPrefix } from '../../src/config.js';
import { SEED_IDS } from '../fakes/cipherscale/seed.js';
import type { SlackCall } from '../fakes/slack/server.js';
import { visibleText } from '../helpers/blocks-text.js';
import {
  approvalPosted,
  approveBy,
  makeRequest,
  mark,
  outcomeNoted,
  type PostedRequest,
  submit,
  threadNotes,
  viewShown,
} from '../helpers/flows.js';
import { APPROVERS, type Harness, startHarness } from '../helpers/harness.js';
import { makeUsers } from '../helpers/make-users.js';
import { eventually, until } from '../helpers/poll.js';
import { type RedisCluster, startCluster } from '../helpers/redis-ha.js';

// The whole app on a Redis Cluster of three primaries with a replica each: single and bulk flows end to
// end, the deployment's primary failed over (CLUSTER FAILOVER on its replica) mid-flow, and every key of
// the deployment in its one slot on one node.

const [A, B] = APPROVERS;
const RATE = 40;
let cluster: RedisCluster;
let h: Harness;
/** Any key of the deployment: names its slot. */
let slotKey: string;

beforeAll(async () => {
  cluster = await startCluster();
  h = await startHarness({
    processBeforeResponse: true,
    env: { ...cluster.env, CIPHERSCALE_RATE_LIMIT_PER_SECOND: String(RATE) },
  });
  slotKey = `${h.config.redis.prefix}probe`;
}, 30_000);
afterAll(async () => {
  await h?.close();
  await cluster?.stop();
});
beforeEach(() => {
  h.slack.reset();
  h.cipher.reset();
});

/** Command → check → review → submit: the bulk request as posted for approval. */
async function bulkRequest(ids: readonly string[]) {
  const start = mark(h);
  await h.command(`deactivate ${ids.join(' ')} -- phishing wave`);
  const review = await viewShown(h, CALLBACK_IDS.bulkReview, start);
  expect((await submit(h, review, {})).text).toBe('');
  return approvalPosted(h, start);
}

/** The batch finished and its per-user report posted. */
const finishedBatch = (posted: PostedRequest) =>
  until(
    'the batch to finish and its report to be posted',
    () => h.runtime.ctx.store.get(posted.requestId),
    (request) => request?.outcomePosted === true,
    20_000,
  );

/** The live summary in the thread as it last reads. */
function lastSummary(posted: PostedRequest): string {
  const first = threadNotes(h, posted).find((c) => /users/.test(visibleText(c.args.blocks)));
  const ts = first?.response?.ts;
  const calls: SlackCall[] = first
    ? [first, ...h.slack.callsTo('chat.update').filter((c) => c.args.ts === ts)]
    : [];
  return visibleText(calls.at(-1)?.args.blocks);
}

/** A bulk deactivation approved, its users' change calls counted at the fake. */
async function expectEachOnce(ids: readonly string[], posted: PostedRequest) {
  const request = await finishedBatch(posted);
  expect(request?.state).toBe('succeeded');
  expect(request?.outcome?.failed ?? 0).toBe(0);
  const patches = h.cipher.callsTo('deactivateUser');
  for (const id of ids) expect(patches.filter((c) => c.userId === id).length, id).toBe(1);
  expect(patches).toHaveLength(ids.length);
  for (const id of ids) expect(h.cipher.getUser(id)?.status, id).toBe('inactive');
  expect(lastSummary(posted)).toContain(`${ids.length}/${ids.length} done`);
}

describe('on a Redis Cluster', () => {
  it('a lookup, then a deactivation approved to quorum: one PATCH, the outcome in the thread', async () => {
    const ack = await h.command(`lookup ${SEED_IDS.alice}`);
    const [card] = await h.slack.waitFor(
      (c) => c.method === 'response_url' && c.responseUrlId === ack.responseUrlId,
    );
    expect(visibleText(card?.args.blocks)).toContain('alice.martin@acme.example');

    const posted = await makeRequest(h, 'deactivate', SEED_IDS.alice);
    expect(h.cipher.callsTo('deactivateUser')).toHaveLength(0);
    expect((await approveBy(h, posted, A)).status).toBe(200);
    const request = await outcomeNoted(h, posted);
    expect(request?.state).toBe('succeeded');
    expect(h.cipher.callsTo('deactivateUser', SEED_IDS.alice)).toHaveLength(1);
    expect(h.cipher.getUser(SEED_IDS.alice)?.status).toBe('inactive');
    expect(
      threadNotes(h, posted)
        .map((c) => visibleText(c.args.blocks))
        .join('\n'),
    ).toContain(`<@${A}>`);
  });

  it('a bulk deactivation of 40 users: one PATCH each, the summary matches the fake', async () => {
    const users = makeUsers(40, 'c1c1c1c1');
    for (const user of users) h.cipher.setUser(user);
    const ids = users.map((u) => u.id);
    const posted = await bulkRequest(ids);
    expect((await approveBy(h, posted, A)).status).toBe(200);
    await expectEachOnce(ids, posted);
  });

  it("the deployment's primary failed over right after a quorum: every request is there, the approved one runs once", async () => {
    const first = await makeRequest(h, 'deactivate', SEED_IDS.alice);
    const second = await makeRequest(h, 'deactivate', SEED_IDS.manyDevices);
    const third = await makeRequest(h, 'delete', SEED_IDS.pending);
    // The change call is still unanswered when the slot moves: its outcome goes to the new primary.
    h.cipher.script([{ latencyMs: 800 }], { operation: 'deactivateUser', userId: SEED_IDS.alice });
    expect((await approveBy(h, first, A)).status).toBe(200);
    await h.cipher.waitForCalls((c) => c.operation === 'deactivateUser');
    const { from, to } = await cluster.failOver(slotKey);
    expect(await cluster.primaryOf(slotKey)).toBe(to);
    expect(to).not.toBe(from);
    // Readiness asks the slot's primary now: the old one answers ROLE as a replica.
    await eventually(async () => (await h.get('/readyz')).status === 200);

    expect((await outcomeNoted(h, first))?.state).toBe('succeeded');
    for (const posted of [second, third])
      expect((await h.runtime.ctx.store.get(posted.requestId))?.state).toBe('pending');
    expect((await approveBy(h, second, A)).status).toBe(200);
    expect((await outcomeNoted(h, second))?.state).toBe('succeeded');
    await approveBy(h, third, A);
    await approveBy(h, third, B);
    expect((await outcomeNoted(h, third))?.state).toBe('succeeded');

    expect(h.cipher.callsTo('deactivateUser', SEED_IDS.alice)).toHaveLength(1);
    expect(h.cipher.callsTo('deactivateUser', SEED_IDS.manyDevices)).toHaveLength(1);
    expect(h.cipher.callsTo('deleteUser', SEED_IDS.pending)).toHaveLength(1);
    expect(h.cipher.getUser(SEED_IDS.pending)).toBeUndefined();
  });

  it("the deployment's primary failed over half-way through a bulk run: the batch finishes, one PATCH each", async () => {
    const users = makeUsers(40, 'c2c2c2c2');
    for (const user of users) h.cipher.setUser(user);
    const ids = users.map((u) => u.id);
    const posted = await bulkRequest(ids);
    expect((await approveBy(h, posted, A)).status).toBe(200);
    await h.cipher.waitForCalls((c) => c.operation === 'deactivateUser', { count: 15, timeoutMs: 10_000 });
    const { from, to } = await cluster.failOver(slotKey);
    expect(to).not.toBe(from);
    expect(h.cipher.callsTo('deactivateUser').length).toBeLessThan(ids.length);
    await expectEachOnce(ids, posted);
  });

  it("keeps every key of the deployment, the app's and BullMQ's, in one slot on one node", async () => {
    const holder = await cluster.primaryOf(slotKey);
    const found = new Map<number, string[]>();
    for (const node of cluster.nodes) {
      const redis = new Redis({ port: node.port, lazyConnect: true });
      try {
        await redis.connect();
        if ((await redis.role())[0] !== 'master') continue;
        const keys: string[] = [];
        for (const pattern of [`${h.config.redis.prefix}*`, `${bullKeyPrefix(h.config.redisKeyPrefix)}:*`]) {
          let cursor = '0';
          do {
            const [next, batch] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
            cursor = next;
            keys.push(...batch);
          } while (cursor !== '0');
        }
        found.set(node.port, keys);
      } finally {
        redis.disconnect();
      }
    }
    expect([...found.keys()]).toHaveLength(3);
    for (const [port, keys] of found) if (port !== holder) expect(keys, String(port)).toEqual([]);
    const held = found.get(holder) ?? [];
    // Requests, their results, BullMQ's queues and jobs: all of them, not a few.
    expect(held.some((k) => k.includes(':request:'))).toBe(true);
    expect(held.some((k) => k.includes('-bull:'))).toBe(true);
    expect(held.length).toBeGreaterThan(20);
  });
});
