import type { AllMiddlewareArgs, SlackViewMiddlewareArgs, ViewSubmitAction } from '@slack/bolt';
import { BLOCK_IDS } from '../../../blocks/ids.js';
import { validateReason } from '../../../blocks/modal-input.js';
import { noticeModal } from '../../../blocks/modals.js';
import type { AppContext } from '../../context.js';
import { refusalText } from '../requests/refusals.js';
import { inputValues, metadata } from './values.js';

type Args = SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs;

const closeWith = (text: string) => ({
  response_action: 'update' as const,
  view: noticeModal('Reject request', text),
});

/** Submit of the reject modal: the approver check again (authorisation holds at every step), then one transition. */
export function submitReject(ctx: AppContext) {
  return async ({ ack, body, view }: Args): Promise<void> => {
    const userId = body.user.id;
    const requestId = metadata(view.private_metadata).r;
    const request = typeof requestId === 'string' ? await ctx.store.get(requestId) : undefined;
    if (!request) return void (await ack(closeWith(refusalText('not_found'))));
    if (request.requesterId === userId) return void (await ack(closeWith(refusalText('requester_rejects'))));
    const approver = await ctx.policy.isApprover(userId).catch(() => undefined);
    if (approver === undefined) return void (await ack(closeWith(refusalText('cannot_verify'))));
    if (!approver) return void (await ack(closeWith(refusalText('not_approver'))));
    const reason = validateReason(inputValues(view.state)[BLOCK_IDS.rejectReason], { required: false });
    if (!reason.ok)
      return void (await ack({
        response_action: 'errors',
        errors: { [BLOCK_IDS.rejectReason]: reason.error },
      }));

    // The modal closes at once; the workflow then records, audits and tells the channel.
    const result = await ctx.workflow.reject(
      request.id,
      userId,
      reason.reason || undefined,
      async (outcome) => {
        if (outcome === 'rejected') await ack();
        else if (outcome === 'expired') await ack(closeWith(':hourglass: This request had already expired.'));
      },
    );
    switch (result.outcome) {
      case 'rejected':
      case 'expired':
        return;
      case 'not_pending':
        return void (await ack(
          closeWith(`:information_source: This request is no longer pending (${result.request.state}).`),
        ));
      case 'requester':
        return void (await ack(closeWith(refusalText('requester_rejects'))));
      case 'not_found':
        return void (await ack(closeWith(refusalText('not_found'))));
    }
  };
}
