import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { BLOCK_IDS, CALLBACK_IDS } from '../../src/blocks/ids.js';
import type { User } from '../../src/cipherscale/schemas.js';
import { SEED_IDS, SEED_USERS } from '../fakes/cipherscale/seed.js';
import { FakeCipherscale } from '../fakes/cipherscale/server.js';
import { FakeSlack, type SlackCall } from '../fakes/slack/server.js';
import { visibleText } from '../helpers/blocks-text.js';
import {
  approvalPosted,
  makeRequest,
  mark,
  type PostedRequest,
  rejectBy,
  type ShownView,
  submit,
  viewShown,
} from '../helpers/flows.js';
import { APPROVERS, type Harness, REQUESTER, startHarness } from '../helpers/harness.js';
import { until } from '../helpers/poll.js';

// Abuse limits (issue 11, point 8): one open request per action and user, a cap of open requests and
// of bulk pre-checks per requester, across app instances sharing one Redis; every refusal says why.

const [A] = APPROVERS;
let slack: FakeSlack;
let cipher: FakeCipherscale;
const started: Harness[] = [];

beforeAll(async () => {
  slack = await FakeSlack.start();
  cipher = await FakeCipherscale.start();
});
afterAll(async () => {
  for (const h of started.reverse()) await h.close();
  await slack.close();
  await cipher.close();
});
beforeEach(() => {
  slack.reset();
  cipher.reset();
});

/** Two app instances (replicas) on one Redis prefix, the same fakes. */
async function replicas(env: Record<string, string> = {}): Promise<[Harness, Harness]> {
  const first = await startHarness({ processBeforeResponse: true, slack, cipher, env });
  started.push(first);
  const second = await startHarness({
    processBeforeResponse: true,
    slack,
    cipher,
    env,
    keyPrefix: first.config.redisKeyPrefix,
  });
  started.push(second);
  return [first, second];
}

/** A fresh active user in the fake Cipherscale. */
function newUser(): User {
  const template = SEED_USERS.find((u) => u.id === SEED_IDS.alice) as User;
  const user = { ...structuredClone(template), id: randomUUID(), firstName: 'Fresh', isOwner: false };
  cipher.setUser(user);
  return user;
}

interface OpenForm {
  form: ShownView;
  userId: string;
  responseUrlId: string;
}

/** `/cipher-user <action> <id>` by `userId`, up to the filled-in form (not submitted). */
async function openForm(h: Harness, action: 'deactivate' | 'delete', id: string, userId = REQUESTER) {
  const start = mark(h);
  const { responseUrlId } = await h.command(`${action} ${id}`, { user_id: userId });
  const form = await viewShown(h, CALLBACK_IDS[action], start);
  return { form, userId, responseUrlId } satisfies OpenForm;
}

const values = (action: 'deactivate' | 'delete') => ({
  [BLOCK_IDS.reason]: 'compromised laptop',
  ...(action === 'delete' ? { [BLOCK_IDS.confirm]: 'DELETE' } : {}),
});

/** What the app told the person behind one command (its response_url). */
const toldAfter = (responseUrlId: string) =>
  slack
    .callsTo('response_url')
    .filter((c) => c.responseUrlId === responseUrlId)
    .map((c) => String(c.args.text ?? ''));

/** Request messages posted (an approver DM, posted to a user id, has an Approve button too). */
const approvalMessages = (): SlackCall[] =>
  slack
    .callsTo('chat.postMessage')
    .filter(
      (c) =>
        !/^[UW]/.test(String(c.args.channel)) && /"action_id":"request_approve"/.test(JSON.stringify(c.args)),
    );

const permalinkOf = (posted: PostedRequest) =>
  `https://fake.slack.com/archives/${posted.channel}/p${posted.ts.replace('.', '')}`;

async function requestRecords(h: Harness): Promise<string[]> {
  const keys = await h.runtime.redis.keys(`${h.config.redis.prefix}request:*`);
  return keys.filter((k) => /:request:r[a-z2-7]{15}$/.test(k));
}

/** The text of the notice a modal was turned into after `start`, once it says `pattern`. */
async function noticeSaying(h: Harness, pattern: RegExp, start = mark(h)): Promise<string> {
  const calls = await slack.waitFor(
    (c) =>
      slack.calls.indexOf(c) >= start.index &&
      c.method === 'views.update' &&
      pattern.test(visibleText((c.args.view as { blocks?: unknown }).blocks)),
  );
  const call = calls[0] as SlackCall;
  return visibleText((call.args.view as { blocks?: unknown }).blocks);
}

describe('one open request per action and user', () => {
  it('25 submissions for one user on two instances: one request, 24 refusals naming it, DMs for it only', async () => {
    const [one, two] = await replicas({ NOTIFY_APPROVERS: 'dm' });
    const target = newUser();
    // The same requester several times and different requesters, each with their own open form.
    const requesters = Array.from({ length: 25 }, (_, i) => (i % 3 === 0 ? REQUESTER : `U0ASKER${i}`));
    const forms: OpenForm[] = [];
    for (const [i, userId] of requesters.entries()) {
      forms.push(await openForm(i % 2 ? two : one, 'deactivate', target.id, userId));
    }
    const start = mark(one);
    const answers = await Promise.all(
      forms.map((f, i) => submit(i % 2 ? two : one, f.form, values('deactivate'), f.userId)),
    );
    for (const answer of answers) expect(answer.status).toBe(200);

    const posted = await approvalPosted(one, start);
    const refusals = await until(
      '24 refusals',
      async () => forms.flatMap((f) => toldAfter(f.responseUrlId)),
      (told) => told.length >= 24,
    );
    expect(refusals).toHaveLength(24);
    for (const text of refusals) {
      expect(text).toContain('already has an open deactivate request');
      expect(text).toContain(posted.requestId);
      // A link once its message is posted; until then where it is being posted.
      expect([permalinkOf(posted), `<#${posted.channel}>`].some((where) => text.includes(where))).toBe(true);
      expect(text).toMatch(/pending approval, requested by <@U0[A-Z0-9]+>/);
      expect(text).toMatch(/cancel it\. Nothing was created\./);
    }
    expect(await requestRecords(one)).toEqual([`${one.config.redis.prefix}request:${posted.requestId}`]);

    // Approver DMs: one per approver, all about the one request.
    const dms = await until(
      'the approver DMs',
      async () => slack.callsTo('chat.postMessage').filter((c) => /^U/.test(String(c.args.channel))),
      (calls) => calls.length >= APPROVERS.length,
    );
    expect(dms.map((c) => c.args.channel).sort()).toEqual([...APPROVERS].sort());
    for (const dm of dms) expect(visibleText(dm.args.blocks)).toContain(permalinkOf(posted));
    expect(approvalMessages()).toHaveLength(1);
  });

  it('refused when the form opens (before Cipherscale is asked), the id in capitals too; free once it ends', async () => {
    const [one, two] = await replicas();
    const target = newUser();
    const posted = await makeRequest(one, 'deactivate', target.id);

    const readsBefore = cipher.callsTo('getUser', target.id).length;
    const start = mark(two);
    await two.command(`deactivate ${target.id.toUpperCase()}`, { user_id: 'U0SOMEONE' });
    const text = await noticeSaying(two, /already has an open/, start);
    expect(text).toContain('Fresh');
    expect(text).toContain(`request ${posted.requestId}`);
    expect(text).toContain('pending approval');
    expect(text).toContain(`<@${REQUESTER}>`);
    expect(JSON.stringify(slack.calls.slice(start.index).map((c) => c.args.view))).toContain(
      permalinkOf(posted),
    );
    expect(cipher.callsTo('getUser', target.id)).toHaveLength(readsBefore);

    // Another action on the same user is its own request.
    await makeRequest(two, 'delete', target.id);

    // Once the open one is rejected, the next deactivate goes through.
    expect((await rejectBy(one, posted, A, 'not this one')).text).toBe('');
    const again = await makeRequest(two, 'deactivate', target.id);
    expect(again.requestId).not.toBe(posted.requestId);
  });

  it('a form opened before the request was made is refused at submit, with the link', async () => {
    const [one, two] = await replicas();
    const target = newUser();
    const early = await openForm(two, 'delete', target.id, 'U0LATE');
    const posted = await makeRequest(one, 'delete', target.id);
    expect((await submit(two, early.form, values('delete'), 'U0LATE')).status).toBe(200);
    const [told] = await until(
      'the refusal',
      async () => toldAfter(early.responseUrlId),
      (t) => t.length > 0,
    );
    expect(told).toContain(`already has an open delete request`);
    expect(told).toContain(permalinkOf(posted));
    expect(approvalMessages()).toHaveLength(1);
  });
});

describe('bulk requests and open requests', () => {
  it('a user with an open request is left out of a bulk one, with why and a link; the bulk one then holds the rest', async () => {
    const [one, two] = await replicas();
    const [held, free] = [newUser(), newUser()];
    const single = await makeRequest(one, 'deactivate', held.id);

    const start = mark(two);
    await two.command(`deactivate ${held.id} ${free.id.toUpperCase()} -- incident`, { user_id: 'U0BULK' });
    const review = await viewShown(two, CALLBACK_IDS.bulkReview, start);
    const text = visibleText(review.view.blocks);
    expect(text).toMatch(/Left out \(1\)/);
    expect(text).toContain(held.id);
    expect(text).toContain('Already has an open deactivate request');
    expect(text).toContain(permalinkOf(single));
    expect(cipher.callsTo('getUser', held.id)).toHaveLength(1);
    expect((await submit(two, review, {}, 'U0BULK')).text).toBe('');
    const bulk = await approvalPosted(two, start);
    const stored = await two.runtime.ctx.store.get(bulk.requestId);
    expect(stored?.batch?.targets.map((t) => t.id)).toEqual([free.id]);

    // A single deactivate of a user in the open bulk one is refused, naming the bulk request.
    const next = mark(one);
    await one.command(`deactivate ${free.id}`);
    const refusal = await noticeSaying(one, /already has an open/, next);
    expect(refusal).toContain(`request ${bulk.requestId}`);
    expect(refusal).toContain('a bulk request for 1 user)');
  });

  it('a user given an open request between review and submit: the whole bulk request is refused, naming it', async () => {
    const [one, two] = await replicas();
    const [a, b] = [newUser(), newUser()];
    const start = mark(two);
    const { responseUrlId } = await two.command(`delete ${a.id} ${b.id} -- leavers`, { user_id: 'U0BULK' });
    const review = await viewShown(two, CALLBACK_IDS.bulkReview, start);
    const single = await makeRequest(one, 'delete', b.id);

    const answer = await submit(two, review, { [BLOCK_IDS.confirm]: 'DELETE' }, 'U0BULK');
    expect(answer.text).toBe('');
    const [told] = await until(
      'the refusal',
      async () => toldAfter(responseUrlId),
      (t) => t.length > 0,
    );
    expect(told).toContain('already has an open delete request');
    expect(told).toContain(permalinkOf(single));
    expect(told).toContain('Nothing was created');
    expect(await requestRecords(one)).toEqual([`${one.config.redis.prefix}request:${single.requestId}`]);
    expect(approvalMessages()).toHaveLength(1);
  });
});

describe('caps per requester', () => {
  it('cap 3, 8 parallel submissions for different users on two instances: exactly 3, 5 told the cap', async () => {
    const [one, two] = await replicas({ MAX_OPEN_REQUESTS_PER_REQUESTER: '3' });
    const forms: OpenForm[] = [];
    for (let i = 0; i < 8; i++) forms.push(await openForm(i % 2 ? two : one, 'deactivate', newUser().id));
    const start = mark(one);
    await Promise.all(forms.map((f, i) => submit(i % 2 ? two : one, f.form, values('deactivate'))));
    const refusals = await until(
      '5 refusals',
      async () => forms.flatMap((f) => toldAfter(f.responseUrlId)),
      (told) => told.length >= 5,
    );
    expect(refusals).toHaveLength(5);
    for (const text of refusals) {
      expect(text).toContain('You already have 3 open requests; the limit is 3 per person');
      expect(text).toMatch(/cancel one .*pending/);
    }
    await until(
      '3 approval messages',
      async () => approvalMessages().slice(0),
      (m) => m.length >= 3,
    );
    expect(approvalMessages()).toHaveLength(3);
    expect(await requestRecords(one)).toHaveLength(3);
    // Another requester is not held back.
    const theirs = await openForm(two, 'deactivate', newUser().id, 'U0COLLEAGUE');
    expect((await submit(two, theirs.form, values('deactivate'), 'U0COLLEAGUE')).text).toBe('');
    await approvalPosted(two, start);
    expect(approvalMessages()).toHaveLength(4);
  });

  it('bulk pre-checks: a second while one runs is refused with the cap; the slot frees when it finishes', async () => {
    const [one, two] = await replicas({ MAX_BULK_PRECHECKS_PER_REQUESTER: '1' });
    const [slow, other] = [newUser(), newUser()];
    cipher.script([{ hang: true }], { operation: 'getUser', userId: slow.id });

    const first = mark(one);
    // Not awaited: with processBeforeResponse the answer waits for the whole check.
    const checking = one.command(`deactivate ${slow.id} ${other.id} -- incident`);
    await cipher.waitForCalls((c) => c.operation === 'getUser' && c.userId === slow.id);

    const second = mark(two);
    await two.command(`deactivate ${newUser().id} ${newUser().id} -- incident`);
    const busy = await noticeSaying(two, /bulk check/, second);
    expect(busy).toContain('You already have 1 bulk check running; the limit is 1 at a time per person');
    expect(busy).toContain('Nothing was checked');

    // Someone else checks meanwhile.
    const theirs = mark(two);
    await two.command(`deactivate ${newUser().id} ${newUser().id}`, { user_id: 'U0COLLEAGUE' });
    await viewShown(two, CALLBACK_IDS.bulkReview, theirs);

    // The hung read times out, is retried, and the check ends: the slot is free again.
    await checking;
    await viewShown(one, CALLBACK_IDS.bulkReview, first);
    const third = mark(two);
    await two.command(`deactivate ${newUser().id} ${newUser().id}`);
    await viewShown(two, CALLBACK_IDS.bulkReview, third);
  });
});
