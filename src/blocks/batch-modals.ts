import type { KnownBlock, ModalView } from '@slack/types';
import { type Batch, MAX_BATCH_USERS } from '../approvals/types.js';
import { batchTargetsText, excludedText, progressBar } from './batch.js';
import {
  ACTION_IDS,
  BLOCK_IDS,
  bulkListBlockId,
  CALLBACK_IDS,
  DELETE_CONFIRMATION_WORD,
  MAX_BULK_LIST_BOXES,
} from './ids.js';
import { button, context, input, plural, section, textInput } from './kit.js';
import { MAX_MODAL_TITLE, MAX_PLAIN_TEXT_INPUT } from './limits.js';
import { reasonInput, type ScheduleField, scheduleBlocks } from './modals.js';
import { code, plainText, truncate } from './mrkdwn.js';

/** Characters one id box holds. */
export const BULK_BOX_CHARS = MAX_PLAIN_TEXT_INPUT;

const CONFIRM_INPUT_MAX = 50;

type BulkAction = 'deactivate' | 'delete';

const TITLES: Readonly<Record<BulkAction, string>> = {
  deactivate: 'Deactivate users',
  delete: 'Delete users',
};

/** The paste step: id boxes (more on "More room"), a reason, and what was wrong with the last try. */
export function bulkListModal(args: {
  action: BulkAction;
  boxes: number;
  prefill?: readonly string[];
  reason?: string | undefined;
  problem?: string;
  privateMetadata: string;
}): ModalView {
  const boxes = Math.min(MAX_BULK_LIST_BOXES, Math.max(1, Math.floor(args.boxes) || 1));
  const moreRoom = boxes < MAX_BULK_LIST_BOXES;
  const blocks: KnownBlock[] = [
    section(
      `Paste the user ids (UUIDs) to ${args.action}: one per line, or separated by spaces or commas. ` +
        `Up to ${MAX_BATCH_USERS}.`,
    ),
  ];
  if (args.problem) blocks.push(section(args.problem));
  for (let box = 1; box <= boxes; box += 1) {
    const first = box === 1;
    blocks.push(
      input(
        bulkListBlockId(box),
        first ? 'User ids' : `More user ids (${box})`,
        textInput(args.prefill?.[box - 1], BULK_BOX_CHARS, { multiline: true }),
        {
          optional: !first,
          ...(first && moreRoom ? { hint: 'About 80 ids fit in one box; use More room for more.' } : {}),
        },
      ),
    );
  }
  if (moreRoom) {
    blocks.push({ type: 'actions', elements: [button('More room', ACTION_IDS.bulkMoreRoom, String(boxes))] });
  }
  blocks.push(reasonInput(BLOCK_IDS.reason, args.reason, 'e.g. left the company'));
  return {
    type: 'modal',
    callback_id: CALLBACK_IDS.bulkList,
    private_metadata: args.privateMetadata,
    title: plainText(TITLES[args.action]),
    submit: plainText('Check list'),
    close: plainText('Cancel'),
    blocks,
  };
}

/** Shown while the pasted ids are looked up. */
export function bulkCheckingModal(action: BulkAction, checked: number, total: number): ModalView {
  return {
    type: 'modal',
    callback_id: CALLBACK_IDS.notice,
    title: plainText(TITLES[action]),
    close: plainText('Close'),
    blocks: [
      section(
        `:hourglass_flowing_sand: Checking ${plural(total, 'user')}…\n` +
          `${progressBar(total > 0 ? checked / total : 0)}`,
      ),
    ],
  };
}

/** The review step: who is in, who is left out, what happens; submit creates the request. */
export function bulkReviewModal(args: {
  action: BulkAction;
  batch: Batch;
  reason: string | undefined;
  requiredApprovals: number;
  privateMetadata: string;
  schedule?: ScheduleField;
}): ModalView {
  const { action, batch } = args;
  const count = batch.targets.length;
  const who = count === 1 ? 'This user' : `These ${count} users`;
  const happens =
    action === 'delete'
      ? ':warning: *Deletion is permanent and cannot be undone.* ' +
        `${who} ${count === 1 ? 'is' : 'are'} removed from Cipherscale, their devices deactivated and ` +
        'their access revoked.'
      : `*What happens:* ${who} cannot sign in or connect until reactivated.`;
  const approvals = plural(args.requiredApprovals, 'approval');
  const excluded = excludedText(batch);
  const blocks: KnownBlock[] = [];
  if (batch.retryOf !== undefined) {
    const retried = `Retry of the failed users of request ${code(batch.retryOf, 80)}`;
    blocks.push(context(retried));
  }
  blocks.push(section(batchTargetsText(batch)));
  if (excluded !== undefined) blocks.push(section(excluded));
  blocks.push(
    section(`${happens}\nNeeds *${approvals}* before anything happens.`),
    reasonInput(BLOCK_IDS.reason, args.reason, 'e.g. left the company'),
    ...scheduleBlocks(args.schedule ?? {}),
  );
  if (action === 'delete') {
    blocks.push(
      input(
        BLOCK_IDS.confirm,
        `Type ${DELETE_CONFIRMATION_WORD} to confirm`,
        textInput(undefined, CONFIRM_INPUT_MAX, { placeholder: DELETE_CONFIRMATION_WORD }),
      ),
    );
  }
  const verb = action === 'delete' ? 'Delete' : 'Deactivate';
  return {
    type: 'modal',
    callback_id: CALLBACK_IDS.bulkReview,
    private_metadata: args.privateMetadata,
    title: plainText(truncate(`${verb} ${plural(count, 'user')}`, MAX_MODAL_TITLE)),
    submit: plainText(action === 'delete' ? 'Request deletion' : 'Request deactivation'),
    close: plainText('Cancel'),
    blocks,
  };
}
