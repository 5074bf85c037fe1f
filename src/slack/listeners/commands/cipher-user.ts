import type { AllMiddlewareArgs, SlackCommandMiddlewareArgs } from '@slack/bolt';
import type { KnownBlock } from '@slack/types';
import { MAX_BATCH_USERS } from '../../../approvals/types.js';
import { COMMAND_HELP, helpMessage } from '../../../blocks/help.js';
import { escapeMrkdwn, truncate } from '../../../blocks/mrkdwn.js';
import { errorNotice } from '../../../blocks/notice.js';
import type { AppContext } from '../../context.js';
import { openBulkModal } from '../requests/bulk.js';
import { conversationRefusal } from '../requests/conversation.js';
import { openRequestModal } from '../requests/open-modal.js';
import { showHistory } from './history.js';
import { lookupUser } from './lookup.js';
import { COMMAND, type ParsedCommand, parseCommand } from './parse.js';
import { listPending } from './pending.js';
import { showPolicy } from './policy.js';

type Args = SlackCommandMiddlewareArgs & AllMiddlewareArgs;
type Message = { text: string; blocks: KnownBlock[] };

/** `/cipher-user …`: quick answers go in the ack itself; slow work runs after it. */
export function cipherUserCommand(ctx: AppContext) {
  return async ({ command, ack, respond, client }: Args): Promise<void> => {
    const parsed = parseCommand(command.text ?? '');
    const log = ctx.logger.child({ command: COMMAND, subcommand: parsed.kind, user: command.user_id });
    const immediate = immediateAnswer(parsed);
    if (immediate) {
      await ack({ response_type: 'ephemeral', ...immediate });
      return;
    }
    if (parsed.kind === 'request' || parsed.kind === 'bulk') {
      const where = { channelId: command.channel_id, channelName: command.channel_name };
      const refused = conversationRefusal(where, ctx.config.approvals);
      if (refused) {
        log.info({ refused: 'conversation', channel: command.channel_id }, 'request refused in a DM');
        await ack({ response_type: 'ephemeral', text: refused });
        return;
      }
    }
    await ack();
    switch (parsed.kind) {
      case 'lookup':
        return lookupUser({
          userId: parsed.userId,
          actorId: command.user_id,
          channelId: command.channel_id,
          teamId: command.team_id,
          cipherscale: ctx.cipherscale,
          policy: ctx.policy,
          respond,
          logger: log,
          now: ctx.now,
        });
      case 'history':
        return showHistory(
          {
            userId: parsed.userId,
            actorId: command.user_id,
            channelId: command.channel_id,
            teamId: command.team_id,
            via: 'history command',
            respond,
            logger: log,
          },
          ctx,
        );
      case 'pending':
        return listPending({ userId: command.user_id, respond, client }, ctx);
      case 'policy':
        return showPolicy({ userId: command.user_id, channelId: command.channel_id, respond }, ctx);
      case 'request':
        return openRequestModal(
          {
            client,
            triggerId: command.trigger_id,
            action: parsed.action,
            targetId: parsed.userId,
            requesterId: command.user_id,
            channelId: command.channel_id,
            reason: parsed.reason,
            responseUrl: command.response_url,
            teamId: command.team_id,
            at: parsed.at,
          },
          ctx,
        );
      case 'bulk':
        return openBulkModal(
          {
            client,
            triggerId: command.trigger_id,
            action: parsed.action,
            list: parsed,
            requesterId: command.user_id,
            channelId: command.channel_id,
            reason: parsed.reason,
            responseUrl: command.response_url,
            at: parsed.at,
          },
          ctx,
        );
      default:
        return;
    }
  };
}

function immediateAnswer(parsed: ParsedCommand): Message | undefined {
  switch (parsed.kind) {
    case 'help': {
      const intro = parsed.unknown
        ? `\`${escapeMrkdwn(truncate(parsed.unknown, 40), { singleLine: true })}\` is not a ${COMMAND} subcommand. Here is what it can do:`
        : undefined;
      return helpMessage({ command: COMMAND, subcommands: COMMAND_HELP, ...(intro ? { intro } : {}) });
    }
    case 'usage':
      return errorNotice(usageProblem(parsed), `Usage: \`${parsed.usage}\``);
    default:
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
    case 'over_batch_limit':
      return `One bulk request holds at most ${MAX_BATCH_USERS} users; you gave ${Number(parsed.given)}. Split the list.`;
    case 'bad_at':
      return `\`${escapeMrkdwn(truncate(parsed.given ?? '', 40), { singleLine: true })}\` is not a time for \`--at\`: give a date and a 24-hour time in your Slack time zone, such as \`2026-12-04T17:00\`.`;
    case 'at_not_for_edit':
      return 'An edit cannot be scheduled: `--at` is for deactivate and delete.';
  }
}
