import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CALLBACK_IDS } from '../../src/blocks/ids.js';
import { visibleText } from '../helpers/blocks-text.js';
import { approvalPosted, approveBy, mark, submit, threadNotes, viewShown } from '../helpers/flows.js';
import { APPROVERS, type Harness, startHarness } from '../helpers/harness.js';
import { type WatchedQueue, watchQueue } from '../helpers/job-queue.js';
import { makeUsers } from '../helpers/make-users.js';
import { until } from '../helpers/poll.js';

// A batch that finished in a Slack outage: its final summary is the batch job's (or the sweeper's) to post.
// A progress refresh retried through the outage that runs once Slack is back must not post a summary of
// its own: two would race, and the channel would show "Finished" twice (one then deleted).
const [A] = APPROVERS;
let h: Harness;
let jobs: WatchedQueue;

beforeAll(async () => {
  // The sweeper looks late (default grace): nothing but the jobs below posts here.
  h = await startHarness({
    processBeforeResponse: true,
    env: { NOTIFY_ATTEMPTS: '2', NOTIFY_BACKOFF_MS: '20' },
  });
  jobs = watchQueue(h);
});
afterAll(async () => {
  await jobs.close();
  await h.close();
});

describe('a progress refresh after the batch finished', () => {
  it('posts nothing: the finished batch waits for its own final post, which is the only summary', async () => {
    const users = makeUsers(3, 'dededede');
    for (const user of users) h.cipher.setUser(user);
    const start = mark(h);
    await h.command(`deactivate ${users.map((u) => u.id).join(' ')} -- outage drill`);
    const review = await viewShown(h, CALLBACK_IDS.bulkReview, start);
    await submit(h, review, {});
    const posted = await approvalPosted(h, start);

    h.slack.failUntilRecovered('chat.postMessage', { error: 'internal_error' });
    h.slack.failUntilRecovered('chat.update', { error: 'internal_error' });
    await approveBy(h, posted, A);
    await until(
      'the batch job to give up',
      () => jobs.jobState(`batch-${posted.requestId}`),
      (s) => s === 'failed',
      20_000,
    );
    const stored = await h.runtime.ctx.store.get(posted.requestId);
    expect(stored).toMatchObject({ state: 'succeeded' });
    expect(stored?.summaryTs).toBeUndefined();
    h.slack.recover('chat.postMessage');
    h.slack.recover('chat.update');

    // The late refresh, as a retried `summary` job brings it: run it, and wait until no summary job is left
    // to run and one has finished since.
    const since = Date.now();
    await h.runtime.ctx.producer.scheduleSummary(posted.requestId);
    const summaries = async () => ({
      pending: (await jobs.queue.getJobs(['delayed', 'waiting', 'active'])).filter(
        (j) => j.name === 'summary',
      ),
      done: (await jobs.queue.getJobs(['completed', 'failed'])).filter(
        (j) => j.name === 'summary' && (j.finishedOn ?? 0) >= since,
      ),
    });
    await until(
      'the summary jobs to have run',
      summaries,
      ({ pending, done }) => pending.length === 0 && done.length > 0,
      10_000,
    );
    const finished = threadNotes(h, posted).filter(
      (c) => c.response?.ok === true && /Finished/.test(visibleText(c.args.blocks)),
    );
    expect(finished).toEqual([]);
    expect(h.slack.callsTo('chat.delete')).toEqual([]);
    expect((await h.runtime.ctx.store.get(posted.requestId))?.summaryTs).toBeUndefined();
  });
});
