import {
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, SLACK_ID_CHECKS } from '../../src/config.js';
import { NO_RULES, type PolicyDocument } from '../../src/policy/document.js';
import { MAX_RULES, parsePolicy, readPolicyFile } from '../../src/policy/file.js';
import { fragmentsIn } from '../helpers/secret-fragments.js';
import { repoRoot } from '../helpers/shared.js';

// POLICY_FILE as operators write it, and as a careless or hostile one does: every problem at once, each
// at its path in the file, never a value from the file in the message.
const dir = mkdtempSync(path.join(tmpdir(), 'cipher-user-policy-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
function file(text: string | Buffer): string {
  files += 1;
  const name = path.join(dir, `policy-${files}.yaml`);
  writeFileSync(name, text);
  return name;
}

const VALID_ENV = {
  SLACK_BOT_TOKEN: 'xoxb-real-looking-token',
  SLACK_SIGNING_SECRET: 'a-real-signing-secret',
  CIPHERSCALE_API_TOKEN: 'cs-real-token',
  APPROVER_USER_IDS: 'U0APPROVER1,U0APPROVER2',
};

function problemsOf(text: string): string[] {
  const read = parsePolicy(text, 'policy.yaml', SLACK_ID_CHECKS);
  if (read.ok) throw new Error(`accepted: ${JSON.stringify(read.document)}`);
  return read.problems;
}

function documentOf(text: string): PolicyDocument {
  const read = parsePolicy(text, 'policy.yaml', SLACK_ID_CHECKS);
  if (!read.ok) throw new Error(`refused:\n${read.problems.join('\n')}`);
  return read.document;
}

const ADMINISTRATORS = `
rules:
  - name: administrators
    description: Changing an administrator needs two security leads.
    when:
      actions: [deactivate, delete]
      target:
        roles: [Tenant Admin]
        isOwner: false
        status: [active]
        devices: { min: 3, max: 10 }
        emailDomains: ['@Corp.Example']
      requester: { users: [U0HELPDESK, U0HELPDESK], groups: [S0HELPDESK] }
      channels: [C0SECURITY]
    require:
      quorum: 3
      approvers:
        - count: 2
          groups: [{ id: S0SECLEADS, name: '@security-leads' }]
      differentGroups: { count: 2, groups: [S0SECLEADS, { id: S0ITLEADS, name: it-leads }] }
    onlyInChannels: [C0SECURITY, C0SECURITY]
  - name: no-owner-deletes
    when: { actions: [delete], target: { isOwner: true } }
    forbid: The owner is never deleted from Slack.
`;

const NORMALISED: PolicyDocument = {
  source: 'policy.yaml',
  rules: [
    {
      name: 'administrators',
      description: 'Changing an administrator needs two security leads.',
      match: {
        actions: ['deactivate', 'delete'],
        target: {
          roles: ['Tenant Admin'],
          isOwner: false,
          status: ['active'],
          devices: { min: 3, max: 10 },
          emailDomains: ['corp.example'],
        },
        requester: { users: ['U0HELPDESK'], groups: [{ id: 'S0HELPDESK' }] },
        channels: ['C0SECURITY'],
      },
      quorum: 3,
      approvers: [{ count: 2, from: { users: [], groups: [{ id: 'S0SECLEADS', name: 'security-leads' }] } }],
      distinctGroups: { count: 2, groups: [{ id: 'S0SECLEADS' }, { id: 'S0ITLEADS', name: 'it-leads' }] },
      onlyInChannels: ['C0SECURITY'],
    },
    {
      name: 'no-owner-deletes',
      match: { actions: ['delete'], target: { isOwner: true } },
      forbid: 'The owner is never deleted from Slack.',
    },
  ],
};

describe('a valid policy file', () => {
  it('becomes the PolicyDocument the engine reads: names kept, handles without @, domains lower case, lists once', () => {
    expect(documentOf(ADMINISTRATORS)).toEqual(NORMALISED);
  });

  it('reads the same as JSON, with a BOM, and with CRLF line ends', () => {
    const json = JSON.stringify(
      {
        rules: [
          {
            name: 'administrators',
            description: 'Changing an administrator needs two security leads.',
            when: {
              actions: ['deactivate', 'delete'],
              target: {
                roles: ['Tenant Admin'],
                isOwner: false,
                status: ['active'],
                devices: { min: 3, max: 10 },
                emailDomains: ['@Corp.Example'],
              },
              requester: { users: ['U0HELPDESK'], groups: ['S0HELPDESK'] },
              channels: ['C0SECURITY'],
            },
            require: {
              quorum: 3,
              approvers: [{ count: 2, groups: [{ id: 'S0SECLEADS', name: 'security-leads' }] }],
              differentGroups: { count: 2, groups: ['S0SECLEADS', { id: 'S0ITLEADS', name: 'it-leads' }] },
            },
            onlyInChannels: ['C0SECURITY'],
          },
          {
            name: 'no-owner-deletes',
            when: { actions: ['delete'], target: { isOwner: true } },
            forbid: 'The owner is never deleted from Slack.',
          },
        ],
      },
      null,
      2,
    );
    expect(documentOf(json)).toEqual(NORMALISED);
    expect(documentOf(`\uFEFF${ADMINISTRATORS}`)).toEqual(NORMALISED);
    expect(documentOf(ADMINISTRATORS.replace(/\n/g, '\r\n'))).toEqual(NORMALISED);
  });

  it('a rule without `when` applies to every request', () => {
    expect(documentOf('rules:\n  - name: everything\n    require: { quorum: 2 }\n').rules).toEqual([
      { name: 'everything', match: {}, quorum: 2 },
    ]);
  });

  it('loadConfig reads POLICY_FILE into config.policy, with the path as its source; unset or blank: no rules', () => {
    const name = file(ADMINISTRATORS);
    expect(loadConfig({ ...VALID_ENV, POLICY_FILE: ` ${name} ` }).policy).toEqual({
      ...NORMALISED,
      source: name,
    });
    expect(loadConfig(VALID_ENV).policy).toBe(NO_RULES);
    expect(loadConfig({ ...VALID_ENV, POLICY_FILE: '  ' }).policy).toBe(NO_RULES);
  });
});

describe('every problem at once, each at its path', () => {
  it('lists them all, in file order (rules[2] before rules[10]), with what was expected', () => {
    const text = `
rules:
  - name: Admins
    when:
      actoins: [deactivate]
      target: {}
      channels: [general]
    require:
      quorum: 60
      approvers:
        - count: 3
          users: [U0ONE, U0TWO]
        - count: 0
          users: [U0ONE]
          groups: [notagroup, { id: S0OK, nmae: x }]
      differentGroups: { count: 3, groups: [S0A, S0B] }
  - name: quiet
    description: matches and does nothing
  - name: quiet
    forbid: twice
  - name: empty-lists
    when: { actions: [], target: { roles: [] } }
    onlyInChannels: []
  - name: wrong-level
    quorum: 2
    forbid: yes
  - name: bad-values
    when: { actions: [lookup], target: { isOwner: "yes", devices: { min: 5, max: 2 } } }
    require: { quorum: 1.5 }
${Array.from({ length: 4 }, (_, i) => `  - name: filler-${i}\n    forbid: no\n`).join('')}  - name: tenth
    require: {}
`;
    expect(problemsOf(text)).toEqual([
      'rules[0].name: a name of lower-case letters, digits and - (at most 40), e.g. administrators',
      'rules[0].require.approvers[0].count: 3 approvals from 2 listed users can never happen',
      'rules[0].require.approvers[1].count: a whole number from 1 to 50',
      "rules[0].require.approvers[1].groups[0]: not a Slack user group id (S and 2+ capital letters or digits: the end of the group's link in People → User groups)",
      'rules[0].require.approvers[1].groups[1].nmae: unknown key (did you mean name?)',
      'rules[0].require.differentGroups.count: approvals from 3 different groups, but only 2 listed',
      'rules[0].require.quorum: a whole number from 1 to 50',
      'rules[0].when.actoins: unknown key (did you mean actions?)',
      "rules[0].when.channels[0]: not a Slack channel id (C, G or D and 2+ capital letters or digits: the end of the channel's link)",
      'rules[0].when.target: an empty target: leave it out, or give a condition',
      'rules[1]: the rule has no effect: give require, forbid or onlyInChannels',
      'rules[2].name: the same name as rules[1]: names must be unique',
      'rules[3].onlyInChannels: an empty list: leave the key out, or list at least one',
      'rules[3].when.actions: an empty list: leave the key out, or list at least one',
      'rules[3].when.target.roles: an empty list: leave the key out, or list at least one',
      'rules[4].quorum: unknown key here (it belongs under require)',
      'rules[5].require.quorum: a whole number from 1 to 50',
      'rules[5].when.actions[0]: one of edit, deactivate, delete',
      'rules[5].when.target.devices: min is larger than max',
      'rules[5].when.target.isOwner: expected true or false',
      'rules[10].require: an empty require: give quorum, approvers or differentGroups',
    ]);
  });

  it('loadConfig lists them with the settings problems, each prefixed POLICY_FILE', () => {
    const name = file('rules:\n  - name: x\n    forbid: no\n    onlyInChannels: [nope]\n');
    let problems: readonly string[] = [];
    try {
      loadConfig({ ...VALID_ENV, PORT: 'eighty', POLICY_FILE: name });
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems = err.problems;
    }
    expect(problems).toEqual([
      'PORT: must be a whole number from 0 to 65535, not "eighty"',
      "POLICY_FILE rules[0].onlyInChannels[0]: not a Slack channel id (C, G or D and 2+ capital letters or digits: the end of the channel's link)",
    ]);
  });

  it('the example ids of .env.example are refused in the file too', () => {
    expect(
      problemsOf('rules:\n  - name: x\n    require: { approvers: [{ count: 1, users: [U0123456789] }] }\n'),
    ).toEqual([
      'rules[0].require.approvers[0].users[0]: still holds the example value "U0123456789" from .env.example: put in real Slack user ids',
    ]);
  });

  it('a file that is not a mapping of rules, or is empty, or has no rules', () => {
    expect(problemsOf('- name: x\n  forbid: no\n')).toEqual([
      'the file must be a mapping with `rules:` (a list of rules)',
    ]);
    expect(problemsOf('just words')).toEqual(['the file must be a mapping with `rules:` (a list of rules)']);
    expect(problemsOf('')).toEqual(['the file is empty: give `rules:`']);
    expect(problemsOf('# only a comment\n')).toEqual(['the file is empty: give `rules:`']);
    expect(problemsOf('rules: []\n')).toEqual(['rules: no rules: list at least one, or unset POLICY_FILE']);
    expect(problemsOf('rulez: []\n')).toEqual([
      'rules: required',
      'rulez: unknown key (did you mean rules?)',
    ]);
  });

  it(`more than ${MAX_RULES} rules`, () => {
    const rules = Array.from({ length: MAX_RULES + 1 }, (_, i) => `  - { name: r${i}, forbid: no }`).join(
      '\n',
    );
    expect(problemsOf(`rules:\n${rules}\n`)).toEqual([`rules: at most ${MAX_RULES} rules`]);
  });
});

describe('a careless or hostile file', () => {
  const SECRET = 'xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOpQrStUvWx';

  it('never echoes a value: a token pasted as an id, a name, a domain, a key or a broken line', () => {
    const text = `
rules:
  - name: ${SECRET}
    description: ${'x'.repeat(301)}
    when:
      requester: { users: [${SECRET}], groups: [${SECRET}] }
      channels: [${SECRET}]
      target: { emailDomains: [${SECRET}], status: [{ token: ${SECRET} }] }
    require:
      approvers: [{ count: 1, groups: [{ id: ${SECRET}, name: ${SECRET}! }] }]
    onlyInChannels: [${SECRET}]
    ${SECRET}: 1
`;
    const problems = problemsOf(text);
    expect(problems.length).toBeGreaterThanOrEqual(9);
    expect(problems).toContain('rules[0]: an unknown key');
    for (const problem of problems) expect(fragmentsIn(problem, SECRET), problem).toEqual([]);
    const broken = problemsOf(`rules:\n  - name: "${SECRET}\n`);
    expect(broken).toEqual(['line 3, column 1: a quote or bracket is not closed']);
    for (const problem of broken) expect(fragmentsIn(problem, SECRET)).toEqual([]);
  });

  it('a billion-laughs alias bomb is refused, quickly, without expanding it', () => {
    const levels = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 9; i += 1) {
      const previous = `*l${i - 1}`.replace('*l0', '*a');
      levels.push(`l${i}: &l${i} [${Array(10).fill(previous).join(', ')}]`);
    }
    const started = performance.now();
    expect(problemsOf(`${levels.join('\n')}\nrules: [*l8]\n`)).toEqual([
      'its aliases expand too far (more than 100): write the lists out',
    ]);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('an alias without its anchor is named as such', () => {
    expect(problemsOf('rules:\n  - { name: a, onlyInChannels: *channels }\n')).toEqual([
      'an alias (*name) has no anchor (&name) before it',
    ]);
  });

  it('a few aliases (a shared group list) are fine', () => {
    const doc = documentOf(`
rules:
  - name: a
    require: { approvers: [{ count: 1, groups: &leads [{ id: S0SECLEADS, name: security-leads }] }] }
  - name: b
    when: { requester: { groups: *leads } }
    forbid: no
`);
    expect(doc.rules[1]?.match.requester).toEqual({
      users: [],
      groups: [{ id: 'S0SECLEADS', name: 'security-leads' }],
    });
  });

  it('duplicate keys, tags (js/function, custom), tabs and bad syntax: refused by line and column', () => {
    expect(problemsOf('rules:\n  - name: a\n    forbid: x\n    forbid: y\n')).toEqual([
      'line 4, column 5: a key is given twice in the same mapping',
    ]);
    expect(problemsOf('{"rules": [{"name": "a", "forbid": "x", "name": "b"}]}')).toEqual([
      'line 1, column 41: a key is given twice in the same mapping',
    ]);
    expect(problemsOf('rules:\n  - name: a\n    forbid: !!js/function "function () { return 1 }"\n')).toEqual(
      ['line 3, column 13: tags (`!…`, `!!…`) are not allowed: write plain values'],
    );
    expect(problemsOf('rules:\n  - !rule { name: a, forbid: x }\n')).toEqual([
      'line 2, column 5: tags (`!…`, `!!…`) are not allowed: write plain values',
    ]);
    expect(problemsOf('rules:\n  - name: a\n    when: { actions: [delete }\n')).toEqual(
      expect.arrayContaining([expect.stringMatching(/^line 3, column \d+: /)]),
    );
    expect(problemsOf('rules:\n---\nrules: []\n')).toEqual([
      'line 2, column 1: more than one YAML document (`---`): keep one',
    ]);
    expect(problemsOf('rules:\n  - name: a\n    forbid: x\n  - name: b\n\tforbid: y\n')).toEqual(
      expect.arrayContaining([expect.stringMatching(/^line 5, column 1: /)]),
    );
  });
});

describe('reading the file', () => {
  it('names the path, never the content, when it cannot be read', () => {
    const target = path.join(dir, 'a-directory');
    mkdirSync(target);
    const link = path.join(dir, 'link-to-directory.yaml');
    symlinkSync(target, link);
    expect(readPolicyFile(link, SLACK_ID_CHECKS)).toEqual({
      ok: false,
      problems: [`cannot read ${link}: it is a directory (give the path of the file itself)`],
    });
    const missing = path.join(dir, 'missing.yaml');
    expect(readPolicyFile(missing, SLACK_ID_CHECKS)).toEqual({
      ok: false,
      problems: [`cannot read ${missing}: no such file`],
    });
    const loop = path.join(dir, 'loop.yaml');
    symlinkSync(loop, loop);
    expect(readPolicyFile(loop, SLACK_ID_CHECKS)).toEqual({
      ok: false,
      problems: [`cannot read ${loop}: too many symbolic links`],
    });
  });

  it('a file over 1 MB is refused by its size; one that is not UTF-8 as such', () => {
    const huge = file(`rules:\n${'  - { name: a, forbid: no }\n'.repeat(40_000)}`);
    expect(readPolicyFile(huge, SLACK_ID_CHECKS)).toEqual({
      ok: false,
      problems: [`cannot read ${huge}: it is larger than 1 MB`],
    });
    const latin1 = file(Buffer.from('rules:\n  - { name: a, forbid: "caf\xe9" }\n', 'latin1'));
    expect(readPolicyFile(latin1, SLACK_ID_CHECKS)).toEqual({
      ok: false,
      problems: [`cannot read ${latin1}: it is not UTF-8 text`],
    });
  });
});

describe('docs/policy-examples (the README’s examples)', () => {
  const examples = path.join(repoRoot, 'docs/policy-examples');
  const names = readdirSync(examples).filter((name) => name.endsWith('.yaml'));

  it('are the three of the README, each loading without a problem', () => {
    expect(names.sort()).toEqual(['administrators.yaml', 'contractors.yaml', 'offboarding.yaml']);
    for (const name of names) {
      const read = readPolicyFile(path.join(examples, name), SLACK_ID_CHECKS);
      expect(read.ok ? [] : read.problems, name).toEqual([]);
    }
  });

  it('each is in the README word for word, in a yaml block', () => {
    const readme = readFileSync(path.join(repoRoot, 'README.md'), 'utf8');
    const blocks = [...readme.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]);
    for (const name of names) {
      expect(blocks, name).toContain(readFileSync(path.join(examples, name), 'utf8'));
    }
  });
});
