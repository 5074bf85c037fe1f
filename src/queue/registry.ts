// The one list of job kinds: every enqueue and every processor is typed against it.
export const QUEUE_NAME = 'requests';

export interface JobDataByName {
  /** Run an approved request's Cipherscale call. The job carries the id only; the worker reads the rest. */
  execute: { requestId: string };
  /** Move a request that is still pending at its expiry time to `expired`. */
  expire: { requestId: string };
}

export type JobName = keyof JobDataByName;

export const jobIds: { [K in JobName]: (requestId: string) => string } = {
  execute: (requestId) => requestId,
  expire: (requestId) => `expire-${requestId}`,
};
