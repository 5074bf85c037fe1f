import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { RequestStore } from '../../src/approvals/store/store.js';
import { appKeyPrefix } from '../../src/config.js';
import { checkEvictionPolicy, connectRedis, evictionPolicy } from '../../src/redis.js';
import { SEED_IDS } from '../fakes/cipherscale/seed.js';
import { FakeCipherscale } from '../fakes/cipherscale/server.js';
import { FakeSlack } from '../fakes/slack/server.js';
import { type AppProcess, appCommand, startAppProcess } from '../helpers/app-process.js';
import { visibleText } from '../helpers/blocks-text.js';
import { approveBy, makeRequest } from '../helpers/flows.js';
import { APPROVERS, slackDriver, startHarness } from '../helpers/harness.js';
import { freePort } from '../helpers/ports.js';
import { repoRoot } from '../helpers/shared.js';

// Redis as production runs it: behind TLS with a password, and with an eviction policy. Every
// redis-server here is this file's own; certificates are made at test time in a temp dir.
const [A] = APPROVERS;
let dir: string;
const servers: ChildProcess[] = [];
const apps: ChildProcess[] = [];

function startRedis(args: string[]): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    ['--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', ...args],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  servers.push(child);
  return new Promise((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) resolve(child);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) =>
      reject(new Error(`redis-server ${args.join(' ')} exited ${code}: ${output}`)),
    );
  });
}

/** A self-signed certificate for localhost (key and certificate PEM files in the temp dir). */
function selfSigned(name: string): { cert: string; key: string } {
  const cert = path.join(dir, `${name}.crt`);
  const key = path.join(dir, `${name}.key`);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: 'ignore' },
  );
  return { cert, key };
}

/** `src/main.ts` until it exits by itself. */
function runUntilExit(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const [node = '', ...args] = appCommand();
  const child = spawn(node, args, {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  apps.push(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, output })));
}

beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'cipher-user-redis-settings-'));
});
afterEach(async () => {
  for (const child of apps.splice(0)) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    const closed = new Promise((resolve) => child.once('close', resolve));
    child.kill('SIGKILL');
    await closed;
  }
});
afterAll(async () => {
  for (const server of servers) {
    if (server.exitCode !== null || server.signalCode !== null) continue;
    const exited = new Promise((resolve) => server.once('exit', resolve));
    server.kill('SIGKILL');
    await exited;
  }
  rmSync(dir, { recursive: true, force: true });
});

describe('rediss:// (TLS), trusted through NODE_EXTRA_CA_CERTS', () => {
  const password = `pw-${randomBytes(8).toString('hex')}`;
  const signingSecret = randomBytes(16).toString('hex');
  let server: { cert: string; key: string };
  let tlsPort: number;
  let slack: FakeSlack;
  let cipher: FakeCipherscale;
  const tlsUrl = () => `rediss://:${password}@localhost:${tlsPort}`;
  const appEnv = (extra: Record<string, string>) => ({
    SLACK_BOT_TOKEN: slack.botToken,
    SLACK_SIGNING_SECRET: signingSecret,
    SLACK_API_URL: slack.apiUrl,
    CIPHERSCALE_API_URL: cipher.url,
    CIPHERSCALE_API_TOKEN: cipher.token,
    REDIS_KEY_PREFIX: `test-tls-${randomBytes(4).toString('hex')}`,
    APPROVER_USER_IDS: APPROVERS.join(','),
    JOB_BACKOFF_MS: '20',
    LOG_LEVEL: 'debug',
    ...extra,
  });

  beforeAll(async () => {
    server = selfSigned('redis-server');
    tlsPort = await freePort();
    // TLS only: `--port 0` leaves no plain-text port, so whatever talks to this Redis uses TLS.
    await startRedis([
      '--port',
      '0',
      '--tls-port',
      String(tlsPort),
      '--tls-cert-file',
      server.cert,
      '--tls-key-file',
      server.key,
      '--tls-auth-clients',
      'no',
      '--requirepass',
      password,
      '--maxmemory-policy',
      'noeviction',
    ]);
    slack = await FakeSlack.start();
    cipher = await FakeCipherscale.start();
  });
  afterAll(async () => {
    await Promise.all([slack?.close(), cipher?.close()]);
  });

  it('starts, is ready, and a request is stored, approved and executed through the TLS connection', async () => {
    const env = appEnv({ REDIS_URL: tlsUrl(), NODE_EXTRA_CA_CERTS: server.cert });
    let app: AppProcess | undefined;
    try {
      app = await startAppProcess(env);
      apps.push(app.child);
      expect(app.output()).toContain(`"redis":"Redis at rediss://:***@localhost:${tlsPort}"`);
      const ready = await fetch(`${app.baseUrl}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toMatchObject({ redis: 'up' });

      const d = slackDriver({ baseUrl: app.baseUrl, signingSecret, slack, cipher });
      const posted = await makeRequest(d, 'deactivate', SEED_IDS.alice);
      await approveBy(d, posted, A);
      await slack.waitFor(
        (c) =>
          c.method === 'chat.postMessage' &&
          c.args.thread_ts === posted.ts &&
          /Succeeded/.test(visibleText(c.args.blocks)),
        { timeoutMs: 10_000 },
      );
      expect(cipher.getUser(SEED_IDS.alice)?.status).toBe('inactive');

      // The record is in the TLS-only Redis (read back by a client that trusts the same certificate).
      const reader = new Redis(tlsUrl(), { tls: { ca: readFileSync(server.cert) }, lazyConnect: true });
      try {
        await reader.connect();
        const store = new RequestStore({
          redis: reader,
          prefix: appKeyPrefix(env.REDIS_KEY_PREFIX),
          retentionMs: 60_000,
        });
        expect((await store.get(posted.requestId))?.state).toBe('succeeded');
      } finally {
        reader.disconnect();
      }

      app.kill('SIGTERM');
      expect(await app.exited).toBe(0);
      expect(app.output()).not.toContain(password);
    } finally {
      if (app && app.child.exitCode === null) app.kill('SIGKILL');
    }
  }, 30_000);

  it('with a CA that did not sign the certificate, the start fails saying so, without the password', async () => {
    const stranger = selfSigned('another-ca');
    const { code, output } = await runUntilExit(
      appEnv({ REDIS_URL: tlsUrl(), NODE_EXTRA_CA_CERTS: stranger.cert }),
    );
    expect(code).toBe(1);
    expect(output).toContain(
      `Cannot reach Redis at rediss://:***@localhost:${tlsPort}: self-signed certificate`,
    );
    expect(output).toContain('NODE_EXTRA_CA_CERTS');
    expect(output).not.toContain(password);
    expect(output).not.toContain('cipher-user started');
  });

  it('REDISS:// in capitals is TLS too (ioredis alone would connect in plain text and send the password)', async () => {
    // No CA given to this process: a TLS handshake fails on the certificate, plain text would not get that far.
    await expect(connectRedis(`REDISS://:${password}@localhost:${tlsPort}`)).rejects.toThrow(
      /self-signed certificate/,
    );
  });
});

describe('maxmemory-policy', () => {
  const policyLines = (logs: string[]) =>
    logs
      .map((line) => JSON.parse(line) as { level: string; msg: string; maxmemoryPolicy?: string })
      .filter((line) => line.msg.includes('maxmemory-policy'));

  async function startAgainst(policy: string) {
    const port = await freePort();
    await startRedis(['--port', String(port), '--maxmemory-policy', policy]);
    return startHarness({ env: { REDIS_URL: `redis://127.0.0.1:${port}` } });
  }

  it('allkeys-lru: the app starts and says once, as a warning, what it found and what to set', async () => {
    // BullMQ prints its own console warning for each connection; the app's log line is the one asserted.
    const quiet = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const h = await startAgainst('allkeys-lru');
    try {
      expect((await h.get('/healthz')).status).toBe(200);
      const lines = policyLines(h.logs);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatchObject({ level: 'warn', maxmemoryPolicy: 'allkeys-lru' });
      expect(lines[0]?.msg).toMatch(/allkeys-lru.*set it to noeviction/);
    } finally {
      await h.close();
      quiet.mockRestore();
    }
  });

  it('noeviction: nothing is said', async () => {
    const h = await startAgainst('noeviction');
    try {
      expect(h.logs.some((line) => line.includes('"msg":"cipher-user started"'))).toBe(true);
      expect(policyLines(h.logs)).toEqual([]);
    } finally {
      await h.close();
    }
  });

  it('unreadable (INFO refused or without the field): one info line, no warning, no failure', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) });
    const refused = { info: () => Promise.reject(new Error("ERR unknown command 'INFO'")) };
    const silent = { info: () => Promise.resolve('# Memory\r\nused_memory:1000\r\n') };
    expect(await evictionPolicy(refused)).toEqual({ ok: false, reason: "ERR unknown command 'INFO'" });
    await checkEvictionPolicy(refused, logger);
    await checkEvictionPolicy(silent, logger);
    const said = lines.map((line) => JSON.parse(line) as { level: number; msg: string });
    expect(said).toHaveLength(2);
    expect(said.every((line) => line.level === 30 && line.msg.includes('maxmemory-policy'))).toBe(true);
  });
});
