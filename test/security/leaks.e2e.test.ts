import { randomBytes, randomInt } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ACTION_IDS, BLOCK_IDS, CALLBACK_IDS } from '../../src/blocks/ids.js';
import { SEED_IDS } from '../fakes/cipherscale/seed.js';
import { FakeCipherscale } from '../fakes/cipherscale/server.js';
import { FakeSlack } from '../fakes/slack/server.js';
import {
  approveBy,
  click,
  makeRequest,
  type PostedRequest,
  rejectBy,
  submit,
  viewShown,
} from '../helpers/flows.js';
import { APPROVERS, type Harness, type HttpAnswer, REQUESTER, startHarness } from '../helpers/harness.js';
import { endOpenRequests } from '../helpers/open-requests.js';
import { until } from '../helpers/poll.js';
import { interactionBody, signedHeaders } from '../helpers/slack-request.js';

// Nothing leaked, nothing kept forever (issue 4): secrets never reach logs or Slack, jobs carry ids
// only, finished records expire, and every transition is one audit line without secrets or profile.

const [A, B] = APPROVERS;
const digits = (n: number) => Array.from({ length: n }, () => randomInt(10)).join('');
const alnum = (n: number) => randomBytes(n).toString('base64url').replace(/[-_]/g, 'x').slice(0, n);
// Shaped like the real thing, so that a scrubber matching on shape would also be exercised.
const BOT_TOKEN = `xoxb-${digits(13)}-${digits(13)}-${alnum(24)}`;
const CIPHER_TOKEN = `cs_live_${randomBytes(20).toString('hex')}`;

let slack: FakeSlack;
let cipher: FakeCipherscale;
let h: Harness;
/** Every HTTP answer the app gave in this file. */
const answers: HttpAnswer[] = [];

beforeAll(async () => {
  slack = await FakeSlack.start({ botToken: BOT_TOKEN });
  cipher = await FakeCipherscale.start({ token: CIPHER_TOKEN });
  h = await startHarness({ processBeforeResponse: true, slack, cipher });
});
afterAll(async () => {
  await h?.close();
  await slack?.close();
  await cipher?.close();
});
beforeEach(async () => {
  await endOpenRequests(h);
  slack.reset();
  cipher.reset();
});

const finished = (world: Harness, id: string) =>
  until(
    `request ${id} to finish`,
    () => world.runtime.ctx.store.get(id),
    (r) => r?.outcomePosted === true,
  );

/** The secrets, and their tails (a cut or partly masked secret is still a leak). */
function secrets(world: Harness): Record<string, string> {
  return {
    'bot token': BOT_TOKEN,
    'bot token tail': BOT_TOKEN.slice(-16),
    'Cipherscale token': CIPHER_TOKEN,
    'Cipherscale token tail': CIPHER_TOKEN.slice(-16),
    'signing secret': world.signingSecret,
    'signing secret tail': world.signingSecret.slice(-16),
  };
}

/** Where each secret shows up: every log line, every Slack call (minus its own auth header), every HTTP answer. */
function leaks(world: Harness): string[] {
  const places: Record<string, string> = {
    logs: world.logs.join('\n'),
    // `token` is the Authorization header of the call, where the bot token belongs.
    slack: JSON.stringify(world.slack.calls.map(({ token: _auth, ...call }) => call)),
    answers: JSON.stringify(answers.map((a) => a.text)),
  };
  const found: string[] = [];
  for (const [where, text] of Object.entries(places)) {
    for (const [name, value] of Object.entries(secrets(world))) {
      if (!text.includes(value)) continue;
      const at = text.indexOf(value);
      found.push(`${name} in ${where}: …${text.slice(Math.max(0, at - 120), at + value.length + 20)}…`);
    }
  }
  return found;
}

const recorded = async <T extends HttpAnswer>(answer: Promise<T>): Promise<T> => {
  const a = await answer;
  answers.push(a);
  return a;
};

async function lookup(world: Harness, id: string) {
  const ack = await recorded(world.command(`lookup ${id}`));
  await world.slack.waitFor((c) => c.responseUrlId === ack.responseUrlId);
}

describe('secrets never appear in logs, Slack or answers', () => {
  it('the harness really uses these secrets (so the checks below can fail)', async () => {
    const start = Date.now();
    await recorded(h.command(`deactivate ${SEED_IDS.alice}`));
    await viewShown(h, CALLBACK_IDS.deactivate, start);
    expect(cipher.calls[0]?.headers.authorization).toBe(`Bearer ${CIPHER_TOKEN}`);
    expect(slack.callsTo('views.open')[0]?.token).toBe(BOT_TOKEN);
    expect(h.config.slack.signingSecret).toBe(h.signingSecret);
    expect(leaks(h)).toEqual([]);
  });

  it('lookups while Cipherscale refuses the token, fails, resets the connection or hangs', async () => {
    cipher.script([
      { status: 401 },
      { status: 403, body: { message: 'forbidden' } },
      { status: 500 },
      { status: 502, body: '<html>bad gateway</html>' },
      { reset: true },
      { hang: true },
      { status: 200, body: 'not json' },
      { status: 200, body: { id: 'not a user' } },
    ]);
    for (let i = 0; i < 8; i++) await lookup(h, SEED_IDS.alice);
    // And the request modal when the credentials are refused.
    cipher.script([{ status: 401 }]);
    const start = Date.now();
    await recorded(h.command(`deactivate ${SEED_IDS.alice}`));
    await slack.waitFor((c) => c.method === 'views.update' && c.at >= start);
    expect(leaks(h)).toEqual([]);
  });

  it('executions that fail: 500 until it gives up, 401, a connection reset', async () => {
    const cases: Array<[string, Parameters<FakeCipherscale['script']>[0]]> = [
      ['500s', [{ status: 500 }, { status: 500 }, { status: 500 }]],
      ['401', [{ status: 401 }]],
      ['reset', [{ reset: true }, { reset: true }, { reset: true }]],
    ];
    for (const [label, faults] of cases) {
      cipher.reset();
      cipher.script(faults, { operation: 'deactivateUser' });
      const posted = await makeRequest(h, 'deactivate', SEED_IDS.alice);
      await recorded(approveBy(h, posted, A));
      expect((await finished(h, posted.requestId))?.state, label).toBe('failed');
    }
    expect(leaks(h)).toEqual([]);
  });

  it('Slack failing: the post refused, updates failing and rate limited, a modal refused, a response_url down', async () => {
    slack.failNext('chat.postMessage', { error: 'not_in_channel' });
    const start = Date.now();
    await recorded(h.command(`deactivate ${SEED_IDS.alice} -- offboarding`));
    await recorded(submit(h, await viewShown(h, CALLBACK_IDS.deactivate, start), {}));
    await slack.waitFor((c) => c.method === 'response_url' && /not a member/.test(String(c.args.text)));

    const posted = await makeRequest(h, 'deactivate', SEED_IDS.alice);
    slack.failNext('chat.update', { status: 500 });
    slack.failNext('chat.update', { status: 429, retryAfterSec: 0 });
    slack.failNext('chat.postMessage', { error: 'ratelimited' });
    await recorded(approveBy(h, posted, A));
    await finished(h, posted.requestId);

    slack.failNext('views.open', { error: 'expired_trigger_id' });
    await recorded(h.command(`delete ${SEED_IDS.alice}`));
    slack.failNext('response_url', { status: 500 });
    await recorded(h.command(`lookup ${SEED_IDS.alice}`));
    expect(leaks(h)).toEqual([]);
  });

  it('requests with a bad signature or a stale timestamp', async () => {
    const body = interactionBody({ type: 'block_actions', user: { id: A } });
    const form = 'application/x-www-form-urlencoded';
    await recorded(h.post(body, signedHeaders('wrong-secret', body, form)));
    await recorded(
      h.post(body, signedHeaders(h.signingSecret, body, form, Math.floor(Date.now() / 1000) - 600)),
    );
    await recorded(
      h.post('payload=%7Bnot json', signedHeaders(h.signingSecret, 'payload=%7Bnot json', form)),
    );
    expect(leaks(h)).toEqual([]);
  });

  it('a Cipherscale error that quotes the token back is not repeated in Slack or the logs', async () => {
    const echo = { status: 400, body: { message: `invalid credentials: Bearer ${CIPHER_TOKEN}` } };
    cipher.script([echo]);
    await lookup(h, SEED_IDS.alice);
    cipher.script([echo], { operation: 'deactivateUser' });
    const posted = await makeRequest(h, 'deactivate', SEED_IDS.alice);
    await recorded(approveBy(h, posted, A));
    expect((await finished(h, posted.requestId))?.state).toBe('failed');
    expect(leaks(h)).toEqual([]);
  });
});

describe('Redis keeps ids only, and not forever', () => {
  const bullKey = (world: Harness, jobId: string) => `${world.config.redis.bullPrefix}:requests:${jobId}`;
  const recordKey = (world: Harness, id: string) => `${world.config.redis.prefix}request:${id}`;

  /** removeOnComplete / removeOnFail as stored: removal immediate, or bounded by age or count. */
  function expectBounded(label: string, value: unknown, retentionSeconds: number) {
    if (value === true) return;
    if (typeof value === 'number') {
      expect(value, label).toBeGreaterThanOrEqual(0);
      return;
    }
    expect(value, `${label} must be set and bounded`).toBeTypeOf('object');
    const { age, count } = (value ?? {}) as { age?: unknown; count?: unknown };
    expect(age !== undefined || count !== undefined, `${label} has an age or a count`).toBe(true);
    if (age !== undefined) {
      expect(age, `${label}.age`).toBeTypeOf('number');
      expect(age as number, `${label}.age within the retention`).toBeLessThanOrEqual(retentionSeconds);
    }
    if (count !== undefined) expect(Number.isFinite(count), `${label}.count`).toBe(true);
  }

  it('a job’s data is exactly {"requestId": id}; removeOnComplete/removeOnFail are bounded; no profile in the job', async () => {
    const posted = await makeRequest(h, 'deactivate', SEED_IDS.alice, {
      [BLOCK_IDS.reason]: 'secret-ish reason text',
    });
    await approveBy(h, posted, A);
    await finished(h, posted.requestId);
    const retentionSeconds = h.config.approvals.retentionMs / 1000;
    for (const jobId of [posted.requestId, `expire-${posted.requestId}`]) {
      const job = await h.runtime.redis.hgetall(bullKey(h, jobId));
      expect(job.data, jobId).toBe(JSON.stringify({ requestId: posted.requestId }));
      const opts = JSON.parse(job.opts ?? '{}') as Record<string, unknown>;
      expectBounded(`${jobId} removeOnComplete`, opts.removeOnComplete, retentionSeconds);
      expectBounded(`${jobId} removeOnFail`, opts.removeOnFail, retentionSeconds);
      const everything = JSON.stringify(job);
      for (const pii of ['alice.martin@acme.example', 'Alice', 'Martin', 'secret-ish reason text']) {
        expect(everything, `${jobId} holds ${pii}`).not.toContain(pii);
      }
    }
  });

  it('finished request records expire: succeeded, failed, rejected, cancelled, expired', async () => {
    const ids: Record<string, string> = {};
    const succeeded = await makeRequest(h, 'deactivate', SEED_IDS.alice);
    await approveBy(h, succeeded, A);
    ids.succeeded = (await finished(h, succeeded.requestId))?.id ?? '';

    cipher.script([{ status: 400 }], { operation: 'deactivateUser' });
    const failed = await makeRequest(h, 'deactivate', SEED_IDS.manyDevices);
    await approveBy(h, failed, A);
    ids.failed = (await finished(h, failed.requestId))?.id ?? '';

    const rejected = await makeRequest(h, 'delete', SEED_IDS.pending);
    await rejectBy(h, rejected, B, 'no');
    ids.rejected = rejected.requestId;

    const cancelled = await makeRequest(h, 'delete', SEED_IDS.minimal);
    await cancelBy(h, cancelled, REQUESTER);
    ids.cancelled = cancelled.requestId;

    const shifted = await laterHarness();
    try {
      const expired = await makeRequest(shifted.h, 'delete', SEED_IDS.oddShapes);
      shifted.skip(2 * 86_400_000);
      await approveBy(shifted.h, expired, A);
      ids.expired = expired.requestId;
      for (const [state, id] of Object.entries(ids)) {
        const world = state === 'expired' ? shifted.h : h;
        expect((await world.runtime.ctx.store.get(id))?.state, id).toBe(state);
        const ttl = await world.runtime.redis.pttl(recordKey(world, id));
        expect(ttl, `${state} record TTL`).toBeGreaterThan(0);
        expect(ttl, `${state} record TTL`).toBeLessThanOrEqual(world.config.approvals.retentionMs);
      }
    } finally {
      await shifted.h.close();
    }
  });

  it('every request record and modal draft has a TTL', async () => {
    await makeRequest(h, 'deactivate', SEED_IDS.alice);
    // An abandoned form leaves a draft behind.
    const start = Date.now();
    await h.command(`delete ${SEED_IDS.alice}`);
    await viewShown(h, CALLBACK_IDS.delete, start);
    const keys = await h.runtime.redis.keys(`${h.config.redis.prefix}*`);
    const records = keys.filter((k) => /:(request|draft):/.test(k));
    expect(records.some((k) => k.includes(':draft:'))).toBe(true);
    expect(records.some((k) => k.includes(':request:'))).toBe(true);
    for (const key of records) expect(await h.runtime.redis.pttl(key), key).toBeGreaterThan(0);
  });
});

// ---- audit log ----

interface AuditLine {
  audit: true;
  requestId: string;
  action: string;
  targetId: string;
  transition: string;
  actor?: string;
  outcome?: string;
  time: string;
  [field: string]: unknown;
}

/** The audit lines written for one request, as parsed JSON, with their raw text. */
function auditLines(world: Harness, requestId: string): Array<{ line: AuditLine; raw: string }> {
  return world.logs.flatMap((raw) => {
    let line: unknown;
    try {
      line = JSON.parse(raw);
    } catch {
      return [];
    }
    const l = line as Partial<AuditLine>;
    return l.audit === true && l.requestId === requestId ? [{ line: l as AuditLine, raw }] : [];
  });
}

/** The core transitions only (the worker's queued/running are checked separately). */
const CORE = new Set([
  'pending',
  'approval',
  'approved',
  'succeeded',
  'failed',
  'rejected',
  'cancelled',
  'expired',
]);

function expectAudit(
  world: Harness,
  posted: PostedRequest,
  target: { id: string; email: string; names: string[] },
  action: string,
  expected: Array<[transition: string, actor: string | undefined]>,
) {
  const lines = auditLines(world, posted.requestId);
  const core = lines.filter(({ line }) => CORE.has(line.transition));
  expect(
    core.map(({ line }) => [line.transition, line.actor]),
    `audit trail of ${action} ${posted.requestId}`,
  ).toEqual(expected);
  for (const { line, raw } of lines) {
    const label = `${line.transition} line`;
    expect(line, label).toMatchObject({
      audit: true,
      requestId: posted.requestId,
      action,
      targetId: target.id,
    });
    expect(Number.isNaN(Date.parse(line.time)), `${label} has a time`).toBe(false);
    if (line.transition === 'succeeded' || line.transition === 'failed') {
      expect(line.outcome, `${label} has an outcome`).toBeTypeOf('string');
    }
    for (const [name, value] of Object.entries(secrets(world)))
      expect(raw, `${label}: ${name}`).not.toContain(value);
    for (const pii of [target.email, ...target.names]) expect(raw, `${label}: ${pii}`).not.toContain(pii);
  }
}

const cancelBy = (world: Harness, posted: PostedRequest, userId: string) =>
  click(world, {
    actionId: ACTION_IDS.cancel,
    value: posted.requestId,
    userId,
    channel: posted.channel,
    ts: posted.ts,
  });

/** A second app on the same fakes whose clock can jump ahead (the pending request is then past its expiry). */
async function laterHarness() {
  let offset = 0;
  const world = await startHarness({
    processBeforeResponse: true,
    slack,
    cipher,
    now: () => Date.now() + offset,
  });
  return {
    h: world,
    skip: (ms: number) => {
      offset += ms;
    },
  };
}

const ALICE = { id: SEED_IDS.alice, email: 'alice.martin@acme.example', names: ['Alice', 'Martin'] };
const PAULA = { id: SEED_IDS.pending, email: 'paula.pending@acme.example', names: ['Paula', 'Pending'] };
const MAX = { id: SEED_IDS.manyDevices, email: 'ci-fleet@acme.example', names: ['Max Devices'] };

describe('audit: one JSON line per transition, with who and when, without secrets or profile', () => {
  it('created → approved → succeeded', async () => {
    const posted = await makeRequest(h, 'deactivate', SEED_IDS.alice);
    await approveBy(h, posted, A);
    await finished(h, posted.requestId);
    expectAudit(h, posted, ALICE, 'deactivate', [
      ['pending', REQUESTER],
      ['approved', A],
      ['succeeded', undefined],
    ]);
  });

  it('created → one approval → quorum → succeeded (a delete needing two)', async () => {
    const posted = await makeRequest(h, 'delete', SEED_IDS.pending);
    await approveBy(h, posted, A);
    await approveBy(h, posted, A);
    await approveBy(h, posted, B);
    await finished(h, posted.requestId);
    expectAudit(h, posted, PAULA, 'delete', [
      ['pending', REQUESTER],
      ['approval', A],
      ['approved', B],
      ['succeeded', undefined],
    ]);
  });

  it('created → failed (Cipherscale refused the change)', async () => {
    cipher.script([{ status: 400, body: { message: 'locked' } }], { operation: 'deactivateUser' });
    const posted = await makeRequest(h, 'deactivate', SEED_IDS.manyDevices);
    await approveBy(h, posted, A);
    await finished(h, posted.requestId);
    expectAudit(h, posted, MAX, 'deactivate', [
      ['pending', REQUESTER],
      ['approved', A],
      ['failed', undefined],
    ]);
  });

  it('created → rejected, and created → cancelled', async () => {
    const rejected = await makeRequest(h, 'deactivate', SEED_IDS.alice);
    await rejectBy(h, rejected, B, 'wrong person');
    expectAudit(h, rejected, ALICE, 'deactivate', [
      ['pending', REQUESTER],
      ['rejected', B],
    ]);
    const cancelled = await makeRequest(h, 'delete', SEED_IDS.pending);
    await cancelBy(h, cancelled, REQUESTER);
    expectAudit(h, cancelled, PAULA, 'delete', [
      ['pending', REQUESTER],
      ['cancelled', REQUESTER],
    ]);
  });

  it('created → expired, found by a late Approve click', async () => {
    const later = await laterHarness();
    try {
      const posted = await makeRequest(later.h, 'deactivate', SEED_IDS.alice);
      later.skip(2 * 86_400_000);
      await approveBy(later.h, posted, A);
      expect((await later.h.runtime.ctx.store.get(posted.requestId))?.state).toBe('expired');
      const lines = auditLines(later.h, posted.requestId).filter(({ line }) => CORE.has(line.transition));
      expect(lines.map(({ line }) => line.transition)).toEqual(['pending', 'expired']);
      expectAudit(
        later.h,
        posted,
        ALICE,
        'deactivate',
        lines.map(({ line }) => [line.transition, line.actor]),
      );
    } finally {
      await later.h.close();
    }
  });

  it('created → expired, found by a late Cancel click or a late Reject submit, is audited too', async () => {
    const later = await laterHarness();
    try {
      const byCancel = await makeRequest(later.h, 'deactivate', SEED_IDS.alice);
      const byReject = await makeRequest(later.h, 'delete', SEED_IDS.pending);
      const start = Date.now();
      await click(later.h, {
        actionId: ACTION_IDS.reject,
        value: byReject.requestId,
        userId: B,
        channel: byReject.channel,
        ts: byReject.ts,
      });
      const form = await viewShown(later.h, CALLBACK_IDS.reject, start);
      later.skip(2 * 86_400_000);
      await cancelBy(later.h, byCancel, REQUESTER);
      await submit(later.h, form, { [BLOCK_IDS.rejectReason]: 'late' }, B);
      for (const [posted, target, action] of [
        [byCancel, ALICE, 'deactivate'],
        [byReject, PAULA, 'delete'],
      ] as const) {
        expect((await later.h.runtime.ctx.store.get(posted.requestId))?.state).toBe('expired');
        const transitions = auditLines(later.h, posted.requestId)
          .map(({ line }) => line.transition)
          .filter((t) => CORE.has(t));
        expect(transitions, `${action} expired on a late click`).toEqual(['pending', 'expired']);
        expectAudit(later.h, posted, target, action, [
          ['pending', REQUESTER],
          ...auditLines(later.h, posted.requestId)
            .filter(({ line }) => line.transition === 'expired')
            .map(({ line }): [string, string | undefined] => ['expired', line.actor]),
        ]);
      }
    } finally {
      await later.h.close();
    }
  });

  it('the worker’s transitions (approved → queued → running) are audited too, once each', async () => {
    const posted = await makeRequest(h, 'deactivate', SEED_IDS.alice);
    await approveBy(h, posted, A);
    await finished(h, posted.requestId);
    const transitions = auditLines(h, posted.requestId).map(({ line }) => line.transition);
    expect(transitions.filter((t) => t === 'queued')).toHaveLength(1);
    expect(transitions.filter((t) => t === 'running')).toHaveLength(1);
    expectAudit(h, posted, ALICE, 'deactivate', [
      ['pending', REQUESTER],
      ['approved', A],
      ['succeeded', undefined],
    ]);
  });
});
