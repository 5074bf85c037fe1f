import type { AllMiddlewareArgs, SlackViewMiddlewareArgs, ViewSubmitAction } from '@slack/bolt';
import { BLOCK_IDS } from '../../../blocks/ids.js';
import { validateReason } from '../../../blocks/modal-input.js';
import { noticeModal } from '../../../blocks/modals.js';
import type { AppContext } from '../../context.js';
import { refusalText } from '../requests/refusals.js';
import { answerInTime, type ViewAnswer } from './answer-in-time.js';
import { inputValues, metadata } from './values.js';

type Args = SlackViewMiddlewareArgs<ViewSubmitAction> & AllMiddlewareArgs;

const TITLE = 'Reject request';
const notice = (text: string) => noticeModal(TITLE, text);
const closeWith = (text: string): ViewAnswer => ({ response_action: 'update', view: notice(text) });

/** Past this the submission is acked with "Checking…" (Slack waits 3 s) and the outcome follows in the modal. */
export const REJECT_ANSWER_MS = 1500;

/** Submit of the reject modal: the approver check again (authorisation holds at every step), then one transition. */
export function submitReject(ctx: AppContext) {
  return async ({ ack, body, view, client }: Args): Promise<void> => {
    // Checked first: an error list can only be the ack, so it must not wait on Redis or Slack.
    const reason = validateReason(inputValues(view.state)[BLOCK_IDS.rejectReason], { required: false });
    if (!reason.ok)
      return void (await ack({
        response_action: 'errors',
        errors: { [BLOCK_IDS.rejectReason]: reason.error },
      }));
    const answer = answerInTime({
      ack: (a) => ack(a),
      client,
      viewId: view.id,
      logger: ctx.logger,
      withinMs: REJECT_ANSWER_MS,
      checking: notice(':hourglass_flowing_sand: Checking…'),
      done: notice(':white_check_mark: Rejected. The request’s message says so.'),
      notice,
    });
    const work = decide(
      body.user.id,
      metadata(view.private_metadata).r,
      reason.reason,
      answer.answer,
      ctx,
    ).catch((err: unknown) => answer.fail(err));
    await answer.within(work);
  };
}

async function decide(
  userId: string,
  requestId: unknown,
  reason: string,
  answer: (a: ViewAnswer) => Promise<void>,
  ctx: AppContext,
): Promise<void> {
  const request = typeof requestId === 'string' ? await ctx.store.get(requestId) : undefined;
  if (!request) return answer(closeWith(refusalText('not_found')));
  if (request.requesterId === userId) return answer(closeWith(refusalText('requester_rejects')));
  // As for the Reject button: a general approver, or someone a rule of this request names.
  const approver = await ctx.policy.mayApprove(userId, request).catch(() => undefined);
  if (approver === undefined) return answer(closeWith(refusalText('cannot_verify')));
  if (!approver) return answer(closeWith(refusalText('not_approver')));

  // The modal closes once the decision is recorded; the workflow then audits and tells the channel.
  const result = await ctx.workflow.reject(request.id, userId, reason || undefined, async (outcome) => {
    if (outcome === 'rejected') await answer(undefined);
    else if (outcome === 'expired') await answer(closeWith(':hourglass: This request had already expired.'));
  });
  switch (result.outcome) {
    case 'rejected':
    case 'expired':
      return;
    case 'not_pending':
      return answer(
        closeWith(`:information_source: This request is no longer pending (${result.request.state}).`),
      );
    case 'requester':
      return answer(closeWith(refusalText('requester_rejects')));
    case 'not_found':
      return answer(closeWith(refusalText('not_found')));
  }
}
