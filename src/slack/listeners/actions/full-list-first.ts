import type { ApprovalRequest } from '../../../approvals/types.js';
import { batchListPages } from '../../../blocks/batch-list.js';
import type { AppContext } from '../../context.js';

/** With BULK_APPROVE_AFTER_FULL_LIST=on: why this approver may not approve this bulk request yet. */
export async function fullListFirst(
  ctx: AppContext,
  request: ApprovalRequest,
  userId: string,
): Promise<string | undefined> {
  if (!ctx.config.approvals.bulkFullListFirst || !request.batch || request.state !== 'pending') return;
  const pages = batchListPages(request.batch);
  const seen = await ctx.store.listPagesSeen(request.id, userId);
  if (seen >= pages) return;
  return (
    `:eyes: Open *Show all* on this request and page through all ${pages} ${pages === 1 ? 'page' : 'pages'} ` +
    `of its users before approving (you have seen ${seen}). Nothing was approved.`
  );
}
