import type { WebClient } from '@slack/web-api';
import type { Action, ApprovalRequest } from '../../../approvals/types.js';
import { targetName } from '../../../blocks/approval-card.js';
import { alreadyOpenReason, alreadyOpenText } from '../../../blocks/open-request.js';
import { permalink } from '../../outbound/permalink.js';

type Chat = Pick<WebClient, 'chat'>;

const linkTo = (client: Chat, open: ApprovalRequest) => permalink(client, open.channelId, open.messageTs);

/** The refusal naming the open request `userId` already has for `action`, with a link to it. */
export async function alreadyOpenRefusal(
  client: Chat,
  action: Action,
  userId: string,
  open: ApprovalRequest,
): Promise<string> {
  const target = open.target ?? open.batch.targets.find((t) => t.id.toLowerCase() === userId.toLowerCase());
  const label = target ? `*${targetName(target)}*` : `\`${userId.replace(/[^a-z0-9-]/gi, '')}\``;
  return alreadyOpenText(action, open, await linkTo(client, open), label);
}

/** Why a user of a bulk request was left out: their open request, with a link. */
export async function alreadyOpenExclusion(client: Chat, action: Action, open: ApprovalRequest) {
  return alreadyOpenReason(action, open, await linkTo(client, open));
}
