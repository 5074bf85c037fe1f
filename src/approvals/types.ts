import type { UpdateUser } from '../cipherscale/schemas.js';

export const ACTIONS = ['edit', 'deactivate', 'delete'] as const;
export type Action = (typeof ACTIONS)[number];

/** pending → approved → queued → running → succeeded | failed; pending → rejected | cancelled | expired. */
export type RequestState =
  | 'pending'
  | 'approved'
  | 'queued'
  | 'running'
  | 'succeeded'
  | 'failed'
  | 'rejected'
  | 'cancelled'
  | 'expired';

export const TERMINAL_STATES: readonly RequestState[] = [
  'succeeded',
  'failed',
  'rejected',
  'cancelled',
  'expired',
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
}

export interface ApprovalRequest {
  id: string;
  action: Action;
  target: TargetSnapshot;
  /** edit only: the new values (only the fields that change). */
  changes?: UpdateUser | undefined;
  reason: string;
  requesterId: string;
  /** Where the approval message lives. */
  channelId: string;
  /** ts of the approval message once posted. */
  messageTs?: string | undefined;
  requiredApprovals: number;
  approvals: Approval[];
  state: RequestState;
  /** epoch ms */
  createdAt: number;
  /** epoch ms */
  expiresAt: number;
  /** Who rejected or cancelled, and why. */
  decidedBy?: string | undefined;
  decidedAt?: number | undefined;
  decisionReason?: string | undefined;
  outcome?: Outcome | undefined;
  /** True once the final outcome was posted to Slack (a retried job re-posts only when false). */
  outcomePosted?: boolean | undefined;
  /** Attempts the worker started. */
  attempts: number;
  /** Bumped by every change; lets a reader tell two versions apart. */
  version: number;
}
