import type { User } from '../cipherscale/schemas.js';
import { NO_RULES, type PolicyDocument } from '../policy/document.js';
import { isAmong, type NeedsAnswer, type NeedsInput, needsFor } from '../policy/engine.js';
import { progress } from '../policy/evaluate.js';
import type { Needs } from '../policy/needs.js';
import { changedSummary, forbidsNowSummary } from '../policy/needs-text.js';
import type { Action, ApprovalRequest } from './types.js';
import type { Result } from './workflow/ports.js';

/** Members of a user group; the Slack layer implements it (usergroups.users.list, cached). */
export interface UsergroupDirectory {
  members(usergroupId: string): Promise<ReadonlySet<string>>;
}

export interface PolicySettings {
  approverUserIds: readonly string[];
  approverUsergroupIds: readonly string[];
  /** With requesterUsergroupIds: both empty = anyone may request. */
  requesterUserIds: readonly string[];
  requesterUsergroupIds: readonly string[];
  /** Empty = any channel. */
  allowedChannelIds: readonly string[];
  requiredApprovals: Readonly<Record<Action, number>>;
}

export type RequestPermission = { ok: true } | { ok: false; reason: 'user' | 'channel' };

/** Whether a request of this requester could ever be approved: approvers other than them, against the quorum. */
export type QuorumCheck = { ok: true } | { ok: false; required: number; approvers: number };

/** Who may request and who may approve. Directory errors propagate: callers fail closed. */
export class Policy {
  readonly settings: PolicySettings;

  constructor(
    settings: PolicySettings,
    private readonly directory: UsergroupDirectory,
    /** POLICY_FILE's rules (src/policy/); none: the settings alone are the policy. */
    readonly document: PolicyDocument = NO_RULES,
  ) {
    for (const [action, count] of Object.entries(settings.requiredApprovals)) {
      if (!Number.isSafeInteger(count) || count < 1) {
        throw new RangeError(`requiredApprovals.${action} must be a whole number of at least 1`);
      }
    }
    this.settings = Object.freeze({ ...settings });
  }

  async isApprover(userId: string): Promise<boolean> {
    return this.isListed(userId, this.settings.approverUserIds, this.settings.approverUsergroupIds);
  }

  /** The user is checked first: "not allowed to request" matters more than "not in this channel". */
  async mayRequest(userId: string, channelId: string): Promise<RequestPermission> {
    const { requesterUserIds, requesterUsergroupIds } = this.settings;
    const unrestricted = requesterUserIds.length === 0 && requesterUsergroupIds.length === 0;
    if (!unrestricted && !(await this.isListed(userId, requesterUserIds, requesterUsergroupIds))) {
      return { ok: false, reason: 'user' };
    }
    if (!this.inAllowedChannel(channelId)) return { ok: false, reason: 'channel' };
    return { ok: true };
  }

  private inAllowedChannel(channelId: string): boolean {
    const { allowedChannelIds } = this.settings;
    return allowedChannelIds.length === 0 || allowedChannelIds.includes(channelId);
  }

  /**
   * Lookups (a user's profile, roles, devices): the requesters and the approvers, in the allowed channels.
   * No Cipherscale call may come before this answer.
   */
  async mayLookup(userId: string, channelId: string): Promise<RequestPermission> {
    const asRequester = await this.mayRequest(userId, channelId);
    if (asRequester.ok || asRequester.reason === 'channel') return asRequester;
    if (!(await this.isApprover(userId))) return asRequester;
    return this.inAllowedChannel(channelId) ? { ok: true } : { ok: false, reason: 'channel' };
  }

  /**
   * Everyone who may approve now: the listed users, then each group's members; each once. With a request
   * that has needs, the people its rules name come first (their approvals are the ones it needs; they may
   * approve it although the settings do not list them, `mayApprove`).
   */
  async approvers(request?: Pick<ApprovalRequest, 'needs'>): Promise<string[]> {
    const all = new Set<string>();
    for (const people of request?.needs ? neededPeople(request.needs) : []) {
      for (const userId of people.users) all.add(userId);
      for (const group of people.groups) {
        for (const userId of await this.directory.members(group.id)) all.add(userId);
      }
    }
    for (const userId of this.settings.approverUserIds) all.add(userId);
    for (const usergroupId of this.settings.approverUsergroupIds) {
      for (const userId of await this.directory.members(usergroupId)) all.add(userId);
    }
    return [...all];
  }

  /** What a request needs under the rules (src/policy/engine.ts). */
  needsFor(input: NeedsInput): Promise<NeedsAnswer> {
    return needsFor(this.document, this.settings, input, this.directory);
  }

  /**
   * Who may approve a request: a general approver, or, when it has needs, anyone a rule of them names (the
   * rule made them an approver of such requests). Whether their approval would count is the workflow's.
   */
  async mayApprove(userId: string, request: Pick<ApprovalRequest, 'needs'>): Promise<boolean> {
    if (await this.isApprover(userId)) return true;
    const named = request.needs ? neededPeople(request.needs) : [];
    for (const people of named) if (await isAmong(userId, people, this.directory)) return true;
    return false;
  }

  /** The approver's credits: the ids of the needs' user groups they are a member of now. */
  async credits(userId: string, needs: Needs): Promise<string[]> {
    const ids = new Set(neededPeople(needs).flatMap((people) => people.groups.map((g) => g.id)));
    const credits: string[] = [];
    for (const id of ids) if ((await this.directory.members(id)).has(userId)) credits.push(id);
    return credits;
  }

  /**
   * The rules again, at execution, against the user as just re-read: a result when they stop it (forbidden
   * now, or the approvals recorded no longer meet what the user now needs; credits looked up now), else
   * undefined. Directory errors propagate: the caller retries, nothing is sent.
   */
  async recheck(
    request: Pick<ApprovalRequest, 'action' | 'requesterId' | 'channelId' | 'approvals'>,
    user: User,
  ): Promise<Result | undefined> {
    const answer = await this.needsFor({
      action: request.action,
      targets: [user],
      requesterId: request.requesterId,
      channelId: request.channelId,
    });
    if (!answer.ok) return { ok: false, code: 'policy_forbids', summary: forbidsNowSummary(answer.refusal) };
    const { needs } = answer;
    if (needs.rules.length === 0) return undefined;
    const credited = [];
    for (const approval of request.approvals)
      credited.push({ userId: approval.userId, groups: await this.credits(approval.userId, needs) });
    const now = progress(needs, credited);
    if (now.satisfied) return undefined;
    return { ok: false, code: 'policy_changed', summary: changedSummary(needs, now) };
  }

  requiredApprovals(action: Action): number {
    return this.settings.requiredApprovals[action];
  }

  /**
   * A request nobody could bring to its quorum: fewer listed approvers other than the requester than the
   * action needs, and no approver group that might add more. Decided without Slack: with groups, members are
   * not looked up for this (Tier 2 is 20 calls a minute, and approver checks on clicks need them); the start
   * resolves the groups once and refuses a quorum they cannot meet.
   */
  quorumReachable(action: Action, requesterId: string): QuorumCheck {
    const required = this.requiredApprovals(action);
    const approvers = this.settings.approverUserIds.filter((id) => id !== requesterId).length;
    if (approvers >= required || this.settings.approverUsergroupIds.length > 0) return { ok: true };
    return { ok: false, required, approvers };
  }

  // Groups are looked up one at a time, and only while the answer is still no.
  private async isListed(
    userId: string,
    userIds: readonly string[],
    usergroupIds: readonly string[],
  ): Promise<boolean> {
    if (userIds.includes(userId)) return true;
    for (const usergroupId of usergroupIds) {
      if ((await this.directory.members(usergroupId)).has(userId)) return true;
    }
    return false;
  }
}

/** Everyone a request's needs name: each requirement's people, and the different-groups' groups. */
function neededPeople(needs: Needs): { users: string[]; groups: { id: string }[] }[] {
  const people = needs.require.map((r) => r.from);
  return needs.distinct ? [...people, { users: [], groups: needs.distinct.groups }] : people;
}
