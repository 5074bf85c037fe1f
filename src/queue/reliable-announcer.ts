import type { RequestEvent } from '../blocks/approval-card.js';
import type { Logger } from '../logger.js';
import type { Announcer } from './announcer.js';
import type { JobProducer } from './producer.js';

/**
 * Announces at once; when Slack fails (rate limit, outage), hands the same announcement to a
 * `notify` job that retries with backoff. The request's state in Redis is already written either way.
 */
export class ReliableAnnouncer implements Announcer {
  constructor(
    private readonly direct: Announcer,
    private readonly producer: Pick<JobProducer, 'notify'>,
    private readonly logger: Logger,
  ) {}

  async announce(requestId: string, event?: RequestEvent): Promise<void> {
    try {
      await this.direct.announce(requestId, event);
    } catch (err) {
      this.logger.warn(
        { requestId, event: event?.kind, err: { message: (err as Error).message } },
        'Slack update failed; retrying in the background',
      );
      await this.producer.notify(requestId, toNotifyEvent(event));
    }
  }
}

export function toNotifyEvent(event: RequestEvent | undefined): { kind: string; by?: string } {
  if (!event) return { kind: 'render' };
  return 'by' in event ? { kind: event.kind, by: event.by } : { kind: event.kind };
}
