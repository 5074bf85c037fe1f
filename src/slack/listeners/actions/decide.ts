import type { AllMiddlewareArgs, BlockAction, ButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { isScheduled } from '../../../approvals/schedule.js';
import type { ApprovalRequest } from '../../../approvals/types.js';
import { loadingModal, noticeModal, rejectModal } from '../../../blocks/modals.js';
import { bindRequestId } from '../../../logger.js';
import { notCountingText } from '../../../policy/needs-text.js';
import type { AppContext } from '../../context.js';
import { fillOrNotice, openScreen } from '../requests/modal-screen.js';
import { type Refusal, refusalText } from '../requests/refusals.js';
import { fullListFirst } from './full-list-first.js';

type Args = SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs;

export const STATE_WORDS: Record<ApprovalRequest['state'], string> = {
  pending: 'still pending',
  approved: 'already approved',
  queued: 'already approved and queued',
  running: 'already running',
  succeeded: 'already done',
  failed: 'already finished (failed)',
  rejected: 'already rejected',
  cancelled: 'cancelled',
  expired: 'expired',
  stopped: 'stopped',
};

/**
 * Loads the request a button points at, and checks the button sits on that request's own message or on the
 * DM recorded for the clicker (`Keys.dms`); the caller's checks then run the same for both.
 */
export async function requestFor(
  args: Args,
  ctx: AppContext,
): Promise<{ request: ApprovalRequest } | { refusal: Refusal }> {
  const id = args.action.value;
  let request = id ? await ctx.store.get(id) : undefined;
  if (!request) return { refusal: 'not_found' };
  bindRequestId(request.id);
  // A click can beat the bot to recording which message it posted: give that a moment.
  for (let wait = 0; request && !request.messageTs && wait < LINK_WAITS; wait++) {
    await new Promise((resolve) => setTimeout(resolve, LINK_WAIT_MS));
    request = await ctx.store.get(request.id);
  }
  if (!request) return { refusal: 'not_found' };
  const container = args.body.container as { message_ts?: string; channel_id?: string } | undefined;
  const ts = args.body.message?.ts ?? container?.message_ts;
  const channel = args.body.channel?.id ?? container?.channel_id;
  if (ts === undefined || channel === undefined) return { refusal: 'wrong_message' };
  if (ts === request.messageTs && channel === request.channelId) return { request };
  // Or the DM the app sent the clicker about it (NOTIFY_APPROVERS=dm), never anyone else's.
  const dm = await ctx.approverDms.of(request.id, args.body.user.id);
  return dm?.channel === channel && dm.ts === ts ? { request } : { refusal: 'wrong_message' };
}

const LINK_WAITS = 20;
const LINK_WAIT_MS = 50;

export async function say(args: Args, text: string): Promise<void> {
  await args.respond({ response_type: 'ephemeral', replace_original: false, text });
}

/**
 * Approve and Reject: the request behind the button, if the clicker is an approver other than the
 * requester (checked now, from server-side state); otherwise the clicker is told why not.
 */
async function approverClick(
  args: Args,
  ctx: AppContext,
  ownRequest: Refusal,
): Promise<ApprovalRequest | undefined> {
  const checked = await checkApprover(args, ctx, ownRequest);
  if ('refusal' in checked) return void (await say(args, checked.refusal));
  return checked.request;
}

async function checkApprover(
  args: Args,
  ctx: AppContext,
  ownRequest: Refusal,
): Promise<{ request: ApprovalRequest } | { refusal: string }> {
  const found = await requestFor(args, ctx);
  if ('refusal' in found) return { refusal: refusalText(found.refusal) };
  if (found.request.requesterId === args.body.user.id) return { refusal: refusalText(ownRequest) };
  // A rule's named approvers (a group it requires) may approve its requests too.
  const approver = await ctx.policy.mayApprove(args.body.user.id, found.request).catch(() => undefined);
  if (approver === undefined) return { refusal: refusalText('cannot_verify') };
  if (!approver) return { refusal: refusalText('not_approver') };
  return found;
}

/** Approve: server-side checks for every click, then one atomic transition; quorum queues exactly one job. */
export function approve(ctx: AppContext) {
  return async (args: Args): Promise<void> => {
    await args.ack();
    const userId = args.body.user.id;
    const request = await approverClick(args, ctx, 'self_approval');
    if (!request) return;
    const unseen = await fullListFirst(ctx, request, userId);
    if (unseen) return say(args, unseen);
    const result = await ctx.workflow.approve(request.id, userId, request).catch((err: unknown) => {
      // The credits come from Slack's user groups: without them nothing is judged, nothing recorded.
      ctx.logger.warn({ err: { message: (err as Error).message } }, 'approval not judged');
      return undefined;
    });
    if (!result) return say(args, refusalText('cannot_verify'));
    switch (result.outcome) {
      case 'would_not_count': {
        const { needs, approvals } = result.request;
        return say(args, needs ? notCountingText(needs, approvals, { userId, groups: result.groups }) : '');
      }
      case 'busy':
        return say(args, ':hourglass: Others are approving this request right now; try again in a moment.');
      case 'not_found':
        return say(args, refusalText('not_found'));
      case 'self_approval':
        return say(args, refusalText('self_approval'));
      case 'duplicate':
        return say(
          args,
          ':information_source: You already approved this request; each approver counts once.',
        );
      case 'not_pending':
        return say(args, `:information_source: This request is ${STATE_WORDS[result.request.state]}.`);
      case 'expired':
        return say(
          args,
          ':hourglass: This request has expired; nothing was approved. Make a new request if still needed.',
        );
      case 'counted':
      case 'quorum':
        return;
    }
  };
}

/**
 * Reject: asks an approver other than the requester for an optional reason in a modal. A trigger_id lives
 * 3 seconds, so the modal opens before anything is read; the checks then show the form or the refusal in it
 * (and the submit checks again).
 */
export function reject(ctx: AppContext) {
  return async (args: Args): Promise<void> => {
    await args.ack();
    const screen = await openScreen(
      args.client,
      args.body.trigger_id,
      loadingModal(REJECT_TITLE),
      ctx.logger,
    );
    if (!screen) return;
    const notice = (text: string) => noticeModal(REJECT_TITLE, text);
    await fillOrNotice(screen, ctx.logger, notice, async () => {
      const checked = await checkApprover(args, ctx, 'requester_rejects');
      if ('refusal' in checked) return screen.show(notice(checked.refusal));
      const { request } = checked;
      if (request.state !== 'pending')
        return screen.show(notice(`:information_source: This request is ${STATE_WORDS[request.state]}.`));
      return screen.show(rejectModal(request, JSON.stringify({ r: request.id })));
    });
  };
}

const REJECT_TITLE = 'Reject request';

/**
 * Cancel: the requester, while pending; the requester or any approver (checked now, server-side), while an
 * approved change waits for its scheduled time.
 */
export function cancel(ctx: AppContext) {
  return async (args: Args): Promise<void> => {
    await args.ack();
    const userId = args.body.user.id;
    const found = await requestFor(args, ctx);
    if ('refusal' in found) return say(args, refusalText(found.refusal));
    if (isScheduled(found.request)) return cancelScheduled(args, ctx, found.request);
    const result = await ctx.workflow.cancel(found.request.id, userId);
    switch (result.outcome) {
      case 'not_found':
        return say(args, refusalText('not_found'));
      case 'not_requester':
        return say(args, refusalText('only_requester_cancels'));
      case 'not_pending':
        return say(
          args,
          `:information_source: This request is ${STATE_WORDS[result.request.state]}; it can no longer be cancelled.`,
        );
      case 'expired':
        return say(args, ':hourglass: This request had already expired.');
      case 'cancelled':
        return;
    }
  };
}

/** A scheduled change: its requester, or an approver (cannot verify → refuse); the start may win the race. */
async function cancelScheduled(args: Args, ctx: AppContext, request: ApprovalRequest): Promise<void> {
  const userId = args.body.user.id;
  if (request.requesterId !== userId) {
    // A rule-named approver of this request may cancel it too (the same people who may approve it).
    const approver = await ctx.policy.mayApprove(userId, request).catch(() => undefined);
    if (approver === undefined) return say(args, refusalText('cannot_verify'));
    if (!approver) return say(args, refusalText('only_requester_or_approver_cancels'));
  }
  const result = await ctx.workflow.cancelScheduled(request.id, userId);
  switch (result.outcome) {
    case 'not_found':
      return say(args, refusalText('not_found'));
    case 'not_waiting':
      return say(
        args,
        `:information_source: This request is ${STATE_WORDS[result.request.state]}; it can no longer be cancelled.`,
      );
    case 'cancelled':
      return;
  }
}
