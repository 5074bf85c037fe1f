import type { InputBlock, KnownBlock, ModalView } from '@slack/types';
import type { ApprovalRequest, TargetSnapshot } from '../approvals/types.js';
import type { EditField } from '../approvals/validate.js';
import {
  ACTION_EMOJI,
  ACTION_NAMES,
  approvalCount,
  requestSubject,
  targetLines,
  targetName,
} from './approval-card.js';
import { BLOCK_IDS, CALLBACK_IDS, DELETE_CONFIRMATION_WORD } from './ids.js';
import { context, input, plural, section, textInput } from './kit.js';
import { MAX_MODAL_TITLE, MAX_SECTION_TEXT } from './limits.js';
import { IMAGE_INPUT_MAX, modalValue, NAME_INPUT_MAX, REASON_INPUT_MAX } from './modal-input.js';
import {
  cleanText,
  code,
  escapeAndTruncate,
  plainText,
  truncate,
  truncateMrkdwn,
  userMention,
} from './mrkdwn.js';
import { runAtInput } from './schedule.js';
import { showValue } from './visible.js';

const CONFIRM_INPUT_MAX = 50;
const HINT_VALUE_MAX = 300;
const REASON_SHOWN = 500;

/** Shown at once while the data a modal needs is fetched; replace it with views.update. */
export function loadingModal(title: string): ModalView {
  return {
    type: 'modal',
    callback_id: CALLBACK_IDS.notice,
    title: modalTitle(title),
    close: plainText('Close'),
    blocks: [section(':hourglass_flowing_sand: Loading…')],
  };
}

/** A refusal or an error; `message` is trusted mrkdwn (escape user and API text before). */
export function noticeModal(title: string, message: string): ModalView {
  return {
    type: 'modal',
    callback_id: CALLBACK_IDS.notice,
    title: modalTitle(title),
    close: plainText('Close'),
    blocks: [section(message.trim() || '…')],
  };
}

/**
 * The values the edit modal is pre-filled with: a stored value exactly as stored, or '' when the modal
 * cannot show it faithfully (see {@link modalValue}); such a field stays unchanged unless typed into.
 */
export function editPrefill(target: TargetSnapshot): { firstName: string; lastName: string; image: string } {
  return {
    firstName: modalValue('firstName', target.firstName) ?? '',
    lastName: modalValue('lastName', target.lastName) ?? '',
    image: modalValue('image', target.image) ?? '',
  };
}

/** First name, last name and image, pre-filled; the change goes to approvers on submit. */
export function editModal(target: TargetSnapshot, privateMetadata: string): ModalView {
  const initial = editPrefill(target);
  const field = (key: EditField, label: string, max: number, usual?: string) => {
    const hint = hiddenHint(target[key], initial[key]) ?? usual;
    const placeholder = key === 'image' ? 'https://…' : undefined;
    return input(BLOCK_IDS[key], label, textInput(initial[key], max, { placeholder }), {
      optional: true,
      ...(hint ? { hint } : {}),
    });
  };
  return {
    type: 'modal',
    callback_id: CALLBACK_IDS.edit,
    private_metadata: privateMetadata,
    title: plainText('Edit user'),
    submit: plainText('Request edit'),
    close: plainText('Cancel'),
    blocks: [
      context(truncateMrkdwn(`Editing ${whoLine(target)}`, MAX_SECTION_TEXT)),
      field('firstName', 'First name', NAME_INPUT_MAX),
      field('lastName', 'Last name', NAME_INPUT_MAX),
      field('image', 'Profile image URL', IMAGE_INPUT_MAX, 'An https:// address.'),
      context(
        ':lock: Nothing changes until an approver approves. Only the fields you change are sent; the others stay exactly as stored.',
      ),
    ],
  };
}

/** For a stored value the input cannot hold as it is: what it is, and that an empty input keeps it. */
function hiddenHint(stored: string | undefined, shown: string): string | undefined {
  if (shown !== '' || stored === undefined || stored === '') return undefined;
  const value = showValue(stored, { max: HINT_VALUE_MAX, mrkdwn: false, count: true });
  return `Stored as ${value}, which this form cannot show exactly. Leave it empty to keep it unchanged, or type a new value to replace it.`;
}

/** Who is affected, what deactivation does, how many approvals it needs, and a required reason. */
export function deactivateModal(
  target: TargetSnapshot,
  reason: string | undefined,
  requiredApprovals: number,
  privateMetadata: string,
  schedule: ScheduleField = {},
): ModalView {
  return requestModal(CALLBACK_IDS.deactivate, 'Deactivate user', 'Request deactivation', privateMetadata, [
    section(targetLines(target).join('\n')),
    section(
      `*What happens:* ${targetName(target)} cannot sign in or connect until reactivated.\n` +
        approvalsNeeded(requiredApprovals),
    ),
    reasonInput(BLOCK_IDS.reason, reason, 'e.g. left the company'),
    ...scheduleBlocks(schedule),
  ]);
}

/** As {@link deactivateModal}, with a plain warning and a typed confirmation. */
export function deleteModal(
  target: TargetSnapshot,
  reason: string | undefined,
  requiredApprovals: number,
  privateMetadata: string,
  schedule: ScheduleField = {},
): ModalView {
  return requestModal(CALLBACK_IDS.delete, 'Delete user', 'Request deletion', privateMetadata, [
    section(targetLines(target).join('\n')),
    section(
      ':warning: *Deletion is permanent and cannot be undone.* ' +
        `${targetName(target)} is removed from Cipherscale, their devices are deactivated and their ` +
        'access is revoked.\n' +
        approvalsNeeded(requiredApprovals),
    ),
    reasonInput(BLOCK_IDS.reason, reason, 'e.g. retention period over'),
    ...scheduleBlocks(schedule),
    input(
      BLOCK_IDS.confirm,
      `Type ${DELETE_CONFIRMATION_WORD} to confirm`,
      textInput('', CONFIRM_INPUT_MAX, { placeholder: DELETE_CONFIRMATION_WORD }),
    ),
  ]);
}

/** The "Run at" picker: pre-filled (`--at`), with a note about how the command's time was read. */
export interface ScheduleField {
  initialMs?: number | undefined;
  /** Trusted mrkdwn, e.g. which of two times an ambiguous local time was taken as. */
  note?: string | undefined;
}

export function scheduleBlocks(schedule: ScheduleField): KnownBlock[] {
  return [runAtInput(schedule.initialMs), ...(schedule.note ? [context(schedule.note)] : [])];
}

/** The frame the deactivate and delete modals share. */
function requestModal(
  callbackId: string,
  title: string,
  submitLabel: string,
  privateMetadata: string,
  blocks: KnownBlock[],
): ModalView {
  return {
    type: 'modal',
    callback_id: callbackId,
    private_metadata: privateMetadata,
    title: plainText(title),
    submit: plainText(submitLabel),
    close: plainText('Cancel'),
    blocks,
  };
}

/** What is being rejected, and an optional reason for the thread. */
export function rejectModal(request: ApprovalRequest, privateMetadata: string): ModalView {
  const verb = ACTION_NAMES[request.action].toLowerCase();
  const reason = escapeAndTruncate(request.reason.trim(), REASON_SHOWN, { singleLine: true });
  const summary = [
    `${ACTION_EMOJI[request.action]} Reject the request to *${verb}* ${requestSubject(request)}?`,
    `Requested by ${userMention(request.requesterId)} · approvals ${approvalCount(request)}`,
    ...(reason ? [`>${reason}`] : []),
  ];
  const blocks: KnownBlock[] = [
    section(summary.join('\n')),
    input(BLOCK_IDS.rejectReason, 'Why? (optional)', reasonBox(undefined, 'Shown in the thread'), {
      optional: true,
    }),
  ];
  return {
    type: 'modal',
    callback_id: CALLBACK_IDS.reject,
    private_metadata: privateMetadata,
    title: plainText('Reject request'),
    submit: plainText('Reject'),
    close: plainText('Back'),
    blocks,
  };
}

function whoLine(target: TargetSnapshot): string {
  const email = escapeAndTruncate(target.email ?? '', 320, { singleLine: true }).trim();
  return [`*${targetName(target)}*`, ...(email ? [email] : []), code(target.id, 80)].join(' · ');
}

function approvalsNeeded(count: number): string {
  return `Needs *${plural(count, 'approval')}* before anything happens.`;
}

function modalTitle(text: string): ModalView['title'] {
  return plainText(truncate(cleanText(text, { singleLine: true }).trim(), MAX_MODAL_TITLE) || 'Cipherscale');
}

/** The request's or the rejection's reason: a multiline box, pre-filled trimmed. */
function reasonBox(initial: string | undefined, placeholder: string) {
  return textInput(cleanText(initial ?? '').trim(), REASON_INPUT_MAX, { multiline: true, placeholder });
}

export function reasonInput(blockId: string, reason: string | undefined, placeholder: string): InputBlock {
  return input(blockId, 'Reason', reasonBox(reason, placeholder), {
    hint: 'Approvers see it; it stays in the channel history.',
  });
}
