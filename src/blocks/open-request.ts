import type { Action, ApprovalRequest, RequestState } from '../approvals/types.js';
import { targetName } from './approval-card.js';
import { plural } from './kit.js';
import { userMention } from './mrkdwn.js';

// Refusals of the abuse limits: which limit, the numbers, and what to do instead. Trusted mrkdwn.

const STATE: Readonly<Record<RequestState, string>> = {
  pending: 'pending approval',
  approved: 'approved',
  queued: 'approved and queued',
  running: 'running',
  succeeded: 'done',
  failed: 'failed',
  rejected: 'rejected',
  cancelled: 'cancelled',
  expired: 'expired',
  stopped: 'stopped',
};

/** A Slack permalink as a link; without one (its message is still being posted), the channel. */
function requestLink(request: ApprovalRequest, link: string | undefined): string {
  const label = `request ${request.id}`;
  if (link && /^https:\/\/[^\s<>|]+$/.test(link)) return `<${link}|${label}>`;
  const where = /^[CGD][A-Z0-9]{2,}$/.test(request.channelId) ? ` in <#${request.channelId}>` : '';
  return `\`${label}\`${where}`;
}

/** "<target> already has an open deactivate request": where it is, its state, who asked, what to do. */
export function alreadyOpenText(
  action: Action,
  open: ApprovalRequest,
  link: string | undefined,
  targetLabel = open.target ? `*${targetName(open.target)}*` : 'This user',
): string {
  const who = userMention(open.requesterId);
  const users = open.batch?.targets.length ?? 0;
  const batch = open.batch ? ` (a bulk request for ${plural(users, 'user')})` : '';
  return [
    `:no_entry: ${targetLabel} already has an open ${action} request: ${requestLink(open, link)}${batch}, ${STATE[open.state]}, requested by ${who}.`,
    `One ${action} request per user at a time: wait until it is finished, or ask ${who} to cancel it. Nothing was created.`,
  ].join('\n');
}

/** Why a user was left out of a bulk request (plain text; the batch list escapes it). */
export function alreadyOpenReason(action: Action, open: ApprovalRequest, link: string | undefined): string {
  const where = link ?? `request ${open.id}`;
  return `Already has an open ${action} request: ${where} (${STATE[open.state]}, by ${open.requesterId}).`;
}

export function requesterCapText(open: number, cap: number): string {
  return `:no_entry: You already have ${open} open requests; the limit is ${cap} per person (MAX_OPEN_REQUESTS_PER_REQUESTER). Wait until one is decided, or cancel one (\`/cipher-user pending\` lists them). Nothing was created.`;
}

export function prechecksBusyText(inFlight: number, max: number): string {
  return `:no_entry: You already have ${plural(inFlight, 'bulk check')} running; the limit is ${max} at a time per person (MAX_BULK_PRECHECKS_PER_REQUESTER). Wait until it has finished, then try again. Nothing was checked.`;
}
