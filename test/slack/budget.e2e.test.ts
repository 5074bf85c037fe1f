import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { ACTION_IDS, CALLBACK_IDS } from '../../src/blocks/ids.js';
import type { User } from '../../src/cipherscale/schemas.js';
import { SEED_IDS } from '../fakes/cipherscale/seed.js';
import { FakeCipherscale } from '../fakes/cipherscale/server.js';
import type { SlackCall } from '../fakes/slack/server.js';
import { FakeSlack } from '../fakes/slack/server.js';
import { type AppProcess, startAppProcess } from '../helpers/app-process.js';
import { approvalPosted, approveBy, click, mark, submit, viewShown } from '../helpers/flows.js';
import { APPROVERS, type Harness, slackDriver, startHarness } from '../helpers/harness.js';
import { makeUsers } from '../helpers/make-users.js';
import { until } from '../helpers/poll.js';
import { busiestWindow } from '../helpers/windows.js';

const [A] = APPROVERS;

const open: Harness[] = [];
const processes: AppProcess[] = [];
let world: { slack: FakeSlack; cipher: FakeCipherscale } | undefined;
afterEach(async () => {
  for (const h of open.splice(0).reverse()) await h.close();
  for (const app of processes.splice(0)) {
    app.kill('SIGKILL');
    await app.exited;
  }
  if (world) await Promise.all([world.slack.close(), world.cipher.close()]);
  world = undefined;
});

/** `count` app instances on one Redis prefix, one fake Slack and one fake Cipherscale: replicas. */
async function replicas(count: number, env: Record<string, string>): Promise<Harness[]> {
  world = { slack: await FakeSlack.start(), cipher: await FakeCipherscale.start() };
  const first = await startHarness({ ...world, processBeforeResponse: true, env });
  open.push(first);
  for (let i = 1; i < count; i++) {
    open.push(await startHarness({ ...world, keyPrefix: first.config.redisKeyPrefix, env }));
  }
  return open.slice();
}

const reviewsShown = (h: Harness, count: number, timeoutMs: number) =>
  h.slack.waitFor(
    (c: SlackCall) =>
      c.method === 'views.update' &&
      (c.args.view as { callback_id?: string } | undefined)?.callback_id === CALLBACK_IDS.bulkReview,
    { count, timeoutMs },
  );

async function approvedBatch(h: Harness, users: User[]) {
  const start = mark(h);
  await h.command(`deactivate ${users.map((u) => u.id).join(' ')} -- budget test`);
  const review = await viewShown(h, CALLBACK_IDS.bulkReview, start);
  await submit(h, review, {});
  const posted = await approvalPosted(h, start);
  await approveBy(h, posted, A);
  return posted;
}

const finished = (h: Harness, requestId: string, timeoutMs: number) =>
  until(
    'the batch to finish',
    () => h.runtime.ctx.store.get(requestId),
    (r) => r?.outcomePosted === true,
    timeoutMs,
  );

describe('one Cipherscale budget', () => {
  it("a 100-user batch, its pre-checks and another replica's pre-checks stay within 20 calls in every sliding second, from the first", async () => {
    const [one, two] = (await replicas(2, { CIPHERSCALE_RATE_LIMIT_PER_SECOND: '20' })) as [Harness, Harness];
    const batch = makeUsers(100, 'a1a1a1a1');
    const other = makeUsers(30, 'b2b2b2b2');
    for (const user of [...batch, ...other]) one.cipher.setUser(user);
    one.cipher.setLatency(5);
    const posted = approvedBatch(one, batch);
    // Meanwhile the other replica checks a list of its own.
    await two.command(`deactivate ${other.map((u) => u.id).join(' ')} -- other team`);
    const request = await finished(one, (await posted).requestId, 50_000);
    await reviewsShown(two, 2, 5000);

    expect(request).toMatchObject({ state: 'succeeded', outcome: { failed: 0 } });
    const calls = one.cipher.calls;
    expect(one.cipher.callsTo('deactivateUser')).toHaveLength(100);
    expect(calls.length).toBeGreaterThanOrEqual(100 + 200 + 30);
    expect(busiestWindow(calls.map((c) => c.at))).toBeLessThanOrEqual(20);
    const first = Math.min(...calls.map((c) => c.at));
    expect(calls.filter((c) => c.at < first + 1000).length).toBeLessThanOrEqual(20);
  }, 60_000);

  it('two bulk modals at 2/s send their pre-check GETs within 2 in every sliding second', async () => {
    const [h] = (await replicas(1, { CIPHERSCALE_RATE_LIMIT_PER_SECOND: '2' })) as [Harness];
    const lists = [makeUsers(6, 'c3c3c3c3'), makeUsers(6, 'd4d4d4d4')];
    for (const user of lists.flat()) h.cipher.setUser(user);
    await Promise.all(lists.map((users) => h.command(`delete ${users.map((u) => u.id).join(' ')} -- x`)));
    const reviews = await reviewsShown(h, 2, 20_000);
    for (const review of reviews) expect(JSON.stringify(review.args.view)).toContain('6 users');
    const gets = h.cipher.callsTo('getUser');
    expect(gets).toHaveLength(12);
    expect(busiestWindow(gets.map((c) => c.at))).toBeLessThanOrEqual(2);
  }, 30_000);

  it('a lookup during a 500-user batch is answered within 2 s: it takes the next slot ahead of the waiting batch users', async () => {
    const [h] = (await replicas(1, { CIPHERSCALE_RATE_LIMIT_PER_SECOND: '50' })) as [Harness];
    const users = makeUsers(500, 'e5e5e5e5');
    for (const user of users) h.cipher.setUser(user);
    h.cipher.setLatency(5);
    const posted = await approvedBatch(h, users);
    // The batch has used up the budget: its users are queued for slots.
    const waitingKey = `${h.config.redis.prefix}budget:waiting:bulk`;
    await until(
      'batch users waiting for the budget',
      () => h.runtime.redis.zcard(waitingKey),
      (n) => n > 0,
      20_000,
    );
    const sent = Date.now();
    const before = h.cipher.calls.length;
    const ack = await h.command(`lookup ${SEED_IDS.alice}`);
    const [answer] = await h.slack.waitFor(
      (c) => c.method === 'response_url' && c.responseUrlId === ack.responseUrlId,
      { timeoutMs: 5000 },
    );
    expect(JSON.stringify(answer?.args)).toContain('Alice');
    expect((answer?.at as number) - sent).toBeLessThan(2000);
    const lookupAt = h.cipher.calls.findIndex((c, i) => i >= before && c.userId === SEED_IDS.alice);
    expect(lookupAt).toBeGreaterThanOrEqual(before);
    // Not queued behind the batch: answered while most of it was still to run (it needs 20 s at 50/s).
    // How many calls got in first depends on slots freed while the command was on its way; the order
    // among waiters is budget.test's "gives an interactive caller the next slot…".
    expect((await h.runtime.ctx.store.get(posted.requestId))?.state).toBe('running');

    // Stop the rest; everything sent stayed within the budget.
    await click(h, {
      actionId: ACTION_IDS.batchStop,
      value: posted.requestId,
      userId: A,
      channel: posted.channel,
      ts: posted.ts,
    });
    const request = await finished(h, posted.requestId, 40_000);
    expect(request).toMatchObject({ state: 'stopped' });
    expect(busiestWindow(h.cipher.calls.map((c) => c.at))).toBeLessThanOrEqual(50);
  }, 60_000);

  it('a 429 with Retry-After holds back pre-checks and batch users on every replica', async () => {
    const [one, two] = (await replicas(2, { CIPHERSCALE_RATE_LIMIT_PER_SECOND: '10' })) as [Harness, Harness];
    const batch = makeUsers(20, 'f6f6f6f6');
    const checked = makeUsers(20, 'a7a7a7a7');
    for (const user of [...batch, ...checked]) one.cipher.setUser(user);
    const posted = await approvedBatch(one, batch);
    await one.cipher.waitForCalls((c) => c.operation === 'deactivateUser', { count: 3, timeoutMs: 10_000 });
    await two.command(`deactivate ${checked.map((u) => u.id).join(' ')} -- other team`);
    await one.cipher.waitForCalls((c) => c.userId?.startsWith('a7a7a7a7') === true, { timeoutMs: 10_000 });
    // The next call to arrive, whoever makes it, is answered 429 Retry-After: 2.
    const next = one.cipher.calls.length;
    one.cipher.script([{ status: 429, retryAfter: '2' }]);
    const calls = await one.cipher.waitForCalls(() => true, { count: next + 1, timeoutMs: 5000 });
    const hitAt = calls[next]?.at as number;

    await finished(one, posted.requestId, 40_000);
    await reviewsShown(two, 2, 20_000);
    const during = one.cipher.calls.filter((c) => c.at > hitAt + 200 && c.at < hitAt + 1900);
    expect(during).toEqual([]);
    const after = one.cipher.calls.filter((c) => c.at >= hitAt + 1900);
    expect(after.some((c) => c.userId?.startsWith('a7a7a7a7'))).toBe(true);
    expect(after.some((c) => c.userId?.startsWith('f6f6f6f6'))).toBe(true);
    expect(busiestWindow(one.cipher.calls.map((c) => c.at))).toBeLessThanOrEqual(10);
  }, 60_000);

  it('during a long 429 hold a lookup answers within 2.5 s that Cipherscale is rate limiting, and sends nothing', async () => {
    const [h] = (await replicas(1, { CIPHERSCALE_RATE_LIMIT_PER_SECOND: '10' })) as [Harness];
    h.cipher.script([{ status: 429, retryAfter: '20' }]);
    const first = await h.command(`lookup ${SEED_IDS.alice}`);
    await h.slack.waitFor((c) => c.method === 'response_url' && c.responseUrlId === first.responseUrlId);
    expect(h.cipher.calls).toHaveLength(1);

    const sent = Date.now();
    const ack = await h.command(`lookup ${SEED_IDS.minimal}`);
    const [answer] = await h.slack.waitFor(
      (c) => c.method === 'response_url' && c.responseUrlId === ack.responseUrlId,
      { timeoutMs: 5000 },
    );
    expect((answer?.at as number) - sent).toBeLessThan(2500);
    const said = /rate limiting the bot \(HTTP 429, retry after (\d+) s\)/.exec(JSON.stringify(answer?.args));
    expect(Number(said?.[1])).toBeGreaterThan(0);
    expect(Number(said?.[1])).toBeLessThanOrEqual(20);
    expect(h.cipher.calls).toHaveLength(1);
    // Operators see the budget's refusal apart from Cipherscale's own 429.
    const metrics = (await h.get('/metrics')).text.split('\n');
    const count = (status: string) =>
      metrics.find(
        (l) => l.includes('cipherscale_request_duration_seconds_count') && l.includes(`status="${status}"`),
      );
    expect(count('budget')).toMatch(/ 1$/);
    expect(count('429')).toMatch(/ 1$/);
  });

  it('two app processes (src/main.ts) on one Redis share one budget: their pre-checks together stay within 4 a second', async () => {
    world = { slack: await FakeSlack.start(), cipher: await FakeCipherscale.start() };
    const { slack, cipher } = world;
    const signingSecret = randomBytes(16).toString('hex');
    const env = {
      SLACK_BOT_TOKEN: slack.botToken,
      SLACK_SIGNING_SECRET: signingSecret,
      SLACK_API_URL: slack.apiUrl,
      CIPHERSCALE_API_URL: cipher.url,
      CIPHERSCALE_API_TOKEN: cipher.token,
      CIPHERSCALE_RATE_LIMIT_PER_SECOND: '4',
      REDIS_URL: inject('redisUrl'),
      REDIS_KEY_PREFIX: `test-budget-${randomBytes(5).toString('hex')}`,
      APPROVER_USER_IDS: APPROVERS.join(','),
      LOG_LEVEL: 'info',
    };
    const apps = await Promise.all([startAppProcess(env), startAppProcess(env)]);
    processes.push(...apps);
    const lists = [makeUsers(10, 'b8b8b8b8'), makeUsers(10, 'c9c9c9c9')];
    for (const user of lists.flat()) cipher.setUser(user);
    await Promise.all(
      apps.map((app, i) =>
        slackDriver({ baseUrl: app.baseUrl, signingSecret, slack, cipher }).command(
          `deactivate ${(lists[i] as User[]).map((u) => u.id).join(' ')} -- two processes`,
        ),
      ),
    );
    const reviews = await slack.waitFor(
      (c) =>
        c.method === 'views.update' &&
        (c.args.view as { callback_id?: string } | undefined)?.callback_id === CALLBACK_IDS.bulkReview,
      { count: 2, timeoutMs: 20_000 },
    );
    for (const review of reviews) expect(JSON.stringify(review.args.view)).toContain('10 users');
    // The pasted users' reads (each start's token check also read one random id, before its budget existed).
    const pasted = new Set(lists.flat().map((u) => u.id));
    const gets = cipher.callsTo('getUser').filter((c) => pasted.has(c.userId ?? ''));
    expect(gets).toHaveLength(20);
    expect(busiestWindow(gets.map((c) => c.at))).toBeLessThanOrEqual(4);
  }, 40_000);
});
