import type { WebClient } from '@slack/web-api';
import type { RequestStore } from '../../approvals/store/store.js';
import { batchReport, batchSummary } from '../../blocks/batch.js';
import type { BatchReporter } from '../../queue/ports.js';

/** A batch's thread replies, rendered from what Redis holds now. Throws when Slack fails (the job retries). */
export class SlackBatchReporter implements BatchReporter {
  constructor(
    private readonly store: Pick<RequestStore, 'get' | 'itemResults' | 'setSummary'>,
    private readonly client: WebClient,
  ) {}

  async summary(requestId: string): Promise<void> {
    const request = await this.store.get(requestId);
    if (!request?.batch || !request.messageTs) return;
    const message = batchSummary(request, await this.store.itemResults(requestId));
    if (request.summaryTs) {
      await this.client.chat.update({ channel: request.channelId, ts: request.summaryTs, ...message });
      return;
    }
    const posted = await this.client.chat.postMessage({
      channel: request.channelId,
      thread_ts: request.messageTs,
      unfurl_links: false,
      unfurl_media: false,
      ...message,
    });
    if (!posted.ts || (await this.store.setSummary(requestId, posted.ts))) return;
    // Another worker posted the summary first: keep one.
    await this.client.chat.delete({ channel: request.channelId, ts: posted.ts });
    await this.summary(requestId);
  }

  async report(requestId: string): Promise<void> {
    const request = await this.store.get(requestId);
    if (!request?.batch || !request.messageTs) return;
    for (const message of batchReport(request, await this.store.itemResults(requestId))) {
      await this.client.chat.postMessage({
        channel: request.channelId,
        thread_ts: request.messageTs,
        unfurl_links: false,
        unfurl_media: false,
        ...message,
      });
    }
  }
}
