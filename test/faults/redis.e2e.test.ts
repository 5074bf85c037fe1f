import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ACTION_IDS, BLOCK_IDS, CALLBACK_IDS } from '../../src/blocks/ids.js';
import { SEED_IDS } from '../fakes/cipherscale/seed.js';
import { visibleText } from '../helpers/blocks-text.js';
import { approveBy, click, ephemeralsFor, makeRequest, mark, submit, viewShown } from '../helpers/flows.js';
import { APPROVERS, type Harness, REQUESTER, startHarness } from '../helpers/harness.js';
import { eventually, until, within3s } from '../helpers/poll.js';
import { freePort } from '../helpers/ports.js';

// A Redis of this test's own (append-only, so a restart keeps what it had), paused and killed
// under a running app.
const [A, B] = APPROVERS;
let port: number;
let dir: string;
let redis: ChildProcess;
let h: Harness;

function startRedis(): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--appendonly',
      'yes',
      '--appendfsync',
      'always',
      '--save',
      '',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  return new Promise((resolve, reject) => {
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`redis-server exited ${code}: ${output}`)));
  });
}

beforeAll(async () => {
  port = await freePort();
  dir = mkdtempSync(path.join(tmpdir(), 'cipher-user-redis-'));
  redis = await startRedis();
  h = await startHarness({ processBeforeResponse: true, env: { REDIS_URL: `redis://127.0.0.1:${port}` } });
});
afterAll(async () => {
  redis.kill('SIGCONT');
  await h.close();
  redis.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('Redis lost while running', () => {
  it('paused: clicks and commands answer "temporarily unavailable" within 3 s; resumed: everything works again', async () => {
    const posted = await makeRequest(h, 'delete', SEED_IDS.pending);
    redis.kill('SIGSTOP');
    try {
      await within3s(approveBy(h, posted, A));
      expect(ephemeralsFor(h, A).join('\n')).toContain('temporarily unavailable');
      const pending = await within3s(h.command('pending'));
      const [told] = await h.slack.waitFor(
        (c) => c.method === 'response_url' && c.responseUrlId === pending.responseUrlId,
      );
      expect(String(told?.args.text)).toContain('Nothing was changed');
      expect((await h.get('/readyz')).status).toBe(503);
    } finally {
      redis.kill('SIGCONT');
    }
    await eventually(async () => (await h.get('/readyz')).status === 200);
    await approveBy(h, posted, A);
    await approveBy(h, posted, B);
    await h.slack.waitFor(
      (c) =>
        c.method === 'chat.postMessage' &&
        c.args.thread_ts === posted.ts &&
        /Succeeded/.test(visibleText(c.args.blocks)),
      { timeoutMs: 10_000 },
    );
    expect(h.cipher.callsTo('deleteUser', SEED_IDS.pending)).toHaveLength(1);
  });

  it('paused during Reject: the modal opens within the trigger’s 3 s and says Redis is unavailable; a reject submitted meanwhile is answered within 3 s and changes nothing; resumed, the reject lands', async () => {
    const posted = await makeRequest(h, 'deactivate', SEED_IDS.alice);
    const clickReject = () =>
      click(h, {
        actionId: ACTION_IDS.reject,
        value: posted.requestId,
        userId: B,
        channel: posted.channel,
        ts: posted.ts,
      });
    const modalText = (id: string) => visibleText(h.slack.viewState(id) ?? {});
    const opened = mark(h);
    redis.kill('SIGSTOP');
    try {
      // The click's ack waits for the whole handler here (processBeforeResponse); what must beat the 3 s is
      // views.open, which carries the trigger.
      const sent = Date.now();
      const clicked = clickReject();
      const [open] = await h.slack.waitFor(
        (c) => c.method === 'views.open' && h.slack.calls.indexOf(c) >= opened.index,
        { answered: true, timeoutMs: 3000 },
      );
      expect(open?.response).toMatchObject({ ok: true });
      // Its Slack tier slot waits for Redis's 1-s command timeout, then goes out anyway: well inside 3 s.
      expect((open?.at ?? Number.POSITIVE_INFINITY) - sent).toBeLessThan(2500);
      await clicked;
      const viewId = String((open?.response?.view as { id?: string } | undefined)?.id);
      await until(
        'the modal to say Redis is unavailable',
        async () => modalText(viewId),
        (t) => /temporarily unavailable/.test(t),
      );
    } finally {
      redis.kill('SIGCONT');
    }
    await eventually(async () => (await h.get('/readyz')).status === 200);
    const start = mark(h);
    await clickReject();
    const form = await viewShown(h, CALLBACK_IDS.reject, start);
    redis.kill('SIGSTOP');
    try {
      const answer = await within3s(submit(h, form, { [BLOCK_IDS.rejectReason]: 'not now' }, B));
      expect(answer.status).toBe(200);
      await until(
        'the submission’s outcome in the modal',
        async () => modalText(form.id),
        (t) => /temporarily unavailable|Nothing was changed/.test(t),
        10_000,
      );
    } finally {
      redis.kill('SIGCONT');
    }
    await eventually(async () => (await h.get('/readyz')).status === 200);
    expect((await h.runtime.ctx.store.get(posted.requestId))?.state).toBe('pending');
    const again = mark(h);
    await clickReject();
    const retry = await viewShown(h, CALLBACK_IDS.reject, again);
    expect((await submit(h, retry, { [BLOCK_IDS.rejectReason]: 'not now' }, B)).status).toBe(200);
    await eventually(async () => (await h.runtime.ctx.store.get(posted.requestId))?.state === 'rejected');
  });

  it('killed and restarted: the app reconnects by itself and the request it announced is still there', async () => {
    const posted = await makeRequest(h, 'deactivate', SEED_IDS.alice);
    redis.kill('SIGKILL');
    await new Promise((resolve) => redis.once('exit', resolve));
    await within3s(
      click(h, {
        actionId: ACTION_IDS.cancel,
        value: posted.requestId,
        userId: REQUESTER,
        channel: posted.channel,
        ts: posted.ts,
      }),
    );
    expect(ephemeralsFor(h, REQUESTER).join('\n')).toContain('temporarily unavailable');

    redis = await startRedis();
    await eventually(async () => (await h.get('/readyz')).status === 200, 10_000);
    expect((await h.runtime.ctx.store.get(posted.requestId))?.state).toBe('pending');
    await approveBy(h, posted, A);
    await h.slack.waitFor(
      (c) =>
        c.method === 'chat.postMessage' &&
        c.args.thread_ts === posted.ts &&
        /Succeeded/.test(visibleText(c.args.blocks)),
      { timeoutMs: 15_000 },
    );
    expect(h.cipher.getUser(SEED_IDS.alice)?.status).toBe('inactive');
  });
});
