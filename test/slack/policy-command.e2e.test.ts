import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { blockKitProblems } from '../helpers/block-kit.js';
import { visibleText } from '../helpers/blocks-text.js';
import { APPROVERS, type Harness, REQUESTER, startHarness } from '../helpers/harness.js';

// `/cipher-user policy` end to end: a signed slash command, POLICY_FILE read by the real start, the
// ephemeral answer as the fake Slack recorded it on the response_url.
const ALLOWED = 'C0ALLOWED01';
const OUTSIDER = 'U0OUTSIDER';
const dir = mkdtempSync(path.join(tmpdir(), 'cipher-user-policy-e2e-'));

const POLICY = `
rules:
  - name: administrators
    description: Changing an administrator needs two security leads.
    when:
      actions: [deactivate, delete]
      target: { roles: [Tenant Admin] }
    require:
      quorum: 2
      approvers:
        - count: 2
          groups: [{ id: S0SECLEADS, name: security-leads }]
  - name: hostile
    description: "<!channel> ping <@U0VICTIM> and <https://evil.example|click> *bold*"
    when:
      target: { roles: ["<!here>", "*Tenant*Admin*"], emailDomains: [contractor.example] }
      requester: { users: [U0HELPDESK] }
    forbid: "Ask <!everyone> in <#C0ELSEWHERE|secret> & friends."
    onlyInChannels: [C0OFFBOARD1]
`;

function policyFile(name: string, text: string): string {
  const file = path.join(dir, name);
  writeFileSync(file, text);
  return file;
}

let h: Harness;

beforeAll(async () => {
  h = await startHarness({
    processBeforeResponse: true,
    env: {
      POLICY_FILE: policyFile('policy.yaml', POLICY),
      REQUESTER_USER_IDS: REQUESTER,
      ALLOWED_CHANNEL_IDS: ALLOWED,
      REQUIRED_APPROVALS_DELETE: '3',
    },
  });
});
afterAll(async () => {
  await h.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  h.slack.reset();
  h.cipher.reset();
});

async function policyAs(harness: Harness, userId: string, channelId: string) {
  const ack = await harness.command('policy', { user_id: userId, channel_id: channelId });
  expect(ack.status).toBe(200);
  const [call] = await harness.slack.waitFor(
    (c) => c.method === 'response_url' && c.responseUrlId === ack.responseUrlId,
  );
  const args = call?.args ?? {};
  const blocks = Array.isArray(args.blocks) ? (args.blocks as unknown[]) : [];
  return {
    args,
    blocks,
    raw: JSON.stringify(args),
    text: `${String(args.text ?? '')}\n${visibleText(args.blocks)}`,
  };
}

describe('/cipher-user policy', () => {
  it('shows the settings as the default rule, then each rule in words, as an ephemeral', async () => {
    const { args, blocks, text } = await policyAs(h, REQUESTER, ALLOWED);
    expect(args.response_type).toBe('ephemeral');
    expect(blockKitProblems('message', blocks)).toEqual([]);
    expect(text).toContain('*Who may request:* <@U0REQUESTER>');
    expect(text).toContain(`*Who approves:* <@${APPROVERS[0]}>, <@${APPROVERS[1]}> or <@${APPROVERS[2]}>`);
    expect(text).toContain('*Approvals needed:* edit 1, deactivate 1, delete 3');
    expect(text).toContain(`*Where:* <#${ALLOWED}>`);
    expect(text).toContain(`*2 rules* from \`${h.config.policy.source}\``);
    expect(text).toContain(
      '*administrators* — Changing an administrator needs two security leads.\nWhen: deactivate or delete, and the user has role *Tenant Admin*.\nThen: needs 2 approvals in all, 2 of them from @security-leads.',
    );
    // Cipherscale is never asked: the policy is the file and the settings.
    expect(h.cipher.calls).toHaveLength(0);
  });

  it('escapes every word of the file: no ping, no link, no forged mention, no broken bold', async () => {
    const { raw, text } = await policyAs(h, APPROVERS[0], ALLOWED);
    for (const live of [
      '<!channel>',
      '<!here>',
      '<!everyone>',
      '<@U0VICTIM>',
      '<https://evil.example',
      '<#C0ELSEWHERE',
    ])
      expect(raw).not.toContain(live);
    expect(raw).toContain('&lt;!channel&gt; ping &lt;@U0VICTIM&gt;');
    expect(text).toContain(
      'Then: forbidden: Ask &lt;!everyone&gt; in &lt;#C0ELSEWHERE|secret&gt; &amp; friends, only in <#C0OFFBOARD1>.',
    );
    // Ids the file checked are real mentions: the requester it names, the channel it allows.
    expect(raw).toContain('<@U0HELPDESK>');
    expect(raw).toContain('<#C0OFFBOARD1>');
    // A `*` of the file cannot end the bold around a role early.
    expect(text).toContain('the user has role *&lt;!here&gt;* or *∗Tenant∗Admin∗*');
  });

  it('is refused, with nothing of the policy, to someone who may not look users up, or in another channel', async () => {
    const outsider = await policyAs(h, OUTSIDER, ALLOWED);
    expect(outsider.text).toContain('not allowed to look up');
    const elsewhere = await policyAs(h, REQUESTER, 'C0ELSEWHERE');
    expect(elsewhere.text).toContain('cannot be made from this channel');
    for (const { raw } of [outsider, elsewhere]) {
      for (const secretish of [
        'administrators',
        'security-leads',
        'S0SECLEADS',
        APPROVERS[0],
        'Tenant Admin',
      ])
        expect(raw).not.toContain(secretish);
    }
  });

  it('is in the help', async () => {
    const ack = await h.command('help', { user_id: REQUESTER, channel_id: ALLOWED });
    expect(visibleText((ack.json() as { blocks: unknown }).blocks)).toContain('/cipher-user policy');
  });
});

describe('/cipher-user policy at the edges', () => {
  it('without POLICY_FILE: the settings are the whole policy', async () => {
    const bare = await startHarness({ processBeforeResponse: true });
    try {
      const { blocks, text } = await policyAs(bare, APPROVERS[1], 'C0ANYWHERE');
      expect(blockKitProblems('message', blocks)).toEqual([]);
      expect(text).toContain('*Who may request:* anyone');
      expect(text).toContain('*Where:* any channel');
      expect(text).toContain('No POLICY_FILE: the settings are the whole policy.');
    } finally {
      await bare.close();
    }
  });

  it('100 long rules stay within 50 blocks and Slack’s limits, the ones left out counted', async () => {
    const long = (i: number) => `
  - name: rule-${String(i).padStart(3, '0')}
    description: "${`Rule ${i} & <!channel> `.repeat(13).slice(0, 300)}"
    when:
      target:
        roles: [${Array.from({ length: 12 }, (_, r) => `"Role ${r} ${'x'.repeat(80)}"`).join(', ')}]
    forbid: "${'Not here. '.repeat(50)}"`;
    const file = policyFile('big.yaml', `rules:${Array.from({ length: 100 }, (_, i) => long(i)).join('')}\n`);
    const big = await startHarness({ processBeforeResponse: true, env: { POLICY_FILE: file } });
    try {
      const { blocks, text } = await policyAs(big, APPROVERS[0], 'C0ANYWHERE');
      expect(blockKitProblems('message', blocks)).toEqual([]);
      expect(blocks.length).toBeLessThanOrEqual(50);
      const shown = [...text.matchAll(/rule-\d{3}/g)].map((m) => m[0]);
      const more = /…and (\d+) more rules: see the policy file\./.exec(text);
      expect(more).not.toBeNull();
      expect(new Set(shown).size + Number(more?.[1])).toBe(100);
      expect(shown[0]).toBe('rule-000');
      expect(text).not.toContain('<!channel>');
    } finally {
      await big.close();
    }
  });
});
