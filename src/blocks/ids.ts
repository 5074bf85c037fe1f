// Ids shared by the Block Kit builders (which put them in messages and views) and the Slack handlers
// (which listen for them). Input blocks use INPUT_ACTION_ID as their element's action_id.

export const ACTION_IDS = {
  approve: 'request_approve',
  reject: 'request_reject',
  cancel: 'request_cancel',
  openEdit: 'user_open_edit',
  openDeactivate: 'user_open_deactivate',
  openDelete: 'user_open_delete',
} as const;

export const CALLBACK_IDS = {
  edit: 'request_edit',
  deactivate: 'request_deactivate',
  delete: 'request_delete',
  reject: 'request_reject_reason',
  notice: 'notice',
} as const;

export const BLOCK_IDS = {
  firstName: 'first_name',
  lastName: 'last_name',
  image: 'image',
  reason: 'reason',
  confirm: 'confirm',
  rejectReason: 'reject_reason',
} as const;

export const INPUT_ACTION_ID = 'value';

/** The word a requester types to confirm a delete. */
export const DELETE_CONFIRMATION_WORD = 'DELETE';
