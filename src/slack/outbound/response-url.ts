import type { KnownBlock } from '@slack/types';
import { redactDeep } from '../../redact.js';

/**
 * Posts an ephemeral message through a response_url Slack gave us (slash command or button click):
 * reaches the user in that conversation even where the bot is not a member. Resolves false on failure.
 * Global fetch (undici) keeps connections alive per origin, closing idle ones before the server's
 * Keep-Alive timeout (test/slack/response-url.test.ts counts them).
 */
export async function postEphemeral(
  responseUrl: string | undefined,
  message: { text: string; blocks?: KnownBlock[] },
): Promise<boolean> {
  if (!responseUrl) return false;
  try {
    const answer = await fetch(responseUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(redactDeep({ response_type: 'ephemeral', replace_original: false, ...message })),
      signal: AbortSignal.timeout(5000),
    });
    return answer.ok;
  } catch {
    return false;
  }
}
