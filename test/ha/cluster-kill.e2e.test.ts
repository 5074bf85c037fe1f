import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SEED_IDS } from '../fakes/cipherscale/seed.js';
import { approveBy, ephemeralsFor, makeRequest, outcomeNoted } from '../helpers/flows.js';
import { APPROVERS, type Harness, startHarness } from '../helpers/harness.js';
import { eventually } from '../helpers/poll.js';
import { type RedisCluster, startCluster } from '../helpers/redis-ha.js';

// The deployment's primary SIGKILLed: until the cluster promotes its replica (cluster-node-timeout) the
// app says it is unavailable and changes nothing; after, everything it told users about is there.

const [A, B] = APPROVERS;
let cluster: RedisCluster;
let h: Harness;
let slotKey: string;

beforeAll(async () => {
  cluster = await startCluster();
  h = await startHarness({ processBeforeResponse: true, env: { ...cluster.env } });
  slotKey = `${h.config.redis.prefix}probe`;
}, 30_000);
afterAll(async () => {
  await h?.close();
  await cluster?.stop();
});

describe('on a Redis Cluster', () => {
  it("the deployment's primary killed: unavailable until its replica takes over, then every request is there as it was", async () => {
    const done = await makeRequest(h, 'deactivate', SEED_IDS.alice);
    await approveBy(h, done, A);
    expect((await outcomeNoted(h, done, 10_000))?.state).toBe('succeeded');
    const waiting = await makeRequest(h, 'deactivate', SEED_IDS.manyDevices);

    // The replica held back (SIGSTOP) so no failover can end the outage before the click below.
    const replica = await cluster.replicaOf(slotKey);
    replica.process.kill('SIGSTOP');
    try {
      const killed = await cluster.killPrimaryOf(slotKey);
      await eventually(async () => (await h.get('/readyz')).status === 503, 5000);
      expect((await approveBy(h, waiting, B)).status).toBe(200);
      expect(ephemeralsFor(h, B).join('\n')).toMatch(/temporarily unavailable.*Nothing was changed/);
      replica.process.kill('SIGCONT');
      expect(await killed.promoted()).toBe(replica.port);
    } finally {
      replica.process.kill('SIGCONT');
    }
    await eventually(async () => (await h.get('/readyz')).status === 200, 10_000);

    // Still pending (the click changed nothing); the request finished before the kill untouched.
    // (Approving it now and watching it run is not asserted here: after a SIGKILL of a Cluster primary,
    // about one run in ten under heavy load, BullMQ's request worker took no new job for 90 s and more.
    // An open problem, see the README's "Redis in production"; a CLUSTER FAILOVER does not show it,
    // test/ha/cluster.e2e.test.ts runs every flow across one.)
    expect((await h.runtime.ctx.store.get(waiting.requestId))?.state).toBe('pending');
    expect((await h.runtime.ctx.store.get(done.requestId))?.state).toBe('succeeded');
    expect(h.cipher.callsTo('deactivateUser', SEED_IDS.alice)).toHaveLength(1);
    expect(h.cipher.callsTo('deactivateUser', SEED_IDS.manyDevices)).toHaveLength(0);
  }, 40_000);
});
