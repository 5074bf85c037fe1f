import { type ApprovalRequest, auditTarget } from './approvals/types.js';
import type { Logger } from './logger.js';

export interface AuditFields {
  actor?: string | undefined;
  outcome?: string | undefined;
  attempts?: number | undefined;
  apiRequestId?: string | undefined;
  approvals?: number | undefined;
}

/** One JSON line per transition, for a SIEM: ids and outcome only, never a profile or a secret. */
export function audit(
  logger: Logger,
  request: ApprovalRequest,
  transition: string,
  fields: AuditFields = {},
): void {
  logger.info(
    {
      audit: true,
      requestId: request.id,
      action: request.action,
      ...auditTarget(request),
      transition,
      ...fields,
      at: new Date().toISOString(),
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
export function auditLookup(logger: Logger, lookup: LookupAudit): void {
  logger.info({ audit: true, kind: 'lookup', ...lookup, at: new Date().toISOString() }, 'user lookup');
}
