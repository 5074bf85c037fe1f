import type { RequestEvent } from '../../blocks/approval-card.js';
import type { Announcer } from '../../queue/announcer.js';
import type { HomeRefreshQueue } from './refresh-queue.js';

/**
 * An Announcer that also keeps App Homes current: after each announcement (whether Slack took it or not:
 * the state in Redis changed either way) it records the change for the debounced Home refresh. It never
 * waits on a Home publish, so a refresh can never delay or repeat a thread note.
 */
export class HomeRefresher implements Announcer {
  constructor(
    private readonly inner: Announcer,
    private readonly homes: Pick<HomeRefreshQueue, 'changed'>,
  ) {}

  async announce(requestId: string, event?: RequestEvent): Promise<void> {
    try {
      await this.inner.announce(requestId, event);
    } finally {
      this.homes.changed(requestId);
    }
  }
}
