import type { ApprovalRequest } from '../approvals/types.js';
import { plural, section } from './kit.js';
import { type BlockMessage, mrkdwnList, slackDateMs, usergroupMention, userMention } from './mrkdwn.js';

/** Who is asked again: listed approvers who have not approved yet, and the approver user groups. */
export interface Waiting {
  userIds: readonly string[];
  usergroupIds: readonly string[];
}

const MENTIONS_SHOWN = 30;

/** The one thread reply before a pending request expires: how many approvals are missing, when it expires, who. */
export function reminderNote(request: ApprovalRequest, waiting: Waiting): BlockMessage {
  const missing = Math.max(1, request.requiredApprovals - request.approvals.length);
  const first =
    `:alarm_clock: Still waiting for ${plural(missing, 'more approval')} — ` +
    `expires ${slackDateMs(request.expiresAt)}`;
  const mentions = mrkdwnList(
    [...waiting.userIds.map(userMention), ...waiting.usergroupIds.map(usergroupMention)],
    { max: MENTIONS_SHOWN, maxChars: 1500 },
  );
  const text = mentions ? `${first}\n${mentions}` : first;
  return {
    text: first,
    blocks: [section(text)],
  };
}
