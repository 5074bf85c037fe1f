import type { Action } from '../../../approvals/types.js';
import type { AppContext } from '../../context.js';
import { quorumRefusal } from './refusals.js';

/**
 * Why this requester's request could never reach its quorum (mrkdwn), or undefined when it could. Slack not
 * answering for a group is no refusal here: every click checks approvers again, and fails closed there.
 */
export async function quorumCheck(
  ctx: Pick<AppContext, 'policy' | 'logger'>,
  action: Action,
  requesterId: string,
): Promise<string | undefined> {
  const check = await ctx.policy.quorumReachable(action, requesterId).catch((err: unknown) => {
    ctx.logger.warn({ err: err instanceof Error ? err.name : 'Error' }, 'could not count approvers');
    return { ok: true } as const;
  });
  if (!check.ok) ctx.logger.warn({ action, ...check }, 'request refused: its quorum cannot be reached');
  return quorumRefusal(action, check);
}
