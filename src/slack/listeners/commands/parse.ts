import { type Action, MAX_BATCH_USERS } from '../../../approvals/types.js';
import { userIdSchema } from '../../../cipherscale/schemas.js';

export const COMMAND = '/cipher-user';

export type ParsedCommand =
  | { kind: 'help'; unknown?: string }
  | { kind: 'lookup'; userId: string }
  | { kind: 'request'; action: Action; userId: string; reason: string | undefined }
  | ({ kind: 'bulk'; action: BulkAction; reason: string | undefined } & IdList)
  | { kind: 'pending' }
  | { kind: 'policy' }
  | { kind: 'usage'; usage: string; problem: UsageProblem; given?: string };

export type UsageProblem = 'missing_id' | 'too_many_ids' | 'not_a_user_id' | 'over_batch_limit';
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

/** Reads the text after `/cipher-user`. Pure: no I/O, never throws. */
export function parseCommand(rawText: string): ParsedCommand {
  const text = decodeSlackEntities(rawText);
  const separator = REASON_SEPARATOR.exec(text);
  const head = separator ? text.slice(0, separator.index) : text;
  const reason = separator
    ? text.slice(separator.index + separator[0].length).trim() || undefined
    : undefined;
  const [first, ...rest] = head.trim().split(/\s+/).filter(Boolean);
  const subcommand = first?.toLowerCase();
  if (subcommand === undefined || subcommand === 'help') return { kind: 'help' };
  if (subcommand === 'pending') return { kind: 'pending' };
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
    return { kind: 'bulk', action: subcommand, reason, ...list };
  }
  if (REQUEST_ACTIONS.has(subcommand)) {
    const id = oneUserId(subcommand, rest, subcommand === 'edit' ? '' : ' [-- reason]');
    return 'problem' in id
      ? id
      : { kind: 'request', action: subcommand as Action, userId: id.userId, reason };
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
