import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { RequestStore } from '../../src/approvals/store/store.js';
import { appKeyPrefix } from '../../src/config.js';
import { SEED_IDS } from '../fakes/cipherscale/seed.js';
import { FakeCipherscale } from '../fakes/cipherscale/server.js';
import { FakeSlack } from '../fakes/slack/server.js';
import { type AppProcess, startAppProcess } from '../helpers/app-process.js';
import { visibleText } from '../helpers/blocks-text.js';
import { approveBy, makeRequest, type PostedRequest } from '../helpers/flows.js';
import { APPROVERS, slackDriver } from '../helpers/harness.js';
import { eventually } from '../helpers/poll.js';
import { signedHeaders } from '../helpers/slack-request.js';

// Real processes (src/main.ts) on one Redis: killed, stopped, side by side.
const [A] = APPROVERS;
let slack: FakeSlack;
let cipher: FakeCipherscale;
let redis: Redis;
let store: RequestStore;
let prefix: string;
const signingSecret = randomBytes(16).toString('hex');
const running: AppProcess[] = [];

beforeAll(async () => {
  slack = await FakeSlack.start();
  cipher = await FakeCipherscale.start();
  redis = new Redis(inject('redisUrl'));
});
afterAll(async () => {
  await Promise.all([slack.close(), cipher.close()]);
  redis.disconnect();
});
beforeEach(() => {
  slack.reset();
  cipher.reset();
  prefix = `test-proc-${randomBytes(5).toString('hex')}`;
  store = new RequestStore({ redis, prefix: appKeyPrefix(prefix), retentionMs: 60_000 });
});
afterEach(async () => {
  for (const app of running.splice(0)) {
    if (app.child.exitCode === null && app.child.signalCode === null) app.kill('SIGKILL');
    await app.exited;
  }
});

async function start(extra: Record<string, string> = {}): Promise<AppProcess> {
  const app = await startAppProcess({
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
    LOG_LEVEL: 'info',
    ...extra,
  });
  running.push(app);
  return app;
}

const driverFor = (app: AppProcess) => slackDriver({ baseUrl: app.baseUrl, signingSecret, slack, cipher });

const outcomeNotes = (posted: PostedRequest) =>
  slack
    .callsTo('chat.postMessage')
    .filter((c) => c.args.thread_ts === posted.ts && /Succeeded|Failed/.test(visibleText(c.args.blocks)));

const outcomePosted = (posted: PostedRequest, timeoutMs = 15_000) =>
  slack.waitFor(
    (c) =>
      c.method === 'chat.postMessage' &&
      c.args.thread_ts === posted.ts &&
      /Succeeded|Failed/.test(visibleText(c.args.blocks)),
    { timeoutMs },
  );

describe('a worker killed mid-job', () => {
  it('is taken over by another process; the user ends deactivated; the outcome is posted once', async () => {
    cipher.script([{ hang: true }], { operation: 'deactivateUser' });
    const first = await start();
    const d = driverFor(first);
    const posted = await makeRequest(d, 'deactivate', SEED_IDS.alice);
    await approveBy(d, posted, A);
    await cipher.waitForCalls((c) => c.operation === 'deactivateUser');
    first.kill('SIGKILL');
    await first.exited;
    expect((await store.get(posted.requestId))?.state).toBe('running');

    await start();
    await outcomePosted(posted);
    expect(outcomeNotes(posted)).toHaveLength(1);
    expect(visibleText(outcomeNotes(posted)[0]?.args.blocks)).toContain('Succeeded');
    expect(cipher.getUser(SEED_IDS.alice)?.status).toBe('inactive');
    expect(cipher.callsTo('deactivateUser')).toHaveLength(2); // the one in flight when killed, then the retry
    const request = await eventually(async () => {
      const r = await store.get(posted.requestId);
      return r?.outcomePosted ? r : undefined;
    });
    expect(request).toMatchObject({ state: 'succeeded', attempts: 2 });
  });
});

describe('graceful shutdown', () => {
  it('on SIGTERM stops taking requests, lets the running job finish and post, and exits 0', async () => {
    cipher.script([{ latencyMs: 1500 }], { operation: 'deactivateUser' });
    const app = await start({ SHUTDOWN_GRACE_MS: '10000' });
    const d = driverFor(app);
    const posted = await makeRequest(d, 'deactivate', SEED_IDS.alice);
    await approveBy(d, posted, A);
    await cipher.waitForCalls((c) => c.operation === 'deactivateUser');
    app.kill('SIGTERM');
    await app.waitForOutput(/shutting down/);
    // New Slack requests are refused while the job finishes.
    await expect(fetch(`${app.baseUrl}/healthz`)).rejects.toThrow();
    expect(await app.exited).toBe(0);
    expect(outcomeNotes(posted)).toHaveLength(1);
    expect(cipher.getUser(SEED_IDS.alice)?.status).toBe('inactive');
    expect((await store.get(posted.requestId))?.state).toBe('succeeded');
    expect(app.output()).toContain('cipher-user stopped');
  });
});

describe('two replicas on one Redis', () => {
  it('requests made on either are approved on the other, and each user gets exactly one call', async () => {
    const [one, two] = await Promise.all([start(), start()]);
    const d1 = driverFor(one);
    const d2 = driverFor(two);
    const alice = cipher.getUser(SEED_IDS.alice);
    if (!alice) throw new Error('seed changed');
    const ids = [
      '0b5c1b6e-0000-4000-8000-00000000000a',
      '0b5c1b6e-0000-4000-8000-00000000000b',
      '0b5c1b6e-0000-4000-8000-00000000000c',
    ];
    for (const id of ids) cipher.setUser({ ...alice, id, email: `${id.slice(-1)}@acme.example` });
    const targets = [SEED_IDS.alice, ...ids];
    const posted: PostedRequest[] = [];
    for (const [i, id] of targets.entries())
      posted.push(await makeRequest(i % 2 ? d2 : d1, 'deactivate', id));
    await Promise.all(posted.map((p, i) => approveBy(i % 2 ? d1 : d2, p, A)));
    await Promise.all(posted.map((p) => outcomePosted(p)));
    for (const id of targets) {
      expect(cipher.callsTo('deactivateUser', id)).toHaveLength(1);
      expect(cipher.getUser(id)?.status).toBe('inactive');
    }
    for (const p of posted) expect(outcomeNotes(p)).toHaveLength(1);
  });
});

describe('a signed payload Bolt itself trips over', () => {
  it('payload=null: the process logs the unhandled rejection and keeps serving', async () => {
    const app = await start();
    const body = 'payload=null';
    const headers = signedHeaders(signingSecret, body, 'application/x-www-form-urlencoded');
    // Bolt never answers this one; the request is abandoned after a second.
    await fetch(`${app.baseUrl}/slack/events`, {
      method: 'POST',
      body,
      headers,
      signal: AbortSignal.timeout(1000),
    }).catch(() => undefined);
    await app.waitForOutput(/unhandled rejection/);
    expect((await fetch(`${app.baseUrl}/healthz`)).status).toBe(200);
    const help = await driverFor(app).command('help');
    expect(help.status).toBe(200);
    expect(app.child.exitCode).toBeNull();
  });
});
