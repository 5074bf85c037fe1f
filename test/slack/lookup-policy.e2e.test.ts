import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ACTION_IDS, CALLBACK_IDS } from '../../src/blocks/ids.js';
import { SEED_IDS } from '../fakes/cipherscale/seed.js';
import { visibleText } from '../helpers/blocks-text.js';
import { click, viewShown } from '../helpers/flows.js';
import { APPROVERS, type Harness, REQUESTER, startHarness } from '../helpers/harness.js';

const ALLOWED = 'C0ALLOWED01';
const OTHER_CHANNEL = 'C0ELSEWHERE';
const OUTSIDER = 'U0OUTSIDER';
const MISSING = '00000000-0000-4000-8000-000000000000';

let h: Harness;

beforeAll(async () => {
  h = await startHarness({
    processBeforeResponse: true,
    env: {
      REQUESTER_USER_IDS: REQUESTER,
      ALLOWED_CHANNEL_IDS: ALLOWED,
      APPROVER_USERGROUP_IDS: 'S0APPROVERS',
    },
  });
});
afterAll(async () => {
  await h.close();
});
beforeEach(() => {
  h.slack.reset();
  h.cipher.reset();
  h.logs.length = 0;
  h.slack.setUsergroupMembers('S0APPROVERS', ['U0GROUPAPPR']);
});

async function lookupAs(userId: string, channelId: string, target: string) {
  const ack = await h.command(`lookup ${target}`, { user_id: userId, channel_id: channelId });
  expect(ack.status).toBe(200);
  const [call] = await h.slack.waitFor(
    (c) => c.method === 'response_url' && c.responseUrlId === ack.responseUrlId,
  );
  const args = call?.args ?? {};
  return { args, text: `${String(args.text ?? '')}\n${visibleText(args.blocks)}` };
}

const lookupLines = () =>
  h.logs
    .map((line) => JSON.parse(line) as Record<string, unknown>)
    .filter((l) => l.audit === true && l.kind === 'lookup');

describe('lookup policy', () => {
  it('a user who may not request gets the same refusal for an existing and a missing id, and Cipherscale is never asked', async () => {
    const existing = await lookupAs(OUTSIDER, ALLOWED, SEED_IDS.alice);
    const missing = await lookupAs(OUTSIDER, ALLOWED, MISSING);
    expect(existing.args).toEqual(missing.args);
    expect(existing.text).toContain('not allowed to look up');
    const alice = h.cipher.getUser(SEED_IDS.alice);
    for (const leak of [SEED_IDS.alice, MISSING, alice?.email, alice?.firstName]) {
      expect(existing.text).not.toContain(leak);
    }
    expect(h.cipher.calls).toHaveLength(0);
  });

  it('a requester in a channel that is not allowed is refused, with no Cipherscale call', async () => {
    const { text } = await lookupAs(REQUESTER, OTHER_CHANNEL, SEED_IDS.alice);
    expect(text).toContain('cannot be made from this channel');
    expect(text).not.toContain(h.cipher.getUser(SEED_IDS.alice)?.email);
    expect(h.cipher.calls).toHaveLength(0);
  });

  it('an approver who is not a requester may look up in an allowed channel, not elsewhere', async () => {
    const shown = await lookupAs(APPROVERS[0], ALLOWED, SEED_IDS.alice);
    expect(shown.text).toContain(h.cipher.getUser(SEED_IDS.alice)?.email);
    const refused = await lookupAs(APPROVERS[0], OTHER_CHANNEL, SEED_IDS.alice);
    expect(refused.text).toContain('cannot be made from this channel');
    expect(h.cipher.callsTo('getUser')).toHaveLength(1);
  });

  it('a bulk check is one audited lookup per id Cipherscale was asked about', async () => {
    await h.command(`deactivate ${SEED_IDS.alice} ${MISSING} ${SEED_IDS.owner} -- audit`, {
      user_id: REQUESTER,
      channel_id: ALLOWED,
    });
    await viewShown(h, CALLBACK_IDS.bulkReview);
    const lines = lookupLines().map(({ actor, target, channel, outcome, via }) => ({
      actor,
      target,
      channel,
      outcome,
      via,
    }));
    const line = (target: string, outcome: string) => ({
      actor: REQUESTER,
      target,
      channel: ALLOWED,
      outcome,
      via: 'bulk deactivate check',
    });
    expect(lines).toEqual(
      expect.arrayContaining([
        line(SEED_IDS.alice, 'shown'),
        line(MISSING, 'not_found'),
        line(SEED_IDS.owner, 'shown'),
      ]),
    );
    expect(lines).toHaveLength(3);
    expect(h.cipher.callsTo('getUser')).toHaveLength(3);
  });

  it('every lookup is one audit line: actor, target, channel, team, outcome', async () => {
    await lookupAs(REQUESTER, ALLOWED, SEED_IDS.alice);
    await lookupAs(REQUESTER, ALLOWED, MISSING);
    await lookupAs(OUTSIDER, ALLOWED, SEED_IDS.alice);
    expect(
      lookupLines().map(({ actor, target, channel, team, outcome, via }) => ({
        actor,
        target,
        channel,
        team,
        outcome,
        via,
      })),
    ).toEqual([
      {
        actor: REQUESTER,
        target: SEED_IDS.alice,
        channel: ALLOWED,
        team: 'T111',
        outcome: 'shown',
        via: 'command',
      },
      {
        actor: REQUESTER,
        target: MISSING,
        channel: ALLOWED,
        team: 'T111',
        outcome: 'not_found',
        via: 'command',
      },
      {
        actor: OUTSIDER,
        target: SEED_IDS.alice,
        channel: ALLOWED,
        team: 'T111',
        outcome: 'refused',
        via: 'command',
      },
    ]);
    // Ids only: the audit line never carries the profile it showed.
    const alice = h.cipher.getUser(SEED_IDS.alice);
    expect(JSON.stringify(lookupLines())).not.toContain(alice?.email);
  });

  it('a forged card button (Edit… with any user id) from an outsider fetches nothing and is audited as refused', async () => {
    await click(h, {
      actionId: ACTION_IDS.openEdit,
      value: SEED_IDS.alice,
      userId: OUTSIDER,
      channel: ALLOWED,
      ts: '1700000000.000100',
    });
    const [update] = await h.slack.waitFor((c) => c.method === 'views.update');
    const notice = visibleText((update?.args.view as { blocks?: unknown } | undefined)?.blocks);
    expect(notice).toContain('not allowed to request');
    expect(notice).not.toContain(h.cipher.getUser(SEED_IDS.alice)?.email);
    expect(h.cipher.calls).toHaveLength(0);
    expect(lookupLines()).toMatchObject([
      { actor: OUTSIDER, target: SEED_IDS.alice, outcome: 'refused', via: 'edit modal' },
    ]);
  });

  it("the request modal's pre-fetch is an audited lookup", async () => {
    await h.command(`deactivate ${SEED_IDS.alice}`, { channel_id: ALLOWED });
    await h.slack.waitFor((c) => c.method === 'views.update');
    expect(lookupLines()).toMatchObject([
      {
        actor: REQUESTER,
        target: SEED_IDS.alice,
        channel: ALLOWED,
        outcome: 'shown',
        via: 'deactivate modal',
      },
    ]);
  });

  it('an approver by user group may look up; when Slack cannot say who is in the group, nobody outside the lists sees anything', async () => {
    const shown = await lookupAs('U0GROUPAPPR', ALLOWED, SEED_IDS.alice);
    expect(shown.text).toContain(h.cipher.getUser(SEED_IDS.alice)?.email);
    h.cipher.reset();
    h.slack.failNext('usergroups.users.list', { error: 'fatal_error' });
    const refused = await lookupAs(OUTSIDER, ALLOWED, SEED_IDS.alice);
    expect(refused.text).toContain('could not check your permissions');
    expect(refused.text).not.toContain(SEED_IDS.alice);
    expect(h.cipher.calls).toHaveLength(0);
    expect(lookupLines().at(-1)).toMatchObject({
      actor: OUTSIDER,
      outcome: 'refused',
      reason: 'cannot_verify',
    });
  });
});
