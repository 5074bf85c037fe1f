import { type ApprovalRequest, auditTarget } from './approvals/types.js';
import type { Logger } from './logger.js';

export interface AuditFields {
  actor?: string | undefined;
  outcome?: string | undefined;
  attempts?: number | undefined;
  apiRequestId?: string | undefined;
  approvals?: number | undefined;
  /** `approved`: from the request being posted to its quorum. */
  waitedMs?: number | undefined;
  /** A scheduled change (`scheduled`): when it is to run, ISO 8601 UTC. */
  runAt?: string | undefined;
  /** A batch user's line: which user. */
  targetId?: string | undefined;
  err?: { name: string; message: string } | undefined;
}

/** Whom an audit line is about: a request, or only its id (a batch user's line). */
export type AuditSubject = ApprovalRequest | { id: string; action?: undefined };

/** One JSON line per transition, for a SIEM: ids and outcome only, never a profile or a secret. */
export function audit(
  logger: Logger,
  request: AuditSubject,
  transition: string,
  fields: AuditFields,
  now: number,
): void {
  logger.info(
    {
      audit: true,
      requestId: request.id,
      ...('requesterId' in request ? { action: request.action, ...auditTarget(request) } : {}),
      transition,
      ...fields,
      at: new Date(now).toISOString(),
    },
    `request ${transition}`,
  );
}

export type LookupOutcome = 'shown' | 'not_found' | 'refused' | 'failed';

export interface LookupAudit {
  actor: string;
  /** The Cipherscale user id asked for, as given. */
  target: string;
  channel: string;
  team: string | undefined;
  outcome: LookupOutcome;
  /** Which surface asked: the lookup command, or a modal's pre-fetch. */
  via: string;
  /** Why a lookup was refused or failed (a policy reason or a failure kind). */
  reason?: string | undefined;
}

/** One JSON line per lookup ("who looked at this person"); no `transition`, so metrics ignore it. */
export function auditLookup(logger: Logger, lookup: LookupAudit, now: number): void {
  logger.info({ audit: true, kind: 'lookup', ...lookup, at: new Date(now).toISOString() }, 'user lookup');
}
