import { type ConnectionOptions, type Job, Worker } from 'bullmq';
import { BACKOFF_TYPE, backoffDelay, RetryableJobError } from './backoff.js';
import { type ExecuteDeps, executeRequest, postOutcome } from './execute.js';
import { expireRequest } from './expire.js';
import { notifyRequest } from './notify.js';
import { type JobDataByName, type JobName, QUEUE_NAME } from './registry.js';
import { ReliableAnnouncer } from './reliable-announcer.js';

export interface WorkerOptions {
  connection: ConnectionOptions;
  prefix: string;
  backoffMs: number;
  concurrency?: number;
  /** A worker's hold on a job; a job whose worker died is taken over after about this long. */
  lockMs: number;
}

export type RequestWorker = Worker<JobDataByName[JobName], void, JobName>;

export function createWorker(deps: ExecuteDeps, options: WorkerOptions): RequestWorker {
  const reliable = new ReliableAnnouncer(deps.announcer, deps.producer, deps.logger);
  const worker: RequestWorker = new Worker(
    QUEUE_NAME,
    async (job) => {
      const { requestId } = job.data;
      switch (job.name) {
        case 'execute':
          return executeRequest(
            requestId,
            { attempt: job.attemptsMade + 1, maxAttempts: job.opts.attempts ?? 1 },
            deps,
          );
        case 'expire':
          return expireRequest(requestId, { ...deps, announcer: reliable });
        case 'notify':
          return notifyRequest(requestId, (job.data as JobDataByName['notify']).event, deps);
      }
    },
    {
      connection: options.connection,
      prefix: options.prefix,
      concurrency: options.concurrency ?? 10,
      lockDuration: options.lockMs,
      stalledInterval: options.lockMs,
      settings: {
        backoffStrategy: (attemptsMade, type, err) =>
          type === BACKOFF_TYPE
            ? backoffDelay(
                attemptsMade,
                options.backoffMs,
                err instanceof RetryableJobError ? err.retryAfterMs : undefined,
              )
            : options.backoffMs,
      },
    },
  );
  worker.on('failed', (job, err) => void onFailed(job, err, deps));
  worker.on('error', (err) =>
    deps.logger.error({ err: { name: err.name, message: err.message } }, 'worker error'),
  );
  return worker;
}

/** A job that failed for good without recording an outcome (a bug, Redis trouble) must not leave the request running. */
async function onFailed(job: Job | undefined, err: Error, deps: ExecuteDeps): Promise<void> {
  if (job?.name !== 'execute') return;
  const finalAttempt = job.attemptsMade >= (job.opts.attempts ?? 1);
  const log = deps.logger.child({ requestId: job.data.requestId, attempt: job.attemptsMade });
  if (!finalAttempt) {
    log.warn({ err: { name: err.name, message: err.message } }, 'execute attempt failed');
    return;
  }
  try {
    const request = await deps.store.get(job.data.requestId);
    if (!request || request.outcome) return;
    const outcome = {
      ok: false,
      code: 'internal_error',
      summary: 'cipher-user could not finish this request (internal error); check the user in Cipherscale.',
      attempts: request.attempts,
      at: Date.now(),
    };
    const done = await deps.store.transition(request.id, ['approved', 'queued', 'running'], 'failed', {
      outcome,
    });
    if (!done.ok) return;
    log.error(
      {
        audit: true,
        action: request.action,
        targetId: request.target.id,
        transition: 'failed',
        outcome: 'internal_error',
        err: { name: err.name, message: err.message },
      },
      'request failed',
    );
    await postOutcome(done.request, deps);
  } catch (cause) {
    log.error({ err: { message: (cause as Error).message } }, 'could not record the failure');
  }
}
