import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkEvictionPolicy, connectRedis } from '../../src/redis.js';
import { type RedisCluster, startCluster } from '../helpers/redis-ha.js';

// A Cluster's start checks: every primary is asked for its eviction policy (INFO on the Cluster
// client would reach one node, at random).
const run = promisify(execFile);
let cluster: RedisCluster;

beforeAll(async () => {
  cluster = await startCluster();
});
afterAll(async () => {
  await cluster?.stop();
});

describe('maxmemory-policy on a Cluster', () => {
  it('each primary is asked; only the one that may evict is named, once', async () => {
    const ports = cluster.env.REDIS_CLUSTER_NODES?.split(',').map((n) => Number(n.split(':')[1])) ?? [];
    expect(ports).toHaveLength(3);
    const evicting = ports[2] ?? 0;
    await run('redis-cli', ['-p', String(evicting), 'CONFIG', 'SET', 'maxmemory-policy', 'allkeys-lru']);
    const redis = await connectRedis({
      kind: 'cluster',
      nodes: ports.map((port) => ({ host: '127.0.0.1', port })),
      username: undefined,
      password: undefined,
      tls: false,
      tlsServername: undefined,
    });
    try {
      const lines: string[] = [];
      const logger = pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) });
      // Several times: one random node would miss it now and then.
      for (let i = 0; i < 3; i++) await checkEvictionPolicy(redis, logger);
      const said = lines.map((line) => JSON.parse(line) as { level: number; msg: string; node?: string });
      expect(said).toHaveLength(3);
      for (const line of said) {
        expect(line.level).toBe(40);
        expect(line.node).toBe(`127.0.0.1:${evicting}`);
        expect(line.msg).toContain(`node 127.0.0.1:${evicting} maxmemory-policy is allkeys-lru`);
      }
    } finally {
      redis.disconnect();
    }
  });
});
