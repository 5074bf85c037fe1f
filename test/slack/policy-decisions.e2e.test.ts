import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ACTION_IDS, CALLBACK_IDS } from '../../src/blocks/ids.js';
import type { User } from '../../src/cipherscale/schemas.js';
import { Keys } from '../../src/keys.js';
import type { PolicyRule } from '../../src/policy/document.js';
import type { SlackCall } from '../fakes/slack/server.js';
import { blockKitProblems } from '../helpers/block-kit.js';
import { parsedTexts, visibleText } from '../helpers/blocks-text.js';
import {
  approvalPosted,
  approveBy,
  click,
  ephemeralsFor,
  makeRequest,
  mark,
  type PostedRequest,
  rejectBy,
  submit,
  viewShown,
} from '../helpers/flows.js';
import { APPROVERS, type Harness, startHarness } from '../helpers/harness.js';
import { makeUsers } from '../helpers/make-users.js';
import { endOpenRequests } from '../helpers/open-requests.js';
import { until } from '../helpers/poll.js';

// "Decisions say why": the rules of a policy document (as POLICY_FILE gives them) on the request message, on
// every Approve click, and at the modal. Driven by signed requests against the fakes and real Redis.

const [A, B, C] = APPROVERS;
const LEAD1 = 'ULEAD00001';
const LEAD2 = 'ULEAD00002';
const HR1 = 'UHR0000001';
const BOTH = 'UBOTH00001';
const OUTSIDER = 'UOUTSIDER1';
const LEADS = { id: 'SLEADS', name: 'security-leads' };
const HR = { id: 'SHR', name: 'hr' };
const HOSTILE_GROUP = { id: 'SHOSTILE', name: '<!everyone> leads' };

const rules: PolicyRule[] = [
  { name: 'administrators', match: { target: { roles: ['Tenant Admin'] } }, quorum: 2 },
  {
    name: 'auditors',
    match: { target: { roles: ['Security Auditor'] } },
    quorum: 3,
    approvers: [{ count: 2, from: { users: [], groups: [LEADS] } }],
  },
  {
    name: 'vault',
    match: { target: { roles: ['Vault Keeper'] } },
    approvers: [{ count: 2, from: { users: [], groups: [LEADS] } }],
  },
  {
    name: 'two-teams',
    match: { target: { roles: ['Finance Admin'] } },
    distinctGroups: { count: 2, groups: [LEADS, HR] },
  },
  {
    name: 'no-robots',
    match: { target: { roles: ['Robot'] } },
    forbid: 'Service accounts are managed by <!here> Terraform.',
  },
  {
    name: 'finance-room',
    match: { target: { emailDomains: ['finance.example'] } },
    onlyInChannels: ['CFINANCE'],
  },
  {
    name: '<!channel> *pwn*',
    match: { target: { roles: ['Ops <!here>'] } },
    approvers: [{ count: 1, from: { users: [], groups: [HOSTILE_GROUP] } }],
    quorum: 2,
  },
];

let h: Harness;
let next = 0;

beforeAll(async () => {
  // Members are set once per test and never change within one: cached, as in production (usergroups.users.list
  // is Tier 2, 20 calls a minute).
  h = await startHarness({
    processBeforeResponse: true,
    policy: { rules },
    env: { USERGROUP_CACHE_SECONDS: '600' },
  });
});
afterAll(async () => {
  await h.close();
});
beforeEach(async () => {
  await endOpenRequests(h);
  h.slack.reset();
  h.cipher.reset();
  h.slack.setUsergroupMembers(LEADS.id, [LEAD1, LEAD2, BOTH]);
  h.slack.setUsergroupMembers(HR.id, [HR1, BOTH]);
  h.slack.setUsergroupMembers(HOSTILE_GROUP.id, [LEAD1]);
});

/** A fresh active user with these roles (and overrides), known to the fake Cipherscale. */
function userWith(roles: string[], overrides: Partial<User> = {}): User {
  next += 1;
  const [user] = makeUsers(1, `c0de${String(next).padStart(4, '0')}`) as [User];
  const made = { ...user, roles: roles.map((name, i) => ({ id: `role-${i}-${name}`, name })), ...overrides };
  h.cipher.setUser(made);
  return made;
}

/** The request message as it last looks in Slack (its latest update, else as posted). */
function message(posted: PostedRequest) {
  const updates = h.slack.callsTo('chat.update').filter((c) => c.args.ts === posted.ts);
  const post = h.slack.callsTo('chat.postMessage').find((c) => c.response?.ts === posted.ts);
  return (updates.at(-1) ?? post)?.args ?? {};
}
const shown = (posted: PostedRequest) => visibleText(message(posted).blocks);

/** What a views.open / views.update call put on screen. */
const viewText = (call: SlackCall | undefined) =>
  visibleText((call?.args.view as { blocks?: unknown } | undefined)?.blocks);

const keys = () => new Keys(h.config.redis.prefix);
const state = async (posted: PostedRequest) => (await h.runtime.ctx.store.get(posted.requestId))?.state;
const deactivations = (user: User) => h.cipher.callsTo('deactivateUser', user.id).length;

async function succeeded(posted: PostedRequest) {
  return until(
    'the request to succeed',
    () => h.runtime.ctx.store.get(posted.requestId),
    // The outcome posted too: nothing of this request reaches Slack after the test.
    (r) => r?.state === 'succeeded' && r.outcomePosted === true,
  );
}

describe('a rule that raises the quorum for a privileged target', () => {
  it('one approval leaves it pending and the message says why; the second runs it', async () => {
    const admin = userWith(['Tenant Admin']);
    const posted = await makeRequest(h, 'deactivate', admin.id);
    expect(shown(posted)).toContain('*Policy:* rule *administrators* — the user has role Tenant Admin.');
    expect(shown(posted)).toContain('Approvals *0/2*');
    expect(blockKitProblems('message', message(posted).blocks)).toEqual([]);

    await approveBy(h, posted, A);
    expect(await state(posted)).toBe('pending');
    expect(shown(posted)).toContain('Approvals *1/2*');
    expect(deactivations(admin)).toBe(0);

    await approveBy(h, posted, B);
    await succeeded(posted);
    expect(deactivations(admin)).toBe(1);
  });

  it('an ordinary user under the same settings needs one approval, and its record stores no needs', async () => {
    const member = userWith(['Member']);
    const posted = await makeRequest(h, 'deactivate', member.id);
    expect(shown(posted)).not.toContain('Policy:');
    const stored = await h.runtime.redis.hgetall(keys().request(posted.requestId));
    expect(stored.needs).toBeUndefined();
    expect(stored.requiredApprovals).toBe('1');
    await approveBy(h, posted, A);
    await succeeded(posted);
    expect(deactivations(member)).toBe(1);
  });

  it('the modal shows what the request will need before it is submitted', async () => {
    const admin = userWith(['Tenant Admin']);
    const start = mark(h);
    await h.command(`deactivate ${admin.id}`);
    const modal = await viewShown(h, CALLBACK_IDS.deactivate, start);
    expect(visibleText(modal.view.blocks)).toContain('rule *administrators*');
    expect(visibleText(modal.view.blocks)).toMatch(/2 approvals/);
  });
});

describe('approvers from a required group', () => {
  it('quorum 3 with 2 from @security-leads: an outsider helps once, a second is refused naming the rule', async () => {
    const auditor = userWith(['Security Auditor']);
    const posted = await makeRequest(h, 'deactivate', auditor.id);
    expect(shown(posted)).toContain(
      '*Policy:* rule *auditors* — the user has role Security Auditor. Needs 3 approvals in all, 2 approvals from @security-leads.',
    );
    expect(shown(posted)).toContain('Approvals *0/3* · @security-leads 0/2');

    await approveBy(h, posted, A);
    expect(shown(posted)).toContain('Approvals *1/3* · @security-leads 0/2');

    await approveBy(h, posted, B);
    expect(ephemeralsFor(h, B).at(-1)).toBe(
      ':no_entry: Your approval would not count: rule *auditors* needs 2 approvals from @security-leads (the user has role Security Auditor), and you are not in it.',
    );
    const afterRefusal = await h.runtime.ctx.store.get(posted.requestId);
    expect(afterRefusal?.approvals.map((a) => a.userId)).toEqual([A]);

    // A member of the rule's group who is not a general approver may approve: the rule names them.
    await approveBy(h, posted, LEAD1);
    expect(shown(posted)).toContain('Approvals *2/3* · @security-leads 1/2');
    expect((await h.runtime.ctx.store.get(posted.requestId))?.approvals.at(-1)).toMatchObject({
      userId: LEAD1,
      groups: [LEADS.id],
    });
    await approveBy(h, posted, LEAD2);
    await succeeded(posted);
    expect(deactivations(auditor)).toBe(1);
  });

  it('a member of the rule’s group who is not a general approver may reject it too', async () => {
    const auditor = userWith(['Security Auditor']);
    const posted = await makeRequest(h, 'deactivate', auditor.id);
    await rejectBy(h, posted, LEAD2, 'not without the CISO');
    const request = await h.runtime.ctx.store.get(posted.requestId);
    expect(request).toMatchObject({
      state: 'rejected',
      decidedBy: LEAD2,
      decisionReason: 'not without the CISO',
    });
  });

  it('someone neither a general approver nor in the rule is refused as not an approver', async () => {
    const auditor = userWith(['Security Auditor']);
    const posted = await makeRequest(h, 'deactivate', auditor.id);
    await approveBy(h, posted, OUTSIDER);
    expect(ephemeralsFor(h, OUTSIDER).at(-1)).toMatch(/not.*approver/i);
    expect((await h.runtime.ctx.store.get(posted.requestId))?.approvals).toEqual([]);
  });

  it('a group credit alone is not enough, and an outsider cannot make up for it', async () => {
    const keeper = userWith(['Vault Keeper']);
    const posted = await makeRequest(h, 'deactivate', keeper.id);
    await approveBy(h, posted, LEAD1);
    expect(await state(posted)).toBe('pending');
    expect(shown(posted)).toContain('Approvals *1/2* · @security-leads 1/2');
    await approveBy(h, posted, C);
    expect(ephemeralsFor(h, C).at(-1)).toContain('rule *vault* needs 2 approvals from @security-leads');
    expect(await state(posted)).toBe('pending');
    expect(deactivations(keeper)).toBe(0);
  });

  it('two members clicking at once, each not enough alone, complete it exactly once', async () => {
    const keeper = userWith(['Vault Keeper']);
    const posted = await makeRequest(h, 'deactivate', keeper.id);
    await Promise.all([approveBy(h, posted, LEAD1), approveBy(h, posted, LEAD2)]);
    await succeeded(posted);
    const request = await h.runtime.ctx.store.get(posted.requestId);
    expect(request?.approvals.map((a) => a.userId).sort()).toEqual([LEAD1, LEAD2]);
    const queuedNotes = h.slack
      .callsTo('chat.postMessage')
      .filter((c) => c.args.thread_ts === posted.ts && /queued/.test(visibleText(c.args.blocks)));
    expect(queuedNotes).toHaveLength(1);
    expect(deactivations(keeper)).toBe(1);
  });
});

describe('approvals from two different groups', () => {
  it('one person in both groups counts for one; with a member of the other it is complete', async () => {
    const finance = userWith(['Finance Admin']);
    const posted = await makeRequest(h, 'deactivate', finance.id);
    expect(shown(posted)).toContain('Needs approvals from 2 different groups of @security-leads, @hr.');

    await approveBy(h, posted, BOTH);
    expect(await state(posted)).toBe('pending');
    expect(shown(posted)).toContain('Approvals *1/2* · different groups 1/2');

    // BOTH can stand for @hr, so a second leads member completes it (a matching, not first come).
    await approveBy(h, posted, LEAD1);
    await succeeded(posted);
    expect(deactivations(finance)).toBe(1);
  });

  it('two members of the same group are not two groups: the second is refused, naming the rule', async () => {
    const finance = userWith(['Finance Admin']);
    const posted = await makeRequest(h, 'deactivate', finance.id);
    await approveBy(h, posted, LEAD1);
    await approveBy(h, posted, LEAD2);
    expect(ephemeralsFor(h, LEAD2).at(-1)).toMatch(
      /^:no_entry: Your approval would not count: rule \*two-teams\* needs approvals from 2 different groups/,
    );
    expect(await state(posted)).toBe('pending');
    await approveBy(h, posted, HR1);
    await succeeded(posted);
  });
});

describe('forbid and onlyInChannels', () => {
  it('a single request for a forbidden target is refused at the modal with the reason, escaped', async () => {
    const robot = userWith(['Robot']);
    const start = mark(h);
    await h.command(`deactivate ${robot.id}`);
    const notice = await h.slack.waitFor(
      (c) =>
        h.slack.calls.indexOf(c) >= start.index && c.method === 'views.update' && /forbids/.test(viewText(c)),
    );
    const text = viewText(notice[0]);
    expect(text).toContain(
      ':no_entry: Not allowed: rule *no-robots* forbids this: Service accounts are managed by &lt;!here&gt; Terraform.',
    );
    // No approval message: nothing was created.
    const posts = h.slack.callsTo('chat.postMessage').filter((c) => h.slack.calls.indexOf(c) >= start.index);
    expect(posts.filter((c) => c.args.thread_ts === undefined)).toEqual([]);
  });

  it('a bulk request leaves forbidden users out with the reason; the rest proceed', async () => {
    const robot = userWith(['Robot']);
    const member = userWith(['Member']);
    const start = mark(h);
    await h.command(`deactivate ${robot.id} ${member.id} -- offboarding`);
    const review = await viewShown(h, CALLBACK_IDS.bulkReview, start);
    expect(visibleText(review.view.blocks)).toMatch(/Rule no-robots forbids this: Service accounts/);
    expect((await submit(h, review, {})).text).toBe('');
    const posted = await approvalPosted(h, start);
    const request = await h.runtime.ctx.store.get(posted.requestId);
    expect(request?.batch?.targets.map((t) => t.id)).toEqual([member.id]);
    expect(request?.batch?.excluded).toContainEqual(
      expect.objectContaining({ id: robot.id, code: 'forbidden' }),
    );
  });

  it('a bulk request of forbidden users only is refused like one with nobody left', async () => {
    const robot = userWith(['Robot']);
    const start = mark(h);
    await h.command(`deactivate ${robot.id} ${userWith(['Robot']).id} -- offboarding`);
    const notice = await h.slack.waitFor(
      (c) =>
        h.slack.calls.indexOf(c) >= start.index &&
        c.method === 'views.update' &&
        /Nothing to deactivate/.test(viewText(c)),
    );
    expect(viewText(notice[0])).toContain('no-robots');
  });

  it('outside the rule’s channels the request is refused, naming the rule and where it may be made', async () => {
    const clerk = userWith(['Member'], { email: 'clerk@finance.example' });
    const start = mark(h);
    await h.command(`deactivate ${clerk.id}`);
    const notice = await h.slack.waitFor(
      (c) =>
        h.slack.calls.indexOf(c) >= start.index &&
        c.method === 'views.update' &&
        /allows this request/.test(viewText(c)),
    );
    expect(viewText(notice[0])).toContain('Rule *finance-room* allows this request only in <#CFINANCE>.');
    // In the rule's channel it goes through.
    const inRoom = mark(h);
    await h.command(`deactivate ${clerk.id} -- offboarding`, { channel_id: 'CFINANCE' });
    const modal = await viewShown(h, CALLBACK_IDS.deactivate, inRoom);
    expect((await submit(h, modal, {})).text).toBe('');
    const posted = await approvalPosted(h, inRoom);
    expect(posted.channel).toBe('CFINANCE');
    expect(shown(posted)).toContain('rule *finance-room*');
  });
});

describe('what an attacker or a careless operator tries', () => {
  it('hostile role, group and rule names reach the message escaped, never as a mention', async () => {
    const hostile = userWith(['Ops <!here>']);
    const posted = await makeRequest(h, 'deactivate', hostile.id);
    const parsed = parsedTexts(message(posted) as { blocks?: unknown }).join('\n');
    expect(parsed).not.toMatch(/<!channel>|<!here>|<!everyone>|<!subteam/);
    expect(shown(posted)).toContain('rule *&lt;!channel&gt; *pwn**');
    expect(shown(posted)).toContain('the user has role Ops &lt;!here&gt;');
    expect(shown(posted)).toContain('@&lt;!everyone&gt; leads 0/1');

    await approveBy(h, posted, A);
    await approveBy(h, posted, B);
    const refusal = ephemeralsFor(h, B).at(-1) ?? '';
    expect(refusal).toContain('would not count');
    expect(refusal).not.toMatch(/<!channel>|<!here>|<!everyone>/);
  });

  it('an approve whose value names another request is refused and records nothing on either', async () => {
    const first = await makeRequest(h, 'deactivate', userWith(['Security Auditor']).id);
    const second = await makeRequest(h, 'deactivate', userWith(['Security Auditor']).id);
    await click(h, {
      actionId: ACTION_IDS.approve,
      value: second.requestId,
      userId: LEAD1,
      channel: first.channel,
      ts: first.ts,
    });
    expect(ephemeralsFor(h, LEAD1).at(-1)).toBe(
      ':no_entry: That button does not belong to this request. Nothing was changed.',
    );
    expect((await h.runtime.ctx.store.get(first.requestId))?.approvals).toEqual([]);
    expect((await h.runtime.ctx.store.get(second.requestId))?.approvals).toEqual([]);
  });

  it('an approval in Redis with odd credits counts only for the groups the needs name', async () => {
    const keeper = userWith(['Vault Keeper']);
    const posted = await makeRequest(h, 'deactivate', keeper.id);
    const key = keys().request(posted.requestId);
    // Written by hand: a credit for a group the needs never named, one in the wrong case, one repeated.
    await h.runtime.redis.hset(key, 'approval:UFORGED01', '1:1700000000000:SFORGED,sleads,SFORGED');
    await h.runtime.redis.hincrby(key, 'approvalCount', 1);
    await h.runtime.redis.hincrby(key, 'version', 1);

    await approveBy(h, posted, LEAD1);
    expect(await state(posted)).toBe('pending');
    expect(shown(posted)).toContain('@security-leads 1/2');
    await approveBy(h, posted, LEAD2);
    await succeeded(posted);
    expect(deactivations(keeper)).toBe(1);
  });
});
