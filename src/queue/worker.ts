import { type ConnectionOptions, type Job, type Queue, Worker } from 'bullmq';
import type { Policy } from '../approvals/policy.js';
import { withLogContext } from '../logger.js';
import { fanOutApproverDms, sendApproverDm } from './approver-dm.js';
import { BACKOFF_TYPE, backoffDelay, RetryableJobError } from './backoff.js';
import { finalizeBatch, runBatchItem } from './batch.js';
import { updateApproverDms } from './dm-update.js';
import { type ExecuteDeps, executeRequest } from './execute.js';
import { notifyRequest } from './notify.js';
import type { ApproverMessenger, BatchReporter, DmRecords } from './ports.js';
import type { JobProducer } from './producer.js';
import { ITEMS_QUEUE_NAME, type JobDataByName, type JobName, QUEUE_NAME } from './registry.js';
import { remindRequest } from './remind.js';
import { startScheduledRequest } from './scheduled.js';

export interface WorkerOptions {
  connection: ConnectionOptions;
  prefix: string;
  backoffMs: number;
  concurrency?: number;
  /** A worker's hold on a job; a job whose worker died is taken over after about this long. */
  lockMs: number;
}

export interface ItemsWorkerOptions extends WorkerOptions {
  /** CIPHERSCALE_RATE_LIMIT_PER_SECOND: sizes the concurrency; the client's budget does the limiting. */
  ratePerSecond: number;
  /** The items queue, to hold every worker back when Cipherscale answers 429. */
  queue: Pick<Queue, 'rateLimit'>;
}

export type RequestWorker = Worker<JobDataByName[JobName], void, JobName>;

export interface WorkerDeps extends ExecuteDeps {
  reporter: BatchReporter;
  producer: Pick<JobProducer, 'dmApprovers' | 'updateDms'>;
  /** Who approves: the DMs and the reminder's mentions; the rules' re-check at execution. */
  policy: Pick<Policy, 'approvers' | 'settings' | 'recheck'>;
  messenger: ApproverMessenger;
  /** The approver DMs each request has (where, and which version each shows). */
  dms: DmRecords;
  /** The debounced App Home refresh (`home` jobs). */
  homes: { refresh(): Promise<void> };
  now: () => number;
}

/**
 * How long a worker waits to fetch again after Redis dropped the connection (BullMQ's default: 15 s). A
 * Cluster whose primary died says "Connection is closed." until its replica takes over: without this,
 * jobs queued after the failover sit for 15 s.
 */
export const FETCH_RETRY_MS = 500;

/** Times one batch user may be put back for a 429 before it spends attempts like any failure. */
const MAX_THROTTLES = 10;

export function createWorker(deps: WorkerDeps, options: WorkerOptions): RequestWorker {
  const worker: RequestWorker = new Worker(
    QUEUE_NAME,
    inJobContext(async (job, token) => {
      if (!('requestId' in job.data)) return job.name === 'home' ? deps.homes.refresh() : undefined;
      const { requestId } = job.data;
      switch (job.name) {
        case 'execute':
          return executeRequest(
            requestId,
            { attempt: job.attemptsMade + 1, maxAttempts: job.opts.attempts ?? 1 },
            deps,
          );
        case 'start':
          return startScheduledRequest(job, token, requestId, deps);
        case 'expire':
          await deps.workflow.expire(requestId);
          return;
        case 'notify':
          return notifyRequest(requestId, (job.data as JobDataByName['notify']).event, deps);
        case 'batch':
          return finalizeBatch(requestId, deps);
        case 'summary':
          return deps.reporter.progress(requestId);
        case 'approver-dms':
          return fanOutApproverDms(requestId, deps);
        case 'approver-dm':
          return sendApproverDm(
            requestId,
            (job.data as JobDataByName['approver-dm']).userId,
            { attempt: job.attemptsMade + 1, maxAttempts: job.opts.attempts ?? 1 },
            deps,
            deps.now(),
          );
        case 'dm-update':
          return updateApproverDms(
            requestId,
            { attempt: job.attemptsMade + 1, maxAttempts: job.opts.attempts ?? 1 },
            deps,
            (job.data as JobDataByName['dm-update']).userId,
          );
        case 'home':
          return;
        case 'remind':
          return remindRequest(
            requestId,
            { attempt: job.attemptsMade + 1, maxAttempts: job.opts.attempts ?? 1 },
            deps,
            deps.now(),
          );
      }
    }),
    {
      connection: options.connection,
      prefix: options.prefix,
      concurrency: options.concurrency ?? 10,
      lockDuration: options.lockMs,
      stalledInterval: options.lockMs,
      runRetryDelay: FETCH_RETRY_MS,
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

/** The users of batches, one job each; their calls wait for the shared Cipherscale budget (bulk priority). */
export function createItemsWorker(deps: WorkerDeps, options: ItemsWorkerOptions): RequestWorker {
  const worker: RequestWorker = new Worker(
    ITEMS_QUEUE_NAME,
    inJobContext(async (job) => {
      if (job.name !== 'batch-item') return;
      const { requestId, userId } = job.data as JobDataByName['batch-item'];
      const maxAttempts = job.opts.attempts ?? 1;
      const attempt = job.attemptsMade + 1;
      return runBatchItem(
        requestId,
        userId,
        {
          attempt,
          maxAttempts,
          throttle: async (retryAfterMs) => {
            // attemptsStarted grows with every start, attemptsMade only with failures: the gap is the put-backs.
            if ((job.attemptsStarted ?? 0) - job.attemptsMade > MAX_THROTTLES) return undefined;
            await options.queue.rateLimit(backoffDelay(1, options.backoffMs, retryAfterMs));
            return Worker.RateLimitError();
          },
        },
        deps,
      );
    }),
    {
      connection: options.connection,
      prefix: options.prefix,
      // About 2 calls per user: more users in flight would only wait for the budget (and miss a Stop).
      concurrency: options.concurrency ?? Math.min(50, Math.max(5, Math.ceil(options.ratePerSecond / 2))),
      // Never binding (the budget is); without a limiter BullMQ ignores Queue.rateLimit on a 429.
      limiter: { max: options.ratePerSecond, duration: 1000 },
      lockDuration: options.lockMs,
      stalledInterval: options.lockMs,
      runRetryDelay: FETCH_RETRY_MS,
      settings: {
        backoffStrategy: (attemptsMade, _type, err) =>
          backoffDelay(
            attemptsMade,
            options.backoffMs,
            err instanceof RetryableJobError ? err.retryAfterMs : undefined,
          ),
      },
    },
  );
  worker.on('failed', (job, err) =>
    deps.logger.warn(
      {
        requestId: job && 'requestId' in job.data ? job.data.requestId : undefined,
        attempt: job?.attemptsMade,
        err: { name: err.name, message: err.message },
      },
      'batch user attempt failed',
    ),
  );
  worker.on('error', (err) =>
    deps.logger.error({ err: { name: err.name, message: err.message } }, 'worker error'),
  );
  return worker;
}

/** Every line a job logs carries a correlation id for this attempt and the request's id. */
function inJobContext<T extends Job<JobDataByName[JobName], void, JobName>>(
  process: (job: T, token?: string) => Promise<void>,
): (job: T, token?: string) => Promise<void> {
  return (job, token) =>
    withLogContext('job', 'requestId' in job.data ? { requestId: job.data.requestId } : {}, () =>
      process(job, token),
    );
}

/** A job that failed for good without recording an outcome (a bug, Redis trouble) must not leave the request running. */
async function onFailed(job: Job | undefined, err: Error, deps: ExecuteDeps): Promise<void> {
  if (job?.name !== 'execute' || !('requestId' in job.data)) return;
  const finalAttempt = job.attemptsMade >= (job.opts.attempts ?? 1);
  const log = deps.logger.child({ requestId: job.data.requestId, attempt: job.attemptsMade });
  if (!finalAttempt) {
    log.warn({ err: { name: err.name, message: err.message } }, 'execute attempt failed');
    return;
  }
  try {
    const request = await deps.store.get(job.data.requestId);
    if (!request || request.outcome) return;
    await deps.workflow.failInternally(request, { err: { name: err.name, message: err.message } });
  } catch (cause) {
    log.error({ err: { message: (cause as Error).message } }, 'could not record the failure');
  }
}
