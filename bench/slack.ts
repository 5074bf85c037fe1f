import { randomBytes } from 'node:crypto';
import { ACTION_IDS } from '../src/blocks/ids.js';
import {
  blockActionPayload,
  interactionBody,
  signedHeaders,
  slashCommandBody,
} from '../test/helpers/slack-request.js';

// Requests exactly as Slack sends them (signed; interactions as `payload=`), timed to the HTTP answer.

export interface SlackSender {
  /** `/cipher-user <text>`; resolves with the ms until Slack would have its HTTP answer. */
  command(text: string, userId?: string): Promise<number>;
  /** An Approve click on a request's message. */
  approve(requestId: string, userId: string, channel: string, ts: string): Promise<number>;
}

export function slackSender(baseUrl: string, signingSecret: string, responseUrlBase: string): SlackSender {
  const post = async (body: string, contentType: string) => {
    const started = performance.now();
    const res = await fetch(`${baseUrl}/slack/events`, {
      method: 'POST',
      body,
      headers: signedHeaders(signingSecret, body, contentType),
    });
    await res.arrayBuffer();
    const ms = performance.now() - started;
    if (res.status !== 200) throw new Error(`HTTP ${res.status} from ${baseUrl}`);
    return ms;
  };
  const responseUrl = () => `${responseUrlBase}${randomBytes(6).toString('hex')}`;
  return {
    command: (text, userId = 'U0REQUESTER') =>
      post(
        slashCommandBody({ text, user_id: userId, channel_id: 'C0BENCH01', response_url: responseUrl() }),
        'application/x-www-form-urlencoded',
      ),
    approve: (requestId, userId, channel, ts) =>
      post(
        interactionBody(
          blockActionPayload({
            actionId: ACTION_IDS.approve,
            value: requestId,
            userId,
            channel,
            ts,
            responseUrl: responseUrl(),
            botUserId: 'UBOT00001',
          }),
        ),
        'application/x-www-form-urlencoded',
      ),
  };
}

/** Runs `count` calls of `task`, `concurrency` at a time; returns each call's result. */
export async function pool<T>(
  count: number,
  concurrency: number,
  task: (i: number) => Promise<T>,
): Promise<T[]> {
  const results: T[] = new Array(count);
  let next = 0;
  const lane = async () => {
    while (next < count) {
      const i = next++;
      results[i] = await task(i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, lane));
  return results;
}

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] as number;
}
