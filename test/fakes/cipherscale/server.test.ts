import { afterEach, describe, expect, it } from 'vitest';
import { type User, userSchema } from '../../../src/cipherscale/schemas.js';
import { SEED_IDS, SEED_USERS } from './seed.js';
import { FakeCipherscale } from './server.js';
import { STAFF_USERS } from './staff.js';

let fake: FakeCipherscale;
const started: FakeCipherscale[] = [];
const start = async () => {
  fake = await FakeCipherscale.start();
  started.push(fake);
};
afterEach(async () => {
  await Promise.all(started.splice(0).map((f) => f.close()));
});

const ALICE = SEED_IDS.alice;
const UNKNOWN = '00000000-0000-4000-8000-000000000000';

function api(path: string, init: RequestInit & { token?: string } = {}): Promise<Response> {
  const { token = fake.token, ...rest } = init;
  return fetch(`${fake.url}${path}`, {
    ...rest,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...rest.headers },
  });
}
const put = (id: string, body: unknown) =>
  api(`/tenants/users/${id}`, { method: 'PUT', body: JSON.stringify(body) });

describe('seed', () => {
  it('every seed user passes userSchema unchanged and has a unique named id', () => {
    for (const user of SEED_USERS) expect(userSchema.parse(user)).toEqual(user);
    expect(new Set(SEED_USERS.map((u) => u.id)).size).toBe(SEED_USERS.length);
    expect(SEED_USERS.map((u) => u.id)).toEqual(Object.values(SEED_IDS));
    expect(SEED_USERS.find((u) => u.id === SEED_IDS.manyDevices)?.devices).toHaveLength(40);
  });

  it("the sandbox's staff pass userSchema unchanged, with unique ids and emails, mostly active", () => {
    for (const user of STAFF_USERS) expect(userSchema.parse(user)).toEqual(user);
    const all = [...SEED_USERS, ...STAFF_USERS];
    expect(new Set(all.map((u) => u.id)).size).toBe(all.length);
    expect(new Set(STAFF_USERS.map((u) => u.email)).size).toBe(STAFF_USERS.length);
    const count = (status: string) => STAFF_USERS.filter((u) => u.status === status).length;
    expect(count('active')).toBeGreaterThan(30);
    expect(count('inactive')).toBeGreaterThan(0);
    expect(count('pending')).toBeGreaterThan(0);
  });
});

describe('normal behaviour', () => {
  it('answers 401 without the bearer token, with an x-request-id', async () => {
    await start();
    const wrong = await api(`/tenants/users/${ALICE}`, { token: 'nope' });
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({ message: 'Unauthorized' });
    expect(wrong.headers.get('x-request-id')).toMatch(/^req_[0-9a-f]{12}$/);
    expect((await fetch(`${fake.url}/tenants/users/${ALICE}`)).status).toBe(401);
  });

  it('GET returns the user, 404 for an unknown id, 400 for a non-UUID, 404 for other paths', async () => {
    await start();
    const found = await api(`/tenants/users/${ALICE}`);
    expect(found.status).toBe(200);
    expect(found.headers.get('x-request-id')).toMatch(/^req_/);
    expect(await found.json()).toEqual(SEED_USERS.find((u) => u.id === ALICE));
    const missing = await api(`/tenants/users/${UNKNOWN}`);
    expect([missing.status, await missing.json()]).toEqual([404, { message: 'User not found' }]);
    expect((await api('/tenants/users/not-a-uuid')).status).toBe(400);
    const other = await api('/tenants/users');
    expect([other.status, await other.json()]).toEqual([404, { message: 'Not found' }]);
    expect(fake.calls.map((c) => c.operation)).toEqual(['getUser', 'getUser', 'getUser', 'unknown']);
  });

  it('PUT updates the stored user and rejects bad bodies with 400', async () => {
    await start();
    const before = Date.now();
    const res = await put(ALICE, { firstName: 'Alicia', image: 'https://x.example/a.png' });
    expect(res.status).toBe(200);
    const body = (await res.json()) as User;
    expect(body).toMatchObject({ firstName: 'Alicia', lastName: 'Martin', image: 'https://x.example/a.png' });
    expect(Date.parse(body.updatedAt)).toBeGreaterThanOrEqual(before - 1000);
    expect(fake.getUser(ALICE)).toEqual(body);
    expect(fake.callsTo('updateUser', ALICE)[0]?.body).toEqual({
      firstName: 'Alicia',
      image: 'https://x.example/a.png',
    });

    expect((await put(ALICE, { email: 'x@y.z' })).status).toBe(400);
    expect((await put(ALICE, { firstName: 42 })).status).toBe(400);
    const notJson = await api(`/tenants/users/${ALICE}`, { method: 'PUT', body: '{oops' });
    expect(notJson.status).toBe(400);
    expect(await notJson.json()).toHaveProperty('message');
    expect((await put(UNKNOWN, { firstName: 'X' })).status).toBe(404);
    expect(fake.getUser(ALICE)?.firstName).toBe('Alicia');
  });

  it('PATCH deactivate sets status inactive', async () => {
    await start();
    const res = await api(`/tenants/users/${ALICE}/deactivate`, { method: 'PATCH' });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id: ALICE, status: 'inactive' });
    expect(fake.getUser(ALICE)?.status).toBe('inactive');
    expect((await api(`/tenants/users/${UNKNOWN}/deactivate`, { method: 'PATCH' })).status).toBe(404);
  });

  it('DELETE answers 204 without a body, then 404', async () => {
    await start();
    const res = await api(`/tenants/users/${ALICE}`, { method: 'DELETE' });
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
    expect(fake.getUser(ALICE)).toBeUndefined();
    expect((await api(`/tenants/users/${ALICE}`, { method: 'DELETE' })).status).toBe(404);
  });

  it('answers 413 to bodies over 1 MiB', async () => {
    await start();
    const res = await put(ALICE, { firstName: 'x'.repeat(1024 * 1024) });
    expect(res.status).toBe(413);
  });

  it('keeps its own copies, and reset() restores the seed and clears calls and scripts', async () => {
    await start();
    const alice = fake.getUser(ALICE);
    if (!alice) throw new Error('alice missing');
    alice.firstName = 'Mutated';
    expect(fake.getUser(ALICE)?.firstName).toBe('Alice');
    fake.setUser({ ...alice, id: UNKNOWN });
    alice.lastName = 'Mutated';
    expect(await (await api(`/tenants/users/${UNKNOWN}`)).json()).toMatchObject({ lastName: 'Martin' });
    await api(`/tenants/users/${ALICE}`, { method: 'DELETE' });
    fake.script([{ status: 500 }]);
    fake.reset();
    expect(fake.calls).toEqual([]);
    expect(fake.getUser(UNKNOWN)).toBeUndefined();
    expect((await api(`/tenants/users/${ALICE}`)).status).toBe(200);
  });
});

describe('faults', () => {
  it('consumes a status sequence for the matching call, then behaves normally', async () => {
    await start();
    fake.script([{ status: 503 }, { status: 503, retryAfter: '2' }, {}], {
      operation: 'updateUser',
      userId: ALICE,
    });
    const first = await put(ALICE, { lastName: 'A' });
    expect([first.status, await first.json()]).toEqual([503, { message: 'Service Unavailable' }]);
    expect((await api(`/tenants/users/${ALICE}`)).status).toBe(200); // other operation: unaffected
    expect((await put(SEED_IDS.owner, { lastName: 'B' })).status).toBe(200); // other user: unaffected
    const second = await put(ALICE, { lastName: 'C' });
    expect([second.status, second.headers.get('retry-after')]).toEqual([503, '2']);
    expect((await put(ALICE, { lastName: 'D' })).status).toBe(200); // `{}`: normal
    expect((await put(ALICE, { lastName: 'E' })).status).toBe(200); // queue empty
    expect(fake.getUser(ALICE)?.lastName).toBe('E');
    expect(fake.callsTo('updateUser', ALICE)).toHaveLength(4);
  });

  it('uses the first script that matches and still has faults', async () => {
    await start();
    fake.script([{ status: 500 }], { userId: ALICE });
    fake.script([{ status: 429 }, { status: 502 }]);
    expect((await api(`/tenants/users/${ALICE}`)).status).toBe(500);
    expect((await api(`/tenants/users/${ALICE}`)).status).toBe(429);
    expect((await api(`/tenants/users/${SEED_IDS.owner}`)).status).toBe(502);
    expect((await api(`/tenants/users/${ALICE}`)).status).toBe(200);
  });

  it('sends scripted bodies and headers as given', async () => {
    await start();
    fake.script([
      { status: 200, body: 'not json' },
      { status: 418, body: { error: 'teapot' }, headers: { 'x-extra': 'y' } },
    ]);
    expect(await (await api(`/tenants/users/${ALICE}`)).text()).toBe('not json');
    const res = await api(`/tenants/users/${ALICE}`);
    expect([res.status, res.headers.get('x-extra'), await res.json()]).toEqual([
      418,
      'y',
      { error: 'teapot' },
    ]);
    expect(fake.getUser(ALICE)).toBeDefined();
  });

  it('delays answers by fault latency and global latency; the call is recorded on arrival', async () => {
    await start();
    fake.script([{ latencyMs: 150 }]);
    const started = Date.now();
    const pending = api(`/tenants/users/${ALICE}`);
    const [call] = await fake.waitForCalls((c) => c.operation === 'getUser');
    expect(call?.at).toBeGreaterThanOrEqual(started);
    expect((await pending).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);

    fake.setLatency(100);
    const again = Date.now();
    expect((await api(`/tenants/users/${ALICE}`)).status).toBe(200);
    expect(Date.now() - again).toBeGreaterThanOrEqual(90);
  });

  it('reset destroys the connection: fetch rejects', async () => {
    await start();
    fake.script([{ reset: true }], { operation: 'deleteUser' });
    await expect(api(`/tenants/users/${ALICE}`, { method: 'DELETE' })).rejects.toThrow(TypeError);
    expect(fake.getUser(ALICE)).toBeDefined();
  });

  it('hang never answers: the client gives up; close() still returns', async () => {
    await start();
    fake.script([{ hang: true }]);
    const res = api(`/tenants/users/${ALICE}`, { signal: AbortSignal.timeout(200) });
    await expect(res).rejects.toThrow(/aborted|timeout/i);
    expect(fake.calls).toHaveLength(1);
  });

  it('close() ends hanging requests', async () => {
    await start();
    fake.script([{ hang: true }]);
    const res = api(`/tenants/users/${ALICE}`);
    await fake.waitForCalls(() => true);
    await fake.close();
    await expect(res).rejects.toThrow(TypeError);
  });
});

describe('waitForCalls', () => {
  it('resolves with earlier and later matching calls once count is reached', async () => {
    await start();
    await api(`/tenants/users/${ALICE}`);
    const waiting = fake.waitForCalls((c) => c.userId === ALICE, { count: 2 });
    await api(`/tenants/users/${ALICE}/deactivate`, { method: 'PATCH' });
    const calls = await waiting;
    expect(calls.map((c) => c.operation)).toEqual(['getUser', 'deactivateUser']);
  });

  it('rejects with a description after the timeout', async () => {
    await start();
    await api(`/tenants/users/${ALICE}`);
    await expect(fake.waitForCalls((c) => c.operation === 'deleteUser', { timeoutMs: 50 })).rejects.toThrow(
      /timed out after 50 ms .* 0 matched\. Calls seen: GET \/qa\/tenants\/users\//,
    );
  });
});
