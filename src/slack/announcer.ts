import type { WebClient } from '@slack/web-api';
import type { RequestStore } from '../approvals/store/store.js';
import { approvalMessage, type RequestEvent, threadNote } from '../blocks/approval-card.js';
import type { Logger } from '../logger.js';
import type { Announcer } from '../queue/announcer.js';

const MAX_RENDERS = 3;

/**
 * Keeps a request's message in step with its stored state, and notes each transition in its thread.
 * The message is rendered from what Redis holds now, never from a caller's copy, and rendered again
 * if the state moved on while Slack was being called: the last render always shows the latest state.
 */
export class SlackAnnouncer implements Announcer {
  constructor(
    private readonly store: Pick<RequestStore, 'get'>,
    private readonly client: WebClient,
    private readonly logger: Logger,
  ) {}

  async announce(requestId: string, event?: RequestEvent): Promise<void> {
    let request = await this.store.get(requestId);
    if (!request?.messageTs) return;
    const { channelId, messageTs } = request;
    // The message first, so that when the thread note appears the message already says the same.
    for (let render = 0; render < MAX_RENDERS; render++) {
      await this.client.chat.update({ channel: channelId, ts: messageTs, ...approvalMessage(request) });
      const latest = await this.store.get(requestId);
      if (!latest || latest.version === request.version) break;
      request = latest;
      if (render === MAX_RENDERS - 1)
        this.logger.warn({ requestId }, 'request message may lag behind its state');
    }
    if (event) {
      await this.client.chat.postMessage({
        channel: channelId,
        thread_ts: messageTs,
        unfurl_links: false,
        unfurl_media: false,
        ...threadNote(request, event),
      });
    }
  }
}
