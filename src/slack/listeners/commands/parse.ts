import { type Action, MAX_BATCH_USERS } from '../../../approvals/types.js';
import { userIdSchema } from '../../../cipherscale/schemas.js';

export const COMMAND = '/cipher-user';

export type ParsedCommand =
  | { kind: 'help'; unknown?: string }
  | { kind: 'lookup'; userId: string }
  | { kind: 'request'; action: Action; userId: string; reason: string | undefined; at?: LocalTime }
  | ({ kind: 'bulk'; action: BulkAction; reason: string | undefined; at?: LocalTime } & IdList)
  | { kind: 'pending' }
  | { kind: 'history'; userId: string }
  | { kind: 'policy' }
  | { kind: 'usage'; usage: string; problem: UsageProblem; given?: string };

export type UsageProblem =
  | 'missing_id'
  | 'too_many_ids'
  | 'not_a_user_id'
  | 'over_batch_limit'
  | 'bad_at'
  | 'at_not_for_edit';

/** `--at 2026-12-04T17:00`: a wall-clock time, read later in the requester's Slack time zone. */
export interface LocalTime {
  text: string;
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
}
export type BulkAction = 'deactivate' | 'delete';

/** Ids as pasted: the valid ones once each, in order; the rest as typed. */
export interface IdList {
  userIds: string[];
  malformed: string[];
  /** Valid ids given more than once. */
  duplicates: number;
}

const LOOKUP_ALIASES = new Set(['lookup', 'get', 'show']);
const REQUEST_ACTIONS = new Set<string>(['edit', 'deactivate', 'delete']);
// `--` starts the reason; phones often turn it into an en or em dash.
const REASON_SEPARATOR = /(?:^|\s)(?:--|—|–)(?:\s|$)/;
// `--at <time>` (or `--at=<time>`) before the reason; the value is checked by readLocalTime.
const AT_OPTION = /(?:^|\s)(?:--|—|–)at(?:=|\s+|$)(\S*)/i;
const LOCAL_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/;

/** Reads the text after `/cipher-user`. Pure: no I/O, never throws. */
export function parseCommand(rawText: string): ParsedCommand {
  const text = decodeSlackEntities(rawText);
  const separator = REASON_SEPARATOR.exec(text);
  const head = separator ? text.slice(0, separator.index) : text;
  const reason = separator
    ? text.slice(separator.index + separator[0].length).trim() || undefined
    : undefined;
  const atMatch = AT_OPTION.exec(head);
  const words = atMatch ? head.slice(0, atMatch.index) + head.slice(atMatch.index + atMatch[0].length) : head;
  const [first, ...rest] = words.trim().split(/\s+/).filter(Boolean);
  const subcommand = first?.toLowerCase();
  let at: LocalTime | undefined;
  if (atMatch && (subcommand === 'deactivate' || subcommand === 'delete' || subcommand === 'edit')) {
    const usage = `${COMMAND} ${subcommand} <user id> --at YYYY-MM-DDTHH:MM [-- reason]`;
    if (subcommand === 'edit') return { kind: 'usage', problem: 'at_not_for_edit', usage };
    at = readLocalTime(atMatch[1] ?? '');
    if (!at) return { kind: 'usage', problem: 'bad_at', usage, given: atMatch[1] ?? '' };
  }
  const withAt = at ? { at } : {};
  if (subcommand === undefined || subcommand === 'help') return { kind: 'help' };
  if (subcommand === 'pending') return { kind: 'pending' };
  if (subcommand === 'history') {
    const id = oneUserId(subcommand, rest);
    return 'problem' in id ? id : { kind: 'history', userId: id.userId };
  }
  if (subcommand === 'policy') return { kind: 'policy' };
  if (LOOKUP_ALIASES.has(subcommand)) {
    const id = oneUserId(subcommand, rest);
    return 'problem' in id ? id : { kind: 'lookup', userId: id.userId };
  }
  if ((subcommand === 'deactivate' || subcommand === 'delete') && rest.length !== 1) {
    const list = parseIdList(rest.join(' '));
    if (list.userIds.length > MAX_BATCH_USERS) {
      return {
        kind: 'usage',
        problem: 'over_batch_limit',
        usage: `${COMMAND} ${subcommand} <user id> [<user id>…] [-- reason]`,
        given: String(list.userIds.length),
      };
    }
    return { kind: 'bulk', action: subcommand, reason, ...withAt, ...list };
  }
  if (REQUEST_ACTIONS.has(subcommand)) {
    const id = oneUserId(subcommand, rest, subcommand === 'edit' ? '' : ' [-- reason]');
    return 'problem' in id
      ? id
      : { kind: 'request', action: subcommand as Action, userId: id.userId, reason, ...withAt };
  }
  return { kind: 'help', unknown: first ?? '' };
}

function oneUserId(
  subcommand: string,
  args: string[],
  suffix = '',
): { userId: string } | Extract<ParsedCommand, { kind: 'usage' }> {
  const usage = `${COMMAND} ${subcommand} <user id>${suffix}`;
  const [given, ...extra] = args;
  if (given === undefined) return { kind: 'usage', problem: 'missing_id', usage };
  if (extra.length > 0) return { kind: 'usage', problem: 'too_many_ids', usage };
  const id = normaliseUserId(given);
  if (id === undefined) return { kind: 'usage', problem: 'not_a_user_id', usage, given };
  return { userId: id };
}

/** `2026-12-04T17:00` as a calendar date and time that exist (any time zone); undefined otherwise. */
export function readLocalTime(text: string): LocalTime | undefined {
  const match = LOCAL_TIME.exec(text);
  if (!match) return undefined;
  const [year, month, day, hour, minute] = match.slice(1).map(Number) as [
    number,
    number,
    number,
    number,
    number,
  ];
  const probe = new Date(Date.UTC(year, month - 1, day, hour, minute));
  const real =
    probe.getUTCFullYear() === year &&
    probe.getUTCMonth() === month - 1 &&
    probe.getUTCDate() === day &&
    hour < 24 &&
    minute < 60;
  return real ? { text, year, month, day, hour, minute } : undefined;
}

/** Ids separated by spaces, commas, semicolons, bars or new lines (a spreadsheet column, an alert). Never throws. */
export function parseIdList(text: string): IdList {
  const seen = new Set<string>();
  const malformed: string[] = [];
  let duplicates = 0;
  for (const word of text.split(/[\s,;|]+/u)) {
    if (word === '') continue;
    const id = normaliseUserId(word);
    if (id === undefined) malformed.push(word);
    else if (seen.has(id)) duplicates += 1;
    else seen.add(id);
  }
  return { userIds: [...seen], malformed, duplicates };
}

/** A UUID as pasted (maybe in backticks, quotes or angle brackets), lower-cased; undefined if it is not one. */
export function normaliseUserId(word: string): string | undefined {
  const bare = word.replace(/^[`'"<(]+|[`'">),.;]+$/g, '').toLowerCase();
  return userIdSchema.safeParse(bare).success ? bare : undefined;
}

// Slack sends &, < and > in command text as HTML entities.
function decodeSlackEntities(text: string): string {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}
