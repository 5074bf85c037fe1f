import type { PolicySettings, UsergroupDirectory } from '../approvals/policy.js';
import type { Action } from '../approvals/types.js';
import { listItemId, listItemName, userDisplayName } from '../blocks/user-card.js';
import type { ListItem, User } from '../cipherscale/schemas.js';
import type { PolicyDocument, PolicyRule, RuleMatch } from './document.js';
import type { DistinctGroups, Needs, People, Requirement } from './needs.js';

// What a request needs, from the rules that match it. A rule matches when every condition it gives holds
// (AND), a list when any entry does (OR); the strictest of all matching rules holds. README, "Approval policy".

export interface NeedsInput {
  action: Action;
  /** The Cipherscale users as read now: one, or a batch's. */
  targets: readonly User[];
  requesterId: string;
  channelId: string;
  /** A bulk request: users a rule forbids are left out instead of refusing the whole request. */
  batch?: boolean;
}

export type NeedsRefusal =
  | { kind: 'forbidden'; rule: string; reason: string }
  | { kind: 'channel'; rule: string; channels: string[] };

/** A batch's user a rule forbids, and why. */
export interface ForbiddenTarget {
  user: User;
  rule: string;
  reason: string;
}

export type NeedsAnswer =
  | {
      ok: true;
      /** No rule applied: `rules` is empty and the request stores no `needs` (see {@link storedNeeds}). */
      needs: Needs;
      /** A batch only: the users left out, the rest are `targets`. */
      forbidden: ForbiddenTarget[];
      targets: User[];
    }
  | { ok: false; refusal: NeedsRefusal };

/** The needs a record keeps: none when no rule applied, so such requests are stored exactly as before rules. */
export function storedNeeds(needs: Needs): Needs | undefined {
  return needs.rules.length > 0 ? needs : undefined;
}

/** Directory errors propagate: the caller fails closed. */
export async function needsFor(
  document: PolicyDocument,
  settings: Pick<PolicySettings, 'requiredApprovals'>,
  input: NeedsInput,
  directory: UsergroupDirectory,
): Promise<NeedsAnswer> {
  const context = await requestMatches(document.rules, input, directory);
  const rules = document.rules.filter((_, index) => context[index]);
  let targets = [...input.targets];
  const forbidden: ForbiddenTarget[] = [];
  for (const rule of rules) {
    if (rule.forbid === undefined) continue;
    if (!input.batch) {
      if (targetsWhy(rule.match, targets) !== undefined)
        return { ok: false, refusal: { kind: 'forbidden', rule: rule.name, reason: rule.forbid } };
      continue;
    }
    const [out, kept] = partition(targets, (user) => targetsWhy(rule.match, [user]) !== undefined);
    for (const user of out) forbidden.push({ user, rule: rule.name, reason: rule.forbid });
    targets = kept;
  }
  const applied = rules.flatMap((rule) => {
    const why = targetsWhy(rule.match, targets);
    return why === undefined || rule.forbid !== undefined ? [] : [{ rule, why: whyText(rule.match, why) }];
  });
  const channels = channelRefusal(applied, input.channelId);
  if (channels) return { ok: false, refusal: channels };
  return { ok: true, needs: combine(applied, settings.requiredApprovals[input.action]), forbidden, targets };
}

/** Per rule: whether everything but the target holds (the action, the requester, the channel). */
async function requestMatches(
  rules: readonly PolicyRule[],
  input: NeedsInput,
  directory: UsergroupDirectory,
): Promise<boolean[]> {
  const answers: boolean[] = [];
  for (const { match } of rules) {
    const holds =
      (!match.actions || match.actions.includes(input.action)) &&
      (!match.channels || match.channels.includes(input.channelId)) &&
      (!match.requester || (await isAmong(input.requesterId, match.requester, directory)));
    answers.push(holds);
  }
  return answers;
}

/** Whether `userId` is one of `people`: listed, or a member of a listed group (looked up only while no). */
export async function isAmong(
  userId: string,
  people: People,
  directory: UsergroupDirectory,
): Promise<boolean> {
  if (people.users.includes(userId)) return true;
  for (const group of people.groups) {
    if ((await directory.members(group.id)).has(userId)) return true;
  }
  return false;
}

/**
 * Why the rule's target conditions hold for these users ('' when it gives none), or undefined when they
 * hold for none. A batch matches when any user does.
 */
function targetsWhy(match: RuleMatch, targets: readonly User[]): string | undefined {
  const target = match.target;
  if (!target || Object.keys(target).length === 0) return '';
  const matching = targets.flatMap((user) => {
    const phrases = targetPhrases(target, user);
    return phrases ? [{ user, phrases }] : [];
  });
  const [first] = matching;
  if (!first) return undefined;
  if (targets.length === 1) return `the user ${first.phrases.map(([one]) => one).join(', ')}`;
  if (matching.length === 1)
    return `${userDisplayName(first.user)} ${first.phrases.map(([one]) => one).join(', ')}`;
  return `${matching.length} of the users ${first.phrases.map(([, many]) => many).join(', ')}`;
}

/** Each condition as [singular, plural] words ("has role Tenant Admin", "have role Tenant Admin"), or undefined. */
function targetPhrases(target: NonNullable<RuleMatch['target']>, user: User): [string, string][] | undefined {
  const phrases: [string, string][] = [];
  if (target.roles) {
    const role = firstListed(user.roles, target.roles);
    if (role === undefined) return undefined;
    phrases.push([`has role ${role}`, `have role ${role}`]);
  }
  if (target.groups) {
    const group = firstListed(user.groups, target.groups);
    if (group === undefined) return undefined;
    phrases.push([`is in group ${group}`, `are in group ${group}`]);
  }
  if (target.isOwner !== undefined) {
    if (user.isOwner !== target.isOwner) return undefined;
    phrases.push(
      user.isOwner ? ['is the owner', 'are the owner'] : ['is not the owner', 'are not the owner'],
    );
  }
  if (target.status) {
    const status = user.status.trim().toLowerCase();
    if (!target.status.some((s) => s.trim().toLowerCase() === status)) return undefined;
    phrases.push([`has status ${user.status.trim()}`, `have status ${user.status.trim()}`]);
  }
  if (target.devices) {
    const { min, max } = target.devices;
    const n = user.devices.length;
    if ((min !== undefined && n < min) || (max !== undefined && n > max)) return undefined;
    phrases.push([`has ${n} device${n === 1 ? '' : 's'}`, `have ${devicesRange(min, max)}`]);
  }
  if (target.emailDomains) {
    const domain = user.email?.trim().toLowerCase().split('@').at(-1);
    if (!user.email?.includes('@') || !domain || !target.emailDomains.includes(domain)) return undefined;
    phrases.push([`has an email at ${domain}`, `have an email at ${domain}`]);
  }
  return phrases;
}

function devicesRange(min: number | undefined, max: number | undefined): string {
  if (min !== undefined && max !== undefined) return `${min} to ${max} devices`;
  return min !== undefined ? `at least ${min} devices` : `at most ${max ?? 0} devices`;
}

/** The user's first item (role, group) a rule lists, by name (case-insensitive, trimmed) or id: its name. */
function firstListed(items: readonly ListItem[], listed: readonly string[]): string | undefined {
  const wanted = new Set(listed.map((entry) => entry.trim().toLowerCase()));
  for (const item of items) {
    const name = listItemName(item)?.trim();
    const id = listItemId(item)?.trim();
    if ((name && wanted.has(name.toLowerCase())) || (id && wanted.has(id.toLowerCase()))) return name || id;
  }
  return undefined;
}

/** The sentence a request message shows for a rule: the target's part, else what else it matched on. */
function whyText(match: RuleMatch, targetWhy: string): string {
  const parts = targetWhy ? [targetWhy] : [];
  if (match.requester) parts.push('the requester is one the rule names');
  if (match.channels) parts.push('it is requested in a channel the rule names');
  if (parts.length === 0)
    parts.push(match.actions ? `the action is ${match.actions.join(' or ')}` : 'every request');
  return parts.join('; ');
}

/** The request's channel outside where every matching rule allows it: the first rule that leaves it out. */
function channelRefusal(
  applied: readonly { rule: PolicyRule }[],
  channelId: string,
): NeedsRefusal | undefined {
  let allowed: string[] | undefined;
  let first: string | undefined;
  for (const { rule } of applied) {
    if (!rule.onlyInChannels) continue;
    const only = rule.onlyInChannels;
    allowed = allowed ? allowed.filter((c) => only.includes(c)) : [...only];
    if (!first && !only.includes(channelId)) first = rule.name;
  }
  if (!allowed || allowed.includes(channelId)) return undefined;
  return { kind: 'channel', rule: first ?? applied[0]?.rule.name ?? '', channels: allowed };
}

/** The strictest of the matching rules: the highest quorum, every requirement, the largest distinct. */
function combine(applied: readonly { rule: PolicyRule; why: string }[], defaultQuorum: number): Needs {
  const require: Requirement[] = [];
  let distinct: DistinctGroups | undefined;
  let quorum = defaultQuorum;
  let quorumRule: string | undefined;
  const raise = (count: number, rule: string) => {
    if (count <= quorum) return;
    quorum = count;
    quorumRule = rule;
  };
  for (const { rule } of applied) {
    if (rule.quorum !== undefined) raise(rule.quorum, rule.name);
    for (const { count, from } of rule.approvers ?? []) {
      raise(count, rule.name);
      const same = require.findIndex((r) => samePeople(r.from, from));
      const existing = require[same];
      if (!existing) require.push({ rule: rule.name, count, from });
      else if (count > existing.count) require[same] = { rule: rule.name, count, from };
    }
    if (rule.distinctGroups) {
      raise(rule.distinctGroups.count, rule.name);
      if (!distinct || rule.distinctGroups.count > distinct.count)
        distinct = { rule: rule.name, ...rule.distinctGroups };
    }
  }
  return {
    quorum,
    ...(quorumRule ? { quorumRule } : {}),
    require,
    ...(distinct ? { distinct } : {}),
    rules: applied.map(({ rule, why }) => ({ name: rule.name, why })),
  };
}

function samePeople(a: People, b: People): boolean {
  const key = (p: People) => JSON.stringify([[...p.users].sort(), p.groups.map((g) => g.id).sort()]);
  return key(a) === key(b);
}

function partition<T>(items: readonly T[], test: (item: T) => boolean): [T[], T[]] {
  const yes: T[] = [];
  const no: T[] = [];
  for (const item of items) (test(item) ? yes : no).push(item);
  return [yes, no];
}
