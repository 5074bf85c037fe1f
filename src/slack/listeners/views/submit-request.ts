import type { AllMiddlewareArgs, SlackViewMiddlewareArgs, ViewSubmitAction } from '@slack/bolt';
import { BLOCK_IDS } from '../../../blocks/ids.js';
import {
  CONFIRM_DELETE_ERROR,
  confirmsDelete,
  validateEdit,
  validateReason,
  validateRunAt,
} from '../../../blocks/modal-input.js';
import { noticeModal } from '../../../blocks/modals.js';
import type { AppContext } from '../../context.js';
import { createRequest, notifyRequester } from '../requests/create.js';
import { freshTarget } from '../requests/fresh-target.js';
import { inputValues, metadata, pickedTime } from './values.js';

type Args = SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs;

/** Submit of the edit / deactivate / delete modal: inline errors, or close it and create the request. */
export function submitRequest(ctx: AppContext) {
  return async ({ ack, body, view, client }: Args): Promise<void> => {
    const draftId = metadata(view.private_metadata).d;
    const draft = await ctx.drafts.get(draftId).catch(() => undefined);
    if (draft?.kind !== 'single' || draft.requesterId !== body.user.id) {
      await ack({
        response_action: 'update',
        view: noticeModal('Request', ':warning: This form has expired. Run the command again.'),
      });
      return;
    }
    const values = inputValues(view.state);
    const errors: Record<string, string> = {};
    let changes: Parameters<typeof createRequest>[0]['changes'];
    let reason = draft.reason ?? '';
    let runAt: number | undefined;
    if (draft.action === 'edit') {
      const edit = validateEdit(
        {
          firstName: values[BLOCK_IDS.firstName] ?? null,
          lastName: values[BLOCK_IDS.lastName] ?? null,
          image: values[BLOCK_IDS.image] ?? null,
        },
        draft.target,
      );
      if (edit.ok) changes = edit.changes;
      else {
        if (edit.errors.firstName) errors[BLOCK_IDS.firstName] = edit.errors.firstName;
        if (edit.errors.lastName) errors[BLOCK_IDS.lastName] = edit.errors.lastName;
        if (edit.errors.image) errors[BLOCK_IDS.image] = edit.errors.image;
      }
    } else {
      const checked = validateReason(values[BLOCK_IDS.reason]);
      if (checked.ok) reason = checked.reason;
      else errors[BLOCK_IDS.reason] = checked.error;
      if (draft.action === 'delete' && !confirmsDelete(values[BLOCK_IDS.confirm])) {
        errors[BLOCK_IDS.confirm] = CONFIRM_DELETE_ERROR;
      }
      const when = validateRunAt(pickedTime(view.state, BLOCK_IDS.runAt), ctx.now());
      if (when.ok) runAt = when.runAt;
      else errors[BLOCK_IDS.runAt] = when.error;
    }
    if (Object.keys(errors).length > 0) {
      await ack({ response_action: 'errors', errors });
      return;
    }
    await ack();
    await ctx.drafts.delete(String(draftId)).catch(() => undefined);
    const fresh =
      draft.action === 'edit' ? await freshTarget(draft, changes, ctx) : { ok: true as const, draft };
    if (!fresh.ok) return void (await notifyRequester(client, draft, fresh.text));
    await createRequest({ client, draft: fresh.draft, reason, changes, runAt }, ctx);
  };
}
