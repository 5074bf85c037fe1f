import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ACTION_IDS, BLOCK_IDS, CALLBACK_IDS } from '../../src/blocks/ids.js';
import { visibleText } from '../helpers/blocks-text.js';
import { click, makeRequest, mark, type PostedRequest, submit, viewShown } from '../helpers/flows.js';
import { APPROVERS, type Harness, startHarness } from '../helpers/harness.js';
import { makeUsers } from '../helpers/make-users.js';
import { until } from '../helpers/poll.js';

// A trigger_id lives 3 s and Slack waits 3 s for a submission's answer: Reject opens first and checks after,
// and its submission is answered in time whatever the approver check costs.

const [A, B] = APPROVERS;
const GROUP = 'S0REJECTERS';
const INTRUDER = 'UINTRUDER9';
let h: Harness;

beforeAll(async () => {
  h = await startHarness({
    processBeforeResponse: true,
    env: { APPROVER_USER_IDS: '', APPROVER_USERGROUP_IDS: GROUP, USERGROUP_CACHE_SECONDS: '0' },
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

const clickReject = (posted: PostedRequest, userId: string) =>
  click(h, {
    actionId: ACTION_IDS.reject,
    value: posted.requestId,
    userId,
    channel: posted.channel,
    ts: posted.ts,
  });

/** The modal a click opened: its id, once views.open was answered. */
async function openedModal(since: number): Promise<string> {
  const [open] = await h.slack.waitFor((c) => c.method === 'views.open' && h.slack.calls.indexOf(c) >= since);
  const answered = await until(
    'views.open to be answered',
    async () => open?.response,
    (r) => r !== undefined,
  );
  expect(answered?.ok, `views.open answered ${JSON.stringify(answered)}`).toBe(true);
  return String((answered?.view as { id?: string } | undefined)?.id);
}

let users = 0;
/** A pending deactivation of a user of its own (one open request per user). */
async function requestForNewUser(): Promise<PostedRequest> {
  users += 1;
  const [user] = makeUsers(1, `e${String(users).padStart(7, '0')}`);
  if (!user) throw new Error('no user');
  h.cipher.setUser(user);
  return makeRequest(h, 'deactivate', user.id);
}

const slowGroupLookups = (ms: number) =>
  h.slack.delayAnswers((c) => c.method === 'usergroups.users.list', ms);
const stateOf = async (posted: PostedRequest) => (await h.runtime.ctx.store.get(posted.requestId))?.state;
const modalText = (viewId: string) => visibleText(h.slack.viewState(viewId) ?? {});

describe('Reject opens its modal within the trigger’s 3 seconds', () => {
  it('opens with the click’s trigger before the approver check, even when that check takes longer than the trigger lives', async () => {
    const posted = await requestForNewUser();
    const undo = slowGroupLookups(3500);
    try {
      const since = h.slack.calls.length;
      await clickReject(posted, B);
      const viewId = await openedModal(since);
      const open = h.slack.callsTo('views.open').at(-1);
      const lookup = h.slack.callsTo('usergroups.users.list').at(-1);
      // Opened before the slow check was even answered.
      expect(open?.at).toBeLessThan((lookup?.at ?? Number.POSITIVE_INFINITY) + 3500);
      await until(
        'the reject form in the opened modal',
        async () => h.slack.viewState(viewId)?.callback_id,
        (id) => id === CALLBACK_IDS.reject,
        10_000,
      );
    } finally {
      undo();
    }
    const form = await viewShown(h, CALLBACK_IDS.reject);
    expect((await submit(h, form, { [BLOCK_IDS.rejectReason]: 'not now' }, B)).text).toBe('');
    expect(await stateOf(posted)).toBe('rejected');
  });

  it('a non-approver opening Reject sees the refusal in the modal; no form, nothing changes', async () => {
    const posted = await requestForNewUser();
    const since = h.slack.calls.length;
    await clickReject(posted, INTRUDER);
    const viewId = await openedModal(since);
    await until(
      'the refusal in the modal',
      async () => modalText(viewId),
      (text) => /not an approver/.test(text),
    );
    expect(h.slack.viewState(viewId)?.callback_id).not.toBe(CALLBACK_IDS.reject);
    expect(h.slack.viewState(viewId)?.submit).toBeNull();
    expect(await stateOf(posted)).toBe('pending');
  });

  it('a trigger used late (over 3 s) opens nothing: Slack refuses it (expired_trigger_id), and the request is unchanged', async () => {
    const posted = await requestForNewUser();
    const since = h.slack.calls.length;
    const late = h.slack.staleTrigger();
    await h.interact({
      ...(await import('../helpers/flows.js')).clickPayload(h, {
        actionId: ACTION_IDS.reject,
        value: posted.requestId,
        userId: B,
        channel: posted.channel,
        ts: posted.ts,
      }),
      trigger_id: late,
    });
    const [open] = await h.slack.waitFor(
      (c) => c.method === 'views.open' && h.slack.calls.indexOf(c) >= since,
    );
    const answered = await until(
      'views.open to be answered',
      async () => open?.response,
      (r) => r !== undefined,
    );
    expect(answered).toMatchObject({ ok: false, error: 'expired_trigger_id' });
    expect(await stateOf(posted)).toBe('pending');
  });
});

describe('a reject submission is answered within 3 seconds', () => {
  async function formFor(posted: PostedRequest, userId: string) {
    const start = mark(h);
    await clickReject(posted, userId);
    return viewShown(h, CALLBACK_IDS.reject, start);
  }

  it('with a slow approver check: "Checking…" in the ack well inside 3 s, then the outcome in the same modal, and the decision lands', async () => {
    const posted = await requestForNewUser();
    const form = await formFor(posted, B);
    const undo = slowGroupLookups(4000);
    try {
      const sent = Date.now();
      const answer = await submit(h, form, { [BLOCK_IDS.rejectReason]: 'wrong person' }, B);
      const took = Date.now() - sent;
      expect(took).toBeLessThan(2500);
      const body = answer.json() as { response_action?: string; view?: unknown };
      expect(body.response_action).toBe('update');
      expect(visibleText(body.view)).toMatch(/Checking/);
      await until(
        'the rejection',
        () => stateOf(posted),
        (state) => state === 'rejected',
        10_000,
      );
      await until(
        'the outcome in the modal',
        async () => modalText(form.id),
        (text) => /Rejected/.test(text),
        10_000,
      );
    } finally {
      undo();
    }
    expect((await h.runtime.ctx.store.get(posted.requestId))?.decidedBy).toBe(B);
  });

  it('a fast check still answers in the ack itself and closes the modal', async () => {
    const posted = await requestForNewUser();
    const form = await formFor(posted, B);
    expect((await submit(h, form, { [BLOCK_IDS.rejectReason]: 'no' }, B)).text).toBe('');
    expect(h.slack.viewState(form.id)).toBeUndefined();
    expect(await stateOf(posted)).toBe('rejected');
  });

  it('submitted by a non-approver (an approver’s form replayed, the check slow): refused on the server, in time, nothing changes', async () => {
    const posted = await requestForNewUser();
    const form = await formFor(posted, A);
    const undo = slowGroupLookups(4000);
    try {
      const sent = Date.now();
      const answer = await submit(h, form, { [BLOCK_IDS.rejectReason]: 'let me' }, INTRUDER);
      expect(Date.now() - sent).toBeLessThan(2500);
      expect(visibleText((answer.json() as { view?: unknown }).view)).toMatch(/Checking/);
      await until(
        'the refusal in the modal',
        async () => modalText(form.id),
        (text) => /not an approver/.test(text),
        10_000,
      );
    } finally {
      undo();
    }
    expect(await stateOf(posted)).toBe('pending');
  });

  it('an approver removed from the group between opening and submitting is refused at submit', async () => {
    const posted = await requestForNewUser();
    const form = await formFor(posted, A);
    h.slack.setUsergroupMembers(GROUP, [B]);
    const answer = await submit(h, form, { [BLOCK_IDS.rejectReason]: 'quick' }, A);
    expect(visibleText((answer.json() as { view?: unknown }).view)).toMatch(/not an approver/);
    expect(await stateOf(posted)).toBe('pending');
  });
});
