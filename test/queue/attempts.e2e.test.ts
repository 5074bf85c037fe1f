import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SEED_IDS } from '../fakes/cipherscale/seed.js';
import { visibleText } from '../helpers/blocks-text.js';
import { approveBy, makeRequest } from '../helpers/flows.js';
import { APPROVERS, type Harness, startHarness } from '../helpers/harness.js';

// "N attempts" on the card counts attempts that reached Cipherscale, not job runs that never called it.
const [A] = APPROVERS;
let h: Harness;

beforeAll(async () => {
  h = await startHarness({ processBeforeResponse: true, env: { JOB_ATTEMPTS: '3', JOB_BACKOFF_MS: '20' } });
});
afterAll(async () => {
  await h.close();
});
beforeEach(() => {
  h.slack.reset();
  h.cipher.reset();
});

describe('attempts', () => {
  it('a job run that the shared call budget held back (a 429 elsewhere) sent nothing, so it is not counted: "1 attempt"', async () => {
    const posted = await makeRequest(h, 'deactivate', SEED_IDS.alice);
    // Someone's lookup gets a 429 with Retry-After: every process holds its calls for 4 s.
    h.cipher.script([{ status: 429, retryAfter: '4' }], { operation: 'getUser', userId: SEED_IDS.minimal });
    await h.command(`lookup ${SEED_IDS.minimal}`);
    await h.cipher.waitForCalls((c) => c.operation === 'getUser' && c.userId === SEED_IDS.minimal);
    const before = h.cipher.calls.length;
    await approveBy(h, posted, A);
    const [card] = await h.slack.waitFor(
      (c) =>
        c.method === 'chat.update' && c.args.ts === posted.ts && /Succeeded/.test(visibleText(c.args.blocks)),
      { timeoutMs: 15_000 },
    );
    // One attempt reached Cipherscale: its re-read and its change, after the hold.
    expect(h.cipher.calls.slice(before).map((c) => c.operation)).toEqual(['getUser', 'deactivateUser']);
    expect(await h.runtime.ctx.store.get(posted.requestId)).toMatchObject({
      state: 'succeeded',
      outcome: { attempts: 1 },
    });
    expect(visibleText(card?.args.blocks)).toContain('1 attempt');
  }, 30_000);

  it('a retry is not held back by a slow Slack: the second Cipherscale call goes out while "running" is still being shown', async () => {
    const posted = await makeRequest(h, 'deactivate', SEED_IDS.alice);
    // The failed attempt is answered late, so Slack is held before the app shows "running".
    h.cipher.script([{ status: 503, latencyMs: 400 }], { operation: 'deactivateUser' });
    await approveBy(h, posted, A);
    await h.cipher.waitForCalls((c) => c.operation === 'deactivateUser');
    // From now on Slack takes every chat.update and answers none of them.
    h.slack.holdAnswers('chat.update');
    const [, second] = await h.cipher.waitForCalls((c) => c.operation === 'deactivateUser', {
      count: 2,
      timeoutMs: 5000,
    });
    expect(second).toBeDefined();
    h.slack.releaseAnswers('chat.update');
    const [card] = await h.slack.waitFor(
      (c) =>
        c.method === 'chat.update' && c.args.ts === posted.ts && /Succeeded/.test(visibleText(c.args.blocks)),
      { timeoutMs: 15_000 },
    );
    expect(visibleText(card?.args.blocks)).toContain('2 attempts');
    // The message ends on the outcome, whatever order Slack took the two renders in.
    const last = h.slack
      .callsTo('chat.update')
      .filter((c) => c.args.ts === posted.ts)
      .at(-1);
    expect(visibleText(last?.args.blocks)).toContain('Succeeded');
  }, 30_000);
});
