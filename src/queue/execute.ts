import type { RequestStore } from '../approvals/store/store.js';
import { isInactive } from '../approvals/targets.js';
import type { Action, ApprovalRequest, Outcome, TargetSnapshot } from '../approvals/types.js';
import { TERMINAL_STATES } from '../approvals/types.js';
import { staleFields } from '../approvals/validate.js';
import { audit } from '../audit.js';
import type { CipherscaleClient } from '../cipherscale/client.js';
import { type CipherscaleFailure, describeFailure, isRetryable } from '../cipherscale/errors.js';
import type { UpdateUser, User } from '../cipherscale/schemas.js';
import type { Logger } from '../logger.js';
import type { Announcer } from './announcer.js';
import { RetryableJobError } from './backoff.js';
import type { JobProducer } from './producer.js';

export interface ExecuteDeps {
  store: RequestStore;
  cipherscale: CipherscaleClient;
  /** The direct announcer (throws when Slack fails). */
  announcer: Announcer;
  /** Where a failed outcome post goes to be retried. */
  producer: Pick<JobProducer, 'notify'>;
  logger: Logger;
}

export interface AttemptInfo {
  /** 1 for the first attempt. */
  attempt: number;
  maxAttempts: number;
}

export type Step = { final: Omit<Outcome, 'attempts' | 'at'> } | { retry: CipherscaleFailure };

/** One user's change: what approvers saw of them, and for an edit the new values. */
export interface ChangeSpec {
  action: Action;
  target: TargetSnapshot;
  changes?: UpdateUser | undefined;
}

/**
 * Runs one approved request. Idempotent: safe to run again after a crash or a stall, because the
 * state in Redis says what already happened and the user is re-read before acting.
 */
export async function executeRequest(
  requestId: string,
  attempt: AttemptInfo,
  deps: ExecuteDeps,
): Promise<void> {
  const { store, announcer } = deps;
  const request = await store.get(requestId);
  if (!request?.target) {
    deps.logger.warn({ requestId }, 'execute: no single request with this id (expired from Redis?)');
    return;
  }
  const spec: ChangeSpec = { action: request.action, target: request.target, changes: request.changes };
  if (TERMINAL_STATES.includes(request.state)) {
    // Finished before; only the outcome post may be missing (Slack failed last time).
    if (request.outcome && !request.outcomePosted) await postOutcome(request, deps);
    return;
  }
  const started = await store.transition(requestId, ['approved', 'queued', 'running'], 'running', {
    incrementAttempts: true,
  });
  if (!started.ok) return;
  const log = deps.logger.child({ requestId, action: request.action, targetId: request.target.id });
  audit(deps.logger, started.request, 'running', { attempts: started.request.attempts });
  if (started.request.attempts === 1) await announceQuietly(announcer, requestId, log);

  const step = await perform(spec, deps.cipherscale);
  if ('retry' in step) {
    const why = describeFailure(step.retry);
    if (attempt.attempt < attempt.maxAttempts) {
      log.warn({ attempt: attempt.attempt, outcome: step.retry.kind }, 'execute: will retry');
      throw new RetryableJobError(
        why,
        step.retry.kind === 'rate_limited' ? step.retry.retryAfterMs : undefined,
      );
    }
    return finish(requestId, gaveUp(step.retry), deps, log);
  }
  return finish(requestId, step.final, deps, log);
}

async function finish(
  requestId: string,
  result: Omit<Outcome, 'attempts' | 'at'>,
  deps: ExecuteDeps,
  log: Logger,
): Promise<void> {
  const current = await deps.store.get(requestId);
  const outcome: Outcome = { ...result, attempts: current?.attempts ?? 1, at: Date.now() };
  const done = await deps.store.transition(requestId, ['running'], outcome.ok ? 'succeeded' : 'failed', {
    outcome,
  });
  if (!done.ok) return;
  log.info(
    {
      audit: true,
      transition: done.request.state,
      outcome: outcome.code,
      attempts: outcome.attempts,
      apiRequestId: outcome.apiRequestId,
    },
    'request finished',
  );
  await postOutcome(done.request, deps);
}

/**
 * The outcome post. If Slack fails, a `notify` job retries the post on its own schedule: the API call
 * is never repeated because Slack was down, and the state in Redis already says what happened.
 */
export async function postOutcome(request: ApprovalRequest, deps: ExecuteDeps): Promise<void> {
  const event = { kind: request.state === 'succeeded' ? ('succeeded' as const) : ('failed' as const) };
  try {
    await deps.announcer.announce(request.id, event);
    await deps.store.markOutcomePosted(request.id);
  } catch (err) {
    deps.logger.warn(
      { requestId: request.id, err: { message: (err as Error).message } },
      'outcome post failed; retrying',
    );
    await deps.producer.notify(request.id, event);
  }
}

async function announceQuietly(announcer: Announcer, requestId: string, log: Logger): Promise<void> {
  try {
    await announcer.announce(requestId);
  } catch (err) {
    log.warn({ err: { message: (err as Error).message } }, 'could not show "running"');
  }
}

/** The last attempt's outcome when Cipherscale kept failing in a way worth retrying. */
export function gaveUp(failure: CipherscaleFailure): Omit<Outcome, 'attempts' | 'at'> {
  return { ok: false, code: failure.kind, summary: `${describeFailure(failure)} Gave up.` };
}

/** Re-reads the user, checks they can still be changed as approved, then makes the one API call. */
export async function perform(request: ChangeSpec, cipherscale: CipherscaleClient): Promise<Step> {
  const id = request.target.id;
  const current = await cipherscale.getUser(id);
  if (!current.ok) return failure(current.error, request);
  const precheck = recheck(request, current.value);
  if (precheck) return { final: precheck };

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
  const took =
    request.action === 'delete'
      ? !after.ok && after.error.kind === 'not_found'
      : after.ok &&
        (request.action === 'deactivate'
          ? isInactive(after.value.status)
          : Object.entries(request.changes ?? {}).every(
              ([field, value]) => after.value[field as 'firstName' | 'lastName' | 'image'] === value,
            ));
  if (took) {
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

/** Time-of-check/time-of-use: the user as it is now, against what approvers saw. */
function recheck(request: ChangeSpec, user: User): Omit<Outcome, 'attempts' | 'at'> | undefined {
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
