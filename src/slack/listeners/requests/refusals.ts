import type { QuorumCheck, RequestPermission } from '../../../approvals/policy.js';
import type { Action } from '../../../approvals/types.js';

// What a user is told when the server refuses them. Trusted mrkdwn (no user text in it).
export type Refusal =
  | 'not_approver'
  | 'self_approval'
  | 'not_requester'
  | 'not_looker'
  | 'lookup_channel'
  | 'other_team'
  | 'channel'
  | 'cannot_verify'
  | 'not_found'
  | 'wrong_message'
  | 'only_requester_cancels'
  | 'only_requester_or_approver_cancels'
  | 'requester_rejects';

const TEXT: Record<Refusal, string> = {
  not_approver: ':no_entry: You are not an approver for cipher-user requests. Nothing was changed.',
  self_approval: ':no_entry: You cannot approve your own request; another approver has to.',
  not_requester:
    ':no_entry: You are not allowed to request changes with cipher-user. Ask an admin to add you.',
  not_looker:
    ':no_entry: You are not allowed to look up Cipherscale users with cipher-user. Ask an admin to add you.',
  lookup_channel:
    ':no_entry: cipher-user lookups cannot be made from this channel. Use one of the allowed channels.',
  other_team:
    ':no_entry: cipher-user only works for members of the workspace that installed it. Nothing was looked up or changed.',
  channel:
    ':no_entry: cipher-user requests cannot be made from this channel. Use one of the allowed channels.',
  cannot_verify:
    ':warning: cipher-user could not check your permissions with Slack just now. Nothing was changed; try again in a minute.',
  not_found:
    ':warning: This request no longer exists (it may have been cleaned up after its retention period).',
  wrong_message: ':no_entry: That button does not belong to this request. Nothing was changed.',
  only_requester_cancels: ':no_entry: Only the person who made the request can cancel it.',
  only_requester_or_approver_cancels:
    ':no_entry: Only the person who made the request or an approver can cancel a scheduled change. Nothing was changed.',
  requester_rejects: ':information_source: You made this request: use *Cancel* to withdraw it.',
};

export function refusalText(refusal: Refusal): string {
  return TEXT[refusal];
}

/** Why a policy answer refuses a request or a lookup; undefined when it allows it. No answer fails closed. */
export function permissionRefusal(
  permission: RequestPermission | undefined,
  asked: 'request' | 'lookup',
): Refusal | undefined {
  if (permission?.ok) return undefined;
  if (!permission) return 'cannot_verify';
  if (asked === 'lookup') return permission.reason === 'user' ? 'not_looker' : 'lookup_channel';
  return permission.reason === 'user' ? 'not_requester' : 'channel';
}

const QUORUM_SETTING: Record<Action, string> = {
  edit: 'REQUIRED_APPROVALS_EDIT',
  deactivate: 'REQUIRED_APPROVALS_DEACTIVATE',
  delete: 'REQUIRED_APPROVALS_DELETE',
};
const NOUN: Record<Action, string> = { edit: 'An edit', deactivate: 'A deactivation', delete: 'A deletion' };

/** A quorum nobody could reach for this requester, with the numbers and the settings to change. */
export function quorumRefusal(action: Action, check: QuorumCheck): string | undefined {
  if (check.ok) return undefined;
  const who =
    check.approvers === 0
      ? 'nobody other than you can approve it'
      : `only ${check.approvers} ${check.approvers === 1 ? 'approver' : 'approvers'} other than you can approve it`;
  return (
    `:no_entry: ${NOUN[action]} needs ${check.required} ${check.required === 1 ? 'approval' : 'approvals'}, but ${who}: the request could never be approved, so nothing was stored. ` +
    `Ask whoever runs cipher-user to add approvers (APPROVER_USER_IDS, APPROVER_USERGROUP_IDS) or lower ${QUORUM_SETTING[action]}.`
  );
}
