import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { FakeCipherscale } from '../fakes/cipherscale/server.js';
import { FakeSlack } from '../fakes/slack/server.js';
import { killAll, type SpawnedApp, spawnApp } from '../helpers/app-process.js';
import { fragmentsIn } from '../helpers/secret-fragments.js';
import { repoRoot } from '../helpers/shared.js';

// POLICY_FILE as the real entry point (src/main.ts, a child process) reads it: a bad file stops the
// start with every problem and writes nothing; its groups are resolved with the approver groups; a
// count nobody could give stops it; a good one is summed up in the start log.
let slack: FakeSlack;
let cipher: FakeCipherscale;
let redis: Redis;
const spawned: SpawnedApp[] = [];
const dir = mkdtempSync(path.join(tmpdir(), 'cipher-user-policy-start-'));

beforeAll(async () => {
  slack = await FakeSlack.start();
  cipher = await FakeCipherscale.start();
  redis = new Redis(inject('redisUrl'));
});
afterAll(async () => {
  await Promise.all([slack.close(), cipher.close()]);
  redis.disconnect();
  rmSync(dir, { recursive: true, force: true });
});
afterEach(async () => {
  slack.reset();
  cipher.reset();
  await killAll(spawned);
});

function env(extra: Record<string, string> = {}): Record<string, string> {
  return {
    SLACK_BOT_TOKEN: slack.botToken,
    SLACK_SIGNING_SECRET: `signing-${randomBytes(8).toString('hex')}`,
    SLACK_API_URL: slack.apiUrl,
    CIPHERSCALE_API_URL: cipher.url,
    CIPHERSCALE_API_TOKEN: cipher.token,
    REDIS_URL: inject('redisUrl'),
    REDIS_KEY_PREFIX: `test-policystart-${randomBytes(5).toString('hex')}`,
    APPROVER_USER_IDS: 'UAPPROVER1,UAPPROVER2,UAPPROVER3',
    PORT: '0',
    START_TIMEOUT_MS: '15000',
    SLACK_TIMEOUT_MS: '2000',
    ...extra,
  };
}

function policyFile(text: string): string {
  const file = path.join(dir, `policy-${randomBytes(4).toString('hex')}.yaml`);
  writeFileSync(file, text);
  return file;
}

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

async function keysOf(prefix: string): Promise<string[]> {
  const found: string[] = [];
  for (const pattern of [`{${prefix}}*`, `${prefix}*`]) {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
      cursor = next;
      found.push(...keys);
    } while (cursor !== '0');
  }
  return found;
}

describe('a POLICY_FILE that is not valid', () => {
  it('stops the start with every problem, the settings’ too, each at its path; no value echoed; nothing written', async () => {
    const token = `xoxp-${randomBytes(12).toString('hex')}`;
    const file = policyFile(`
rules:
  - name: administrators
    when: { target: { roles: [Tenant Admin] } }
    require:
      approvers: [{ count: 2, groups: [${token}] }]
  - name: administrators
    onlyInChannels: [general]
  - name: typo
    forbid: no
    onlyInChanels: [C0OK]
`);
    const settings = env({ POLICY_FILE: file, PORT: 'eighty' });
    const { code, output } = await start(settings);
    expect(code, output).toBe(1);
    expect(output).toContain('Configuration is not valid');
    for (const line of [
      '  - PORT: must be a whole number from 0 to 65535, not "eighty"',
      "  - POLICY_FILE rules[0].require.approvers[0].groups[0]: not a Slack user group id (S and 2+ capital letters or digits: the end of the group's link in People → User groups)",
      "  - POLICY_FILE rules[1].onlyInChannels[0]: not a Slack channel id (C, G or D and 2+ capital letters or digits: the end of the channel's link)",
      '  - POLICY_FILE rules[1].name: the same name as rules[0]: names must be unique',
      '  - POLICY_FILE rules[2].onlyInChanels: unknown key (did you mean onlyInChannels?)',
    ])
      expect(output).toContain(line);
    expect(fragmentsIn(output, token)).toEqual([]);
    expect(output).not.toMatch(/started|\n\s+at /);
    expect(slack.calls).toEqual([]);
    expect(await keysOf(settings.REDIS_KEY_PREFIX ?? '')).toEqual([]);
  });

  it('a path that is a directory: named, exit 1', async () => {
    const { code, output } = await start(env({ POLICY_FILE: dir }));
    expect(code, output).toBe(1);
    expect(output).toContain(
      `  - POLICY_FILE cannot read ${dir}: it is a directory (give the path of the file itself)`,
    );
  });
});

describe('the groups and counts of a valid file, checked at start', () => {
  const ADMINISTRATORS = path.join(repoRoot, 'docs/policy-examples/administrators.yaml');

  it('resolves every group it names once, starts, and sums the file up in the start log', async () => {
    slack.setUsergroupMembers('S0SECLEADS', ['ULEAD1', 'ULEAD2']);
    slack.setUsergroupMembers('S0ITLEADS', ['UITLEAD1']);
    const file = path.join(dir, 'administrators.yaml');
    copyFileSync(ADMINISTRATORS, file);
    const app = spawnApp(env({ POLICY_FILE: file }));
    spawned.push(app);
    await app.waitForOutput(/"msg":"cipher-user started"/);
    expect(app.output()).toContain(`"policy":"3 rules from ${file} (administrators, owner, admin-deletes)"`);
    const listed = slack.callsTo('usergroups.users.list').map((call) => call.args.usergroup);
    expect(listed.sort()).toEqual(['S0ITLEADS', 'S0SECLEADS']);
    await app.signal('SIGTERM');
    expect(await app.exited).toBe(0);
  });

  it('without POLICY_FILE the start log says the settings are the policy', async () => {
    const app = spawnApp(env());
    spawned.push(app);
    await app.waitForOutput(/"msg":"cipher-user started"/);
    expect(app.output()).toContain('"policy":"settings only (no POLICY_FILE)"');
    await app.signal('SIGTERM');
    expect(await app.exited).toBe(0);
  });

  it('a group Slack will not list stops the start at its place in the file; nothing written', async () => {
    slack.setUsergroupMembers('S0SECLEADS', ['ULEAD1', 'ULEAD2']);
    const settings = env({ POLICY_FILE: ADMINISTRATORS });
    const { code, output } = await start(settings);
    expect(code, output).toBe(1);
    expect(output).toContain(
      'POLICY_FILE rules[1].require.differentGroups.groups[1]: Slack cannot list the members of user group "S0ITLEADS" (no_such_subteam)',
    );
    expect(output).not.toContain('"S0SECLEADS"');
    expect(await keysOf(settings.REDIS_KEY_PREFIX ?? '')).toEqual([]);
  });

  it('counts nobody could ever give stop the start, each named, all at once', async () => {
    // One person in both groups; the bot listed as a lead does not count.
    slack.setUsergroupMembers('S0SECLEADS', ['ULEAD1', slack.botUserId]);
    slack.setUsergroupMembers('S0ITLEADS', ['ULEAD1']);
    const file = policyFile(`
rules:
  - name: two-leads
    require:
      approvers: [{ count: 2, groups: [{ id: S0SECLEADS, name: security-leads }] }]
  - name: two-groups
    require:
      differentGroups: { count: 2, groups: [S0SECLEADS, S0ITLEADS] }
  - name: everyone
    require: { quorum: 5 }
  - name: fine
    require:
      quorum: 4
      approvers: [{ count: 1, users: [UAPPROVER1] }]
`);
    const settings = env({ POLICY_FILE: file });
    const { code, output } = await start(settings);
    expect(code, output).toBe(1);
    expect(output).toContain(
      'POLICY_FILE rules[0].require.approvers[0].count: rule two-leads needs 2 approvals from @security-leads, but only 1 person is in it',
    );
    expect(output).toContain(
      'POLICY_FILE rules[1].require.differentGroups.count: rule two-groups needs approvals from 2 different groups, but their members can cover only 1',
    );
    expect(output).toContain(
      'POLICY_FILE rules[2].require.quorum: rule everyone needs 5 approvals, but only 4 people could ever approve',
    );
    expect(output).not.toContain('rules[3]');
    expect(await keysOf(settings.REDIS_KEY_PREFIX ?? '')).toEqual([]);
  });
});
