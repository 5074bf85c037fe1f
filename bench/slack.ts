import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ACTION_IDS } from '../src/blocks/ids.js';
import { sharedPath } from '../test/helpers/shared.js';
import { interactionBody, signedHeaders, slashCommandBody } from '../test/helpers/slack-request.js';

// Requests exactly as Slack sends them (signed; interactions as `payload=`), timed to the HTTP answer.

const realBlockAction = JSON.parse(
  readFileSync(sharedPath('slack/interactions/block_actions/bolt_python_from_message.json'), 'utf8'),
) as Record<string, unknown>;

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
        interactionBody({
          ...realBlockAction,
          user: { id: userId, username: userId.toLowerCase(), name: userId.toLowerCase(), team_id: 'T111' },
          container: { type: 'message', message_ts: ts, channel_id: channel, is_ephemeral: false },
          channel: { id: channel, name: 'security-ops' },
          message: { type: 'message', ts, text: 'request', user: 'UBOT00001' },
          trigger_id: `${Date.now()}.${Math.floor(Math.random() * 1e9)}.trigger`,
          response_url: responseUrl(),
          actions: [
            {
              action_id: ACTION_IDS.approve,
              block_id: 'request_actions',
              text: { type: 'plain_text', text: 'Approve', emoji: true },
              value: requestId,
              type: 'button',
              action_ts: `${Date.now() / 1000}`,
            },
          ],
        }),
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
