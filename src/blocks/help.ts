import type { KnownBlock } from '@slack/types';
import { section } from './kit.js';
import { MAX_MESSAGE_BLOCKS, MAX_SECTION_TEXT } from './limits.js';
import { type BlockMessage, code, escapeAndTruncate, packText, truncateMrkdwn } from './mrkdwn.js';

export interface HelpEntry {
  /** After the command, e.g. "lookup <uuid>"; shown as code. */
  usage: string;
  /** One line of trusted mrkdwn. */
  description: string;
  /** After the command, e.g. "lookup 3f2a…"; shown as code. */
  example: string;
}

export interface HelpOptions {
  /** The slash command as typed, e.g. "/cipher-user". */
  command: string;
  subcommands: readonly HelpEntry[];
  /** Trusted mrkdwn shown first (e.g. "Unknown subcommand …"); escape user text with escapeMrkdwn. */
  intro?: string;
}

const COMMAND_EXAMPLE_ID = '59ed689c-e8b4-4e22-8088-9e36e05f76d0';

/** Every subcommand of `/cipher-user`, in the order a newcomer needs them. */
export const COMMAND_HELP: readonly HelpEntry[] = [
  {
    usage: 'lookup <uuid>',
    description: 'Show a user: profile, status, roles, groups, devices. Also `get`, `show`.',
    example: `lookup ${COMMAND_EXAMPLE_ID}`,
  },
  {
    usage: 'edit <uuid>',
    description: 'Change first name, last name or profile image. Approvers see before → after.',
    example: `edit ${COMMAND_EXAMPLE_ID}`,
  },
  {
    usage: 'deactivate <uuid> [<uuid>…] [--at YYYY-MM-DDTHH:MM] [-- reason]',
    description:
      "Block sign-in and connections until reactivated, once approved. A reason is required. Several ids (or none, to paste a list) make one bulk request of up to 500 users. `--at` (your time zone) or the form's Run at schedules it.",
    example: `deactivate ${COMMAND_EXAMPLE_ID} -- left the company`,
  },
  {
    usage: 'delete <uuid> [<uuid>…] [--at YYYY-MM-DDTHH:MM] [-- reason]',
    description:
      'Delete the user for good, once approved (2 approvers by default). Cannot be undone. Several ids make one bulk request.',
    example: `delete ${COMMAND_EXAMPLE_ID} -- retention period over`,
  },
  {
    usage: 'history <uuid>',
    description:
      'Every request about a user still kept (RETENTION_DAYS), newest first: action, state, who asked and approved, reason, outcome, link. Also the *History* button on a lookup.',
    example: `history ${COMMAND_EXAMPLE_ID}`,
  },
  {
    usage: 'pending',
    description: 'List the open requests you asked for or can approve, with links.',
    example: 'pending',
  },
  {
    usage: 'policy',
    description: 'Show the approval policy in force: who may request and approve, and each rule.',
    example: 'policy',
  },
  { usage: 'help', description: 'Show this message.', example: 'help' },
];

/** Usage of each subcommand, compact enough for a phone: usage, one line, an example. */
export function helpMessage(options: HelpOptions): BlockMessage {
  const { command, subcommands, intro } = options;
  const title = `*How to use ${code(command, 100)}*`;
  const entries = subcommands.map(
    (entry) =>
      `${code(`${command} ${entry.usage}`, 300)}\n${truncateMrkdwn(entry.description, 500)}\n` +
      `_Example:_ ${code(`${command} ${entry.example}`, 300)}`,
  );
  const blocks: KnownBlock[] = intro?.trim() ? [section(intro)] : [];
  const chunks = packText([title, ...entries], MAX_SECTION_TEXT, '\n\n');
  blocks.push(...chunks.slice(0, MAX_MESSAGE_BLOCKS - blocks.length).map((chunk) => section(chunk)));
  return { text: `How to use ${escapeAndTruncate(command, 100, { singleLine: true })}`, blocks };
}
