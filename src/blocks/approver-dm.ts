import type { KnownBlock } from '@slack/types';
import type { ApprovalRequest } from '../approvals/types.js';
import { ACTION_EMOJI, ACTION_NAMES, requestSubject } from './approval-card.js';
import { plural, section } from './kit.js';
import { type BlockMessage, code, quoteText, slackDateMs, userMention } from './mrkdwn.js';

const REASON_MAX = 500;
const ID_MAX = 80;
const CHANNEL_ID = /^[CGD][A-Z0-9]{2,30}$/;

/**
 * The direct message an approver gets about a new request: who asks, what, why, how many approvals it
 * needs, when it expires, and a link to the request message (`permalink`, from chat.getPermalink).
 */
export function approverDm(request: ApprovalRequest, permalink?: string | undefined): BlockMessage {
  const verb = ACTION_NAMES[request.action];
  const what = request.batch
    ? `*${verb} ${requestSubject(request)}* (bulk)`
    : `*${verb}* *${requestSubject(request)}* (${code(request.target.id, ID_MAX)})`;
  const needs = plural(request.requiredApprovals, 'approval');
  const where = link(permalink) ?? channelText(request.channelId);
  const lines = [
    `${ACTION_EMOJI[request.action]} ${userMention(request.requesterId)} asks for your approval: ${what}`,
    `*Reason*\n${quote(request.reason)}`,
    `Needs ${needs} · expires ${slackDateMs(request.expiresAt)}`,
    where,
  ];
  const blocks: KnownBlock[] = [section(lines.join('\n\n'))];
  return {
    text: `${userMention(request.requesterId)} asks for your approval: ${verb} ${requestSubject(request, 80)}`,
    blocks,
  };
}

/** `<url|Open the request>` for a Slack permalink; undefined for anything that is not a plain https URL. */
function link(permalink: string | undefined): string | undefined {
  if (!permalink || /[<>|\s]/.test(permalink)) return undefined;
  try {
    if (new URL(permalink).protocol !== 'https:') return undefined;
  } catch {
    return undefined;
  }
  return `:point_right: <${permalink}|Open the request>`;
}

function channelText(channelId: string): string {
  return CHANNEL_ID.test(channelId) ? `:point_right: The request is in <#${channelId}>.` : '';
}

const quote = (text: string) => quoteText(text, REASON_MAX);
