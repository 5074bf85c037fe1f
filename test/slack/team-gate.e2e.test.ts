import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ACTION_IDS, BLOCK_IDS, CALLBACK_IDS } from '../../src/blocks/ids.js';
import { ConfigError, loadConfig } from '../../src/config.js';
import { SEED_IDS } from '../fakes/cipherscale/seed.js';
import { FakeSlack } from '../fakes/slack/server.js';
import { visibleText } from '../helpers/blocks-text.js';
import { clickPayload, makeRequest, mark, submit, viewShown } from '../helpers/flows.js';
import { APPROVERS, type Driver, type Harness, REQUESTER, startHarness } from '../helpers/harness.js';
import { endOpenRequests } from '../helpers/open-requests.js';
import { until } from '../helpers/poll.js';
import { sharedPath } from '../helpers/shared.js';
import { signedHeaders, slashCommandBody } from '../helpers/slack-request.js';

const REFUSAL = 'only works for members of the workspace that installed it';
const realHomeOpened = JSON.parse(
  readFileSync(sharedPath('slack/events/real/app_home_opened_home.json'), 'utf8'),
) as { event: Record<string, unknown> } & Record<string, unknown>;

let h: Harness;

beforeAll(async () => {
  h = await startHarness({ processBeforeResponse: true });
});
afterAll(async () => {
  await h.close();
});
beforeEach(async () => {
  await endOpenRequests(h);
  h.slack.reset();
  h.cipher.reset();
});

// The sweeper's own schedule and lock change on their own clock: everything else must stay as it was.
const keys = async () =>
  (await h.runtime.redis.keys(`{${h.config.redisKeyPrefix}}*`)).filter(
    (key) => !/[:-]bull:sweeper:|:sweeper:lock$/.test(key),
  );

/** Nothing reached Cipherscale, no response_url post other than the refusal, nothing was stored. */
async function expectNothingDone(keysBefore: string[]) {
  expect(h.cipher.calls).toHaveLength(0);
  expect(h.slack.callsTo('views.open')).toHaveLength(0);
  expect(h.slack.callsTo('chat.postMessage')).toHaveLength(0);
  expect((await keys()).sort()).toEqual([...keysBefore].sort());
}

describe('commands from another workspace', () => {
  it.each(['lookup', 'deactivate', 'pending'])(
    '%s from a user of another team (same enterprise as the fixture) is refused in the ack',
    async (subcommand) => {
      const before = await keys();
      // The fixture's enterprise_id (E111) stays: an enterprise match alone admits nobody.
      const ack = await h.command(`${subcommand} ${subcommand === 'pending' ? '' : SEED_IDS.alice}`, {
        team_id: 'T222',
      });
      expect(ack.status).toBe(200);
      expect(ack.json()).toMatchObject({ response_type: 'ephemeral' });
      expect(ack.text).toContain(REFUSAL);
      expect(ack.text).not.toContain(SEED_IDS.alice);
      expect(h.slack.callsTo('response_url')).toHaveLength(0);
      await expectNothingDone(before);
    },
  );

  it.each(['t111', ' T111', 'T111 ', 'T1110', 'T11', ''])('team id %j is not T111', async (teamId) => {
    const ack = await h.command(`lookup ${SEED_IDS.alice}`, { team_id: teamId });
    expect(ack.text).toContain(REFUSAL);
    expect(h.cipher.calls).toHaveLength(0);
  });

  it('a command with no team_id at all is refused, not let through', async () => {
    const form = new URLSearchParams(
      slashCommandBody({
        text: `lookup ${SEED_IDS.alice}`,
        user_id: REQUESTER,
        response_url: h.slack.responseUrl('x'),
      }),
    );
    form.delete('team_id');
    form.delete('enterprise_id');
    const body = form.toString();
    const answer = await h.post(
      body,
      signedHeaders(h.signingSecret, body, 'application/x-www-form-urlencoded'),
    );
    expect(answer.status).toBe(200);
    expect(answer.text).toContain(REFUSAL);
    expect(h.cipher.calls).toHaveLength(0);
  });

  it('the installing team is let through (control)', async () => {
    const ack = await h.command(`lookup ${SEED_IDS.alice}`);
    expect(ack.text).not.toContain(REFUSAL);
    expect(h.cipher.callsTo('getUser', SEED_IDS.alice)).toHaveLength(1);
  });
});

describe('clicks and submissions from another workspace', () => {
  it('a Slack Connect approver from another org (user.team_id theirs, team.id ours) cannot approve', async () => {
    const generation = `${h.config.redis.prefix}home:refresh-generation`;
    const refreshJob = `${h.config.redis.bullPrefix}:requests:home-${Number(await h.runtime.redis.get(generation))}`;
    const posted = await makeRequest(h, 'deactivate', SEED_IDS.alice);
    // The new request's App Home refresh (a debounced job) has finished: its keys are part of "before".
    await until(
      'the creation’s Home refresh to finish',
      () => h.runtime.redis.hget(refreshJob, 'finishedOn'),
      (finished) => finished !== null,
    );
    h.cipher.reset();
    h.slack.reset();
    const before = await keys();
    const payload = clickPayload(h, {
      actionId: ACTION_IDS.approve,
      value: posted.requestId,
      userId: APPROVERS[0],
      channel: posted.channel,
      ts: posted.ts,
    });
    const foreign = { ...payload, user: { ...payload.user, team_id: 'TPARTNER' } };
    expect((foreign as Record<string, unknown>).team).toMatchObject({ id: 'T111' });
    const answer = await h.interact(foreign);
    expect(answer.status).toBe(200);
    const [reply] = await h.slack.waitFor((c) => c.method === 'response_url');
    expect(String(reply?.args.text)).toContain(REFUSAL);
    expect(reply?.args.replace_original).toBe(false);
    expect(await h.runtime.ctx.store.get(posted.requestId)).toMatchObject({
      state: 'pending',
      approvals: [],
    });
    expect(h.slack.callsTo('chat.update')).toHaveLength(0);
    await expectNothingDone(before);
  });

  it('a click whose user carries no team_id is refused', async () => {
    const payload = clickPayload(h, {
      actionId: ACTION_IDS.openEdit,
      value: SEED_IDS.alice,
      userId: REQUESTER,
      channel: 'C0TESTCHAN',
      ts: '1700000000.000200',
    });
    const { team_id: _dropped, ...user } = payload.user;
    await h.interact({ ...payload, user });
    const [reply] = await h.slack.waitFor((c) => c.method === 'response_url');
    expect(String(reply?.args.text)).toContain(REFUSAL);
    expect(h.cipher.calls).toHaveLength(0);
    expect(h.slack.callsTo('views.open')).toHaveLength(0);
  });

  it('a view_submission crafted with another team creates no request', async () => {
    const start = mark(h);
    await h.command(`deactivate ${SEED_IDS.alice}`);
    const shown = await viewShown(h, CALLBACK_IDS.deactivate, start);
    const foreign: Driver = {
      ...h,
      interact: (payload) => {
        const p = payload as { user: Record<string, unknown> };
        return h.interact({ ...p, user: { ...p.user, team_id: 'TOTHER' } });
      },
    };
    h.cipher.reset();
    h.slack.reset();
    const before = await keys();
    const answer = await submit(foreign, shown, { [BLOCK_IDS.reason]: 'left the company' });
    const body = answer.json() as { response_action?: string; view?: { blocks?: unknown } };
    expect(body.response_action).toBe('update');
    expect(visibleText(body.view?.blocks)).toContain(REFUSAL);
    const open = await h.runtime.ctx.store.listOpen(50);
    expect(open.filter((r) => r.reason === 'left the company')).toEqual([]);
    await expectNothingDone(before);
  });
});

describe('events from another workspace', () => {
  const homeOpened = (user: string, over: Record<string, unknown>, event: Record<string, unknown> = {}) =>
    h.event({
      ...realHomeOpened,
      team_id: h.slack.teamId,
      event_id: `Ev${Date.now()}${Math.floor(Math.random() * 1e6)}`,
      ...over,
      event: { ...realHomeOpened.event, user, event_ts: `${Date.now() / 1000}`, ...event },
    });

  it('app_home_opened from another team, or from a user of another team, publishes no Home', async () => {
    const before = await keys();
    expect((await homeOpened('U0FOREIGN1', { team_id: 'TOTHER' })).status).toBe(200);
    expect((await homeOpened('U0FOREIGN2', {}, { user_team: 'TOTHER' })).status).toBe(200);
    expect((await homeOpened('U0FOREIGN3', { team_id: undefined })).status).toBe(200);
    expect(h.slack.callsTo('views.publish')).toHaveLength(0);
    expect((await keys()).sort()).toEqual(before.sort());
    // Control: the same event from the installing team does publish (and processBeforeResponse held it).
    await homeOpened('U0OURS0001', {});
    expect(h.slack.callsTo('views.publish').map((c) => c.args.user_id)).toEqual(['U0OURS0001']);
  });
});

describe('ALLOWED_TEAM_IDS', () => {
  it('widens the installing team to the listed workspaces, and no further', async () => {
    const wide = await startHarness({ processBeforeResponse: true, env: { ALLOWED_TEAM_IDS: 'T222, T333' } });
    try {
      const allowed = await wide.command(`lookup ${SEED_IDS.alice}`, { team_id: 'T222' });
      expect(allowed.text).not.toContain(REFUSAL);
      const refused = await wide.command(`lookup ${SEED_IDS.alice}`, { team_id: 'T444' });
      expect(refused.text).toContain(REFUSAL);
      expect(wide.cipher.callsTo('getUser')).toHaveLength(1);
    } finally {
      await wide.close();
    }
  });

  it('an install whose auth.test names no team (org-wide) refuses everyone until ALLOWED_TEAM_IDS is set', async () => {
    const slack = await FakeSlack.start({ teamId: '' });
    const org = await startHarness({ slack, processBeforeResponse: true });
    try {
      const ack = await org.command(`lookup ${SEED_IDS.alice}`);
      expect(ack.text).toContain(REFUSAL);
      expect(org.cipher.calls).toHaveLength(0);
      expect(org.logs.some((l) => l.includes('every Slack request will be refused'))).toBe(true);
    } finally {
      await org.close();
      await slack.close();
    }
  });

  it.each(['E111', 't222', 'T-222'])('rejects %j at start (workspace ids only, T…)', (value) => {
    expect(() =>
      loadConfig({
        SLACK_BOT_TOKEN: 'xoxb-x',
        SLACK_SIGNING_SECRET: 's',
        CIPHERSCALE_API_TOKEN: 't',
        APPROVER_USER_IDS: 'UAPPROVER1',
        ALLOWED_TEAM_IDS: value,
      }),
    ).toThrow(ConfigError);
  });
});
