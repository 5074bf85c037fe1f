import type { ApprovalRequest } from './types.js';

/** How a user relates to an open request: they asked for it, or they may still approve it. */
export type Concern = 'requester' | 'approver';

/**
 * The open requests that concern `userId`, in the order given: the ones they made (any open state), and the
 * pending ones they may still approve — they are an approver, not the requester, and have not approved yet.
 */
export function requestsConcerning(
  open: readonly ApprovalRequest[],
  userId: string,
  isApprover: boolean,
): Array<{ request: ApprovalRequest; role: Concern }> {
  return open.flatMap((request): Array<{ request: ApprovalRequest; role: Concern }> => {
    if (request.requesterId === userId) return [{ request, role: 'requester' }];
    const mayApprove =
      isApprover && request.state === 'pending' && !request.approvals.some((a) => a.userId === userId);
    return mayApprove ? [{ request, role: 'approver' }] : [];
  });
}
