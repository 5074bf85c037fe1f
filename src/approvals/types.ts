import type { UpdateUser } from '../cipherscale/schemas.js';

export const ACTIONS = ['edit', 'deactivate', 'delete'] as const;
export type Action = (typeof ACTIONS)[number];

/**
 * pending → approved → queued → running → succeeded | failed; pending → rejected | cancelled | expired;
 * a batch: approved | queued | running → stopped (an approver pressed Stop).
 */
export type RequestState =
  | 'pending'
  | 'approved'
  | 'queued'
  | 'running'
  | 'succeeded'
  | 'failed'
  | 'rejected'
  | 'cancelled'
  | 'expired'
  | 'stopped';

export const TERMINAL_STATES: readonly RequestState[] = [
  'succeeded',
  'failed',
  'rejected',
  'cancelled',
  'expired',
  'stopped',
];
export const OPEN_STATES: readonly RequestState[] = ['pending', 'approved', 'queued', 'running'];

/** What approvers were shown of the target when the request was made. */
export interface TargetSnapshot {
  id: string;
  firstName?: string | undefined;
  lastName?: string | undefined;
  email?: string | undefined;
  image?: string | undefined;
  status: string;
  isOwner: boolean;
}

export interface Approval {
  userId: string;
  /** epoch ms */
  at: number;
}

export interface Outcome {
  ok: boolean;
  /** One sentence for the thread, e.g. "Deactivated." or "Cipherscale answered 400: …" (not escaped). */
  summary: string;
  /** 'done' | 'noop' (already in the wanted state) | a CipherscaleFailure kind | 'changed_since_requested' | 'gone' */
  code: string;
  attempts: number;
  apiRequestId?: string | undefined;
  /** epoch ms */
  at: number;
  /** A batch: how many of its users failed. */
  failed?: number | undefined;
}

/** Most users one bulk request may hold, as asked for in Slack (command, paste modal). */
export const MAX_BATCH_USERS = 500;

/**
 * Most users a stored batch may hold: a sanity bound on what is read back from Redis, above what Slack
 * lets anyone ask for, so the executor can be measured at scale (`npm run bench` runs 5 000).
 */
export const MAX_STORED_BATCH_USERS = 10_000;

/** An id the requester gave that is not part of a batch, and why (shown before submit). */
export interface ExcludedTarget {
  /** The text as given (a malformed id) or the user id. */
  id: string;
  /** 'malformed' | 'owner' | 'inactive' | 'not_found' | 'unreadable' | 'open_request' */
  code: string;
  /** One sentence, e.g. "the tenant owner" (not escaped). */
  reason: string;
  /** The user's name when Cipherscale knew them. */
  name?: string | undefined;
}

/** A bulk request's users: the ones it acts on (as approvers saw them) and the ones left out. */
export interface Batch {
  targets: TargetSnapshot[];
  excluded: ExcludedTarget[];
  /** Ids given more than once, folded into one. */
  duplicates: number;
  /** The request this one retries the failures of. */
  retryOf?: string | undefined;
}

/** How one user of a batch ended. */
export interface ItemOutcome {
  ok: boolean;
  /** As Outcome.code, plus 'not_run' (stopped before it started). */
  code: string;
  summary: string;
  attempts: number;
  apiRequestId?: string | undefined;
  at: number;
}

interface RequestFields {
  id: string;
  action: Action;
  /** edit only: the new values (only the fields that change). */
  changes?: UpdateUser | undefined;
  reason: string;
  requesterId: string;
  /** Where the approval message lives. */
  channelId: string;
  /** ts of the approval message once posted. */
  messageTs?: string | undefined;
  /** Batch only: ts of the progress summary reply in the thread, once posted. */
  summaryTs?: string | undefined;
  requiredApprovals: number;
  approvals: Approval[];
  state: RequestState;
  /** epoch ms */
  createdAt: number;
  /** epoch ms */
  expiresAt: number;
  /** Who rejected, cancelled or stopped, and why. */
  decidedBy?: string | undefined;
  decidedAt?: number | undefined;
  decisionReason?: string | undefined;
  outcome?: Outcome | undefined;
  /** True once the final outcome was posted to Slack (a retried job re-posts only when false). */
  outcomePosted?: boolean | undefined;
  /** Attempts the worker started (a batch: 1 once it started). */
  attempts: number;
  /** Bumped by every change; lets a reader tell two versions apart. */
  version: number;
}

/** A change to one user. */
export interface SingleRequest extends RequestFields {
  target: TargetSnapshot;
  batch?: undefined;
}

/** One deactivation or deletion of many users, approved once (deactivate and delete only). */
export interface BatchRequest extends RequestFields {
  target?: undefined;
  batch: Batch;
}

export type ApprovalRequest = SingleRequest | BatchRequest;

/** Ids for logs and audit lines: the one target, or the batch's first ids and its size. */
export function auditTarget(request: ApprovalRequest): { targetId?: string; targets?: number } {
  return request.batch ? { targets: request.batch.targets.length } : { targetId: request.target.id };
}
