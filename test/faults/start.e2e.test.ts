import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { RequestStore } from '../../src/approvals/store/store.js';
import { appKeyPrefix } from '../../src/config.js';
import { SEED_IDS } from '../fakes/cipherscale/seed.js';
import { FakeCipherscale } from '../fakes/cipherscale/server.js';
import { FakeSlack } from '../fakes/slack/server.js';
import { killAll, type SpawnedApp, spawnApp, startAppProcess } from '../helpers/app-process.js';
import { visibleText } from '../helpers/blocks-text.js';
import { approveBy, makeRequest, type PostedRequest } from '../helpers/flows.js';
import { APPROVERS, slackDriver } from '../helpers/harness.js';
import { eventually } from '../helpers/poll.js';
import { freePort } from '../helpers/ports.js';

// A real src/main.ts against a Slack that accepts connections and never answers, and against a Socket
// Mode URL that refuses: the start is bounded, health answers at once, signals work, no job is taken.
const [A] = APPROVERS;
const START_TIMEOUT_MS = 4000;
const GRACE_MS = 2000;
let slack: FakeSlack;
let cipher: FakeCipherscale;
let silent: { url: string; accepted: () => number; close(): Promise<void> };
let redis: Redis;
let store: RequestStore;
let prefix: string;
const signingSecret = randomBytes(16).toString('hex');
const spawned: SpawnedApp[] = [];

/** A TCP server that accepts every connection and never writes a byte (a Slack that hangs). */
async function silentServer(): Promise<typeof silent> {
  const sockets = new Set<net.Socket>();
  let accepted = 0;
  const server = net.createServer((socket) => {
    accepted += 1;
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/api/`,
    accepted: () => accepted,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

beforeAll(async () => {
  slack = await FakeSlack.start();
  cipher = await FakeCipherscale.start();
  silent = await silentServer();
  redis = new Redis(inject('redisUrl'));
});
afterAll(async () => {
  await Promise.all([slack.close(), cipher.close(), silent.close()]);
  redis.disconnect();
});
beforeEach(() => {
  slack.reset();
  cipher.reset();
  prefix = `test-start-${randomBytes(5).toString('hex')}`;
  store = new RequestStore({ redis, prefix: appKeyPrefix(prefix), retentionMs: 60_000 });
});
afterEach(async () => {
  await killAll(spawned);
});

function env(extra: Record<string, string> = {}): Record<string, string> {
  return {
    SLACK_BOT_TOKEN: slack.botToken,
    SLACK_SIGNING_SECRET: signingSecret,
    SLACK_API_URL: slack.apiUrl,
    CIPHERSCALE_API_URL: cipher.url,
    CIPHERSCALE_API_TOKEN: cipher.token,
    REDIS_URL: inject('redisUrl'),
    REDIS_KEY_PREFIX: prefix,
    APPROVER_USER_IDS: APPROVERS.join(','),
    JOB_BACKOFF_MS: '20',
    JOB_LOCK_MS: '1000',
    SHUTDOWN_GRACE_MS: String(GRACE_MS),
    START_TIMEOUT_MS: String(START_TIMEOUT_MS),
    SLACK_TIMEOUT_MS: '1000',
    LOG_LEVEL: 'info',
    ...extra,
  };
}

/** Spawns src/main.ts on a known port (it may never say started). */
async function spawn(extra: Record<string, string>): Promise<{ app: SpawnedApp; base: string }> {
  const port = await freePort();
  const app = spawnApp(env({ PORT: String(port), ...extra }));
  spawned.push(app);
  return { app, base: `http://127.0.0.1:${port}` };
}

/** The first moment /healthz answers 200 "alive"; fails if the process exits first. */
async function healthy(app: SpawnedApp, base: string): Promise<number> {
  await eventually(async () => {
    if (app.child.exitCode !== null) throw new Error(`exited before /healthz answered:\n${app.output()}`);
    const res = await fetch(`${base}/healthz`).catch(() => undefined);
    return res?.status === 200 && ((await res.json()) as { ok?: boolean }).ok === true;
  }, 15_000);
  return Date.now();
}

async function readyz(base: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${base}/readyz`);
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

async function exitedWithin(app: SpawnedApp, ms: number): Promise<number | null> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'running'>((resolve) => {
    timer = setTimeout(() => resolve('running'), ms);
  });
  const code = await Promise.race([app.exited, late]);
  clearTimeout(timer);
  if (code === 'running') throw new Error(`still running after ${ms} ms:\n${app.output().slice(-2000)}`);
  return code;
}

/** An approved deactivation of Alice whose job waits in Redis: queued by a listener-only process, now stopped. */
async function approvedJobWaiting(): Promise<PostedRequest> {
  // Its Slack answers: a roomy timeout, so a loaded machine does not time out (and retry) views.open.
  const listener = await startAppProcess(env({ ROLE: 'listener', SLACK_TIMEOUT_MS: '10000' }));
  spawned.push(listener);
  const d = slackDriver({ baseUrl: listener.baseUrl, signingSecret, slack, cipher });
  const posted = await makeRequest(d, 'deactivate', SEED_IDS.alice);
  await approveBy(d, posted, A);
  await eventually(async () => (await store.get(posted.requestId))?.state === 'queued');
  await listener.signal('SIGTERM');
  expect(await exitedWithin(listener, 10_000)).toBe(0);
  cipher.reset();
  return posted;
}

describe('a Slack Web API that accepts connections and never answers', () => {
  it('/healthz answers at once, /readyz names slack, no job is taken, and the start fails clearly within START_TIMEOUT_MS', async () => {
    const posted = await approvedJobWaiting();
    const accepted = silent.accepted();
    const { app, base } = await spawn({ SLACK_API_URL: silent.url });
    const alive = await healthy(app, base);
    const ready = await readyz(base);
    expect(ready.status).toBe(503);
    expect(ready.body.missing).toContain('slack');
    expect(ready.body.slack).toBe('down');
    // Bounded: the start gives up within its timeout (and a little to print and close).
    expect(await exitedWithin(app, START_TIMEOUT_MS + 3000)).toBe(1);
    expect(Date.now() - alive).toBeLessThan(START_TIMEOUT_MS + 3000);
    expect(silent.accepted()).toBeGreaterThan(accepted);
    const output = app.output();
    expect(output).toContain('cipher-user cannot start');
    expect(output).toContain(`Slack (auth.test at ${silent.url}) did not answer within 4 s`);
    expect(output).toContain('SLACK_API_URL');
    expect(output).not.toContain(slack.botToken);
    // The half-started process changed nobody: the approved job still waits, Cipherscale never heard of it.
    expect(cipher.calls).toHaveLength(0);
    expect(await store.get(posted.requestId)).toMatchObject({ state: 'queued', attempts: 0 });

    // A process that starts properly runs it at once, even while Slack hangs on chat.update.
    slack.holdAnswers('chat.update');
    const good = await startAppProcess(env());
    spawned.push(good);
    const deactivated = await cipher.waitForCalls((c) => c.operation === 'deactivateUser', {
      timeoutMs: 5000,
    });
    expect(deactivated).toBeDefined();
    expect(cipher.callsTo('deactivateUser')).toHaveLength(1);
    // The card's outcome (its answer held back like every chat.update): one Cipherscale call, one attempt.
    const [note] = await slack.waitFor(
      (c) =>
        c.method === 'chat.update' && c.args.ts === posted.ts && /Succeeded/.test(visibleText(c.args.blocks)),
      { timeoutMs: 10_000 },
    );
    expect(visibleText(note?.args.blocks)).toContain('1 attempt');
    expect(visibleText(note?.args.blocks)).not.toContain('2 attempts');
    slack.releaseAnswers('chat.update');
  }, 60_000);

  it('SIGTERM during the hung start stops the process within the grace period', async () => {
    const before = silent.accepted();
    const { app, base } = await spawn({ SLACK_API_URL: silent.url, START_TIMEOUT_MS: '120000' });
    await healthy(app, base);
    await eventually(() => silent.accepted() > before);
    const sent = Date.now();
    await app.signal('SIGTERM');
    expect(await exitedWithin(app, GRACE_MS + 1500)).toBe(0);
    expect(Date.now() - sent).toBeLessThan(GRACE_MS + 1500);
    expect(app.output()).toMatch(/stopped by SIGTERM while starting \(waiting for Slack \(auth\.test/);
    expect(app.output()).not.toContain('cipher-user started');
  });
});

describe('Socket Mode with a socket URL that refuses connections', () => {
  let refusedUrl: string;
  beforeEach(async () => {
    refusedUrl = `ws://127.0.0.1:${await freePort()}/link`;
    slack.socketUrl = refusedUrl;
  });
  afterEach(() => {
    slack.socketUrl = undefined;
  });
  const socketEnv = (extra: Record<string, string> = {}) => ({
    SLACK_APP_TOKEN: slack.appToken,
    SLACK_SIGNING_SECRET: '',
    ...extra,
  });

  it('/readyz names the socket, and the start fails clearly within START_TIMEOUT_MS', async () => {
    const posted = await approvedJobWaiting();
    const { app, base } = await spawn(socketEnv());
    const alive = await healthy(app, base);
    await slack.waitFor((c) => c.method === 'apps.connections.open');
    const ready = await readyz(base);
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({
      ok: false,
      redis: 'up',
      slack: 'up',
      socket: 'down',
      missing: ['socket'],
    });
    expect(await exitedWithin(app, START_TIMEOUT_MS + 3000)).toBe(1);
    expect(Date.now() - alive).toBeLessThan(START_TIMEOUT_MS + 3000);
    const output = app.output();
    expect(output).toContain('cipher-user cannot start');
    expect(output).toContain('Slack Socket Mode');
    expect(output).toContain('did not answer within 4 s');
    expect(output).not.toContain(slack.appToken);
    // Only the start's token check (a read of an id nobody has): nobody was changed.
    expect(cipher.calls.map((c) => `${c.method} ${c.operation}`)).toEqual(['GET getUser']);
    expect(await store.get(posted.requestId)).toMatchObject({ state: 'queued', attempts: 0 });
  }, 60_000);

  it('Ctrl-C (SIGINT) while it cannot connect stops it within the grace period', async () => {
    const { app, base } = await spawn(socketEnv({ START_TIMEOUT_MS: '120000' }));
    await healthy(app, base);
    await slack.waitFor((c) => c.method === 'apps.connections.open');
    const sent = Date.now();
    await app.signal('SIGINT');
    expect(await exitedWithin(app, GRACE_MS + 1500)).toBe(0);
    expect(Date.now() - sent).toBeLessThan(GRACE_MS + 1500);
    expect(app.output()).toMatch(/stopped by SIGINT while starting \(waiting for Slack Socket Mode/);
  });
});
