import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CALLBACK_IDS } from '../../src/blocks/ids.js';
import type { SlackCall } from '../fakes/slack/server.js';
import { mark, viewShown } from '../helpers/flows.js';
import { type Harness, startHarness } from '../helpers/harness.js';
import { makeUsers } from '../helpers/make-users.js';
import { until } from '../helpers/poll.js';

// Slack answers a views.update when it answers: a slow progress update must not land after the review.

let h: Harness;
beforeAll(async () => {
  // 20 reads a second: 60 users take about 3 s, so the Checking… modal shows progress on the way.
  h = await startHarness({ processBeforeResponse: true, env: { CIPHERSCALE_RATE_LIMIT_PER_SECOND: '20' } });
});
afterAll(async () => {
  await h.close();
});
beforeEach(() => {
  h.slack.reset();
  h.cipher.reset();
});

const isProgress = (c: SlackCall) =>
  c.method === 'views.update' && JSON.stringify(c.args.view ?? {}).includes('Checking');

describe('the bulk review and its progress', () => {
  it('a progress update Slack answers late does not replace the review: the modal ends on the review with its Submit', async () => {
    const users = makeUsers(60, 'b0b0b0b0');
    for (const user of users) h.cipher.setUser(user);
    // Every progress update takes 4 s to be answered (and to take effect), as a slow Slack would.
    const undo = h.slack.delayAnswers(isProgress, 4000);
    try {
      const start = mark(h);
      await h.command(`deactivate ${users.map((u) => u.id).join(' ')} -- offboarding`);
      const [opened] = await h.slack.waitFor('views.open');
      const viewId = String((opened?.response?.view as { id?: string } | undefined)?.id);
      await h.slack.waitFor(isProgress);
      const review = await viewShown(h, CALLBACK_IDS.bulkReview, start);
      expect(review.id).toBe(viewId);
      // Every views.update answered, the slow ones included.
      await until(
        'every views.update to be answered',
        async () => h.slack.callsTo('views.update').filter((c) => !c.response && c.problems.length === 0),
        (open) => open.length === 0,
        15_000,
      );
      const shown = h.slack.viewState(viewId);
      expect(shown?.callback_id).toBe(CALLBACK_IDS.bulkReview);
      expect((shown?.submit as { text?: string } | null)?.text).toBeTruthy();
      // No progress was sent after the review, and none while another update was on its way.
      const updates = h.slack.callsTo('views.update');
      const reviewAt = updates.findIndex(
        (c) => (c.args.view as { callback_id?: string }).callback_id === CALLBACK_IDS.bulkReview,
      );
      expect(updates.slice(reviewAt + 1).filter(isProgress)).toEqual([]);
      const progress = updates.filter(isProgress);
      for (const [i, call] of progress.entries()) {
        const next = progress[i + 1];
        if (next)
          expect(next.at, 'a progress sent before the previous one was answered').toBeGreaterThanOrEqual(
            call.at + 4000,
          );
      }
    } finally {
      undo();
    }
  });

  it('each update carries the hash of the previous answer, so a view changed meanwhile is not overwritten by progress', async () => {
    const users = makeUsers(60, 'b1b1b1b1');
    for (const user of users) h.cipher.setUser(user);
    const start = mark(h);
    await h.command(`deactivate ${users.map((u) => u.id).join(' ')} -- offboarding`);
    const [opened] = await h.slack.waitFor('views.open');
    const openedView = opened?.response?.view as { id?: string; hash?: string } | undefined;
    await viewShown(h, CALLBACK_IDS.bulkReview, start);
    const updates = h.slack.callsTo('views.update').filter((c) => c.args.view_id === openedView?.id);
    expect(updates.length).toBeGreaterThan(1);
    expect(updates[0]?.args.hash).toBe(openedView?.hash);
    for (const [i, call] of updates.slice(1).entries()) {
      expect(call.args.hash).toBe((updates[i]?.response?.view as { hash?: string } | undefined)?.hash);
    }
  });
});
