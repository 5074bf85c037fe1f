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
