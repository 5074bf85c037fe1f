import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CALLBACK_IDS } from '../../src/blocks/ids.js';
import { visibleText } from '../helpers/blocks-text.js';
import {
  approvalPosted,
  approveBy,
  mark,
  type PostedRequest,
  submit,
  threadNotes,
  viewShown,
} from '../helpers/flows.js';
import { APPROVERS, type Harness, startHarness } from '../helpers/harness.js';
import { makeUsers } from '../helpers/make-users.js';
import { until } from '../helpers/poll.js';
import { FAILOVER_JOB_ENV, type SentinelSet, startSentinelSet } from '../helpers/redis-ha.js';

// A bulk deactivation of 200 users at a fixed rate on a Sentinel set; the primary is killed (SIGKILL)
// half-way through. The batch must finish on the replica that takes over, with one change call per
// user at Cipherscale and a summary that says what Cipherscale saw.

const [A] = APPROVERS;
const RATE = 60;
const USERS = 200;
let set: SentinelSet;
let h: Harness;

beforeAll(async () => {
  set = await startSentinelSet();
  h = await startHarness({
    processBeforeResponse: true,
    env: {
      ...set.env,
      CIPHERSCALE_RATE_LIMIT_PER_SECOND: String(RATE),
      ...FAILOVER_JOB_ENV,
    },
  });
}, 30_000);
afterAll(async () => {
  await h?.close();
  await set?.stop();
});

const summaryText = (posted: PostedRequest): string => {
  const first = threadNotes(h, posted).find((c) => /\d+\/\d+ done/.test(visibleText(c.args.blocks)));
  const ts = first?.response?.ts;
  const updates = h.slack.callsTo('chat.update').filter((c) => ts !== undefined && c.args.ts === ts);
  return visibleText((updates.at(-1) ?? first)?.args.blocks);
};

describe('the primary dies half-way through a bulk run', () => {
  it('the batch finishes: one change call per user, and the summary matches Cipherscale', async () => {
    const users = makeUsers(USERS, 'dddddddd');
    for (const user of users) h.cipher.setUser(user);
    const ids = users.map((u) => u.id);
    const start = mark(h);
    await h.command(`deactivate ${ids.join(' ')} -- compromised SSO tenant`);
    const review = await viewShown(h, CALLBACK_IDS.bulkReview, start);
    expect((await submit(h, review, {})).text).toBe('');
    const posted = await approvalPosted(h, start);
    // Each call takes a moment, so some are in flight when the primary dies.
    h.cipher.setLatency(40);
    h.cipher.calls.length = 0;

    expect((await approveBy(h, posted, A)).status).toBe(200);
    await h.cipher.waitForCalls((c) => c.operation === 'deactivateUser', {
      count: USERS / 2,
      timeoutMs: 20_000,
    });
    const from = set.primary.port;
    await set.primary.kill();
    await set.failedOver(from);

    const request = await until(
      'the batch to finish and its report to be posted',
      () => h.runtime.ctx.store.get(posted.requestId).catch(() => undefined),
      (r) => r?.outcomePosted === true,
      30_000,
    );
    expect(request?.state).toBe('succeeded');

    // Exactly one change call per user (no duplicate, none missing), every one of them inactive.
    const patches = h.cipher.callsTo('deactivateUser');
    for (const id of ids) expect(patches.filter((c) => c.userId === id).length, id).toBe(1);
    expect(patches).toHaveLength(USERS);
    for (const id of ids) expect(h.cipher.getUser(id)?.status, id).toBe('inactive');

    // The summary's numbers are the fake's: every user deactivated by this run (none was inactive before
    // it: a user whose outcome the dead primary lost is re-read inactive, but that was this run's call).
    expect(summaryText(posted)).toMatch(new RegExp(`^${USERS}/${USERS} done · 0 failed$`, 'm'));
  }, 60_000);
});
