import { section } from './kit.js';
import { MAX_SECTION_TEXT } from './limits.js';
import { type BlockMessage, truncateMrkdwn } from './mrkdwn.js';

// `title` and `detail` are trusted mrkdwn written by the app. Anything in them that came from a user or
// the API (an id they typed, a name) must already have gone through escapeMrkdwn.

const TITLE_MAX = 300;

/** An ephemeral error, e.g. errorNotice('Not a valid user id', 'Usage: `/cipher-user lookup <uuid>`'). */
export function errorNotice(title: string, detail?: string): BlockMessage {
  return notice(':warning:', title, detail);
}

function notice(emoji: string, title: string, detail: string | undefined): BlockMessage {
  const heading = `${emoji} *${truncateMrkdwn(title.trim(), TITLE_MAX)}*`;
  const body = detail?.trim()
    ? `\n${truncateMrkdwn(detail.trim(), MAX_SECTION_TEXT - heading.length - 1)}`
    : '';
  return {
    text: truncateMrkdwn(title.trim(), TITLE_MAX),
    blocks: [section(heading + body)],
  };
}
