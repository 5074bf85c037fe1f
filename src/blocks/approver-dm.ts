import type { ActionsBlock, KnownBlock } from '@slack/types';
import type { ApprovalRequest } from '../approvals/types.js';
import { ACTION_EMOJI, ACTION_NAMES, approvalCount, approveButton, requestSubject } from './approval-card.js';
import { showAllButton } from './batch-list.js';
import { ACTION_IDS } from './ids.js';
import { button, plural, section } from './kit.js';
import { type BlockMessage, code, mrkdwnList, quoteText, slackDateMs, userMention } from './mrkdwn.js';

const REASON_MAX = 500;
const DECISION_REASON_MAX = 300;
const ID_MAX = 80;
const APPROVERS_SHOWN = 10;
const CHANNEL_ID = /^[CGD][A-Z0-9]{2,30}$/;

/**
 * The direct message an approver gets about a request, as `viewer` should see it now: who asks, what, why,
 * the quorum, the expiry and a link to the request message (`permalink`, from chat.getPermalink). While
 * pending it carries Approve and Reject (the channel message's action ids and value, so the same handlers
 * and checks run); once `viewer` approved, Reject only; once decided, no buttons but what was decided.
 */
export function approverDm(
  request: ApprovalRequest,
  permalink?: string | undefined,
  viewer?: string | undefined,
): BlockMessage {
  const verb = ACTION_NAMES[request.action];
  const what = request.batch
    ? `*${verb} ${requestSubject(request)}* (bulk)`
    : `*${verb}* *${requestSubject(request)}* (${code(request.target.id, ID_MAX)})`;
  const asks = `${ACTION_EMOJI[request.action]} ${userMention(request.requesterId)} asks for your approval: ${what}`;
  const decided = request.state !== 'pending';
  const where =
    link(permalink, decided ? 'See the request' : 'Open the request') ?? channelText(request.channelId);
  const subject = `${verb} ${requestSubject(request, 80)}`;
  const approved = viewer !== undefined && request.approvals.some((a) => a.userId === viewer);
  if (decided) {
    const lines = [decisionLine(request), asks, where];
    return { text: `${decisionWord(request)}: ${subject}`, blocks: [section(lines.join('\n\n'))] };
  }
  // No running count for the others: their DM then reads the same until the request is decided (one update).
  const needs = `Needs ${plural(request.requiredApprovals, 'approval')}`;
  const lines = [
    ...(approved ? [youApproved(request, viewer)] : []),
    asks,
    `*Reason*\n${quote(request.reason)}`,
    `${needs} · expires ${slackDateMs(request.expiresAt)}`,
    where,
  ];
  const main = section(lines.join('\n\n'));
  // A bulk request's users, as on the channel message (and what BULK_APPROVE_AFTER_FULL_LIST asks for first).
  const summary = request.batch
    ? { ...main, accessory: showAllButton(request.id, request.batch.targets.length) }
    : main;
  const blocks: KnownBlock[] = [summary, decisionButtons(request, !approved)];
  return {
    text: approved
      ? `You approved (${approvalCount(request)}): ${subject}`
      : `${userMention(request.requesterId)} asks for your approval: ${subject}`,
    blocks,
  };
}

/** ":+1: *You approved* (1/2) · <time> — waiting for 1 more approval". */
function youApproved(request: ApprovalRequest, viewer: string): string {
  const at = request.approvals.find((a) => a.userId === viewer)?.at;
  const missing = Math.max(0, request.requiredApprovals - request.approvals.length);
  return (
    `:+1: *You approved* (${approvalCount(request)}) · ${slackDateMs(at)} — ` +
    `waiting for ${plural(missing, 'more approval')}`
  );
}

/** What became of the request, by whom and when: the first line of a decided DM. */
function decisionLine(request: ApprovalRequest): string {
  const by = request.decidedBy ? userMention(request.decidedBy) : 'someone';
  const at = slackDateMs(request.decidedAt);
  switch (request.state) {
    case 'rejected': {
      const heading = `:no_entry_sign: *Rejected by ${by}* · ${at}`;
      const reason = request.decisionReason?.trim();
      return reason ? `${heading}\n${quoteText(reason, DECISION_REASON_MAX)}` : heading;
    }
    case 'cancelled':
      return `:heavy_multiplication_x: *Cancelled by ${by}* · ${at} — nothing was done`;
    case 'expired':
      return `:hourglass: *Expired* ${slackDateMs(request.expiresAt)} — nothing was done`;
    default:
      return approvedLine(request);
  }
}

/** Approved: by whom (k/N), when the last approval came, when it runs; the thread has the outcome. */
function approvedLine(request: ApprovalRequest): string {
  const approvers = mrkdwnList(
    request.approvals.map((a) => userMention(a.userId)),
    { max: APPROVERS_SHOWN, maxChars: 600 },
  );
  const last = Math.max(0, ...request.approvals.map((a) => a.at));
  const runs =
    request.runAt !== undefined && (request.state === 'approved' || request.state === 'queued')
      ? ` — runs ${slackDateMs(request.runAt)}`
      : '';
  return (
    `:white_check_mark: *Approved by ${approvers || 'the approvers'}* (${approvalCount(request)}) · ` +
    `${slackDateMs(last || undefined)}${runs} — the request's thread has the outcome`
  );
}

function decisionWord(request: ApprovalRequest): string {
  switch (request.state) {
    case 'rejected':
      return 'Rejected';
    case 'cancelled':
      return 'Cancelled';
    case 'expired':
      return 'Expired';
    default:
      return 'Approved';
  }
}

/** Approve (with the channel's confirmation for a delete) and Reject, valued with the request id. */
function decisionButtons(request: ApprovalRequest, withApprove: boolean): ActionsBlock {
  const reject = button('Reject', ACTION_IDS.reject, request.id, 'danger');
  if (!withApprove) return { type: 'actions', elements: [reject] };
  return { type: 'actions', elements: [approveButton(request), reject] };
}

/** `<url|label>` for a Slack permalink; undefined for anything that is not a plain https URL. */
function link(permalink: string | undefined, label: string): string | undefined {
  if (!permalink || /[<>|\s]/.test(permalink)) return undefined;
  try {
    if (new URL(permalink).protocol !== 'https:') return undefined;
  } catch {
    return undefined;
  }
  return `:point_right: <${permalink}|${label}>`;
}

function channelText(channelId: string): string {
  return CHANNEL_ID.test(channelId) ? `:point_right: The request is in <#${channelId}>.` : '';
}

const quote = (text: string) => quoteText(text, REASON_MAX);
