import type { RequestEvent } from '../blocks/approval-card.js';

/** Tells the channel about a request: re-renders its message from the stored state, adds a thread note. */
export interface Announcer {
  announce(requestId: string, event?: RequestEvent): Promise<void>;
}

/** A batch's thread replies: the progress summary (posted once, then updated in place) and the final per-user report. */
export interface BatchReporter {
  /** Posts or refreshes the summary reply from the stored state. */
  summary(requestId: string): Promise<void>;
  /** Posts every user's result as thread replies. */
  report(requestId: string): Promise<void>;
}
