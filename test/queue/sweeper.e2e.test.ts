import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RequestStore } from '../../src/approvals/store/store.js';
import { CALLBACK_IDS } from '../../src/blocks/ids.js';
import { QUEUE_NAME } from '../../src/queue/registry.js';
import { SEED_IDS } from '../fakes/cipherscale/seed.js';
import { visibleText } from '../helpers/blocks-text.js';
import {
  approvalPosted,
  approveBy,
  makeRequest,
  mark,
  type PostedRequest,
  submit,
  threadNotes,
  viewShown,
} from '../helpers/flows.js';
import { APPROVERS, type Harness, REQUESTER, startHarness } from '../helpers/harness.js';
import { type WatchedQueue, watchQueue } from '../helpers/job-queue.js';
import { makeUsers } from '../helpers/make-users.js';
import { until } from '../helpers/poll.js';

// Whatever a process, Redis or Slack left undone between two steps, the sweeper finds and completes
// once: here it runs every 200 ms and looks at a request 300 ms after it entered its state.
const [A] = APPROVERS;
const SWEEP_ENV = {
  SWEEP_INTERVAL_MS: '200',
  SWEEP_GRACE_MS: '300',
  NOTIFY_ATTEMPTS: '2',
  NOTIFY_BACKOFF_MS: '20',
};
const DAY = 86_400_000;

let h: Harness;
let jobs: WatchedQueue;
let clockOffset = 0;

beforeAll(async () => {
  h = await startHarness({
    processBeforeResponse: true,
    env: SWEEP_ENV,
    now: () => Date.now() + clockOffset,
  });
  jobs = watchQueue(h);
});
afterAll(async () => {
  await jobs.close();
  await h.close();
});
beforeEach(() => {
  h.slack.reset();
  h.cipher.reset();
});
afterEach(() => {
  clockOffset = 0;
});

type Line = Record<string, unknown>;
const auditLines = (harness: Harness, requestId: string, transition?: string): Line[] =>
  harness.logs
    .map((l) => JSON.parse(l) as Line)
    .filter((l) => l.audit === true && l.requestId === requestId)
    .filter((l) => transition === undefined || l.transition === transition);

/** The sweeper writes its audit line just after the change it reports: wait for it, then count. */
const swept = async (harness: Harness, requestId: string, transition: string) => {
  await until(
    `the sweeper's ${transition} line`,
    async () => auditLines(harness, requestId, transition),
    (lines) => lines.some((l) => l.actor === 'sweeper'),
  );
  return auditLines(harness, requestId, transition);
};

const notes = (posted: PostedRequest, pattern: RegExp) =>
  threadNotes(h, posted).filter((c) => c.response?.ok === true && pattern.test(visibleText(c.args.blocks)));

const settled = (requestId: string, state: string, timeoutMs = 15_000) =>
  until(
    `${requestId} to be ${state} with its outcome posted`,
    () => h.runtime.ctx.store.get(requestId),
    (r) => r?.state === state && r.outcomePosted === true,
    timeoutMs,
  );

const jobState = (jobId: string) => jobs.jobState(jobId);

describe('approved, queued or running without a live job', () => {
  it('an approved request whose job never reached Redis, behind 1100 older open requests, is queued and run once', async () => {
    // A store of the test's own: the app's connection gives up on a command after 1 s.
    const store = new RequestStore({
      redis: jobs.redis,
      prefix: h.config.redis.prefix,
      retentionMs: DAY,
    });
    const old = Date.now() - DAY;
    const older: string[] = [];
    for (let chunk = 0; chunk < 11; chunk++) {
      const made = await Promise.all(
        Array.from({ length: 100 }, (_, i) =>
          store.create({
            id: store.newId(),
            action: 'deactivate',
            target: { id: SEED_IDS.inactive, status: 'inactive', isOwner: false },
            changes: undefined,
            reason: 'older',
            requesterId: REQUESTER,
            channelId: 'C0OLDER',
            requiredApprovals: 1,
            createdAt: old + chunk * 100 + i,
            expiresAt: Date.now() + DAY,
          }),
        ),
      );
      older.push(...made.map((r) => r.id));
    }

    const posted = await makeRequest(h, 'deactivate', SEED_IDS.alice);
    // Quorum recorded, then the process died before adding the job.
    expect((await store.approve(posted.requestId, A, h.runtime.ctx.now())).outcome).toBe('quorum');

    const done = await settled(posted.requestId, 'succeeded');
    expect(done?.outcome?.code).toBe('done');
    expect(h.cipher.callsTo('deactivateUser', SEED_IDS.alice)).toHaveLength(1);
    expect(notes(posted, /Succeeded/)).toHaveLength(1);
    expect(auditLines(h, posted.requestId, 'queued')).toEqual([
      expect.objectContaining({ actor: 'sweeper' }),
    ]);
    for (const id of older) await store.delete(id);
  });

  it('a queued request whose job was removed is re-queued and run once', async () => {
    const store = h.runtime.ctx.store;
    const posted = await makeRequest(h, 'deactivate', SEED_IDS.minimal);
    await store.approve(posted.requestId, A, h.runtime.ctx.now());
    // Queued, and then its job's keys went (as after a Redis restore, or a job removed by hand).
    expect((await store.transition(posted.requestId, ['approved'], 'queued')).ok).toBe(true);
    expect(await jobState(posted.requestId)).toBe('missing');

    await settled(posted.requestId, 'succeeded');
    expect(h.cipher.callsTo('deactivateUser', SEED_IDS.minimal)).toHaveLength(1);
    expect(notes(posted, /Succeeded/)).toHaveLength(1);
    expect(auditLines(h, posted.requestId, 'requeued')).toEqual([
      expect.objectContaining({ actor: 'sweeper' }),
    ]);
  });

  it('a running request whose job failed for good without recording anything is recorded failed and posted once', async () => {
    const store = h.runtime.ctx.store;
    const posted = await makeRequest(h, 'deactivate', SEED_IDS.manyDevices);
    await store.approve(posted.requestId, A, h.runtime.ctx.now());
    await store.transition(posted.requestId, ['approved'], 'queued');
    await store.transition(posted.requestId, ['queued'], 'running');
    // Redis trouble: the record cannot be read, so every attempt and the failed handler give up.
    const key = `${h.config.redis.prefix}request:${posted.requestId}`;
    await jobs.redis.hset(key, 'attempts', 'unreadable');
    await h.runtime.ctx.producer.execute(posted.requestId);
    await until(
      'the job to fail for good',
      () => jobState(posted.requestId),
      (s) => s === 'failed',
    );
    expect((await jobs.redis.hget(key, 'state')) ?? '').toBe('running');
    await jobs.redis.hset(key, 'attempts', '0');

    const failed = await settled(posted.requestId, 'failed');
    expect(failed?.outcome?.code).toBe('internal_error');
    expect(h.cipher.callsTo('deactivateUser', SEED_IDS.manyDevices)).toHaveLength(0);
    expect(notes(posted, /Failed/)).toHaveLength(1);
    expect(auditLines(h, posted.requestId, 'failed')).toEqual([
      expect.objectContaining({ actor: 'sweeper', outcome: 'internal_error' }),
    ]);
  });
});

describe('pending requests', () => {
  it('jobs Redis refused at creation are added later; the request was audited as created anyway', async () => {
    const delayed = `${h.config.redis.bullPrefix}:${QUEUE_NAME}:delayed`;
    const aside = `${delayed}:aside`;
    const had = (await jobs.redis.exists(delayed)) === 1;
    if (had) await jobs.redis.rename(delayed, aside);
    await jobs.redis.set(delayed, 'not a sorted set'); // every delayed add now fails (WRONGTYPE)
    let posted: PostedRequest;
    try {
      posted = await makeRequest(h, 'deactivate', SEED_IDS.hostile);
    } finally {
      await jobs.redis.del(delayed);
      if (had) await jobs.redis.rename(aside, delayed);
    }
    expect(auditLines(h, posted.requestId, 'pending')).toHaveLength(1);

    await until(
      'the expiry and the reminder to be queued',
      async () => [
        await jobState(`expire-${posted.requestId}`),
        await jobState(`remind-${posted.requestId}`),
      ],
      (states) => states.every((s) => s === 'delayed'),
    );
    expect(await swept(h, posted.requestId, 'jobs-restored')).toEqual([
      expect.objectContaining({ actor: 'sweeper', outcome: 'expire,remind' }),
    ]);
  });

  it('a pending request whose expiry job is gone expires at its deadline, with one note in its thread', async () => {
    const posted = await makeRequest(h, 'delete', SEED_IDS.oddShapes);
    await (await jobs.queue.getJob(`expire-${posted.requestId}`))?.remove();
    expect(await jobState(`expire-${posted.requestId}`)).toBe('missing');
    clockOffset = DAY + 60_000;

    await until(
      'the request to expire',
      () => h.runtime.ctx.store.get(posted.requestId),
      (r) => r?.state === 'expired',
    );
    await until(
      'the expiry note',
      async () => notes(posted, /Expired/),
      (found) => found.length > 0,
    );
    expect(notes(posted, /Expired/)).toHaveLength(1);
    expect(auditLines(h, posted.requestId, 'expired')).toHaveLength(1);
  });
});

describe('finished without its outcome posted', () => {
  it('an outcome whose retries ran out in a Slack outage is posted once when Slack is back; the API is called once', async () => {
    const posted = await makeRequest(h, 'deactivate', SEED_IDS.alice);
    h.slack.failUntilRecovered('chat.postMessage', { status: 503 });
    h.slack.failUntilRecovered('chat.update', { status: 503 });
    await approveBy(h, posted, A);
    const retry = `notify-${posted.requestId}-succeeded`;
    await until(
      'the outcome retries to run out',
      () => jobState(retry),
      (s) => s === 'failed',
    );
    expect((await h.runtime.ctx.store.get(posted.requestId))?.outcomePosted).toBeUndefined();

    h.slack.recover('chat.postMessage');
    h.slack.recover('chat.update');
    await settled(posted.requestId, 'succeeded');
    expect(notes(posted, /Succeeded/)).toHaveLength(1);
    expect(h.cipher.callsTo('deactivateUser', SEED_IDS.alice)).toHaveLength(1);
    expect(await swept(h, posted.requestId, 'outcome-posted')).toEqual([
      expect.objectContaining({ actor: 'sweeper' }),
    ]);
  });

  it("a bulk request's summary and per-user report are posted once, after a Slack outage longer than its job's attempts", async () => {
    const users = makeUsers(3, 'cccccccc');
    for (const user of users) h.cipher.setUser(user);
    const start = mark(h);
    await h.command(`deactivate ${users.map((u) => u.id).join(' ')} -- outage drill`);
    const review = await viewShown(h, CALLBACK_IDS.bulkReview, start);
    expect((await submit(h, review, {})).text).toBe('');
    const posted = await approvalPosted(h, start);

    h.slack.failUntilRecovered('chat.postMessage', { error: 'internal_error' });
    h.slack.failUntilRecovered('chat.update', { error: 'internal_error' });
    await approveBy(h, posted, A);
    await until(
      'the batch job to give up',
      () => jobState(`batch-${posted.requestId}`),
      (s) => s === 'failed',
      20_000,
    );
    const stored = await h.runtime.ctx.store.get(posted.requestId);
    expect(stored?.state).toBe('succeeded');
    expect(stored?.outcomePosted).toBeUndefined();
    expect(h.cipher.callsTo('deactivateUser')).toHaveLength(3);

    h.slack.recover('chat.postMessage');
    h.slack.recover('chat.update');
    await settled(posted.requestId, 'succeeded');
    expect(notes(posted, /Finished/)).toHaveLength(1);
    const report = notes(posted, /Results 1\/1/);
    expect(report).toHaveLength(1);
    for (const user of users)
      expect(visibleText(report[0]?.args.blocks)).toContain(`User${users.indexOf(user)}`);
    expect(h.cipher.callsTo('deactivateUser')).toHaveLength(3);
    expect(await swept(h, posted.requestId, 'outcome-posted')).toEqual([
      expect.objectContaining({ actor: 'sweeper' }),
    ]);
  });
});

describe('two replicas, two sweepers', () => {
  it('each thing left undone is completed once: one job, one API call, one post', async () => {
    const other = await startHarness({
      processBeforeResponse: true,
      env: SWEEP_ENV,
      keyPrefix: h.config.redisKeyPrefix,
      slack: h.slack,
      cipher: h.cipher,
    });
    try {
      const store = h.runtime.ctx.store;
      const lost = await makeRequest(h, 'deactivate', SEED_IDS.alice);
      await store.approve(lost.requestId, A, h.runtime.ctx.now());

      // Finished, but the process died before posting the outcome (and queued no retry).
      const unposted = await makeRequest(h, 'deactivate', SEED_IDS.minimal);
      await store.approve(unposted.requestId, A, h.runtime.ctx.now());
      await store.transition(unposted.requestId, ['approved'], 'queued');
      await store.transition(unposted.requestId, ['queued'], 'running', { incrementAttempts: true });
      await store.transition(unposted.requestId, ['running'], 'succeeded', {
        outcome: { ok: true, code: 'done', summary: 'Deactivated.', attempts: 1, at: Date.now() },
      });

      await settled(lost.requestId, 'succeeded');
      await settled(unposted.requestId, 'succeeded');
      expect(h.cipher.callsTo('deactivateUser', SEED_IDS.alice)).toHaveLength(1);
      expect(h.cipher.callsTo('deactivateUser', SEED_IDS.minimal)).toHaveLength(0);
      expect(notes(lost, /Succeeded/)).toHaveLength(1);
      expect(notes(unposted, /Succeeded/)).toHaveLength(1);
      const both = (id: string, transition: string) => [
        ...auditLines(h, id, transition),
        ...auditLines(other, id, transition),
      ];
      expect(both(lost.requestId, 'queued')).toHaveLength(1);
      await until(
        "the sweeper's outcome-posted line",
        async () => both(unposted.requestId, 'outcome-posted'),
        (lines) => lines.length > 0,
      );
      expect(both(unposted.requestId, 'outcome-posted')).toHaveLength(1);
    } finally {
      await other.close();
    }
  });
});
