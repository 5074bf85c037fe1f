import type { KnownBlock, ModalView } from '@slack/types';
import { plural, section } from '../blocks/kit.js';
import { escapeAndTruncate, mrkdwnList, truncate, truncateMrkdwn } from '../blocks/mrkdwn.js';
import type { NeedsRefusal } from './engine.js';
import { type Credited, countsFor, type Progress, progress } from './evaluate.js';
import type { Needs, People } from './needs.js';
import { groupLabel, peopleText, wordList } from './words.js';

// What a request's needs say in words: the request message and modal (mrkdwn, escaped), the refusals, and
// the outcome summaries (plain text: the card escapes those itself). Every name from the policy file or from
// Cipherscale goes through the escaping here.

const RULE_MAX = 80;
const WHY_MAX = 300;
/** Rules shown on a message; the rest are counted. */
const RULES_SHOWN = 5;
const LINE_MAX = 600;

const ruleName = (name: string) => `*${escapeAndTruncate(name, RULE_MAX, { singleLine: true }).trim()}*`;
const why = (text: string) => escapeAndTruncate(text, WHY_MAX, { singleLine: true }).trim();

/** "*Policy:* rule *administrators* — the user has role Tenant Admin. Needs 2 approvals from @security-leads." */
export function needsLines(needs: Needs): string[] {
  const lines = needs.rules.slice(0, RULES_SHOWN).map((rule) => {
    const asks = ruleAsks(needs, rule.name, groupLabel, peopleText);
    const line = `*Policy:* rule ${ruleName(rule.name)} — ${why(rule.why)}.${asks ? ` Needs ${asks}.` : ''}`;
    return truncateMrkdwn(line, LINE_MAX);
  });
  const hidden = needs.rules.length - RULES_SHOWN;
  if (hidden > 0) lines.push(`_…and ${plural(hidden, 'more rule')}_`);
  return lines;
}

/** A request modal with what the policy asks shown before its first input; as it was without rules applied. */
export function withNeeds(view: ModalView, needs: Needs | undefined): ModalView {
  if (!needs || needs.rules.length === 0) return view;
  const blocks: KnownBlock[] = [...(view.blocks as KnownBlock[])];
  const at = blocks.findIndex((block) => block.type === 'input');
  blocks.splice(at < 0 ? blocks.length : at, 0, section(needsLines(needs).join('\n')));
  return { ...view, blocks };
}

/** "1/2 · @security-leads 1/2 · different groups 1/2" (mrkdwn): the count per requirement after the total. */
export function progressText(needs: Needs, approvals: readonly Credited[]): string {
  const now = progress(needs, approvals);
  const parts = [`*${now.total.have}/${now.total.need}*`];
  for (const r of now.require) parts.push(`${shortPeople(r.requirement.from)} ${r.have}/${r.need}`);
  if (now.distinct) parts.push(`different groups ${now.distinct.have}/${now.distinct.need}`);
  return parts.join(' · ');
}

/**
 * Why an eligible approver's click would not count: the first requirement still short that they are not
 * part of. ":no_entry: Your approval would not count: rule *administrators* needs 2 approvals from
 * @security-leads (the user has role Tenant Admin), and you are not in it."
 */
export function notCountingText(needs: Needs, approvals: readonly Credited[], approval: Credited): string {
  const now = progress(needs, approvals);
  const short = now.require.find((r) => r.have < r.need && !countsFor(r.requirement, approval));
  const head = ':no_entry: Your approval would not count:';
  if (short) {
    const { rule, count, from } = short.requirement;
    return `${head} rule ${ruleName(rule)} needs ${plural(count, 'approval')} from ${peopleText(from)}${ruleWhy(needs, rule)}, and you are not in it.`;
  }
  if (now.distinct && now.distinct.have < now.distinct.need) {
    const { rule, count, groups } = now.distinct.groups;
    return `${head} rule ${ruleName(rule)} needs approvals from ${count} different groups of ${mrkdwnList(groups.map(groupLabel), { maxChars: 600 })}${ruleWhy(needs, rule)}, and your groups are already counted.`;
  }
  return `${head} this request already has what its policy asks of approvers like you; it is waiting for others.`;
}

/** A request refused by the policy, for the modal (mrkdwn). */
export function refusalText(refusal: NeedsRefusal): string {
  if (refusal.kind === 'forbidden')
    return `:no_entry: Not allowed: rule ${ruleName(refusal.rule)} forbids this: ${why(refusal.reason)}`;
  const channels = refusal.channels.slice(0, 10).map((c) => `<#${c.replace(/[^A-Z0-9]/gi, '')}>`);
  const where = channels.length > 0 ? `only in ${channels.join(', ')}` : 'in no channel';
  return `:no_entry: Rule ${ruleName(refusal.rule)} allows this request ${where}. Nothing was created.`;
}

/** A batch's user left out by a forbidding rule (plain text; the batch list escapes it). */
export function forbiddenReason(rule: string, reason: string): string {
  return truncate(`Rule ${rule} forbids this: ${reason}`, 300);
}

/** The outcome when a rule forbids the request at execution (plain text). */
export function forbidsNowSummary(refusal: NeedsRefusal): string {
  const reason =
    refusal.kind === 'forbidden'
      ? `forbids this now: ${refusal.reason}`
      : 'allows it only in other channels now';
  return truncate(`Not sent: rule ${refusal.rule} ${reason}.`, 400);
}

/**
 * The outcome when the user now needs more than the request has (plain text): "Not sent: the user now
 * matches rule administrators (the user has role Tenant Admin), which needs 2 approvals from @security-leads;
 * this request has 1. Make a new request."
 */
export function changedSummary(needs: Needs, now: Progress): string {
  const plainPeople = (people: People) => peopleWords(people);
  const short = now.require.find((r) => r.have < r.need);
  let rule: string;
  let asks: string;
  let has: number;
  if (short) {
    rule = short.requirement.rule;
    asks = `${plural(short.need, 'approval')} from ${plainPeople(short.requirement.from)}`;
    has = short.have;
  } else if (now.distinct && now.distinct.have < now.distinct.need) {
    rule = now.distinct.groups.rule;
    asks = `approvals from ${now.distinct.need} different groups`;
    has = now.distinct.have;
  } else {
    rule = needs.quorumRule ?? needs.rules[0]?.name ?? 'the policy';
    asks = plural(now.total.need, 'approval');
    has = now.total.have;
  }
  const because = needs.rules.find((r) => r.name === rule)?.why;
  return truncate(
    `Not sent: the user now matches rule ${rule}${because ? ` (${because})` : ''}, which needs ${asks}; this request has ${has}. Make a new request.`,
    480,
  );
}

/** What one rule asks for in this request's needs ("2 approvals from @security-leads"), '' when it set nothing. */
function ruleAsks(
  needs: Needs,
  rule: string,
  group: (g: { id: string; name?: string | undefined }) => string,
  people: (p: People) => string,
): string {
  const parts = needs.require
    .filter((r) => r.rule === rule)
    .map((r) => `${plural(r.count, 'approval')} from ${people(r.from)}`);
  if (needs.distinct?.rule === rule) {
    const groups = needs.distinct.groups.map(group);
    parts.push(
      `approvals from ${needs.distinct.count} different groups of ${mrkdwnList(groups, { maxChars: 300 })}`,
    );
  }
  const counted =
    needs.require.some((r) => r.rule === rule && r.count === needs.quorum) ||
    (needs.distinct?.rule === rule && needs.distinct.count === needs.quorum);
  if (needs.quorumRule === rule && !counted) parts.unshift(`${plural(needs.quorum, 'approval')} in all`);
  return parts.join(', ');
}

function ruleWhy(needs: Needs, rule: string): string {
  const found = needs.rules.find((r) => r.name === rule);
  return found ? ` (${why(found.why)})` : '';
}

/** A requirement's people, short enough for the count line. */
function shortPeople(people: People): string {
  return truncateMrkdwn(peopleText(people), 80);
}

/** People in plain words for an outcome summary: "@security-leads or user U123". */
function peopleWords(people: People): string {
  const names = [
    ...people.groups.map((g) => `@${(g.name?.trim().replace(/^@/, '') || g.id).slice(0, 60)}`),
    ...people.users.map((u) => `user ${u}`),
  ];
  return wordList(names, 'or') || 'nobody';
}
