import type { z } from 'zod';
import type {
  actionSchema,
  approvalSchema,
  batchRequestSchema,
  batchSchema,
  excludedTargetSchema,
  itemOutcomeSchema,
  outcomeSchema,
  requestStateSchema,
  singleRequestSchema,
  targetSchema,
} from './schemas.js';

// The types are the schemas' (schemas.ts): written once, parsed and checked with the same definition.
export { ACTIONS, MAX_STORED_BATCH_USERS, OPEN_STATES, TERMINAL_STATES } from './schemas.js';

export type Action = z.infer<typeof actionSchema>;
/** See `requestStateSchema`: pending → approved → queued → running → succeeded | failed, … */
export type RequestState = z.infer<typeof requestStateSchema>;
/** What approvers were shown of the target when the request was made. */
export type TargetSnapshot = z.infer<typeof targetSchema>;
export type Approval = z.infer<typeof approvalSchema>;
/** How a request ended: `code` is one of `OUTCOME_CODES`. */
export type Outcome = z.infer<typeof outcomeSchema>;
/** How one user of a batch ended: as Outcome.code, plus 'not_run' (stopped before it started). */
export type ItemOutcome = z.infer<typeof itemOutcomeSchema>;
/** An id the requester gave that is not part of a batch, and why (shown before submit). */
export type ExcludedTarget = z.infer<typeof excludedTargetSchema>;
/** A bulk request's users: the ones it acts on (as approvers saw them) and the ones left out. */
export type Batch = z.infer<typeof batchSchema>;
/** A change to one user. */
export type SingleRequest = z.infer<typeof singleRequestSchema>;
/** One deactivation or deletion of many users, approved once (deactivate and delete only). */
export type BatchRequest = z.infer<typeof batchRequestSchema>;
export type ApprovalRequest = SingleRequest | BatchRequest;

/** Most users one bulk request may hold, as asked for in Slack (command, paste modal). */
export const MAX_BATCH_USERS = 500;

/** Ids for logs and audit lines: the one target, or the batch's first ids and its size. */
export function auditTarget(request: ApprovalRequest): { targetId?: string; targets?: number } {
  return request.batch ? { targets: request.batch.targets.length } : { targetId: request.target.id };
}
