import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ACTION_IDS } from '../../src/blocks/ids.js';
import type { User } from '../../src/cipherscale/schemas.js';
import { Keys } from '../../src/keys.js';
import type { PolicyRule } from '../../src/policy/document.js';
import type { SlackCall } from '../fakes/slack/server.js';
import { visibleText } from '../helpers/blocks-text.js';
import { approveBy, clickPayload, ephemeralsFor, makeRequest, type PostedRequest } from '../helpers/flows.js';
import { APPROVERS, type Harness, startHarness } from '../helpers/harness.js';
import { makeUsers } from '../helpers/make-users.js';
import { endOpenRequests } from '../helpers/open-requests.js';
import { until } from '../helpers/poll.js';
import { cancelBy, minuteFrom, scheduleRequest } from '../helpers/schedule.js';

// Where the parts of issue 15 meet: people a rule names (not approvers by the settings) get the approver DM
// and may decide from it, and may cancel a scheduled change they could approve; anyone else may not.

const [A] = APPROVERS;
const LEAD1 = 'ULEAD00001';
const LEAD2 = 'ULEAD00002';
const OUTSIDER = 'UOUTSIDER1';
const LEADS = { id: 'SLEADS', name: 'security-leads' };
const DAY = 24 * 3600_000;

const rules: PolicyRule[] = [
  {
    name: 'vault',
    match: { target: { roles: ['Vault Keeper'] } },
    approvers: [{ count: 2, from: { users: [], groups: [LEADS] } }],
  },
];

let h: Harness;
let next = 0;

beforeAll(async () => {
  h = await startHarness({
    processBeforeResponse: true,
    policy: { rules },
    env: { NOTIFY_APPROVERS: 'dm', USERGROUP_CACHE_SECONDS: '600' },
  });
});
afterAll(async () => {
  await h.close();
});
beforeEach(async () => {
  await endOpenRequests(h);
  h.slack.reset();
  h.cipher.reset();
  h.slack.setUsergroupMembers(LEADS.id, [LEAD1, LEAD2]);
});

function vaultKeeper(): User {
  next += 1;
  const [user] = makeUsers(1, `a11c${String(next).padStart(4, '0')}`) as [User];
  const made = { ...user, roles: [{ id: 'role-vault', name: 'Vault Keeper' }] };
  h.cipher.setUser(made);
  return made;
}

const stored = (posted: PostedRequest) => h.runtime.ctx.store.get(posted.requestId);
const hasApprove = (call: SlackCall, requestId: string) =>
  JSON.stringify(call.args.blocks ?? []).includes(`"action_id":"${ACTION_IDS.approve}"`) &&
  JSON.stringify(call.args.blocks ?? []).includes(`"value":"${requestId}"`);

/** The DM the app sent `userId` about the request, once it is recorded (a click counts only from then). */
async function dmOf(posted: PostedRequest, userId: string): Promise<{ channel: string; ts: string }> {
  const [call] = await h.slack.waitFor(
    (c) =>
      c.method === 'chat.postMessage' &&
      c.args.channel === userId &&
      c.response?.ok === true &&
      hasApprove(c, posted.requestId),
    { answered: true },
  );
  const dm = { channel: String(call?.response?.channel), ts: String(call?.response?.ts) };
  const keys = new Keys(h.config.redis.prefix);
  await until(
    `${userId}'s DM recorded`,
    () => h.runtime.redis.hget(keys.dms(posted.requestId), userId),
    (value) => value === `${dm.channel}:${dm.ts}`,
  );
  return dm;
}

describe('people a rule names', () => {
  it('get the approver DM, and an Approve there counts for their group on the channel message', async () => {
    const user = vaultKeeper();
    const posted = await makeRequest(h, 'deactivate', user.id);
    const dm1 = await dmOf(posted, LEAD1);
    await dmOf(posted, LEAD2);
    // The settings' approvers are told too; the one who is neither gets nothing.
    await dmOf(posted, A);
    expect(h.slack.callsTo('chat.postMessage').some((c) => c.args.channel === OUTSIDER)).toBe(false);

    const payload = clickPayload(h, {
      actionId: ACTION_IDS.approve,
      value: posted.requestId,
      userId: LEAD1,
      channel: dm1.channel,
      ts: dm1.ts,
    });
    expect(
      (await h.interact({ ...payload, channel: { id: dm1.channel, name: 'directmessage' } })).status,
    ).toBe(200);
    const request = await until(
      'the approval',
      () => stored(posted),
      (r) => (r?.approvals.length ?? 0) === 1,
    );
    expect(request?.approvals).toEqual([expect.objectContaining({ userId: LEAD1, groups: [LEADS.id] })]);
    await until(
      'the channel message to show the group count',
      async () =>
        visibleText(
          h.slack
            .callsTo('chat.update')
            .filter((c) => c.args.ts === posted.ts)
            .at(-1)?.args.blocks,
        ),
      (text) => text.includes('@security-leads 1/2'),
    );
    expect(h.cipher.callsTo('deactivateUser', user.id)).toHaveLength(0);
  });

  it('may cancel a scheduled change they could approve; someone the rule does not name may not', async () => {
    const user = vaultKeeper();
    const runAt = minuteFrom(Date.now(), 2 * DAY);
    const posted = await scheduleRequest(h, 'deactivate', user.id, runAt);
    await approveBy(h, posted, LEAD1);
    await approveBy(h, posted, LEAD2);
    await until(
      'approved and waiting',
      () => stored(posted),
      (r) => r?.state === 'approved',
    );

    await cancelBy(h, posted, OUTSIDER);
    expect(ephemeralsFor(h, OUTSIDER).join('\n')).toMatch(/cancel/i);
    expect((await stored(posted))?.state).toBe('approved');

    await cancelBy(h, posted, LEAD2);
    expect((await stored(posted))?.state).toBe('cancelled');
    expect((await stored(posted))?.decidedBy).toBe(LEAD2);
    expect(h.cipher.callsTo('deactivateUser', user.id)).toHaveLength(0);
  });
});
