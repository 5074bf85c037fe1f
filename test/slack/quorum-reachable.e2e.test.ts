import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CALLBACK_IDS } from '../../src/blocks/ids.js';
import { SEED_IDS } from '../fakes/cipherscale/seed.js';
import { FakeSlack } from '../fakes/slack/server.js';
import { visibleText } from '../helpers/blocks-text.js';
import { viewShown } from '../helpers/flows.js';
import { APPROVERS, type Harness, REQUESTER, startHarness } from '../helpers/harness.js';
import { makeUsers } from '../helpers/make-users.js';

// A request nobody could ever approve is refused with the numbers, before anything is stored — not left at
// 0/N until it expires. The listed approvers other than the requester count; with groups, the start checks.
const [A, B, C] = APPROVERS;
const GROUP = 'SAPPROVERS';
let slack: FakeSlack;
let h: Harness | undefined;

beforeEach(async () => {
  slack = await FakeSlack.start();
});
afterEach(async () => {
  await h?.close();
  h = undefined;
  await slack.close();
});

const noticeAfter = async (world: Harness, since: number) =>
  visibleText((await viewShown(world, CALLBACK_IDS.notice, since)).view.blocks);

describe('a quorum nobody could reach', () => {
  it('deletes need 2 and only 1 approver is configured: the delete is refused with the numbers, a deactivation still works', async () => {
    h = await startHarness({ slack, processBeforeResponse: true, env: { APPROVER_USER_IDS: A } });
    const since = Date.now();
    await h.command(`delete ${SEED_IDS.alice} -- leaver`);
    expect(await noticeAfter(h, since)).toBe(
      ':no_entry: A deletion needs 2 approvals, but only 1 approver other than you can approve it: the request could never be approved, so nothing was stored. Ask whoever runs cipher-user to add approvers (APPROVER_USER_IDS, APPROVER_USERGROUP_IDS) or lower REQUIRED_APPROVALS_DELETE.',
    );
    expect(h.cipher.calls).toEqual([]);
    expect(await h.runtime.ctx.store.listOpen(10)).toEqual([]);
    // Quorum 1 is reachable: that modal opens as usual.
    const later = Date.now();
    await h.command(`deactivate ${SEED_IDS.alice} -- leaver`);
    await viewShown(h, CALLBACK_IDS.deactivate, later);
  });

  it('leaves the requester out: an approver asking for a change that needs all three approvers is refused, a colleague is not', async () => {
    h = await startHarness({
      slack,
      processBeforeResponse: true,
      env: { REQUIRED_APPROVALS_DEACTIVATE: '3' },
    });
    const since = Date.now();
    await h.command(`deactivate ${SEED_IDS.alice} -- leaver`, { user_id: A ?? '' });
    expect(await noticeAfter(h, since)).toContain(
      'A deactivation needs 3 approvals, but only 2 approvers other than you can approve it',
    );
    const later = Date.now();
    await h.command(`deactivate ${SEED_IDS.alice} -- leaver`, { user_id: REQUESTER });
    await viewShown(h, CALLBACK_IDS.deactivate, later);
  });

  it('a bulk request too, before any id is read from Cipherscale', async () => {
    h = await startHarness({
      slack,
      processBeforeResponse: true,
      env: { APPROVER_USER_IDS: A ?? '', REQUIRED_APPROVALS_DELETE: '2' },
    });
    const users = makeUsers(3, 'cdcdcdcd');
    for (const user of users) h.cipher.setUser(user);
    const since = Date.now();
    await h.command(`delete ${users.map((u) => u.id).join(' ')} -- leavers`);
    expect(await noticeAfter(h, since)).toContain(
      'A deletion needs 2 approvals, but only 1 approver other than you can approve it',
    );
    expect(h.cipher.calls).toEqual([]);
  });

  it('the only listed approver asking for a deactivation: nobody other than them, refused', async () => {
    h = await startHarness({ slack, processBeforeResponse: true, env: { APPROVER_USER_IDS: A ?? '' } });
    const since = Date.now();
    await h.command(`deactivate ${SEED_IDS.alice} -- leaver`, { user_id: A ?? '' });
    expect(await noticeAfter(h, since)).toContain(
      'A deactivation needs 1 approval, but nobody other than you can approve it',
    );
  });

  it('with approver groups, a request looks up no group for this (the start checked them): it opens as usual', async () => {
    slack.setUsergroupMembers(GROUP, [B ?? '', C ?? '']);
    h = await startHarness({
      slack,
      processBeforeResponse: true,
      env: { APPROVER_USER_IDS: A ?? '', APPROVER_USERGROUP_IDS: GROUP, REQUIRED_APPROVALS_DEACTIVATE: '2' },
    });
    const before = slack.callsTo('usergroups.users.list').length;
    const since = Date.now();
    await h.command(`deactivate ${SEED_IDS.alice} -- leaver`);
    await viewShown(h, CALLBACK_IDS.deactivate, since);
    expect(slack.callsTo('usergroups.users.list')).toHaveLength(before);
  });
});
