import type { AllMiddlewareArgs, BlockAction, ButtonAction, SlackActionMiddlewareArgs } from '@slack/bolt';
import { bulkListModal } from '../../../blocks/batch-modals.js';
import { BULK_LIST_BLOCK_PREFIX, bulkListBlockId } from '../../../blocks/ids.js';
import { loadingModal, noticeModal } from '../../../blocks/modals.js';
import type { AppContext } from '../../context.js';
import { fillBulkModal } from '../requests/bulk.js';
import { fillOrNotice, openScreen } from '../requests/modal-screen.js';
import { refusalText } from '../requests/refusals.js';
import { inputValues, metadata } from '../views/values.js';
import { requestFor, STATE_WORDS, say } from './decide.js';

type Args = SlackActionMiddlewareArgs<BlockAction<ButtonAction>> & AllMiddlewareArgs;

/**
 * Stop a running batch: an approver or the requester. Users not started yet are not acted on;
 * users in flight finish; the summary then lists exactly who was done.
 */
export function stopBatch(ctx: AppContext) {
  return async (args: Args): Promise<void> => {
    await args.ack();
    const userId = args.body.user.id;
    const found = await requestFor(args, ctx);
    if ('refusal' in found) return say(args, refusalText(found.refusal));
    const { request } = found;
    if (request.requesterId !== userId) {
      const approver = await ctx.policy.isApprover(userId).catch(() => undefined);
      if (approver === undefined) return say(args, refusalText('cannot_verify'));
      if (!approver) return say(args, ':no_entry: Only an approver or the requester can stop a batch.');
    }
    const result = await ctx.workflow.stop(request.id, userId);
    switch (result.outcome) {
      case 'not_found':
        return say(args, refusalText('not_found'));
      case 'not_batch':
      case 'not_running':
      case 'expired':
        return say(
          args,
          `:information_source: This request is ${STATE_WORDS[result.request.state]}; there is nothing to stop.`,
        );
      case 'stopped':
        return;
    }
  };
}

/**
 * Retry failed: a new bulk request for the users that failed, through the same check and approval. The modal
 * opens with the trigger first (it lives 3 seconds); what the batch's Redis records say is shown in it.
 */
export function retryFailed(ctx: AppContext) {
  return async (args: Args): Promise<void> => {
    await args.ack();
    const screen = await openScreen(args.client, args.body.trigger_id, loadingModal(RETRY_TITLE), ctx.logger);
    if (!screen) return;
    const notice = (text: string) => noticeModal(RETRY_TITLE, text);
    await fillOrNotice(screen, ctx.logger, notice, async () => {
      const found = await requestFor(args, ctx);
      if ('refusal' in found) return void (await screen.show(notice(refusalText(found.refusal))));
      const { request } = found;
      if (
        !request.batch ||
        request.action === 'edit' ||
        !['succeeded', 'failed', 'stopped'].includes(request.state)
      )
        return void (await screen.show(notice(':information_source: Only a finished batch can be retried.')));
      const results = await ctx.store.itemResults(request.id);
      const failed = request.batch.targets
        .map((target) => target.id)
        .filter((id) => {
          const result = results.get(id);
          return result !== undefined && !result.ok && result.code !== 'not_run';
        });
      if (failed.length === 0)
        return void (await screen.show(notice(':information_source: No user of this batch failed.')));
      await fillBulkModal(
        screen,
        {
          client: args.client,
          action: request.action,
          list: { userIds: failed, malformed: [], duplicates: 0 },
          requesterId: args.body.user.id,
          channelId: request.channelId,
          reason: request.reason,
          responseUrl: args.body.response_url,
          retryOf: request.id,
        },
        ctx,
      );
    });
  };
}

const RETRY_TITLE = 'Retry failed users';

/** More room in the paste modal: one more box, with what was typed so far kept. */
export function moreRoom(ctx: AppContext) {
  return async (args: Args): Promise<void> => {
    await args.ack();
    const view = args.body.view;
    if (!view) return;
    const draft = await ctx.drafts.get(metadata(view.private_metadata).d);
    if (draft?.kind !== 'bulk' || draft.requesterId !== args.body.user.id) return;
    const values = inputValues(view.state);
    const boxes = Object.keys(values).filter((id) => id.startsWith(BULK_LIST_BLOCK_PREFIX)).length;
    await args.client.views.update({
      view_id: view.id,
      hash: view.hash,
      view: bulkListModal({
        action: draft.action,
        boxes: boxes + 1,
        prefill: Array.from({ length: boxes }, (_, i) => values[bulkListBlockId(i + 1)] ?? ''),
        reason: values.reason ?? draft.reason,
        privateMetadata: view.private_metadata,
      }),
    });
  };
}
