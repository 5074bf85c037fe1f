import type { RespondFn } from '@slack/bolt';
import { policyMessage } from '../../../blocks/policy.js';
import type { AppContext } from '../../context.js';
import { permissionRefusal, refusalText } from '../requests/refusals.js';

/**
 * `/cipher-user policy`: the policy in force, in words, for whoever may look users up (it names the
 * approvers and the rules' groups: not for everyone). No Cipherscale call.
 */
export async function showPolicy(
  { userId, channelId, respond }: { userId: string; channelId: string; respond: RespondFn },
  ctx: Pick<AppContext, 'policy' | 'logger'>,
): Promise<void> {
  const permission = await ctx.policy.mayLookup(userId, channelId).catch(() => undefined);
  const refusal = permissionRefusal(permission, 'lookup');
  if (refusal) {
    ctx.logger.info({ refused: refusal, user: userId, channel: channelId }, 'policy view refused');
    await respond({ response_type: 'ephemeral', text: refusalText(refusal) });
    return;
  }
  await respond({ response_type: 'ephemeral', ...policyMessage(ctx.policy.settings, ctx.policy.document) });
}
