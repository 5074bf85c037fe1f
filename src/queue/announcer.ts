import type { RequestEvent } from '../blocks/approval-card.js';

/** Tells the channel about a request: re-renders its message from the stored state, adds a thread note. */
export interface Announcer {
  announce(requestId: string, event?: RequestEvent): Promise<void>;
}
