import { Queue } from 'bullmq';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ACTION_IDS, BLOCK_IDS, CALLBACK_IDS } from '../../src/blocks/ids.js';
import { SEED_IDS } from '../fakes/cipherscale/seed.js';
import { visibleText } from '../helpers/blocks-text.js';
import {
  approvalPosted,
  approveBy,
  clickPayload,
  ephemeralsFor,
  mark,
  type PostedRequest,
  threadNotes,
  viewShown,
} from '../helpers/flows.js';
import { APPROVERS, type Harness, REQUESTER, startHarness } from '../helpers/harness.js';
import { endOpenRequests } from '../helpers/open-requests.js';
import { until } from '../helpers/poll.js';
import {
  cancelBy,
  minuteFrom,
  pickerInitial,
  scheduleRequest,
  submitScheduled,
} from '../helpers/schedule.js';

// Scheduled changes: approve now, run then. One injected clock (`offset` moves the app's "now"; BullMQ's
// delays are real time, so a test promotes the delayed start job instead of waiting for it).
const [A, B] = APPROVERS;
const DAY = 24 * 3600_000;
let offset = 0;
/** A clock frozen at this instant (the 90-day boundary), else the machine's plus `offset`. */
let frozen: number | undefined;
const appNow = () => frozen ?? Date.now() + offset;
let h: Harness;
let requests: Queue | undefined;

const queue = (): Queue => {
  requests ??= new Queue('requests', {
    connection: h.runtime.redis,
    prefix: h.config.redis.bullPrefix,
  });
  return requests;
};
const jobState = async (id: string) => (await (await queue().getJob(id))?.getState()) ?? 'missing';
const stored = (posted: PostedRequest) => h.runtime.ctx.store.get(posted.requestId);
const lastRender = (posted: PostedRequest) =>
  visibleText(
    h.slack
      .callsTo('chat.update')
      .filter((c) => c.args.ts === posted.ts)
      .at(-1)?.args.blocks,
  );
const notesText = (posted: PostedRequest) => threadNotes(h, posted).map((c) => visibleText(c.args.blocks));

/** Sets the app's clock past `runAt` and fires the delayed start job now. */
async function reachTime(posted: PostedRequest, runAt: number): Promise<void> {
  offset = runAt - Date.now() + 1000;
  await (await queue().getJob(`start-${posted.requestId}`))?.promote();
}

/** Approved by A with its time ahead: waiting, the start job delayed, nothing sent. */
async function approvedAndWaiting(posted: PostedRequest): Promise<void> {
  await approveBy(h, posted, A);
  await until(
    'approved and waiting',
    () => stored(posted),
    (r) => r?.state === 'approved',
  );
  await until(
    'its start job',
    () => jobState(`start-${posted.requestId}`),
    (s) => s === 'delayed',
  );
}

beforeAll(async () => {
  h = await startHarness({
    processBeforeResponse: true,
    now: appNow,
    env: { SWEEP_INTERVAL_MS: '200', SWEEP_GRACE_MS: '300' },
  });
});
afterAll(async () => {
  await requests?.close();
  await h.close();
});
beforeEach(async () => {
  offset = 0;
  frozen = undefined;
  await endOpenRequests(h);
  h.slack.reset();
  h.cipher.reset();
});

describe('a scheduled change', () => {
  it('waits approved until its time, never early (a promoted job goes back), then runs once and says so', async () => {
    const runAt = minuteFrom(appNow(), 2 * DAY);
    const posted = await scheduleRequest(h, 'deactivate', SEED_IDS.alice, runAt);
    expect((await stored(posted))?.runAt).toBe(runAt);
    // The record lives until its time plus the retention, not only until its approval deadline.
    const ttl = await h.runtime.redis.pttl(`${h.config.redis.prefix}request:${posted.requestId}`);
    expect(ttl).toBeGreaterThan(2 * DAY);
    const pending = h.slack
      .callsTo('chat.postMessage')
      .find((c) => c.args.ts === undefined && !c.args.thread_ts);
    expect(visibleText(pending?.args.blocks)).toMatch(/Runs at .* once approved/);

    await approvedAndWaiting(posted);
    expect(await jobState(posted.requestId)).toBe('missing');
    expect(lastRender(posted)).toMatch(/Approved — runs/);
    expect(JSON.stringify(h.slack.callsTo('chat.update').at(-1)?.args.blocks)).toContain(
      `<!date^${runAt / 1000}^`,
    );
    await until(
      'the wait note',
      async () => notesText(posted),
      (n) => n.some((t) => /Approved by .*; runs/.test(t)),
    );

    // Fired a day early (a promoted job, another machine's clock): it goes back to waiting.
    offset = DAY;
    await (await queue().getJob(`start-${posted.requestId}`))?.promote();
    await until(
      'the early start to wait again',
      async () => h.logs.filter((l) => l.includes('fired early')).length,
      (n) => n > 0,
    );
    expect(await jobState(`start-${posted.requestId}`)).toBe('delayed');
    expect((await stored(posted))?.state).toBe('approved');
    expect(h.cipher.callsTo('deactivateUser')).toHaveLength(0);

    await reachTime(posted, runAt);
    await until(
      'the outcome',
      () => stored(posted),
      (r) => r?.state === 'succeeded',
    );
    await until(
      'the outcome note',
      async () => notesText(posted),
      (n) => n.some((t) => /Succeeded/.test(t)),
    );
    expect(h.cipher.callsTo('deactivateUser', SEED_IDS.alice)).toHaveLength(1);
    expect(lastRender(posted)).toMatch(/Scheduled for/);
  });

  it('approved after its time has passed runs at once, and the thread says it was scheduled for then', async () => {
    const runAt = minuteFrom(appNow(), 60 * 60_000);
    const posted = await scheduleRequest(h, 'deactivate', SEED_IDS.alice, runAt);
    offset = 2 * 60 * 60_000;
    await approveBy(h, posted, A);
    await until(
      'the outcome',
      () => stored(posted),
      (r) => r?.state === 'succeeded',
    );
    const quorum = await until(
      'the quorum note',
      async () => notesText(posted),
      (n) => n.some((t) => /queued/.test(t)),
    );
    expect(quorum.find((t) => /queued/.test(t))).toMatch(/it was scheduled for/);
    expect(h.cipher.callsTo('deactivateUser')).toHaveLength(1);
  });
});

describe('Cancel while it waits', () => {
  async function waiting(): Promise<{ posted: PostedRequest; runAt: number }> {
    const runAt = minuteFrom(appNow(), DAY);
    const posted = await scheduleRequest(h, 'deactivate', SEED_IDS.alice, runAt);
    await approvedAndWaiting(posted);
    return { posted, runAt };
  }

  /** Cancelled: said on the message and in the thread, and nothing is sent even after its time. */
  async function staysCancelled(posted: PostedRequest, runAt: number, by: string): Promise<void> {
    await until(
      'cancelled',
      () => stored(posted),
      (r) => r?.state === 'cancelled',
    );
    expect((await stored(posted))?.decidedBy).toBe(by);
    await until(
      'the cancel note',
      async () => notesText(posted),
      (n) => n.some((t) => /Cancelled by/.test(t)),
    );
    expect(lastRender(posted)).toMatch(/Cancelled by/);
    expect(await jobState(`start-${posted.requestId}`)).toBe('missing');
    // Its time passes and a start job fires anyway (one the removal missed): it finds it cancelled.
    offset = runAt - Date.now() + DAY;
    await h.runtime.ctx.producer.scheduleStart(posted.requestId, 0);
    await until(
      'the stray start to run',
      () => jobState(`start-${posted.requestId}`),
      (s) => s === 'completed',
    );
    expect((await stored(posted))?.state).toBe('cancelled');
    expect(h.cipher.callsTo('deactivateUser')).toHaveLength(0);
  }

  it('by the requester', async () => {
    const { posted, runAt } = await waiting();
    await cancelBy(h, posted, REQUESTER);
    await staysCancelled(posted, runAt, REQUESTER);
  });

  it('by an approver (not the one who approved)', async () => {
    const { posted, runAt } = await waiting();
    await cancelBy(h, posted, B as string);
    await staysCancelled(posted, runAt, B as string);
  });

  it('refused to a stranger, to the requester of another request, and for a forged value', async () => {
    const { posted, runAt } = await waiting();
    const other = await scheduleRequest(h, 'deactivate', SEED_IDS.minimal, runAt, 'UOTHERREQ1');
    await cancelBy(h, posted, 'USTRANGER1');
    await cancelBy(h, posted, 'UOTHERREQ1');
    // This request's id on the other request's message: not this message's button.
    await cancelBy(h, other, REQUESTER, posted.requestId);
    // The other requester forges their own request's id onto this one's message.
    await cancelBy(h, posted, 'UOTHERREQ1', other.requestId);
    await until(
      'the refusals',
      async () => [
        ...ephemeralsFor(h, 'USTRANGER1'),
        ...ephemeralsFor(h, 'UOTHERREQ1'),
        ...ephemeralsFor(h, REQUESTER),
      ],
      (t) => t.length >= 4,
    );
    expect(ephemeralsFor(h, 'USTRANGER1')).toEqual([
      expect.stringMatching(/Only the person who made the request or an approver/),
    ]);
    expect(ephemeralsFor(h, 'UOTHERREQ1')).toEqual([
      expect.stringMatching(/Only the person who made the request or an approver/),
      expect.stringMatching(/does not belong to this request/),
    ]);
    expect(ephemeralsFor(h, REQUESTER)).toEqual([expect.stringMatching(/does not belong to this request/)]);
    expect((await stored(posted))?.state).toBe('approved');
    expect((await stored(other))?.state).toBe('pending');
    // Still runs at its time: the refusals changed nothing.
    await reachTime(posted, runAt);
    await until(
      'the outcome',
      () => stored(posted),
      (r) => r?.state === 'succeeded',
    );
    expect(h.cipher.callsTo('deactivateUser', SEED_IDS.alice)).toHaveLength(1);
  });

  it('refused to an approver id clicking from another workspace', async () => {
    const { posted } = await waiting();
    const payload = clickPayload(h, {
      actionId: ACTION_IDS.cancel,
      value: posted.requestId,
      userId: B as string,
      channel: posted.channel,
      ts: posted.ts,
    });
    const answer = await h.interact({ ...payload, user: { ...payload.user, team_id: 'TOTHER' } });
    expect(answer.status).toBe(200);
    expect((await stored(posted))?.state).toBe('approved');
    expect(h.logs.some((l) => l.includes('outside the allowed workspaces'))).toBe(true);
    expect(notesText(posted).some((t) => /Cancelled/.test(t))).toBe(false);
  });

  it('two Cancel clicks at once (the requester and an approver): one cancel, one note', async () => {
    const { posted } = await waiting();
    await Promise.all([cancelBy(h, posted, REQUESTER), cancelBy(h, posted, B as string)]);
    await until(
      'cancelled',
      () => stored(posted),
      (r) => r?.state === 'cancelled',
    );
    await until(
      'the loser told',
      async () => [...ephemeralsFor(h, REQUESTER), ...ephemeralsFor(h, B as string)],
      (t) => t.length > 0,
    );
    expect([...ephemeralsFor(h, REQUESTER), ...ephemeralsFor(h, B as string)]).toEqual([
      expect.stringMatching(/cancelled; it can no longer be cancelled/),
    ]);
    await until(
      'the cancel note',
      async () => notesText(posted),
      (n) => n.some((t) => /Cancelled by/.test(t)),
    );
    expect(notesText(posted).filter((t) => /Cancelled by/.test(t))).toHaveLength(1);
    expect(
      h.logs.filter((l) => l.includes(posted.requestId) && l.includes('"transition":"cancelled"')),
    ).toHaveLength(1);
  });

  it('racing the start at its time: exactly one wins, at most one call', async () => {
    for (let round = 0; round < 4; round++) {
      h.cipher.reset();
      const { posted, runAt } = await waiting();
      offset = runAt - Date.now() + 1000;
      const job = await queue().getJob(`start-${posted.requestId}`);
      // Even rounds: the job fires as the click arrives; odd ones: the start the job makes, called directly
      // (the click's HTTP round trip then usually loses), so both orders are exercised.
      const start =
        round % 2 === 0 ? job?.promote() : h.runtime.ctx.workflow.startScheduled(posted.requestId);
      await Promise.all([start, cancelBy(h, posted, REQUESTER)]);
      const end = await until(
        'one of them to win',
        () => stored(posted),
        (r) => r?.state === 'cancelled' || r?.state === 'succeeded',
      );
      if (end?.state === 'cancelled') {
        await until(
          'the start job to end',
          () => jobState(`start-${posted.requestId}`),
          (s) => s === 'completed' || s === 'missing',
        );
        expect(await jobState(posted.requestId)).toBe('missing');
        expect(h.cipher.callsTo('deactivateUser')).toHaveLength(0);
      } else {
        expect(h.cipher.callsTo('deactivateUser')).toHaveLength(1);
        await until(
          'the refusal',
          async () => ephemeralsFor(h, REQUESTER),
          (t) => t.length > 0,
        );
        expect(ephemeralsFor(h, REQUESTER).at(-1)).toMatch(/can no longer be cancelled/);
      }
      const audit = h.logs.filter(
        (l) => l.includes(posted.requestId) && /"transition":"(cancelled|queued)"/.test(l),
      );
      expect(audit).toHaveLength(1);
      await endOpenRequests(h);
    }
  });
});

describe('the sweeper', () => {
  it('re-adds a lost start job before its time (never starts it early), and starts one whose job was lost after', async () => {
    const runAt = minuteFrom(appNow(), DAY);
    const posted = await scheduleRequest(h, 'deactivate', SEED_IDS.alice, runAt);
    await approvedAndWaiting(posted);
    // A failover lost the delayed job.
    await (await queue().getJob(`start-${posted.requestId}`))?.remove();
    await until(
      'the sweeper to restore it',
      () => jobState(`start-${posted.requestId}`),
      (s) => s === 'delayed',
    );
    const restored = await queue().getJob(`start-${posted.requestId}`);
    // Delayed by the time left on the app's clock (about a day).
    expect(restored?.opts.delay ?? 0).toBeGreaterThan(DAY - 120_000);
    expect(
      h.logs.some((l) => l.includes('"transition":"schedule-restored"') && l.includes(posted.requestId)),
    ).toBe(true);
    expect((await stored(posted))?.state).toBe('approved');
    expect(h.cipher.callsTo('deactivateUser')).toHaveLength(0);

    // Lost again, and now its time has passed: the sweeper starts it, once.
    await restored?.remove();
    offset = runAt - Date.now() + 1000;
    await until(
      'the outcome',
      () => stored(posted),
      (r) => r?.state === 'succeeded',
    );
    expect(h.cipher.callsTo('deactivateUser', SEED_IDS.alice)).toHaveLength(1);
    expect(
      h.logs.some(
        (l) =>
          l.includes('"transition":"queued"') &&
          l.includes('"actor":"sweeper"') &&
          l.includes(posted.requestId),
      ),
    ).toBe(true);
  });
});

describe('a process that dies at the wrong moment', () => {
  it('between the start (approved → queued) and its job: the sweeper adds the job, the change runs once', async () => {
    const runAt = minuteFrom(appNow(), DAY);
    const posted = await scheduleRequest(h, 'deactivate', SEED_IDS.alice, runAt);
    await approvedAndWaiting(posted);
    offset = runAt - Date.now() + 1000;
    // What the start's first step leaves behind when the process dies before adding the execute job.
    await (await queue().getJob(`start-${posted.requestId}`))?.remove();
    expect((await h.runtime.ctx.store.transition(posted.requestId, ['approved'], 'queued')).ok).toBe(true);
    await until(
      'the outcome',
      () => stored(posted),
      (r) => r?.state === 'succeeded',
    );
    expect(h.cipher.callsTo('deactivateUser', SEED_IDS.alice)).toHaveLength(1);
    expect(h.logs.some((l) => l.includes('"transition":"requeued"') && l.includes(posted.requestId))).toBe(
      true,
    );
  });
});

describe('the modal', () => {
  async function openModal(action: 'deactivate' | 'delete' = 'deactivate') {
    const start = mark(h);
    await h.command(`${action} ${SEED_IDS.alice}`);
    return viewShown(h, CALLBACK_IDS[action], start);
  }
  const values = { [BLOCK_IDS.reason]: 'last day' };
  const errorsOf = (answer: { text: string }) =>
    (JSON.parse(answer.text) as { errors: Record<string, string> }).errors;

  it('refuses a time that has passed, but not the current minute', async () => {
    frozen = Date.now();
    const shown = await openModal();
    const past = await submitScheduled(h, shown, values, frozen - 10 * 60_000);
    expect(errorsOf(past)[BLOCK_IDS.runAt]).toBe('That time has passed.');
    const thisMinute = await submitScheduled(h, shown, values, Math.floor(frozen / 60_000) * 60_000);
    expect(thisMinute.text).toBe('');
  });

  it('accepts exactly 90 days ahead and refuses a minute more, saying until when', async () => {
    frozen = Math.floor(Date.now() / 60_000) * 60_000;
    const limit = frozen + 90 * DAY;
    const shown = await openModal('delete');
    const over = await submitScheduled(
      h,
      shown,
      { ...values, [BLOCK_IDS.confirm]: 'DELETE' },
      limit + 60_000,
    );
    const until90 = new Date(limit).toISOString().slice(0, 16).replace('T', ' ');
    expect(errorsOf(over)[BLOCK_IDS.runAt]).toBe(`At most 90 days ahead (until ${until90} UTC).`);
    const start = mark(h);
    const at = await submitScheduled(h, shown, { ...values, [BLOCK_IDS.confirm]: 'DELETE' }, limit);
    expect(at.text).toBe('');
    const posted = await approvalPosted(h, start);
    expect((await stored(posted))?.runAt).toBe(limit);
  });

  it('is not offered for an edit; the picker is empty unless --at gave a time', async () => {
    const start = mark(h);
    await h.command(`edit ${SEED_IDS.alice}`);
    const edit = await viewShown(h, CALLBACK_IDS.edit, start);
    expect(JSON.stringify(edit.view)).not.toContain('datetimepicker');
    expect(pickerInitial(await openModal())).toBeUndefined();
  });
});

describe('--at in the command', () => {
  const opened = async (text: string, userId = REQUESTER) => {
    const start = mark(h);
    const answer = await h.command(text, { user_id: userId });
    return { answer, view: await viewShown(h, CALLBACK_IDS.deactivate, start), start };
  };
  const notice = async (start: ReturnType<typeof mark>) =>
    visibleText((await viewShown(h, CALLBACK_IDS.notice, start)).view.blocks);

  it("is read in each requester's Slack time zone: the same text, two instants", async () => {
    h.slack.setUser({ id: REQUESTER, tz: 'Europe/Berlin' });
    h.slack.setUser({ id: 'UNEWYORK01', tz: 'America/New_York' });
    const berlin = await opened(`deactivate ${SEED_IDS.alice} --at 2026-12-04T17:00 -- offboarding`);
    const newYork = await opened(`deactivate ${SEED_IDS.alice} --at 2026-12-04T17:00`, 'UNEWYORK01');
    expect(berlin.view && pickerInitial(berlin.view)).toBe(Date.UTC(2026, 11, 4, 16, 0));
    expect(newYork.view && pickerInitial(newYork.view)).toBe(Date.UTC(2026, 11, 4, 22, 0));
    expect(visibleText(berlin.view?.view.blocks)).toContain('Europe/Berlin');
    // The reason after `--` is still the reason.
    expect(JSON.stringify(berlin.view?.view.blocks)).toContain('offboarding');
    // Looked up once per user while cached.
    await opened(`deactivate ${SEED_IDS.alice} --at 2026-12-04T18:00`);
    expect(h.slack.callsTo('users.info').filter((c) => c.args.user === REQUESTER)).toHaveLength(1);
  });

  it('a failed time-zone lookup says so and guesses nothing', async () => {
    const start = mark(h);
    await h.command(`deactivate ${SEED_IDS.alice} --at 2026-12-04T17:00`, { user_id: 'UNOZONE001' });
    expect(await notice(start)).toMatch(/could not read your Slack time zone/);
    expect(h.slack.callsTo('users.info')).toHaveLength(1);
  });

  it('a time the clocks skip is refused; one they pass twice says which it took', async () => {
    h.slack.setUser({ id: REQUESTER, tz: 'Europe/Berlin' });
    const gap = mark(h);
    await h.command(`deactivate ${SEED_IDS.alice} --at 2027-03-28T02:30`);
    expect(await notice(gap)).toMatch(/does not exist in your time zone/);
    const twice = await opened(`deactivate ${SEED_IDS.alice} --at 2027-10-31T02:30`);
    expect(twice.view && pickerInitial(twice.view)).toBe(Date.UTC(2027, 9, 31, 0, 30));
    expect(visibleText(twice.view?.view.blocks)).toMatch(/happens twice .* took the first, UTC\+2/);
  });

  it('garbage after --at, or --at on an edit, is a usage error in words', async () => {
    for (const text of [
      `deactivate ${SEED_IDS.alice} --at tomorrow`,
      `delete ${SEED_IDS.alice} --at 2026-02-30T10:00`,
      `deactivate ${SEED_IDS.alice} --at`,
    ]) {
      const answer = await h.command(text);
      expect(answer.text).toMatch(/is not a time for/);
    }
    const hostile = await h.command(`deactivate ${SEED_IDS.alice} --at <!channel>*x*`);
    expect(hostile.text).not.toContain('<!channel>');
    expect((await h.command(`edit ${SEED_IDS.alice} --at 2026-12-04T17:00`)).text).toMatch(
      /An edit cannot be scheduled/,
    );
    expect(h.slack.callsTo('views.open')).toHaveLength(0);
  });
});

describe('bulk', () => {
  it('a bulk request with a time waits, then runs every user at its time', async () => {
    const runAt = minuteFrom(appNow(), DAY);
    const start = mark(h);
    await h.command(`deactivate ${SEED_IDS.alice} ${SEED_IDS.minimal}`);
    const review = await viewShown(h, CALLBACK_IDS.bulkReview, start);
    expect(JSON.stringify(review.view)).toContain('datetimepicker');
    expect((await submitScheduled(h, review, { [BLOCK_IDS.reason]: 'last day' }, runAt)).text).toBe('');
    const posted = await approvalPosted(h, start);
    await approvedAndWaiting(posted);
    expect(await jobState(`batch-${posted.requestId}`)).toBe('missing');
    expect(lastRender(posted)).toMatch(/Approved — runs/);
    await reachTime(posted, runAt);
    await until(
      'the batch to finish',
      () => stored(posted),
      (r) => r?.state === 'succeeded',
    );
    expect(h.cipher.callsTo('deactivateUser')).toHaveLength(2);
  });

  it('refuses a past time in the review step', async () => {
    const start = mark(h);
    await h.command(`deactivate ${SEED_IDS.alice} ${SEED_IDS.minimal}`);
    const review = await viewShown(h, CALLBACK_IDS.bulkReview, start);
    const answer = await submitScheduled(h, review, { [BLOCK_IDS.reason]: 'x' }, appNow() - DAY);
    expect(JSON.parse(answer.text).errors[BLOCK_IDS.runAt]).toBe('That time has passed.');
  });
});

describe('with approver groups', () => {
  let g: Harness;
  beforeAll(async () => {
    g = await startHarness({ processBeforeResponse: true, env: { APPROVER_USERGROUP_IDS: 'S0SEC' } });
  });
  afterAll(async () => {
    await g.close();
  });

  it('an approver whose membership cannot be checked is refused (cannot verify); a member may cancel', async () => {
    g.slack.setUsergroupMembers('S0SEC', ['UGROUPMEMBER']);
    const runAt = minuteFrom(Date.now(), DAY);
    const posted = await scheduleRequest(g, 'deactivate', SEED_IDS.alice, runAt);
    await approveBy(g, posted, A);
    const get = () => g.runtime.ctx.store.get(posted.requestId);
    await until('approved and waiting', get, (r) => r?.state === 'approved');
    g.slack.failNext('usergroups.users.list', { error: 'fatal_error', status: 500 }, 5);
    await cancelBy(g, posted, 'UGROUPMEMBER');
    await until(
      'the refusal',
      async () => ephemeralsFor(g, 'UGROUPMEMBER'),
      (t) => t.length > 0,
    );
    expect(ephemeralsFor(g, 'UGROUPMEMBER')[0]).toMatch(/could not check your permissions/);
    expect((await get())?.state).toBe('approved');
    // Slack answers again: the group member is an approver, and may cancel.
    g.slack.reset();
    g.slack.setUsergroupMembers('S0SEC', ['UGROUPMEMBER']);
    await cancelBy(g, posted, 'UGROUPMEMBER');
    await until('cancelled', get, (r) => r?.state === 'cancelled');
    expect(g.cipher.callsTo('deactivateUser')).toHaveLength(0);
  });
});
