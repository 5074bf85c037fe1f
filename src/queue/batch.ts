import type { Policy } from '../approvals/policy.js';
import type { RequestStore } from '../approvals/store/store.js';
import {
  type ApprovalRequest,
  type BatchRequest,
  type ItemOutcome,
  TERMINAL_STATES,
} from '../approvals/types.js';
import type { Notifier, Workflow } from '../approvals/workflow/index.js';
import { countResults, countsLine } from '../blocks/batch.js';
import type { CipherscaleClient } from '../cipherscale/client.js';
import type { Logger } from '../logger.js';
import { RetryableJobError } from './backoff.js';
import { type AttemptInfo, changeAttempt, gaveUp, perform, policyCheck } from './execute.js';
import type { BatchReporter } from './ports.js';

export interface BatchDeps {
  store: RequestStore;
  /** The rules, re-checked for each user as re-read (approvals/policy.ts). */
  policy: Pick<Policy, 'recheck'>;
  cipherscale: CipherscaleClient;
  workflow: Workflow;
  notifier: Notifier;
  reporter: BatchReporter;
  logger: Logger;
}

/** The batch's end needs no rules (the sweeper finalizes too). */
type FinalDeps = Omit<BatchDeps, 'policy'>;

export interface ItemAttempt extends AttemptInfo {
  /**
   * Cipherscale said 429: hold back the whole items queue (every worker) and put this job back
   * without spending an attempt. Returns the error to throw, or undefined when this job has been
   * held back often enough and should spend attempts like any other failure.
   */
  throttle(retryAfterMs: number | undefined): Promise<Error | undefined>;
}

const NOT_RUN: Omit<ItemOutcome, 'at'> = {
  ok: false,
  code: 'not_run',
  summary: 'Not run: the batch was stopped before this user was reached.',
  attempts: 0,
};

/**
 * One user of a batch. Idempotent: a user with a recorded outcome is never acted on again, and the
 * same re-read, checks and retries as a single request apply.
 */
export async function runBatchItem(
  requestId: string,
  userId: string,
  attempt: ItemAttempt,
  deps: BatchDeps,
): Promise<void> {
  const item = await deps.store.batchItem(requestId, userId);
  if (!item) return;
  const { state, action, target } = item;
  if (await deps.store.hasItemResult(requestId, userId)) return;
  if (TERMINAL_STATES.includes(state)) {
    await deps.workflow.itemFinished(requestId, action, userId, NOT_RUN);
    return;
  }
  // Only the batch's first users move it to running (a refused transition still reads the whole record).
  const started =
    state === 'approved' || state === 'queued'
      ? await deps.workflow.start(requestId, ['approved', 'queued'])
      : undefined;
  // "Running" and the first summary go out beside the first user's call, never before it.
  if (started?.ok) void showStarted(started.request, deps);

  const asked = await requestOf(requestId, deps.store);
  if (!asked) return;
  const step = await perform(
    { action, target },
    deps.cipherscale,
    policyCheck(deps.policy, asked),
    await changeAttempt(deps.workflow, requestId, userId),
  );
  let outcome: Omit<ItemOutcome, 'at'>;
  if ('retry' in step) {
    if (step.retry.kind === 'rate_limited') {
      const held = await attempt.throttle(step.retry.retryAfterMs);
      if (held) throw held;
    }
    if (attempt.attempt < attempt.maxAttempts) {
      throw new RetryableJobError(
        step.retry.kind,
        step.retry.kind === 'rate_limited' ? step.retry.retryAfterMs : undefined,
      );
    }
    outcome = { ...gaveUp(step.retry), attempts: attempt.attempt };
  } else {
    outcome = { ...step.final, attempts: attempt.attempt };
  }
  await deps.workflow.itemFinished(requestId, action, userId, outcome);
}

type Asked = Pick<ApprovalRequest, 'action' | 'requesterId' | 'channelId' | 'approvals'>;

/**
 * What the policy's re-check needs of a batch (who asked, where, who approved): fixed once the batch is
 * approved, so read once per request and process, not once per user (a record holds up to 500 targets).
 */
const asked = new Map<string, Asked>();
const ASKED_KEPT = 20;

async function requestOf(requestId: string, store: RequestStore): Promise<Asked | undefined> {
  const known = asked.get(requestId);
  if (known) return known;
  const request = await store.get(requestId);
  if (!request) return undefined;
  const { action, requesterId, channelId, approvals } = request;
  asked.set(requestId, { action, requesterId, channelId, approvals });
  for (const old of asked.keys()) {
    if (asked.size <= ASKED_KEPT) break;
    asked.delete(old);
  }
  return asked.get(requestId);
}

/**
 * The batch's parent job, run once every user's job has finished (or was removed by Stop): records
 * the result, then posts the final summary and every user's result, once.
 */
export async function finalizeBatch(requestId: string, deps: FinalDeps): Promise<void> {
  const found = await deps.store.get(requestId);
  if (!found?.batch) return;
  let request: BatchRequest = found;
  let results = await deps.store.itemResults(requestId);
  const unrecorded = request.batch.targets.filter(({ id }) => !results.has(id));
  if (request.state !== 'stopped' && unrecorded.length > 0) {
    await deps.workflow.itemsLost(
      request,
      unrecorded.map(({ id }) => id),
    );
    results = await deps.store.itemResults(requestId);
  }
  const counts = countResults(request.batch, results);
  const after = await deps.workflow.completeBatch(request, {
    ok: counts.failed === 0,
    code: counts.failed === 0 ? 'all_done' : 'some_failed',
    summary: countsLine(request.action, counts),
    failed: counts.failed,
  });
  if (!after.batch || after.outcomePosted) return;
  request = after;
  await postFinal(request, deps);
}

/** The final summary, the per-user report and the message's last state; throws (and is retried) when Slack fails for now. */
async function postFinal(request: BatchRequest, deps: FinalDeps): Promise<void> {
  await deps.reporter.summary(request.id);
  await deps.reporter.report(request.id);
  const shown = await deps.notifier.transitioned(request);
  if (!shown.ok && shown.retryable) throw new Error(`batch message not updated: ${shown.error}`);
  // Refused for good (the message deleted, the channel archived): kept in Redis and the log, marked done so
  // that no job or sweep retries it until retention ends.
  if (!shown.ok)
    deps.logger.warn({ requestId: request.id, error: shown.error }, 'batch: final message state not posted');
  await deps.store.markOutcomePosted(request.id);
}

/** The message's "running" render, then the first progress summary; failures logged (the next summary or the final post catches up). */
async function showStarted(request: ApprovalRequest, deps: BatchDeps): Promise<void> {
  const shown = await deps.notifier.transitioned(request);
  if (!shown.ok)
    deps.logger.warn({ requestId: request.id, error: shown.error }, 'batch: Slack update failed');
  await quietly(deps.logger, request.id, () => deps.reporter.summary(request.id));
}

async function quietly(logger: Logger, requestId: string, run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (err) {
    logger.warn({ requestId, err: { message: (err as Error).message } }, 'batch: Slack update failed');
  }
}
