import type { RequestStore } from '../approvals/store/store.js';
import { type BatchRequest, type ItemOutcome, type Outcome, TERMINAL_STATES } from '../approvals/types.js';
import { audit } from '../audit.js';
import { countResults, countsLine } from '../blocks/batch.js';
import type { CipherscaleClient } from '../cipherscale/client.js';
import type { Logger } from '../logger.js';
import type { Announcer, BatchReporter } from './announcer.js';
import { RetryableJobError } from './backoff.js';
import { type AttemptInfo, gaveUp, perform } from './execute.js';
import type { JobProducer } from './producer.js';

export interface BatchDeps {
  store: RequestStore;
  cipherscale: CipherscaleClient;
  announcer: Announcer;
  reporter: BatchReporter;
  producer: Pick<JobProducer, 'scheduleSummary'>;
  logger: Logger;
}

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
    await record(requestId, userId, { ...NOT_RUN, at: Date.now() }, deps);
    return;
  }
  // Only the batch's first users move it to running (a refused transition still reads the whole record).
  const started =
    state === 'approved' || state === 'queued'
      ? await deps.store.transition(requestId, ['approved', 'queued'], 'running', { incrementAttempts: true })
      : { ok: false as const };
  if (started.ok) {
    audit(deps.logger, started.request, 'running');
    await quietly(deps.logger, requestId, async () => {
      await deps.announcer.announce(requestId);
      await deps.reporter.summary(requestId);
    });
  }

  const step = await perform({ action, target }, deps.cipherscale);
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
  await record(requestId, userId, { ...outcome, at: Date.now() }, deps);
}

async function record(requestId: string, userId: string, outcome: ItemOutcome, deps: BatchDeps) {
  const first = await deps.store.recordItem(requestId, userId, outcome);
  if (!first) return;
  deps.logger.info(
    {
      audit: true,
      requestId,
      targetId: userId,
      transition: 'item',
      outcome: outcome.code,
      attempts: outcome.attempts,
      apiRequestId: outcome.apiRequestId,
    },
    'batch user finished',
  );
  await deps.producer.scheduleSummary(requestId);
}

const INTERNAL_ERROR: Omit<ItemOutcome, 'at'> = {
  ok: false,
  code: 'internal_error',
  summary: 'cipher-user could not finish this user (internal error); check the user in Cipherscale.',
  attempts: 0,
};

/**
 * The batch's parent job, run once every user's job has finished (or was removed by Stop): records
 * the result, then posts the final summary and every user's result, once.
 */
export async function finalizeBatch(requestId: string, deps: BatchDeps): Promise<void> {
  let request = await deps.store.get(requestId);
  if (!request?.batch) return;
  let results = await deps.store.itemResults(requestId);
  const unrecorded = request.batch.targets.filter(({ id }) => !results.has(id));
  if (request.state !== 'stopped' && unrecorded.length > 0) {
    // A user whose job failed for good without recording anything (a bug, Redis trouble).
    for (const { id } of unrecorded)
      await deps.store.recordItem(requestId, id, { ...INTERNAL_ERROR, at: Date.now() });
    results = await deps.store.itemResults(requestId);
  }
  const counts = countResults(request.batch, results);
  const outcome: Outcome = {
    ok: counts.failed === 0,
    code: counts.failed === 0 ? 'all_done' : 'some_failed',
    summary: countsLine(request.action, counts),
    attempts: 1,
    at: Date.now(),
    failed: counts.failed,
  };
  if (request.state === 'stopped') {
    request = (await deps.store.completeStopped(requestId, outcome)) ?? request;
  } else {
    const done = await deps.store.transition(
      requestId,
      ['approved', 'queued', 'running'],
      outcome.ok ? 'succeeded' : 'failed',
      { outcome },
    );
    if (done.request) request = done.request;
    if (done.ok) audit(deps.logger, done.request, done.request.state, { outcome: outcome.code });
  }
  if (!request.batch || request.outcomePosted) return;
  await postFinal(request as BatchRequest, deps);
}

/** The final summary, the per-user report and the message's last state; throws (and is retried) when Slack fails. */
async function postFinal(request: BatchRequest, deps: BatchDeps): Promise<void> {
  await deps.reporter.summary(request.id);
  await deps.reporter.report(request.id);
  await deps.announcer.announce(request.id);
  await deps.store.markOutcomePosted(request.id);
}

async function quietly(logger: Logger, requestId: string, run: () => Promise<void>): Promise<void> {
  try {
    await run();
  } catch (err) {
    logger.warn({ requestId, err: { message: (err as Error).message } }, 'batch: Slack update failed');
  }
}
