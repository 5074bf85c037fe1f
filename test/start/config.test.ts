import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, EXAMPLE_VALUES, loadConfig } from '../../src/config.js';
import { repoRoot } from '../helpers/shared.js';

// The settings a new user gets wrong first, as loadConfig names them (no value of a secret, ever).
const VALID = {
  SLACK_BOT_TOKEN: 'xoxb-real-looking-token',
  SLACK_SIGNING_SECRET: 'a-real-signing-secret',
  CIPHERSCALE_API_TOKEN: 'cs-real-token',
  APPROVER_USER_IDS: 'U0APPROVER1,U0APPROVER2',
};

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return [...err.problems];
    throw err;
  }
  return [];
}

/** Every `NAME=value` line of .env.example, commented out or not. */
function exampleAssignments(): Array<{ name: string; value: string; commented: boolean }> {
  const text = readFileSync(path.join(repoRoot, '.env.example'), 'utf8');
  return text.split('\n').flatMap((line) => {
    const match = /^(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    return match?.[2] ? [{ name: match[2], value: match[3] ?? '', commented: Boolean(match[1]) }] : [];
  });
}

describe('.env.example and the placeholders the start refuses', () => {
  it('every value in .env.example is either the default or refused as the example value', () => {
    const assignments = exampleAssignments();
    expect(assignments.length).toBeGreaterThan(30);
    const refused: string[] = [];
    for (const { name, value } of assignments) {
      const problems = problemsOf({ ...VALID, [name]: value });
      if (problems.length > 0) {
        expect(problems, `${name}=${value}`).toEqual([
          expect.stringMatching(new RegExp(`^${name}: still holds the example value`)),
        ]);
        refused.push(name);
      } else {
        // Accepted: then it is what an unset setting gives (the default), never a value nobody chose.
        const rest: Record<string, string> = { ...VALID };
        delete rest[name];
        // (A quorum written out is remembered as set: impossible, it stops the start rather than warn.)
        const same = (c: ReturnType<typeof loadConfig>) => ({
          ...c,
          approvals: { ...c.approvals, quorumsSet: [] },
        });
        expect(same(loadConfig({ ...VALID, [name]: value })), `${name}=${value}`).toEqual(
          same(loadConfig(rest)),
        );
      }
    }
    expect(refused.sort()).toEqual([
      'APPROVALS_CHANNEL_ID',
      'APPROVER_USERGROUP_IDS',
      'APPROVER_USER_IDS',
      'CIPHERSCALE_API_TOKEN',
      'SLACK_APP_TOKEN',
      'SLACK_BOT_TOKEN',
      'SLACK_SIGNING_SECRET',
    ]);
  });

  it('every placeholder the code knows is one .env.example holds', () => {
    const held = new Map(exampleAssignments().map(({ name, value }) => [name, value]));
    for (const [name, value] of Object.entries(EXAMPLE_VALUES)) expect(held.get(name), name).toBe(value);
  });

  it('the uncommented placeholders all at once, each by name, with what to put in instead', () => {
    const copied = Object.fromEntries(
      exampleAssignments()
        .filter((a) => !a.commented)
        .map((a) => [a.name, a.value]),
    );
    expect(problemsOf(copied)).toEqual([
      'APPROVER_USER_IDS: still holds the example value "U0123456789" from .env.example: put in real Slack user ids',
      'CIPHERSCALE_API_TOKEN: still holds the example value from .env.example; put in your Cipherscale API token (with `npm run sandbox`: sandbox-token)',
      'SLACK_BOT_TOKEN: still holds the example value from .env.example; put in the Bot User OAuth Token (api.slack.com/apps → your app → OAuth & Permissions)',
      'SLACK_SIGNING_SECRET: still holds the example value from .env.example; put in the Signing Secret (your app → Basic Information → App Credentials)',
    ]);
  });
});

describe('values that are wrong are named', () => {
  it('each bad id quoted, at most five, long ones cut short', () => {
    const long = `U${'A'.repeat(40)}x`;
    const [problem] = problemsOf({ ...VALID, APPROVER_USER_IDS: `U1,UOK1,u2,${long},U3,U4,U5,U6` });
    expect(problem).toBe(
      `APPROVER_USER_IDS: "U1", "u2", "U${'A'.repeat(23)}…", "U3", "U4" and 2 more are not Slack user ids (U or W and 2+ capital letters or digits: a profile → ⋮ → Copy member ID)`,
    );
    expect(problemsOf({ ...VALID, APPROVER_USERGROUP_IDS: 'U0APPROVER1' })).toEqual([
      `APPROVER_USERGROUP_IDS: "U0APPROVER1" is not a Slack user group id (S and 2+ capital letters or digits: the end of the group's link in People → User groups)`,
    ]);
  });

  it('an integer out of range says its range and what it got; a word says the choices', () => {
    expect(problemsOf({ ...VALID, REQUIRED_APPROVALS_DELETE: '0', LOG_LEVEL: 'verbose' })).toEqual([
      'LOG_LEVEL: must be fatal, error, warn, info, debug, trace or silent, not "verbose"',
      'REQUIRED_APPROVALS_DELETE: must be a whole number from 1 to 10, not "0"',
    ]);
  });

  it('a secret that is wrong is described, never quoted', () => {
    const secrets = {
      SLACK_BOT_TOKEN: 'xoxp-a-user-token-secret',
      SLACK_APP_TOKEN: 'xoxb-not-an-app-token-secret',
      REDIS_URL: 'http://user:redis-password-secret@host',
    };
    const problems = problemsOf({ ...VALID, ...secrets }).join('\n');
    expect(problems).toContain('SLACK_BOT_TOKEN: must start with xoxb-');
    expect(problems).toContain('SLACK_APP_TOKEN: must start with xapp-');
    expect(problems).toContain('REDIS_URL: must be a redis:// or rediss:// URL');
    for (const value of Object.values(secrets)) expect(problems).not.toContain(value);
    expect(problems).not.toContain('redis-password-secret');
  });
});

describe('the README Settings tables', () => {
  it('give every whole-number setting the range the start enforces', () => {
    const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
    const checked: string[] = [];
    for (const { name } of exampleAssignments()) {
      const [problem] = problemsOf({ ...VALID, [name]: '0.5' });
      const range = /must be a whole number from (\d+) to (\d+)/.exec(problem ?? '');
      if (!range) continue;
      const row = readme.split('\n').find((line) => line.startsWith(`| \`${name}\` |`));
      expect(row, name).toBeDefined();
      expect(row, name).toContain(`${range[1]}–${range[2]}`);
      checked.push(name);
    }
    expect(checked.length).toBeGreaterThan(15);
  });
});
