import type { RequestStore } from '../approvals/store/store.js';
import type { ApprovalRequest } from '../approvals/types.js';
import type { RequestEvent } from '../blocks/approval-card.js';
import type { Announcer } from './announcer.js';
import type { NotifyEvent } from './registry.js';

export interface NotifyDeps {
  store: RequestStore;
  /** The direct announcer: throws when Slack fails, so the job is retried. */
  announcer: Announcer;
}

/** Re-renders a request's message and adds the missed thread note; marks an outcome as posted. */
export async function notifyRequest(requestId: string, stored: NotifyEvent, deps: NotifyDeps): Promise<void> {
  const request = await deps.store.get(requestId);
  if (!request) return;
  const event = toRequestEvent(stored, request);
  if ((event?.kind === 'succeeded' || event?.kind === 'failed') && request.outcomePosted) return;
  await deps.announcer.announce(requestId, event);
  if (event?.kind === 'succeeded' || event?.kind === 'failed') await deps.store.markOutcomePosted(requestId);
}

function toRequestEvent({ kind, by }: NotifyEvent, request: ApprovalRequest): RequestEvent | undefined {
  switch (kind) {
    case 'approved':
    case 'quorum':
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
