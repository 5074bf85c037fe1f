import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { KnownBlock } from '@slack/types';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { CALLBACK_IDS } from '../../src/blocks/ids.js';
import { SEED_IDS } from '../fakes/cipherscale/seed.js';
import { FakeCipherscale } from '../fakes/cipherscale/server.js';
import type { SlackCall } from '../fakes/slack/server.js';
import { FakeSlack } from '../fakes/slack/server.js';
import { visibleText } from '../helpers/blocks-text.js';
import {
  approvalPosted,
  approveBy,
  ephemeralsFor,
  makeRequest,
  mark,
  submit,
  viewShown,
} from '../helpers/flows.js';
import { APPROVERS, type Driver, type Harness, startHarness } from '../helpers/harness.js';
import { makeUsers } from '../helpers/make-users.js';
import { until } from '../helpers/poll.js';
import { sharedPath } from '../helpers/shared.js';

// Slack's rate tiers, against the fake's tiers. Time is compressed: the fake and the app both count Slack's
// per-minute limits in a 6-second window (12 s for the 500-user flow), the same counts at ten (five) times
// Slack's rates. The app's own timings (1-s Home debounce, 1-s summaries) are not scaled, so the compression
// makes their load lighter than at Slack's minute; the limits are the documented ones unless a test says.
const WINDOW_MS = 6000;
const [A] = APPROVERS;
const GROUP = 'S0VIEWERS';

const realEvent = JSON.parse(
  readFileSync(sharedPath('slack/events/real/app_home_opened_home.json'), 'utf8'),
) as { event: Record<string, unknown> } & Record<string, unknown>;

let slack: FakeSlack;
let cipher: FakeCipherscale;
const harnesses: Harness[] = [];

beforeAll(async () => {
  slack = await FakeSlack.start({ tiers: { windowMs: WINDOW_MS } });
  cipher = await FakeCipherscale.start();
});
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.close();
  slack.reset();
  cipher.reset();
});
afterAll(async () => {
  await slack.close();
  await cipher.close();
});

async function harness(
  options: {
    keyPrefix?: string;
    env?: Record<string, string>;
    slackTierLimits?: Record<string, number>;
    slackTierWindowMs?: number;
  } = {},
): Promise<Harness> {
  const h = await startHarness({
    processBeforeResponse: true,
    slack,
    cipher,
    slackTierWindowMs: WINDOW_MS,
    ...options,
    env: { CIPHERSCALE_RATE_LIMIT_PER_SECOND: '200', ...options.env },
  });
  harnesses.push(h);
  return h;
}

async function openHome(h: Driver, user: string): Promise<void> {
  const answer = await h.event({
    ...realEvent,
    team_id: slack.teamId,
    event_id: `Ev${randomBytes(5).toString('hex').toUpperCase()}`,
    event_time: Math.floor(Date.now() / 1000),
    event: { ...realEvent.event, user, event_ts: `${Date.now() / 1000}` },
  });
  expect(answer.status).toBe(200);
}

const viewerIds = (count: number, tag: string) =>
  Array.from({ length: count }, (_, i) => `U${tag}${String(i).padStart(4, '0')}`);

const publishesTo = (user: string): SlackCall[] =>
  slack.callsTo('views.publish').filter((c) => c.args.user_id === user && c.response?.ok === true);

const homeText = (user: string) =>
  visibleText((publishesTo(user).at(-1)?.args.view as { blocks?: KnownBlock[] } | undefined)?.blocks ?? []);

/** Every method the fake saw stays within its tier in every window, and the fake never had to say 429. */
function expectWithinTiers(): void {
  const peaks = slack.tiers?.peaks() ?? [];
  expect(peaks.length).toBeGreaterThan(0);
  for (const { method, peak, limit } of peaks) expect(peak, method).toBeLessThanOrEqual(limit ?? 0);
  expect(slack.tiers?.ratelimited.map((c) => c.method)).toEqual([]);
}

describe("Slack's rate tiers", () => {
  it('a 500-user batch with 50 Home viewers: every method within its tier, no 429, the final summary and every Home final', async () => {
    // A 12-s window here (limits unscaled: five times Slack's rates): the batch's Home rounds then fall within
    // one window, as they do within Slack's minute at the real batch rate.
    const shared = slack;
    slack = await FakeSlack.start({ tiers: { windowMs: 12_000 } });
    try {
      const viewers = viewerIds(50, 'VIEW');
      slack.setUsergroupMembers(GROUP, viewers);
      const h = await harness({ env: { APPROVER_USERGROUP_IDS: GROUP }, slackTierWindowMs: 12_000 });
      const users = makeUsers(500, 'cdcdcdcd');
      for (const user of users) cipher.setUser(user);

      const start = mark(h);
      await h.command(`deactivate ${users.map((u) => u.id).join('\n')} -- mass credential reset`);
      const review = await viewShown(h, CALLBACK_IDS.bulkReview, start);
      // The viewers open their Home while the request is made: each refresh round after it concerns all 50.
      await Promise.all(viewers.map((user) => openHome(h, user)));
      await submit(h, review, {});
      const posted = await approvalPosted(h, start);
      await approveBy(h, posted, A);
      const request = await until(
        'the batch to finish and its outcome to be posted',
        () => h.runtime.ctx.store.get(posted.requestId),
        (r) => r?.outcomePosted === true,
        40_000,
      );
      expect(request).toMatchObject({ state: 'succeeded', outcome: { failed: 0 } });
      expect(cipher.callsTo('deactivateUser')).toHaveLength(500);

      // The final summary went out (the progress ones may have been skipped, never the last).
      const summaryTs = request?.summaryTs;
      const summaries = slack.callsTo('chat.update').filter((c) => c.args.ts === summaryTs);
      expect(visibleText(summaries.at(-1)?.args.blocks)).toContain('500/500 done · 0 failed');

      // Every viewer's Home ends on the finished request, however many publishes the tier put off.
      await until(
        'every viewer’s Home to show the outcome',
        async () => viewers.filter((user) => !/Succeeded\* · .*500 users/s.test(homeText(user))),
        (left) => left.length === 0,
        30_000,
      );
      for (const user of viewers) expect(homeText(user)).toContain('Nothing is waiting for your approval.');
      expectWithinTiers();
      // The heaviest methods were actually pushed to their tier's neighbourhood, not trivially under it.
      expect(slack.tiers?.peak('views.publish')).toBeGreaterThan(80);
    } finally {
      for (const h of harnesses.splice(0)) await h.close();
      await slack.close();
      slack = shared;
    }
  }, 90_000);

  it("progress summaries stay within chat.update's tier however long the batch, and the final summary always goes out", async () => {
    // Limits scaled down alike in the fake (5 per window) and the app (4, progress 2 of them).
    slack.tiers?.setTier('chat.update', 5);
    try {
      const h = await harness({
        env: { CIPHERSCALE_RATE_LIMIT_PER_SECOND: '20' },
        slackTierLimits: { 'chat.update': 4, 'chat.update:progress': 2 },
      });
      const users = makeUsers(150, 'efefefef');
      for (const user of users) cipher.setUser(user);
      const start = mark(h);
      await h.command(`deactivate ${users.map((u) => u.id).join('\n')} -- mass credential reset`);
      await submit(h, await viewShown(h, CALLBACK_IDS.bulkReview, start), {});
      const posted = await approvalPosted(h, start);
      await approveBy(h, posted, A);
      const request = await until(
        'the batch to finish and its outcome to be posted',
        () => h.runtime.ctx.store.get(posted.requestId),
        (r) => r?.outcomePosted === true,
        40_000,
      );
      const summaries = slack.callsTo('chat.update').filter((c) => c.args.ts === request?.summaryTs);
      expect(summaries.length).toBeGreaterThan(1);
      expect(visibleText(summaries.at(-1)?.args.blocks)).toContain('150/150 done · 0 failed');
      // The request message itself ends on the outcome.
      const message = slack.callsTo('chat.update').filter((c) => c.args.ts === posted.ts);
      expect(message.at(-1)?.response?.ok).toBe(true);
      expect(slack.tiers?.peak('chat.update')).toBeLessThanOrEqual(5);
      expectWithinTiers();
    } finally {
      slack.tiers?.setTier('chat.update', 50);
    }
  }, 60_000);

  it('a 429 Slack sends anyway on a Home publish is honoured and the Home published later, not lost', async () => {
    const h = await harness();
    const [viewer = ''] = viewerIds(1, 'LATE');
    slack.failNext('views.publish', { status: 429, retryAfterSec: 1 });
    await openHome(h, viewer);
    const refusedAt = slack.callsTo('views.publish')[0]?.at ?? 0;
    await until(
      'the Home to be published after the 429',
      async () => publishesTo(viewer),
      (calls) => calls.length > 0,
      10_000,
    );
    expect(homeText(viewer)).toContain('You have no open requests.');
    expect((publishesTo(viewer)[0]?.at ?? 0) - refusedAt).toBeGreaterThanOrEqual(900);
    expect(h.logs.join('\n')).not.toContain('App Home not published');
  }, 30_000);

  it('two processes on one Redis keep one views.publish budget: 120 Homes opened at once, each published, none refused', async () => {
    const prefix = `test-${randomBytes(6).toString('hex')}`;
    const one = await harness({ keyPrefix: prefix });
    const two = await harness({ keyPrefix: prefix });
    const viewers = viewerIds(120, 'PAIR');
    await Promise.all(viewers.map((user, i) => openHome(i % 2 === 0 ? one : two, user)));
    await until(
      'every Home opened to be published',
      async () => viewers.filter((user) => publishesTo(user).length === 0),
      (left) => left.length === 0,
      30_000,
    );
    for (const user of viewers) expect(homeText(user)).toContain('You have no open requests.');
    expect(slack.tiers?.peak('views.publish')).toBeLessThanOrEqual(100);
    expectWithinTiers();
  }, 60_000);

  it('approver checks with USERGROUP_CACHE_SECONDS=0: within Tier 2 however many clicks, no 429, nobody outside the group approves', async () => {
    const members = viewerIds(20, 'MEMB');
    const strangers = viewerIds(30, 'STRA');
    slack.setUsergroupMembers(GROUP, members);
    const h = await harness({
      env: { APPROVER_USER_IDS: '', APPROVER_USERGROUP_IDS: GROUP, REQUIRED_APPROVALS_DEACTIVATE: '10' },
    });
    const posted = await makeRequest(h, 'deactivate', SEED_IDS.alice);
    // 20 at once (they share lookups in flight), then 30 one after another (each its own lookup).
    const clickers = [...members, ...strangers];
    await Promise.all(clickers.slice(0, 20).map((user) => approveBy(h, posted, user)));
    for (const user of clickers.slice(20)) await approveBy(h, posted, user);

    const request = await h.runtime.ctx.store.get(posted.requestId);
    const approvedBy = new Set(request?.approvals.map((a) => a.userId));
    for (const user of strangers) expect(approvedBy.has(user)).toBe(false);
    for (const user of approvedBy) expect(members).toContain(user);
    expect(approvedBy.size).toBeGreaterThan(0);
    // Every stranger was told no (not an approver, or "try again" when no lookup could be made in time).
    for (const user of strangers)
      expect(ephemeralsFor(h, user).join('\n')).toMatch(/not an approver|try again/);
    expect(slack.tiers?.peak('usergroups.users.list')).toBeLessThanOrEqual(20);
    expectWithinTiers();
  }, 60_000);
});
