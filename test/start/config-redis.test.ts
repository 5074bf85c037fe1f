import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { leaksOf } from '../helpers/secret-fragments.js';

// The Redis settings (single instance, Sentinel, Cluster) as loadConfig reads them, and the
// combinations it refuses, each by name and never with a password in the message.
const VALID = {
  SLACK_BOT_TOKEN: 'xoxb-real-looking-token',
  SLACK_SIGNING_SECRET: 'a-real-signing-secret',
  CIPHERSCALE_API_TOKEN: 'cs-real-token',
  APPROVER_USER_IDS: 'U0APPROVER1,U0APPROVER2',
};
// Nothing in them a message could hold by chance (a word like "sentinel").
const DATA_PASSWORD = 'Qz7f3a9c1e5b2dXw';
const SENTINEL_PASSWORD = 'Jk4e8b2a6d0cYv';
const URL_PASSWORD = 'Mn9d1c7b3f5aRt';

const redisOf = (env: Record<string, string>) => loadConfig({ ...VALID, ...env }).redis;

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig({ ...VALID, ...env });
  } catch (err) {
    if (err instanceof ConfigError) return [...err.problems];
    throw err;
  }
  return [];
}

/** The problems, checked to hold no fragment of any of the passwords above. */
function refused(env: Record<string, string>): string[] {
  const problems = problemsOf(env);
  expect(problems.length, 'a ConfigError').toBeGreaterThan(0);
  const leaks = leaksOf(
    { problems: problems.join('\n') },
    { DATA_PASSWORD, SENTINEL_PASSWORD, URL_PASSWORD },
  );
  expect(leaks).toEqual([]);
  return problems;
}

describe('REDIS_SENTINELS and the Sentinel settings', () => {
  it('reads host:port lists (comma or space), IPv6 in brackets, 26379 when no port is given', () => {
    const redis = redisOf({
      REDIS_SENTINELS: '10.0.0.5:26380, sentinel-b.internal [::1]:26381 [fd00::7]',
      REDIS_SENTINEL_NAME: 'mymaster',
      REDIS_SENTINEL_USERNAME: 'watcher',
      REDIS_SENTINEL_PASSWORD: SENTINEL_PASSWORD,
      REDIS_USERNAME: 'app',
      REDIS_PASSWORD: DATA_PASSWORD,
      REDIS_TLS: 'on',
      REDIS_TLS_SERVERNAME: 'redis.internal.example.com',
    });
    expect(redis.topology).toEqual({
      kind: 'sentinel',
      sentinels: [
        { host: '10.0.0.5', port: 26380 },
        { host: 'sentinel-b.internal', port: 26379 },
        { host: '::1', port: 26381 },
        { host: 'fd00::7', port: 26379 },
      ],
      name: 'mymaster',
      sentinelUsername: 'watcher',
      sentinelPassword: SENTINEL_PASSWORD,
      // REDIS_SENTINEL_TLS unset: the Sentinels speak what the data nodes speak.
      sentinelTls: true,
      username: 'app',
      password: DATA_PASSWORD,
      tls: true,
      tlsServername: 'redis.internal.example.com',
    });
    expect(redis.secrets).toEqual(expect.arrayContaining([DATA_PASSWORD, SENTINEL_PASSWORD]));
    expect(redis.secrets).toHaveLength(2);
  });

  it('REDIS_SENTINEL_TLS=off keeps the Sentinels in clear while the data nodes use TLS', () => {
    const redis = redisOf({
      REDIS_SENTINELS: 's1',
      REDIS_SENTINEL_NAME: 'mymaster',
      REDIS_TLS: 'on',
      REDIS_SENTINEL_TLS: 'off',
    });
    expect(redis.topology).toMatchObject({ kind: 'sentinel', tls: true, sentinelTls: false });
  });

  it('names each item that is not host:port, and never quotes back one that looks like a URL with a password', () => {
    const problems = refused({
      REDIS_SENTINELS: `s1:26379,::1,host:70000,ho$t,redis://:${SENTINEL_PASSWORD}@s2:26379`,
      REDIS_SENTINEL_NAME: 'mymaster',
    });
    expect(problems).toEqual([
      expect.stringMatching(/^REDIS_SENTINELS: "::1" is not host:port .*\[::1\]:26379/),
      expect.stringMatching(/^REDIS_SENTINELS: "ho\$t" is not host:port/),
      expect.stringMatching(/^REDIS_SENTINELS: "host:70000" is not host:port/),
      expect.stringMatching(/^REDIS_SENTINELS: item 5 \(a URL or user@host\) is not host:port/),
    ]);
  });

  it('a list of only separators is refused, not taken as "no Sentinel"', () => {
    expect(refused({ REDIS_SENTINELS: ' , ', REDIS_SENTINEL_NAME: 'mymaster' })).toEqual([
      expect.stringMatching(/^REDIS_SENTINELS: no host:port in it/),
    ]);
  });

  it('REDIS_SENTINEL_NAME is required with REDIS_SENTINELS, and is a plain name', () => {
    expect(refused({ REDIS_SENTINELS: 's1', REDIS_SENTINEL_PASSWORD: SENTINEL_PASSWORD })).toEqual([
      expect.stringMatching(/^REDIS_SENTINEL_NAME: required with REDIS_SENTINELS/),
    ]);
    expect(refused({ REDIS_SENTINELS: 's1', REDIS_SENTINEL_NAME: 'my master' })).toEqual([
      expect.stringMatching(/^REDIS_SENTINEL_NAME: letters, digits/),
    ]);
  });

  it('the Sentinel-only settings without REDIS_SENTINELS are each named', () => {
    const problems = refused({
      REDIS_SENTINEL_NAME: 'mymaster',
      REDIS_SENTINEL_USERNAME: 'watcher',
      REDIS_SENTINEL_PASSWORD: SENTINEL_PASSWORD,
      REDIS_SENTINEL_TLS: 'on',
    });
    expect(problems.sort()).toEqual(
      ['REDIS_SENTINEL_NAME', 'REDIS_SENTINEL_PASSWORD', 'REDIS_SENTINEL_TLS', 'REDIS_SENTINEL_USERNAME'].map(
        (name) => `${name}: only used with REDIS_SENTINELS; set that too, or remove this`,
      ),
    );
  });
});

describe('REDIS_CLUSTER_NODES', () => {
  it('reads the seed nodes, 6379 when no port is given, with the data password and TLS', () => {
    const redis = redisOf({
      REDIS_CLUSTER_NODES: 'node-1.cache.example.com,10.0.0.7:7001 [2001:db8::1]:7002',
      REDIS_PASSWORD: DATA_PASSWORD,
      REDIS_TLS: 'on',
    });
    expect(redis.topology).toEqual({
      kind: 'cluster',
      nodes: [
        { host: 'node-1.cache.example.com', port: 6379 },
        { host: '10.0.0.7', port: 7001 },
        { host: '2001:db8::1', port: 7002 },
      ],
      username: undefined,
      password: DATA_PASSWORD,
      tls: true,
      tlsServername: undefined,
    });
    expect(redis.secrets).toEqual([DATA_PASSWORD]);
  });

  it('a bad node is named with the Cluster example port', () => {
    expect(refused({ REDIS_CLUSTER_NODES: 'n1:0', REDIS_PASSWORD: DATA_PASSWORD })).toEqual([
      expect.stringMatching(
        /^REDIS_CLUSTER_NODES: "n1:0" is not host:port \(Redis Cluster, e\.g\. 10\.0\.0\.5:6379/,
      ),
    ]);
  });
});

describe('one topology at a time', () => {
  it('Sentinel and Cluster together, and REDIS_URL with either, are refused', () => {
    const problems = refused({
      REDIS_SENTINELS: 's1',
      REDIS_SENTINEL_NAME: 'mymaster',
      REDIS_CLUSTER_NODES: 'n1',
      REDIS_URL: `redis://:${URL_PASSWORD}@cache:6379`,
      REDIS_PASSWORD: DATA_PASSWORD,
    });
    expect(problems).toEqual([
      'REDIS_SENTINELS / REDIS_CLUSTER_NODES: set one of them (Sentinel or Cluster), not both',
      expect.stringMatching(/^REDIS_URL: leave it unset with REDIS_SENTINELS or REDIS_CLUSTER_NODES/),
    ]);
    expect(refused({ REDIS_CLUSTER_NODES: 'n1', REDIS_URL: `redis://:${URL_PASSWORD}@cache:6379` })).toEqual([
      expect.stringMatching(/^REDIS_URL: leave it unset/),
    ]);
  });

  it('REDIS_USERNAME / REDIS_PASSWORD / REDIS_TLS / REDIS_TLS_SERVERNAME with REDIS_URL: put them in the URL', () => {
    const problems = refused({
      REDIS_URL: `redis://:${URL_PASSWORD}@cache:6379`,
      REDIS_USERNAME: 'app',
      REDIS_PASSWORD: DATA_PASSWORD,
      REDIS_TLS: 'on',
      REDIS_TLS_SERVERNAME: 'cache.example.com',
    });
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual([
      'REDIS_PASSWORD',
      'REDIS_TLS',
      'REDIS_TLS_SERVERNAME',
      'REDIS_USERNAME',
    ]);
    for (const problem of problems) expect(problem).toContain('put the user and password in the URL');
  });

  it('no Redis setting at all: the single instance on 127.0.0.1:6379, keys hash-tagged by REDIS_KEY_PREFIX', () => {
    expect(redisOf({})).toEqual({
      topology: { kind: 'single', url: 'redis://127.0.0.1:6379' },
      prefix: '{cipher-user}:',
      bullPrefix: '{cipher-user}-bull',
      waitReplicas: 'auto',
      waitMs: 500,
      secrets: [],
    });
    expect(redisOf({ REDIS_KEY_PREFIX: 'team-a' })).toMatchObject({
      prefix: '{team-a}:',
      bullPrefix: '{team-a}-bull',
    });
  });

  it("the URL's password (as decoded) is among the secrets", () => {
    expect(redisOf({ REDIS_URL: 'redis://app:url%40pw-9d1c@cache:6379' }).secrets).toEqual(['url@pw-9d1c']);
  });
});

describe('REDIS_WAIT_REPLICAS and REDIS_WAIT_MS', () => {
  it('auto by default, or 0 to 10 replicas; 10 to 2000 ms', () => {
    expect(redisOf({ REDIS_WAIT_REPLICAS: '0', REDIS_WAIT_MS: '10' })).toMatchObject({
      waitReplicas: 0,
      waitMs: 10,
    });
    expect(redisOf({ REDIS_WAIT_REPLICAS: '10', REDIS_WAIT_MS: '2000' })).toMatchObject({
      waitReplicas: 10,
      waitMs: 2000,
    });
    expect(redisOf({ REDIS_WAIT_REPLICAS: 'auto' }).waitReplicas).toBe('auto');
  });

  it('out of range or not a whole number: named with what it got', () => {
    for (const bad of ['11', '-1', '1.5', 'all'])
      expect(refused({ REDIS_WAIT_REPLICAS: bad })).toEqual([
        `REDIS_WAIT_REPLICAS: must be auto or a whole number from 0 to 10, not "${bad}"`,
      ]);
    for (const bad of ['9', '2001'])
      expect(refused({ REDIS_WAIT_MS: bad })).toEqual([
        `REDIS_WAIT_MS: must be a whole number from 10 to 2000, not "${bad}"`,
      ]);
  });
});
