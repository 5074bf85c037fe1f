import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RedisTopology } from '../../src/config.js';
import { connectRedis } from '../../src/redis.js';
import { startHarness } from '../helpers/harness.js';
import { freePort } from '../helpers/ports.js';
import { type SentinelSet, startSentinelSet } from '../helpers/redis-ha.js';
import { leaksOf } from '../helpers/secret-fragments.js';

// The start against a Sentinel set or a Cluster that is not as the settings say: it stops with a
// message naming the topology and the settings to check, never a password (nor a piece of one).
// connectRedis is what the start awaits for each connection; one case goes through the whole start.
const run = promisify(execFile);
const SENTINEL_PASSWORD = `Sp${randomBytes(9).toString('hex')}`;
const DATA_PASSWORD = `Dp${randomBytes(9).toString('hex')}`;
const WRONG_PASSWORD = `Wp${randomBytes(9).toString('hex')}`;
const LOCKED_NAME = 'cipher-locked';
let set: SentinelSet;
let dir: string;
let locked: ChildProcess | undefined;
let lockedPort: number;

/** A Sentinel of this file's own with `requirepass`, watching the set's primary under another name. */
async function startLockedSentinel(): Promise<ChildProcess> {
  lockedPort = await freePort();
  const conf = path.join(dir, 'locked-sentinel.conf');
  await writeFile(
    conf,
    [
      `port ${lockedPort}`,
      'bind 127.0.0.1',
      `requirepass ${SENTINEL_PASSWORD}`,
      `sentinel monitor ${LOCKED_NAME} 127.0.0.1 ${set.primary.port} 1`,
      `sentinel down-after-milliseconds ${LOCKED_NAME} 60000`,
      '',
    ].join('\n'),
  );
  const child = spawn('redis-server', [conf, '--sentinel'], { stdio: ['ignore', 'pipe', 'pipe'] });
  await new Promise<void>((resolve, reject) => {
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Sentinel ID is')) resolve();
    });
    child.once('exit', (code) => reject(new Error(`the Sentinel exited ${code}: ${output}`)));
  });
  child.stdout?.resume();
  return child;
}

const sentinelTopology = (over: Partial<Extract<RedisTopology, { kind: 'sentinel' }>> = {}) =>
  ({
    kind: 'sentinel',
    sentinels: set.sentinels.map((s) => ({ host: '127.0.0.1', port: s.port })),
    name: set.name,
    sentinelUsername: undefined,
    sentinelPassword: undefined,
    sentinelTls: false,
    username: undefined,
    password: undefined,
    tls: false,
    tlsServername: undefined,
    ...over,
  }) as const;

/** connectRedis' refusal, checked to hold no fragment of any password of this file. */
async function refusal(topology: RedisTopology): Promise<string> {
  const err = await connectRedis(topology, { connectTimeoutMs: 2000 }).then(
    (redis) => {
      redis.disconnect();
      throw new Error('connected');
    },
    (e: Error) => e,
  );
  expect(err.name).toBe('RedisUnavailableError');
  expect(leaksOf({ message: err.message }, { SENTINEL_PASSWORD, DATA_PASSWORD, WRONG_PASSWORD })).toEqual([]);
  return err.message;
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'cipher-user-ops-start-'));
  set = await startSentinelSet();
  locked = await startLockedSentinel();
});
afterAll(async () => {
  if (locked && locked.exitCode === null && locked.signalCode === null) {
    const exited = new Promise((resolve) => locked?.once('exit', resolve));
    locked.kill('SIGKILL');
    await exited;
  }
  await set?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('a start that cannot get a primary from the Sentinels', () => {
  it('no Sentinel reachable: names the Sentinels and what to check', async () => {
    const closed = [await freePort(), await freePort()];
    const message = await refusal(
      sentinelTopology({ sentinels: closed.map((port) => ({ host: '127.0.0.1', port })) }),
    );
    expect(message).toBe(
      `Cannot reach Redis primary "${set.name}" via Sentinel 127.0.0.1:${closed[0]}, 127.0.0.1:${closed[1]}: no Sentinel answered (last error: Connection is closed.). Check REDIS_SENTINELS, REDIS_SENTINEL_NAME and the Sentinel and Redis passwords, and that the Sentinels and the primary they name are reachable from here.`,
    );
  });

  it('a name no Sentinel monitors: says so and points at REDIS_SENTINEL_NAME', async () => {
    const message = await refusal(sentinelTopology({ name: 'not-monitored' }));
    expect(message).toMatch(
      /^Redis primary "not-monitored" via Sentinel 127\.0\.0\.1:\d+, 127\.0\.0\.1:\d+, 127\.0\.0\.1:\d+: no Sentinel knows a primary named "not-monitored" \(ERR No such master with that name\)\. Check REDIS_SENTINEL_NAME/,
    );
  });

  it('a Sentinel with requirepass: no password, or a wrong one, points at REDIS_SENTINEL_PASSWORD; the right one connects', async () => {
    const sentinels = [{ host: '127.0.0.1', port: lockedPort }];
    for (const sentinelPassword of [undefined, WRONG_PASSWORD]) {
      const message = await refusal(sentinelTopology({ sentinels, name: LOCKED_NAME, sentinelPassword }));
      expect(message).toMatch(
        new RegExp(
          `^Redis primary "${LOCKED_NAME}" via Sentinel 127\\.0\\.0\\.1:${lockedPort}: the Sentinels refused the connection's credentials \\((NOAUTH|WRONGPASS)[^)]*\\)\\. Check REDIS_SENTINEL_USERNAME / REDIS_SENTINEL_PASSWORD`,
        ),
      );
    }
    const redis = await connectRedis(
      sentinelTopology({ sentinels, name: LOCKED_NAME, sentinelPassword: SENTINEL_PASSWORD }),
    );
    try {
      expect(await redis.set('ops-start-probe', '1')).toBe('OK');
      await redis.del('ops-start-probe');
    } finally {
      redis.disconnect();
    }
  });
});

describe('a Cluster that cannot be reached', () => {
  it('names the seed nodes and REDIS_CLUSTER_NODES', async () => {
    const closed = [await freePort(), await freePort()];
    const message = await refusal({
      kind: 'cluster',
      nodes: closed.map((port) => ({ host: '127.0.0.1', port })),
      username: undefined,
      password: DATA_PASSWORD,
      tls: false,
      tlsServername: undefined,
    });
    expect(message).toMatch(
      new RegExp(
        `^Cannot reach Redis Cluster 127\\.0\\.0\\.1:${closed[0]}, 127\\.0\\.0\\.1:${closed[1]}: no node answered \\(Connection is closed\\.\\)\\. Check REDIS_CLUSTER_NODES, REDIS_PASSWORD and REDIS_TLS`,
      ),
    );
  });
});

describe('requests left under the key layout before the hash tag', () => {
  it('the start warns once with their count and what to do, and goes on', async () => {
    const prefix = `test-old-${randomBytes(4).toString('hex')}`;
    const old = `${prefix}:requests:open`;
    await run('redis-cli', ['-p', String(set.primary.port), 'ZADD', old, '1', 'req-a', '2', 'req-b']);
    const h = await startHarness({ keyPrefix: prefix, env: { ...set.env } });
    try {
      expect((await h.get('/readyz')).status).toBe(200);
      const warned = h.logs.filter((line) => line.includes('previous key layout'));
      expect(warned).toHaveLength(1);
      expect(warned[0]).toContain(`2 open request(s) are stored under the previous key layout (${old})`);
      expect(warned[0]).toContain('with the previous version before upgrading');
    } finally {
      await h.close();
      await run('redis-cli', ['-p', String(set.primary.port), 'DEL', old]);
    }
  });
});

// Last: the primary keeps its password from here on.
describe('a primary with requirepass', () => {
  it('no data password, or a wrong one: the start stops naming REDIS_PASSWORD; the right one starts', async () => {
    for (const port of [set.primary.port, set.replica.port]) {
      await run('redis-cli', ['-p', String(port), 'CONFIG', 'SET', 'masterauth', DATA_PASSWORD]);
      await run('redis-cli', ['-p', String(port), 'CONFIG', 'SET', 'requirepass', DATA_PASSWORD]);
    }
    for (const password of [undefined, WRONG_PASSWORD]) {
      const message = await refusal(sentinelTopology({ password }));
      expect(message).toMatch(
        new RegExp(
          `^Redis primary "${set.name}" via Sentinel [^:]+:\\d+.* refused the connection's credentials \\((NOAUTH|WRONGPASS)[^)]*\\): check REDIS_USERNAME / REDIS_PASSWORD`,
        ),
      );
    }
    // The whole start, as an operator sees it: the error it stops with.
    const failed = await startHarness({ env: { ...set.env, REDIS_PASSWORD: WRONG_PASSWORD } }).then(
      async (h) => {
        await h.close();
        throw new Error('started');
      },
      (e: Error) => e,
    );
    expect(failed.message).toMatch(/refused the connection's credentials \(WRONGPASS/);
    expect(failed.message).toContain('REDIS_PASSWORD');
    expect(leaksOf({ failed: failed.message }, { WRONG_PASSWORD, DATA_PASSWORD })).toEqual([]);
    const h = await startHarness({ env: { ...set.env, REDIS_PASSWORD: DATA_PASSWORD } });
    try {
      expect((await h.get('/readyz')).status).toBe(200);
      expect(h.logs.join('\n')).not.toContain(DATA_PASSWORD);
    } finally {
      await h.close();
    }
  });
});
