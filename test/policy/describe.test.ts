import { describe, expect, it } from 'vitest';
import type { PolicySettings } from '../../src/approvals/policy.js';
import { policyMessage } from '../../src/blocks/policy.js';
import { describeDefault, describeRule, policySummary } from '../../src/policy/describe.js';
import { NO_RULES, type PolicyDocument, type PolicyRule } from '../../src/policy/document.js';
import { blockKitProblems } from '../helpers/block-kit.js';

// The policy in words: what `/cipher-user policy` and the start log say, matching what the engine does.
const SETTINGS: PolicySettings = {
  approverUserIds: ['UAPPROVER1'],
  approverUsergroupIds: ['S0APPROVERS'],
  requesterUserIds: [],
  requesterUsergroupIds: ['S0REQUESTERS'],
  allowedChannelIds: ['C0SEC', 'C0OPS'],
  requiredApprovals: { edit: 1, deactivate: 1, delete: 2 },
};

const rule = (fields: Partial<PolicyRule>): PolicyRule => ({ name: 'r', match: {}, ...fields });

describe('policySummary (the start log)', () => {
  it('names the file and its rules, at most eight, or says the settings are the policy', () => {
    expect(policySummary(NO_RULES)).toBe('settings only (no POLICY_FILE)');
    const three: PolicyDocument = {
      source: '/etc/cipher-user/policy.yaml',
      rules: ['administrators', 'contractors', 'offboarding-hours'].map((name) => rule({ name, quorum: 2 })),
    };
    expect(policySummary(three)).toBe(
      '3 rules from /etc/cipher-user/policy.yaml (administrators, contractors, offboarding-hours)',
    );
    const many: PolicyDocument = {
      source: 'p.yaml',
      rules: Array.from({ length: 12 }, (_, i) => rule({ name: `r${i}`, forbid: 'no' })),
    };
    expect(policySummary(many)).toBe('12 rules from p.yaml (r0, r1, r2, r3, r4, r5, r6, r7, and 4 more)');
    expect(policySummary({ source: 'one.yaml', rules: [rule({ name: 'only', forbid: 'no' })] })).toBe(
      '1 rule from one.yaml (only)',
    );
  });
});

describe('describeDefault (the settings)', () => {
  it('who requests, who approves, how many per action, where', () => {
    expect(describeDefault(SETTINGS)).toEqual([
      '*Who may request:* `S0REQUESTERS`',
      '*Who approves:* `S0APPROVERS` or <@UAPPROVER1> (never their own request)',
      '*Approvals needed:* edit 1, deactivate 1, delete 2',
      '*Where:* <#C0SEC> or <#C0OPS>',
    ]);
    expect(
      describeDefault({
        ...SETTINGS,
        requesterUsergroupIds: [],
        allowedChannelIds: [],
        approverUsergroupIds: [],
      }),
    ).toEqual([
      '*Who may request:* anyone',
      '*Who approves:* <@UAPPROVER1> (never their own request)',
      '*Approvals needed:* edit 1, deactivate 1, delete 2',
      '*Where:* any channel',
    ]);
  });
});

describe('describeRule', () => {
  it('the administrators rule, as the brief words it', () => {
    expect(
      describeRule({
        name: 'administrators',
        description: 'Changing an administrator needs two security leads.',
        match: { actions: ['deactivate', 'delete'], target: { roles: ['Tenant Admin'] } },
        quorum: 2,
        approvers: [
          { count: 2, from: { users: [], groups: [{ id: 'S0SECLEADS', name: 'security-leads' }] } },
        ],
      }),
    ).toBe(
      '*administrators* — Changing an administrator needs two security leads.\nWhen: deactivate or delete, and the user has role *Tenant Admin*.\nThen: needs 2 approvals in all, 2 of them from @security-leads.',
    );
  });

  it('every condition and every effect, in words', () => {
    expect(
      describeRule({
        name: 'everything',
        match: {
          actions: ['edit'],
          target: {
            roles: ['Admin', 'Owner'],
            groups: ['Finance'],
            isOwner: false,
            status: ['active'],
            devices: { min: 2, max: 4 },
            emailDomains: ['corp.example'],
          },
          requester: { users: ['U0HELP'], groups: [{ id: 'S0HELP' }] },
          channels: ['C0HELP'],
        },
        forbid: 'Never.',
        onlyInChannels: ['C0SEC'],
        approvers: [{ count: 1, from: { users: ['U0LEAD'], groups: [] } }],
        distinctGroups: { count: 2, groups: [{ id: 'S0A', name: 'a' }, { id: 'S0B' }] },
      }),
    ).toBe(
      "*everything*\nWhen: edit, and the user has role *Admin* or *Owner*, and the user is in group *Finance*, and the user is not the owner, and the user's status is *active*, and the user has 2 to 4 devices, and the user's email is at *corp.example*, and requested by `S0HELP` or <@U0HELP>, and requested in <#C0HELP>.\nThen: forbidden: Never, only in <#C0SEC>, needs 1 approval from <@U0LEAD>, approvals from 2 different groups of @a and `S0B`.",
    );
  });

  it('a rule without conditions applies to every request; devices read naturally at each bound', () => {
    expect(describeRule(rule({ quorum: 3 }))).toBe(
      '*r*\nWhen: every request.\nThen: needs 3 approvals in all.',
    );
    const devices = (d: { min?: number; max?: number }) =>
      describeRule(rule({ match: { target: { devices: d } }, forbid: 'x' })).split('\n')[1];
    expect(devices({ min: 1 })).toBe('When: the user has 1 device or more.');
    expect(devices({ max: 0 })).toBe('When: the user has at most 0 devices.');
    expect(devices({ min: 3, max: 3 })).toBe('When: the user has 3 devices.');
    expect(describeRule(rule({ match: { target: { isOwner: true } }, forbid: 'x' }))).toContain(
      'When: the user is the owner.',
    );
  });

  it('hostile text from the file cannot ping, link, mention or break out of bold', () => {
    const text = describeRule({
      name: 'x',
      description: '<!channel> <@U0VICTIM> <https://evil.example|ok>\nsecond line',
      match: {
        target: { roles: ['*Admin*', '<!here>'], groups: ['<#C0SECRET>'], emailDomains: ['a.example'] },
      },
      forbid: 'Ask <!subteam^S0ALL> & wait',
    });
    for (const live of ['<!channel>', '<@U0VICTIM>', '<https://', '<!here>', '<#C0SECRET>', '<!subteam'])
      expect(text).not.toContain(live);
    expect(text).toContain('&lt;!channel&gt; &lt;@U0VICTIM&gt;');
    expect(text).toContain('*∗Admin∗*');
    expect(text).toContain('&amp; wait');
    expect(text.split('\n')).toHaveLength(3);
  });
});

describe('policyMessage', () => {
  it('the settings alone, then with rules: the default rule first, how rules combine, each rule', () => {
    const bare = policyMessage(SETTINGS, NO_RULES);
    expect(blockKitProblems('message', bare.blocks)).toEqual([]);
    expect(JSON.stringify(bare.blocks)).toContain('No POLICY_FILE: the settings are the whole policy.');
    const withRules = policyMessage(SETTINGS, {
      source: 'policy.yaml',
      rules: [rule({ name: 'a', quorum: 2 }), rule({ name: 'b', forbid: 'no' })],
    });
    expect(blockKitProblems('message', withRules.blocks)).toEqual([]);
    const texts = JSON.stringify(withRules.blocks);
    expect(texts.indexOf('Default rule')).toBeLessThan(texts.indexOf('the strictest wins'));
    expect(texts.indexOf('the strictest wins')).toBeLessThan(texts.indexOf('*a*'));
    expect(texts.indexOf('*a*')).toBeLessThan(texts.indexOf('*b*'));
    expect(withRules.text).toBe('The approval policy in force: the settings and 2 rules');
  });
});
