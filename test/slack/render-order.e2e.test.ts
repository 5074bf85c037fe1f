import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SEED_IDS } from '../fakes/cipherscale/seed.js';
import type { SlackCall } from '../fakes/slack/server.js';
import { approveBy, makeRequest } from '../helpers/flows.js';
import { APPROVERS, type Harness, startHarness } from '../helpers/harness.js';
import { until } from '../helpers/poll.js';

// Slack answers late: a render still in flight when the request moves on must neither be overtaken
// (an older render landing last) nor make the final state render twice.

let h: Harness;

beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.close();
});
beforeEach(() => {
  h.slack.reset();
  h.cipher.reset();
});

/** Two updates of one message in flight at once: Slack may apply them in either order. */
function overlaps(updates: SlackCall[]): string[] {
  return updates.flatMap((later, i) =>
    updates
      .slice(0, i)
      .filter((earlier) => later.at < (earlier.answeredAt ?? Number.POSITIVE_INFINITY))
      .map((earlier) => `${String(earlier.args.text)} ⟂ ${String(later.args.text)}`),
  );
}

describe('renders of one request while Slack is slow', () => {
  it('the outcome waits for the slow "queued" render, is sent once, after it, and is the message\'s last word', async () => {
    const posted = await makeRequest(h, 'deactivate', SEED_IDS.alice);
    await until(
      'the message linked',
      async () => (await h.runtime.ctx.store.get(posted.requestId))?.messageTs,
      (ts) => ts === posted.ts,
    );
    h.slack.holdAnswers('chat.update');
    await approveBy(h, posted, APPROVERS[0]);
    // The API call is made and the outcome stored while the "queued" render is still unanswered.
    await until(
      'the outcome stored',
      async () => (await h.runtime.ctx.store.get(posted.requestId))?.state,
      (state) => state === 'succeeded',
    );
    expect(h.cipher.calls.some((c) => c.operation === 'deactivateUser')).toBe(true);
    h.slack.releaseAnswers('chat.update');
    await until(
      'the outcome posted',
      async () => (await h.runtime.ctx.store.get(posted.requestId))?.outcomePosted,
      (done) => done === true,
    );
    await h.slack.waitFor((c) => c.method === 'chat.update' && /— succeeded$/.test(String(c.args.text)), {
      answered: true,
    });
    const updates = h.slack.callsTo('chat.update').filter((c) => c.args.ts === posted.ts);
    expect(updates.map((c) => String(c.args.text).replace(/^.*— /, ''))).toEqual(['queued', 'succeeded']);
    expect(overlaps(updates)).toEqual([]);
  });
});
