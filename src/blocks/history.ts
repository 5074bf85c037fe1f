import type { KnownBlock } from '@slack/types';
import type { ApprovalRequest, ItemOutcome, RequestState } from '../approvals/types.js';
import { ACTION_EMOJI, ACTION_NAMES, targetName } from './approval-card.js';
import { context, plural, section } from './kit.js';
import { MAX_MESSAGE_BLOCKS, MAX_SECTION_TEXT } from './limits.js';
import { type BlockMessage, code, packText, slackDateMs, userMention } from './mrkdwn.js';

// `/cipher-user history <uuid>` and the lookup card's History button: every request about one user still
// in retention, newest first. Trusted mrkdwn around escaped user and API text.

export interface HistoryLine {
  request: ApprovalRequest;
  /** A batch: how this user ended in it, when recorded. */
  item: ItemOutcome | undefined;
  /** The request message (its thread), when a link can be made. */
  link: string | undefined;
}

export interface HistoryOptions {
  /** RETENTION_DAYS: how far back the history goes. */
  retentionDays: number;
}

// Room for each text, so that every entry stays under 1 400 characters and two fit one section.
const REASON_MAX = 200;
const OUTCOME_MAX = 200;
const CHANGE_MAX = 100;
const NAME_MAX = 80;
const APPROVERS_SHOWN = 10;
const LINK_MAX = 1000;

const STATE_EMOJI: Readonly<Record<RequestState, string>> = {
  pending: ':hourglass_flowing_sand:',
  approved: ':white_check_mark:',
  queued: ':white_check_mark:',
  running: ':gear:',
  succeeded: ':white_check_mark:',
  failed: ':x:',
  rejected: ':no_entry_sign:',
  cancelled: ':leftwards_arrow_with_hook:',
  expired: ':hourglass:',
  stopped: ':octagonal_sign:',
};

/** The ephemeral answer: a heading, the entries packed into sections, what the history covers. */
export function userHistory(
  userId: string,
  lines: readonly HistoryLine[],
  options: HistoryOptions,
): BlockMessage {
  const id = code(userId, 60);
  const covers = `History covers the retention period: requests are kept ${plural(options.retentionDays, 'day')} (RETENTION_DAYS); older ones are only in the channel's history.`;
  if (lines.length === 0) {
    const text = `No requests about ${id} in the last ${plural(options.retentionDays, 'day')}.`;
    return { text, blocks: [section(text), context(covers)] };
  }
  const name = subjectName(userId, lines[0]?.request);
  const heading = `:scroll: *History of ${name ?? 'user'}* ${id} — ${plural(lines.length, 'request')}, newest first`;
  const chunks = packText(
    lines.map((line) => entry(userId, line)),
    MAX_SECTION_TEXT,
    '\n\n',
  );
  const room = MAX_MESSAGE_BLOCKS - 2;
  const blocks: KnownBlock[] = [section(heading), ...chunks.slice(0, room).map((chunk) => section(chunk))];
  blocks.push(context(chunks.length > room ? `…and more not shown. ${covers}` : covers));
  return { text: `History of ${id}: ${plural(lines.length, 'request')}`, blocks };
}

/** The user's name as the newest request saw them, escaped; undefined when it does not say. */
function subjectName(userId: string, request: ApprovalRequest | undefined): string | undefined {
  const snapshot = request?.target ?? request?.batch?.targets.find((t) => sameUser(t.id, userId));
  return snapshot ? targetName(snapshot, NAME_MAX) : undefined;
}

/** One request: what, its state and time; who asked and approved; why; how it ended; where. */
function entry(userId: string, { request, item, link }: HistoryLine): string {
  const what = request.batch
    ? `*${ACTION_NAMES[request.action]}* (bulk of ${request.batch.targets.length})`
    : `*${ACTION_NAMES[request.action]}*`;
  const approvers = request.approvals.map((a) => userMention(a.userId));
  const shown = approvers.slice(0, APPROVERS_SHOWN).join(', ');
  const more = approvers.length > APPROVERS_SHOWN ? ` +${approvers.length - APPROVERS_SHOWN} more` : '';
  const reason = literal(request.reason, REASON_MAX);
  return [
    `${ACTION_EMOJI[request.action]} ${what} · ${STATE_EMOJI[request.state]} *${request.state}* · ${slackDateMs(request.createdAt)}`,
    `Requested by ${userMention(request.requesterId)} · ${approvers.length > 0 ? `approved by ${shown}${more}` : 'no approvals'}`,
    request.action === 'edit' && request.changes ? `Change: ${changeText(request)}` : undefined,
    `Reason: ${reason || '_none given_'}`,
    `Outcome: ${outcome(userId, request, item)}`,
    where(request, link),
  ]
    .filter((line) => line !== undefined)
    .join('\n');
}

const EDIT_LABELS = { firstName: 'first name', lastName: 'last name', image: 'image' } as const;

/** An edit's new values, e.g. "first name → `Alicia`". */
function changeText(request: ApprovalRequest): string {
  const changes = request.changes ?? {};
  const parts = (Object.keys(EDIT_LABELS) as (keyof typeof EDIT_LABELS)[]).flatMap((field) => {
    const value = changes[field];
    return value === undefined ? [] : [`${EDIT_LABELS[field]} → ${literal(value, CHANGE_MAX) || '_empty_'}`];
  });
  return parts.join(', ') || '_none_';
}

function outcome(userId: string, request: ApprovalRequest, item: ItemOutcome | undefined): string {
  const said = (text: string) => literal(text, OUTCOME_MAX) || '_no summary_';
  const by = request.decidedBy ? ` by ${userMention(request.decidedBy)}` : '';
  const why = request.decisionReason ? literal(request.decisionReason, REASON_MAX) : '';
  switch (request.state) {
    case 'pending':
      return `awaiting approval (${request.approvals.length}/${request.requiredApprovals}), expires ${slackDateMs(request.expiresAt)}`;
    case 'approved':
    case 'queued':
      if (request.runAt !== undefined) return `approved, runs ${slackDateMs(request.runAt)}`;
      return 'approved, not run yet';
    case 'running':
      return item ? `running; for this user: ${said(item.summary)}` : 'running';
    case 'rejected':
      return `rejected${by}${why ? `: ${why}` : ''}`;
    case 'cancelled':
      return `cancelled${by}`;
    case 'expired':
      return `expired unapproved ${slackDateMs(request.expiresAt)}`;
    default:
      break;
  }
  if (request.batch) {
    if (item) return `for this user: ${item.ok ? ':white_check_mark:' : ':x:'} ${said(item.summary)}`;
    // Stopped before this user's turn, or a batch whose results have gone.
    const batch = request.outcome ? said(request.outcome.summary) : request.state;
    return `no result recorded for this user${sameUserIn(request, userId) ? '' : ' (not in the batch)'} · batch: ${batch}`;
  }
  const ended = request.outcome;
  if (!ended) return request.state === 'stopped' ? `stopped${by}` : request.state;
  return `${ended.ok ? ':white_check_mark:' : ':x:'} ${said(ended.summary)}${request.state === 'stopped' ? ` (stopped${by})` : ''}`;
}

/** A link to the thread, else the channel (its name, as Slack renders `<#C…>`), else the channel id. */
function where(request: ApprovalRequest, link: string | undefined): string {
  const url = safeLink(link);
  if (url) return `<${url}|Open the thread>`;
  const posted = request.messageTs ? '' : ' (message not posted)';
  if (/^[CG][A-Z0-9]{2,}$/.test(request.channelId)) return `In <#${request.channelId}>${posted}`;
  return `In ${code(request.channelId, 40)}${posted}`;
}

/** A permalink fit to sit inside `<url|…>`: https only, no `|`, `<`, `>` or spaces, `&` escaped. */
function safeLink(link: string | undefined): string | undefined {
  if (!link || link.length > LINK_MAX || !/^https:\/\/[^\s<>|]+$/.test(link)) return undefined;
  return link.replace(/&/g, '&amp;');
}

/**
 * User or API text as inline code: escaped, one line, cut, and inert — `*bold*`, `_x_` and `~y~` stay as
 * typed (a reason in a list of fifty must not restyle it); '' when blank.
 */
function literal(text: string, max: number): string {
  return text.trim() === '' ? '' : code(text.trim(), max);
}

function sameUser(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}

function sameUserIn(request: ApprovalRequest, userId: string): boolean {
  return request.batch?.targets.some((t) => sameUser(t.id, userId)) ?? false;
}
