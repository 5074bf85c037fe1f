import type { RequestEvent } from '../../blocks/approval-card.js';
import type { Logger } from '../../logger.js';
import type { Announcer } from '../../queue/announcer.js';
import type { HomeTab } from './tab.js';

/**
 * An Announcer that also keeps App Homes current: after each announcement (whether Slack took it or not:
 * the state in Redis changed either way) it refreshes the Home of the people concerned, in the background.
 * One refresh runs at a time per process; changes that arrive meanwhile are folded into the next one. A
 * refresh never fails or delays the announcement, so it can never make a thread note be posted again.
 */
export class HomeRefresher implements Announcer {
  private readonly waiting = new Set<string>();
  private running: Promise<void> | undefined;

  constructor(
    private readonly inner: Announcer,
    private readonly home: Pick<HomeTab, 'refreshFor'>,
    private readonly logger: Logger,
  ) {}

  async announce(requestId: string, event?: RequestEvent): Promise<void> {
    try {
      await this.inner.announce(requestId, event);
    } finally {
      this.changed(requestId);
    }
  }

  /** A request changed without an announcement (a new one was posted): refresh the Homes concerned. */
  changed(requestId: string): void {
    this.waiting.add(requestId);
    this.running ??= this.drain();
  }

  /** Resolves once no refresh is running (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  private async drain(): Promise<void> {
    try {
      while (this.waiting.size > 0) {
        const requestIds = [...this.waiting];
        this.waiting.clear();
        await this.home
          .refreshFor(requestIds)
          .catch((err: unknown) =>
            this.logger.warn(
              { requestIds, err: { name: (err as Error).name, message: (err as Error).message } },
              'App Homes not refreshed',
            ),
          );
      }
    } finally {
      // In the same tick as the last check: a request id added from now on starts a new drain.
      this.running = undefined;
    }
  }
}
