import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { SEED_IDS } from '../fakes/cipherscale/seed.js';
import { FakeCipherscale } from '../fakes/cipherscale/server.js';
import { FakeSlack } from '../fakes/slack/server.js';
import { startAppProcess } from '../helpers/app-process.js';
import { visibleText } from '../helpers/blocks-text.js';
import { approveBy, makeRequest, threadNotes } from '../helpers/flows.js';
import { APPROVERS, type Harness, startHarness } from '../helpers/harness.js';
import { until } from '../helpers/poll.js';

// One build, three roles: the listener takes Slack's requests and queues jobs; workers run them.
const [A] = APPROVERS;
let slack: FakeSlack;
let cipher: FakeCipherscale;
const keyPrefix = `test-roles-${randomBytes(4).toString('hex')}`;
let listener: Harness;
let worker: Harness | undefined;

beforeAll(async () => {
  slack = await FakeSlack.start();
  cipher = await FakeCipherscale.start();
  listener = await startHarness({
    slack,
    cipher,
    keyPrefix,
    processBeforeResponse: true,
    env: { ROLE: 'listener' },
  });
});
afterAll(async () => {
  await worker?.close();
  await listener.close();
  await slack.close();
  await cipher.close();
});

describe('roles', () => {
  it('a listener queues the approved job; only a worker runs it and posts the outcome', async () => {
    const posted = await makeRequest(listener, 'deactivate', SEED_IDS.alice);
    await approveBy(listener, posted, A as string);
    const scraped = (await listener.get('/metrics')).text;
    expect(scraped).toMatch(/^cipher_user_queue_jobs\{queue="requests",state="waiting"\} 1$/m);
    expect(cipher.callsTo('deactivateUser')).toEqual([]);
    expect((await listener.runtime.ctx.store.get(posted.requestId))?.state).toBe('queued');

    worker = await startHarness({ slack, cipher, keyPrefix, env: { ROLE: 'worker' } });
    await until(
      'the worker to run the request',
      async () => (await listener.runtime.ctx.store.get(posted.requestId))?.state,
      (state) => state === 'succeeded',
    );
    expect(cipher.callsTo('deactivateUser')).toHaveLength(1);
    await until(
      'the outcome note',
      async () => threadNotes(listener, posted).map((c) => visibleText(c.args.blocks)),
      (notes) => notes.some((n) => /Succeeded|Deactivated/.test(n)),
    );
    // Only the worker logged the job.
    expect(worker.logs.some((l) => l.includes('"transition":"succeeded"'))).toBe(true);
    expect(listener.logs.some((l) => l.includes('"transition":"succeeded"'))).toBe(false);
  });

  it('a worker serves health and metrics on PORT, and no Slack endpoint', async () => {
    const w = worker ?? (await startHarness({ slack, cipher, keyPrefix, env: { ROLE: 'worker' } }));
    worker = w;
    expect((await w.get('/healthz')).status).toBe(200);
    expect((await w.get('/readyz')).json()).toEqual({ ok: true, redis: 'up', slack: 'up' });
    expect((await w.get('/metrics')).text).toContain('cipher_user_queue_jobs');
    expect(
      (await w.post('payload=%7B%7D', { 'content-type': 'application/x-www-form-urlencoded' })).status,
    ).toBe(404);
  });

  it('the role comes from ROLE; a worker needs no Slack signing secret or app token', () => {
    const base = {
      SLACK_BOT_TOKEN: 'xoxb-1',
      CIPHERSCALE_API_TOKEN: 't',
      APPROVER_USER_IDS: 'UAPPROVER1',
    };
    expect(loadConfig({ ...base, ROLE: 'worker' }).role).toBe('worker');
    expect(loadConfig({ ...base, SLACK_SIGNING_SECRET: 's' }).role).toBe('both');
    expect(() => loadConfig({ ...base, ROLE: 'listener' })).toThrow(/SLACK_SIGNING_SECRET/);
    expect(() => loadConfig({ ...base, ROLE: 'everything' })).toThrow(
      /ROLE: must be both, listener or worker/,
    );
  });

  it('`--role worker` on the command line starts a worker process that stops cleanly on SIGTERM', async () => {
    const app = await startAppProcess(
      {
        SLACK_BOT_TOKEN: slack.botToken,
        SLACK_API_URL: slack.apiUrl,
        CIPHERSCALE_API_URL: cipher.url,
        CIPHERSCALE_API_TOKEN: cipher.token,
        APPROVER_USER_IDS: 'UAPPROVER1',
        // One approver: deletes need one too, or the start refuses the quorum.
        REQUIRED_APPROVALS_DELETE: '1',
        REDIS_URL: inject('redisUrl'),
        REDIS_KEY_PREFIX: `${keyPrefix}-proc`,
      },
      ['--role', 'worker'],
    );
    expect(app.output()).toMatch(/"role":"worker"/);
    expect((await fetch(`${app.baseUrl}/healthz`)).status).toBe(200);
    app.kill('SIGTERM');
    expect(await app.exited).toBe(0);
    expect(app.output()).toContain('cipher-user stopped');
  });
});
