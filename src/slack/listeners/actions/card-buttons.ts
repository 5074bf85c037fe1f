import type { AllMiddlewareArgs, BlockAction, ButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { Action } from '../../../approvals/types.js';
import type { AppContext } from '../../context.js';
import { normaliseUserId } from '../commands/parse.js';
import { conversationRefusal } from '../requests/conversation.js';
import { openRequestModal } from '../requests/open-modal.js';

type Args = SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs;

/** Edit… / Deactivate… / Delete… on the lookup card: the same modal as the command. */
export function openFromCard(action: Action, ctx: AppContext) {
  return async ({ ack, action: button, body, client, respond }: Args): Promise<void> => {
    await ack();
    const targetId = normaliseUserId(button.value ?? '');
    const channelId = body.channel?.id ?? (body.container as { channel_id?: string } | undefined)?.channel_id;
    if (!targetId || !channelId) {
      await respond({
        response_type: 'ephemeral',
        replace_original: false,
        text: ':warning: That button is not valid any more. Look the user up again.',
      });
      return;
    }
    const channelName = body.channel?.name;
    const refused = conversationRefusal({ channelId, channelName }, ctx.config.approvals);
    if (refused) {
      ctx.logger.info(
        { refused: 'conversation', channel: channelId, user: body.user.id },
        'request refused in a DM',
      );
      await respond({ response_type: 'ephemeral', replace_original: false, text: refused });
      return;
    }
    await openRequestModal(
      {
        client,
        triggerId: body.trigger_id,
        action,
        targetId,
        requesterId: body.user.id,
        channelId,
        reason: undefined,
        responseUrl: body.response_url,
        teamId: body.user.team_id,
      },
      ctx,
    );
  };
}
