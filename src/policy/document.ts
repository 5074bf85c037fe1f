import type { Action } from '../approvals/types.js';
import type { GroupRef, People } from './needs.js';

// The policy file once read and checked (src/policy/file.ts), in the shape the engine (src/policy/engine.ts)
// and the description (src/policy/describe.ts) read. Without POLICY_FILE it holds no rules, and the settings
// (APPROVER_*, REQUESTER_*, ALLOWED_CHANNEL_IDS, REQUIRED_APPROVALS_*) are the whole policy: the default rule.

/** What a rule looks at. Every condition given must hold; a list holds when any of its entries does. */
export interface RuleMatch {
  /** Absent: every action. */
  actions?: Action[];
  /** The user the request acts on (a batch: the rule applies when any of its users matches). */
  target?: {
    /** A role's name (case-insensitive) or id. */
    roles?: string[];
    /** A Cipherscale group's name (case-insensitive) or id. */
    groups?: string[];
    isOwner?: boolean;
    /** Cipherscale status, e.g. `active` (case-insensitive). */
    status?: string[];
    /** Number of devices, both ends included. */
    devices?: { min?: number; max?: number };
    /** The email's domain, lower case, exact (`example.com` does not match `a.example.com`). */
    emailDomains?: string[];
  };
  /** Who asks: any listed user or member of a listed group. */
  requester?: People;
  /** Where the request is made. */
  channels?: string[];
}

/** What a matching rule demands. The strictest of all matching rules holds (engine.ts). */
export interface RuleEffect {
  /** Distinct approvals in all (the highest asked for wins). */
  quorum?: number;
  /** Each must hold: "2 of @security-leads". */
  approvers?: { count: number; from: People }[];
  /** Approvals from `count` different groups of `groups`. */
  distinctGroups?: { count: number; groups: GroupRef[] };
  /** The action is not allowed; the reason is shown. */
  forbid?: string;
  /** The request may only be made in these channels. */
  onlyInChannels?: string[];
}

export interface PolicyRule extends RuleEffect {
  /** Unique in the file; shown in messages ("rule *administrators*"). */
  name: string;
  /** One line for people, shown by `/cipher-user policy`. */
  description?: string;
  match: RuleMatch;
}

export interface PolicyDocument {
  /** The file it came from; undefined without POLICY_FILE. */
  source?: string;
  rules: PolicyRule[];
}

export const NO_RULES: PolicyDocument = Object.freeze({ rules: [] });
