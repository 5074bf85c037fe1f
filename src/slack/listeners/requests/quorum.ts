import type { Action } from '../../../approvals/types.js';
import type { AppContext } from '../../context.js';
import { quorumRefusal } from './refusals.js';

/** Why this requester's request could never reach its quorum (mrkdwn), or undefined when it could. */
export function quorumCheck(
  ctx: Pick<AppContext, 'policy' | 'logger'>,
  action: Action,
  requesterId: string,
): string | undefined {
  const check = ctx.policy.quorumReachable(action, requesterId);
  if (!check.ok) ctx.logger.warn({ action, ...check }, 'request refused: its quorum cannot be reached');
  return quorumRefusal(action, check);
}
