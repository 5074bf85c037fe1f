import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Button, KnownBlock } from '@slack/types';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HOME_OPEN_ACTION } from '../../src/blocks/home.js';
import { SEED_IDS } from '../fakes/cipherscale/seed.js';
import type { SlackCall } from '../fakes/slack/server.js';
import { visibleText } from '../helpers/blocks-text.js';
import {
  approveBy,
  clickPayload,
  type Mark,
  makeRequest,
  mark,
  type PostedRequest,
} from '../helpers/flows.js';
import { APPROVERS, type Harness, REQUESTER, startHarness } from '../helpers/harness.js';
import { until } from '../helpers/poll.js';
import { sharedPath } from '../helpers/shared.js';

// Real app_home_opened deliveries from ../shared, with our user laid over them.
const realEvent = (tab: 'home' | 'messages') =>
  JSON.parse(readFileSync(sharedPath(`slack/events/real/app_home_opened_${tab}.json`), 'utf8')) as {
    event: Record<string, unknown>;
  } & Record<string, unknown>;

const [A] = APPROVERS;
const STRANGER = 'U0STRANGER';
let h: Harness;

beforeAll(async () => {
  h = await startHarness({ processBeforeResponse: true });
});
afterAll(async () => {
  await h.close();
});
beforeEach(() => {
  h.slack.reset();
  h.cipher.reset();
});

async function openHome(user: string, tab: 'home' | 'messages' = 'home') {
  const real = realEvent(tab);
  const answer = await h.event({
    ...real,
    // The capture's workspace is not the fake Slack's (auth.test): events from other teams are refused.
    team_id: h.slack.teamId,
    event_id: `Ev${randomBytes(5).toString('hex').toUpperCase()}`,
    event_time: Math.floor(Date.now() / 1000),
    event: { ...real.event, user, event_ts: `${Date.now() / 1000}` },
  });
  expect(answer.status).toBe(200);
}

const publishesTo = (user: string, after: Mark = { index: 0 }): SlackCall[] =>
  h.slack.calls.filter((c, i) => i >= after.index && c.method === 'views.publish' && c.args.user_id === user);

/** The Home a user sees now: the last view published to them (every publish must have been valid). */
function homeOf(user: string, after?: Mark) {
  const calls = publishesTo(user, after);
  for (const call of calls) expect(call.problems).toEqual([]);
  const view = calls.at(-1)?.args.view as { blocks?: KnownBlock[] } | undefined;
  const blocks = view?.blocks ?? [];
  const text = visibleText(blocks);
  const [open = '', recent = ''] = text.split('Recent outcomes');
  const urls = blocks.flatMap((b) =>
    b.type === 'section' && b.accessory?.type === 'button' ? [(b.accessory as Button).url] : [],
  );
  return { published: calls.length, text, open, recent, urls };
}

const permalinkOf = (posted: PostedRequest) =>
  h.slack.callsTo('chat.getPermalink').find((c) => c.args.message_ts === posted.ts)?.response?.permalink;

describe('the App Home', () => {
  it('shows requester and approver the request, then the outcome once it ran; strangers see none of it', async () => {
    await openHome(REQUESTER);
    expect(homeOf(REQUESTER).open).toContain('You have no open requests.');

    const posted = await makeRequest(
      h,
      'deactivate',
      SEED_IDS.alice,
      {},
      `deactivate ${SEED_IDS.alice} -- left`,
    );

    await openHome(REQUESTER);
    const requester = homeOf(REQUESTER);
    expect(requester.open).toContain('Your open requests (1)');
    expect(requester.open).toContain(':no_entry: *Deactivate* Alice Martin');
    expect(requester.open).not.toContain('Waiting for your approval');

    await openHome(A);
    const approver = homeOf(A);
    expect(approver.open).toContain('Waiting for your approval (1)\n:no_entry: *Deactivate* Alice Martin');
    expect(approver.open).toContain('> left');
    expect(permalinkOf(posted)).toMatch(/^https:\/\//);
    expect(approver.urls).toEqual([permalinkOf(posted)]);
    // Slack also posts a click on a link button: it is answered at once, and nothing else happens.
    const clicked = mark(h);
    const started = Date.now();
    const answer = await h.interact({
      ...clickPayload(h, {
        actionId: HOME_OPEN_ACTION,
        value: 'x',
        userId: A,
        channel: posted.channel,
        ts: posted.ts,
      }),
      container: { type: 'view', view_id: 'VHOME' },
      view: { id: 'VHOME', type: 'home', blocks: [] },
    });
    expect(answer.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(1500);
    expect(h.slack.calls.slice(clicked.index)).toEqual([]);

    await openHome(STRANGER);
    const stranger = homeOf(STRANGER);
    expect(stranger.published).toBe(1);
    expect(stranger.text).not.toContain('Waiting for your approval');
    expect(stranger.text).not.toContain('Alice Martin');
    expect(stranger.urls).toEqual([]);

    const decided = mark(h);
    await approveBy(h, posted, A);
    const done = (home: ReturnType<typeof homeOf>) =>
      home.recent.includes(':white_check_mark: *Succeeded* · :no_entry: *Deactivate* Alice Martin') &&
      !home.open.includes('Alice Martin');
    const approverAfter = await until(
      'the approver’s Home to show the outcome',
      async () => homeOf(A, decided),
      done,
    );
    expect(approverAfter.open).toContain('Nothing is waiting for your approval.');
    expect(approverAfter.recent).toContain(`approved by <@${A}>`);
    const requesterAfter = await until(
      'the requester’s Home to show the outcome',
      async () => homeOf(REQUESTER, decided),
      done,
    );
    expect(requesterAfter.open).toContain('You have no open requests.');
    expect(requesterAfter.recent).toContain('Requests you made.');
    expect(h.cipher.calls.filter((c) => c.method === 'PATCH')).toHaveLength(1);
    // Not the requester, not an approver: their Home has nothing to update.
    expect(publishesTo(STRANGER, decided)).toEqual([]);
  });

  it('a new request appears on the Home of an approver who opened it before, without reopening it', async () => {
    await openHome(A);
    const before = mark(h);
    await makeRequest(
      h,
      'deactivate',
      SEED_IDS.pending,
      {},
      `deactivate ${SEED_IDS.pending} -- contractor ended`,
    );
    const home = await until(
      'the approver’s Home to show the new request',
      async () => homeOf(A, before),
      (seen) => seen.open.includes('Paula Pending'),
    );
    expect(home.open).toMatch(/Waiting for your approval \(\d+\)/);
  });

  it('publishes nothing for the Messages tab, and does not count it as a Home visit', async () => {
    const user = 'U0MESSAGES';
    await openHome(user, 'messages');
    expect(publishesTo(user)).toEqual([]);
    expect(await h.runtime.redis.zscore(`${h.config.redis.prefix}home:viewers`, user)).toBeNull();
  });

  it('a failing views.publish is logged and changes nothing else: one outcome note, the request done', async () => {
    await openHome(A);
    const posted = await makeRequest(
      h,
      'deactivate',
      SEED_IDS.minimal,
      {},
      `deactivate ${SEED_IDS.minimal} -- test`,
    );
    const before = h.logs.length;
    h.slack.failNext('views.publish', { status: 500 }, 100);
    await approveBy(h, posted, A);
    await until(
      'the request to finish',
      () => h.runtime.ctx.store.get(posted.requestId),
      (r) => r?.state === 'succeeded' && r.outcomePosted === true,
    );
    await until(
      'the failed publish to be logged',
      async () => h.logs.slice(before).filter((line) => line.includes('App Home not published')).length,
      (count) => count > 0,
    );
    const notes = h.slack
      .callsTo('chat.postMessage')
      .filter((c) => c.args.thread_ts === posted.ts && /Succeeded/.test(visibleText(c.args.blocks)));
    expect(notes).toHaveLength(1);
    const logged = h.logs.slice(before).join('\n');
    expect(logged).not.toContain('retrying in the background');
    expect(logged).not.toContain(h.slack.botToken);
    expect(logged).not.toContain(h.signingSecret);
  });

  it('one approval republishes each concerned Home once per refresh round, not once per transition', async () => {
    for (const user of [REQUESTER, ...APPROVERS]) await openHome(user);
    const posted = await makeRequest(
      h,
      'deactivate',
      SEED_IDS.manyDevices,
      {},
      `deactivate ${SEED_IDS.manyDevices} -- one round`,
    );
    // The new request's own refresh round first, so that only the approval's rounds are counted.
    for (const user of [REQUESTER, ...APPROVERS]) {
      await until(
        'the new request on every Home',
        async () => homeOf(user).open,
        (open) => open.includes('Max Devices'),
      );
    }
    await until(
      'no refresh left to run',
      () => h.runtime.redis.hlen(`${h.config.redis.prefix}home:dirty`),
      (n) => n === 0,
    );
    const decided = mark(h);
    await approveBy(h, posted, A);
    for (const user of [REQUESTER, ...APPROVERS]) {
      await until(
        'every Home to show the outcome',
        async () => homeOf(user, decided),
        (home) =>
          home.recent.includes(':white_check_mark: *Succeeded* · :no_entry: *Deactivate* Max Devices') &&
          !home.open.includes('Max Devices'),
      );
    }
    // Click, queued and succeeded happen within one debounce window: one publish each (two when the
    // flow straddled a window on a loaded machine); the old per-transition refresh made three.
    for (const user of [REQUESTER, ...APPROVERS]) {
      expect(publishesTo(user, decided).length).toBeGreaterThanOrEqual(1);
      expect(publishesTo(user, decided).length).toBeLessThanOrEqual(2);
    }
    expect(publishesTo(STRANGER, decided)).toEqual([]);
  });

  it('a change only the requester’s list shows (running) republishes the requester’s Home alone', async () => {
    for (const user of [REQUESTER, A]) await openHome(user);
    const posted = await makeRequest(
      h,
      'deactivate',
      SEED_IDS.hostile,
      {},
      `deactivate ${SEED_IDS.hostile} -- scope`,
    );
    for (const user of [REQUESTER, A]) {
      await until(
        'the new request on both Homes',
        async () => homeOf(user).open,
        (open) => open.includes('evil.example'),
      );
    }
    const before = mark(h);
    await h.runtime.ctx.home.refreshFor([{ requestId: posted.requestId, scope: 'requester' }]);
    expect(publishesTo(REQUESTER, before)).toHaveLength(1);
    expect(publishesTo(A, before)).toEqual([]);
    await h.runtime.ctx.home.refreshFor([{ requestId: posted.requestId, scope: 'all' }]);
    expect(publishesTo(REQUESTER, before)).toHaveLength(2);
    expect(publishesTo(A, before)).toHaveLength(1);
  });
});

describe('the App Home refresh with approvers in a user group', () => {
  let g: Harness;
  beforeAll(async () => {
    g = await startHarness({
      processBeforeResponse: true,
      env: { APPROVER_USER_IDS: '', APPROVER_USERGROUP_IDS: 'S0HOMEAPPROVERS', USERGROUP_CACHE_SECONDS: '0' },
    });
  });
  afterAll(async () => {
    await g.close();
  });

  it('asks Slack who may approve once per refresh, not again before each publish', async () => {
    g.slack.setUsergroupMembers('S0HOMEAPPROVERS', ['U0GROUPA', 'U0GROUPB']);
    for (const user of ['U0GROUPA', 'U0GROUPB', 'U0NOTINGROUP']) await g.runtime.ctx.home.opened(user);
    const before = g.slack.calls.length;
    await g.runtime.ctx.home.refreshFor([{ requestId: 'raaaaaaaaaaaaaaa', scope: 'all' }]);
    const after = g.slack.calls.slice(before);
    // Concurrent checks share one lookup: one per refresh (the old refresh asked again before each publish).
    expect(after.filter((c) => c.method === 'usergroups.users.list')).toHaveLength(1);
    expect(
      after
        .filter((c) => c.method === 'views.publish')
        .map((c) => c.args.user_id)
        .sort(),
    ).toEqual(['U0GROUPA', 'U0GROUPB']);
  });
});
