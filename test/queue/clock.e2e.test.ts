import { Queue } from 'bullmq';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SEED_IDS } from '../fakes/cipherscale/seed.js';
import { visibleText } from '../helpers/blocks-text.js';
import { makeRequest, threadNotes } from '../helpers/flows.js';
import { type Harness, startHarness } from '../helpers/harness.js';
import { until } from '../helpers/poll.js';

// One injected clock: the app's idea of "now" jumps ahead, no test waits for real time to pass.
let offset = 0;
let h: Harness;
let requests: Queue | undefined;

/** The requests queue of this harness, to look at and promote its jobs. */
const queue = (): Queue => {
  requests ??= new Queue('requests', {
    connection: h.runtime.redis,
    prefix: h.config.redis.bullPrefix,
  });
  return requests;
};

beforeAll(async () => {
  h = await startHarness({ processBeforeResponse: true, now: () => Date.now() + offset });
});
afterAll(async () => {
  await requests?.close();
  await h.close();
});
beforeEach(() => {
  offset = 0;
  h.slack.reset();
  h.cipher.reset();
});

describe('the injected clock', () => {
  it('drives expiry: a request past its deadline by the app clock expires when its job runs, noted once', async () => {
    const posted = await makeRequest(h, 'deactivate', SEED_IDS.alice);
    const stored = await h.runtime.ctx.store.get(posted.requestId);
    if (!stored) throw new Error('request not stored');

    // Not due yet by the app's clock: the expire path leaves the request pending.
    expect(await h.runtime.ctx.workflow.expire(posted.requestId)).toBe(false);
    expect((await h.runtime.ctx.store.get(posted.requestId))?.state).toBe('pending');

    // The app's clock passes the deadline (real time: a few ms), and the delayed expire job is run now.
    offset = stored.expiresAt - Date.now() + 1000;
    const job = await queue().getJob(`expire-${posted.requestId}`);
    await job?.promote();
    const expired = await until(
      'the request expired by its job',
      () => h.runtime.ctx.store.get(posted.requestId),
      (request) => request?.state === 'expired',
    );
    expect(expired?.state).toBe('expired');
    const notes = await until(
      'the expiry note',
      async () => threadNotes(h, posted).filter((c) => /Expired/.test(visibleText(c.args.blocks))),
      (found) => found.length > 0,
    );
    expect(notes).toHaveLength(1);
    // The audit line carries the app's time, not the machine's.
    const line = h.logs
      .map((raw) => JSON.parse(raw) as Record<string, unknown>)
      .find((l) => l.audit === true && l.requestId === posted.requestId && l.transition === 'expired');
    expect(Date.parse(String(line?.at))).toBeGreaterThanOrEqual(stored.expiresAt);
  });

  it('drives the batch summary schedule: its job id is the next second of the app clock', async () => {
    offset = 10 * 24 * 3600_000;
    const expected = Math.floor((Date.now() + offset) / 1000) + 1;
    await h.runtime.ctx.producer.scheduleSummary('rclockclockclock');
    const q = queue();
    const jobs = await Promise.all(
      [expected, expected + 1].map((s) => q.getJob(`summary-rclockclockclock-${s}`)),
    );
    expect(jobs.some((job) => job !== undefined)).toBe(true);
    await Promise.all(jobs.map((job) => job?.remove().catch(() => undefined)));
  });
});
