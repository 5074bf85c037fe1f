import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ACTION_IDS, CALLBACK_IDS } from '../../src/blocks/ids.js';
import type { SlackCall } from '../fakes/slack/server.js';
import { approvalPosted, click, makeRequest, mark, submit, viewShown } from '../helpers/flows.js';
import { APPROVERS, type Harness, startHarness } from '../helpers/harness.js';
import { makeUsers } from '../helpers/make-users.js';
import { until } from '../helpers/poll.js';

// Closing a modal while it loads is a choice, not a failure: the app logs it and tells nobody.

const [A, B] = APPROVERS;
const GROUP = 'S0CLOSERS';
let h: Harness;
beforeAll(async () => {
  h = await startHarness({
    processBeforeResponse: true,
    env: {
      CIPHERSCALE_RATE_LIMIT_PER_SECOND: '20',
      APPROVER_USER_IDS: '',
      APPROVER_USERGROUP_IDS: GROUP,
      USERGROUP_CACHE_SECONDS: '0',
    },
  });
});
afterAll(async () => {
  await h.close();
});
beforeEach(() => {
  h.slack.reset();
  h.cipher.reset();
  h.slack.setUsergroupMembers(GROUP, [A, B]);
});

let tags = 0;
const newUsers = (count: number) => {
  tags += 1;
  const users = makeUsers(count, `c${String(tags).padStart(7, '0')}`);
  for (const user of users) h.cipher.setUser(user);
  return users;
};

/** Everything anyone could have been told: ephemerals, DMs and channel posts, response_url answers. */
const toldAnyone = (since: number): SlackCall[] =>
  h.slack.calls
    .slice(since)
    .filter((c) => ['chat.postEphemeral', 'chat.postMessage', 'response_url'].includes(c.method));

async function openedViewId(since: number): Promise<string> {
  const [open] = await h.slack.waitFor((c) => c.method === 'views.open' && h.slack.calls.indexOf(c) >= since);
  // Recorded when it arrives, answered just after: poll for the answer.
  const answered = await until(
    'views.open to be answered',
    async () => open?.response,
    (r) => r !== undefined,
  );
  return String((answered?.view as { id?: string } | undefined)?.id);
}

/** Waits for the app to try to show something in the (closed) view and to log that it is closed. */
async function closedLogged(viewId: string, since: number) {
  await until(
    'the app to try the closed view',
    async () =>
      h.slack.calls
        .slice(since)
        .filter((c) => c.method === 'views.update' && c.args.view_id === viewId && c.response),
    (tried) => tried.length > 0,
  );
  return until(
    'the closed modal to be logged',
    async () => h.logs.filter((l) => l.includes(viewId) && l.includes('modal closed by the user')),
    (lines) => lines.length > 0,
  );
}

/** Errors, and warnings about modals (a busy shared Redis may make the sweeper warn: not this test's concern). */
const errorsLogged = (since: number) =>
  h.logs.slice(since).filter((l) => /"level":"error"/.test(l) || /"level":"warn".*(modal|view)/.test(l));

describe('a modal closed while it loads', () => {
  it('a request modal closed on "Loading…": logged at info, nobody told, no request made', async () => {
    const [user] = newUsers(1);
    h.cipher.setLatency(800);
    const since = h.slack.calls.length;
    const logsBefore = h.logs.length;
    // Not awaited: with processBeforeResponse the command's answer waits for the whole handler.
    const command = h.command(`deactivate ${user?.id} -- offboarding`);
    const viewId = await openedViewId(since);
    await h.closeModal(viewId);
    const lines = await closedLogged(viewId, since);
    expect((await command).status).toBe(200);
    expect(lines[0]).toContain('"level":"info"');
    expect(toldAnyone(since)).toEqual([]);
    expect(errorsLogged(logsBefore)).toEqual([]);
    expect(await h.runtime.ctx.store.openFor('deactivate', [String(user?.id)])).toHaveProperty('size', 0);
  });

  it('a bulk modal closed while checking: the progress and the review go nowhere, nobody told, nothing queued', async () => {
    const users = newUsers(50);
    const since = h.slack.calls.length;
    const logsBefore = h.logs.length;
    const command = h.command(`deactivate ${users.map((u) => u.id).join(' ')} -- offboarding`);
    const viewId = await openedViewId(since);
    await h.closeModal(viewId);
    await closedLogged(viewId, since);
    expect((await command).status).toBe(200);
    // The check ran on or stopped; either way nothing more is shown or said.
    const updatesAfter = h.slack.calls
      .slice(since)
      .filter((c) => c.method === 'views.update' && c.args.view_id === viewId);
    expect(updatesAfter.every((c) => c.response?.error === 'not_found')).toBe(true);
    expect(toldAnyone(since)).toEqual([]);
    expect(errorsLogged(logsBefore)).toEqual([]);
    expect(
      (
        await h.runtime.ctx.store.openFor(
          'deactivate',
          users.map((u) => u.id),
        )
      ).size,
    ).toBe(0);
  });

  it('a Reject modal closed on "Loading…": the request stays pending and the approver is told nothing', async () => {
    const [user] = newUsers(1);
    const posted = await makeRequest(h, 'deactivate', String(user?.id));
    // The approver check (a Slack call away in production) made slow: the user closes the modal meanwhile.
    try {
      const since = h.slack.calls.length;
      const logsBefore = h.logs.length;
      h.slack.holdAnswers('usergroups.users.list');
      const start = mark(h);
      const clicked = click(h, {
        actionId: ACTION_IDS.reject,
        value: posted.requestId,
        userId: B,
        channel: posted.channel,
        ts: posted.ts,
      });
      const viewId = await openedViewId(since);
      await h.closeModal(viewId, B);
      h.slack.releaseAnswers('usergroups.users.list');
      const form = await viewShown(h, CALLBACK_IDS.reject, start);
      expect(form.id).toBe(viewId);
      await closedLogged(viewId, since);
      expect((await clicked).status).toBe(200);
      expect(toldAnyone(since)).toEqual([]);
      expect(errorsLogged(logsBefore)).toEqual([]);
      expect((await h.runtime.ctx.store.get(posted.requestId))?.state).toBe('pending');
    } finally {
      h.slack.releaseAnswers('usergroups.users.list');
    }
  });

  it('a Show all list closed before its first page arrives: nobody told, the request unchanged', async () => {
    const users = newUsers(3);
    const start = mark(h);
    await h.command(`deactivate ${users.map((u) => u.id).join(' ')} -- offboarding`);
    const review = await viewShown(h, CALLBACK_IDS.bulkReview, start);
    expect((await submit(h, review, {})).text).toBe('');
    const posted = await approvalPosted(h, start);
    // The first page is slow to arrive; the approver closes the Loading modal meanwhile.
    const undo = h.slack.delayAnswers(
      (c) =>
        c.method === 'views.update' &&
        (c.args.view as { callback_id?: string }).callback_id === CALLBACK_IDS.batchList,
      500,
    );
    try {
      const since = h.slack.calls.length;
      const logsBefore = h.logs.length;
      const clicked = click(h, {
        actionId: ACTION_IDS.batchShowAll,
        value: posted.requestId,
        userId: A,
        channel: posted.channel,
        ts: posted.ts,
      });
      const viewId = await openedViewId(since);
      await h.closeModal(viewId, A);
      await closedLogged(viewId, since);
      expect((await clicked).status).toBe(200);
      expect(toldAnyone(since)).toEqual([]);
      expect(errorsLogged(logsBefore)).toEqual([]);
      expect((await h.runtime.ctx.store.get(posted.requestId))?.state).toBe('pending');
    } finally {
      undo();
    }
  });
});
