import { createHash } from 'node:crypto';
import { ErrorCode, type WebClient } from '@slack/web-api';
import type { ApprovalRequest } from '../../approvals/types.js';
import { approverDm } from '../../blocks/approver-dm.js';
import type { BlockMessage } from '../../blocks/mrkdwn.js';
import { reminderNote, type Waiting } from '../../blocks/reminder.js';
import type { ApproverMessenger, DmSent, DmUpdated, RecordedDm, SendResult } from '../../queue/ports.js';
import { permalink as messagePermalink } from './permalink.js';
import type { SlackRateTiers } from './rate-tiers.js';

// Slack errors that say "not now" rather than "never": worth another attempt.
const TRANSIENT = new Set([
  'ratelimited',
  'rate_limited',
  'internal_error',
  'fatal_error',
  'service_unavailable',
  'request_timeout',
]);

/** How long a DM update waits for a chat.update slot (bulk priority: the request messages go first). */
const DM_UPDATE_WAIT_MS = 2000;
/** The share of chat.update's tier DM updates may take (rate-tiers.ts), so request messages always find room. */
const DM_LANE = 'chat.update:dms';

/** Approver DMs (chat.postMessage to the user id: the app's DM, chat:write only) and the thread reminder. */
export class SlackApproverMessenger implements ApproverMessenger {
  constructor(
    private readonly client: WebClient,
    private readonly tiers?: Pick<SlackRateTiers, 'tryCall'>,
  ) {}

  async directMessage(request: ApprovalRequest, userId: string): Promise<DmSent> {
    if (!request.messageTs) return { ok: false, error: 'no_message', retryable: false };
    let permalink: string | undefined;
    try {
      const found = await this.client.chat.getPermalink({
        channel: request.channelId,
        message_ts: request.messageTs,
      });
      permalink = found.permalink;
    } catch (err) {
      const failure = slackFailure(err);
      // Without a link the DM still names the channel; an outage is worth waiting for.
      if (failure.retryable) return failure;
    }
    const message = approverDm(request, permalink, userId);
    try {
      const posted = await this.client.chat.postMessage({
        channel: userId,
        unfurl_links: false,
        unfurl_media: false,
        ...message,
      });
      if (!posted.channel || !posted.ts) return { ok: false, error: 'no_ts', retryable: false };
      return { ok: true, place: { channel: posted.channel, ts: posted.ts }, digest: digestOf(message) };
    } catch (err) {
      return slackFailure(err);
    }
  }

  /**
   * chat.update of one DM, at bulk priority within the DMs' share of chat.update's tier; no slot in time is
   * a retryable failure (the job retries the DMs not updated yet).
   */
  async updateDm(
    request: ApprovalRequest,
    dm: RecordedDm,
    link: string | undefined,
    force: boolean,
  ): Promise<DmUpdated> {
    const message = approverDm(request, link, dm.userId);
    const digest = digestOf(message);
    if (!force && digest === dm.digest) return { ok: true, digest, sent: false };
    const sent = await this.sendUpdate(dm, message);
    return sent.ok ? { ok: true, digest, sent: true } : sent;
  }

  private async sendUpdate(dm: RecordedDm, message: BlockMessage): Promise<SendResult> {
    const update = () => this.client.chat.update({ channel: dm.channel, ts: dm.ts, ...message });
    if (!this.tiers) return this.send(update);
    const tried = await this.tiers
      .tryCall('chat.update', () => this.send(update), {
        priority: 'bulk',
        maxWaitMs: DM_UPDATE_WAIT_MS,
        lane: DM_LANE,
      })
      .catch((err: unknown) => ({ ok: true as const, value: slackFailure(err) }));
    return tried.ok ? tried.value : { ok: false, error: 'ratelimited', retryable: true };
  }

  permalink(request: ApprovalRequest): Promise<string | undefined> {
    return messagePermalink(this.client, request.channelId, request.messageTs);
  }

  remind(request: ApprovalRequest, waiting: Waiting): Promise<SendResult> {
    const threadTs = request.messageTs;
    if (!threadTs) return Promise.resolve({ ok: false, error: 'no_message', retryable: false });
    return this.send(() =>
      this.client.chat.postMessage({
        channel: request.channelId,
        thread_ts: threadTs,
        unfurl_links: false,
        unfurl_media: false,
        ...reminderNote(request, waiting),
      }),
    );
  }

  private async send(call: () => Promise<unknown>): Promise<SendResult> {
    try {
      await call();
      return { ok: true };
    } catch (err) {
      return slackFailure(err);
    }
  }
}

/** What a DM reads, in a few bytes: the same message always gives the same digest. */
function digestOf(message: BlockMessage): string {
  return createHash('sha256').update(JSON.stringify(message)).digest('base64url').slice(0, 16);
}

/** A Web API failure as a short code (never a message that could carry a URL or token) and whether to retry. */
export function slackFailure(err: unknown): { ok: false; error: string; retryable: boolean } {
  const { code, data, statusCode } = err as {
    code?: unknown;
    data?: { error?: unknown };
    statusCode?: unknown;
  };
  switch (code) {
    case ErrorCode.PlatformError: {
      const error = typeof data?.error === 'string' ? data.error.replace(/[^a-z0-9_]/gi, '') : 'unknown';
      return { ok: false, error, retryable: TRANSIENT.has(error) };
    }
    case ErrorCode.HTTPError:
      return { ok: false, error: `http_${Number(statusCode) || 'error'}`, retryable: true };
    case ErrorCode.RateLimitedError:
      return { ok: false, error: 'ratelimited', retryable: true };
    case ErrorCode.RequestError:
      return { ok: false, error: 'request_error', retryable: true };
    default:
      return { ok: false, error: (err as Error)?.name || 'error', retryable: true };
  }
}
