import { describe, expect, it } from 'vitest';
import { requestsConcerning } from '../../src/approvals/concerns.js';
import type { ApprovalRequest, RequestState } from '../../src/approvals/types.js';

const request = (id: string, requesterId: string, state: RequestState, approvers: string[] = []) =>
  ({
    id,
    requesterId,
    state,
    approvals: approvers.map((userId) => ({ userId, at: 0 })),
  }) as unknown as ApprovalRequest;

describe('requestsConcerning', () => {
  const open = [
    request('mine-pending', 'UME', 'pending'),
    request('other-pending', 'UOTHER', 'pending'),
    request('mine-running', 'UME', 'running'),
    request('approved-by-me', 'UOTHER', 'pending', ['UME']),
    request('other-queued', 'UOTHER', 'queued'),
  ];
  const shown = (userId: string, approver: boolean) =>
    requestsConcerning(open, userId, approver).map(({ request: r, role }) => `${r.id}:${role}`);

  it('gives an approver their own requests and the pending ones they have not approved, in order', () => {
    expect(shown('UME', true)).toEqual([
      'mine-pending:requester',
      'other-pending:approver',
      'mine-running:requester',
    ]);
  });

  it('gives anyone else only their own requests', () => {
    expect(shown('UME', false)).toEqual(['mine-pending:requester', 'mine-running:requester']);
    expect(shown('USTRANGER', false)).toEqual([]);
  });
});
