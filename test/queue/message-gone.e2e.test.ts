import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CALLBACK_IDS } from '../../src/blocks/ids.js';
import { SEED_IDS } from '../fakes/cipherscale/seed.js';
import {
  approvalPosted,
  approveBy,
  makeRequest,
  mark,
  type PostedRequest,
  submit,
  viewShown,
} from '../helpers/flows.js';
import { APPROVERS, type Harness, startHarness } from '../helpers/harness.js';
import { makeUsers } from '../helpers/make-users.js';
import { until } from '../helpers/poll.js';

// A request message deleted in Slack (or its channel archived, the bot removed) can never show the outcome:
// Slack refuses the update for good. The change still runs; the outcome is kept and not retried forever.
const [A] = APPROVERS;
let h: Harness;

beforeAll(async () => {
  h = await startHarness({
    processBeforeResponse: true,
    env: { SWEEP_INTERVAL_MS: '200', SWEEP_GRACE_MS: '300', NOTIFY_ATTEMPTS: '2', NOTIFY_BACKOFF_MS: '20' },
  });
});
afterAll(async () => {
  await h.close();
});

/** Someone deletes the request message in Slack (the fake then answers message_not_found for it). */
async function deleteInSlack(posted: PostedRequest): Promise<void> {
  const deleted = await fetch(`${h.slack.apiUrl}chat.delete`, {
    method: 'POST',
    headers: { authorization: `Bearer ${h.slack.botToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ channel: posted.channel, ts: posted.ts }),
  });
  expect(await deleted.json()).toMatchObject({ ok: true });
}

describe('the request message is gone in Slack', () => {
  it('deleted before the outcome: the change is made once and the outcome is marked done, so no job or sweep retries it', async () => {
    const posted = await makeRequest(h, 'deactivate', SEED_IDS.alice);
    await deleteInSlack(posted);
    await approveBy(h, posted, A);
    const done = await until(
      'the outcome to be settled',
      () => h.runtime.ctx.store.get(posted.requestId),
      (r) => r?.state === 'succeeded' && r.outcomePosted === true,
      10_000,
    );
    expect(done?.outcome).toMatchObject({ ok: true });
    expect(h.cipher.callsTo('deactivateUser', SEED_IDS.alice)).toHaveLength(1);
    // Every update of the gone message was refused; none is sent after the outcome was settled.
    const updates = h.slack.callsTo('chat.update').filter((c) => c.args.ts === posted.ts);
    expect(updates.length).toBeGreaterThan(0);
    for (const u of updates) expect(u.response).toMatchObject({ ok: false, error: 'message_not_found' });
  });

  it('a batch whose message was deleted: every user is changed once and the batch is marked done, not retried', async () => {
    const users = makeUsers(3, 'd1d1d1d1');
    for (const user of users) h.cipher.setUser(user);
    const start = mark(h);
    await h.command(`deactivate ${users.map((u) => u.id).join(' ')} -- leavers`);
    const review = await viewShown(h, CALLBACK_IDS.bulkReview, start);
    await submit(h, review, {});
    const posted = await approvalPosted(h, start);
    await deleteInSlack(posted);
    await approveBy(h, posted, A);
    await until(
      'the batch to be settled',
      () => h.runtime.ctx.store.get(posted.requestId),
      (r) => r?.state === 'succeeded' && r.outcomePosted === true,
      10_000,
    );
    for (const user of users) expect(h.cipher.callsTo('deactivateUser', user.id)).toHaveLength(1);
  });
});
