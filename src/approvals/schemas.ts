import { z } from 'zod';
import { updateUserSchema } from '../cipherscale/schemas.js';
import { needsSchema } from '../policy/needs.js';

// The domain's types, written once: types.ts exports their z.infer. The store parses what Redis holds
// with these (store/record.ts), so a stored request is checked against the same definition.

export const ACTIONS = ['edit', 'deactivate', 'delete'] as const;
export const actionSchema = z.enum(ACTIONS);

const OPEN = ['pending', 'approved', 'queued', 'running'] as const;
const TERMINAL = ['succeeded', 'failed', 'rejected', 'cancelled', 'expired', 'stopped'] as const;
/**
 * pending → approved → queued → running → succeeded | failed; pending → rejected | cancelled | expired;
 * a batch: approved | queued | running → stopped (an approver pressed Stop).
 */
export const requestStateSchema = z.enum([...OPEN, ...TERMINAL]);
type State = z.infer<typeof requestStateSchema>;
export const OPEN_STATES: readonly State[] = OPEN;
/** Final: no method moves a request out of them (the Lua in store/scripts lists them too). */
export const TERMINAL_STATES: readonly State[] = TERMINAL;

/**
 * Most users a stored batch may hold: a sanity bound on what is read back from Redis, above what Slack
 * lets anyone ask for, so the executor can be measured at scale (`npm run bench` runs 5 000).
 */
export const MAX_STORED_BATCH_USERS = 10_000;

const epoch = z.number().int().nonnegative();
const count = z.number().int().nonnegative();

/** What approvers were shown of the target when the request was made. */
export const targetSchema = z.object({
  id: z.string(),
  firstName: z.string().optional(),
  lastName: z.string().optional(),
  email: z.string().optional(),
  image: z.string().optional(),
  status: z.string(),
  isOwner: z.boolean(),
});

/**
 * One approval. `groups`: the user groups among the request's `needs` the approver was a member of when they
 * approved (what they count for; absent when the request needs no groups).
 */
export const approvalSchema = z.object({
  userId: z.string(),
  at: epoch,
  groups: z.array(z.string()).optional(),
});

/** How Cipherscale calls fail (`CipherscaleFailure['kind']`, cipherscale/errors.ts). */
const FAILURE_KINDS = [
  'not_found',
  'credentials_refused',
  'rate_limited',
  'transient',
  'invalid_response',
  'client_error',
] as const;

/** Every code the worker (queue/execute.ts, queue/worker.ts, queue/sweeper.ts, queue/batch.ts) writes. */
export const OUTCOME_CODES = [
  'done',
  'noop',
  'no_changes',
  'changed_since_requested',
  'gone',
  'owner',
  'internal_error',
  'all_done',
  'some_failed',
  /** The policy re-checked at execution (src/policy/): a rule forbids it now, or the user now needs more. */
  'policy_forbids',
  'policy_changed',
  ...FAILURE_KINDS,
] as const;

export const outcomeSchema = z.object({
  ok: z.boolean(),
  /** One sentence for the thread, e.g. "Deactivated." or "Cipherscale answered 400: …" (not escaped). */
  summary: z.string(),
  code: z.enum(OUTCOME_CODES),
  attempts: count,
  apiRequestId: z.string().optional(),
  at: epoch,
  /** A batch: how many of its users failed. */
  failed: count.optional(),
});

/** How one user of a batch ended: as an outcome, plus 'not_run' (stopped before it started). */
export const itemOutcomeSchema = outcomeSchema
  .omit({ failed: true })
  .extend({ code: z.enum([...OUTCOME_CODES, 'not_run']) });

/** Why a user the requester gave is not part of a batch (approvals/targets.ts, slack/listeners/requests/bulk.ts). */
export const EXCLUDED_CODES = [
  'malformed',
  'owner',
  'inactive',
  'not_found',
  'unreadable',
  'open_request',
  /** A policy rule forbids the action for this user. */
  'forbidden',
] as const;

export const excludedTargetSchema = z.object({
  /** The text as given (a malformed id) or the user id. */
  id: z.string(),
  code: z.enum(EXCLUDED_CODES),
  /** One sentence, e.g. "the tenant owner" (not escaped). */
  reason: z.string(),
  /** The user's name when Cipherscale knew them. */
  name: z.string().optional(),
});

/** A bulk request's users: the ones it acts on (as approvers saw them) and the ones left out. */
export const batchSchema = z.object({
  targets: z.array(targetSchema).min(1).max(MAX_STORED_BATCH_USERS),
  excluded: z.array(excludedTargetSchema),
  /** Ids given more than once, folded into one. */
  duplicates: count,
  /** The request this one retries the failures of. */
  retryOf: z.string().optional(),
});

const requestFields = z.object({
  id: z.string(),
  action: actionSchema,
  /** edit only: the new values (only the fields that change). */
  changes: updateUserSchema.optional(),
  reason: z.string(),
  requesterId: z.string(),
  /** Where the approval message lives. */
  channelId: z.string(),
  /** ts of the approval message once posted. */
  messageTs: z.string().optional(),
  /** Batch only: ts of the progress summary reply in the thread, once posted. */
  summaryTs: z.string().optional(),
  requiredApprovals: z.number().int().min(1),
  /** What the policy asked of this request when it was made (src/policy/); absent: the settings' quorum only. */
  needs: needsSchema.optional(),
  /** A scheduled change: when it is to run (epoch ms); absent: as soon as it is approved. */
  runAt: epoch.optional(),
  approvals: z.array(approvalSchema),
  state: requestStateSchema,
  createdAt: epoch,
  expiresAt: epoch,
  /** Who rejected, cancelled or stopped, and why. */
  decidedBy: z.string().optional(),
  decidedAt: epoch.optional(),
  decisionReason: z.string().optional(),
  outcome: outcomeSchema.optional(),
  /** True once the final outcome was posted to Slack (a retried job re-posts only when false). */
  outcomePosted: z.boolean().optional(),
  /** Attempts the worker started (a batch: 1 once it started). */
  attempts: count,
  /** Bumped by every change; lets a reader tell two versions apart. */
  version: count,
});

/** A change to one user. */
export const singleRequestSchema = requestFields.extend({
  target: targetSchema,
  batch: z.undefined().optional(),
});
/** One deactivation or deletion of many users, approved once (deactivate and delete only). */
export const batchRequestSchema = requestFields.extend({
  target: z.undefined().optional(),
  batch: batchSchema,
});
