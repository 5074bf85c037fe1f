import type { Policy } from '../approvals/policy.js';
import type { RequestStore } from '../approvals/store/store.js';
import type { ApprovalRequest } from '../approvals/types.js';
import type { Logger } from '../logger.js';
import type { AttemptInfo } from './execute.js';
import type { ApproverMessenger } from './ports.js';

/** The reminder comes at most this long before expiry (and a quarter of the time to decide, if shorter). */
export const REMINDER_LEAD_MAX_MS = 60 * 60_000;

/** When the reminder is due: `expiresAt − min(60 min, ttl / 4)`. */
export function reminderAt(request: Pick<ApprovalRequest, 'createdAt' | 'expiresAt'>): number {
  const ttl = Math.max(0, request.expiresAt - request.createdAt);
  return request.expiresAt - Math.min(REMINDER_LEAD_MAX_MS, Math.floor(ttl / 4));
}

export interface RemindDeps {
  store: Pick<RequestStore, 'get'>;
  policy: Pick<Policy, 'settings'>;
  messenger: ApproverMessenger;
  logger: Logger;
}

/**
 * Posts one reply in a still-pending request's thread: how many approvals are missing, when it expires,
 * mentioning the listed approvers who have not approved (never the requester) and the approver groups.
 * Any other state, or past the expiry, does nothing. Slack failing throws (the job retries) until the last attempt.
 */
export async function remindRequest(
  requestId: string,
  attempt: AttemptInfo,
  deps: RemindDeps,
  now: number,
): Promise<void> {
  const request = await deps.store.get(requestId);
  if (request?.state !== 'pending' || !request.messageTs || now >= request.expiresAt) return;
  const approved = new Set(request.approvals.map((approval) => approval.userId));
  const { approverUserIds, approverUsergroupIds } = deps.policy.settings;
  const sent = await deps.messenger.remind(request, {
    userIds: approverUserIds.filter((id) => id !== request.requesterId && !approved.has(id)),
    usergroupIds: approverUsergroupIds,
  });
  if (sent.ok) {
    deps.logger.info({ requestId }, 'reminder posted');
    return;
  }
  const log = { requestId, error: sent.error, attempt: attempt.attempt };
  if (sent.retryable && attempt.attempt < attempt.maxAttempts) {
    deps.logger.warn(log, 'reminder not posted; will retry');
    throw new Error(`reminder not posted: ${sent.error}`);
  }
  deps.logger.warn(log, 'reminder not posted');
}
