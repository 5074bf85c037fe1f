import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { appKeyPrefix, bullKeyPrefix } from '../../src/config.js';
import { SEED_IDS } from '../fakes/cipherscale/seed.js';
import { FakeCipherscale } from '../fakes/cipherscale/server.js';
import { FakeSlack } from '../fakes/slack/server.js';
import { type AppProcess, killAll, startAppProcess } from '../helpers/app-process.js';
import { visibleText } from '../helpers/blocks-text.js';
import { approveBy, type PostedRequest } from '../helpers/flows.js';
import { APPROVERS, type Harness, startHarness } from '../helpers/harness.js';
import { until } from '../helpers/poll.js';
import { scheduleRequest } from '../helpers/schedule.js';

// A scheduled change outlives the process that approved it: its start job waits in Redis, and whichever
// process runs then (a restart, another replica) starts it at its time, once.
const [A] = APPROVERS;
const DAY = 24 * 3600_000;
let slack: FakeSlack;
let cipher: FakeCipherscale;
let redis: Redis;
let prefix: string;
let offset = 0;
const clock = () => Date.now() + offset;
const running: AppProcess[] = [];

beforeAll(async () => {
  slack = await FakeSlack.start();
  cipher = await FakeCipherscale.start();
  redis = new Redis(inject('redisUrl'));
});
afterAll(async () => {
  await killAll(running);
  await Promise.all([slack.close(), cipher.close()]);
  redis.disconnect();
});
beforeEach(() => {
  offset = 0;
  slack.reset();
  cipher.reset();
  prefix = `test-sched-${randomBytes(5).toString('hex')}`;
});

const startJob = async (requestId: string) => {
  const queue = new Queue('requests', { connection: redis, prefix: bullKeyPrefix(prefix) });
  try {
    return {
      job: await queue.getJob(`start-${requestId}`),
      state: await queue.getJobState(`start-${requestId}`),
    };
  } finally {
    await queue.close();
  }
};
const outcomeNotes = (posted: PostedRequest) =>
  slack
    .callsTo('chat.postMessage')
    .filter((c) => c.args.thread_ts === posted.ts && /Succeeded|Failed/.test(visibleText(c.args.blocks)));

/** A harness on this test's prefix, the shared fakes and the injected clock; its keys outlive it. */
const app = (): Promise<Harness> =>
  startHarness({ processBeforeResponse: true, slack, cipher, keyPrefix: prefix, now: clock });

/** Made and approved by the first process, which then stops while the change waits. */
async function approvedThenStopped(runAt: number): Promise<PostedRequest> {
  const first = await app();
  try {
    const posted = await scheduleRequest(first, 'deactivate', SEED_IDS.alice, runAt);
    await approveBy(first, posted, A);
    await until(
      'the start job',
      async () => (await startJob(posted.requestId)).state,
      (s) => s === 'delayed',
    );
    return posted;
  } finally {
    await first.close();
  }
}

describe('a scheduled change across a restart', () => {
  it('a new runtime on the same Redis runs it at its time, exactly once', async () => {
    const runAt = clock() + DAY;
    const posted = await approvedThenStopped(runAt);
    const second = await app();
    try {
      expect((await second.runtime.ctx.store.get(posted.requestId))?.state).toBe('approved');
      offset = DAY + 1000;
      await (await startJob(posted.requestId)).job?.promote();
      await until(
        'the outcome note',
        async () => outcomeNotes(posted),
        (n) => n.length > 0,
      );
      await until(
        'the start job to end',
        async () => (await startJob(posted.requestId)).state,
        (s) => s === 'completed',
      );
      expect((await second.runtime.ctx.store.get(posted.requestId))?.state).toBe('succeeded');
      expect(cipher.callsTo('deactivateUser', SEED_IDS.alice)).toHaveLength(1);
      expect(outcomeNotes(posted)).toHaveLength(1);
    } finally {
      await second.close();
      await dropKeys();
    }
  });

  it('a child process started after the stop runs it at its time (real clock), once', async () => {
    // A whole second: Slack's date-time picker carries seconds, so a time in ms would be stored earlier.
    const runAt = Math.ceil((Date.now() + 4000) / 1000) * 1000;
    const posted = await approvedThenStopped(runAt);
    expect(cipher.callsTo('deactivateUser')).toHaveLength(0);
    const child = await startAppProcess({
      SLACK_BOT_TOKEN: slack.botToken,
      SLACK_SIGNING_SECRET: 'not-used-by-this-test',
      SLACK_API_URL: slack.apiUrl,
      CIPHERSCALE_API_URL: cipher.url,
      CIPHERSCALE_API_TOKEN: cipher.token,
      REDIS_URL: inject('redisUrl'),
      REDIS_KEY_PREFIX: prefix,
      APPROVER_USER_IDS: APPROVERS.join(','),
      JOB_BACKOFF_MS: '20',
      LOG_LEVEL: 'info',
    });
    running.push(child);
    try {
      await until(
        'the outcome note',
        async () => outcomeNotes(posted),
        (n) => n.length > 0,
        20_000,
      );
      // Not before its time.
      const call = cipher.callsTo('deactivateUser', SEED_IDS.alice);
      expect(call).toHaveLength(1);
      expect(call[0]?.at ?? 0).toBeGreaterThanOrEqual(runAt);
      await until(
        'the start job to end',
        async () => (await startJob(posted.requestId)).state,
        (s) => s === 'completed',
      );
      expect(cipher.callsTo('deactivateUser')).toHaveLength(1);
      expect(outcomeNotes(posted)).toHaveLength(1);
    } finally {
      await killAll(running.splice(0));
      await dropKeys();
    }
  });
});

async function dropKeys(): Promise<void> {
  for (const pattern of [`${appKeyPrefix(prefix)}*`, `${bullKeyPrefix(prefix)}:*`]) {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await redis.del(...keys);
    } while (cursor !== '0');
  }
}
