import type { KnownBlock } from '@slack/types';
import type { ApprovalRequest } from '../approvals/types.js';
import { ACTION_EMOJI, ACTION_NAMES, approvalCount, requestSubject } from './approval-card.js';
import { context, plural, section } from './kit.js';
import { MAX_MESSAGE_BLOCKS, MAX_SECTION_TEXT } from './limits.js';
import { type BlockMessage, packText, slackDateMs, userMention } from './mrkdwn.js';
import { runTime } from './schedule.js';

export interface PendingEntry {
  request: ApprovalRequest;
  /** The request message's permalink (chat.getPermalink), when known. */
  link: string | undefined;
  /** How the caller relates to the request. */
  role: 'requester' | 'approver' | 'both';
}

/** Requests listed at most; the rest are counted. */
export const PENDING_SHOWN = 20;

const NAME_MAX = 80;
const LINK_MAX = 1000;

/**
 * The ephemeral answer to `/cipher-user pending`: one line per open request, those awaiting the caller's
 * approval first, then those they asked for. `total` counts every open request, shown or not.
 */
export function pendingList(entries: readonly PendingEntry[], total: number): BlockMessage {
  const count = Math.max(total, entries.length);
  if (count === 0) {
    return {
      text: 'No open requests.',
      blocks: [section('No open requests.')],
    };
  }
  const shown = entries.slice(0, PENDING_SHOWN);
  const awaiting = shown.filter((entry) => entry.role === 'approver');
  const asked = shown.filter((entry) => entry.role !== 'approver');
  const hidden = count - shown.length;
  const room = MAX_MESSAGE_BLOCKS - 1 - (hidden > 0 ? 1 : 0);

  const sections = [
    ...group(':raised_hand: *Awaiting your approval*', awaiting, true),
    ...group(':outbox_tray: *You asked*', asked, false),
  ];
  const blocks: KnownBlock[] = [
    section(`*Open requests: ${count}*`),
    ...sections.slice(0, room).map((text) => section(text)),
  ];
  if (hidden > 0) blocks.push(context(`…and ${hidden} more`));
  return { text: plural(count, 'open request'), blocks };
}

function group(heading: string, entries: readonly PendingEntry[], showRequester: boolean): string[] {
  if (entries.length === 0) return [];
  const [first = '', ...rest] = entries.map((entry) => line(entry, showRequester));
  return packText([`${heading}\n${first}`, ...rest], MAX_SECTION_TEXT);
}

/** "⛔ *Deactivate* Alice Martin · 0/1 approvals · by @bob · expires … · Open". */
function line({ request, link }: PendingEntry, showRequester: boolean): string {
  const parts = [
    `${ACTION_EMOJI[request.action]} *${ACTION_NAMES[request.action]}* ${requestSubject(request, NAME_MAX)}`,
  ];
  parts.push(progress(request));
  if (showRequester) parts.push(`by ${userMention(request.requesterId)}`);
  if (request.state === 'pending') parts.push(`expires ${slackDateMs(request.expiresAt)}`);
  const url = safeLink(link);
  if (url) parts.push(`<${url}|Open>`);
  return parts.join(' · ');
}

function progress(request: ApprovalRequest): string {
  switch (request.state) {
    case 'pending':
      return `${approvalCount(request)} approvals`;
    case 'approved':
      return request.runAt === undefined ? 'approved, queued' : `approved, runs ${runTime(request.runAt)}`;
    case 'queued':
      return 'approved, queued';
    case 'running':
      return 'running';
    default:
      return request.state;
  }
}

/** A permalink fit to sit inside `<url|Open>`: http(s) only, no `|`, `<`, `>` or spaces, `&` escaped. */
function safeLink(link: string | undefined): string | undefined {
  const url = link?.replace(/[|<>\s]/g, '');
  if (!url || url.length > LINK_MAX || !/^https?:\/\//i.test(url)) return undefined;
  return url.replace(/&/g, '&amp;');
}
