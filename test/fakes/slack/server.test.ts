import { ErrorCode, WebClient, type WebClientOptions } from '@slack/web-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { until } from '../../helpers/poll.js';
import { quietSlackLogger } from '../../helpers/quiet-slack-logger.js';
import { chooseLatency, DEFAULT_LATENCY, parseLatency } from './latency.js';
import { FakeSlack } from './server.js';

const quiet = quietSlackLogger;

const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });
const modal = (title: string) => ({
  type: 'modal' as const,
  callback_id: 'edit_user',
  private_metadata: '{"requestId":"r1"}',
  title: { type: 'plain_text' as const, text: title },
  submit: { type: 'plain_text' as const, text: 'Save' },
  blocks: [section('Edit the user')],
});

let fake: FakeSlack;
let client: WebClient;

function clientFor(token: string | undefined, options: WebClientOptions = {}): WebClient {
  return new WebClient(token, {
    slackApiUrl: fake.apiUrl,
    retryConfig: { retries: 0 },
    logger: quiet,
    ...options,
  });
}

beforeEach(async () => {
  fake = await FakeSlack.start();
  client = clientFor(fake.botToken);
});

afterEach(async () => {
  await fake.close();
});

describe('FakeSlack auth', () => {
  it('answers auth.test for the bot token', async () => {
    const result = await client.auth.test();
    expect(result).toMatchObject({
      ok: true,
      team: 'Fake Team',
      team_id: fake.teamId,
      user_id: 'UBOT00001',
      bot_id: 'BBOT00001',
      is_enterprise_install: false,
    });
    expect(fake.callsTo('auth.test')[0]?.token).toBe('xoxb-fake-bot-token');
  });

  it('rejects a wrong token with invalid_auth and a missing one with not_authed, recording both', async () => {
    await expect(clientFor('xoxb-wrong').auth.test()).rejects.toMatchObject({
      code: ErrorCode.PlatformError,
      data: { ok: false, error: 'invalid_auth' },
    });
    await expect(clientFor(undefined).auth.test()).rejects.toMatchObject({ data: { error: 'not_authed' } });
    expect(fake.callsTo('auth.test').map((c) => c.token)).toEqual(['xoxb-wrong', undefined]);
  });

  it('accepts the token as a form field and honours options', async () => {
    const custom = await FakeSlack.start({ botToken: 'xoxb-other', botUserId: 'U999', botId: 'B999' });
    try {
      const other = new WebClient(undefined, { slackApiUrl: custom.apiUrl, logger: quiet });
      const result = await other.auth.test({ token: 'xoxb-other' });
      expect(result).toMatchObject({ user_id: 'U999', bot_id: 'B999' });
    } finally {
      await custom.close();
    }
  });

  it('answers unknown_method for methods it does not implement', async () => {
    await expect(client.apiCall('reactions.add', { name: 'eyes' })).rejects.toMatchObject({
      data: { error: 'unknown_method' },
    });
    expect(fake.callsTo('reactions.add')).toHaveLength(1);
  });
});

describe('FakeSlack chat', () => {
  it('holds the answers to one method until released: the call is recorded at once, other methods answer', async () => {
    fake.holdAnswers('chat.update');
    let answered = false;
    const update = client.chat
      .update({ channel: 'C123', ts: '1.000001', text: 'held' })
      .catch((err: unknown) => err)
      .finally(() => (answered = true));
    await until(
      'the held call recorded',
      async () => fake.callsTo('chat.update').length,
      (n) => n === 1,
    );
    await expect(client.chat.postMessage({ channel: 'C123', text: 'free' })).resolves.toMatchObject({
      ok: true,
    });
    expect(answered).toBe(false);
    fake.releaseAnswers('chat.update');
    await update;
    expect(answered).toBe(true);
  });

  it('posts messages with unique, increasing ts and decodes blocks into arrays', async () => {
    const blocks = [section('*Alice* wants to deactivate bob@example.com')];
    const first = await client.chat.postMessage({ channel: 'C123', text: 'hi', blocks });
    const second = await client.chat.postMessage({
      channel: 'C123',
      text: 'again',
      thread_ts: first.ts ?? '',
    });

    expect(first).toMatchObject({
      ok: true,
      channel: 'C123',
      message: { type: 'message', text: 'hi', user: 'UBOT00001', bot_id: 'BBOT00001', ts: first.ts },
    });
    expect(first.message?.blocks?.[0]).toMatchObject({ ...blocks[0], block_id: expect.any(String) });
    expect(second.message?.thread_ts).toBe(first.ts);
    expect(Number(second.ts)).toBeGreaterThan(Number(first.ts));

    const [call] = fake.callsTo('chat.postMessage');
    expect(call?.args.blocks).toEqual(blocks);
    expect(call?.args.channel).toBe('C123');
    expect(call?.problems).toEqual([]);
  });

  it('refuses unknown channels, channels the bot is not in, and over-long text', async () => {
    fake.setChannelMembership('CPRIVATE1', false);
    const post = (channel: string, text = 'x') => client.chat.postMessage({ channel, text });
    await expect(post('CNOTFOUND1')).rejects.toMatchObject({ data: { error: 'channel_not_found' } });
    await expect(post('CPRIVATE1')).rejects.toMatchObject({ data: { error: 'not_in_channel' } });
    await expect(client.apiCall('chat.postMessage', { text: 'x' })).rejects.toMatchObject({
      data: { error: 'channel_not_found' },
    });
    await expect(post('C1', 'x'.repeat(40_001))).rejects.toMatchObject({ data: { error: 'msg_too_long' } });
    fake.setChannelMembership('CPRIVATE1', true);
    await expect(post('CPRIVATE1')).resolves.toMatchObject({ ok: true });
  });

  it('updates messages and needs a ts', async () => {
    const posted = await client.chat.postMessage({ channel: 'C1', text: 'pending' });
    const updated = await client.chat.update({ channel: 'C1', ts: posted.ts ?? '', text: 'approved' });
    expect(updated).toMatchObject({ ok: true, channel: 'C1', ts: posted.ts, text: 'approved' });
    expect(updated.message).toMatchObject({ text: 'approved', user: 'UBOT00001', bot_id: 'BBOT00001' });
    await expect(client.apiCall('chat.update', { channel: 'C1', text: 'x' })).rejects.toMatchObject({
      data: { error: 'cant_update_message' },
    });
  });

  it('posts ephemeral messages, which need a user and a channel', async () => {
    const result = await client.chat.postEphemeral({ channel: 'C1', user: 'U1', text: 'only you' });
    expect(result).toMatchObject({ ok: true, message_ts: expect.stringMatching(/^\d+\.\d{6}$/) });
    await expect(client.apiCall('chat.postEphemeral', { channel: 'C1', text: 'x' })).rejects.toMatchObject({
      data: { error: 'user_not_found' },
    });
    await expect(client.apiCall('chat.postEphemeral', { user: 'U1', text: 'x' })).rejects.toMatchObject({
      data: { error: 'channel_not_found' },
    });
  });
});

describe('FakeSlack Block Kit checks', () => {
  it('rejects a section over 3000 characters like Slack and records the problems', async () => {
    const blocks = [section('x'.repeat(3001))];
    const failure = await client.chat
      .postMessage({ channel: 'C1', text: 'long', blocks })
      .catch((e: unknown) => e);
    expect(failure).toMatchObject({
      code: ErrorCode.PlatformError,
      data: {
        ok: false,
        error: 'invalid_blocks',
        errors: expect.arrayContaining([
          'must NOT have more than 3000 characters [json-pointer:/blocks/0/text/text]',
        ]),
        response_metadata: {
          messages: expect.arrayContaining([
            '[ERROR] must NOT have more than 3000 characters [json-pointer:/blocks/0/text/text]',
          ]),
        },
      },
    });

    const [call] = fake.callsTo('chat.postMessage');
    expect(call?.problems).toContain('/0/text/text must NOT have more than 3000 characters');
  });

  it('rejects more than 50 blocks in a message', async () => {
    const blocks = Array.from({ length: 51 }, (_, i) => section(`line ${i}`));
    await expect(client.chat.postMessage({ channel: 'C1', text: 'many', blocks })).rejects.toMatchObject({
      data: { error: 'invalid_blocks' },
    });
    expect(fake.callsTo('chat.postMessage')[0]?.problems).toEqual(['51 blocks, more than 50 per message']);
  });

  it('answers invalid_blocks_format when blocks are not JSON', async () => {
    await expect(
      client.apiCall('chat.postMessage', { channel: 'C1', blocks: '[{oops' }),
    ).rejects.toMatchObject({
      data: { error: 'invalid_blocks_format' },
    });
  });

  it('rejects a modal title of 25 characters as views.open does (invalid_arguments)', async () => {
    const failure = client.views.open({ trigger_id: fake.trigger(), view: modal('x'.repeat(25)) });
    await expect(failure).rejects.toMatchObject({
      data: {
        error: 'invalid_arguments',
        response_metadata: {
          messages: ['[ERROR] must NOT have more than 24 characters [json-pointer:/view/title/text]'],
        },
      },
    });
    expect(fake.callsTo('views.open')[0]?.problems).toEqual([
      '/title/text must NOT have more than 24 characters',
    ]);
  });
});

describe('FakeSlack views', () => {
  it('opens a modal with a unique id and hash and keeps it for updates', async () => {
    const opened = await client.views.open({ trigger_id: fake.trigger(), view: modal('Edit user') });
    const other = await client.views.open({ trigger_id: fake.trigger(), view: modal('Confirm') });
    expect(opened.view).toMatchObject({
      id: expect.stringMatching(/^V/),
      team_id: fake.teamId,
      type: 'modal',
      title: { text: 'Edit user' },
      callback_id: 'edit_user',
      private_metadata: '{"requestId":"r1"}',
      state: { values: {} },
      hash: expect.any(String),
    });
    expect(other.view?.id).not.toBe(opened.view?.id);
    expect(fake.callsTo('views.open')[0]?.args.view).toEqual(modal('Edit user'));

    const id = opened.view?.id ?? '';
    const updated = await client.views.update({
      view_id: id,
      hash: opened.view?.hash ?? '',
      view: modal('Saved'),
    });
    expect(updated.view).toMatchObject({ id, title: { text: 'Saved' } });
    expect(updated.view?.hash).not.toBe(opened.view?.hash);
  });

  it('answers hash_conflict when the hash is stale, and not_found for unknown views', async () => {
    const opened = await client.views.open({ trigger_id: fake.trigger(), view: modal('Edit user') });
    const id = opened.view?.id ?? '';
    const stale = opened.view?.hash ?? '';
    await client.views.update({ view_id: id, view: modal('Second') });
    await expect(
      client.views.update({ view_id: id, hash: stale, view: modal('Third') }),
    ).rejects.toMatchObject({
      data: { error: 'hash_conflict' },
    });
    await expect(client.views.update({ view_id: 'VNOPE', view: modal('x') })).rejects.toMatchObject({
      data: { error: 'not_found' },
    });
  });

  it('updates by external_id', async () => {
    await client.views.open({
      trigger_id: fake.trigger(),
      view: { ...modal('Edit user'), external_id: 'req-1' },
    });
    const updated = await client.views.update({ external_id: 'req-1', view: modal('Done') });
    expect(updated.view).toMatchObject({ external_id: 'req-1', title: { text: 'Done' } });
  });

  it('needs a trigger_id to open a modal', async () => {
    await expect(client.apiCall('views.open', { view: modal('Edit user') })).rejects.toMatchObject({
      data: { error: 'invalid_arguments' },
    });
  });

  it('publishes a home view validated as a Home tab', async () => {
    const view = { type: 'home' as const, blocks: [section('Welcome')] };
    const first = await client.views.publish({ user_id: 'U1', view });
    const again = await client.views.publish({ user_id: 'U1', view });
    expect(first.view).toMatchObject({ type: 'home', blocks: [{ type: 'section' }], state: { values: {} } });
    expect(again.view?.id).toBe(first.view?.id);
    await expect(
      client.views.publish({
        user_id: 'U1',
        view: { type: 'home', blocks: [{ type: 'divider', extra: 1 } as never] },
      }),
    ).rejects.toMatchObject({ data: { error: 'invalid_arguments' } });
  });
});

describe('FakeSlack users and usergroups', () => {
  it('opens a DM when posting to a user id, but refuses bots (cannot_dm_bot) and deactivated users', async () => {
    fake.setUser({ id: 'UABOT', is_bot: true });
    fake.setUser({ id: 'UGONE', deleted: true });
    await expect(client.chat.postMessage({ channel: 'U42', text: 'hi' })).resolves.toMatchObject({
      channel: 'D42',
    });
    await expect(client.chat.postMessage({ channel: 'UABOT', text: 'hi' })).rejects.toMatchObject({
      data: { error: 'cannot_dm_bot' },
    });
    await expect(client.chat.postMessage({ channel: 'UGONE', text: 'hi' })).rejects.toMatchObject({
      data: { error: 'user_disabled' },
    });
  });

  it('lists usergroup members or answers no_such_subteam', async () => {
    fake.setUsergroupMembers('S0APPROVERS', ['U1', 'U2']);
    await expect(client.usergroups.users.list({ usergroup: 'S0APPROVERS' })).resolves.toMatchObject({
      ok: true,
      users: ['U1', 'U2'],
    });
    await expect(client.usergroups.users.list({ usergroup: 'S0OTHER' })).rejects.toMatchObject({
      data: { error: 'no_such_subteam' },
    });
  });
});

describe('FakeSlack failNext', () => {
  it('fails the next call with a platform error, then recovers', async () => {
    fake.failNext('chat.postMessage', { error: 'is_archived' }, 2);
    const post = () => client.chat.postMessage({ channel: 'C1', text: 'x' });
    await expect(post()).rejects.toMatchObject({
      code: ErrorCode.PlatformError,
      data: { error: 'is_archived' },
    });
    await expect(post()).rejects.toMatchObject({ data: { error: 'is_archived' } });
    await expect(post()).resolves.toMatchObject({ ok: true });
    expect(fake.callsTo('chat.postMessage')).toHaveLength(3);
  });

  it('answers 429 with Retry-After, which WebClient reports as rate limited', async () => {
    fake.failNext('views.publish', { status: 429, retryAfterSec: 7 });
    const impatient = clientFor(fake.botToken, { rejectRateLimitedCalls: true });
    await expect(
      impatient.views.publish({ user_id: 'U1', view: { type: 'home', blocks: [] } }),
    ).rejects.toMatchObject({
      code: ErrorCode.RateLimitedError,
      retryAfter: 7,
    });
    const raw = await fetch(`${fake.apiUrl}views.publish`, { method: 'POST' });
    expect(raw.status).toBe(200);
  });

  it('answers other HTTP statuses as HTTP errors', async () => {
    fake.failNext('chat.postMessage', { status: 503 });
    await expect(client.chat.postMessage({ channel: 'C1', text: 'x' })).rejects.toMatchObject({
      code: ErrorCode.HTTPError,
      statusCode: 503,
    });
  });
});

describe('FakeSlack response_url', () => {
  it('records JSON posts with the url id and answers ok', async () => {
    const url = fake.responseUrl('cmd-1');
    const body = {
      response_type: 'ephemeral',
      text: 'Looking up…',
      blocks: [section('hi')],
      replace_original: false,
    };
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ ok: true });
    expect(fake.callsTo('response_url')).toEqual([
      {
        method: 'response_url',
        args: body,
        token: undefined,
        responseUrlId: 'cmd-1',
        answeredAt: expect.any(Number),
        problems: [],
        at: expect.any(Number),
      },
    ]);
    expect(fake.responseUrl()).not.toBe(fake.responseUrl());
  });

  it('answers 400 invalid_blocks for invalid blocks and honours failNext', async () => {
    const url = fake.responseUrl();
    const post = (payload: unknown) =>
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(payload),
      });
    const bad = await post({ text: 'x', blocks: [section('y'.repeat(3001))] });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ ok: false, error: 'invalid_blocks' });
    expect(fake.callsTo('response_url')[0]?.problems.length).toBeGreaterThan(0);

    fake.failNext('response_url', { status: 404, error: 'expired_url' });
    const expired = await post({ text: 'late' });
    expect(expired.status).toBe(404);
  });
});

describe('FakeSlack recording', () => {
  it('decodes JSON request bodies too', async () => {
    const res = await fetch(`${fake.apiUrl}chat.postMessage`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${fake.botToken}`,
        'content-type': 'application/json; charset=utf-8',
      },
      body: JSON.stringify({ channel: 'C1', text: 'json', blocks: [section('a')], unfurl_links: false }),
    });
    expect(await res.json()).toMatchObject({ ok: true, channel: 'C1' });
    expect(fake.callsTo('chat.postMessage')[0]?.args).toEqual({
      channel: 'C1',
      text: 'json',
      blocks: [section('a')],
      unfurl_links: false,
    });
  });

  it('keeps JSON-looking free text as text', async () => {
    await client.chat.postMessage({
      channel: 'C1',
      text: '[1,2]',
      metadata: { event_type: 'e', event_payload: {} },
    });
    const args = fake.callsTo('chat.postMessage')[0]?.args;
    expect(args?.text).toBe('[1,2]');
    expect(args?.metadata).toEqual({ event_type: 'e', event_payload: {} });
  });

  it('waitFor resolves once enough matching calls are recorded, counting earlier ones', async () => {
    await client.chat.postMessage({ channel: 'C1', text: 'one' });
    const waiting = fake.waitFor('chat.postMessage', { count: 2 });
    const byPredicate = fake.waitFor((c) => c.method === 'chat.postMessage' && c.args.text === 'two');
    await client.chat.postMessage({ channel: 'C1', text: 'two' });
    const calls = await waiting;
    expect(calls.map((c) => c.args.text)).toEqual(['one', 'two']);
    expect((await byPredicate)[0]?.args.text).toBe('two');
    await expect(fake.waitFor('chat.postMessage')).resolves.toHaveLength(2);
  });

  it('waitFor rejects after the timeout, listing the calls seen', async () => {
    await client.auth.test();
    await expect(fake.waitFor('views.open', { timeoutMs: 20 })).rejects.toThrow(
      /waitFor\(views\.open\): 0\/1 matching calls after 20ms; calls seen:\n {2}auth\.test/,
    );
  });

  it('reset forgets calls and state', async () => {
    fake.setUsergroupMembers('S1', ['U1']);
    await client.usergroups.users.list({ usergroup: 'S1' });
    fake.reset();
    expect(fake.calls).toEqual([]);
    await expect(client.usergroups.users.list({ usergroup: 'S1' })).rejects.toMatchObject({
      data: { error: 'no_such_subteam' },
    });
  });
});

describe('FakeSlack behaves like Slack', () => {
  const refusedWith = (code: string) => ({ code: ErrorCode.PlatformError, data: { ok: false, error: code } });

  it('answers no call at once: a call is recorded first and answered after the latency', async () => {
    const slow = await FakeSlack.start({ latencyMs: 40 });
    try {
      const started = Date.now();
      const answer = clientFor(slow.botToken, { slackApiUrl: slow.apiUrl }).auth.test();
      const [recorded] = await slow.waitFor('auth.test');
      expect(recorded?.answeredAt).toBeUndefined();
      expect(recorded?.response).toBeUndefined();
      const [answered] = await slow.waitFor('auth.test', { answered: true });
      await answer;
      expect(answered?.response).toMatchObject({ ok: true });
      expect((answered?.answeredAt ?? 0) - (answered?.at ?? 0)).toBeGreaterThanOrEqual(35);
      expect(Date.now() - started).toBeGreaterThanOrEqual(35);
    } finally {
      await slow.close();
    }
  });

  it('delays response_url answers too, and latencyMs 0 answers without waiting', async () => {
    const slow = await FakeSlack.start({ latencyMs: [30, 30] });
    const instant = await FakeSlack.start({ latencyMs: 0 });
    try {
      const post = (url: string) =>
        fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{"text":"hi"}',
        });
      await post(slow.responseUrl('r'));
      await post(instant.responseUrl('r'));
      const [late] = slow.callsTo('response_url');
      const [soon] = instant.callsTo('response_url');
      expect((late?.answeredAt ?? 0) - (late?.at ?? 0)).toBeGreaterThanOrEqual(25);
      expect((soon?.answeredAt ?? Number.POSITIVE_INFINITY) - (soon?.at ?? 0)).toBeLessThan(25);
    } finally {
      await slow.close();
      await instant.close();
    }
  });

  it('reads FAKE_SLACK_LATENCY_MS as "5" or "5-40"; the option wins; a typo is an error, not instant', () => {
    expect(parseLatency('5')).toBe(5);
    expect(parseLatency(' 5-40 ')).toEqual([5, 40]);
    expect(() => parseLatency('5ms')).toThrow(/FAKE_SLACK_LATENCY_MS/);
    expect(() => parseLatency('40-5')).toThrow(/max-min/);
    expect(chooseLatency(undefined, undefined)).toEqual(DEFAULT_LATENCY);
    expect(chooseLatency(undefined, '')).toEqual(DEFAULT_LATENCY);
    expect(chooseLatency(undefined, '7-9')).toEqual([7, 9]);
    expect(chooseLatency(0, '7-9')).toBe(0);
    expect(DEFAULT_LATENCY).toEqual([1, 8]);
  });

  it('refuses a post into a DM or group DM the bot is not part of with channel_not_found', async () => {
    await expect(client.chat.postMessage({ channel: 'D0TWOPEOPLE', text: 'x' })).rejects.toMatchObject(
      refusedWith('channel_not_found'),
    );
    await expect(client.chat.postMessage({ channel: 'G0MPIM1', text: 'x' })).rejects.toMatchObject(
      refusedWith('channel_not_found'),
    );
    fake.setDm('D0NOTIN', { botIsMember: false });
    await expect(client.chat.postMessage({ channel: 'D0NOTIN', text: 'x' })).rejects.toMatchObject(
      refusedWith('channel_not_found'),
    );
    fake.setDm('G0WITHBOT', { botIsMember: true });
    await expect(client.chat.postMessage({ channel: 'G0WITHBOT', text: 'x' })).resolves.toMatchObject({
      ok: true,
    });
    // A public channel needs no registration; the bot's own DM with a user is opened by posting to the user.
    await expect(client.chat.postMessage({ channel: 'C1', text: 'x' })).resolves.toMatchObject({ ok: true });
    const dm = await client.chat.postMessage({ channel: 'U123', text: 'hello' });
    expect(dm.channel).toBe('D123');
    await expect(client.chat.postMessage({ channel: 'D123', text: 'again' })).resolves.toMatchObject({
      ok: true,
    });
  });

  it('refuses chat.update and chat.delete of a ts it never posted (an ephemeral message, a made-up one)', async () => {
    const ephemeral = await client.chat.postEphemeral({ channel: 'C1', user: 'U1', text: 'only you' });
    await expect(
      client.chat.update({ channel: 'C1', ts: ephemeral.message_ts ?? '', text: 'x' }),
    ).rejects.toMatchObject(refusedWith('message_not_found'));
    await expect(
      client.chat.update({ channel: 'C1', ts: '1700000000.000001', text: 'x' }),
    ).rejects.toMatchObject(refusedWith('message_not_found'));
    const posted = await client.chat.postMessage({ channel: 'C1', text: 'pending' });
    // The same ts in another channel is another message.
    await expect(client.chat.update({ channel: 'C2', ts: posted.ts ?? '', text: 'x' })).rejects.toMatchObject(
      refusedWith('message_not_found'),
    );
    await client.chat.delete({ channel: 'C1', ts: posted.ts ?? '' });
    await expect(client.chat.update({ channel: 'C1', ts: posted.ts ?? '', text: 'x' })).rejects.toMatchObject(
      refusedWith('message_not_found'),
    );
    await expect(client.chat.delete({ channel: 'C1', ts: posted.ts ?? '' })).rejects.toMatchObject(
      refusedWith('message_not_found'),
    );
    fake.declareMessage('C9', '1700000000.000002');
    await expect(
      client.chat.update({ channel: 'C9', ts: '1700000000.000002', text: 'x' }),
    ).resolves.toMatchObject({ ok: true });
  });

  it('answers a views.update with a stale hash hash_conflict and keeps the newer view', async () => {
    const opened = await client.views.open({ trigger_id: fake.trigger(), view: modal('Checking') });
    const id = opened.view?.id ?? '';
    const review = await client.views.update({
      view_id: id,
      hash: opened.view?.hash ?? '',
      view: modal('Review'),
    });
    await expect(
      client.views.update({ view_id: id, hash: opened.view?.hash ?? '', view: modal('Checking 73%') }),
    ).rejects.toMatchObject(refusedWith('hash_conflict'));
    const again = await client.views.update({
      view_id: id,
      hash: review.view?.hash ?? '',
      view: modal('Review'),
    });
    expect(again.ok).toBe(true);
  });

  it('forgets DMs and messages on reset', async () => {
    fake.setDm('D0RESET', { botIsMember: true });
    const posted = await client.chat.postMessage({ channel: 'D0RESET', text: 'x' });
    fake.reset();
    await expect(client.chat.postMessage({ channel: 'D0RESET', text: 'x' })).rejects.toMatchObject(
      refusedWith('channel_not_found'),
    );
    await expect(
      client.chat.update({ channel: 'D0RESET', ts: posted.ts ?? '', text: 'x' }),
    ).rejects.toMatchObject(refusedWith('channel_not_found'));
  });
});

describe('FakeSlack triggers and closed views (as Slack)', () => {
  it('opens one modal per trigger: used twice exchanged_trigger_id, older than 3 s expired, made up invalid', async () => {
    const trigger = fake.trigger();
    await client.views.open({ trigger_id: trigger, view: modal('Edit user') });
    await expect(client.views.open({ trigger_id: trigger, view: modal('Edit user') })).rejects.toMatchObject({
      data: { error: 'exchanged_trigger_id' },
    });
    await expect(
      client.views.open({ trigger_id: fake.staleTrigger(), view: modal('Edit user') }),
    ).rejects.toMatchObject({ data: { error: 'expired_trigger_id' } });
    await expect(
      client.views.open({ trigger_id: `${Date.now()}.1.made-up`, view: modal('Edit user') }),
    ).rejects.toMatchObject({ data: { error: 'invalid_trigger_id' } });
    await expect(
      client.views.open({ trigger_id: fake.staleTrigger(2500), view: modal('Edit user') }),
    ).resolves.toMatchObject({ ok: true });
  });

  it('forgets a closed view: views.update answers not_found and viewState is empty', async () => {
    const opened = await client.views.open({ trigger_id: fake.trigger(), view: modal('Edit user') });
    const id = String(opened.view?.id);
    expect(fake.viewState(id)?.title).toMatchObject({ text: 'Edit user' });
    fake.closeView(id);
    expect(fake.viewState(id)).toBeUndefined();
    await expect(client.views.update({ view_id: id, view: modal('Later') })).rejects.toMatchObject({
      data: { error: 'not_found' },
    });
  });

  it('delayAnswers holds matching calls, which then take effect last: the order bugs show', async () => {
    const opened = await client.views.open({ trigger_id: fake.trigger(), view: modal('Edit user') });
    const id = String(opened.view?.id);
    fake.delayAnswers(
      (c) =>
        c.method === 'views.update' && (c.args.view as { title?: { text?: string } }).title?.text === 'Slow',
      300,
    );
    const slow = client.views.update({ view_id: id, view: modal('Slow') });
    await fake.waitFor('views.update');
    await client.views.update({ view_id: id, view: modal('Fast') });
    expect(fake.viewState(id)?.title).toMatchObject({ text: 'Fast' });
    await slow;
    expect(fake.viewState(id)?.title).toMatchObject({ text: 'Slow' });
  });

  it('a submission ack with response_action update keeps the view id with a new hash; an empty ack closes it', async () => {
    const opened = await client.views.open({ trigger_id: fake.trigger(), view: modal('Edit user') });
    const id = String(opened.view?.id);
    const before = fake.viewState(id)?.hash;
    fake.submissionAnswered(
      id,
      JSON.stringify({ response_action: 'update', view: modal('Checking') }),
      fake.calls.length,
    );
    const after = fake.viewState(id);
    expect(after).toMatchObject({ id, title: { text: 'Checking' } });
    expect(after?.hash).not.toBe(before);
    await expect(
      client.views.update({ view_id: id, hash: String(before), view: modal('Old hash') }),
    ).rejects.toMatchObject({
      data: { error: 'hash_conflict' },
    });
    fake.submissionAnswered(id, '', fake.calls.length);
    expect(fake.viewState(id)).toBeUndefined();
  });
});
