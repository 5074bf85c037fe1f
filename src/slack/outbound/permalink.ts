import type { WebClient } from '@slack/web-api';

/** A message's permalink (chat.getPermalink); undefined when it has no ts yet or Slack will not say. */
export async function permalink(
  client: Pick<WebClient, 'chat'>,
  channel: string,
  ts: string | undefined,
): Promise<string | undefined> {
  if (!ts) return undefined;
  try {
    return (await client.chat.getPermalink({ channel, message_ts: ts })).permalink;
  } catch {
    return undefined;
  }
}
