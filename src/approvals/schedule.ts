import type { ApprovalRequest } from './types.js';

// Scheduled changes: a deactivate or delete approved now that runs at `runAt`. README.md, section States.

/** How far ahead a change may be scheduled. */
export const MAX_SCHEDULE_AHEAD_MS = 90 * 24 * 3600_000;
/** A time this little in the past still counts as "now" (the picker has minutes; the form took a while). */
export const SCHEDULE_GRACE_MS = 2 * 60_000;

/** An approved request still waiting for its time (by the injected clock): not queued yet. */
export function waitsToRun(request: Pick<ApprovalRequest, 'state' | 'runAt'>, now: number): boolean {
  return request.state === 'approved' && request.runAt !== undefined && request.runAt > now;
}

/** An approved request with a time: started by its `start` job (or the sweeper), cancellable until then. */
export function isScheduled(request: Pick<ApprovalRequest, 'state' | 'runAt'>): boolean {
  return request.state === 'approved' && request.runAt !== undefined;
}
