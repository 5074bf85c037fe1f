import type { Policy } from '../approvals/policy.js';
import type { RequestStore } from '../approvals/store/store.js';
import type { Logger } from '../logger.js';
import type { AttemptInfo } from './execute.js';
import type { ApproverMessenger } from './ports.js';
import type { JobProducer } from './producer.js';

/** Most approvers one request DMs; the rest still see the channel message. */
export const MAX_APPROVER_DMS = 50;

export interface FanOutDeps {
  store: Pick<RequestStore, 'get'>;
  policy: Pick<Policy, 'approvers'>;
  producer: Pick<JobProducer, 'dmApprovers'>;
  logger: Logger;
}

/**
 * Finds everyone who may approve a pending request, except its requester, and adds one DM job each.
 * A user group lookup that fails throws, so the job is retried; the DM jobs' ids keep each DM single.
 */
export async function fanOutApproverDms(requestId: string, deps: FanOutDeps): Promise<void> {
  const request = await deps.store.get(requestId);
  if (request?.state !== 'pending') return;
  const approvers = (await deps.policy.approvers()).filter((userId) => userId !== request.requesterId);
  if (approvers.length > MAX_APPROVER_DMS) {
    deps.logger.warn(
      { requestId, approvers: approvers.length, dms: MAX_APPROVER_DMS },
      'approver DMs capped: only the first approvers get one',
    );
  }
  await deps.producer.dmApprovers(requestId, approvers.slice(0, MAX_APPROVER_DMS));
}

export interface DmDeps {
  store: Pick<RequestStore, 'get'>;
  messenger: ApproverMessenger;
  logger: Logger;
}

/**
 * DMs one approver while the request is still pending. A refusal that will not change (`cannot_dm_bot`,
 * `user_not_found`, …) is logged and dropped; an outage throws, so the job retries, until the last attempt.
 */
export async function sendApproverDm(
  requestId: string,
  userId: string,
  attempt: AttemptInfo,
  deps: DmDeps,
  now: number,
): Promise<void> {
  const request = await deps.store.get(requestId);
  if (request?.state !== 'pending' || !request.messageTs || now >= request.expiresAt) return;
  const sent = await deps.messenger.directMessage(request, userId);
  if (sent.ok) return;
  const log = { requestId, userId, error: sent.error, attempt: attempt.attempt };
  if (sent.retryable && attempt.attempt < attempt.maxAttempts) {
    deps.logger.warn(log, 'approver DM failed; will retry');
    throw new Error(`approver DM failed: ${sent.error}`);
  }
  deps.logger.warn(log, 'approver DM not sent');
}
