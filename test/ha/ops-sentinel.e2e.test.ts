import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRedis, primaryAnswers } from '../../src/redis.js';
import { UNAVAILABLE } from '../../src/slack/listeners/guard.js';
import { SEED_IDS } from '../fakes/cipherscale/seed.js';
import { visibleText } from '../helpers/blocks-text.js';
import { approveBy, ephemeralsFor, makeRequest, mark } from '../helpers/flows.js';
import { APPROVERS, type Harness, startHarness } from '../helpers/harness.js';
import { eventually, until, within3s } from '../helpers/poll.js';
import { freePort } from '../helpers/ports.js';
import { throwawayRedisArgs } from '../helpers/redis-args.js';
import { type SentinelSet, startSentinelSet } from '../helpers/redis-ha.js';

// Readiness and answers while a Sentinel set has no primary: between the primary's SIGKILL and the
// replica's promotion. The replica is frozen (SIGSTOP) meanwhile, so the Sentinels cannot promote it
// yet: the window without a primary lasts as long as the test needs, not as long as the load allows.
const run = promisify(execFile);
const [A, B] = APPROVERS;
let set: SentinelSet;
let h: Harness;

beforeAll(async () => {
  set = await startSentinelSet();
  h = await startHarness({ processBeforeResponse: true, env: { ...set.env } });
});
afterAll(async () => {
  set?.replica.process.kill('SIGCONT');
  await h?.close();
  await set?.stop();
});

describe('REDIS_URL naming a replica', () => {
  it('the start stops, naming the replica and its primary', async () => {
    const failed = await startHarness({ env: { REDIS_URL: `redis://127.0.0.1:${set.replica.port}` } }).then(
      async (app) => {
        await app.close();
        throw new Error('started');
      },
      (e: Error) => e,
    );
    expect(failed.message).toMatch(
      new RegExp(
        `^Redis at redis://127\\.0\\.0\\.1:${set.replica.port} is a replica of 127\\.0\\.0\\.1:${await set.primaryPort()} \\(ROLE slave\\), which refuses writes: point REDIS_URL at the primary`,
      ),
    );
  });

  it('readiness asks for ROLE: a node demoted to replica is not ready, promoted again it is', async () => {
    // Two nodes of this test's own (a node the Sentinels saw as a replica would be theirs to promote).
    const [port, other] = [await freePort(), await freePort()];
    // Their own folder: the primary writes an RDB file for the replica's first sync.
    const dir = await mkdtemp(path.join(tmpdir(), 'cipher-user-ops-role-'));
    const nodes = [port, other].map((p) =>
      spawn('redis-server', throwawayRedisArgs(p), { cwd: dir, stdio: ['ignore', 'ignore', 'ignore'] }),
    );
    const exited = Promise.all(nodes.map((n) => new Promise((resolve) => n.once('exit', resolve))));
    const redis = createRedis(`redis://127.0.0.1:${port}`);
    redis.on('error', () => undefined);
    try {
      await eventually(
        () =>
          redis.connect().then(
            () => true,
            () => false,
          ),
        5000,
        50,
      );
      expect(await primaryAnswers(redis, 'ops-probe')).toBe(true);
      // Demoted under the same connection, as a failover elsewhere would leave it: PING answers, ROLE does not say master.
      await run('redis-cli', ['-p', String(port), 'REPLICAOF', '127.0.0.1', String(other)]);
      expect(await primaryAnswers(redis, 'ops-probe')).toBe(false);
      await run('redis-cli', ['-p', String(port), 'REPLICAOF', 'NO', 'ONE']);
      expect(await primaryAnswers(redis, 'ops-probe')).toBe(true);
    } finally {
      redis.disconnect();
      for (const n of nodes) n.kill('SIGKILL');
      await exited;
      await rm(dir, { recursive: true, force: true });
    }
  });
});

// After the replica dies, only the former replica is left, as primary.
describe('Sentinel: no primary for a while', () => {
  it('/readyz says redis down, a command and an Approve click answer "temporarily unavailable" within 3 s and change nothing; after the failover, all works', async () => {
    const posted = await makeRequest(h, 'deactivate', SEED_IDS.alice);
    expect((await h.get('/readyz')).status).toBe(200);
    const from = set.primary.port;
    set.replica.process.kill('SIGSTOP');
    await set.primary.kill();
    try {
      const ready = await until(
        '/readyz to say redis is down',
        async () => {
          const answer = await h.get('/readyz');
          return { status: answer.status, body: answer.json() as { redis?: string } };
        },
        (r) => r.status === 503,
      );
      expect(ready.body.redis).toBe('down');
      // The command opens its modal at once (the trigger lasts 3 s) and says there why it cannot go on.
      const sent = mark(h);
      const asked = Date.now();
      await Promise.all([
        within3s(h.command(`delete ${SEED_IDS.pending}`)),
        within3s(approveBy(h, posted, A)),
      ]);
      const [told] = await h.slack.waitFor(
        (c) =>
          c.method === 'views.update' &&
          h.slack.calls.indexOf(c) >= sent.index &&
          visibleText(c.args.view ?? {}).includes(UNAVAILABLE),
        { timeoutMs: 3000 },
      );
      expect((told?.at ?? Number.POSITIVE_INFINITY) - asked).toBeLessThan(3000);
      expect(ephemeralsFor(h, A).join('\n')).toContain(UNAVAILABLE);
    } finally {
      set.replica.process.kill('SIGCONT');
    }
    await set.failedOver(from);
    await eventually(async () => (await h.get('/readyz')).status === 200, 15_000);
    // Nothing of the click stuck: the request as it was, approvable by the same approver.
    const stored = await h.runtime.ctx.store.get(posted.requestId);
    expect(stored?.state).toBe('pending');
    expect(stored?.approvals).toEqual([]);
    await approveBy(h, posted, A);
    await approveBy(h, posted, B);
    await h.slack.waitFor(
      (c) =>
        c.method === 'chat.postMessage' &&
        c.args.thread_ts === posted.ts &&
        /Succeeded/.test(visibleText(c.args.blocks)),
      { timeoutMs: 15_000 },
    );
    expect(h.cipher.callsTo('deactivateUser', SEED_IDS.alice)).toHaveLength(1);
  }, 40_000);
});
