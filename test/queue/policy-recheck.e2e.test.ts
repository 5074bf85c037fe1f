import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CALLBACK_IDS } from '../../src/blocks/ids.js';
import type { User } from '../../src/cipherscale/schemas.js';
import type { PolicyRule } from '../../src/policy/document.js';
import { parsedTexts, visibleText } from '../helpers/blocks-text.js';
import {
  approvalPosted,
  approveBy,
  makeRequest,
  mark,
  type PostedRequest,
  submit,
  threadNotes,
  viewShown,
} from '../helpers/flows.js';
import { APPROVERS, type Harness, startHarness } from '../helpers/harness.js';
import { makeUsers } from '../helpers/make-users.js';
import { endOpenRequests } from '../helpers/open-requests.js';
import { until } from '../helpers/poll.js';

// The rules again at execution: the worker re-reads the user (it always did) and re-evaluates the policy
// against them with the request's requester, channel and recorded approvals. The user changes between the
// request and the quorum click (the click queues the job; the worker's read comes after it), so the order is
// fixed without holding anything.

const [A] = APPROVERS;
const LEADS = { id: 'SLEADS', name: 'security-leads' };
const VAULT = { id: 'SVAULT', name: 'vault-team' };

const rules: PolicyRule[] = [
  {
    name: 'administrators',
    match: { target: { roles: ['Tenant Admin'] } },
    approvers: [{ count: 2, from: { users: [], groups: [LEADS] } }],
  },
  {
    name: 'no-robots',
    match: { target: { roles: ['Robot'] } },
    forbid: 'Service accounts are managed by Terraform.',
  },
  {
    name: 'ops <!channel>',
    match: { target: { roles: ['Ops <!here>'] } },
    approvers: [{ count: 1, from: { users: [], groups: [LEADS] } }],
  },
  {
    name: 'vault',
    match: { target: { roles: ['Vault Keeper'] } },
    approvers: [{ count: 1, from: { users: [], groups: [VAULT] } }],
  },
];

let h: Harness;
let next = 0;

beforeAll(async () => {
  h = await startHarness({
    processBeforeResponse: true,
    policy: { rules },
    env: { USERGROUP_CACHE_SECONDS: '600', JOB_BACKOFF_MS: '200' },
  });
});
afterAll(async () => {
  await h.close();
});
beforeEach(async () => {
  await endOpenRequests(h);
  h.slack.reset();
  h.cipher.reset();
  h.slack.setUsergroupMembers(LEADS.id, ['ULEAD00001', 'ULEAD00002']);
});

function member(): User {
  next += 1;
  const [user] = makeUsers(1, `e1ec${String(next).padStart(4, '0')}`) as [User];
  const made = { ...user, roles: [{ id: 'role-member', name: 'Member' }] };
  h.cipher.setUser(made);
  return made;
}

/** The user gains a role in Cipherscale (someone made them an admin after the request was made). */
function promote(user: User, role: string): void {
  h.cipher.setUser({ ...user, roles: [...user.roles, { id: `role-${role}`, name: role }] });
}

async function finished(posted: PostedRequest) {
  return until(
    'the request to finish and its outcome to be posted',
    () => h.runtime.ctx.store.get(posted.requestId),
    (r) => (r?.state === 'succeeded' || r?.state === 'failed') && r.outcomePosted === true,
    15_000,
  );
}

const sent = (user: User) =>
  h.cipher.callsTo('deactivateUser', user.id).length + h.cipher.callsTo('deleteUser', user.id).length;
const thread = (posted: PostedRequest) =>
  threadNotes(h, posted)
    .map((c) => visibleText(c.args.blocks))
    .join('\n');

describe('a single request', () => {
  it('the user became an admin after the request: nothing sent, the thread says why, policy_changed', async () => {
    const user = member();
    const posted = await makeRequest(h, 'deactivate', user.id);
    expect((await h.runtime.ctx.store.get(posted.requestId))?.needs).toBeUndefined();
    promote(user, 'Tenant Admin');

    await approveBy(h, posted, A);
    const done = await finished(posted);
    expect(done?.state).toBe('failed');
    expect(done?.outcome?.code).toBe('policy_changed');
    expect(sent(user)).toBe(0);
    expect(h.cipher.callsTo('getUser', user.id).length).toBeGreaterThan(0);
    expect(thread(posted)).toContain(
      'Not sent: the user now matches rule administrators (the user has role Tenant Admin), which needs 2 approvals from @security-leads; this request has 0. Make a new request.',
    );
  });

  it('a rule forbids it now: nothing sent, policy_forbids with the rule’s reason', async () => {
    const user = member();
    const posted = await makeRequest(h, 'deactivate', user.id);
    promote(user, 'Robot');
    await approveBy(h, posted, A);
    const done = await finished(posted);
    expect(done?.outcome?.code).toBe('policy_forbids');
    expect(sent(user)).toBe(0);
    expect(thread(posted)).toContain(
      'Not sent: rule no-robots forbids this now: Service accounts are managed by Terraform.',
    );
  });

  it('a hostile role and rule name in the outcome reach the thread escaped', async () => {
    const user = member();
    const posted = await makeRequest(h, 'deactivate', user.id);
    promote(user, 'Ops <!here>');
    await approveBy(h, posted, A);
    expect((await finished(posted))?.outcome?.code).toBe('policy_changed');
    expect(sent(user)).toBe(0);
    const notes = threadNotes(h, posted);
    const parsed = notes.flatMap((c) => parsedTexts(c.args as { blocks?: unknown })).join('\n');
    expect(parsed).toContain('rule ops &lt;!channel&gt; (the user has role Ops &lt;!here&gt;)');
    expect(parsed).not.toMatch(/<!here>|<!channel>/);
  });

  it('nothing changed: the re-check lets it through', async () => {
    const user = member();
    const posted = await makeRequest(h, 'deactivate', user.id);
    await approveBy(h, posted, A);
    expect((await finished(posted))?.outcome?.code).toBe('done');
    expect(sent(user)).toBe(1);
  });

  it('the rules cannot be read at execution (a group lookup fails): retried, nothing sent meanwhile', async () => {
    const user = member();
    const posted = await makeRequest(h, 'deactivate', user.id);
    promote(user, 'Vault Keeper'); // SVAULT is unknown to Slack for now: usergroups.users.list fails
    await approveBy(h, posted, A);
    await h.slack.waitFor(
      (c) =>
        c.method === 'usergroups.users.list' && c.args.usergroup === VAULT.id && c.answeredAt !== undefined,
    );
    await until(
      'the first attempt to fail',
      async () => h.logs.some((line) => line.includes('policy re-check')),
      (seen) => seen,
    );
    expect(sent(user)).toBe(0);
    h.slack.setUsergroupMembers(VAULT.id, ['UVAULT0001']);
    const done = await finished(posted);
    // Read on a later attempt: the approver is not in the vault team, so the user now needs more.
    expect(done?.outcome?.code).toBe('policy_changed');
    expect(done?.outcome?.summary).toContain('1 approval from @vault-team; this request has 0');
    expect(sent(user)).toBe(0);
  });
});

describe('a batch', () => {
  it('only the user who became an admin is left untouched; the others run', async () => {
    const [keep, promoted] = [member(), member()];
    const start = mark(h);
    await h.command(`deactivate ${keep.id} ${promoted.id} -- offboarding`);
    const review = await viewShown(h, CALLBACK_IDS.bulkReview, start);
    expect((await submit(h, review, {})).text).toBe('');
    const posted = await approvalPosted(h, start);
    promote(promoted, 'Tenant Admin');

    await approveBy(h, posted, A);
    const done = await finished(posted);
    expect(done?.state).toBe('failed');
    expect(sent(keep)).toBe(1);
    expect(sent(promoted)).toBe(0);
    const results = await h.runtime.ctx.store.itemResults(posted.requestId);
    expect(results.get(keep.id)?.code).toBe('done');
    expect(results.get(promoted.id)).toMatchObject({
      ok: false,
      code: 'policy_changed',
      summary: expect.stringContaining('now matches rule administrators'),
    });
  });
});
