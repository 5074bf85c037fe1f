import type { AllMiddlewareArgs, SlackViewMiddlewareArgs, ViewSubmitAction } from '@slack/bolt';
import { MAX_BATCH_USERS } from '../../../approvals/types.js';
import { bulkCheckingModal } from '../../../blocks/batch-modals.js';
import { BLOCK_IDS, BULK_LIST_BLOCK_PREFIX, bulkListBlockId } from '../../../blocks/ids.js';
import {
  CONFIRM_DELETE_ERROR,
  confirmsDelete,
  validateReason,
  validateRunAt,
} from '../../../blocks/modal-input.js';
import { noticeModal } from '../../../blocks/modals.js';
import type { AppContext } from '../../context.js';
import { parseIdList } from '../commands/parse.js';
import type { BulkDraft } from '../drafts.js';
import { checkAndReview, withNotice } from '../requests/bulk.js';
import { createRequest } from '../requests/create.js';
import { ModalScreen } from '../requests/modal-screen.js';
import { inputValues, metadata, pickedTime } from './values.js';

type Args = SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs;

const EXPIRED = {
  response_action: 'update' as const,
  view: noticeModal('Request', ':warning: This form has expired. Run the command again.'),
};

async function draftOf(args: Args, ctx: AppContext): Promise<BulkDraft | undefined> {
  const draft = await ctx.drafts.get(metadata(args.view.private_metadata).d).catch(() => undefined);
  return draft?.kind === 'bulk' && draft.requesterId === args.body.user.id ? draft : undefined;
}

/** The paste step: the ids from every box, then the check (the modal shows progress) and the review. */
export function submitBulkList(ctx: AppContext) {
  return async (args: Args): Promise<void> => {
    const draft = await draftOf(args, ctx);
    if (!draft) return void (await args.ack(EXPIRED));
    const values = inputValues(args.view.state);
    const text = Object.entries(values)
      .filter(([blockId]) => blockId.startsWith(BULK_LIST_BLOCK_PREFIX))
      .map(([, value]) => value ?? '')
      .join('\n');
    const list = parseIdList(text);
    const reason = validateReason(values[BLOCK_IDS.reason]);
    const errors: Record<string, string> = {};
    if (list.userIds.length === 0) errors[bulkListBlockId(1)] = 'Paste at least one user id (a UUID).';
    if (list.userIds.length > MAX_BATCH_USERS)
      errors[bulkListBlockId(1)] =
        `One request holds at most ${MAX_BATCH_USERS} users; this list has ${list.userIds.length}.`;
    if (!reason.ok) errors[BLOCK_IDS.reason] = reason.error;
    if (Object.keys(errors).length > 0 || !reason.ok)
      return void (await args.ack({ response_action: 'errors', errors }));

    await args.ack({
      response_action: 'update',
      view: bulkCheckingModal(draft.action, 0, list.userIds.length),
    });
    // The ack put "Checking…" on screen (same view id; its hash is not known here).
    const screen = new ModalScreen(args.client, args.view.id, ctx.logger);
    await withNotice(screen, draft.action, ctx, () =>
      checkAndReview({ ...draft, reason: reason.reason }, list, screen, ctx, args.client),
    );
  };
}

/** The review step: the reason (and for a delete the typed confirmation), then the request. */
export function submitBulkReview(ctx: AppContext) {
  return async (args: Args): Promise<void> => {
    const draft = await draftOf(args, ctx);
    if (!draft?.batch) return void (await args.ack(EXPIRED));
    const values = inputValues(args.view.state);
    const reason = validateReason(values[BLOCK_IDS.reason]);
    const errors: Record<string, string> = {};
    if (!reason.ok) errors[BLOCK_IDS.reason] = reason.error;
    if (draft.action === 'delete' && !confirmsDelete(values[BLOCK_IDS.confirm]))
      errors[BLOCK_IDS.confirm] = CONFIRM_DELETE_ERROR;
    const when = validateRunAt(pickedTime(args.view.state, BLOCK_IDS.runAt), ctx.now());
    if (!when.ok) errors[BLOCK_IDS.runAt] = when.error;
    if (Object.keys(errors).length > 0 || !reason.ok || !when.ok)
      return void (await args.ack({ response_action: 'errors', errors }));
    await args.ack();
    await ctx.drafts.delete(String(metadata(args.view.private_metadata).d)).catch(() => undefined);
    await createRequest(
      { client: args.client, draft, reason: reason.reason, changes: undefined, runAt: when.runAt },
      ctx,
    );
  };
}
