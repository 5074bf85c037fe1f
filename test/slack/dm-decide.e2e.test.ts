import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ACTION_IDS, BLOCK_IDS, CALLBACK_IDS } from '../../src/blocks/ids.js';
import { Keys } from '../../src/keys.js';
import { SEED_IDS } from '../fakes/cipherscale/seed.js';
import { FakeSlack, type SlackCall } from '../fakes/slack/server.js';
import { visibleText } from '../helpers/blocks-text.js';
import {
  approvalPosted,
  approveBy,
  click,
  clickPayload,
  makeRequest,
  mark,
  type PostedRequest,
  submit,
  threadNotes,
  viewShown,
} from '../helpers/flows.js';
import { APPROVERS, type Harness, REQUESTER, startHarness } from '../helpers/harness.js';
import { type WatchedQueue, watchQueue } from '../helpers/job-queue.js';
import { until } from '../helpers/poll.js';

// NOTIFY_APPROVERS=dm: each approver's DM carries Approve and Reject; a click there runs the channel's
// handlers and checks, the decision lands in the request's message and thread, and every DM follows.

const [A, B, C] = APPROVERS;
const GROUP = 'S0SECOPS';
const MEMBER = 'UGROUPMEMBER';
// Slack outages are retried within a test's patience.
const DM_ENV = {
  NOTIFY_APPROVERS: 'dm',
  APPROVER_USERGROUP_IDS: GROUP,
  NOTIFY_BACKOFF_MS: '50',
  BULK_APPROVE_AFTER_FULL_LIST: 'on',
};
const EVERYONE = [A, B, C, MEMBER];
const TIER_WINDOW_MS = 5000;

let h: Harness;
let jobs: WatchedQueue;
beforeAll(async () => {
  // Slack's rate tiers in a window of seconds, not a minute: this file updates many messages.
  const slack = await FakeSlack.start({ tiers: { windowMs: TIER_WINDOW_MS } });
  // The DMs' share of chat.update is opened up here (the lane has its own test below).
  h = await startHarness({
    processBeforeResponse: true,
    env: DM_ENV,
    slack,
    slackTierWindowMs: TIER_WINDOW_MS,
    slackTierLimits: { 'chat.update:dms': 1000 },
  });
  jobs = watchQueue(h);
});
afterAll(async () => {
  (await import('node:fs')).writeFileSync('/tmp/dmlogs', h.logs.join('\n'));
  await jobs.close();
  await h.close();
  await h.slack.close();
});
// One open request per action and user: what a test left pending is withdrawn, and the jobs that follow
// (DM updates among them) have run, before the next test resets the fakes.
afterEach(async () => {
  for (const open of await h.runtime.ctx.store.listOpen())
    if (open.state === 'pending') await h.runtime.ctx.workflow.cancel(open.id, open.requesterId);
  await until(
    'the requests to finish',
    () => h.runtime.ctx.store.listOpen(),
    (open) => open.length === 0,
  );
  await until(
    'the jobs to run',
    () => jobs.queue.getJobCounts('active', 'waiting', 'prioritized'),
    (counts) => Object.values(counts).every((n) => n === 0),
  );
});
beforeEach(() => {
  h.slack.reset();
  h.cipher.reset();
  h.slack.setUsergroupMembers(GROUP, [MEMBER]);
});

interface Dm {
  channel: string;
  ts: string;
}

const keys = () => new Keys(h.config.redis.prefix);
const approveButton = (call: SlackCall | undefined, requestId: string) =>
  ((call?.args.blocks ?? []) as Array<{ elements?: Array<{ action_id?: string; value?: string }> }>)
    .flatMap((b) => b.elements ?? [])
    .filter((e) => e.value === requestId);

/** Each approver's DM about the request, once posted and recorded (a click can only count from then). */
async function dmsOf(posted: PostedRequest, userIds = EVERYONE): Promise<Record<string, Dm>> {
  const found: Record<string, Dm> = {};
  for (const userId of userIds) {
    const [call] = await h.slack.waitFor(
      (c) =>
        c.method === 'chat.postMessage' &&
        c.args.channel === userId &&
        c.response?.ok === true &&
        approveButton(c, posted.requestId).length > 0,
      { answered: true },
    );
    found[userId] = { channel: String(call?.response?.channel), ts: String(call?.response?.ts) };
    await until(
      `${userId}'s DM recorded`,
      () => h.runtime.redis.hget(keys().dms(posted.requestId), userId),
      (value) => value === `${found[userId]?.channel}:${found[userId]?.ts}`,
    );
  }
  return found;
}

/** A click on a button of the DM at `dm`, as Slack sends it from a DM. */
function dmClick(dm: Dm, userId: string, actionId: string, requestId: string) {
  const payload = clickPayload(h, { actionId, value: requestId, userId, channel: dm.channel, ts: dm.ts });
  return { payload: { ...payload, channel: { id: dm.channel, name: 'directmessage' } }, url: payload };
}

async function clickInDm(dm: Dm, userId: string, actionId: string, requestId: string) {
  const { payload } = dmClick(dm, userId, actionId, requestId);
  const answer = await h.interact(payload);
  expect(answer.status).toBe(200);
  return payload.response_url;
}

/** What the app answered to the click whose response_url is `url`. */
async function answerTo(url: string): Promise<string> {
  const id = decodeURIComponent(url.split('/response/')[1] ?? '');
  const [said] = await h.slack.waitFor((c) => c.method === 'response_url' && c.responseUrlId === id, {
    answered: true,
  });
  return String(said?.args.text);
}

/** The DM's updates so far, oldest first. */
const updatesOf = (dm: Dm) =>
  h.slack.callsTo('chat.update').filter((c) => c.args.channel === dm.channel && c.args.ts === dm.ts);
/** The DM's last landed update, once one whose text matches `pattern` has landed. */
async function dmShows(dm: Dm, pattern: RegExp): Promise<SlackCall> {
  await h.slack.waitFor(
    (c) =>
      c.method === 'chat.update' &&
      c.args.channel === dm.channel &&
      c.args.ts === dm.ts &&
      c.response?.ok === true &&
      pattern.test(visibleText(c.args.blocks)),
    { answered: true },
  );
  // The last to land, not the last sent: what the reader sees now.
  const landed = updatesOf(dm)
    .filter((c) => c.response?.ok)
    .sort((x, y) => (x.answeredAt ?? 0) - (y.answeredAt ?? 0));
  return landed.at(-1) as SlackCall;
}
const buttonsOf = (call: SlackCall | undefined) =>
  ((call?.args.blocks ?? []) as Array<{ type: string; elements?: Array<{ action_id?: string }> }>)
    .filter((b) => b.type === 'actions')
    .flatMap((b) => b.elements ?? [])
    .map((e) => e.action_id);

const channelUpdates = (posted: PostedRequest) =>
  h.slack.callsTo('chat.update').filter((c) => c.args.channel === posted.channel && c.args.ts === posted.ts);
const stored = (posted: PostedRequest) => h.runtime.ctx.store.get(posted.requestId);
const dmUpdateJob = (posted: PostedRequest, version: number) =>
  `${h.config.redis.bullPrefix}:requests:dm-update-${posted.requestId}-${version}`;

describe('deciding from an approver DM', () => {
  it('the DM carries Approve and Reject with the request id, valid Block Kit, and is recorded with the record’s TTL', async () => {
    const posted = await makeRequest(h, 'delete', SEED_IDS.alice);
    const dms = await dmsOf(posted);
    const sent = h.slack
      .callsTo('chat.postMessage')
      .filter((c) => EVERYONE.includes(String(c.args.channel) as never));
    expect(sent).toHaveLength(EVERYONE.length);
    for (const call of sent) {
      expect(call.problems).toEqual([]);
      const buttons = approveButton(call, posted.requestId);
      expect(buttons.map((b) => b.action_id)).toEqual([ACTION_IDS.approve, ACTION_IDS.reject]);
    }
    // A delete's Approve asks for the same confirmation as in the channel.
    const approve = ((sent[0]?.args.blocks ?? []) as Array<{ elements?: Array<{ confirm?: unknown }> }>)
      .flatMap((b) => b.elements ?? [])
      .find((e) => e.confirm);
    expect(visibleText(approve)).toContain('will be deleted from Cipherscale');
    expect(Object.values(dms).every((dm) => dm.channel.startsWith('D'))).toBe(true);
    const recordTtl = await h.runtime.redis.pttl(keys().request(posted.requestId));
    const dmsTtl = await h.runtime.redis.pttl(keys().dms(posted.requestId));
    expect(dmsTtl).toBeGreaterThan(0);
    expect(dmsTtl).toBeLessThanOrEqual(recordTtl);
    expect(recordTtl - dmsTtl).toBeLessThan(60_000);
  });

  it('an approval from the DM updates the channel message and thread, runs once, and every DM loses its buttons', async () => {
    const posted = await makeRequest(h, 'deactivate', SEED_IDS.alice);
    const dms = await dmsOf(posted);
    const before = channelUpdates(posted).length;
    const url = await clickInDm(dms[A] as Dm, A, ACTION_IDS.approve, posted.requestId);

    // The channel stays the record: its message re-rendered, the thread noted, the user deactivated.
    const done = await until(
      'the request to succeed',
      () => stored(posted),
      (r) => r?.state === 'succeeded',
    );
    expect(done?.approvals.map((a) => a.userId)).toEqual([A]);
    expect(channelUpdates(posted).length).toBeGreaterThan(before);
    await h.slack.waitFor(
      (c) =>
        c.method === 'chat.postMessage' &&
        c.args.thread_ts === posted.ts &&
        /Succeeded/.test(visibleText(c.args.blocks)),
      { answered: true },
    );
    const notes = threadNotes(h, posted).map((c) => visibleText(c.args.blocks));
    expect(notes.some((n) => n.includes(`Approved by <@${A}> (1/1) — queued`))).toBe(true);
    expect(h.cipher.calls.filter((c) => c.operation !== 'getUser')).toHaveLength(1);
    // Nothing ephemeral needed: the DM itself says what happened.
    expect(h.slack.callsTo('response_url').filter((c) => url.endsWith(c.responseUrlId ?? '-'))).toEqual([]);

    for (const userId of EVERYONE) {
      const last = await dmShows(dms[userId] as Dm, /Approved by/);
      expect(buttonsOf(last), userId).toEqual([]);
      expect(last.problems).toEqual([]);
      const text = visibleText(last.args.blocks);
      expect(text).toContain(`*Approved by <@${A}>* (1/1)`);
      expect(text).toMatch(/<https:\/\/fake\.slack\.com\/archives\/C\w+\/p\d+\|See the request>/);
      expect(text).toMatch(/<!date\^\d+\^/);
    }
  });

  it('one approval of two: the approver’s own DM says "You approved (1/2)" without Approve; quorum clears every DM', async () => {
    const posted = await makeRequest(h, 'delete', SEED_IDS.alice);
    const dms = await dmsOf(posted);
    await clickInDm(dms[A] as Dm, A, ACTION_IDS.approve, posted.requestId);
    const mine = await dmShows(dms[A] as Dm, /You approved/);
    expect(visibleText(mine.args.blocks)).toMatch(
      /\*You approved\* \(1\/2\) · <!date\^\d+\^.* waiting for 1 more approval/,
    );
    expect(buttonsOf(mine)).toEqual([ACTION_IDS.reject]);
    expect(mine.args.text).toContain('You approved (1/2)');
    const counted = await stored(posted);
    await until(
      'the job of the counted approval to finish',
      () => h.runtime.redis.hget(dmUpdateJob(posted, counted?.version ?? 0), 'finishedOn'),
      Boolean,
    );
    // The others' DMs read the same until the request is decided: not touched.
    for (const userId of [B, C, MEMBER]) expect(updatesOf(dms[userId] as Dm), userId).toEqual([]);
    expect((await stored(posted))?.state).toBe('pending');

    await clickInDm(dms[B] as Dm, B, ACTION_IDS.approve, posted.requestId);
    for (const userId of EVERYONE) {
      const last = await dmShows(dms[userId] as Dm, /Approved by/);
      expect(buttonsOf(last), userId).toEqual([]);
      expect(visibleText(last.args.blocks)).toContain(`*Approved by <@${A}>, <@${B}>* (2/2)`);
    }
    await until(
      'the request to succeed',
      () => stored(posted),
      (r) => r?.state === 'succeeded',
    );
  });

  it('Reject from the DM opens the reason modal with its trigger, and the reason lands in the thread and every DM', async () => {
    const posted = await makeRequest(h, 'deactivate', SEED_IDS.alice);
    const dms = await dmsOf(posted);
    const start = mark(h);
    await clickInDm(dms[B] as Dm, B, ACTION_IDS.reject, posted.requestId);
    const modal = await viewShown(h, CALLBACK_IDS.reject, start);
    const hostile = 'not approved <!channel> *now* <@U0VICTIM>';
    const answer = await submit(h, modal, { [BLOCK_IDS.rejectReason]: hostile }, B);
    expect(answer.status).toBe(200);
    const rejected = await until(
      'rejected',
      () => stored(posted),
      (r) => r?.state === 'rejected',
    );
    expect(rejected).toMatchObject({ decidedBy: B, decisionReason: hostile });
    const note = await h.slack.waitFor(
      (c) =>
        c.method === 'chat.postMessage' &&
        c.args.thread_ts === posted.ts &&
        /Rejected by/.test(visibleText(c.args.blocks)),
      { answered: true },
    );
    expect(visibleText(note[0]?.args.blocks)).toContain('&lt;!channel&gt;');
    for (const userId of EVERYONE) {
      const last = await dmShows(dms[userId] as Dm, /Rejected by/);
      const text = visibleText(last.args.blocks);
      expect(buttonsOf(last)).toEqual([]);
      expect(text).toContain(`*Rejected by <@${B}>*`);
      expect(text).toContain('&lt;!channel&gt;');
      expect(text).not.toContain('<!channel>');
      expect(text).not.toContain('<@U0VICTIM>');
    }
    expect(h.cipher.calls.filter((c) => c.operation !== 'getUser')).toEqual([]);
    // The decision shortened the record's life to the retention: the DMs' record follows it.
    const recordTtl = await h.runtime.redis.pttl(keys().request(posted.requestId));
    for (const key of [keys().dms(posted.requestId), keys().dmsShown(posted.requestId)]) {
      const ttl = await h.runtime.redis.pttl(key);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(recordTtl);
      expect(recordTtl - ttl).toBeLessThan(60_000);
    }
  });

  it('a decision in the channel (the requester cancels) updates the DMs', async () => {
    const posted = await makeRequest(h, 'deactivate', SEED_IDS.alice);
    const dms = await dmsOf(posted);
    await click(h, {
      actionId: ACTION_IDS.cancel,
      value: posted.requestId,
      userId: REQUESTER,
      channel: posted.channel,
      ts: posted.ts,
    });
    for (const userId of EVERYONE) {
      const last = await dmShows(dms[userId] as Dm, /Cancelled by/);
      expect(buttonsOf(last)).toEqual([]);
      expect(visibleText(last.args.blocks)).toContain(`*Cancelled by <@${REQUESTER}>*`);
    }
  });

  it('an approval in the channel clears the DMs too', async () => {
    const posted = await makeRequest(h, 'deactivate', SEED_IDS.alice);
    const dms = await dmsOf(posted);
    await approveBy(h, posted, C);
    for (const userId of EVERYONE) {
      const last = await dmShows(dms[userId] as Dm, /Approved by/);
      expect(buttonsOf(last)).toEqual([]);
    }
  });

  it('a click from a DM after the request was decided in the channel is told so there, and changes nothing', async () => {
    const posted = await makeRequest(h, 'delete', SEED_IDS.alice);
    const dms = await dmsOf(posted);
    await click(h, {
      actionId: ACTION_IDS.cancel,
      value: posted.requestId,
      userId: REQUESTER,
      channel: posted.channel,
      ts: posted.ts,
    });
    const before = await stored(posted);
    const url = await clickInDm(dms[A] as Dm, A, ACTION_IDS.approve, posted.requestId);
    expect(await answerTo(url)).toContain('This request is cancelled.');
    expect(await stored(posted)).toEqual(before);
  });

  it('two approvers clicking at once from their DMs give one quorum, one job, one API call', async () => {
    const posted = await makeRequest(h, 'delete', SEED_IDS.alice);
    const dms = await dmsOf(posted);
    await Promise.all(
      [A, B, C, MEMBER].map((userId) =>
        clickInDm(dms[userId] as Dm, userId, ACTION_IDS.approve, posted.requestId),
      ),
    );
    const done = await until(
      'the request to succeed',
      () => stored(posted),
      (r) => r?.state === 'succeeded',
    );
    expect(done?.approvals).toHaveLength(2);
    const quorumNotes = threadNotes(h, posted).filter((c) => /— queued/.test(visibleText(c.args.blocks)));
    expect(quorumNotes).toHaveLength(1);
    expect(h.cipher.calls.filter((c) => c.operation === 'deleteUser')).toHaveLength(1);
    for (const userId of EVERYONE)
      expect(buttonsOf(await dmShows(dms[userId] as Dm, /Approved by/))).toEqual([]);
  });
});

describe('a bulk request decided from a DM', () => {
  it('the full list first: Approve from the DM is refused until Show all (in the DM) was paged through', async () => {
    const start = mark(h);
    await h.command(`deactivate ${SEED_IDS.alice} ${SEED_IDS.pending} -- laptop stolen`);
    const review = await viewShown(h, CALLBACK_IDS.bulkReview, start);
    expect((await submit(h, review, {})).text).toBe('');
    const posted = await approvalPosted(h, start);
    const dms = await dmsOf(posted, [A]);
    const dm = dms[A] as Dm;
    const refused = await clickInDm(dm, A, ACTION_IDS.approve, posted.requestId);
    expect(await answerTo(refused)).toMatch(/Open \*Show all\* on this request .* Nothing was approved/);
    expect((await stored(posted))?.approvals).toEqual([]);

    const listed = mark(h);
    await clickInDm(dm, A, ACTION_IDS.batchShowAll, posted.requestId);
    const list = await viewShown(h, CALLBACK_IDS.batchList, listed);
    expect(visibleText(list.view.blocks)).toContain(SEED_IDS.pending);
    await clickInDm(dm, A, ACTION_IDS.approve, posted.requestId);
    await until(
      'the batch to finish',
      () => stored(posted),
      (r) => r?.state === 'succeeded',
    );
    expect(buttonsOf(await dmShows(dm, /Approved by/))).toEqual([]);
  });
});

describe('a click from a DM that is not the clicker’s own', () => {
  it('approver B clicking with approver A’s DM coordinates is refused: wrong message, nothing counted', async () => {
    const posted = await makeRequest(h, 'delete', SEED_IDS.alice);
    const dms = await dmsOf(posted);
    const before = await stored(posted);
    const url = await clickInDm(dms[A] as Dm, B, ACTION_IDS.approve, posted.requestId);
    expect(await answerTo(url)).toContain('That button does not belong to this request');
    // Reject the same way opens no reason form, just the refusal.
    const start = mark(h);
    await clickInDm(dms[A] as Dm, B, ACTION_IDS.reject, posted.requestId);
    const notice = await viewShown(h, CALLBACK_IDS.notice, start);
    expect(visibleText(notice.view.blocks)).toContain('does not belong to this request');
    expect(await stored(posted)).toEqual(before);
  });

  it('a DM of another request, with this request’s id, is refused', async () => {
    const first = await makeRequest(h, 'delete', SEED_IDS.alice);
    const second = await makeRequest(h, 'delete', SEED_IDS.manyDevices);
    const dmsFirst = await dmsOf(first, [A]);
    await dmsOf(second, [A]);
    const before = await stored(second);
    const url = await clickInDm(dmsFirst[A] as Dm, A, ACTION_IDS.approve, second.requestId);
    expect(await answerTo(url)).toContain('That button does not belong to this request');
    expect(await stored(second)).toEqual(before);
  });

  it('a made-up DM ts, or a DM click on a request that sent no DMs to the clicker, is refused', async () => {
    const posted = await makeRequest(h, 'deactivate', SEED_IDS.alice);
    const dms = await dmsOf(posted);
    const forged = { channel: (dms[A] as Dm).channel, ts: '1700000000.000001' };
    const url = await clickInDm(forged, A, ACTION_IDS.approve, posted.requestId);
    expect(await answerTo(url)).toContain('That button does not belong to this request');
    // The requester gets no DM; a D… channel of their own is nobody's recorded DM.
    const own = await clickInDm(
      { channel: 'D0REQUESTER', ts: (dms[A] as Dm).ts },
      REQUESTER,
      ACTION_IDS.cancel,
      posted.requestId,
    );
    expect(await answerTo(own)).toContain('That button does not belong to this request');
    expect((await stored(posted))?.state).toBe('pending');
  });

  it('a DM recorded for someone no longer an approver: the approver check refuses', async () => {
    const posted = await makeRequest(h, 'deactivate', SEED_IDS.alice);
    const dms = await dmsOf(posted);
    h.slack.setUsergroupMembers(GROUP, []);
    const url = await clickInDm(dms[MEMBER] as Dm, MEMBER, ACTION_IDS.approve, posted.requestId);
    expect(await answerTo(url)).toContain('You are not an approver');
    expect((await stored(posted))?.approvals).toEqual([]);
  });

  it('the DM clicked by a user of another workspace is refused by the team gate', async () => {
    const posted = await makeRequest(h, 'deactivate', SEED_IDS.alice);
    const dms = await dmsOf(posted);
    const { payload } = dmClick(dms[A] as Dm, A, ACTION_IDS.approve, posted.requestId);
    const foreign = { ...payload, user: { ...payload.user, team_id: 'TOTHER' } };
    expect((await h.interact(foreign)).status).toBe(200);
    expect(await answerTo(payload.response_url)).toContain('only works for members of the workspace');
    expect((await stored(posted))?.approvals).toEqual([]);
  });
});

describe('keeping the DMs in step', () => {
  it('a DM Slack will not update any more (deleted) is logged and dropped; the others are updated', async () => {
    const posted = await makeRequest(h, 'deactivate', SEED_IDS.alice);
    const dms = await dmsOf(posted);
    const gone = dms[C] as Dm;
    const deleted = await fetch(`${h.slack.apiUrl}chat.delete`, {
      method: 'POST',
      headers: { authorization: `Bearer ${h.slack.botToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ channel: gone.channel, ts: gone.ts }),
    });
    expect(await deleted.json()).toMatchObject({ ok: true });
    await approveBy(h, posted, A);
    for (const userId of [A, B, MEMBER]) await dmShows(dms[userId] as Dm, /Approved by/);
    await until(
      'the refused DM to be dropped',
      () => h.runtime.redis.hexists(keys().dms(posted.requestId), C),
      (exists) => exists === 0,
    );
    expect(updatesOf(gone).map((c) => c.response?.error)).toEqual(['message_not_found']);
    const logged = h.logs.filter(
      (l) => l.includes('approver DM not updated; dropped') && l.includes(posted.requestId),
    );
    expect(logged.map((l) => JSON.parse(l))).toEqual([
      expect.objectContaining({ requestId: posted.requestId, userId: C, error: 'message_not_found' }),
    ]);
  });

  it('a DM update run again (a retry, a duplicate, a restart) sends nothing: every DM already reads so', async () => {
    const posted = await makeRequest(h, 'deactivate', SEED_IDS.alice);
    const dms = await dmsOf(posted);
    await approveBy(h, posted, A);
    for (const userId of EVERYONE) await dmShows(dms[userId] as Dm, /Approved by/);
    const done = await until(
      'succeeded',
      () => stored(posted),
      (r) => r?.state === 'succeeded',
    );
    const before = h.slack.callsTo('chat.update').length;
    await h.runtime.ctx.producer.updateDms(posted.requestId, done?.version ?? 0);
    await until(
      'the repeated job to finish',
      () => h.runtime.redis.hget(dmUpdateJob(posted, done?.version ?? 0), 'finishedOn'),
      Boolean,
    );
    expect(h.slack.callsTo('chat.update')).toHaveLength(before);
  });

  it('a Slack outage on the DM updates is retried; each DM ends on the decision, updated once it landed', async () => {
    const posted = await makeRequest(h, 'deactivate', SEED_IDS.alice);
    const dms = await dmsOf(posted);
    let failures = 2;
    h.slack.addGate((call) => {
      if (call.method !== 'chat.update' || !String(call.args.channel).startsWith('D') || failures <= 0)
        return undefined;
      failures -= 1;
      return { status: 503 };
    });
    await approveBy(h, posted, A);
    for (const userId of EVERYONE) {
      const dm = dms[userId] as Dm;
      await dmShows(dm, /Approved by/);
      // Updated until it landed, not again after (the version it shows is recorded).
      const landed = updatesOf(dm).filter((c) => c.response?.ok);
      expect(landed, userId).toHaveLength(1);
    }
    expect(failures).toBe(0);
  });

  it('an older render that lands after a newer one is put right: a DM never ends on an older state', async () => {
    const posted = await makeRequest(h, 'delete', SEED_IDS.alice);
    const dms = await dmsOf(posted, [A]);
    const dm = dms[A] as Dm;
    // A's "You approved" update is answered late: the quorum's update of the same DM lands before it.
    let first = true;
    const undo = h.slack.delayAnswers((c) => {
      if (c.method !== 'chat.update' || c.args.channel !== dm.channel || !first) return false;
      first = false;
      return true;
    }, 1500);
    try {
      await approveBy(h, posted, A);
      await h.slack.waitFor((c) => c.method === 'chat.update' && c.args.channel === dm.channel);
      await approveBy(h, posted, B);
      await h.slack.waitFor(
        (c) => c.method === 'chat.update' && c.args.channel === dm.channel && c.response?.ok === true,
        { count: 3, answered: true },
      );
    } finally {
      undo();
    }
    const landed = updatesOf(dm)
      .filter((c) => c.response?.ok)
      .sort((x, y) => (x.answeredAt ?? 0) - (y.answeredAt ?? 0));
    const texts = landed.map((c) => visibleText(c.args.blocks));
    // The late one landed second (older over newer), then the DM was rendered again from the record.
    expect(texts[0]).toContain('Approved by');
    expect(texts[1]).toContain('You approved');
    expect(texts.at(-1)).toContain('Approved by');
    expect(buttonsOf(landed.at(-1))).toEqual([]);
  });
});

describe('DM updates within Slack’s rate tier', () => {
  it('take at most their share of chat.update per window; the request message does not wait behind them', async () => {
    const WINDOW = 3000;
    const slack = await FakeSlack.start({ tiers: { windowMs: WINDOW } });
    slack.setUsergroupMembers(GROUP, [MEMBER]);
    const tight = await startHarness({
      processBeforeResponse: true,
      env: DM_ENV,
      slack,
      slackTierWindowMs: WINDOW,
      slackTierLimits: { 'chat.update:dms': 2 },
    });
    try {
      const posted = await makeRequest(tight, 'deactivate', SEED_IDS.alice);
      for (const userId of EVERYONE)
        await until(
          `${userId}'s DM recorded`,
          () =>
            tight.runtime.redis.hexists(new Keys(tight.config.redis.prefix).dms(posted.requestId), userId),
          (n) => n === 1,
        );
      await approveBy(tight, posted, A);
      const isDmUpdate = (c: SlackCall) =>
        c.method === 'chat.update' && String(c.args.channel).startsWith('D') && c.response?.ok === true;
      await slack.waitFor(isDmUpdate, { count: EVERYONE.length, answered: true, timeoutMs: 15_000 });
      const dmUpdates = slack.calls.filter(isDmUpdate);
      expect(dmUpdates).toHaveLength(EVERYONE.length);
      // At most 2 a window: the third starts a window after the first. (The app counts a slot when it takes
      // it, the fake when the call arrives, a little later and by varying amounts: hence the margin.)
      const arrived = dmUpdates.map((c) => c.at).sort((x, y) => x - y);
      for (let i = 0; i + 2 < arrived.length; i++)
        expect((arrived[i + 2] ?? 0) - (arrived[i] ?? 0), `updates ${i} and ${i + 2}`).toBeGreaterThan(
          WINDOW - 1000,
        );
      // The request message was updated to its decision before the DMs had all been done.
      const message = slack
        .callsTo('chat.update')
        .find((c) => c.args.ts === posted.ts && /queued|succeeded/.test(String(c.args.text)));
      expect(message?.at).toBeLessThan(dmUpdates.at(-1)?.at ?? 0);
    } finally {
      await tight.close();
      await slack.close();
    }
  });
});
