import type { RequestStore } from '../approvals/store/store.js';
import { auditTarget } from '../approvals/types.js';
import type { Logger } from '../logger.js';
import type { Announcer } from './announcer.js';

export interface ExpireDeps {
  store: RequestStore;
  announcer: Announcer;
  logger: Logger;
}

/** Expires a request still pending at its deadline; says so in the channel exactly once. True if it did. */
export async function expireRequest(
  requestId: string,
  deps: ExpireDeps,
  now: number = Date.now(),
  actor?: string,
): Promise<boolean> {
  const result = await deps.store.expire(requestId, now);
  if (result.outcome !== 'expired') return false;
  deps.logger.info(
    {
      audit: true,
      requestId,
      action: result.request.action,
      ...auditTarget(result.request),
      transition: 'expired',
      ...(actor ? { actor } : {}),
    },
    'request expired',
  );
  await deps.announcer.announce(requestId, { kind: 'expired' });
  return true;
}
