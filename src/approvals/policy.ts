import { NO_RULES, type PolicyDocument } from '../policy/document.js';
import type { Action } from './types.js';

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

  /** Everyone who may approve now: the listed users, then each group's members; each once. */
  async approvers(): Promise<string[]> {
    const all = new Set(this.settings.approverUserIds);
    for (const usergroupId of this.settings.approverUsergroupIds) {
      for (const userId of await this.directory.members(usergroupId)) all.add(userId);
    }
    return [...all];
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
