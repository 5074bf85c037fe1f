import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { SEED_IDS } from '../fakes/cipherscale/seed.js';
import { FakeCipherscale } from '../fakes/cipherscale/server.js';
import { FakeSlack } from '../fakes/slack/server.js';
import { FakeSocketServer } from '../fakes/slack/socket-server.js';
import { killAll, type SpawnedApp, spawnApp } from '../helpers/app-process.js';
import { until } from '../helpers/poll.js';
import { freePort } from '../helpers/ports.js';
import { type RedisServer, startRedisServer } from '../helpers/redis-server.js';
import { fragmentsIn } from '../helpers/secret-fragments.js';
import { repoRoot } from '../helpers/shared.js';

// The real entry point (src/main.ts) in a child process, one start-up mistake each: the message it
// prints names the system, the URL and the setting; exit 1; no secret in the output; nothing in Redis.
const SIGNING_SECRET = `signing-${randomBytes(8).toString('hex')}`;
let slack: FakeSlack;
let cipher: FakeCipherscale;
let redis: Redis;
const spawned: SpawnedApp[] = [];

beforeAll(async () => {
  slack = await FakeSlack.start();
  cipher = await FakeCipherscale.start();
  redis = new Redis(inject('redisUrl'));
});
afterAll(async () => {
  await Promise.all([slack.close(), cipher.close()]);
  redis.disconnect();
});
afterEach(async () => {
  slack.reset();
  cipher.reset();
  await killAll(spawned);
});

/** A start that works against the fakes (HTTP mode), with its own key prefix; `extra` breaks one thing. */
function env(extra: Record<string, string> = {}): Record<string, string> {
  return {
    SLACK_BOT_TOKEN: slack.botToken,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: slack.apiUrl,
    CIPHERSCALE_API_URL: cipher.url,
    CIPHERSCALE_API_TOKEN: cipher.token,
    REDIS_URL: inject('redisUrl'),
    REDIS_KEY_PREFIX: `test-startcheck-${randomBytes(5).toString('hex')}`,
    APPROVER_USER_IDS: 'UAPPROVER1,UAPPROVER2,UAPPROVER3',
    PORT: '0',
    START_TIMEOUT_MS: '15000',
    SLACK_TIMEOUT_MS: '2000',
    ...extra,
  };
}

/** Runs the entry point to its exit (failing the test if it is still running after 20 s). */
async function start(settings: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const app = spawnApp(settings);
  spawned.push(app);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'running'>((resolve) => {
    timer = setTimeout(() => resolve('running'), 20_000);
  });
  const code = await Promise.race([app.exited, late]);
  clearTimeout(timer);
  if (code === 'running') throw new Error(`still running after 20 s:\n${app.output().slice(-2000)}`);
  return { code, output: app.output() };
}

/** Every key under the start's prefix, the app's and BullMQ's. */
async function keysOf(prefix: string): Promise<string[]> {
  const found = new Set<string>();
  for (const pattern of [`{${prefix}}*`, `${prefix}*`]) {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      cursor = next;
      for (const key of keys) found.add(key);
    } while (cursor !== '0');
  }
  return [...found];
}

function expectNoSecret(output: string, settings: Record<string, string>): void {
  for (const name of [
    'SLACK_BOT_TOKEN',
    'SLACK_APP_TOKEN',
    'SLACK_SIGNING_SECRET',
    'CIPHERSCALE_API_TOKEN',
  ]) {
    const value = settings[name];
    // Not the value, nor any 8 characters of it (a secret cut in half is still a leak).
    if (value) expect(fragmentsIn(output, value), name).toEqual([]);
  }
  expect(output).not.toMatch(/\n\s+at /); // no stack trace
}

describe('settings, before anything connects', () => {
  it('`cp .env.example .env`: every placeholder refused by name, all at once', async () => {
    const copied = Object.fromEntries(
      readFileSync(path.join(repoRoot, '.env.example'), 'utf8')
        .split('\n')
        .flatMap((line) => {
          const match = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trim());
          return match?.[1] ? [[match[1], match[2] ?? '']] : [];
        }),
    );
    // Redis, Slack and Cipherscale pointed at one listener that counts connections: none may come.
    let connections = 0;
    const listener = net.createServer((socket) => {
      connections += 1;
      socket.destroy();
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    const port = (listener.address() as net.AddressInfo).port;
    const { code, output } = await start({
      ...copied,
      REDIS_URL: `redis://127.0.0.1:${port}`,
      SLACK_API_URL: `http://127.0.0.1:${port}/api/`,
      CIPHERSCALE_API_URL: `http://127.0.0.1:${port}/qa`,
    }).finally(() => new Promise<void>((resolve) => listener.close(() => resolve())));
    expect(code, output).toBe(1);
    expect(connections).toBe(0);
    for (const name of ['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'CIPHERSCALE_API_TOKEN']) {
      expect(output).toContain(`  - ${name}: still holds the example value from .env.example; put in`);
    }
    expect(output).toContain(
      '  - APPROVER_USER_IDS: still holds the example value "U0123456789" from .env.example: put in real Slack user ids',
    );
    expect(output).toContain('Configuration is not valid');
    expect(output).not.toMatch(/Cannot reach|refused|started/);
  });

  it('a value that is not a Slack id is quoted and named', async () => {
    const settings = env({ APPROVER_USER_IDS: 'U1,UAPPROVER1', REQUESTER_USERGROUP_IDS: 'S0OK,#secops' });
    const { code, output } = await start(settings);
    expect(code, output).toBe(1);
    expect(output).toContain(
      '  - APPROVER_USER_IDS: "U1" is not a Slack user id (U or W and 2+ capital letters',
    );
    expect(output).toContain('  - REQUESTER_USERGROUP_IDS: "#secops" is not a Slack user group id');
    expectNoSecret(output, settings);
  });
});

describe('a start that passes every check', () => {
  it('starts, and only then writes (the control for every "writes nothing" below)', async () => {
    const settings = env();
    const app = spawnApp(settings);
    spawned.push(app);
    await app.waitForOutput(/"msg":"cipher-user started"/);
    // The one Cipherscale call at start: a read of an id nobody has.
    const [read, ...others] = cipher.calls;
    expect(others).toEqual([]);
    expect(read).toMatchObject({ method: 'GET', operation: 'getUser' });
    expect(Object.values(SEED_IDS)).not.toContain(read?.userId);
    expect(await keysOf(settings.REDIS_KEY_PREFIX ?? '')).not.toEqual([]);
    await app.signal('SIGTERM');
    expect(await app.exited).toBe(0);
  });
});

describe('a quorum only some requests can reach', () => {
  it('anyone may request and deletes need every approver: it starts, and warns with the numbers', async () => {
    const settings = env({ APPROVER_USER_IDS: 'UAPPROVER1,UAPPROVER2', REQUIRED_APPROVALS_DELETE: '2' });
    const app = spawnApp(settings);
    spawned.push(app);
    await app.waitForOutput(/"msg":"cipher-user started"/);
    expect(app.output()).toContain('"level":"warn","time":');
    expect(app.output()).toContain(
      'REQUIRED_APPROVALS_DELETE=2 and 2 approvers (APPROVER_USER_IDS: 2 users, APPROVER_USERGROUP_IDS: 0 members): a delete requested by one of the 2 approvers who may also request can get at most 1 approval, since nobody approves their own request',
    );
    expect(app.output()).not.toContain('REQUIRED_APPROVALS_EDIT');
    expect(app.output()).not.toContain('REQUIRED_APPROVALS_DEACTIVATE');
    await app.signal('SIGTERM');
    expect(await app.exited).toBe(0);
  });
});

describe('a default quorum nobody can meet', () => {
  it('one approver and the default delete quorum of 2: it starts, warns with the numbers, and says deletes are refused when made', async () => {
    const settings = env({ APPROVER_USER_IDS: 'UAPPROVER1' });
    const app = spawnApp(settings);
    spawned.push(app);
    await app.waitForOutput(/"msg":"cipher-user started"/);
    expect(app.output()).toContain(
      'REQUIRED_APPROVALS_DELETE is 2 (the default) but only 1 approver (APPROVER_USER_IDS: 1 user, APPROVER_USERGROUP_IDS: 0 members) could approve: every delete request would wait forever. Set REQUIRED_APPROVALS_DELETE=1 or less, or add approvers (APPROVER_USER_IDS, APPROVER_USERGROUP_IDS). Until then every delete request is refused when made, with these numbers.',
    );
    await app.signal('SIGTERM');
    expect(await app.exited).toBe(0);
  });
});

describe('Slack at start', () => {
  it('unreachable (a closed port): names Slack, the URL and SLACK_API_URL, says to check the network; writes nothing', async () => {
    const url = `http://127.0.0.1:${await freePort()}/api/`;
    const settings = env({ SLACK_API_URL: url });
    const { code, output } = await start(settings);
    expect(code, output).toBe(1);
    expect(output).toContain(`Cannot reach Slack at ${url} (auth.test): ECONNREFUSED`);
    expect(output).toContain(
      'Check SLACK_API_URL (unset: https://slack.com/api/), DNS, and any proxy or firewall',
    );
    expectNoSecret(output, settings);
    expect(await keysOf(settings.REDIS_KEY_PREFIX ?? '')).toEqual([]);
  });

  it("refusing the bot token: names SLACK_BOT_TOKEN and Slack's reason, never the token; writes nothing", async () => {
    const settings = env({ SLACK_BOT_TOKEN: `xoxb-revoked-${randomBytes(6).toString('hex')}` });
    const { code, output } = await start(settings);
    expect(code, output).toBe(1);
    expect(output).toContain(
      `Slack refused SLACK_BOT_TOKEN (invalid_auth) on auth.test at ${slack.apiUrl}: the token is not valid`,
    );
    expect(output).toContain('OAuth & Permissions');
    expect(output).not.toContain('SLACK_APP_TOKEN');
    expectNoSecret(output, settings);
    expect(await keysOf(settings.REDIS_KEY_PREFIX ?? '')).toEqual([]);
  });

  it('a revoked bot token: says so, and what to do', async () => {
    slack.failNext('auth.test', { error: 'token_revoked' });
    const settings = env();
    const { code, output } = await start(settings);
    expect(code, output).toBe(1);
    expect(output).toContain(
      `Slack refused SLACK_BOT_TOKEN (token_revoked) on auth.test at ${slack.apiUrl}: the token was revoked (the app was uninstalled, or the token was regenerated). Copy the Bot User OAuth Token`,
    );
    expectNoSecret(output, settings);
  });

  it('refusing the app token (Socket Mode): names SLACK_APP_TOKEN, not the bot token; writes nothing', async () => {
    const sockets = await FakeSocketServer.start();
    slack.socketUrl = sockets.url;
    try {
      const settings = env({
        SLACK_SIGNING_SECRET: '',
        SLACK_APP_TOKEN: `xapp-1-A0WRONG-${randomBytes(6).toString('hex')}`,
      });
      const { code, output } = await start(settings);
      expect(code, output).toBe(1);
      expect(output).toContain(
        `Slack refused SLACK_APP_TOKEN (invalid_auth) on apps.connections.open at ${slack.apiUrl}`,
      );
      expect(output).toContain('connections:write');
      expect(output).not.toContain('refused SLACK_BOT_TOKEN');
      expectNoSecret(output, settings);
      expect(await keysOf(settings.REDIS_KEY_PREFIX ?? '')).toEqual([]);
    } finally {
      slack.socketUrl = undefined;
      await sockets.close();
    }
  });
});

describe('a signal during the checks', () => {
  it('SIGTERM while Cipherscale accepts the connection and never answers: exit 0 at once, says what it waited for, nothing written', async () => {
    let accepted = 0;
    const sockets = new Set<net.Socket>();
    const silent = net.createServer((socket) => {
      accepted += 1;
      sockets.add(socket);
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as net.AddressInfo;
    try {
      const settings = env({ CIPHERSCALE_API_URL: `http://127.0.0.1:${port}/qa`, START_TIMEOUT_MS: '20000' });
      const app = spawnApp(settings);
      spawned.push(app);
      await until(
        'the Cipherscale check to connect',
        async () => accepted,
        (n) => n > 0,
        15_000,
      );
      await app.signal('SIGTERM');
      expect(await app.exited).toBe(0);
      expect(app.output()).toContain(
        `cipher-user stopped by SIGTERM while starting (waiting for Cipherscale (GET /tenants/users/{id} at http://127.0.0.1:${port}/qa))`,
      );
      expect(app.output()).not.toContain('cipher-user started');
      expect(await keysOf(settings.REDIS_KEY_PREFIX ?? '')).toEqual([]);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });
});

describe('every role checks before it writes', () => {
  for (const role of ['worker', 'listener'] as const) {
    it(`ROLE=${role}: Cipherscale refusing its token stops it the same way, nothing written`, async () => {
      const settings = env({
        ROLE: role,
        CIPHERSCALE_API_TOKEN: `cs-wrong-${randomBytes(8).toString('hex')}`,
      });
      const { code, output } = await start(settings);
      expect(code, output).toBe(1);
      expect(output).toContain(`Cipherscale at ${cipher.url} refused CIPHERSCALE_API_TOKEN (HTTP 401)`);
      expectNoSecret(output, settings);
      expect(await keysOf(settings.REDIS_KEY_PREFIX ?? '')).toEqual([]);
    });
  }

  it('Socket Mode: the token accepted but the WebSocket never connects: bounded by START_TIMEOUT_MS, nothing written', async () => {
    // apps.connections.open hands out a URL where nothing listens.
    slack.socketUrl = `ws://127.0.0.1:${await freePort()}/link`;
    try {
      const settings = env({
        SLACK_SIGNING_SECRET: '',
        SLACK_APP_TOKEN: slack.appToken,
        START_TIMEOUT_MS: '3000',
      });
      const { code, output } = await start(settings);
      expect(code, output).toBe(1);
      expect(output).toContain(
        'Slack Socket Mode (apps.connections.open, then the WebSocket it names) did not answer within 3 s',
      );
      expectNoSecret(output, settings);
      expect(await keysOf(settings.REDIS_KEY_PREFIX ?? '')).toEqual([]);
    } finally {
      slack.socketUrl = undefined;
    }
  });
});

describe('Cipherscale at start', () => {
  it('unreachable: names Cipherscale, its URL and CIPHERSCALE_API_URL; writes nothing', async () => {
    const url = `http://127.0.0.1:${await freePort()}/qa`;
    const settings = env({ CIPHERSCALE_API_URL: url });
    const { code, output } = await start(settings);
    expect(code, output).toBe(1);
    expect(output).toContain(`Cannot reach Cipherscale at ${url}`);
    expect(output).toContain('Check CIPHERSCALE_API_URL');
    expectNoSecret(output, settings);
    expect(await keysOf(settings.REDIS_KEY_PREFIX ?? '')).toEqual([]);
  });

  it('refusing its token: names CIPHERSCALE_API_TOKEN, checked with one read that changed nobody; writes nothing', async () => {
    const settings = env({ CIPHERSCALE_API_TOKEN: `cs-wrong-${randomBytes(6).toString('hex')}` });
    const { code, output } = await start(settings);
    expect(code, output).toBe(1);
    expect(output).toContain(`Cipherscale at ${cipher.url} refused CIPHERSCALE_API_TOKEN (HTTP 401)`);
    expect(cipher.calls.map((c) => `${c.method} ${c.operation}`)).toEqual(['GET getUser']);
    expectNoSecret(output, settings);
    expect(await keysOf(settings.REDIS_KEY_PREFIX ?? '')).toEqual([]);
  });
});

describe('Cipherscale answering oddly at start', () => {
  it('something that is not the API (a page for every path): names CIPHERSCALE_API_URL; writes nothing', async () => {
    cipher.script([{ status: 200, body: '<html>welcome</html>', headers: { 'content-type': 'text/html' } }]);
    const settings = env();
    const { code, output } = await start(settings);
    expect(code, output).toBe(1);
    expect(output).toContain(
      `Cipherscale at ${cipher.url} does not answer like the Cipherscale API (HTTP 200 to GET /tenants/users/{id}): check CIPHERSCALE_API_URL`,
    );
    expectNoSecret(output, settings);
    expect(await keysOf(settings.REDIS_KEY_PREFIX ?? '')).toEqual([]);
  });

  it('JSON that is not a user, with 200: the token was taken; it starts and warns, naming CIPHERSCALE_API_URL', async () => {
    cipher.script([{ status: 200, body: { ok: true } }]);
    const app = spawnApp(env());
    spawned.push(app);
    await app.waitForOutput(/"msg":"cipher-user started"/);
    expect(app.output()).toContain(
      `Cipherscale at ${cipher.url} accepted CIPHERSCALE_API_TOKEN, but its answer to GET /tenants/users/{id} is not a user (unexpected `,
    );
    expect(app.output()).toContain('if lookups fail, check CIPHERSCALE_API_URL.');
    await app.signal('SIGTERM');
    expect(await app.exited).toBe(0);
  });

  it('an outage (503): it starts anyway and warns that the token could not be confirmed', async () => {
    cipher.script([{ status: 503 }]);
    const app = spawnApp(env());
    spawned.push(app);
    await app.waitForOutput(/"msg":"cipher-user started"/);
    expect(app.output()).toContain(
      `Cipherscale at ${cipher.url} could not confirm CIPHERSCALE_API_TOKEN: Cipherscale had a server error (HTTP 503).`,
    );
    await app.signal('SIGTERM');
    expect(await app.exited).toBe(0);
  });
});

describe('Redis at start', () => {
  it('unreachable: names REDIS_URL without its password', async () => {
    const port = await freePort();
    const settings = env({ REDIS_URL: `redis://:hunter2-${port}@127.0.0.1:${port}` });
    const { code, output } = await start(settings);
    expect(code, output).toBe(1);
    expect(output).toContain(`Cannot reach Redis at redis://:***@127.0.0.1:${port}`);
    expect(output).toContain('Check REDIS_URL');
    expect(output).not.toContain(`hunter2-${port}`);
    expectNoSecret(output, settings);
  });
});

describe('Redis refusing the password (its own throwaway server, with requirepass)', () => {
  let secured: RedisServer;
  const password = `redis-pw-${randomBytes(6).toString('hex')}`;
  beforeAll(async () => {
    secured = await startRedisServer(['--requirepass', password]);
  });
  afterAll(() => secured.stop());

  it('a wrong password or none: says Redis refused the credentials in REDIS_URL, never the password', async () => {
    const port = new URL(secured.url).port;
    for (const [url, shown] of [
      [`redis://:wrong-${password}@127.0.0.1:${port}`, `redis://:***@127.0.0.1:${port}`],
      [`redis://127.0.0.1:${port}`, `redis://127.0.0.1:${port}`],
    ] as const) {
      const settings = env({ REDIS_URL: url });
      const { code, output } = await start(settings);
      expect(code, output).toBe(1);
      expect(output).toContain(`Redis at ${shown} refused the connection's credentials (`);
      expect(output).toContain('put the right user and password in REDIS_URL');
      expect(output).not.toContain(password);
      expectNoSecret(output, settings);
    }
  });
});

describe('an approval policy nobody can satisfy', () => {
  it('a quorum larger than the listed approvers: the numbers, for each action at once', async () => {
    const settings = env({
      APPROVER_USER_IDS: 'UAPPROVER1',
      REQUIRED_APPROVALS_DEACTIVATE: '3',
      REQUIRED_APPROVALS_DELETE: '2',
    });
    const { code, output } = await start(settings);
    expect(code, output).toBe(1);
    expect(output).toContain(
      'REQUIRED_APPROVALS_DELETE=2 but only 1 approver (APPROVER_USER_IDS: 1 user, APPROVER_USERGROUP_IDS: 0 members) could approve',
    );
    expect(output).toContain(
      'REQUIRED_APPROVALS_DEACTIVATE=3 but only 1 approver (APPROVER_USER_IDS: 1 user, APPROVER_USERGROUP_IDS: 0 members) could approve',
    );
    expect(output).toContain('Set REQUIRED_APPROVALS_DELETE=1 or less, or add approvers');
    // Edits need one: no error, only the warning that the approver's own edits cannot be approved.
    expect(output).not.toContain('  - REQUIRED_APPROVALS_EDIT');
    expect(output).toContain('"msg":"REQUIRED_APPROVALS_EDIT=1 and 1 approver');
    expectNoSecret(output, settings);
    expect(await keysOf(settings.REDIS_KEY_PREFIX ?? '')).toEqual([]);
  });

  it('counts a group as Slack lists it at start, each person once and never the bot', async () => {
    // The listed approver is in the group too, and so is the bot: two people could approve.
    slack.setUsergroupMembers('S0SECOPS', ['UAPPROVER1', 'UAPPROVER2', slack.botUserId]);
    const settings = env({
      APPROVER_USER_IDS: 'UAPPROVER1',
      APPROVER_USERGROUP_IDS: 'S0SECOPS',
      REQUIRED_APPROVALS_DELETE: '3',
    });
    const { code, output } = await start(settings);
    expect(code, output).toBe(1);
    expect(output).toContain(
      'REQUIRED_APPROVALS_DELETE=3 but only 2 approvers (APPROVER_USER_IDS: 1 user, APPROVER_USERGROUP_IDS: 1 member besides those) could approve',
    );
    expect(slack.callsTo('usergroups.users.list').map((c) => c.args.usergroup)).toEqual(['S0SECOPS']);
  });

  it('a quorum problem and a refused Cipherscale token are both listed by one start', async () => {
    const settings = env({
      APPROVER_USER_IDS: 'UAPPROVER1',
      REQUIRED_APPROVALS_DELETE: '2',
      CIPHERSCALE_API_TOKEN: `cs-wrong-${randomBytes(6).toString('hex')}`,
    });
    const { code, output } = await start(settings);
    expect(code, output).toBe(1);
    expect(output).toContain('  - REQUIRED_APPROVALS_DELETE=2 but only 1 approver');
    expect(output).toContain(`  - Cipherscale at ${cipher.url} refused CIPHERSCALE_API_TOKEN (HTTP 401)`);
    expectNoSecret(output, settings);
  });

  it('when every requester is an approver, a quorum of all of them cannot be met (nobody approves their own request)', async () => {
    const settings = env({
      APPROVER_USER_IDS: 'UAPPROVER1,UAPPROVER2',
      REQUESTER_USER_IDS: 'UAPPROVER1,UAPPROVER2',
      REQUIRED_APPROVALS_DELETE: '2',
    });
    const { code, output } = await start(settings);
    expect(code, output).toBe(1);
    expect(output).toContain(
      'REQUIRED_APPROVALS_DELETE=2 and 2 approvers (APPROVER_USER_IDS: 2 users, APPROVER_USERGROUP_IDS: 0 members), but every requester is an approver: a delete request can get at most 1 approval',
    );
  });

  it('a requester group the bot may not read: names REQUESTER_USERGROUP_IDS, the group and the scope', async () => {
    slack.failNext('usergroups.users.list', { error: 'missing_scope' });
    const settings = env({ REQUESTER_USERGROUP_IDS: 'S0REQUESTERS' });
    const { code, output } = await start(settings);
    expect(code, output).toBe(1);
    expect(output).toContain(
      'REQUESTER_USERGROUP_IDS: Slack cannot list the members of user group "S0REQUESTERS" (missing_scope): the bot lacks the usergroups:read scope',
    );
    expectNoSecret(output, settings);
  });

  it('an unknown approver group: names APPROVER_USERGROUP_IDS and the group', async () => {
    const settings = env({ APPROVER_USERGROUP_IDS: 'S0NOSUCHGROUP' });
    const { code, output } = await start(settings);
    expect(code, output).toBe(1);
    expect(output).toContain(
      'APPROVER_USERGROUP_IDS: Slack cannot list the members of user group "S0NOSUCHGROUP" (no_such_subteam): no such group in this workspace',
    );
    expectNoSecret(output, settings);
    expect(await keysOf(settings.REDIS_KEY_PREFIX ?? '')).toEqual([]);
  });
});
