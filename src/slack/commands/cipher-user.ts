import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import type { KnownBlock } from '@slack/types';
import { helpMessage, LOOKUP_HELP } from '../../blocks/help.js';
import { escapeMrkdwn, truncate } from '../../blocks/mrkdwn.js';
import { errorNotice } from '../../blocks/notice.js';
import type { CipherscaleClient } from '../../cipherscale/client.js';
import type { Logger } from '../../logger.js';
import { lookupUser } from './lookup.js';
import { COMMAND, type ParsedCommand, parseCommand } from './parse.js';

export interface CommandDeps {
  cipherscale: Pick<CipherscaleClient, 'getUser'>;
  logger: Logger;
}

type Args = SlackCommandMiddlewareArgs & AllMiddlewareArgs;
type Message = { text: string; blocks: KnownBlock[] };

/** `/cipher-user …`: quick answers go in the ack itself; slow work runs after it, through response_url. */
export function cipherUserCommand(deps: CommandDeps) {
  return async ({ command, ack, respond }: Args): Promise<void> => {
    const parsed = parseCommand(command.text ?? '');
    const log = deps.logger.child({ command: COMMAND, subcommand: parsed.kind, user: command.user_id });
    const immediate = immediateAnswer(parsed);
    if (immediate) {
      await ack({ response_type: 'ephemeral', ...immediate });
      return;
    }
    await ack();
    if (parsed.kind === 'lookup') {
      await lookupUser({ userId: parsed.userId, cipherscale: deps.cipherscale, respond, logger: log });
    }
  };
}

function immediateAnswer(parsed: ParsedCommand): Message | undefined {
  switch (parsed.kind) {
    case 'help': {
      const intro = parsed.unknown
        ? `\`${escapeMrkdwn(truncate(parsed.unknown, 40), { singleLine: true })}\` is not a ${COMMAND} subcommand. Here is what it can do:`
        : undefined;
      return helpMessage({ command: COMMAND, subcommands: LOOKUP_HELP, ...(intro ? { intro } : {}) });
    }
    case 'usage':
      return errorNotice(usageProblem(parsed), `Usage: \`${parsed.usage}\``);
    case 'lookup':
      return undefined;
  }
}

function usageProblem(parsed: Extract<ParsedCommand, { kind: 'usage' }>): string {
  switch (parsed.problem) {
    case 'missing_id':
      return 'Which user? Give the user id (a UUID).';
    case 'too_many_ids':
      return 'Give exactly one user id.';
    case 'not_a_user_id':
      return `\`${escapeMrkdwn(truncate(parsed.given ?? '', 60), { singleLine: true })}\` is not a user id (a UUID such as 123e4567-e89b-12d3-a456-426614174000).`;
  }
}
