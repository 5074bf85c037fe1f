import type { Logger } from '../../logger.js';
import type { Needs } from '../../policy/needs.js';
import type { DurableMoment } from '../../replication.js';
import type { NotifyEvent, RequestEvent } from '../events.js';
import type { RequestStore, StoreTransition } from '../store/store.js';
import type { ApprovalRequest, BatchRequest, Outcome } from '../types.js';

// The workflow's ports: what it needs of the outside, implemented in queue/, slack/ and metrics.ts.

/** A Slack call's failure as data: `retryable` ones (rate limit, outage) are worth another attempt. */
export type NotifyResult = { ok: true } | { ok: false; error: string; retryable: boolean };

/** The outbound side: tells the channel (and the App Homes) about one transition. Never throws for Slack. */
export interface Notifier {
  /**
   * Renders `request`'s message from the state its caller just wrote (and again if it has moved on
   * since), then the thread note for `event`; no event, no note.
   */
  transitioned(request: ApprovalRequest, event?: RequestEvent): Promise<NotifyResult>;
}

/** The jobs a transition adds (implemented by queue/producer.ts). */
export interface Jobs {
  execute(requestId: string): Promise<void>;
  executeBatch(request: BatchRequest): Promise<void>;
  stopBatch(requestId: string): Promise<void>;
  scheduleExpiry(requestId: string, delayMs: number): Promise<void>;
  /** A scheduled change: its start job, `delayMs` from now. */
  scheduleStart(requestId: string, delayMs: number): Promise<void>;
  unscheduleStart(requestId: string): Promise<void>;
  scheduleSummary(requestId: string): Promise<void>;
  notify(requestId: string, event: NotifyEvent): Promise<void>;
}

/** Counts transitions (src/metrics.ts). */
export interface TransitionCounter {
  transition(change: StoreTransition): void;
}

/**
 * Redis's replication acknowledgement (src/replication.ts): resolves once the writes made so far are on a
 * replica, or once REDIS_WAIT_MS has passed (it then warns and counts). Throws on Redis errors.
 */
export interface Replicas {
  confirm(moment: DurableMoment, context?: Record<string, unknown>): Promise<unknown>;
}

export interface WorkflowDeps {
  store: RequestStore;
  jobs: Jobs;
  notifier: Notifier;
  metrics: TransitionCounter;
  logger: Logger;
  now: () => number;
  /**
   * An approver's credits for a request with `needs` (approvals/policy.ts). Without it no approval earns a
   * group's credit, so a group requirement is never met: closed, not open.
   */
  credits?: (userId: string, needs: Needs) => Promise<string[]>;
  /**
   * Confirms on a replica, before anyone is told, a new request, a reached quorum and a change about to be
   * attempted. Without it nothing waits (a single instance, tests of the workflow alone).
   */
  replicas?: Replicas;
}

/** What an outcome says before it is stamped with its attempts and time. */
export type Result = Omit<Outcome, 'attempts' | 'at'>;
