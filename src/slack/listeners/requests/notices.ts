import type { ApprovalRequest } from '../../../approvals/types.js';
import { reminderAt } from '../../../queue/remind.js';
import type { AppContext } from '../../context.js';

/**
 * Once a request's message is posted: the reminder before it expires, and with NOTIFY_APPROVERS=dm the
 * approver DMs. Both are jobs (Slack failing retries them); failing to queue them never fails the request.
 */
export async function queueApproverNotices(
  request: ApprovalRequest,
  ctx: Pick<AppContext, 'config' | 'producer' | 'logger' | 'now'>,
): Promise<void> {
  const requestId = request.id;
  const warn = (err: unknown, what: string) =>
    ctx.logger.warn({ requestId, err: { message: (err as Error).message } }, `could not queue ${what}`);
  await ctx.producer
    .scheduleReminder(requestId, reminderAt(request) - ctx.now())
    .catch((err: unknown) => warn(err, 'the reminder'));
  if (ctx.config.approvals.notify !== 'dm') return;
  await ctx.producer.notifyApprovers(requestId).catch((err: unknown) => warn(err, 'approver DMs'));
}
