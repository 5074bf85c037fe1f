import { describe, expect, it } from 'vitest';
import { approvalMessage } from '../../src/blocks/approval-card.js';
import type { Needs } from '../../src/policy/needs.js';
import { blockKitProblems } from '../helpers/block-kit.js';
import { parsedTexts, visibleText, withoutOwnMarkup } from '../helpers/blocks-text.js';
import { sampleRequest } from '../helpers/sample-request.js';

// The request message with a policy's needs: one line per rule, the count per requirement, within Slack's
// limits whatever the policy file and Cipherscale hold.

const huge = (seed: string) => `${seed} <!channel> <@U0BAD> *bold* `.repeat(400);

describe('the request message with needs', () => {
  it('many rules with huge hostile names stay within Block Kit limits and never mention anyone', () => {
    const rules = Array.from({ length: 12 }, (_, i) => ({ name: huge(`rule${i}`), why: huge('why') }));
    const needs: Needs = {
      quorum: 4,
      quorumRule: rules[0]?.name ?? '',
      require: rules.slice(0, 6).map((rule, i) => ({
        rule: rule.name,
        count: 2,
        from: { users: ['U0LEAD1', '<!here>'], groups: [{ id: `S${i}`, name: huge('group') }] },
      })),
      distinct: {
        rule: rules[1]?.name ?? '',
        count: 2,
        groups: [{ id: 'SA', name: huge('a') }, { id: 'SB' }],
      },
      rules,
    };
    const message = approvalMessage(sampleRequest({ requiredApprovals: 4, needs }));
    expect(blockKitProblems('message', message.blocks)).toEqual([]);
    const parsed = withoutOwnMarkup(parsedTexts(message)).join('\n');
    expect(parsed).not.toMatch(/<[!@#]/);
    expect(visibleText(message.blocks)).toContain('…and 7 more rules');
  });

  it('shows the rule, why, what it needs, and the count per requirement', () => {
    const needs: Needs = {
      quorum: 2,
      quorumRule: 'administrators',
      require: [
        {
          rule: 'administrators',
          count: 2,
          from: { users: [], groups: [{ id: 'SLEADS', name: 'security-leads' }] },
        },
      ],
      rules: [{ name: 'administrators', why: 'the user has role Tenant Admin' }],
    };
    const message = approvalMessage(
      sampleRequest({
        requiredApprovals: 2,
        needs,
        approvals: [{ userId: 'U0LEAD1', at: 1, groups: ['SLEADS'] }],
      }),
    );
    const text = visibleText(message.blocks);
    expect(text).toContain(
      '*Policy:* rule *administrators* — the user has role Tenant Admin. Needs 2 approvals from @security-leads.',
    );
    expect(text).toContain('Approvals *1/2* · @security-leads 1/2');
    expect(text).toContain('Waiting for 1 more approval');
  });
});
