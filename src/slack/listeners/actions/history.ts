import type { AllMiddlewareArgs, BlockAction, ButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { AppContext } from '../../context.js';
import { showHistory } from '../commands/history.js';
import { normaliseUserId } from '../commands/parse.js';

type Args = SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs;

/** History on the lookup card: the clicker's lookup permission is checked again, on every click. */
export function historyFromCard(ctx: AppContext) {
  return async ({ ack, action: button, body, respond }: Args): Promise<void> => {
    await ack();
    const userId = normaliseUserId(button.value ?? '');
    const channelId = body.channel?.id ?? (body.container as { channel_id?: string } | undefined)?.channel_id;
    if (!userId || !channelId) {
      await respond({
        response_type: 'ephemeral',
        replace_original: false,
        text: ':warning: That button is not valid any more. Look the user up again.',
      });
      return;
    }
    await showHistory(
      {
        userId,
        actorId: body.user.id,
        channelId,
        teamId: body.user.team_id,
        via: 'history button',
        respond,
        logger: ctx.logger.child({ action: 'history', user: body.user.id }),
      },
      ctx,
    );
  };
}
