import { userIdSchema } from '../../cipherscale/schemas.js';

export const COMMAND = '/cipher-user';

export type ParsedCommand =
  | { kind: 'help'; unknown?: string }
  | { kind: 'lookup'; userId: string }
  | { kind: 'usage'; usage: string; problem: UsageProblem; given?: string };

export type UsageProblem = 'missing_id' | 'too_many_ids' | 'not_a_user_id';

const LOOKUP_ALIASES = new Set(['lookup', 'get', 'show']);

/** Reads the text after `/cipher-user`. Pure: no I/O, never throws. */
export function parseCommand(rawText: string): ParsedCommand {
  const words = decodeSlackEntities(rawText).trim().split(/\s+/).filter(Boolean);
  const [first, ...rest] = words;
  const subcommand = first?.toLowerCase();
  if (subcommand === undefined || subcommand === 'help') return { kind: 'help' };
  if (LOOKUP_ALIASES.has(subcommand)) return parseLookup(subcommand, rest);
  return { kind: 'help', unknown: first ?? '' };
}

function parseLookup(subcommand: string, args: string[]): ParsedCommand {
  const usage = `${COMMAND} ${subcommand} <user id>`;
  const [given, ...extra] = args;
  if (given === undefined) return { kind: 'usage', problem: 'missing_id', usage };
  if (extra.length > 0) return { kind: 'usage', problem: 'too_many_ids', usage };
  const id = normaliseUserId(given);
  if (id === undefined) return { kind: 'usage', problem: 'not_a_user_id', usage, given };
  return { kind: 'lookup', userId: id };
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
