import { spawn } from 'node:child_process';
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
});
