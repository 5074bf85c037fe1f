import { spawn } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { FakeCipherscale } from './fakes/cipherscale/server.js';
import { FakeSlack } from './fakes/slack/server.js';
import { FakeSocketServer } from './fakes/slack/socket-server.js';
import { freePort } from './helpers/ports.js';
import { repoRoot } from './helpers/shared.js';

// The entry point as operators run it, in a child process with exactly the environment given.
function runMain(env: Record<string, string>, stopWhen?: RegExp) {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'src/main.ts')], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise<{ code: number | null; output: string }>((resolve) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (stopWhen?.test(output)) child.kill('SIGTERM');
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('close', (code) => resolve({ code, output }));
  });
}

const fakes: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
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
        REDIS_KEY_PREFIX: `test-main-${process.pid}`,
        REDIS_URL: inject('redisUrl'),
      },
      /cipher-user started/,
    );
    expect(output).toContain('"mode":"http"');
    expect(output).toContain('cipher-user stopped');
    expect(code).toBe(0);
  });

  it('a SIGTERM that arrives while it is still starting stops it gracefully once started, exit 0', async () => {
    const cipher = await FakeCipherscale.start();
    fakes.push(cipher);
    // A Slack API that holds auth.test until the signal has been sent: the process is mid-start.
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let reached: () => void = () => {};
    const startedAuth = new Promise<void>((resolve) => {
      reached = resolve;
    });
    const api = http.createServer((req, res) => {
      reached();
      void held.then(() => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({ ok: true, user_id: 'UBOT', bot_id: 'BBOT', team_id: 'T1', url: 'https://x/' }),
        );
      });
      req.resume();
    });
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    fakes.push({ close: () => new Promise<void>((resolve) => api.close(() => resolve())) });
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'src/main.ts')], {
      cwd: repoRoot,
      env: {
        PATH: process.env.PATH ?? '',
        SLACK_BOT_TOKEN: 'xoxb-held',
        SLACK_SIGNING_SECRET: 'secret',
        SLACK_API_URL: `http://127.0.0.1:${(api.address() as net.AddressInfo).port}/api/`,
        PORT: '0',
        CIPHERSCALE_API_URL: cipher.url,
        CIPHERSCALE_API_TOKEN: cipher.token,
        APPROVER_USER_IDS: 'UAPPROVER1',
        REDIS_KEY_PREFIX: `test-main-held-${process.pid}`,
        REDIS_URL: inject('redisUrl'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    await startedAuth;
    child.kill('SIGTERM');
    release();
    expect(await closed).toBe(0);
    expect(output).toMatch(/cipher-user started[\s\S]*shutting down[\s\S]*cipher-user stopped/);
  });
});
