import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CALLBACK_IDS } from '../../src/blocks/ids.js';
import { SEED_IDS } from '../fakes/cipherscale/seed.js';
import { approvalPosted, approveBy, makeRequest, mark, submit, viewShown } from '../helpers/flows.js';
import { APPROVERS, type Harness, startHarness } from '../helpers/harness.js';
import { makeUsers } from '../helpers/make-users.js';
import { until } from '../helpers/poll.js';
import { type RedisServer, startRedisServer } from '../helpers/redis-server.js';
import { sharedPath } from '../helpers/shared.js';

// A redis-server of its own: INFO commandstats then counts this app's commands only.
let server: RedisServer;
let admin: Redis;
let h: Harness;

beforeAll(async () => {
  server = await startRedisServer();
  admin = new Redis(server.url);
  // No sweep during the measure: only the click's own path is counted.
  h = await startHarness({
    processBeforeResponse: true,
    env: { REDIS_URL: server.url, SWEEP_INTERVAL_MS: '3600000' },
  });
});
afterAll(async () => {
  await h?.close();
  await admin?.quit();
  await server?.stop();
});

const realHomeOpened = JSON.parse(
  readFileSync(sharedPath('slack/events/real/app_home_opened_home.json'), 'utf8'),
) as { event: Record<string, unknown> } & Record<string, unknown>;

async function openHome(user: string) {
  const answer = await h.event({
    ...realHomeOpened,
    team_id: h.slack.teamId,
    event_id: `Ev${randomBytes(5).toString('hex').toUpperCase()}`,
    event_time: Math.floor(Date.now() / 1000),
    event: { ...realHomeOpened.event, user, event_ts: `${Date.now() / 1000}` },
  });
  expect(answer.status).toBe(200);
}

/** `INFO commandstats` as command → calls. */
async function commandStats(): Promise<Map<string, number>> {
  const info = await admin.info('commandstats');
  const stats = new Map<string, number>();
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) {
    stats.set(match[1] as string, Number(match[2]));
  }
  return stats;
}

describe('work per single approval (quorum 1)', () => {
  it('one click: at most 2 chat.update and 2 chat.postMessage until the outcome, the API call before any "running" render', async () => {
    for (const approver of APPROVERS) await openHome(approver);
    await until(
      'every approver Home published',
      async () => APPROVERS.filter((a) => h.slack.callsTo('views.publish').some((c) => c.args.user_id === a)),
      (seen) => seen.length === APPROVERS.length,
    );
    const posted = await makeRequest(h, 'deactivate', SEED_IDS.alice);
    await until(
      'the message linked',
      async () => (await h.runtime.ctx.store.get(posted.requestId))?.messageTs,
      (ts) => ts === posted.ts,
    );
    // Let the creation's Home refreshes settle before counting.
    await until(
      'Homes idle',
      async () => h.slack.callsTo('views.publish').length,
      (n) => n >= 2 * APPROVERS.length,
    );
    const start = mark(h);
    const before = await commandStats();
    const cipherBefore = h.cipher.calls.length;

    await approveBy(h, posted, APPROVERS[0]);
    await until(
      'the outcome posted',
      async () => (await h.runtime.ctx.store.get(posted.requestId))?.outcomePosted,
      (done) => done === true,
    );
    const after = await commandStats();

    const calls = h.slack.calls.slice(start.index);
    const updates = calls.filter((c) => c.method === 'chat.update' && c.args.ts === posted.ts);
    const notes = calls.filter((c) => c.method === 'chat.postMessage');
    const publishes = calls.filter((c) => c.method === 'views.publish');
    const change = h.cipher.calls.slice(cipherBefore).find((c) => c.operation === 'deactivateUser');
    const running = updates.filter((c) => /— running/.test(String(c.args.text)));
    const delta = (name: string) => (after.get(name) ?? 0) - (before.get(name) ?? 0);
    const total = [...after.keys()].reduce((sum, name) => sum + delta(name), 0);
    console.info(
      `work per approval: ${updates.length} chat.update, ${notes.length} chat.postMessage, ` +
        `${publishes.length} views.publish, ${total} Redis commands, ${delta('hgetall')} HGETALL, ` +
        `${delta('evalsha') + delta('eval')} EVAL(SHA) — ${[...after.keys()]
          .map((n) => `${n}=${delta(n)}`)
          .filter((s) => !s.endsWith('=0'))
          .join(' ')}`,
    );

    expect(change).toBeDefined();
    expect(updates.length).toBeLessThanOrEqual(2);
    expect(notes.length).toBeLessThanOrEqual(2);
    for (const render of running)
      expect(render.at).toBeGreaterThanOrEqual(change?.at ?? Number.POSITIVE_INFINITY);
    expect(String(updates.at(-1)?.args.text)).toMatch(/— succeeded$/);
  });
});

describe('a slow Slack never holds back the Cipherscale call', () => {
  const SLACK_METHODS = ['chat.update', 'chat.postMessage', 'views.publish'];
  const hold = () => {
    for (const method of SLACK_METHODS) h.slack.holdAnswers(method);
  };
  const release = () => {
    for (const method of SLACK_METHODS) h.slack.releaseAnswers(method);
  };
  const changeCalls = (after: number, operation: string) =>
    h.cipher.calls.slice(after).filter((c) => c.operation === operation);
  const posted = (id: string) =>
    until(
      'the outcome posted',
      async () => (await h.runtime.ctx.store.get(id))?.outcomePosted,
      (done) => done === true,
    );

  it('one request: the change call is made while every Slack update of the approval is still unanswered', async () => {
    const request = await makeRequest(h, 'deactivate', SEED_IDS.pending);
    const cipherBefore = h.cipher.calls.length;
    hold();
    try {
      // The click's own render is held too, so its HTTP answer waits: do not await it yet.
      const clicked = approveBy(h, request, APPROVERS[1]);
      await until(
        'the change call',
        async () => changeCalls(cipherBefore, 'deactivateUser').length,
        (n) => n === 1,
      );
      release();
      expect((await clicked).status).toBe(200);
    } finally {
      release();
    }
    await posted(request.requestId);
    expect(changeCalls(cipherBefore, 'deactivateUser')).toHaveLength(1);
  });

  it('a batch: every user’s change call is made while "running" and the first summary are still unanswered', async () => {
    const users = makeUsers(3, 'dddddddd');
    for (const user of users) h.cipher.setUser(user);
    const start = mark(h);
    await h.command(`deactivate ${users.map((u) => u.id).join(' ')} -- slow slack`);
    const review = await viewShown(h, CALLBACK_IDS.bulkReview, start);
    expect((await submit(h, review, {})).text).toBe('');
    const request = await approvalPosted(h, start);
    const cipherBefore = h.cipher.calls.length;
    hold();
    try {
      const clicked = approveBy(h, request, APPROVERS[1]);
      await until(
        'every user’s change call',
        async () => changeCalls(cipherBefore, 'deactivateUser').length,
        (n) => n === 3,
      );
      release();
      expect((await clicked).status).toBe(200);
    } finally {
      release();
    }
    await posted(request.requestId);
    expect(new Set(changeCalls(cipherBefore, 'deactivateUser').map((c) => c.userId))).toEqual(
      new Set(users.map((u) => u.id)),
    );
  });
});
