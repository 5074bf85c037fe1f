import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SEED_IDS } from '../fakes/cipherscale/seed.js';
import { FakeCipherscale } from '../fakes/cipherscale/server.js';
import { visibleText } from '../helpers/blocks-text.js';
import { approveBy, makeRequest, type PostedRequest } from '../helpers/flows.js';
import { APPROVERS, type Harness, startHarness } from '../helpers/harness.js';

// Cipherscale misbehaving during execution: every case ends in a specific outcome after bounded
// retries (JOB_ATTEMPTS=3 here), never a crash and never a request left `running`.
const [A] = APPROVERS;
let h: Harness;

beforeAll(async () => {
  h = await startHarness({
    processBeforeResponse: true,
    env: { JOB_ATTEMPTS: '3', CIPHERSCALE_TIMEOUT_MS: '300' },
  });
});
afterAll(async () => {
  await h.close();
});
beforeEach(() => {
  h.slack.reset();
  h.cipher.reset();
});

async function outcome(posted: PostedRequest) {
  const [note] = await h.slack.waitFor(
    (c) =>
      c.method === 'chat.postMessage' &&
      c.args.thread_ts === posted.ts &&
      /Succeeded|Failed/.test(visibleText(c.args.blocks)),
    { timeoutMs: 10_000 },
  );
  const request = await h.runtime.ctx.store.get(posted.requestId);
  expect(['succeeded', 'failed']).toContain(request?.state);
  expect((await h.get('/healthz')).status).toBe(200);
  return { request, note: visibleText(note?.args.blocks) };
}

async function deactivateAlice() {
  const posted = await makeRequest(h, 'deactivate', SEED_IDS.alice);
  await approveBy(h, posted, A);
  return outcome(posted);
}

const patches = () => h.cipher.callsTo('deactivateUser');

describe('Cipherscale misbehaving', () => {
  it('slower than the timeout once, then fine: retried to success', async () => {
    h.cipher.script([{ latencyMs: 1000 }], { operation: 'deactivateUser' });
    const { request } = await deactivateAlice();
    expect(request).toMatchObject({ state: 'succeeded', outcome: { attempts: 2 } });
  });

  it('always slower than the timeout: fails after 3 attempts, saying it did not answer', async () => {
    h.cipher.script([{ hang: true }, { hang: true }, { hang: true }], { operation: 'deactivateUser' });
    const { request, note } = await deactivateAlice();
    expect(request).toMatchObject({ state: 'failed', outcome: { attempts: 3, code: 'transient' } });
    expect(note).toContain('did not answer in time');
    expect(patches()).toHaveLength(3);
  });

  it('429 with Retry-After: the next attempt waits at least that long', async () => {
    h.cipher.script([{ status: 429, retryAfter: '1' }], { operation: 'deactivateUser' });
    const { request } = await deactivateAlice();
    expect(request?.state).toBe('succeeded');
    const [first, second] = patches();
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(1000);
  });

  it('429 without Retry-After, three times: fails as rate limited after bounded attempts', async () => {
    h.cipher.script([{ status: 429 }, { status: 429 }, { status: 429 }], { operation: 'deactivateUser' });
    const { request, note } = await deactivateAlice();
    expect(request).toMatchObject({ state: 'failed', outcome: { code: 'rate_limited', attempts: 3 } });
    expect(note).toContain('rate limiting');
  });

  it('500, 502 then 200: succeeds on the third attempt', async () => {
    h.cipher.script([{ status: 500 }, { status: 502 }], { operation: 'deactivateUser' });
    const { request } = await deactivateAlice();
    expect(request).toMatchObject({ state: 'succeeded', outcome: { attempts: 3 } });
    expect(h.cipher.getUser(SEED_IDS.alice)?.status).toBe('inactive');
  });

  it('500, 502, 503: fails with the last status after 3 attempts', async () => {
    h.cipher.script([{ status: 500 }, { status: 502 }, { status: 503 }], { operation: 'deactivateUser' });
    const { request, note } = await deactivateAlice();
    expect(request).toMatchObject({ state: 'failed', outcome: { attempts: 3 } });
    expect(note).toContain('HTTP 503');
  });

  it('a connection reset is retried', async () => {
    h.cipher.script([{ reset: true }], { operation: 'deactivateUser' });
    const { request } = await deactivateAlice();
    expect(request).toMatchObject({ state: 'succeeded', outcome: { attempts: 2 } });
  });

  it('connection refused (Cipherscale down): fails after bounded attempts, naming it', async () => {
    const down = await FakeCipherscale.start();
    const world = await startHarness({
      processBeforeResponse: true,
      slack: h.slack,
      cipher: down,
      env: { JOB_ATTEMPTS: '2' },
    });
    try {
      const posted = await makeRequest(world, 'deactivate', SEED_IDS.alice);
      await down.close();
      await approveBy(world, posted, A);
      const [note] = await h.slack.waitFor(
        (c) =>
          c.method === 'chat.postMessage' &&
          c.args.thread_ts === posted.ts &&
          /Failed/.test(visibleText(c.args.blocks)),
        { timeoutMs: 10_000 },
      );
      expect(visibleText(note?.args.blocks)).toContain('ECONNREFUSED');
      expect(await world.runtime.ctx.store.get(posted.requestId)).toMatchObject({
        state: 'failed',
        outcome: { attempts: 2 },
      });
    } finally {
      await world.close();
    }
  });

  it('a 200 that is not JSON, with the change not made: fails, saying to check the user', async () => {
    h.cipher.script([{ status: 200, body: '<html>gateway</html>' }], { operation: 'deactivateUser' });
    const { request, note } = await deactivateAlice();
    expect(request).toMatchObject({ state: 'failed', outcome: { code: 'invalid_response' } });
    expect(note).toContain('could not be read');
    expect(patches()).toHaveLength(1);
  });

  it('a 200 whose body does not match the schema on the re-read: fails at once as unreadable', async () => {
    // The modal's GET is answered normally; the worker's re-read gets the bad body.
    const posted = await makeRequest(h, 'deactivate', SEED_IDS.manyDevices);
    h.cipher.script([{ status: 200, body: { id: SEED_IDS.manyDevices } }], {
      operation: 'getUser',
      userId: SEED_IDS.manyDevices,
    });
    await approveBy(h, posted, A);
    const { request, note } = await outcome(posted);
    expect(request).toMatchObject({ state: 'failed', outcome: { code: 'invalid_response', attempts: 1 } });
    expect(note).toContain('could not read');
    expect(patches()).toHaveLength(0);
  });
});
