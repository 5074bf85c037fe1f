import type { ApprovalRequest } from '../approvals/types.js';
import type { NotifyResult } from '../approvals/workflow/index.js';
import type { Waiting } from '../blocks/reminder.js';

/** A batch's thread replies: the progress summary (posted once, then updated in place) and the final per-user report. */
export interface BatchReporter {
  /** Posts or refreshes the summary reply from the stored state. */
  summary(requestId: string): Promise<void>;
  /** A progress refresh of the summary: may be skipped to stay within Slack's rate tier (the final one never is). */
  progress(requestId: string): Promise<void>;
  /** Posts every user's result as thread replies. */
  report(requestId: string): Promise<void>;
}

/** A Slack call's failure as data: `retryable` ones (rate limit, outage) are worth another attempt. */
export type SendResult = NotifyResult;

/** Messages to approvers that are not transitions: a DM about a new request, the reminder before expiry. */
export interface ApproverMessenger {
  /** DMs one approver about a pending request, with a link to its message. */
  directMessage(request: ApprovalRequest, userId: string): Promise<SendResult>;
  /** Posts the reminder in the request's thread, mentioning who it still waits for. */
  remind(request: ApprovalRequest, waiting: Waiting): Promise<SendResult>;
}
