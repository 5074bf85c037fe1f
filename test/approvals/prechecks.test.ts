import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { PrecheckLimits } from '../../src/approvals/prechecks.js';
import { until } from '../helpers/poll.js';

// Bulk pre-checks in flight per requester: a lease each, shared by every process (issue 11, point 8).

let redis: Redis;
let other: Redis;
let prefix: string;

beforeEach(() => {
  redis = new Redis(inject('redisUrl'));
  other = new Redis(inject('redisUrl'));
  prefix = `test-${randomUUID()}:`;
});

afterEach(async () => {
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  await Promise.all([redis.quit(), other.quit()]);
});

const limits = (max: number, leaseMs = 60_000, on = redis) =>
  new PrecheckLimits({ redis: on, prefix, max, leaseMs });

/** A promise and the function that settles it: work that runs until the test says so. */
function gate() {
  let open: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { done, open };
}

describe('bulk pre-checks per requester', () => {
  it('10 parallel starts from two processes with a cap of 2: exactly 2 run, the rest told 2 of 2', async () => {
    const processes = [limits(2), limits(2, 60_000, other)];
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => (processes[i % 2] as PrecheckLimits).acquire('UREQ')),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(2);
    for (const r of results.filter((r) => !r.ok)) expect(r).toEqual({ ok: false, inFlight: 2, max: 2 });
    // Another requester has their own slots.
    expect((await limits(2).acquire('UOTHER')).ok).toBe(true);
  });

  it('the slot is free again once the check finishes, and when it throws', async () => {
    const prechecks = limits(1);
    const first = gate();
    const running = prechecks.run('UREQ', () => first.done.then(() => 'checked'));
    await until(
      'the first check to hold its slot',
      () => prechecks.acquire('UREQ'),
      (r) => !r.ok,
    );
    first.open();
    expect(await running).toEqual({ ok: true, value: 'checked' });

    await expect(
      prechecks.run('UREQ', async () => {
        throw new Error('Cipherscale fell over');
      }),
    ).rejects.toThrow('Cipherscale fell over');
    expect(await prechecks.run('UREQ', async () => 'again')).toEqual({ ok: true, value: 'again' });
  });

  it('a lease whose process died (never released, never renewed) frees the slot when it runs out', async () => {
    const dead = limits(1, 300);
    const acquired = await dead.acquire('UREQ');
    expect(acquired.ok).toBe(true);
    const startedAt = Date.now();
    expect(await limits(1, 300).acquire('UREQ')).toEqual({ ok: false, inFlight: 1, max: 1 });
    const later = await until(
      'the dead lease to run out',
      () => limits(1, 300).acquire('UREQ'),
      (r) => r.ok,
    );
    expect(later.ok).toBe(true);
    expect(Date.now() - startedAt).toBeGreaterThanOrEqual(250);
  });

  it('a check that runs longer than the lease keeps its slot (renewed while it runs)', async () => {
    const prechecks = limits(1, 600);
    const key = `${prefix}requester:UREQ:prechecks`;
    const slow = gate();
    const running = prechecks.run('UREQ', () => slow.done);
    const [member = '', first = '0'] = await until(
      'the lease',
      () => redis.zrange(key, 0, -1, 'WITHSCORES'),
      (r) => r.length === 2,
    );
    const redisNow = async () => {
      const [s, us] = await redis.time();
      return Number(s) * 1000 + Math.floor(Number(us) / 1000);
    };
    await until('the first deadline to pass', redisNow, (now) => now > Number(first) + 50);
    expect(await prechecks.acquire('UREQ')).toEqual({ ok: false, inFlight: 1, max: 1 });
    expect(Number(await redis.zscore(key, member))).toBeGreaterThan(Number(first));
    slow.open();
    await running;
    expect((await prechecks.acquire('UREQ')).ok).toBe(true);
  });

  it('renew says so once the lease is gone', async () => {
    const acquired = await limits(1, 60_000).acquire('UREQ');
    if (!acquired.ok) throw new Error('no slot');
    expect(await acquired.lease.renew()).toBe(true);
    await acquired.lease.release();
    expect(await acquired.lease.renew()).toBe(false);
  });
});
