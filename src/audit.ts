import type { ApprovalRequest } from './approvals/types.js';
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
  request: Pick<ApprovalRequest, 'id' | 'action' | 'target'>,
  transition: string,
  fields: AuditFields = {},
): void {
  logger.info(
    {
      audit: true,
      requestId: request.id,
      action: request.action,
      targetId: request.target.id,
      transition,
      ...fields,
      at: new Date().toISOString(),
    },
    `request ${transition}`,
  );
}
