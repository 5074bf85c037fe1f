import type { Policy } from '../approvals/policy.js';
import type { RequestStore } from '../approvals/store/store.js';
import { isInactive } from '../approvals/targets.js';
import type { Action, ApprovalRequest, TargetSnapshot } from '../approvals/types.js';
import { TERMINAL_STATES } from '../approvals/types.js';
import { staleFields } from '../approvals/validate.js';
import type { Notifier, Result, Workflow } from '../approvals/workflow/index.js';
import { type CipherscaleClient, neverSent } from '../cipherscale/client.js';
import { type CipherscaleFailure, describeFailure, isRetryable } from '../cipherscale/errors.js';
import type { UpdateUser, User } from '../cipherscale/schemas.js';
import type { Logger } from '../logger.js';
import { RetryableJobError } from './backoff.js';

export interface ExecuteDeps {
  store: RequestStore;
  /** The rules, re-checked against the user as re-read before every call (approvals/policy.ts). */
  policy: Pick<Policy, 'recheck'>;
  cipherscale: CipherscaleClient;
  workflow: Workflow;
  /** Renders "running" when an attempt ends with the request still running (a retry). */
  notifier: Notifier;
  logger: Logger;
}

export interface AttemptInfo {
  /** 1 for the first attempt. */
  attempt: number;
  maxAttempts: number;
}

export type Step = { final: Result } | { retry: CipherscaleFailure };

/** One user's change: what approvers saw of them, and for an edit the new values. */
export interface ChangeSpec {
  action: Action;
  target: TargetSnapshot;
  changes?: UpdateUser | undefined;
}

/** This request's own attempts at one user's change (recorded in Redis before each call). */
export interface ChangeAttempt {
  /** An earlier run of this request recorded that it was about to send this change. */
  before: boolean;
  /** Records, confirmed on a replica, that the change is about to be sent; throws when it cannot be. */
  record(): Promise<void>;
}

/** The attempt marker of `requestId` for `userId`, through the workflow. */
export async function changeAttempt(
  workflow: Pick<Workflow, 'attempted' | 'attempting'>,
  requestId: string,
  userId: string,
): Promise<ChangeAttempt> {
  return {
    before: await workflow.attempted(requestId, userId),
    record: () => workflow.attempting(requestId, userId),
  };
}

/** The request's side of the policy's re-check: who asked, where, who approved (their credits looked up again). */
export type PolicyCheck = (user: User) => Promise<Result | undefined>;

/**
 * The re-check of `request`'s rules against a user as re-read. A directory failure (Slack's user groups)
 * is retried like an unreachable Cipherscale: nothing is sent until the rules could be read.
 */
export function policyCheck(
  policy: Pick<Policy, 'recheck'>,
  request: Pick<ApprovalRequest, 'action' | 'requesterId' | 'channelId' | 'approvals'>,
): PolicyCheck {
  return async (user) => {
    try {
      return await policy.recheck(request, user);
    } catch (err) {
      throw new RetryableJobError(`policy re-check: ${(err as Error).message}`);
    }
  };
}

/**
 * Runs one approved request. Idempotent: safe to run again after a crash or a stall, because the
 * state in Redis says what already happened and the user is re-read before acting. Nothing waits on
 * Slack, before or between API calls: "running" is rendered, unawaited, when an attempt ends with a retry.
 */
export async function executeRequest(
  requestId: string,
  attempt: AttemptInfo,
  deps: ExecuteDeps,
): Promise<void> {
  const { workflow } = deps;
  // The start is the read: a refused transition answers the record as it is.
  const started = await workflow.start(requestId);
  const record = started.request;
  if (!record?.target) {
    deps.logger.warn({ requestId }, 'execute: no single request with this id (expired from Redis?)');
    return;
  }
  if (!started.ok) {
    // Finished before; only the outcome post may be missing (Slack failed last time).
    if (TERMINAL_STATES.includes(record.state) && record.outcome && !record.outcomePosted)
      await workflow.postOutcome(record);
    return;
  }
  const spec: ChangeSpec = { action: record.action, target: record.target, changes: record.changes };
  const log = deps.logger.child({ requestId, action: record.action, targetId: record.target.id });

  const own = await changeAttempt(workflow, requestId, record.target.id);
  const step = await perform(spec, deps.cipherscale, policyCheck(deps.policy, record), own);
  // "N attempts" counts attempts that reached Cipherscale: one the call budget held back sent nothing.
  const request = 'retry' in step && neverSent(step.retry) ? await uncount(record, deps) : record;
  if ('retry' in step) {
    const why = describeFailure(step.retry);
    if (attempt.attempt < attempt.maxAttempts) {
      log.warn({ attempt: attempt.attempt, outcome: step.retry.kind }, 'execute: will retry');
      // Still running while it waits for the next attempt: now the message says so. Not awaited: a slow
      // Slack never holds back the next Cipherscale call (the notifier renders one state at a time and
      // re-reads after each update, so a late "running" is followed by whatever came after it).
      if (request.attempts === 1) void showRunning(deps.notifier, request, log);
      throw new RetryableJobError(
        why,
        step.retry.kind === 'rate_limited' ? step.retry.retryAfterMs : undefined,
      );
    }
    return workflow.finish(request, gaveUp(step.retry));
  }
  return workflow.finish(request, step.final);
}

/** Takes back the attempt `start` counted; the record as it is now (as it was, if Redis refused). */
async function uncount(request: ApprovalRequest, deps: ExecuteDeps): Promise<ApprovalRequest> {
  const moved = await deps.store.transition(request.id, ['running'], 'running', { uncountAttempt: true });
  return moved.ok ? moved.request : request;
}

async function showRunning(notifier: Notifier, request: ApprovalRequest, log: Logger): Promise<void> {
  const shown = await notifier.transitioned(request);
  if (!shown.ok) log.warn({ error: shown.error }, 'could not show "running"');
}

/** The last attempt's outcome when Cipherscale kept failing in a way worth retrying. */
export function gaveUp(failure: CipherscaleFailure): Result {
  return { ok: false, code: failure.kind, summary: `${describeFailure(failure)} Gave up.` };
}

/**
 * Re-reads the user, checks they can still be changed as approved and that the policy's rules still let
 * the request's approvals through (`policy`), records the attempt (`attempt`), then makes the one API
 * call. When this request attempted the change before (its outcome lost: a failover, a lost answer) and
 * the user now shows it, that is its own success, not "already done": nothing is sent again.
 */
export async function perform(
  request: ChangeSpec,
  cipherscale: CipherscaleClient,
  policy?: PolicyCheck,
  attempt?: ChangeAttempt,
): Promise<Step> {
  const id = request.target.id;
  const current = await cipherscale.getUser(id);
  if (attempt?.before && shows(request, current)) return confirmedDone(request);
  if (!current.ok) return failure(current.error, request);
  const precheck = recheck(request, current.value) ?? (await policy?.(current.value));
  if (precheck) return { final: precheck };
  await attempt?.record();

  const result =
    request.action === 'edit'
      ? await cipherscale.updateUser(id, request.changes ?? {})
      : request.action === 'deactivate'
        ? await cipherscale.deactivateUser(id)
        : await cipherscale.deleteUser(id);
  if (!result.ok && result.error.kind === 'invalid_response' && result.error.status < 300) {
    return verifyUnreadable(request, cipherscale, result.error.requestId);
  }
  if (!result.ok) return failure(result.error, request);
  return { final: { ok: true, code: 'done', summary: doneSummary(request), apiRequestId: result.requestId } };
}

/** A 2xx we could not read: the call may well have worked. Look at the user to find out. */
async function verifyUnreadable(
  request: ChangeSpec,
  cipherscale: CipherscaleClient,
  apiRequestId: string | undefined,
): Promise<Step> {
  const after = await cipherscale.getUser(request.target.id);
  const unreadable = "Cipherscale's answer could not be read";
  if (shows(request, after)) {
    return {
      final: {
        ok: true,
        code: 'done',
        summary: `${doneSummary(request)} (${unreadable}; the user shows the change.)`,
        apiRequestId,
      },
    };
  }
  if (!after.ok && isRetryable(after.error)) return { retry: after.error };
  return {
    final: {
      ok: false,
      code: 'invalid_response',
      summary: `${unreadable} and the user does not show the change. Check the user in Cipherscale before requesting again.`,
      apiRequestId,
    },
  };
}

/** Whether the user as read shows the change: deactivated, gone, or every edited field as requested. */
function shows(request: ChangeSpec, read: Awaited<ReturnType<CipherscaleClient['getUser']>>): boolean {
  if (request.action === 'delete') return !read.ok && read.error.kind === 'not_found';
  if (!read.ok) return false;
  if (request.action === 'deactivate') return isInactive(read.value.status);
  const changes = Object.entries(request.changes ?? {});
  return (
    changes.length > 0 &&
    changes.every(([field, value]) => read.value[field as 'firstName' | 'lastName' | 'image'] === value)
  );
}

/** This request's own change, found in place on re-reading after a retry (its first outcome lost). */
function confirmedDone(request: ChangeSpec): Step {
  return {
    final: {
      ok: true,
      code: 'done',
      summary: `${doneSummary(request)} (Confirmed on re-reading the user after a retry.)`,
    },
  };
}

/** Time-of-check/time-of-use: the user as it is now, against what approvers saw. */
function recheck(request: ChangeSpec, user: User): Result | undefined {
  if (request.action !== 'edit' && user.isOwner) {
    return {
      ok: false,
      code: 'owner',
      summary: `The user is now the tenant owner: nothing was sent. Transfer ownership before you ${request.action} them.`,
    };
  }
  if (request.action === 'deactivate' && isInactive(user.status)) {
    return { ok: true, code: 'noop', summary: 'The user was already deactivated: nothing to do.' };
  }
  if (request.action !== 'edit') return undefined;
  if (Object.keys(request.changes ?? {}).length === 0) {
    return { ok: false, code: 'no_changes', summary: 'The request holds no change: nothing was sent.' };
  }
  const changed = staleFields(request.changes, request.target, user);
  if (changed.length === 0) return undefined;
  return {
    ok: false,
    code: 'changed_since_requested',
    summary: `The user's ${changed.join(', ')} changed since this was requested: nothing was sent. Request the edit again.`,
  };
}

function failure(error: CipherscaleFailure, request: ChangeSpec): Step {
  if (error.kind === 'not_found') {
    // Deleting someone who is already gone reaches the goal; anything else cannot happen.
    return request.action === 'delete'
      ? { final: { ok: true, code: 'noop', summary: 'The user no longer exists: nothing to do.' } }
      : { final: { ok: false, code: 'gone', summary: 'The user no longer exists in Cipherscale.' } };
  }
  if (isRetryable(error)) return { retry: error };
  return {
    final: { ok: false, code: error.kind, summary: describeFailure(error), apiRequestId: error.requestId },
  };
}

function doneSummary(request: ChangeSpec): string {
  switch (request.action) {
    case 'edit':
      return 'Profile updated.';
    case 'deactivate':
      return 'Deactivated.';
    case 'delete':
      return 'Deleted.';
  }
}
