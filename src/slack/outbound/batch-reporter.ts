import type { WebClient } from '@slack/web-api';
import type { RequestStore } from '../../approvals/store/store.js';
import { TERMINAL_STATES } from '../../approvals/types.js';
import { batchReport, batchSummary } from '../../blocks/batch.js';
import type { BatchReporter } from '../../queue/ports.js';
import type { SlackRateTiers } from './rate-tiers.js';

/** A batch's thread replies, rendered from what Redis holds now. Throws when Slack fails (the job retries). */
export class SlackBatchReporter implements BatchReporter {
  constructor(
    private readonly store: Pick<RequestStore, 'get' | 'itemResults' | 'setSummary'>,
    private readonly client: WebClient,
    private readonly tiers?: Pick<SlackRateTiers, 'tryCall'>,
  ) {}

  async summary(requestId: string): Promise<void> {
    await this.render(requestId, false);
  }

  /**
   * A progress refresh: only within the share of chat.update's tier progress may use (every batch and
   * process together), else skipped: a later refresh, or the final summary, which always goes out, catches up.
   */
  async progress(requestId: string): Promise<void> {
    await this.render(requestId, true);
  }

  private async render(requestId: string, progress: boolean): Promise<void> {
    const request = await this.store.get(requestId);
    if (!request?.batch || !request.messageTs) return;
    // Finished: the final summary is the batch job's (or the sweeper's) to post. A progress refresh that
    // comes late (retried through a Slack outage) would race it and post a second summary.
    if (progress && TERMINAL_STATES.includes(request.state)) return;
    const message = batchSummary(request, await this.store.itemResults(requestId));
    if (request.summaryTs) {
      const update = () =>
        this.client.chat.update({ channel: request.channelId, ts: request.summaryTs ?? '', ...message });
      if (progress && this.tiers)
        await this.tiers.tryCall('chat.update', update, { lane: 'chat.update:progress' });
      else await update();
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
    await this.render(requestId, progress);
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
