import type { NotifyEvent } from '../approvals/events.js';

// The one list of job kinds: every enqueue and every processor is typed against it.
export const QUEUE_NAME = 'requests';
/** Batch items: one job per user, throttled to the Cipherscale rate limit across all workers. */
export const ITEMS_QUEUE_NAME = 'cipherscale';
/** The sweeper's one scheduled job (a BullMQ job scheduler): finds and completes what was left undone. */
export const SWEEP_QUEUE_NAME = 'sweeper';

export interface JobDataByName {
  /** Run an approved request's Cipherscale call. The job carries the id only; the worker reads the rest. */
  execute: { requestId: string };
  /** A scheduled change's time: queue it (as the quorum click does) if it is still approved and waiting. */
  start: { requestId: string };
  /** Move a request that is still pending at its expiry time to `expired`. */
  expire: { requestId: string };
  /** Retry a Slack update that failed: re-render the message, add the thread note for `event`. */
  notify: { requestId: string; event: NotifyEvent };
  /** A batch's parent job: runs once every user's job has finished; records and posts the result. */
  batch: { requestId: string };
  /** One user of a batch (ITEMS_QUEUE_NAME). */
  'batch-item': { requestId: string; userId: string };
  /** Refresh a batch's progress summary; one per request per second at most. */
  summary: { requestId: string; second: number };
  /** NOTIFY_APPROVERS=dm: find who may approve a new request, add one `approver-dm` each. */
  'approver-dms': { requestId: string };
  /** Direct-message one approver about a pending request. */
  'approver-dm': { requestId: string; userId: string };
  /**
   * Re-render the approver DMs of a request once it changed in a way they show (an approval, a decision);
   * `userId`: that approver's DM only (posted while the request moved on).
   */
  'dm-update': { requestId: string; version: number; userId?: string };
  /** The one thread reminder before a pending request expires. */
  remind: { requestId: string };
  /** Republish the App Homes concerned by the changes recorded in `home:dirty` (one job per generation). */
  home: { generation: number };
}

export type JobName = keyof JobDataByName;

/** One job id per purpose: BullMQ ignores an add whose id it already holds. */
export const jobIds: { [K in JobName]: (data: JobDataByName[K]) => string } = {
  execute: ({ requestId }) => requestId,
  start: ({ requestId }) => `start-${requestId}`,
  expire: ({ requestId }) => `expire-${requestId}`,
  notify: ({ requestId, event }) => `notify-${requestId}-${event.kind}${event.by ? `-${event.by}` : ''}`,
  batch: ({ requestId }) => `batch-${requestId}`,
  'batch-item': ({ requestId, userId }) => `item-${requestId}-${userId}`,
  summary: ({ requestId, second }) => `summary-${requestId}-${second}`,
  'approver-dms': ({ requestId }) => `dms-${requestId}`,
  'approver-dm': ({ requestId, userId }) => `dm-${requestId}-${userId}`,
  'dm-update': ({ requestId, version, userId }) =>
    `dm-update-${requestId}-${version}${userId ? `-${userId}` : ''}`,
  remind: ({ requestId }) => `remind-${requestId}`,
  home: ({ generation }) => `home-${generation}`,
};
