import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ACTION_IDS, BLOCK_IDS, CALLBACK_IDS } from '../../src/blocks/ids.js';
import { SEED_IDS } from '../fakes/cipherscale/seed.js';
import { FakeSlack } from '../fakes/slack/server.js';
import { approvalPosted, clickPayload, mark, submit, viewShown } from '../helpers/flows.js';
import { type Harness, REQUESTER, startHarness } from '../helpers/harness.js';
import { blockActionPayload } from '../helpers/slack-request.js';

// A bot cannot post into a DM between people or a group DM: requests made there are refused up front,
// unless APPROVALS_CHANNEL_ID sends every approval message to one channel.

const DM = { channel_id: 'D0TWOPEOPLE', channel_name: 'directmessage' };
const GROUP_DM = { channel_id: 'G0MPIM00001', channel_name: 'mpdm-requester--alice--bob-1' };
const APPROVALS = 'C0APPROVALS';

let h: Harness;
let routed: Harness;

beforeAll(async () => {
  h = await startHarness({ processBeforeResponse: true });
  routed = await startHarness({ processBeforeResponse: true, env: { APPROVALS_CHANNEL_ID: APPROVALS } });
});
afterAll(async () => {
  await h.close();
  await routed.close();
});
beforeEach(() => {
  for (const world of [h, routed]) {
    world.slack.reset();
    world.cipher.reset();
  }
});

// The sweeper's own schedule and lock change on their own clock: everything else must stay as it was.
const keys = async (world: Harness) =>
  (await world.runtime.redis.keys(`{${world.config.redisKeyPrefix}}*`))
    .filter((key) => !/[:-]bull:sweeper:|:sweeper:lock$/.test(key))
    .sort();

/** A lookup in the same conversation, answered: whatever the refused command would have done came before. */
async function lookupAnswered(world: Harness, where: Record<string, string>) {
  const ack = await world.command(`lookup ${SEED_IDS.alice}`, where);
  await world.slack.waitFor((c) => c.method === 'response_url' && c.responseUrlId === ack.responseUrlId, {
    answered: true,
  });
}

function expectNothingStartedBut(world: Harness, lookups: number) {
  expect(world.slack.callsTo('views.open')).toHaveLength(0);
  expect(world.slack.callsTo('chat.postMessage')).toHaveLength(0);
  // Only the lookups read Cipherscale (one getUser each); no request modal pre-fetched anything.
  expect(world.cipher.calls.filter((c) => c.operation !== 'getUser')).toHaveLength(0);
  expect(world.cipher.calls).toHaveLength(lookups);
}

describe('requests from a DM or a group DM', () => {
  it.each([
    ['a DM', DM, /in a direct message/],
    ['a group DM', GROUP_DM, /in a group DM/],
  ])(
    '%s: every request command is refused in the ack, before any modal or Redis write',
    async (_, where, here) => {
      const before = await keys(h);
      const commands = [
        `deactivate ${SEED_IDS.alice} -- left`,
        `delete ${SEED_IDS.alice}`,
        `edit ${SEED_IDS.alice}`,
        `deactivate ${SEED_IDS.alice} ${SEED_IDS.manyDevices}`,
      ];
      for (const text of commands) {
        const ack = await h.command(text, where);
        expect(ack.status).toBe(200);
        expect(ack.json()).toMatchObject({ response_type: 'ephemeral' });
        const said = String((ack.json() as { text?: string }).text);
        expect(said).toMatch(here);
        expect(said).toContain('Change requests cannot be made');
        expect(said).toContain('a channel cipher-user is a member of');
        expect(said).toContain('Nothing was changed');
      }
      expect(await keys(h)).toEqual(before);
      // Lookups stay allowed there (read-only, answered ephemerally through the response_url).
      await lookupAnswered(h, where);
      expectNothingStartedBut(h, 1);
    },
  );

  it('names the allowed channels when ALLOWED_CHANNEL_IDS is set', async () => {
    const limited = await startHarness({
      processBeforeResponse: true,
      slack: h.slack,
      cipher: h.cipher,
      env: { ALLOWED_CHANNEL_IDS: 'C0OPS00001,C0OPS00002' },
    });
    try {
      const ack = await limited.command(`deactivate ${SEED_IDS.alice}`, DM);
      expect(String((ack.json() as { text?: string }).text)).toContain('<#C0OPS00001>, <#C0OPS00002>');
      expect(h.slack.callsTo('views.open')).toHaveLength(0);
    } finally {
      await limited.close();
    }
  });

  it('a click on an old lookup card in a DM is refused the same way, even with a channel name that is not a DM', async () => {
    const before = await keys(h);
    for (const name of ['directmessage', 'security-ops']) {
      const payload = blockActionPayload({
        actionId: ACTION_IDS.openDeactivate,
        value: SEED_IDS.alice,
        userId: REQUESTER,
        channel: DM.channel_id,
        ts: '1700000000.000100',
        responseUrl: h.slack.responseUrl(`click-dm-${name}`),
        botUserId: h.slack.botUserId,
      });
      const answer = await h.interact({ ...payload, channel: { id: DM.channel_id, name } });
      expect(answer.status).toBe(200);
      const [refusal] = await h.slack.waitFor(
        (c) => c.method === 'response_url' && c.responseUrlId === `click-dm-${name}`,
        { answered: true },
      );
      expect(refusal?.args).toMatchObject({ response_type: 'ephemeral', replace_original: false });
      expect(String(refusal?.args.text)).toMatch(/cannot be made in a direct message/);
    }
    // A group DM card (its mpdm- name), too.
    const group = clickPayload(h, {
      actionId: ACTION_IDS.openEdit,
      value: SEED_IDS.alice,
      userId: REQUESTER,
      channel: GROUP_DM.channel_id,
      ts: '1700000000.000101',
    });
    await h.interact({ ...group, channel: { id: GROUP_DM.channel_id, name: GROUP_DM.channel_name } });
    expect(await keys(h)).toEqual(before);
    await lookupAnswered(h, DM);
    expectNothingStartedBut(h, 1);
    const groupRefusals = h.slack
      .callsTo('response_url')
      .filter((c) => /cannot be made in a group DM/.test(String(c.args.text)));
    expect(groupRefusals).toHaveLength(1);
  });

  it('a modal opened in a DM before this check (its draft says D…) is refused at submit: nothing created, nothing posted', async () => {
    const start = mark(h);
    const ack = await h.command(`deactivate ${SEED_IDS.alice}`);
    const shown = await viewShown(h, CALLBACK_IDS.deactivate, start);
    const draft = await h.runtime.ctx.drafts.get(JSON.parse(shown.privateMetadata).d);
    if (!draft) throw new Error('no draft');
    const inDm = await h.runtime.ctx.drafts.save({ ...draft, channelId: DM.channel_id });
    const submitted = await submit(
      h,
      { ...shown, privateMetadata: JSON.stringify({ d: inDm }) },
      {
        [BLOCK_IDS.reason]: 'left',
      },
    );
    expect(submitted.status).toBe(200);
    const [told] = await h.slack.waitFor(
      (c) => c.method === 'response_url' && c.responseUrlId === ack.responseUrlId,
      { answered: true },
    );
    expect(String(told?.args.text)).toMatch(/cannot be made in a direct message/);
    expect(h.slack.callsTo('chat.postMessage')).toHaveLength(0);
    expect(await h.runtime.ctx.store.listOpen()).toEqual([]);
  });

  it('with APPROVALS_CHANNEL_ID, a request made in a DM is posted in that channel and the requester gets a link', async () => {
    routed.slack.setChannelMembership(APPROVALS, true);
    const start = mark(routed);
    const ack = await routed.command(`deactivate ${SEED_IDS.alice} -- left`, DM);
    expect(ack.text).toBe('');
    const shown = await viewShown(routed, CALLBACK_IDS.deactivate, start);
    const submitted = await submit(routed, shown, {});
    expect(submitted.text).toBe('');
    const posted = await approvalPosted(routed, start);
    expect(posted.channel).toBe(APPROVALS);
    const stored = await routed.runtime.ctx.store.get(posted.requestId);
    expect(stored).toMatchObject({ channelId: APPROVALS, messageTs: posted.ts, state: 'pending' });
    const [told] = await routed.slack.waitFor(
      (c) => c.method === 'response_url' && c.responseUrlId === ack.responseUrlId,
      { answered: true },
    );
    expect(String(told?.args.text)).toMatch(
      new RegExp(
        `<https://fake\\.slack\\.com/archives/${APPROVALS}/p\\d+\\|Your request> is waiting for approval in <#${APPROVALS}>`,
      ),
    );
    expect(routed.slack.calls.filter((c) => c.args.channel === DM.channel_id)).toHaveLength(0);
  });

  it('the stricter fake refuses what main used to do: a post into that DM is channel_not_found', async () => {
    const fake = await FakeSlack.start();
    try {
      const res = await fetch(`${fake.apiUrl}chat.postMessage`, {
        method: 'POST',
        headers: { authorization: `Bearer ${fake.botToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ channel: DM.channel_id, text: 'approval' }),
      });
      expect(await res.json()).toMatchObject({ ok: false, error: 'channel_not_found' });
    } finally {
      await fake.close();
    }
  });
});
