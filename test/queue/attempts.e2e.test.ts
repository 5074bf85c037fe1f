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
});
