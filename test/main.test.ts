import http from 'node:http';
import net from 'node:net';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { FakeCipherscale } from './fakes/cipherscale/server.js';
import { FakeSlack } from './fakes/slack/server.js';
import { FakeSocketServer } from './fakes/slack/socket-server.js';
import { type SpawnedApp, spawnApp } from './helpers/app-process.js';
import { freePort } from './helpers/ports.js';

const spawned: SpawnedApp[] = [];

// The entry point as operators run it, in a child process with exactly the environment given.
function runMain(env: Record<string, string>, options: { stopWhen?: RegExp; pid1?: boolean } = {}) {
  const app = spawnApp(env, { pid1: options.pid1 ?? false });
  spawned.push(app);
  const { stopWhen } = options;
  if (stopWhen)
    void app.waitForOutput(stopWhen).then(
      () => app.signal('SIGTERM'),
      () => undefined,
    );
  return exitWithin(app, 15_000);
}

/** The exit code and output, or a failure naming what it printed if it is still running at the deadline. */
async function exitWithin(app: SpawnedApp, ms: number): Promise<{ code: number | null; output: string }> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'running'>((resolve) => {
    timer = setTimeout(() => resolve('running'), ms);
  });
  const code = await Promise.race([app.exited, late]);
  clearTimeout(timer);
  if (code === 'running')
    throw new Error(`still running after ${ms} ms; output:\n${app.output().slice(-2000)}`);
  return { code, output: app.output() };
}

const fakes: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const app of spawned.splice(0)) app.kill('SIGKILL');
  await Promise.all(fakes.splice(0).map((f) => f.close()));
});

describe('starting', () => {
  it('says so plainly, and exits 1, when PORT is taken (Socket Mode, where only health and metrics use it)', async () => {
    const slack = await FakeSlack.start();
    const sockets = await FakeSocketServer.start();
    slack.socketUrl = sockets.url;
    fakes.push(slack, sockets);
    const taken = net.createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    fakes.push({ close: () => new Promise<void>((resolve) => taken.close(() => resolve())) });
    const { code, output } = await runMain({
      SLACK_BOT_TOKEN: slack.botToken,
      SLACK_APP_TOKEN: slack.appToken,
      SLACK_API_URL: slack.apiUrl,
      CIPHERSCALE_API_TOKEN: 'token',
      APPROVER_USER_IDS: 'UAPPROVER1',
      REDIS_URL: inject('redisUrl'),
      PORT: String((taken.address() as net.AddressInfo).port),
    });
    expect(code).toBe(1);
    expect(output).toContain('cipher-user cannot start');
    expect(output).toContain('EADDRINUSE');
    expect(output).not.toMatch(/\n\s+at /);
    expect(output).not.toContain(slack.appToken);
  });

  it('with an empty environment lists every missing setting and exits non-zero', async () => {
    const { code, output } = await runMain({});
    expect(code).toBe(1);
    for (const name of [
      'SLACK_BOT_TOKEN',
      'SLACK_SIGNING_SECRET',
      'CIPHERSCALE_API_TOKEN',
      'APPROVER_USER_IDS',
    ]) {
      expect(output).toContain(name);
    }
    expect(output).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('never echoes a secret value from an invalid setting', async () => {
    const { code, output } = await runMain({
      SLACK_BOT_TOKEN: 'xoxp-user-token-should-not-print',
      SLACK_SIGNING_SECRET: 'signing-secret-value-42',
      CIPHERSCALE_API_TOKEN: 'cs-token-value-42',
      PORT: 'eighty',
    });
    expect(code).toBe(1);
    expect(output).toContain('SLACK_BOT_TOKEN: must start with xoxb-');
    expect(output).toContain('PORT');
    for (const secret of [
      'xoxp-user-token-should-not-print',
      'signing-secret-value-42',
      'cs-token-value-42',
    ]) {
      expect(output).not.toContain(secret);
    }
  });

  it('fails fast with a clear message when Redis is unreachable', async () => {
    const port = await freePort();
    const { code, output } = await runMain({
      SLACK_BOT_TOKEN: 'xoxb-1',
      SLACK_SIGNING_SECRET: 'secret',
      CIPHERSCALE_API_TOKEN: 'token',
      APPROVER_USER_IDS: 'UAPPROVER1',
      REDIS_URL: `redis://:hunter2password@127.0.0.1:${port}`,
    });
    expect(code).toBe(1);
    expect(output).toContain(`Cannot reach Redis at redis://:***@127.0.0.1:${port}`);
    expect(output).not.toContain('hunter2password');
  });

  it('stops when Slack refuses the bot token, without printing it', async () => {
    const slack = await FakeSlack.start();
    fakes.push(slack);
    const { code, output } = await runMain({
      SLACK_BOT_TOKEN: 'xoxb-revoked-token-1234',
      SLACK_SIGNING_SECRET: 'secret',
      SLACK_API_URL: slack.apiUrl,
      CIPHERSCALE_API_TOKEN: 'token',
      APPROVER_USER_IDS: 'UAPPROVER1',
      REDIS_URL: inject('redisUrl'),
    });
    expect(code).toBe(1);
    expect(output).toContain('invalid_auth');
    expect(output).not.toContain('xoxb-revoked-token-1234');
  });

  it('starts in HTTP mode against the fakes and exits 0 on SIGTERM', async () => {
    const slack = await FakeSlack.start();
    const cipher = await FakeCipherscale.start();
    fakes.push(slack, cipher);
    const { code, output } = await runMain(
      {
        SLACK_BOT_TOKEN: slack.botToken,
        SLACK_SIGNING_SECRET: 'secret',
        SLACK_API_URL: slack.apiUrl,
        PORT: '0',
        CIPHERSCALE_API_URL: cipher.url,
        CIPHERSCALE_API_TOKEN: cipher.token,
        APPROVER_USER_IDS: 'UAPPROVER1',
        REQUIRED_APPROVALS_DELETE: '1',
        REDIS_KEY_PREFIX: `test-main-${process.pid}`,
        REDIS_URL: inject('redisUrl'),
      },
      { stopWhen: /cipher-user started/ },
    );
    expect(output).toContain('"mode":"http"');
    expect(output).toContain('cipher-user stopped');
    expect(code, output).toBe(0);
  });

  it('a SIGTERM that arrives while it is still starting abandons the start and stops it, exit 0, nothing started (node as PID 1)', async () => {
    const cipher = await FakeCipherscale.start();
    fakes.push(cipher);
    // A Slack API that holds auth.test until the signal has been sent: the process is mid-start.
    const api = await heldServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({ ok: true, user_id: 'UBOT', bot_id: 'BBOT', team_id: 'T1', url: 'https://x/' }),
      );
    });
    const app = spawnApp(
      appEnv({
        SLACK_API_URL: `${api.url}/api/`,
        CIPHERSCALE_API_URL: cipher.url,
        CIPHERSCALE_API_TOKEN: cipher.token,
      }),
      { pid1: true },
    );
    spawned.push(app);
    await api.reached;
    await app.signal('SIGTERM');
    const { code, output } = await exitWithin(app, 15_000);
    api.release();
    expect(code, output).toBe(0);
    expect(output).toMatch(/cipher-user stopped by SIGTERM while starting \(waiting for Slack \(auth.test/);
    expect(output).not.toContain('cipher-user started');
  });
});

describe('stopping like a container: node as PID 1, where a signal with no handler is dropped', () => {
  it('a SIGTERM while its modules are still loading stops it, exit 0, and nothing starts after', async () => {
    const slack = await FakeSlack.start();
    const cipher = await FakeCipherscale.start();
    fakes.push(slack, cipher);
    // Node's own module debug lines say when Bolt and BullMQ are being loaded.
    const app = spawnApp(
      {
        ...appEnv({
          SLACK_BOT_TOKEN: slack.botToken,
          SLACK_API_URL: slack.apiUrl,
          CIPHERSCALE_API_URL: cipher.url,
          CIPHERSCALE_API_TOKEN: cipher.token,
        }),
        NODE_DEBUG: 'module',
      },
      { pid1: true },
    );
    spawned.push(app);
    await app.waitForOutput(/node_modules\/(@slack\/bolt|bullmq)\//);
    await app.signal('SIGTERM');
    await app.signal('SIGINT'); // an impatient operator: still one stop
    const { code, output } = await exitWithin(app, 15_000);
    const log = appLines(output);
    expect(code, log.join('\n')).toBe(0);
    // Before it started: one line; once started, a full stop. Either way it says so last.
    expect(log.at(-1)).toMatch(/"msg":"cipher-user stopped( before starting)?"/);
    expect(log.filter((line) => line.includes('cipher-user stopped'))).toHaveLength(1);
    expect(log.join('\n')).not.toContain('cannot start');
  });

  it('a SIGTERM while it connects to Redis abandons the start and stops it, exit 0, nothing started', async () => {
    const slack = await FakeSlack.start();
    const cipher = await FakeCipherscale.start();
    fakes.push(slack, cipher);
    const redis = await heldRedis(inject('redisUrl'));
    const app = spawnApp(
      appEnv({
        SLACK_BOT_TOKEN: slack.botToken,
        SLACK_API_URL: slack.apiUrl,
        CIPHERSCALE_API_URL: cipher.url,
        CIPHERSCALE_API_TOKEN: cipher.token,
        REDIS_URL: redis.url,
      }),
      { pid1: true },
    );
    spawned.push(app);
    await redis.reached;
    await app.signal('SIGTERM');
    const { code, output } = await exitWithin(app, 15_000);
    redis.release();
    expect(code, output).toBe(0);
    expect(output).toMatch(/cipher-user stopped by SIGTERM while starting \(waiting for Redis at /);
    expect(output).not.toContain('cipher-user started');
  });

  it('a SIGTERM the moment it says started stops it gracefully, exit 0', async () => {
    const slack = await FakeSlack.start();
    const cipher = await FakeCipherscale.start();
    fakes.push(slack, cipher);
    const { code, output } = await runMain(
      appEnv({
        SLACK_BOT_TOKEN: slack.botToken,
        SLACK_API_URL: slack.apiUrl,
        CIPHERSCALE_API_URL: cipher.url,
        CIPHERSCALE_API_TOKEN: cipher.token,
      }),
      { stopWhen: /cipher-user started/, pid1: true },
    );
    expect(code, output).toBe(0);
    expect(output).toMatch(/cipher-user started[\s\S]*shutting down[\s\S]*cipher-user stopped/);
  });
});

/** An HTTP-mode environment against the given fakes, with its own key prefix. */
function appEnv(extra: Record<string, string>): Record<string, string> {
  return {
    SLACK_BOT_TOKEN: 'xoxb-held',
    SLACK_SIGNING_SECRET: 'secret',
    PORT: '0',
    APPROVER_USER_IDS: 'UAPPROVER1',
    // One approver: deletes need one too, or the start refuses the quorum.
    REQUIRED_APPROVALS_DELETE: '1',
    REDIS_KEY_PREFIX: `test-main-${process.pid}-${spawned.length}`,
    REDIS_URL: inject('redisUrl'),
    ...extra,
  };
}

/** The app's own lines (JSON log lines and its plain messages), without Node's module debug output. */
function appLines(output: string): string[] {
  return output.split('\n').filter((line) => line.trim() && !/^MODULE \d+:/.test(line));
}

/** An HTTP server that answers with `answer` only once released; `reached` when the first request came. */
async function heldServer(answer: http.RequestListener) {
  const gate = latch();
  const first = latch();
  const server = http.createServer((req, res) => {
    first.open();
    req.resume();
    void gate.opened.then(() => answer(req, res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fakes.push({ close: () => new Promise<void>((resolve) => server.close(() => resolve())) });
  const { port } = server.address() as net.AddressInfo;
  return { url: `http://127.0.0.1:${port}`, reached: first.opened, release: gate.open };
}

/** A TCP hop to the real Redis that holds every connection until released: the app is mid-connect. */
async function heldRedis(redisUrl: string) {
  const target = new URL(redisUrl);
  const gate = latch();
  const first = latch();
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    first.open();
    socket.pause();
    void gate.opened.then(() => {
      const upstream = net.connect(Number(target.port), target.hostname);
      sockets.add(upstream);
      upstream.on('error', () => socket.destroy());
      socket.on('error', () => upstream.destroy());
      socket.pipe(upstream).pipe(socket);
      socket.resume();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fakes.push({
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  });
  const url = new URL(redisUrl);
  url.hostname = '127.0.0.1';
  url.port = String((server.address() as net.AddressInfo).port);
  return { url: url.toString(), reached: first.opened, release: gate.open };
}

function latch(): { opened: Promise<void>; open: () => void } {
  let open: () => void = () => {};
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}
