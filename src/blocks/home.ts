import type { Button, HomeView, KnownBlock } from '@slack/types';
import type { ApprovalRequest, RequestState } from '../approvals/types.js';
import { ACTION_EMOJI, ACTION_NAMES, approvalCount, requestSubject } from './approval-card.js';
import { context, header, section } from './kit.js';
import { MAX_SECTION_TEXT, MAX_VIEW_BLOCKS } from './limits.js';
import { escapeAndTruncate, mrkdwnList, packText, plainText, slackDateMs, userMention } from './mrkdwn.js';
import { runTime } from './schedule.js';

/** The Open buttons' action_id: they are links, Slack still sends a click the app has to acknowledge. */
export const HOME_OPEN_ACTION = 'home_open';

/** Open requests listed per section at most; the rest are counted. */
export const HOME_LIST_SHOWN = 20;
/** Finished requests listed at most. */
export const HOME_RECENT_SHOWN = 10;

export interface HomeEntry {
  request: ApprovalRequest;
  /** The request message's permalink, when known. */
  link: string | undefined;
}

export interface HomeList {
  /** The first ones (only the first {@link HOME_LIST_SHOWN} are shown). */
  entries: readonly HomeEntry[];
  /** How many there are in all. */
  total: number;
}

export interface HomeContent {
  /** Pending requests the viewer may approve; undefined when they are not an approver (no such section). */
  awaiting: HomeList | undefined;
  /** Requests the viewer made that are still open. */
  mine: HomeList;
  /** Finished requests, the last finished first: every request for an approver, their own for anyone else. */
  recent: readonly ApprovalRequest[];
  /** Whether `recent` holds everyone's requests or only the viewer's. */
  recentScope: 'all' | 'mine';
}

const NAME_MAX = 80;
const REASON_MAX = 200;
const SUMMARY_MAX = 120;
const URL_MAX = 3000;
const APPROVERS_SHOWN = 3;

const FINISHED: Partial<Record<RequestState, { emoji: string; word: string }>> = {
  succeeded: { emoji: ':white_check_mark:', word: 'Succeeded' },
  failed: { emoji: ':x:', word: 'Failed' },
  rejected: { emoji: ':no_entry_sign:', word: 'Rejected' },
  cancelled: { emoji: ':heavy_multiplication_x:', word: 'Cancelled' },
  expired: { emoji: ':hourglass:', word: 'Expired' },
  stopped: { emoji: ':octagonal_sign:', word: 'Stopped' },
};

/** The App Home tab: what waits for the viewer's approval, what they asked for, what finished lately. */
export function homeView(content: HomeContent): HomeView {
  const blocks: KnownBlock[] = [
    header('cipher-user'),
    context(
      'Cipherscale user changes, approved in the channel. Type `/cipher-user help` in any channel to see the commands.',
    ),
  ];
  if (content.awaiting) {
    blocks.push(
      { type: 'divider' },
      ...openSection(
        'Waiting for your approval',
        content.awaiting,
        awaitingText,
        'Nothing is waiting for your approval.',
      ),
    );
  }
  blocks.push(
    { type: 'divider' },
    ...openSection(
      'Your open requests',
      content.mine,
      mineText,
      'You have no open requests. `/cipher-user help` shows how to make one.',
    ),
    { type: 'divider' },
    ...recentSection(content),
  );
  // The sections are sized to fit; this only guards the limit if that ever changes.
  return { type: 'home', blocks: blocks.slice(0, MAX_VIEW_BLOCKS) };
}

function openSection(
  title: string,
  list: HomeList,
  text: (request: ApprovalRequest) => string,
  empty: string,
): KnownBlock[] {
  const shown = list.entries.slice(0, HOME_LIST_SHOWN);
  const total = Math.max(list.total, shown.length);
  const blocks: KnownBlock[] = [header(total > 0 ? `${title} (${total})` : title)];
  if (total === 0) return [...blocks, context(empty)];
  for (const { request, link } of shown) {
    const url = safeUrl(link);
    const button: Button | undefined = url
      ? { type: 'button', text: plainText('Open'), url, action_id: HOME_OPEN_ACTION }
      : undefined;
    blocks.push({ ...section(text(request)), ...(button ? { accessory: button } : {}) });
  }
  const hidden = total - shown.length;
  if (hidden > 0) blocks.push(context(`…and ${hidden} more · \`/cipher-user pending\` lists them`));
  return blocks;
}

/** "⛔ *Deactivate* Alice Martin", then approvals, requester, expiry, then the reason. */
function awaitingText(request: ApprovalRequest): string {
  const reason = escapeAndTruncate(request.reason, REASON_MAX, { singleLine: true }).trim();
  return [
    subject(request),
    `${approvalCount(request)} approvals · by ${userMention(request.requesterId)} · expires ${slackDateMs(request.expiresAt)}`,
    ...(reason ? [`> ${reason}`] : []),
  ].join('\n');
}

function mineText(request: ApprovalRequest): string {
  return `${subject(request)}\n${progress(request)} · asked ${slackDateMs(request.createdAt)}`;
}

function progress(request: ApprovalRequest): string {
  switch (request.state) {
    case 'pending':
      return `:hourglass_flowing_sand: ${approvalCount(request)} approvals · expires ${slackDateMs(request.expiresAt)}`;
    case 'running':
      return ':gear: Running…';
    case 'approved':
      return request.runAt === undefined
        ? ':white_check_mark: Approved — queued'
        : `:alarm_clock: Approved — runs ${runTime(request.runAt)}`;
    default:
      return ':white_check_mark: Approved — queued';
  }
}

function recentSection(content: HomeContent): KnownBlock[] {
  const blocks: KnownBlock[] = [header('Recent outcomes')];
  if (content.recentScope === 'mine') blocks.push(context('Requests you made.'));
  const shown = content.recent.slice(0, HOME_RECENT_SHOWN);
  if (shown.length === 0) return [...blocks, context('No finished requests yet.')];
  blocks.push(...packText(shown.map(outcomeText), MAX_SECTION_TEXT, '\n\n').map((text) => section(text)));
  return blocks;
}

/** "✅ *Succeeded* · ⛔ Deactivate Alice Martin", then who and when. */
function outcomeText(request: ApprovalRequest): string {
  const state = FINISHED[request.state] ?? { emoji: ':grey_question:', word: request.state };
  const who = [`asked by ${userMention(request.requesterId)}`];
  if (request.decidedBy) who.push(`${state.word.toLowerCase()} by ${userMention(request.decidedBy)}`);
  else if (request.approvals.length > 0) {
    const approvers = request.approvals.map((a) => userMention(a.userId));
    who.push(`approved by ${mrkdwnList(approvers, { max: APPROVERS_SHOWN, maxChars: 600 })}`);
  }
  who.push(slackDateMs(finishedAt(request)));
  const summary =
    request.state === 'failed' && request.outcome
      ? `\n${escapeAndTruncate(request.outcome.summary, SUMMARY_MAX, { singleLine: true })}`
      : '';
  return `${state.emoji} *${state.word}* · ${subject(request)}\n${who.join(' · ')}${summary}`;
}

/** When a finished request finished, as well as the record tells. */
function finishedAt(request: ApprovalRequest): number {
  if (request.state === 'expired') return request.expiresAt;
  return request.outcome?.at ?? request.decidedAt ?? request.createdAt;
}

function subject(request: ApprovalRequest): string {
  const { action } = request;
  return `${ACTION_EMOJI[action]} *${ACTION_NAMES[action]}* ${requestSubject(request, NAME_MAX)}`;
}

/** A permalink fit for a button's url: http(s), only characters a URI may hold, within Slack's length. */
function safeUrl(link: string | undefined): string | undefined {
  if (!link || link.length > URL_MAX) return undefined;
  return /^https?:\/\/[A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%]+$/.test(link) ? link : undefined;
}
