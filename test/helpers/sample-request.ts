import type { SingleRequest } from '../../src/approvals/types.js';

// One pending deactivation of Alice, for the pure Block Kit builder tests; each test overrides what it checks.
export const SAMPLE_CREATED = Date.parse('2024-06-03T09:00:00Z');
export const SAMPLE_EXPIRES = Date.parse('2024-06-04T09:00:00Z');

export function sampleRequest(overrides: Partial<SingleRequest> = {}): SingleRequest {
  return {
    id: 'rabcdefghijklmno',
    action: 'deactivate',
    target: {
      id: '59ed689c-e8b4-4e22-8088-9e36e05f76d0',
      firstName: 'Alice',
      lastName: 'Martin',
      email: 'alice.martin@example.com',
      status: 'active',
      isOwner: false,
    },
    reason: 'Left the company',
    requesterId: 'U0REQUESTER',
    channelId: 'C0APPROVALS',
    messageTs: '1717405200.000100',
    requiredApprovals: 1,
    approvals: [],
    state: 'pending',
    createdAt: SAMPLE_CREATED,
    expiresAt: SAMPLE_EXPIRES,
    attempts: 0,
    version: 1,
    ...overrides,
  };
}
