import type { ActionsBlock, Button, KnownBlock } from '@slack/types';
import type { RequestEvent } from '../approvals/events.js';
import type { Action, ApprovalRequest, TargetSnapshot } from '../approvals/types.js';
import { remaining } from '../policy/evaluate.js';
import { needsLines, progressText } from '../policy/needs-text.js';
import { batchButtons, batchTargetsText, excludedText } from './batch.js';
import { showAllButton } from './batch-list.js';
import { ACTION_IDS } from './ids.js';
import { button, context, header, plural, section } from './kit.js';
import { MAX_CONFIRM_TEXT, MAX_SECTION_TEXT } from './limits.js';
import {
  type BlockMessage,
  cleanText,
  code,
  escapeAndTruncate,
  mrkdwnList,
  packText,
  plainText,
  quoteText,
  slackDateMs,
  truncate,
  truncateMrkdwn,
  userMention,
} from './mrkdwn.js';
import { runsAtLine, runTime, scheduledForLine, waitingButtons, waitingState } from './schedule.js';
import { statusLabel, userDisplayName } from './user-card.js';
import { showValue } from './visible.js';

// Room given to each string: enough to recognise it on a phone, small enough that nothing overflows.
const NAME_MAX = 100;
const EMAIL_MAX = 320;
const ID_MAX = 80;
const REASON_MAX = 1000;
const SUMMARY_MAX = 500;
const APPROVERS_SHOWN = 20;
// Room for an edit's values: on the card (a field's line fits one section), in the outcome note.
const CARD_SHOWN = { before: 400, after: 2400 };
const NOTE_SHOWN = { before: 200, after: 600 };

/** "Deactivate", "Delete", "Edit". */
export const ACTION_NAMES: Readonly<Record<Action, string>> = {
  edit: 'Edit',
  deactivate: 'Deactivate',
  delete: 'Delete',
};

export const ACTION_EMOJI: Readonly<Record<Action, string>> = {
  edit: ':pencil2:',
  deactivate: ':no_entry:',
  delete: ':wastebasket:',
};

const EDIT_FIELDS = [
  ['firstName', 'First name'],
  ['lastName', 'Last name'],
  ['image', 'Image'],
] as const;

/** What a request acts on, escaped for mrkdwn: the user's name, or "47 users" for a batch. */
export function requestSubject(request: ApprovalRequest, max = NAME_MAX): string {
  if (!request.batch) return targetName(request.target, max);
  return plural(request.batch.targets.length, 'user');
}

/** The target's display name escaped for mrkdwn, one line. */
export function targetName(target: TargetSnapshot, max = NAME_MAX): string {
  return escapeAndTruncate(userDisplayName(target), max, { singleLine: true });
}

/**
 * Name (owner), email, status and id: the lines approvers identify the target by. `status` replaces the plain
 * status label, e.g. once the request is decided and the snapshot is no longer the user's present state.
 */
export function targetLines(target: TargetSnapshot, status = statusLabel(target.status)): string[] {
  const email = escapeAndTruncate(target.email ?? '', EMAIL_MAX, { singleLine: true }).trim();
  return [
    `*${targetName(target)}*${target.isOwner ? ' (owner)' : ''}`,
    email || '_no email_',
    `${status} · Owner: ${target.isOwner ? 'yes' : 'no'}`,
    `ID ${code(target.id, ID_MAX)}`,
  ];
}

/**
 * The target's status on the request message: as read when the request was made, and said so once the
 * request has moved on (a reader must not take a deactivated user's old "active" for the present one).
 */
function requestStatus(request: ApprovalRequest & { target: TargetSnapshot }): string {
  const then = statusLabel(request.target.status);
  if (request.state === 'pending') return then;
  if (request.state === 'succeeded' && request.action !== 'edit') {
    const now = request.action === 'delete' ? ':wastebasket: deleted' : ':no_entry: deactivated';
    return `${then} when requested → now ${now}`;
  }
  return `${then} when requested`;
}

/** `k/N` approvals. */
export function approvalCount(request: ApprovalRequest): string {
  return `${request.approvals.length}/${request.requiredApprovals}`;
}

/** The message approvers see, re-rendered in place on every transition; buttons only while pending. */
export function approvalMessage(request: ApprovalRequest): BlockMessage {
  const { action } = request;
  const title = request.batch
    ? `${ACTION_NAMES[action]} ${requestSubject(request)} — bulk request`
    : `${ACTION_NAMES[action]} request`;
  const blocks: KnownBlock[] = [header(`${ACTION_EMOJI[action]} ${title}`), section(stateText(request))];
  if (request.batch) {
    blocks.push({
      ...section(batchTargetsText(request.batch)),
      accessory: showAllButton(request.id, request.batch.targets.length),
    });
    const left = excludedText(request.batch);
    if (left) blocks.push(section(left));
  } else {
    blocks.push(section(targetLines(request.target, requestStatus(request)).join('\n')));
  }
  if (action === 'edit') blocks.push(...packText(changeLines(request, CARD_SHOWN)).map(section));
  if (request.needs) blocks.push(...packText(needsLines(request.needs)).map(section));
  blocks.push(section(`*Reason*\n${quote(request.reason)}`));
  blocks.push(section(peopleText(request)));
  blocks.push(context(`Request ${code(request.id, ID_MAX)}`));
  const waiting = waitingButtons(request);
  if (request.state === 'pending') blocks.push(decisionButtons(request));
  else if (waiting) blocks.push(waiting);
  else if (request.batch) {
    const buttons = batchButtons(request, request.outcome?.failed ?? 0);
    if (buttons) blocks.push(buttons);
  }
  const state = request.state === 'pending' ? `pending ${approvalCount(request)}` : request.state;
  return {
    text: `${ACTION_NAMES[action]} request for ${requestSubject(request)} — ${state}`,
    blocks,
  };
}

/** The thread reply for one transition: who, what, when. */
export function threadNote(request: ApprovalRequest, event: RequestEvent): BlockMessage {
  const lines = noteLines(request, event);
  const text = lines.map((line) => truncateMrkdwn(line, MAX_SECTION_TEXT)).join('\n');
  return {
    text: truncateMrkdwn(lines[0] ?? '', 500),
    blocks: [section(text)],
  };
}

/** Edit… / Deactivate… / Delete… for the lookup card; each button's value is the user id. */
export function userCardActions(user: { id: string }): KnownBlock {
  return {
    type: 'actions',
    elements: [
      button('Edit…', ACTION_IDS.openEdit, user.id),
      button('Deactivate…', ACTION_IDS.openDeactivate, user.id),
      button('Delete…', ACTION_IDS.openDelete, user.id, 'danger'),
      button('History', ACTION_IDS.userHistory, user.id),
    ],
  };
}

function noteLines(request: ApprovalRequest, event: RequestEvent): string[] {
  const name = requestSubject(request);
  const verb = ACTION_NAMES[request.action].toLowerCase();
  switch (event.kind) {
    case 'created':
      return [
        `:memo: ${userMention(request.requesterId)} requested to ${verb} *${name}* — needs ` +
          `${plural(request.requiredApprovals, 'approval')} · ${slackDateMs(request.createdAt)}`,
      ];
    case 'approved':
      return [
        `:+1: Approved by ${userMention(event.by)} (${approvalCount(request)}) · ${approvedAt(request, event.by)}`,
      ];
    case 'quorum': {
      const late = request.runAt === undefined ? '' : ` (it was scheduled for ${runTime(request.runAt)})`;
      return [
        `:white_check_mark: Approved by ${userMention(event.by)} (${approvalCount(request)}) — ` +
          `queued${late} · ${approvedAt(request, event.by)}`,
      ];
    }
    case 'scheduled':
      return [
        `:alarm_clock: Approved by ${userMention(event.by)} (${approvalCount(request)}); runs ` +
          `${runTime(request.runAt ?? 0)} · ${approvedAt(request, event.by)}`,
      ];
    case 'rejected': {
      const first = `:no_entry_sign: Rejected by ${userMention(event.by)} · ${slackDateMs(request.decidedAt)}`;
      const reason = event.reason ?? request.decisionReason;
      return reason?.trim() ? [first, quote(reason)] : [first];
    }
    case 'cancelled':
      return [
        `:heavy_multiplication_x: Cancelled by ${userMention(event.by)} · ${slackDateMs(request.decidedAt)}`,
      ];
    case 'expired':
      return [
        `:hourglass: Expired with ${approvalCount(request)} approvals · ${slackDateMs(request.expiresAt)}`,
      ];
    case 'stopped':
      return [
        `:octagonal_sign: Stopped by ${userMention(event.by)} · ${slackDateMs(request.decidedAt)} — ` +
          `users not started yet will not be ${verb === 'delete' ? 'deleted' : 'deactivated'}; the summary above says who was.`,
      ];
    case 'succeeded':
      return [
        `:white_check_mark: *Succeeded* — ${doneText(request)}`,
        ...editedLines(request),
        outcomeMeta(request),
      ];
    case 'failed':
      return [`:x: *Failed* — ${failureText(request)}`, outcomeMeta(request)];
  }
}

function stateText(request: ApprovalRequest): string {
  const scheduled = waitingState(request);
  if (scheduled) return scheduled;
  const runs = runsAtLine(request) ?? scheduledForLine(request);
  return runs ? `${stateLine(request)}\n${runs}` : stateLine(request);
}

function stateLine(request: ApprovalRequest): string {
  switch (request.state) {
    case 'pending': {
      const missing = request.needs
        ? remaining(request.needs, request.approvals)
        : Math.max(0, request.requiredApprovals - request.approvals.length);
      return missing > 0
        ? `:hourglass_flowing_sand: *Waiting for ${plural(missing, 'more approval')}*`
        : ':hourglass_flowing_sand: *Waiting for approval*';
    }
    case 'approved':
    case 'queued':
      return ':white_check_mark: *Approved — queued*';
    case 'running':
      return ':gear: *Running…*';
    case 'succeeded':
      return `:white_check_mark: *Succeeded* — ${doneText(request)}\n${outcomeMeta(request)}`;
    case 'failed':
      return `:x: *Failed* — ${failureText(request)}\n${outcomeMeta(request)}`;
    case 'rejected': {
      const heading = `:no_entry_sign: *Rejected by ${decider(request)}* · ${slackDateMs(request.decidedAt)}`;
      return request.decisionReason?.trim() ? `${heading}\n${quote(request.decisionReason)}` : heading;
    }
    case 'cancelled':
      return `:heavy_multiplication_x: *Cancelled by ${decider(request)}* · ${slackDateMs(request.decidedAt)}`;
    case 'expired':
      return `:hourglass: *Expired* ${slackDateMs(request.expiresAt)} — nothing was done`;
    case 'stopped':
      return `:octagonal_sign: *Stopped by ${decider(request)}* · ${slackDateMs(request.decidedAt)} — users not started were left as they are; the thread says exactly who was done`;
  }
}

function peopleText(request: ApprovalRequest): string {
  const approvers = mrkdwnList(
    request.approvals.map((approval) => userMention(approval.userId)),
    { max: APPROVERS_SHOWN, maxChars: 1500 },
  );
  const lines = [
    `Requested by ${userMention(request.requesterId)} · ${slackDateMs(request.createdAt)}`,
    `Approvals ${approvalsProgress(request)}${approvers ? `: ${approvers}` : ''}`,
  ];
  if (request.state === 'pending') lines.push(`Expires ${slackDateMs(request.expiresAt)}`);
  return lines.join('\n');
}

/** "*1/2*", and with the policy's needs the count per requirement: "*1/2* · @security-leads 1/2". */
function approvalsProgress(request: ApprovalRequest): string {
  return request.needs ? progressText(request.needs, request.approvals) : `*${approvalCount(request)}*`;
}

/**
 * What the PUT carries, field by field, `before → after` with invisible differences marked (see
 * {@link showValue}), then the fields it leaves out. The first entry is the heading.
 */
function changeLines(request: ApprovalRequest, shown: { before: number; after: number }): string[] {
  const sent = EDIT_FIELDS.filter(([key]) => request.changes?.[key] !== undefined);
  if (sent.length === 0) return ['*Changes*\n_no changes_'];
  const lines = sent.map(([key, label]) => {
    const after = request.changes?.[key] ?? '';
    const before = request.target?.[key];
    const show = (value: string | undefined, max: number) => showValue(value, { max, mrkdwn: true });
    return `${label}: ${show(before, shown.before)} → ${show(after, shown.after)}`;
  });
  const kept = EDIT_FIELDS.filter(([key]) => request.changes?.[key] === undefined).map(([, label]) => label);
  const heading = '*Changes* — the PUT to Cipherscale carries exactly these values:';
  return [heading, ...lines, ...(kept.length > 0 ? [`_Not sent, left as stored:_ ${kept.join(', ')}`] : [])];
}

function doneText(request: ApprovalRequest): string {
  const outcome = request.outcome;
  if (outcome && (request.batch || outcome.code !== 'done') && outcome.summary.trim())
    return summary(outcome.summary);
  switch (request.action) {
    case 'deactivate':
      return `Deactivated ${requestSubject(request)}.`;
    case 'delete':
      return `Deleted ${requestSubject(request)}.`;
    case 'edit':
      return `Updated ${requestSubject(request)}.`;
  }
}

function editedLines(request: ApprovalRequest): string[] {
  const noop = request.outcome !== undefined && request.outcome.code !== 'done';
  return request.action === 'edit' && !noop ? changeLines(request, NOTE_SHOWN) : [];
}

function failureText(request: ApprovalRequest): string {
  return request.outcome?.summary.trim() ? summary(request.outcome.summary) : 'no reason was recorded.';
}

/** "2 attempts · API request `abc` · <date>". */
function outcomeMeta(request: ApprovalRequest): string {
  const outcome = request.outcome;
  const attempts = outcome?.attempts ?? request.attempts;
  const parts = [plural(attempts, 'attempt')];
  if (outcome?.apiRequestId) parts.push(`API request ${code(outcome.apiRequestId, ID_MAX)}`);
  parts.push(slackDateMs(outcome?.at));
  return parts.join(' · ');
}

function summary(text: string): string {
  return escapeAndTruncate(text, SUMMARY_MAX, { singleLine: true }).trim();
}

function decider(request: ApprovalRequest): string {
  return request.decidedBy === undefined ? 'someone' : userMention(request.decidedBy);
}

function approvedAt(request: ApprovalRequest, by: string): string {
  return slackDateMs(request.approvals.find((approval) => approval.userId === by)?.at);
}

const quote = (text: string) => quoteText(text, REASON_MAX);

function decisionButtons(request: ApprovalRequest): ActionsBlock {
  return {
    type: 'actions',
    elements: [
      approveButton(request),
      button('Reject', ACTION_IDS.reject, request.id, 'danger'),
      button('Cancel', ACTION_IDS.cancel, request.id),
    ],
  };
}

/** Approve, valued with the request id; a delete's asks to confirm (in the channel and in an approver's DM). */
export function approveButton(request: ApprovalRequest): Button {
  const approve: Button = button('Approve', ACTION_IDS.approve, request.id, 'primary');
  if (request.action === 'delete') {
    const name = request.batch
      ? `${request.batch.targets.length} users`
      : cleanText(userDisplayName(request.target), { singleLine: true });
    approve.confirm = {
      title: plainText('Approve deletion?'),
      text: plainText(
        truncate(`${name} will be deleted from Cipherscale. This cannot be undone.`, MAX_CONFIRM_TEXT),
      ),
      confirm: plainText('Approve deletion'),
      deny: plainText('Back'),
      style: 'danger',
    };
  }
  return approve;
}
