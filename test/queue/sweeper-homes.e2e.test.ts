import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Keys } from '../../src/keys.js';
import { APPROVERS, type Harness, startHarness } from '../helpers/harness.js';
import { type WatchedQueue, watchQueue } from '../helpers/job-queue.js';
import { until } from '../helpers/poll.js';

// The sweeper completes App Home refreshes a process left recorded without their job. A harness of its own, so
// no other test's leftover work (a summary retried against a fake that forgot its message) holds the sweep up.
const [A] = APPROVERS;
let h: Harness;
let jobs: WatchedQueue;

beforeAll(async () => {
  h = await startHarness({
    processBeforeResponse: true,
    env: { SWEEP_INTERVAL_MS: '200', SWEEP_GRACE_MS: '300' },
  });
  jobs = watchQueue(h);
});
afterAll(async () => {
  await jobs.close();
  await h.close();
});

describe('App Homes left without their refresh job', () => {
  it('a Home a rate tier put off, by a process that died before adding its job, is published by the sweep', async () => {
    const keys = new Keys(h.config.redis.prefix);
    // What a dying process leaves: the put-off Home recorded, no home job in the queue (none is pending in a
    // fresh harness; checked, so that no normal job could be the one publishing it).
    await until(
      'no home job left to run',
      async () =>
        (await jobs.queue.getJobs(['delayed', 'waiting', 'active', 'prioritized'])).filter(
          (j) => j.name === 'home',
        ),
      (jobs) => jobs.length === 0,
      10_000,
    );
    await jobs.redis.hset(keys.homeDeferred, A, '1');
    // The next sweep (every 200 ms here) adds the job; the job waits its 1-s window, then publishes.
    const [published] = await h.slack.waitFor((c) => c.method === 'views.publish' && c.args.user_id === A, {
      timeoutMs: 10_000,
    });
    expect(published?.args.view).toMatchObject({ type: 'home' });
    await until(
      'the put-off Home to be taken',
      () => jobs.redis.hlen(keys.homeDeferred),
      (n) => n === 0,
    );
  });
});
