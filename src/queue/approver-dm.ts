import type { Policy } from '../approvals/policy.js';
import type { RequestStore } from '../approvals/store/store.js';
import type { Logger } from '../logger.js';
import type { AttemptInfo } from './execute.js';
import type { ApproverMessenger, DmPlace, DmRecords } from './ports.js';
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
  const approvers = (await deps.policy.approvers(request)).filter((userId) => userId !== request.requesterId);
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
  dms: DmRecords;
  producer: Pick<JobProducer, 'updateDms'>;
  logger: Logger;
}

/**
 * DMs one approver while the request is still pending, and records where the DM is (a click there is then
 * taken as one on the request, and `dm-update` jobs re-render it). A refusal that will not change
 * (`cannot_dm_bot`, `user_not_found`, …) is logged and dropped; an outage throws, so the job retries, until
 * the last attempt. A DM that could not be recorded is not sent again (it would be a second DM): its buttons
 * then answer "not this request's message". If the request moved on while the DM was being posted, a
 * `dm-update` job of its own brings it up to date (one that ran meanwhile did not know of it).
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
  if (sent.ok) return recorded(request.id, userId, sent, request.version, deps);
  const log = { requestId, userId, error: sent.error, attempt: attempt.attempt };
  if (sent.retryable && attempt.attempt < attempt.maxAttempts) {
    deps.logger.warn(log, 'approver DM failed; will retry');
    throw new Error(`approver DM failed: ${sent.error}`);
  }
  deps.logger.warn(log, 'approver DM not sent');
}

async function recorded(
  requestId: string,
  userId: string,
  sent: { place: DmPlace; digest: string },
  version: number,
  deps: DmDeps,
): Promise<void> {
  try {
    if (!(await deps.dms.record(requestId, userId, sent.place, version, sent.digest))) return;
    const latest = await deps.store.get(requestId);
    if (latest && latest.version > version) await deps.producer.updateDms(requestId, latest.version, userId);
  } catch (err) {
    const error = (err as Error).message;
    deps.logger.warn({ requestId, userId, err: { message: error } }, 'approver DM not recorded');
  }
}
