import type { KnownBlock, MrkdwnElement, PlainTextElement } from '@slack/types';
import { redactSecrets } from '../redact.js';
import { MAX_SECTION_FIELD_TEXT, MAX_SECTION_TEXT } from './limits.js';

/** What every builder returns: `text` is the notification fallback, itself mrkdwn. */
export interface BlockMessage {
  text: string;
  blocks: KnownBlock[];
}

export interface CleanOptions {
  /** Newlines (and the spaces around them) become one space: for names in a list or a header. */
  singleLine?: boolean;
}

const ELLIPSIS = '…';

// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is the point
const CONTROL = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/g;
const BIDI_CONTROL = /[\u202A-\u202E\u2066-\u2069]/g;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const LINE_BREAK = /\s*[\n\u2028\u2029]\s*/g;

const graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' });

/**
 * API or user text made safe to show without escaping entities, for plain_text objects (headers, labels),
 * which Slack never parses for mentions or links: control characters other than `\n` and `\t`, bidi
 * overrides and isolates, and lone surrogates are removed; `\r\n` and `\r` become `\n`; any run of a
 * secret becomes `[REDACTED]` (src/redact.ts).
 */
export function cleanText(text: string, options: CleanOptions = {}): string {
  const cleaned = redactSecrets(text)
    .replace(/\r\n?/g, '\n')
    .replace(CONTROL, '')
    .replace(BIDI_CONTROL, '')
    .replace(LONE_SURROGATE, '\uFFFD');
  return options.singleLine ? cleaned.replace(LINE_BREAK, ' ') : cleaned;
}

/**
 * The one place user or API text is made safe for mrkdwn: `&`, `<`, `>` become entities, so
 * `<!channel>`, `<@U…>` or `<https://evil|ok>` show as typed and never ping or link. See {@link cleanText}.
 */
export function escapeMrkdwn(text: string, options: CleanOptions = {}): string {
  return escapeEntities(cleanText(text, options));
}

function escapeEntities(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * At most `max` UTF-16 units, ending with `…` when cut. Cuts between graphemes (an emoji, a flag, a letter
 * with its accents stay whole); only a single grapheme longer than `max` is cut, between code points.
 * Secrets are redacted before the cut, so no cut leaves a run of one. Do not use on escaped text: see
 * {@link escapeAndTruncate} and {@link truncateMrkdwn}.
 */
export function truncate(raw: string, max: number): string {
  const text = redactSecrets(raw);
  const limit = Math.max(0, Math.floor(max));
  if (text.length <= limit) return text;
  if (limit < ELLIPSIS.length) return '';
  const budget = limit - ELLIPSIS.length;
  let kept = '';
  // Only the head can be kept; segmenting all of a long text took milliseconds each.
  for (const { segment } of graphemes.segment(text.slice(0, budget + 1))) {
    if (kept.length + segment.length > budget) {
      if (kept === '') kept = codePointsWithin(segment, budget);
      break;
    }
    kept += segment;
  }
  return kept.trimEnd() + ELLIPSIS;
}

function codePointsWithin(text: string, budget: number): string {
  let kept = '';
  for (const point of text) {
    if (kept.length + point.length > budget) break;
    kept += point;
  }
  return kept;
}

/** API or user text escaped for mrkdwn and at most `max` long, never cutting inside an entity. */
export function escapeAndTruncate(text: string, max: number, options: CleanOptions = {}): string {
  const limit = Math.max(0, Math.floor(max));
  const clean = cleanText(text, options);
  let budget = Math.min(clean.length, limit);
  for (;;) {
    const escaped = escapeEntities(truncate(clean, budget));
    if (escaped.length <= limit) return escaped;
    budget = Math.min(budget - 1, Math.floor((budget * limit) / escaped.length));
  }
}

/**
 * Trusted mrkdwn (which may embed escaped text, `<!date…>` or `<@U…>` tokens) cut to `max`: a cut that
 * would leave half an entity or half a token drops that half.
 */
export function truncateMrkdwn(text: string, max: number): string {
  const whole = redactSecrets(text);
  const cut = truncate(whole, max);
  return cut === whole ? cut : cut.replace(/(?:&[#\w]*|<[^>]*)…$/, ELLIPSIS);
}

/** Escaped, cut to `max` and quoted line by line; "_no reason given_" when blank (reasons). */
export function quoteText(text: string, max: number): string {
  const escaped = escapeAndTruncate(text.trim(), max);
  if (escaped.trim() === '') return '_no reason given_';
  return escaped
    .split('\n')
    .map((line) => `>${line}`)
    .join('\n');
}

/**
 * A Slack date token: shown in the reader's time zone, e.g. "May 1st, 2024 at 1:45 PM"; clients that
 * cannot render it show "2024-05-01 13:45 UTC". `fallback` (trusted mrkdwn) when absent or unparseable.
 */
export function slackDate(iso: string | undefined, fallback = 'never'): string {
  if (iso === undefined) return fallback;
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return fallback;
  const date = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  const utc =
    `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())} ` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())} UTC`;
  return `<!date^${Math.floor(ms / 1000)}^{date_short_pretty} at {time}|${utc}>`;
}

/** A Slack date token for epoch ms; `fallback` when the time is missing or out of range. */
export function slackDateMs(ms: number | undefined, fallback = 'unknown time'): string {
  if (ms === undefined || !Number.isFinite(ms) || Math.abs(ms) > 8.64e15) return fallback;
  return slackDate(new Date(ms).toISOString(), fallback);
}

const SLACK_USER_ID = /^[UW][A-Z0-9]{2,30}$/;

/** `<@U…>` for a Slack user id; anything else as escaped text, so it can never ping. */
export function userMention(userId: string): string {
  if (SLACK_USER_ID.test(userId)) return `<@${userId}>`;
  return escapeAndTruncate(userId, 40, { singleLine: true }).trim() || 'someone';
}

const SLACK_USERGROUP_ID = /^S[A-Z0-9]{2,30}$/;

/** `<!subteam^S…>` for a Slack user group id (pings its members); anything else as escaped text. */
export function usergroupMention(usergroupId: string): string {
  if (SLACK_USERGROUP_ID.test(usergroupId)) return `<!subteam^${usergroupId}>`;
  return escapeAndTruncate(usergroupId, 40, { singleLine: true }).trim() || 'a group';
}

export interface ListOptions {
  /** Items shown at most; the rest are counted. */
  max?: number;
  /** Length of the whole result, "…and N more" included. */
  maxChars?: number;
  /** One item per line after this bullet (e.g. "•"); without it, one line separated by commas. */
  bullet?: string;
}

/** Already escaped items as one mrkdwn string, ending "…and N more" when some do not fit; '' when empty. */
export function mrkdwnList(items: readonly string[], options: ListOptions = {}): string {
  const { max = Number.POSITIVE_INFINITY, maxChars = MAX_SECTION_TEXT, bullet } = options;
  const separator = bullet === undefined ? ', ' : '\n';
  const more = (count: number) => `${ELLIPSIS}and ${count} more`;
  let text = '';
  let shown = 0;
  for (const item of items.slice(0, max)) {
    const piece = (shown > 0 ? separator : '') + (bullet === undefined ? item : `${bullet} ${item}`);
    const rest = items.length - shown - 1;
    const reserve = rest > 0 ? separator.length + more(rest).length : 0;
    if (text.length + piece.length + reserve > maxChars) break;
    text += piece;
    shown += 1;
  }
  const rest = items.length - shown;
  if (rest === 0) return text;
  return truncate(`${text}${shown > 0 ? separator : ''}${more(rest)}`, maxChars);
}

/** Inline code for ids and keys: escaped, one line, backticks (which would end the span) replaced. */
export function code(text: string, max = MAX_SECTION_FIELD_TEXT): string {
  const inner = escapeAndTruncate(text.replace(/`/g, 'ˋ'), max - 2, { singleLine: true });
  return inner === '' ? '' : `\`${inner}\``;
}

/**
 * Trusted mrkdwn parts packed, in order, into as few chunks of at most `maxChars` as fit (one section
 * each). A part longer than `maxChars` is cut with {@link truncateMrkdwn}.
 */
export function packText(parts: readonly string[], maxChars = MAX_SECTION_TEXT, separator = '\n'): string[] {
  const chunks: string[] = [];
  let current = '';
  for (const raw of parts) {
    const part = truncateMrkdwn(raw, maxChars);
    if (current !== '' && current.length + separator.length + part.length <= maxChars) {
      current += separator + part;
    } else {
      if (current !== '') chunks.push(current);
      current = part;
    }
  }
  if (current !== '') chunks.push(current);
  return chunks;
}

/** A mrkdwn text object; `verbatim` so Slack adds no links or mentions of its own to API text. */
export function mrkdwnText(text: string): MrkdwnElement {
  return { type: 'mrkdwn', text, verbatim: true };
}

/** A plain_text object; pass it text from {@link cleanText}, never entity-escaped text. */
export function plainText(text: string): PlainTextElement {
  return { type: 'plain_text', text, emoji: true };
}
