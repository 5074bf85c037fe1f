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

/** Where a DM is: the conversation (D…) and the message ts. */
export interface DmPlace {
  channel: string;
  ts: string;
}

/**
 * A DM as recorded: whose, where, the record version it shows (-1 when unknown) and a digest of what it
 * shows ('' when unknown), so an update that would change nothing is not sent.
 */
export interface RecordedDm extends DmPlace {
  userId: string;
  shown: number;
  digest: string;
}

type Failed = { ok: false; error: string; retryable: boolean };
/** A DM posted (where Slack put it, the digest of what it shows), or why not. */
export type DmSent = { ok: true; place: DmPlace; digest: string } | Failed;
/** A DM brought up to date (`sent`: false when it already read so), or why not. */
export type DmUpdated = { ok: true; digest: string; sent: boolean } | Failed;

/** The approver DMs a request has (slack/outbound/approver-dms.ts). */
export interface DmRecords {
  record(
    requestId: string,
    userId: string,
    place: DmPlace,
    version: number,
    digest: string,
  ): Promise<boolean>;
  list(requestId: string): Promise<RecordedDm[]>;
  /** An update landed showing `version`: false when a newer one had landed before it. */
  shown(requestId: string, userId: string, version: number, digest: string): Promise<boolean>;
  drop(requestId: string, userId: string): Promise<void>;
}

/** Messages to approvers that are not transitions: a DM about a new request, the reminder before expiry. */
export interface ApproverMessenger {
  /** DMs one approver about a pending request, with a link to its message. */
  directMessage(request: ApprovalRequest, userId: string): Promise<DmSent>;
  /**
   * Re-renders one approver's DM from `request` (the buttons go once it is decided); not sent when it would
   * read as the DM already does, unless `force` (an older render may have landed over it).
   */
  updateDm(
    request: ApprovalRequest,
    dm: RecordedDm,
    permalink: string | undefined,
    force: boolean,
  ): Promise<DmUpdated>;
  /** The request message's permalink for the DMs; undefined when Slack will not say. */
  permalink(request: ApprovalRequest): Promise<string | undefined>;
  /** Posts the reminder in the request's thread, mentioning who it still waits for. */
  remind(request: ApprovalRequest, waiting: Waiting): Promise<SendResult>;
}
