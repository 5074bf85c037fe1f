import type { RequestStore } from '../approvals/store/store.js';
import type { ApprovalRequest } from '../approvals/types.js';
import type { Logger } from '../logger.js';
import type { AttemptInfo } from './execute.js';
import type { ApproverMessenger, DmRecords } from './ports.js';
import type { JobProducer } from './producer.js';

/** Renders of one job: each reads the record again; the last is followed by a warning, not another. */
const MAX_ROUNDS = 3;

export interface DmUpdateDeps {
  store: Pick<RequestStore, 'get'>;
  dms: DmRecords;
  messenger: Pick<ApproverMessenger, 'updateDm' | 'permalink'>;
  logger: Logger;
}

/** States whose DM differs from the one before: an approval counted, a decision. Not the worker's. */
export function changesDms(request: ApprovalRequest): boolean {
  switch (request.state) {
    case 'pending':
      return request.approvals.length > 0;
    case 'approved':
    case 'queued':
    case 'rejected':
    case 'cancelled':
    case 'expired':
      return true;
    default:
      return false;
  }
}

/**
 * Brings every recorded DM of a request (or only `onlyUserId`'s) to the record as it is now. A DM that
 * already shows this version, or reads the same at it (a pending request's DM, until its reader approves;
 * the worker's states, which read as the approval did), is not sent again: retries, duplicate jobs and
 * later versions cost no Slack call. One whose update landed
 * after a newer one (another process) is rendered again, so no DM ends on an older state. A DM Slack will
 * not update (message_not_found, channel gone) is logged and dropped; an outage or a full rate tier throws,
 * so the job retries the DMs not yet updated, until its last attempt, which logs.
 */
export async function updateApproverDms(
  requestId: string,
  attempt: AttemptInfo,
  deps: DmUpdateDeps,
  onlyUserId?: string,
): Promise<void> {
  const overwritten = new Set<string>();
  let link: { permalink: string | undefined } | undefined;
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const request = await deps.store.get(requestId);
    if (!request?.messageTs) return;
    const due = (await deps.dms.list(requestId)).filter(
      (dm) =>
        (onlyUserId === undefined || dm.userId === onlyUserId) &&
        (overwritten.has(dm.userId) || dm.shown < request.version),
    );
    if (due.length === 0) return;
    const forced = new Set(overwritten);
    overwritten.clear();
    link ??= { permalink: await deps.messenger.permalink(request) };
    const retry: Array<{ userId: string; error: string }> = [];
    for (const dm of due) {
      const sent = await deps.messenger.updateDm(request, dm, link.permalink, forced.has(dm.userId));
      if (sent.ok) {
        const newest = await deps.dms.shown(requestId, dm.userId, request.version, sent.digest);
        // Not the newest: a newer render landed first, and one sent here may have landed over it.
        if (!newest && sent.sent) overwritten.add(dm.userId);
        continue;
      }
      const log = { requestId, userId: dm.userId, error: sent.error, attempt: attempt.attempt };
      if (sent.retryable) {
        retry.push({ userId: dm.userId, error: sent.error });
        continue;
      }
      deps.logger.warn(log, 'approver DM not updated; dropped');
      await deps.dms.drop(requestId, dm.userId);
    }
    if (retry.length > 0) {
      const log = { requestId, dms: retry, attempt: attempt.attempt };
      if (attempt.attempt < attempt.maxAttempts) {
        deps.logger.warn(log, 'approver DMs not updated; will retry');
        throw new Error(`approver DMs not updated: ${retry.length}`);
      }
      deps.logger.warn(log, 'approver DMs not updated');
      return;
    }
  }
  deps.logger.warn({ requestId }, 'approver DMs may lag behind the request');
}

/**
 * The notifier's hook (NOTIFY_APPROVERS=dm): a `dm-update` job for each change the DMs show, named by the
 * record version (one job per change, however often it is told). Never throws, never waits on Slack.
 */
export class DmUpdates {
  constructor(
    private readonly producer: Pick<JobProducer, 'updateDms'>,
    private readonly logger: Logger,
  ) {}

  changed(request: ApprovalRequest): void {
    if (!changesDms(request)) return;
    void this.producer
      .updateDms(request.id, request.version)
      .catch((err: unknown) =>
        this.logger.warn(
          { requestId: request.id, err: { message: (err as Error).message } },
          'approver DM update not queued',
        ),
      );
  }
}
