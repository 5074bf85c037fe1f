import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SlackNotifier } from '../../src/slack/outbound/notifier.js';
import { SEED_IDS } from '../fakes/cipherscale/seed.js';
import { makeRequest } from '../helpers/flows.js';
import { APPROVERS, type Harness, REQUESTER, startHarness } from '../helpers/harness.js';

// One process's renders of a request, as a late retry or a catch-up render brings them in any order: the
// message never goes back to an older state, and a state already shown is not sent again (its thread note is).
const [A] = APPROVERS;
let h: Harness;
beforeAll(async () => {
  h = await startHarness({ processBeforeResponse: true });
});
afterAll(async () => {
  await h.close();
});

describe('a notifier shows each version once, never an older one after a newer', () => {
  it('the newer state first, the older late: one chat.update; the same state twice: one chat.update, both notes', async () => {
    const posted = await makeRequest(h, 'deactivate', SEED_IDS.alice);
    const { store, homes } = h.runtime.ctx;
    const pending = await store.get(posted.requestId);
    const cancelled = await store.cancel(posted.requestId, REQUESTER, Date.now());
    if (!pending || cancelled.outcome !== 'cancelled') throw new Error('setup: cancel failed');
    const notifier = new SlackNotifier(
      store,
      new WebClient(h.slack.botToken, { slackApiUrl: h.slack.apiUrl, retryConfig: { retries: 0 } }),
      homes,
      h.runtime.logger,
    );
    const updates = () => h.slack.callsTo('chat.update').filter((c) => c.args.ts === posted.ts);
    const before = updates().length;
    const notes = () => h.slack.callsTo('chat.postMessage').filter((c) => c.args.thread_ts === posted.ts);
    const notesBefore = notes().length;

    expect(await notifier.transitioned(cancelled.request, { kind: 'cancelled', by: REQUESTER })).toEqual({
      ok: true,
    });
    // A retry of the pending render, late: the message stays cancelled.
    expect(await notifier.transitioned(pending)).toEqual({ ok: true });
    // The cancelled state again (another path reaching it): not sent twice; its note still is.
    expect(await notifier.transitioned(cancelled.request, { kind: 'cancelled', by: A ?? '' })).toEqual({
      ok: true,
    });

    const sent = updates().slice(before);
    expect(sent.map((c) => String(c.args.text))).toEqual([expect.stringMatching(/— cancelled$/)]);
    expect(notes().length - notesBefore).toBe(2);
  });
});
