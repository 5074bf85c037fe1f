import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SEED_IDS } from '../fakes/cipherscale/seed.js';
import { visibleText } from '../helpers/blocks-text.js';
import { approveBy, makeRequest, type PostedRequest } from '../helpers/flows.js';
import { APPROVERS, type Harness, startHarness } from '../helpers/harness.js';
import { eventually } from '../helpers/poll.js';

// Slack failing or rate limiting the bot: the Cipherscale call is never repeated because of it,
// the posts are retried (notify jobs), and the state in Redis stays the source of truth.
const [A] = APPROVERS;
let h: Harness;

beforeAll(async () => {
  h = await startHarness({ processBeforeResponse: true });
});
afterAll(async () => {
  await h.close();
});
beforeEach(() => {
  h.slack.reset();
  h.cipher.reset();
});

const notes = (posted: PostedRequest, pattern: RegExp) =>
  h.slack
    .callsTo('chat.postMessage')
    .filter((c) => c.args.thread_ts === posted.ts && pattern.test(visibleText(c.args.blocks)));

describe('Slack misbehaving', () => {
  it('the outcome post rate-limited twice: posted once later, the API called once', async () => {
    const posted = await makeRequest(h, 'deactivate', SEED_IDS.alice);
    await approveBy(h, posted, A);
    // The click's own posts are done (processBeforeResponse); the next post is the worker's outcome.
    h.slack.failNext('chat.postMessage', { status: 429, retryAfterSec: 1 }, 2);
    // Marked posted only once Slack took the post (after backoff, in a notify job).
    const request = await eventually(async () => {
      const r = await h.runtime.ctx.store.get(posted.requestId);
      return r?.outcomePosted ? r : undefined;
    }, 15_000);
    expect(request.state).toBe('succeeded');
    expect(h.cipher.callsTo('deactivateUser')).toHaveLength(1);
    const tries = notes(posted, /Succeeded/);
    expect(tries.filter((c) => c.response?.ok === true)).toHaveLength(1);
    expect(tries.filter((c) => c.response?.ok !== true)).toHaveLength(2);
  });

  it("a click's message update failing is retried in the background; the approval stands", async () => {
    const posted = await makeRequest(h, 'delete', SEED_IDS.pending);
    h.slack.failNext('chat.update', { error: 'internal_error' });
    await approveBy(h, posted, A);
    expect((await h.runtime.ctx.store.get(posted.requestId))?.approvals.map((a) => a.userId)).toEqual([A]);
    await h.slack.waitFor(
      (c) =>
        c.method === 'chat.postMessage' &&
        c.args.thread_ts === posted.ts &&
        /Approved by/.test(visibleText(c.args.blocks)),
      { timeoutMs: 10_000 },
    );
    const updates = h.slack.callsTo('chat.update').filter((c) => c.args.ts === posted.ts && c.response?.ok);
    expect(visibleText(updates.at(-1)?.args.blocks)).toContain('1/2');
  });
});
