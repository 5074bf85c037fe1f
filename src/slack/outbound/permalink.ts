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

const CHANNEL_ID = /^[CGD][A-Z0-9]{2,}$/;
const MESSAGE_TS = /^\d{1,12}\.\d{1,9}$/;

/**
 * A message's permalink built without asking Slack: `<team url>archives/<channel>/p<ts without the dot>`,
 * the shape chat.getPermalink answers. The team url is auth.test's `url` (asked at start). Undefined when
 * any part is unknown or not of its shape.
 */
export function builtPermalink(
  teamUrl: string | undefined,
  channel: string,
  ts: string | undefined,
): string | undefined {
  if (!teamUrl || !ts || !CHANNEL_ID.test(channel) || !MESSAGE_TS.test(ts)) return undefined;
  let base: URL;
  try {
    base = new URL(teamUrl);
  } catch {
    return undefined;
  }
  if (base.protocol !== 'https:' || base.search || base.hash) return undefined;
  const root = base.href.endsWith('/') ? base.href : `${base.href}/`;
  return `${root}archives/${channel}/p${ts.replace('.', '')}`;
}
