import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SEED_IDS } from '../fakes/cipherscale/seed.js';
import { parsedTexts, visibleText } from '../helpers/blocks-text.js';
import { type Harness, startHarness } from '../helpers/harness.js';
import { signedHeaders, slashCommandBody } from '../helpers/slack-request.js';

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});
beforeEach(() => {
  h.slack.reset();
  h.cipher.reset();
});

/** The ephemeral answer sent through the command's response_url. */
async function responseFor(responseUrlId: string) {
  const [call] = await h.slack.waitFor(
    (c) => c.method === 'response_url' && c.responseUrlId === responseUrlId,
  );
  if (!call) throw new Error('no response');
  expect(call.problems).toEqual([]);
  return { args: call.args, text: visibleText(call.args.blocks) };
}

describe('/cipher-user lookup', () => {
  it('answers with an ephemeral user card', async () => {
    const ack = await h.command(`lookup ${SEED_IDS.alice}`);
    expect(ack.status).toBe(200);
    const { args, text } = await responseFor(ack.responseUrlId);
    expect(args.response_type).toBe('ephemeral');
    const alice = h.cipher.getUser(SEED_IDS.alice);
    expect(text).toContain(`${alice?.firstName} ${alice?.lastName}`);
    expect(text).toContain(alice?.email);
    expect(text).toContain(SEED_IDS.alice);
    expect(h.cipher.callsTo('getUser', SEED_IDS.alice)).toHaveLength(1);
    expect(h.cipher.calls).toHaveLength(1);
  });

  it.each(['get', 'show', 'LOOKUP'])('accepts the alias %s and a pasted id in backticks', async (word) => {
    const ack = await h.command(`${word} \`${SEED_IDS.alice.toUpperCase()}\``);
    const { text } = await responseFor(ack.responseUrlId);
    expect(text).toContain(SEED_IDS.alice);
  });

  it('shows "no limit" for a null maxDevices and copes with missing optional fields', async () => {
    const ack = await h.command(`lookup ${SEED_IDS.minimal}`);
    const { text } = await responseFor(ack.responseUrlId);
    expect(text).toContain('no limit');
    expect(text).not.toContain('undefined');
  });

  it('escapes hostile names so nothing pings or links', async () => {
    const ack = await h.command(`lookup ${SEED_IDS.hostile}`);
    const { args } = await responseFor(ack.responseUrlId);
    // Slack reads mentions and links only in mrkdwn and the fallback text; plain_text is shown as typed.
    const parsed = parsedTexts(args).join('\n');
    for (const hostile of ['<!channel>', '<!here>', '<!everyone>', '<@U123>', '<https://evil']) {
      expect(parsed).not.toContain(hostile);
    }
    expect(parsed).toContain('&lt;!channel&gt;');
    expect(parsed).toContain('&lt;!here&gt;');
  });

  it('a long device list stays within Slack limits', async () => {
    const ack = await h.command(`lookup ${SEED_IDS.manyDevices}`);
    const { text } = await responseFor(ack.responseUrlId);
    expect(text).toMatch(/…and \d+ more/);
  });
});

describe('/cipher-user errors, ephemeral and specific', () => {
  it('a word that is not a UUID gets the usage, in the ack, and calls nothing', async () => {
    const ack = await h.command('lookup alice@example.com');
    expect(ack.status).toBe(200);
    const body = ack.json() as { response_type: string; blocks: unknown };
    expect(body.response_type).toBe('ephemeral');
    const text = visibleText(body.blocks);
    expect(text).toContain('alice@example.com');
    expect(text).toContain('is not a user id');
    expect(text).toContain('/cipher-user lookup <user id>');
    expect(h.cipher.calls).toHaveLength(0);
  });

  it('a missing id says which user?', async () => {
    const ack = await h.command('lookup');
    expect(visibleText((ack.json() as { blocks: unknown }).blocks)).toContain('Which user?');
  });

  it('escapes a hostile argument echoed back', async () => {
    const ack = await h.command('lookup <!channel>');
    expect(ack.text).not.toContain('<!channel>');
    expect(visibleText((ack.json() as { blocks: unknown }).blocks)).toContain('&lt;!channel&gt;');
  });

  it('no such user', async () => {
    const ack = await h.command('lookup 00000000-0000-4000-8000-000000000000');
    const { text } = await responseFor(ack.responseUrlId);
    expect(text).toContain('No such user');
    expect(text).toContain('00000000-0000-4000-8000-000000000000');
  });

  it('Cipherscale refusing the credentials says so', async () => {
    h.cipher.script([{ status: 401 }]);
    const ack = await h.command(`lookup ${SEED_IDS.alice}`);
    const { text } = await responseFor(ack.responseUrlId);
    expect(text).toContain('refused the bot');
    expect(text).toContain('CIPHERSCALE_API_TOKEN');
    expect(text).not.toContain(h.cipher.token);
  });

  it('acks at once while Cipherscale hangs, then says it is not answering', async () => {
    h.cipher.script([{ hang: true }]);
    const ack = await h.command(`lookup ${SEED_IDS.alice}`);
    expect(ack.status).toBe(200);
    expect(ack.text).toBe('');
    // The ack came back while the lookup was still waiting on Cipherscale.
    expect(h.slack.callsTo('response_url')).toHaveLength(0);
    const { text } = await responseFor(ack.responseUrlId);
    expect(text).toContain('Cipherscale is not answering');
    expect(text).toContain('did not answer in time');
  });

  it('a 503 says not answering, try again', async () => {
    h.cipher.script([{ status: 503 }]);
    const ack = await h.command(`lookup ${SEED_IDS.alice}`);
    const { text } = await responseFor(ack.responseUrlId);
    expect(text).toContain('Try again');
  });
});

describe('/cipher-user help', () => {
  it.each(['', 'help', 'frobnicate'])('"%s" lists the subcommands with examples', async (text) => {
    const ack = await h.command(text);
    const body = ack.json() as { response_type: string; blocks: unknown };
    expect(body.response_type).toBe('ephemeral');
    const shown = visibleText(body.blocks);
    expect(shown).toContain('/cipher-user lookup');
    if (text === 'frobnicate') expect(shown).toContain('frobnicate');
    expect(h.cipher.calls).toHaveLength(0);
  });
});

describe('requests Slack did not sign', () => {
  const lookup = () =>
    slashCommandBody({ text: `lookup ${SEED_IDS.alice}`, response_url: h.slack.responseUrl('forged') });

  it('a forged signature gets 401 and causes no call anywhere', async () => {
    const body = lookup();
    const answer = await h.post(
      body,
      signedHeaders('not-the-secret', body, 'application/x-www-form-urlencoded'),
    );
    expect(answer.status).toBe(401);
    expect(h.slack.calls).toHaveLength(0);
    expect(h.cipher.calls).toHaveLength(0);
  });

  it('a correctly signed request older than 5 minutes gets 401 and causes no call', async () => {
    const body = lookup();
    const stale = Math.floor(Date.now() / 1000) - 6 * 60;
    const answer = await h.post(
      body,
      signedHeaders(h.signingSecret, body, 'application/x-www-form-urlencoded', stale),
    );
    expect(answer.status).toBe(401);
    expect(h.slack.calls).toHaveLength(0);
    expect(h.cipher.calls).toHaveLength(0);
  });

  it('a body altered after signing gets 401', async () => {
    const body = lookup();
    const headers = signedHeaders(h.signingSecret, body, 'application/x-www-form-urlencoded');
    const answer = await h.post(body.replace('lookup', 'show'), headers);
    expect(answer.status).toBe(401);
    expect(h.cipher.calls).toHaveLength(0);
  });
});

describe('health', () => {
  it('/healthz is alive and /readyz sees Redis', async () => {
    expect((await h.get('/healthz')).status).toBe(200);
    const ready = await h.get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.json()).toEqual({ ok: true, redis: 'up', slack: 'up' });
  });
});

describe('secrets', () => {
  it('no token or signing secret appears in any log line', async () => {
    h.cipher.script([{ status: 401 }]);
    const ack = await h.command(`lookup ${SEED_IDS.alice}`);
    await responseFor(ack.responseUrlId);
    const all = h.logs.join('\n');
    expect(h.logs.length).toBeGreaterThan(0);
    for (const secret of [h.slack.botToken, h.signingSecret, h.cipher.token])
      expect(all).not.toContain(secret);
  });
});
