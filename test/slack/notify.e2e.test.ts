import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CALLBACK_IDS } from '../../src/blocks/ids.js';
import { SEED_IDS } from '../fakes/cipherscale/seed.js';
import { FakeCipherscale } from '../fakes/cipherscale/server.js';
import { FakeSlack, type SlackCall } from '../fakes/slack/server.js';
import { parsedTexts, visibleText } from '../helpers/blocks-text.js';
import {
  approvalPosted,
  approveBy,
  makeRequest,
  mark,
  type PostedRequest,
  rejectBy,
  submit,
  threadNotes,
  viewShown,
} from '../helpers/flows.js';
import { type Harness, REQUESTER, startHarness } from '../helpers/harness.js';
import { until } from '../helpers/poll.js';

// Approvers: two listed users, the requester (who is never asked about their own request), and a
// user group that repeats one of them and adds a member.
const [A, B, GROUP_MEMBER, BOT_MEMBER] = ['UAPPROVER1', 'UAPPROVER2', 'UGROUPMEMBER', 'UGROUPBOT'];
const GROUP = 'S0SECOPS';
const APPROVER_ENV = {
  APPROVER_USER_IDS: [A, B, REQUESTER].join(','),
  APPROVER_USERGROUP_IDS: GROUP,
};
const DM_ENV = { ...APPROVER_ENV, NOTIFY_APPROVERS: 'dm' };

let slack: FakeSlack;
let cipher: FakeCipherscale;
const open: Harness[] = [];

beforeAll(async () => {
  slack = await FakeSlack.start();
  cipher = await FakeCipherscale.start();
});
afterAll(async () => {
  await Promise.all(open.map((h) => h.close()));
  await slack.close();
  await cipher.close();
});
beforeEach(() => {
  slack.reset();
  cipher.reset();
  slack.setUsergroupMembers(GROUP, [B, GROUP_MEMBER]);
});

async function harness(env: Record<string, string>): Promise<Harness> {
  const h = await startHarness({ processBeforeResponse: true, slack, cipher, env });
  open.push(h);
  return h;
}

const permalinkOf = (posted: PostedRequest) =>
  `https://fake.slack.com/archives/${posted.channel}/p${posted.ts.replace('.', '')}`;

/** chat.postMessage calls addressed to a user id (the app's DMs) about this request (its permalink). */
const dms = (posted: PostedRequest): SlackCall[] =>
  slack.calls.filter(
    (c) =>
      c.method === 'chat.postMessage' &&
      /^[UW]/.test(String(c.args.channel)) &&
      visibleText(c.args.blocks).includes(permalinkOf(posted)),
  );
const delivered = (posted: PostedRequest, userId: string) =>
  dms(posted).filter((c) => c.args.channel === userId && c.response?.ok);

/** A BullMQ job of this app, once a worker has finished it (completed or failed for good). */
async function jobFinished(h: Harness, jobId: string): Promise<Record<string, string>> {
  const key = `${h.config.redis.bullPrefix}:requests:${jobId}`;
  return until(
    `job ${jobId} to finish`,
    () => h.runtime.redis.hgetall(key),
    (job) => Boolean(job.finishedOn),
    10_000,
  );
}

/** Waits until the fan-out job and each approver's DM job have run. */
async function dmsFinished(h: Harness, posted: PostedRequest, userIds: readonly string[]) {
  await jobFinished(h, `dms-${posted.requestId}`);
  for (const userId of userIds) await jobFinished(h, `dm-${posted.requestId}-${userId}`);
}

describe('approver DMs (NOTIFY_APPROVERS=dm)', () => {
  it('DMs each approver once, listed or in the group, never the requester, with a link to the request', async () => {
    const h = await harness(DM_ENV);
    const posted = await makeRequest(h, 'deactivate', SEED_IDS.alice);
    await dmsFinished(h, posted, [A, B, GROUP_MEMBER]);

    expect(
      dms(posted)
        .map((c) => c.args.channel)
        .sort(),
    ).toEqual([A, B, GROUP_MEMBER].sort());
    expect(dms(posted).every((c) => c.response?.ok === true && c.problems.length === 0)).toBe(true);
    expect(dms(posted).some((c) => c.args.channel === REQUESTER)).toBe(false);
    const dm = delivered(posted, A)[0];
    expect(dm?.args.text).toBe(`<@${REQUESTER}> asks for your approval: Deactivate Alice Martin`);
    const shown = visibleText(dm?.args.blocks);
    expect(shown).toContain(`*Deactivate* *Alice Martin* (\`${SEED_IDS.alice}\`)`);
    expect(shown).toContain('>offboarding');
    expect(shown).toMatch(/Needs 1 approval · expires <!date\^\d+\^/);
    expect(shown).toContain(`<${permalinkOf(posted)}|Open the request>`);
    expect(slack.callsTo('chat.getPermalink').every((c) => c.args.message_ts === posted.ts)).toBe(true);
    // The request itself is untouched: pending, its message posted once.
    expect((await h.runtime.ctx.store.get(posted.requestId))?.state).toBe('pending');
  });

  it('escapes what the DM quotes: a hostile name or reason pings nobody and links nowhere', async () => {
    const h = await harness(DM_ENV);
    const posted = await makeRequest(h, 'deactivate', SEED_IDS.hostile, {
      reason: 'see <!here> and <https://evil.example|this>',
    });
    await dmsFinished(h, posted, [A, B, GROUP_MEMBER]);
    const dm = delivered(posted, A)[0];
    const texts = parsedTexts(dm?.args ?? {}).join('\n');
    for (const live of ['<!channel>', '<!here>', '<@U123>', '<https://evil.example']) {
      expect(texts).not.toContain(live);
    }
    expect(texts).toContain('&lt;!channel&gt;');
  });

  it('a bulk request DMs the approvers too, saying how many users', async () => {
    const h = await harness(DM_ENV);
    const start = mark(h);
    await h.command(`deactivate ${SEED_IDS.alice} ${SEED_IDS.pending} -- laptop stolen`);
    const review = await viewShown(h, CALLBACK_IDS.bulkReview, start);
    expect((await submit(h, review, {})).text).toBe('');
    const posted = await approvalPosted(h, start);
    await dmsFinished(h, posted, [A, B, GROUP_MEMBER]);
    expect(
      dms(posted)
        .map((c) => c.args.channel)
        .sort(),
    ).toEqual([A, B, GROUP_MEMBER].sort());
    expect(delivered(posted, B)[0]?.args.text).toBe(
      `<@${REQUESTER}> asks for your approval: Deactivate 2 users`,
    );
    expect(visibleText(delivered(posted, B)[0]?.args.blocks)).toContain('>laptop stolen');
  });

  it('a DM Slack refuses (a bot in the group) is logged and skipped; the others and the request go on', async () => {
    const h = await harness(DM_ENV);
    slack.setUsergroupMembers(GROUP, [B, BOT_MEMBER, GROUP_MEMBER]);
    slack.setUser({ id: BOT_MEMBER, is_bot: true });
    const posted = await makeRequest(h, 'deactivate', SEED_IDS.alice);
    await dmsFinished(h, posted, [A, B, BOT_MEMBER, GROUP_MEMBER]);

    for (const userId of [A, B, GROUP_MEMBER]) expect(delivered(posted, userId), userId).toHaveLength(1);
    const refused = dms(posted).filter((c) => c.args.channel === BOT_MEMBER);
    expect(refused.map((c) => c.response?.error)).toEqual(['cannot_dm_bot']); // final: not retried
    const logged = h.logs.filter((line) => line.includes('approver DM not sent'));
    expect(logged).toHaveLength(1);
    expect(JSON.parse(logged[0] ?? '{}')).toMatchObject({
      requestId: posted.requestId,
      userId: BOT_MEMBER,
      error: 'cannot_dm_bot',
    });
    expect(logged[0]).not.toContain(slack.botToken);

    await approveBy(h, posted, A);
    await until(
      'the request to succeed',
      () => h.runtime.ctx.store.get(posted.requestId),
      (r) => r?.state === 'succeeded',
    );
  });

  it('a DM that hits a Slack outage is retried later and arrives once', async () => {
    const h = await harness(DM_ENV);
    const posted = await makeRequest(h, 'deactivate', SEED_IDS.alice);
    // Recorded before the app even has its answer: the next post is the first DM.
    slack.failNext('chat.postMessage', { status: 503 });
    await dmsFinished(h, posted, [A, B, GROUP_MEMBER]);
    expect(dms(posted).filter((c) => !c.response?.ok)).toHaveLength(1);
    for (const userId of [A, B, GROUP_MEMBER]) expect(delivered(posted, userId), userId).toHaveLength(1);
  });

  it('is off by default: no DM, no DM job', async () => {
    const h = await harness(APPROVER_ENV);
    const posted = await makeRequest(h, 'deactivate', SEED_IDS.alice);
    // The request handler has finished (processBeforeResponse): anything it queued is in Redis now.
    const queued = await h.runtime.redis.exists(
      `${h.config.redis.bullPrefix}:requests:dms-${posted.requestId}`,
    );
    expect(queued).toBe(0);
    expect(dms(posted)).toEqual([]);
    expect(slack.callsTo('usergroups.users.list')).toEqual([]);
  });
});

describe('the reminder before expiry', () => {
  // 3 s to decide: the reminder is due at expiresAt − min(60 min, ttl/4) = 0.75 s before expiry.
  const QUICK = { ...APPROVER_ENV, APPROVAL_TTL_MINUTES: '0.05' };
  const isReminder = (c: SlackCall) => /Still waiting for/.test(visibleText(c.args.blocks));
  const isExpiry = (c: SlackCall) => /Expired with/.test(visibleText(c.args.blocks));

  it('is posted once in the thread, before the expiry note, mentioning only who has not approved', async () => {
    const h = await harness(QUICK);
    const posted = await makeRequest(h, 'delete', SEED_IDS.pending); // 2 approvals
    await approveBy(h, posted, A);
    await slack.waitFor((c) => c.args.thread_ts === posted.ts && isExpiry(c), { timeoutMs: 10_000 });
    await jobFinished(h, `remind-${posted.requestId}`);

    const notes = threadNotes(h, posted);
    const reminders = notes.filter(isReminder);
    expect(reminders).toHaveLength(1);
    expect(notes.indexOf(reminders[0] as SlackCall)).toBeLessThan(notes.findIndex(isExpiry));
    const text = visibleText(reminders[0]?.args.blocks);
    expect(text).toMatch(/^:alarm_clock: Still waiting for 1 more approval — expires <!date\^\d+\^/);
    expect(text).toContain(`<@${B}>`);
    expect(text).toContain(`<!subteam^${GROUP}>`);
    expect(text).not.toContain(`<@${A}>`);
    expect(text).not.toContain(`<@${REQUESTER}>`);
    expect(reminders[0]?.problems).toEqual([]);
  });

  it('is not posted for a request approved or rejected before its time', async () => {
    const h = await harness(QUICK);
    const approved = await makeRequest(h, 'deactivate', SEED_IDS.alice);
    await approveBy(h, approved, A);
    const rejected = await makeRequest(h, 'delete', SEED_IDS.pending);
    await rejectBy(h, rejected, B, 'not this one');

    for (const posted of [approved, rejected]) await jobFinished(h, `remind-${posted.requestId}`);
    expect((await h.runtime.ctx.store.get(approved.requestId))?.state).not.toBe('pending');
    expect((await h.runtime.ctx.store.get(rejected.requestId))?.state).toBe('rejected');
    for (const posted of [approved, rejected]) {
      expect(threadNotes(h, posted).filter(isReminder), posted.requestId).toEqual([]);
    }
  });
});
