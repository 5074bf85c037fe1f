import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApprovalRequest } from '../../src/approvals/types.js';
import { visibleText } from '../helpers/blocks-text.js';
import { approveBy, makeRequest, type PostedRequest, threadNotes } from '../helpers/flows.js';
import { APPROVERS, type Harness, startHarness } from '../helpers/harness.js';
import { makeUsers } from '../helpers/make-users.js';
import { until } from '../helpers/poll.js';
import { FAILOVER_JOB_ENV, type SentinelSet, startSentinelSet } from '../helpers/redis-ha.js';

// A primary, a replica and three Sentinels; the app follows the primary the Sentinels name. The
// primary is killed (SIGKILL) right after a quorum click was answered: what users were told must
// hold on the replica that takes over.

const [A, B] = APPROVERS;
let set: SentinelSet;
let h: Harness;

beforeAll(async () => {
  set = await startSentinelSet();
  h = await startHarness({
    processBeforeResponse: true,
    env: {
      ...set.env,
      REQUIRED_APPROVALS_DEACTIVATE: '2',
      // Change calls held at the fake for up to 2 s must not time out (and be sent again) meanwhile.
      CIPHERSCALE_TIMEOUT_MS: '5000',
      ...FAILOVER_JOB_ENV,
    },
  });
}, 30_000);
afterAll(async () => {
  await h?.close();
  await set?.stop();
});

/** The stored request, read through the app's own connection (retried while it finds the new primary). */
function stored(posted: PostedRequest, check: (r: ApprovalRequest | undefined) => boolean, label: string) {
  return until(label, () => h.runtime.ctx.store.get(posted.requestId).catch(() => undefined), check, 15_000);
}

const outcomeNotes = (posted: PostedRequest) =>
  threadNotes(h, posted)
    .map((c) => visibleText(c.args.blocks))
    .filter((text) => /\*(Succeeded|Failed)\*/.test(text));

describe('the primary dies right after a quorum click was answered', () => {
  it('keeps every request users were told about; the approved ones run once, the others still can', async () => {
    const users = makeUsers(4, 'feedface');
    for (const user of users) h.cipher.setUser(user);
    const posted: PostedRequest[] = [];
    for (const user of users) posted.push(await makeRequest(h, 'deactivate', user.id));
    const [held, last, half, fresh] = posted as [PostedRequest, PostedRequest, PostedRequest, PostedRequest];
    const [heldUser, lastUser, halfUser, freshUser] = users.map((u) => u.id) as [
      string,
      string,
      string,
      string,
    ];
    for (const p of [held, last, half]) expect((await approveBy(h, p, A)).status).toBe(200);

    // `held` reaches quorum and its change call is still at Cipherscale when the primary dies
    // (mid-call); `last` reaches quorum and the primary dies as its answer comes back (its job still
    // queued, or its call just sent). Both calls answer only once the primary is gone.
    h.cipher.script([{ latencyMs: 2000 }], { operation: 'deactivateUser', userId: heldUser });
    h.cipher.script([{ latencyMs: 500 }], { operation: 'deactivateUser', userId: lastUser });
    expect((await approveBy(h, held, B)).status).toBe(200);
    await h.cipher.waitForCalls((c) => c.operation === 'deactivateUser' && c.userId === heldUser);
    expect((await approveBy(h, last, B)).status).toBe(200);
    const from = set.primary.port;
    await set.primary.kill();
    await set.failedOver(from);

    // Every request anyone was told about is on the new primary, with its approvals.
    for (const p of [held, last])
      await stored(
        p,
        (r) => r?.state === 'succeeded' && r.outcomePosted === true,
        'the approved ones to run',
      );
    expect(
      (await stored(half, (r) => r !== undefined, 'the half-approved one'))?.approvals.map((a) => a.userId),
    ).toEqual([A]);
    expect((await stored(fresh, (r) => r !== undefined, 'the unapproved one'))?.state).toBe('pending');

    // The approved ones ran exactly once: one change call each, one outcome in each thread.
    for (const id of [heldUser, lastUser]) {
      expect(h.cipher.callsTo('deactivateUser', id), id).toHaveLength(1);
      expect(h.cipher.getUser(id)?.status).toBe('inactive');
    }
    for (const p of [held, last]) expect(outcomeNotes(p)).toHaveLength(1);

    // The others can still be approved and run, on the new primary.
    expect((await approveBy(h, half, B)).status).toBe(200);
    for (const by of [A, B]) expect((await approveBy(h, fresh, by)).status).toBe(200);
    for (const p of [half, fresh])
      await stored(p, (r) => r?.state === 'succeeded' && r.outcomePosted === true, 'the others to run');
    for (const id of [halfUser, freshUser])
      expect(h.cipher.callsTo('deactivateUser', id), id).toHaveLength(1);
    for (const p of [half, fresh]) expect(outcomeNotes(p)).toHaveLength(1);
  }, 40_000);
});
