import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ACTION_IDS, CALLBACK_IDS } from '../../src/blocks/ids.js';
import { appKeyPrefix, bullKeyPrefix, type Config, loadConfig } from '../../src/config.js';
import { type Runtime, startRuntime } from '../../src/runtime.js';
import { SEED_IDS } from '../fakes/cipherscale/seed.js';
import { FakeCipherscale } from '../fakes/cipherscale/server.js';
import { FakeSlack, type SlackCall } from '../fakes/slack/server.js';
import { FakeSocketServer, interactiveEnvelope, slashCommandEnvelope } from '../fakes/slack/socket-server.js';
import { visibleText } from '../helpers/blocks-text.js';
import { until } from '../helpers/poll.js';

// The real runtime in Socket Mode (SLACK_APP_TOKEN, no signing secret): it asks the fake Slack for a
// WebSocket URL with the app token, takes envelopes from a local Socket Mode server, acks them there,
// and answers through the fake Slack, as in production.

const REQUESTER = 'U0SOCKET01';
const CHANNEL = 'C0SOCKET01';

let slack: FakeSlack;
let cipher: FakeCipherscale;
let sockets: FakeSocketServer;
let config: Config;
let runtime: Runtime;
let baseline: Map<string, number>;
let runtimeStopped: Promise<void> | undefined;
let allStopped: Promise<void> | undefined;
const logs: string[] = [];

/** Handles keeping the event loop alive, counted by kind (Timeout, TCPSocketWrap…). */
function activeResources(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const kind of process.getActiveResourcesInfo()) counts.set(kind, (counts.get(kind) ?? 0) + 1);
  return counts;
}

/** Kinds with more live handles now than before the runtime started. */
function leftOver(): string[] {
  return [...activeResources()]
    .filter(([kind, count]) => count > (baseline.get(kind) ?? 0))
    .map(([kind, count]) => `${kind} ×${count - (baseline.get(kind) ?? 0)}`);
}

beforeAll(async () => {
  baseline = activeResources();
  slack = await FakeSlack.start();
  cipher = await FakeCipherscale.start();
  sockets = await FakeSocketServer.start();
  slack.socketUrl = sockets.url;
  config = loadConfig({
    SLACK_BOT_TOKEN: slack.botToken,
    SLACK_APP_TOKEN: slack.appToken,
    SLACK_API_URL: slack.apiUrl,
    PORT: '0',
    CIPHERSCALE_API_URL: cipher.url,
    CIPHERSCALE_API_TOKEN: cipher.token,
    CIPHERSCALE_TIMEOUT_MS: '1000',
    REDIS_URL: inject('redisUrl'),
    LOG_LEVEL: 'debug',
    REDIS_KEY_PREFIX: `test-${randomBytes(6).toString('hex')}`,
    APPROVER_USER_IDS: 'UAPPROVER1,UAPPROVER2',
  });
  runtime = await startRuntime(config, {
    logDestination: { write: (line: string) => void logs.push(line) },
    slackRetryConfig: { retries: 0 },
  });
});

// Each stops once, whichever of the last test and afterAll comes first.
const stopRuntime = () => {
  runtimeStopped ??= runtime.stop();
  return runtimeStopped;
};
function stopAll(): Promise<void> {
  allStopped ??= (async () => {
    if (runtime) await stopRuntime();
    await Promise.all([slack?.close(), cipher?.close(), sockets?.close()]);
  })();
  return allStopped;
}

afterAll(async () => {
  await stopAll();
  if (config) await deleteOwnKeys(config.redisKeyPrefix);
});

/** Removes this file's keys only: the Redis may be shared. */
async function deleteOwnKeys(prefix: string): Promise<void> {
  const redis = new Redis(inject('redisUrl'));
  try {
    for (const pattern of [`${appKeyPrefix(prefix)}*`, `${bullKeyPrefix(prefix)}:*`]) {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
        cursor = next;
        if (keys.length > 0) await redis.del(...keys);
      } while (cursor !== '0');
    }
  } finally {
    await redis.quit();
  }
}

function command(text: string, responseUrlId: string) {
  return slashCommandEnvelope({
    command: '/cipher-user',
    text,
    user_id: REQUESTER,
    user_name: 'socket.requester',
    channel_id: CHANNEL,
    team_id: slack.teamId,
    response_url: slack.responseUrl(responseUrlId),
    trigger_id: slack.trigger(),
  });
}

async function responseFor(responseUrlId: string): Promise<SlackCall> {
  const [call] = await slack.waitFor((c) => c.method === 'response_url' && c.responseUrlId === responseUrlId);
  if (!call) throw new Error('no response');
  expect(call.problems).toEqual([]);
  return call;
}

describe('Socket Mode', () => {
  it('connects with the app token through apps.connections.open, after checking the bot token', async () => {
    const [open] = slack.callsTo('apps.connections.open');
    expect(open?.token).toBe(slack.appToken);
    expect(open?.response).toEqual({ ok: true, url: sockets.url });
    expect(slack.callsTo('auth.test')[0]?.token).toBe(slack.botToken);
    expect(sockets.connections).toBe(1);
    expect(logs.join('')).toContain('"mode":"socket"');
  });

  it('serves the health routes and metrics on the HTTP port, and nothing else', async () => {
    expect(runtime.port).toBeGreaterThan(0);
    const health = await fetch(`http://127.0.0.1:${runtime.port}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ ok: true });
    const ready = await fetch(`http://127.0.0.1:${runtime.port}/readyz`);
    expect(ready.status).toBe(200);
    const metrics = await fetch(`http://127.0.0.1:${runtime.port}/metrics`);
    expect(await metrics.text()).toContain('# TYPE cipher_user_requests_total counter');
    const events = await fetch(`http://127.0.0.1:${runtime.port}/slack/events`, {
      method: 'POST',
      body: '{}',
    });
    expect(events.status).toBe(404);
  });

  it('acks a lookup command on the socket, then sends the user card to its response_url', async () => {
    const envelope = command(`lookup ${SEED_IDS.alice}`, 'socket-lookup');
    sockets.send(envelope);
    const ack = await sockets.ackFor(envelope.envelope_id);
    expect(ack.payload ?? {}).toEqual({});

    const card = await responseFor('socket-lookup');
    expect(card.args.response_type).toBe('ephemeral');
    const alice = cipher.getUser(SEED_IDS.alice);
    const text = visibleText(card.args.blocks);
    expect(text).toContain(`${alice?.firstName} ${alice?.lastName}`);
    expect(text).toContain(SEED_IDS.alice);
    expect(JSON.stringify(card.args.blocks)).toContain(ACTION_IDS.openEdit);
  });

  it('answers help in the ack payload itself', async () => {
    const envelope = command('help', 'socket-help');
    sockets.send(envelope);
    const ack = await sockets.ackFor(envelope.envelope_id);
    expect(ack.payload?.response_type).toBe('ephemeral');
    expect(visibleText(ack.payload?.blocks)).toContain('/cipher-user lookup');
    expect(slack.calls.filter((c) => c.responseUrlId === 'socket-help')).toEqual([]);
  });

  it("acks the card's Edit… button and opens the edit modal with the envelope's trigger", async () => {
    const triggerId = slack.trigger();
    const envelope = interactiveEnvelope({
      user: { id: REQUESTER, username: 'socket.requester', name: 'socket.requester', team_id: slack.teamId },
      team: { id: slack.teamId, domain: 'fake' },
      container: { type: 'message', message_ts: '1.000001', channel_id: CHANNEL, is_ephemeral: true },
      channel: { id: CHANNEL, name: 'security-ops' },
      trigger_id: triggerId,
      response_url: slack.responseUrl('socket-click'),
      actions: [
        {
          action_id: ACTION_IDS.openEdit,
          block_id: 'card_actions',
          text: { type: 'plain_text', text: 'Edit…', emoji: true },
          value: SEED_IDS.alice,
          type: 'button',
          action_ts: `${Date.now() / 1000}`,
        },
      ],
    });
    sockets.send(envelope);
    await sockets.ackFor(envelope.envelope_id);

    const [open] = await slack.waitFor('views.open');
    expect(open?.args.trigger_id).toBe(triggerId);
    const [form] = await slack.waitFor(
      (c) =>
        c.method === 'views.update' &&
        (c.args.view as { callback_id?: string } | undefined)?.callback_id === CALLBACK_IDS.edit,
    );
    expect(JSON.stringify(form?.args.view)).toContain(cipher.getUser(SEED_IDS.alice)?.firstName);
  });

  it('stops cleanly: the socket is closed normally by the time stop resolves, and no handle is left', async () => {
    await stopRuntime();
    expect(sockets.closedWith).toMatchObject({ code: 1000 });
    await stopAll();
    await until(
      'the runtime to let go of every handle',
      async () => leftOver(),
      (kinds) => kinds.length === 0,
    );
    expect(sockets.connections).toBe(1);
    expect(logs.join('')).not.toContain(slack.appToken);
  });
});
