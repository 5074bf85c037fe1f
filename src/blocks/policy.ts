import type { KnownBlock } from '@slack/types';
import type { PolicySettings } from '../approvals/policy.js';
import { describeDefault, describeRule } from '../policy/describe.js';
import type { PolicyDocument } from '../policy/document.js';
import { context, plural, section } from './kit.js';
import { MAX_MESSAGE_BLOCKS, MAX_SECTION_TEXT } from './limits.js';
import { type BlockMessage, code } from './mrkdwn.js';

// The ephemeral answer to `/cipher-user policy`: the settings as the default rule, then each rule of
// POLICY_FILE in words (src/policy/describe.ts), packed into sections; past Slack's 50 blocks, the rest
// are counted.

const HOW_RULES_COMBINE =
  'A rule applies when every condition it gives holds (a list: any of its entries; a bulk request: any of its users). When several apply, the strictest wins: the highest number of approvals, every approver requirement, any forbid, and only the channels they all allow.';

export function policyMessage(settings: PolicySettings, document: PolicyDocument): BlockMessage {
  const { rules } = document;
  const blocks: KnownBlock[] = [
    section('*The approval policy in force*'),
    section(
      [
        `*Default rule* (the settings${rules.length > 0 ? ', for every request; the rules below add to it' : ''})`,
        ...describeDefault(settings),
      ].join('\n'),
    ),
  ];
  if (rules.length === 0) {
    blocks.push(context('No POLICY_FILE: the settings are the whole policy.'));
    return { text: 'The approval policy in force: the settings only', blocks };
  }
  blocks.push(
    section(`*${plural(rules.length, 'rule')}* from ${code(document.source ?? 'POLICY_FILE', 300)}`),
    context(HOW_RULES_COMBINE),
  );
  const chunks = packRules(rules.map(describeRule));
  const room = MAX_MESSAGE_BLOCKS - blocks.length;
  const fits = chunks.length <= room ? chunks : chunks.slice(0, room - 1);
  blocks.push(...fits.map((chunk) => section(chunk.text)));
  const shown = fits.reduce((sum, chunk) => sum + chunk.rules, 0);
  if (shown < rules.length)
    blocks.push(context(`…and ${plural(rules.length - shown, 'more rule')}: see the policy file.`));
  return { text: `The approval policy in force: the settings and ${plural(rules.length, 'rule')}`, blocks };
}

/** Whole rules per section, as many as fit; a rule longer than a section is cut (describeRule keeps them short). */
function packRules(texts: readonly string[]): { text: string; rules: number }[] {
  const chunks: { text: string; rules: number }[] = [];
  for (const text of texts) {
    const last = chunks.at(-1);
    if (last && last.text.length + 2 + text.length <= MAX_SECTION_TEXT) {
      last.text += `\n\n${text}`;
      last.rules += 1;
    } else chunks.push({ text, rules: 1 });
  }
  return chunks;
}
