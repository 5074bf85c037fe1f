import type { PolicySettings } from '../approvals/policy.js';
import { ACTIONS } from '../approvals/types.js';
import { plural } from '../blocks/kit.js';
import { escapeAndTruncate } from '../blocks/mrkdwn.js';
import type { PolicyDocument, PolicyRule, RuleMatch } from './document.js';
import type { People } from './needs.js';
import { groupLabel, peopleText, wordList } from './words.js';

// The policy in words, for `/cipher-user policy` (src/blocks/policy.ts) and the start log. It says what
// the engine (src/policy/engine.ts) does: a rule applies when every condition it gives holds (a list when
// any entry does; a batch when any of its users does); the strictest of all that apply wins; without
// rules, the settings alone (the default rule). Every word from the file is escaped for mrkdwn.

const SHOWN_NAMES = 8;

/** One line for the start log: `3 rules from /etc/policy.yaml (administrators, …)`, or settings only. */
export function policySummary(document: PolicyDocument): string {
  const { rules, source } = document;
  if (rules.length === 0) return 'settings only (no POLICY_FILE)';
  const names = rules.slice(0, SHOWN_NAMES).map((rule) => rule.name);
  const more = rules.length - names.length;
  return `${rules.length} rule${rules.length === 1 ? '' : 's'} from ${source ?? 'the policy file'} (${names.join(', ')}${more > 0 ? `, and ${more} more` : ''})`;
}

/** The settings as the default rule: who requests, who approves, how many per action, where. */
export function describeDefault(settings: PolicySettings): string[] {
  const requesters = people(settings.requesterUserIds, settings.requesterUsergroupIds);
  const approvers = people(settings.approverUserIds, settings.approverUsergroupIds);
  const quorums = ACTIONS.map((action) => `${action} ${settings.requiredApprovals[action]}`).join(', ');
  return [
    `*Who may request:* ${requesters || 'anyone'}`,
    `*Who approves:* ${approvers || 'nobody'} (never their own request)`,
    `*Approvals needed:* ${quorums}`,
    `*Where:* ${settings.allowedChannelIds.length > 0 ? channels(settings.allowedChannelIds) : 'any channel'}`,
  ];
}

/**
 * "*administrators* — Changing an administrator needs two security leads. When: deactivate or delete, and
 * the user has role Tenant Admin. Then: needs 2 approvals in all, 2 of them from @security-leads."
 */
export function describeRule(rule: PolicyRule): string {
  const description = rule.description
    ? ` — ${escapeAndTruncate(rule.description, 300, { singleLine: true })}`
    : '';
  return `*${escapeAndTruncate(rule.name, 40, { singleLine: true })}*${description}\nWhen: ${sentence(conditions(rule.match))}\nThen: ${sentence(effects(rule))}`;
}

/** The conditions, "and"-joined; every request when there are none. */
export function conditions(match: RuleMatch): string {
  const parts: string[] = [];
  if (match.actions) parts.push(oneOf(match.actions));
  const t = match.target ?? {};
  if (t.roles) parts.push(`the user has role ${oneOf(t.roles.map(quoted))}`);
  if (t.groups) parts.push(`the user is in group ${oneOf(t.groups.map(quoted))}`);
  if (t.isOwner !== undefined) parts.push(t.isOwner ? 'the user is the owner' : 'the user is not the owner');
  if (t.status) parts.push(`the user's status is ${oneOf(t.status.map(quoted))}`);
  if (t.devices) parts.push(`the user has ${devices(t.devices)}`);
  if (t.emailDomains) parts.push(`the user's email is at ${oneOf(t.emailDomains.map(quoted))}`);
  if (match.requester) parts.push(`requested by ${peopleText(match.requester)}`);
  if (match.channels) parts.push(`requested in ${channels(match.channels)}`);
  return parts.length > 0 ? parts.join(', and ') : 'every request';
}

/** What the rule demands, in the order it is checked: forbid, channels, then the approvals. (Not named `then`: a module exporting `then` is a thenable, and `await import()` of it never settles.) */
export function effects(rule: PolicyRule): string {
  const parts: string[] = [];
  // The reason's own full stop is dropped: the sentence ends with one.
  if (rule.forbid)
    parts.push(
      `forbidden: ${escapeAndTruncate(rule.forbid, 500, { singleLine: true }).replace(/[.\s]+$/, '')}`,
    );
  if (rule.onlyInChannels) parts.push(`only in ${channels(rule.onlyInChannels)}`);
  if (rule.quorum !== undefined) parts.push(`needs ${approvals(rule.quorum)} in all`);
  for (const { count, from } of rule.approvers ?? [])
    parts.push(
      rule.quorum === undefined
        ? `needs ${approvals(count)} from ${peopleText(from)}`
        : `${count} of them from ${peopleText(from)}`,
    );
  if (rule.distinctGroups) {
    const groups = rule.distinctGroups.groups.map(groupLabel);
    parts.push(`approvals from ${rule.distinctGroups.count} different groups of ${wordList(groups, 'and')}`);
  }
  return parts.join(', ');
}

function people(users: readonly string[], groups: readonly string[]): string {
  const shown: People = { users: [...users], groups: groups.map((id) => ({ id })) };
  return peopleText(shown);
}

function devices({ min, max }: { min?: number; max?: number }): string {
  if (min !== undefined && max !== undefined)
    return min === max ? plural(min, 'device') : `${min} to ${max} devices`;
  if (min !== undefined) return `${plural(min, 'device')} or more`;
  return `at most ${plural(max ?? 0, 'device')}`;
}

function channels(ids: readonly string[]): string {
  return wordList(
    ids.map((id) => `<#${id}>`),
    'or',
  );
}

function oneOf(items: readonly string[]): string {
  return wordList(items, 'or');
}

const quoted = (text: string) =>
  `*${escapeAndTruncate(text, 100, { singleLine: true }).replace(/\*/g, '∗')}*`;

function approvals(count: number): string {
  return plural(count, 'approval');
}

function sentence(text: string): string {
  return /[.!?…]$/.test(text) ? text : `${text}.`;
}
