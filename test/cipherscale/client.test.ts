import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  type CipherscaleClient,
  createCipherscaleClient,
  retryAfterMs,
} from '../../src/cipherscale/client.js';
import { describeFailure, isRetryable } from '../../src/cipherscale/errors.js';
import { SEED_IDS } from '../fakes/cipherscale/seed.js';
import { FakeCipherscale } from '../fakes/cipherscale/server.js';
import { freePort } from '../helpers/ports.js';

const TOKEN = 'cs_live_4f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c';

let fake: FakeCipherscale;
let client: CipherscaleClient;

beforeEach(async () => {
  fake = await FakeCipherscale.start({ token: TOKEN });
  client = createCipherscaleClient({ baseUrl: fake.url, token: TOKEN, timeoutMs: 500 });
});
afterEach(async () => {
  await fake.close();
});

describe('operations', () => {
  it('gets a user with a bearer token', async () => {
    const result = await client.getUser(SEED_IDS.alice);
    expect(result.ok && result.value.id).toBe(SEED_IDS.alice);
    const [call] = fake.callsTo('getUser', SEED_IDS.alice);
    expect(call?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(call?.path).toBe(`/qa/tenants/users/${SEED_IDS.alice}`);
  });

  it('updates with PUT and exactly the given fields', async () => {
    const result = await client.updateUser(SEED_IDS.alice, { firstName: 'Alicia' });
    expect(result.ok && result.value.firstName).toBe('Alicia');
    expect(fake.callsTo('updateUser')[0]?.body).toEqual({ firstName: 'Alicia' });
    expect(fake.getUser(SEED_IDS.alice)?.firstName).toBe('Alicia');
  });

  it('deactivates with PATCH …/deactivate', async () => {
    const result = await client.deactivateUser(SEED_IDS.alice);
    expect(result.ok && result.value.status).toBe('inactive');
    expect(fake.callsTo('deactivateUser')[0]?.method).toBe('PATCH');
  });

  it('deletes, accepting 200, 202 and 204 with or without a body', async () => {
    expect((await client.deleteUser(SEED_IDS.alice)).ok).toBe(true);
    expect(fake.getUser(SEED_IDS.alice)).toBeUndefined();
    fake.script(
      [
        { status: 200, body: { deleted: true } },
        { status: 202, body: '' },
      ],
      { operation: 'deleteUser' },
    );
    expect((await client.deleteUser(SEED_IDS.inactive)).ok).toBe(true);
    expect((await client.deleteUser(SEED_IDS.inactive)).ok).toBe(true);
  });

  it('keeps the API request id', async () => {
    const result = await client.getUser(SEED_IDS.alice);
    expect(result.ok && result.requestId).toMatch(/\S+/);
  });

  it('refuses a non-UUID before calling the API', async () => {
    const result = await client.getUser('../../admin');
    expect(result).toMatchObject({ ok: false, error: { kind: 'client_error' } });
    expect(fake.calls).toHaveLength(0);
  });
});

describe('connections', () => {
  it('reuses its connection: 20 calls one after another open fewer than 20 at the API', async () => {
    for (let i = 0; i < 20; i++) {
      const result = await client.getUser(SEED_IDS.alice);
      expect(result.ok).toBe(true);
    }
    expect(fake.calls).toHaveLength(20);
    // Keep-alive: one connection serves them all (a second if the server closed an idle one).
    expect(fake.connectionsOpened).toBeLessThanOrEqual(2);
  });
});

describe('tolerant parsing', () => {
  it('reads users with unknown fields, missing optional fields and odd list shapes', async () => {
    for (const id of [SEED_IDS.minimal, SEED_IDS.oddShapes, SEED_IDS.manyDevices, SEED_IDS.hostile]) {
      const result = await client.getUser(id);
      expect(result.ok, id).toBe(true);
    }
  });

  it('treats null optional fields as absent', async () => {
    const user = fake.getUser(SEED_IDS.alice);
    fake.script([{ status: 200, body: { ...user, email: null, lastConnection: null, extra: { x: 1 } } }]);
    const result = await client.getUser(SEED_IDS.alice);
    expect(result.ok && result.value.email).toBeUndefined();
  });

  it('is strict on documented required fields', async () => {
    const { isOwner: _dropped, ...user } = fake.getUser(SEED_IDS.alice) ?? {};
    fake.script([{ status: 200, body: user }]);
    const result = await client.getUser(SEED_IDS.alice);
    expect(result).toMatchObject({ ok: false, error: { kind: 'invalid_response', status: 200 } });
    expect(!result.ok && result.error.kind === 'invalid_response' && result.error.detail).toContain(
      'isOwner',
    );
  });

  it('reports a body that is not JSON', async () => {
    fake.script([{ status: 200, body: '<html>oops</html>' }]);
    expect(await client.getUser(SEED_IDS.alice)).toMatchObject({
      ok: false,
      error: { kind: 'invalid_response', detail: 'not JSON' },
    });
  });
});

describe('failures as typed outcomes', () => {
  it('404 is not found', async () => {
    const result = await client.getUser('00000000-0000-4000-8000-000000000000');
    expect(result).toMatchObject({ ok: false, error: { kind: 'not_found', status: 404 } });
  });

  it.each([401, 403])('%i is credentials refused', async (status) => {
    fake.script([{ status }]);
    const result = await client.getUser(SEED_IDS.alice);
    expect(result).toMatchObject({ ok: false, error: { kind: 'credentials_refused', status } });
    expect(!result.ok && isRetryable(result.error)).toBe(false);
  });

  it('a wrong token is credentials refused', async () => {
    const wrong = createCipherscaleClient({ baseUrl: fake.url, token: 'wrong-token-123', timeoutMs: 500 });
    expect(await wrong.getUser(SEED_IDS.alice)).toMatchObject({
      ok: false,
      error: { kind: 'credentials_refused' },
    });
  });

  it('429 is rate limited, with Retry-After in seconds or as a date', async () => {
    fake.script([{ status: 429, retryAfter: '7' }, { status: 429 }]);
    const first = await client.getUser(SEED_IDS.alice);
    expect(first).toMatchObject({ ok: false, error: { kind: 'rate_limited', retryAfterMs: 7000 } });
    expect(!first.ok && isRetryable(first.error)).toBe(true);
    expect(await client.getUser(SEED_IDS.alice)).toMatchObject({
      ok: false,
      error: { kind: 'rate_limited', retryAfterMs: undefined },
    });
    const now = Date.parse('2026-11-30T10:00:00Z');
    expect(retryAfterMs('Mon, 30 Nov 2026 10:00:05 GMT', now)).toBe(5000);
    expect(retryAfterMs('soon', now)).toBeUndefined();
  });

  it.each([500, 502, 503])('%i is transient', async (status) => {
    fake.script([{ status }]);
    const result = await client.getUser(SEED_IDS.alice);
    expect(result).toMatchObject({ ok: false, error: { kind: 'transient', reason: 'server_error', status } });
    expect(!result.ok && isRetryable(result.error)).toBe(true);
  });

  it('a slow answer is a timeout', async () => {
    fake.script([{ hang: true }]);
    const result = await client.getUser(SEED_IDS.alice);
    expect(result).toMatchObject({ ok: false, error: { kind: 'transient', reason: 'timeout' } });
  });

  it('a reset connection and a refused connection are connection errors', async () => {
    fake.script([{ reset: true }]);
    expect(await client.getUser(SEED_IDS.alice)).toMatchObject({
      ok: false,
      error: { kind: 'transient', reason: 'connection' },
    });
    const closedPort = await freePort();
    const nowhere = createCipherscaleClient({
      baseUrl: `http://127.0.0.1:${closedPort}/qa`,
      token: TOKEN,
      timeoutMs: 500,
    });
    expect(await nowhere.getUser(SEED_IDS.alice)).toMatchObject({
      ok: false,
      error: { kind: 'transient', reason: 'connection', detail: 'ECONNREFUSED' },
    });
  });

  it('other 4xx are final client errors with the API message', async () => {
    fake.script([{ status: 422, body: { message: 'image must be https' } }]);
    const result = await client.updateUser(SEED_IDS.alice, { image: 'http://x' });
    expect(result).toMatchObject({
      ok: false,
      error: { kind: 'client_error', status: 422, detail: 'image must be https' },
    });
    expect(!result.ok && isRetryable(result.error)).toBe(false);
  });

  it('does not follow redirects (the token would go along)', async () => {
    fake.script([{ status: 302, headers: { location: 'http://127.0.0.1:1/steal' } }]);
    expect(await client.getUser(SEED_IDS.alice)).toMatchObject({
      ok: false,
      error: { kind: 'invalid_response', status: 302 },
    });
    expect(fake.calls).toHaveLength(1);
  });
});

describe('the token stays secret', () => {
  it('appears in no outcome or description, whatever failed', async () => {
    fake.script([
      { status: 401 },
      { status: 500 },
      { status: 429 },
      { reset: true },
      { hang: true },
      { status: 400, body: { message: 'bad' } },
      { status: 200, body: 'nope' },
    ]);
    const outcomes = [];
    for (let i = 0; i < 7; i++) outcomes.push(await client.getUser(SEED_IDS.alice));
    const closedPort = await freePort();
    const nowhere = createCipherscaleClient({
      baseUrl: `http://127.0.0.1:${closedPort}/qa`,
      token: TOKEN,
      timeoutMs: 500,
    });
    outcomes.push(await nowhere.getUser(SEED_IDS.alice));
    expect(outcomes.every((o) => !o.ok)).toBe(true);
    const text =
      JSON.stringify(outcomes) + outcomes.map((o) => (o.ok ? '' : describeFailure(o.error))).join('\n');
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain('Bearer');
  });
});
