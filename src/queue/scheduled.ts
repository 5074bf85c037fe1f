import { DelayedError, type Job } from 'bullmq';
import type { RequestStore } from '../approvals/store/store.js';
import type { Workflow } from '../approvals/workflow/index.js';
import type { Logger } from '../logger.js';

export interface ScheduledDeps {
  store: Pick<RequestStore, 'get'>;
  workflow: Pick<Workflow, 'startScheduled'>;
  logger: Logger;
  now: () => number;
}

/**
 * A scheduled change's `start` job: queues the request (approved → queued, then its job) if it is still
 * approved and waiting; anything else (cancelled, already started, gone) does nothing. A job that fires
 * before `runAt` by the injected clock (another machine's clock, a promoted job) goes back to waiting for
 * the time that is left, and never starts the change early.
 */
export async function startScheduledRequest(
  job: Pick<Job, 'moveToDelayed'>,
  token: string | undefined,
  requestId: string,
  deps: ScheduledDeps,
): Promise<void> {
  const request = await deps.store.get(requestId);
  if (request?.state !== 'approved' || request.runAt === undefined) return;
  const early = request.runAt - deps.now();
  if (early > 0) {
    deps.logger.info({ requestId, earlyMs: early }, 'scheduled start fired early; waiting again');
    // BullMQ's delays are on the machine's clock: the time left, by the injected one, from the machine's now.
    await job.moveToDelayed(Date.now() + early, token);
    throw new DelayedError();
  }
  await deps.workflow.startScheduled(requestId);
}
