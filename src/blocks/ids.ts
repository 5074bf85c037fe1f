// Ids shared by the Block Kit builders (which put them in messages and views) and the Slack handlers
// (which listen for them). Input blocks use INPUT_ACTION_ID as their element's action_id.

export const ACTION_IDS = {
  approve: 'request_approve',
  reject: 'request_reject',
  cancel: 'request_cancel',
  openEdit: 'user_open_edit',
  openDeactivate: 'user_open_deactivate',
  openDelete: 'user_open_delete',
  /** The lookup card: the user's request history (value: the user id). */
  userHistory: 'user_history',
  /** Bulk paste modal: one more box for ids. */
  bulkMoreRoom: 'bulk_more_room',
  /** A running batch: stop what has not started. */
  batchStop: 'batch_stop',
  /** A finished batch: a new request for its failed users. */
  batchRetry: 'batch_retry',
  /** A bulk request's card: open the paged list of every user. */
  batchShowAll: 'batch_show_all',
  /** The paged list: go to the page in the button's value (two ids: unique within a view). */
  batchListPrevious: 'batch_list_previous',
  batchListNext: 'batch_list_next',
} as const;

export const CALLBACK_IDS = {
  edit: 'request_edit',
  deactivate: 'request_deactivate',
  delete: 'request_delete',
  reject: 'request_reject_reason',
  notice: 'notice',
  /** Bulk: the ids are pasted (or corrected) here. */
  bulkList: 'bulk_list',
  /** Bulk: who is in, who is left out, the reason; submit creates the request. */
  bulkReview: 'bulk_review',
  /** Bulk: every user of a request, one page at a time. */
  batchList: 'batch_list',
} as const;

export const BLOCK_IDS = {
  firstName: 'first_name',
  lastName: 'last_name',
  image: 'image',
  reason: 'reason',
  confirm: 'confirm',
  rejectReason: 'reject_reason',
  /** Deactivate / delete (single and bulk): the optional scheduled time (a datetimepicker). */
  runAt: 'run_at',
} as const;

/** Bulk paste modal: box n (1-based) is `user_ids_<n>`. */
export const BULK_LIST_BLOCK_PREFIX = 'user_ids_';
export const bulkListBlockId = (box: number): string => `${BULK_LIST_BLOCK_PREFIX}${box}`;
/** Boxes the paste modal can grow to: 7 × 3000 characters hold 500 UUIDs one per line. */
export const MAX_BULK_LIST_BOXES = 7;

export const INPUT_ACTION_ID = 'value';

/** The word a requester types to confirm a delete. */
export const DELETE_CONFIRMATION_WORD = 'DELETE';
