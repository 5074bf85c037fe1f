import type { NotifyEvent, RequestEvent } from '../approvals/events.js';
import type { RequestStore } from '../approvals/store/store.js';
import type { ApprovalRequest } from '../approvals/types.js';
import type { Notifier } from '../approvals/workflow/index.js';
import type { Logger } from '../logger.js';

export interface NotifyDeps {
  store: RequestStore;
  notifier: Notifier;
  logger: Logger;
}

/**
 * Re-renders a request's message and adds the missed thread note; marks an outcome as posted. A Slack
 * failure worth retrying throws (the job retries); one that will not change is logged and dropped (an outcome
 * is then marked done all the same: nothing would post it).
 */
export async function notifyRequest(requestId: string, stored: NotifyEvent, deps: NotifyDeps): Promise<void> {
  const request = await deps.store.get(requestId);
  if (!request) return;
  const event = toRequestEvent(stored, request);
  const outcome = event?.kind === 'succeeded' || event?.kind === 'failed';
  if (outcome && request.outcomePosted) return;
  const sent = await deps.notifier.transitioned(request, event);
  if (!sent.ok) {
    if (sent.retryable) throw new Error(`Slack update failed: ${sent.error}`);
    deps.logger.warn({ requestId, event: stored.kind, error: sent.error }, 'Slack update not posted');
    // Refused for good (the message deleted, the channel archived, the bot removed): the outcome stays in
    // Redis and the audit log, and is marked done so that neither jobs nor sweeps retry it forever.
    if (outcome) await deps.store.markOutcomePosted(requestId);
    return;
  }
  if (outcome) await deps.store.markOutcomePosted(requestId);
}

function toRequestEvent({ kind, by }: NotifyEvent, request: ApprovalRequest): RequestEvent | undefined {
  switch (kind) {
    case 'approved':
    case 'quorum':
    case 'scheduled':
    case 'cancelled':
    case 'stopped':
      return by ? { kind, by } : undefined;
    case 'rejected':
      return by ? { kind, by, reason: request.decisionReason } : undefined;
    case 'created':
    case 'expired':
    case 'succeeded':
    case 'failed':
      return { kind };
    default:
      return undefined;
  }
}
