import type { AllMiddlewareArgs, BlockAction, ButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import type { ModalView } from '@slack/types';
import { isRequestId } from '../../../approvals/store/store.js';
import type { ApprovalRequest } from '../../../approvals/types.js';
import { batchListModal, batchListPages, clampPage } from '../../../blocks/batch-list.js';
import { CALLBACK_IDS } from '../../../blocks/ids.js';
import { loadingModal, noticeModal } from '../../../blocks/modals.js';
import { bindRequestId } from '../../../logger.js';
import type { AppContext } from '../../context.js';
import { openScreen } from '../requests/modal-screen.js';
import { type Refusal, refusalText } from '../requests/refusals.js';
import { metadata } from '../views/values.js';
import { requestFor } from './decide.js';

type Args = SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs;

const TITLE = 'Bulk request';
const NOT_ALLOWED = ':no_entry: Only approvers and the requester can see the users of a bulk request.';
const NOT_BATCH = ':information_source: This request acts on one user; its message shows them.';

/** Show all on a bulk request's card: a modal at once (the trigger lasts 3 s), then page 1 if allowed. */
export function showAll(ctx: AppContext) {
  return async (args: Args): Promise<void> => {
    await args.ack();
    const screen = await openScreen(args.client, args.body.trigger_id, loadingModal(TITLE), ctx.logger);
    if (!screen) return;
    // A modal closed meanwhile is left alone (logged); nobody is told.
    await screen.show(await listView(ctx, args.body.user.id, await requestFor(args, ctx), 1));
  };
}

/** Previous / Next in the list: the request named by the view, re-read and re-authorised on every page. */
export function listPage(ctx: AppContext) {
  return async (args: Args): Promise<void> => {
    await args.ack();
    const view = args.body.view;
    if (!view || view.callback_id !== CALLBACK_IDS.batchList) return;
    const id = metadata(view.private_metadata).r;
    const request = isRequestId(id) ? await ctx.store.get(id) : undefined;
    if (request) bindRequestId(request.id);
    const found = request ? { request } : { refusal: 'not_found' as const };
    await args.client.views
      .update({
        view_id: view.id,
        hash: view.hash,
        view: await listView(ctx, args.body.user.id, found, args.action.value),
      })
      .catch((err: unknown) => {
        // A second click on the same page: the first one's page stays.
        if ((err as { data?: { error?: unknown } }).data?.error !== 'hash_conflict') throw err;
        ctx.logger.debug({ requestId: request?.id }, 'bulk list page already changed');
      });
  };
}

async function listView(
  ctx: AppContext,
  userId: string,
  found: { request: ApprovalRequest } | { refusal: Refusal },
  page: unknown,
): Promise<ModalView> {
  if ('refusal' in found) return noticeModal(TITLE, refusalText(found.refusal));
  const { request } = found;
  if (!request.batch) return noticeModal(TITLE, NOT_BATCH);
  if (request.requesterId !== userId) {
    const approver = await ctx.policy.isApprover(userId).catch(() => undefined);
    if (approver === undefined) return noticeModal(TITLE, refusalText('cannot_verify'));
    if (!approver) return noticeModal(TITLE, NOT_ALLOWED);
  }
  const shown = clampPage(typeof page === 'number' ? String(page) : page, batchListPages(request.batch));
  ctx.logger.info({ requestId: request.id, actor: userId, page: shown }, 'bulk list shown');
  if (ctx.config.approvals.bulkFullListFirst && request.state === 'pending')
    await ctx.store.markListPage(request.id, userId, shown, request.expiresAt - ctx.now());
  return batchListModal(request, shown, JSON.stringify({ r: request.id }));
}
