import { type AuditFields, type AuditSubject, audit } from '../audit.js';
import type { Logger } from '../logger.js';
import { type NotifyEvent, type RequestEvent, toNotifyEvent } from './events.js';
import type {
  ApproveResult,
  CreateLimits,
  CreateResult,
  DecideResult,
  NewRequest,
  RequestStore,
  StoreTransition,
  TransitionResult,
} from './store/store.js';
import type { Action, ApprovalRequest, BatchRequest, ItemOutcome, Outcome } from './types.js';

// Every transition happens here, with what accompanies it. README.md beside this file.

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
  scheduleSummary(requestId: string): Promise<void>;
  notify(requestId: string, event: NotifyEvent): Promise<void>;
}

/** Counts transitions (src/metrics.ts). */
export interface TransitionCounter {
  transition(change: StoreTransition): void;
}

export interface WorkflowDeps {
  store: RequestStore;
  jobs: Jobs;
  notifier: Notifier;
  metrics: TransitionCounter;
  logger: Logger;
  now: () => number;
}

/** What an outcome says before it is stamped with its attempts and time. */
export type Result = Omit<Outcome, 'attempts' | 'at'>;

const WORKING = ['approved', 'queued', 'running'] as const;

const INTERNAL_ERROR: Result = {
  ok: false,
  code: 'internal_error',
  summary: 'cipher-user could not finish this request (internal error); check the user in Cipherscale.',
};

const ITEM_INTERNAL_ERROR: Omit<ItemOutcome, 'at'> = {
  ok: false,
  code: 'internal_error',
  summary: 'cipher-user could not finish this user (internal error); check the user in Cipherscale.',
  attempts: 0,
};

/**
 * Each method is one transition: the store's atomic change, then its audit line, its metric, its
 * event to the notifier and its jobs. Callers (Slack handlers, job processors) only map the result.
 */
export class Workflow {
  constructor(private readonly deps: WorkflowDeps) {}

  get now(): () => number {
    return this.deps.now;
  }

  /** Stores a new request within the limits; it is audited once its message is posted (`posted`). */
  async create(request: NewRequest, limits: CreateLimits): Promise<CreateResult> {
    const created = await this.deps.store.tryCreate(request, limits);
    if (created.outcome === 'created') this.count(created.request, 'pending');
    return created;
  }

  /** The approval message is visible: audited before anything else can fail, linked, its expiry queued. */
  async posted(request: ApprovalRequest, channelId: string, ts: string): Promise<void> {
    this.audit(request, 'pending', { actor: request.requesterId });
    await this.deps.store.setMessage(request.id, channelId, ts);
    // A job that cannot be queued now is added by the sweeper (src/queue/sweeper.ts).
    await this.deps.jobs
      .scheduleExpiry(request.id, request.expiresAt - this.deps.now())
      .catch((err: unknown) => this.warn(request.id, err, 'could not queue the expiry'));
  }

  async approve(id: string, userId: string): Promise<ApproveResult> {
    const result = await this.deps.store.approve(id, userId, this.deps.now());
    switch (result.outcome) {
      case 'expired':
        await this.expired(result.request, userId);
        break;
      case 'counted':
        this.transitioned(result.request, 'approval', {
          actor: userId,
          approvals: result.request.approvals.length,
        });
        await this.tell(result.request, { kind: 'approved', by: userId });
        break;
      case 'quorum': {
        const { request } = result;
        const waitedMs = Math.max(...request.approvals.map((a) => a.at)) - request.createdAt;
        this.deps.metrics.transition({ request, transition: 'approved', waitedMs });
        this.audit(request, 'approved', { actor: userId, waitedMs: this.deps.now() - request.createdAt });
        // "approved" is replaced by "queued" at once: only "queued" is rendered.
        const queued = await this.queue(request, { add: true });
        await this.tell(queued ?? request, { kind: 'quorum', by: userId });
        break;
      }
    }
    return result;
  }

  /**
   * Approved → queued: adds the request's job (unless `add` is false: it is known to exist), then moves it
   * on. The one way to queue, for the quorum click and for the sweeper's approved-without-job.
   */
  async queue(
    request: ApprovalRequest,
    options: { add: boolean; actor?: string },
  ): Promise<ApprovalRequest | undefined> {
    if (options.add) {
      if (request.batch) await this.deps.jobs.executeBatch(request);
      else await this.deps.jobs.execute(request.id);
    }
    const moved = await this.deps.store.transition(request.id, ['approved'], 'queued');
    if (!moved.ok) return undefined;
    this.transitioned(moved.request, 'queued', options.actor ? { actor: options.actor } : {});
    return moved.request;
  }

  /** `decided` runs between the store's answer and the channel being told (a modal closes first). */
  async reject(
    id: string,
    userId: string,
    reason: string | undefined,
    decided: (outcome: DecideResult<'rejected' | 'requester'>['outcome']) => Promise<void> = async () =>
      undefined,
  ): Promise<DecideResult<'rejected' | 'requester'>> {
    const result = await this.deps.store.reject(id, userId, reason, this.deps.now());
    await decided(result.outcome);
    if (result.outcome === 'rejected') {
      this.transitioned(result.request, 'rejected', { actor: userId });
      await this.tell(result.request, { kind: 'rejected', by: userId, ...(reason ? { reason } : {}) });
    } else if (result.outcome === 'expired') await this.expired(result.request, userId);
    return result;
  }

  async cancel(id: string, userId: string): Promise<DecideResult<'cancelled' | 'not_requester'>> {
    const result = await this.deps.store.cancel(id, userId, this.deps.now());
    if (result.outcome === 'cancelled') {
      this.transitioned(result.request, 'cancelled', { actor: userId });
      await this.tell(result.request, { kind: 'cancelled', by: userId });
    } else if (result.outcome === 'expired') await this.expired(result.request, userId);
    return result;
  }

  /** Pending past its deadline → expired, said in the channel exactly once. True if it expired it. */
  async expire(id: string, actor?: string): Promise<boolean> {
    const result = await this.deps.store.expire(id, this.deps.now());
    if (result.outcome !== 'expired') return false;
    await this.expired(result.request, actor);
    return true;
  }

  /** Stop a batch: what has not started will not run; the summary then lists who was done. */
  async stop(id: string, userId: string): Promise<DecideResult<'stopped' | 'not_batch' | 'not_running'>> {
    const result = await this.deps.store.stop(id, userId, this.deps.now());
    if (result.outcome !== 'stopped') return result;
    this.transitioned(result.request, 'stopped', { actor: userId });
    await this.deps.jobs
      .stopBatch(id)
      .catch((err: unknown) => this.warn(id, err, 'could not remove the waiting users'));
    await this.tell(result.request, { kind: 'stopped', by: userId });
    await this.deps.jobs.scheduleSummary(id);
    return result;
  }

  /**
   * Approved or queued (a single request: or running again, a retry) → running, one more attempt. No
   * render. Refused, it still answers the record as it is (the caller needs no read of its own).
   */
  async start(
    id: string,
    from: readonly ('approved' | 'queued' | 'running')[] = WORKING,
  ): Promise<TransitionResult> {
    const started = await this.deps.store.transition(id, from, 'running', { incrementAttempts: true });
    if (started.ok) {
      const { request } = started;
      this.transitioned(request, 'running', request.batch ? {} : { attempts: request.attempts });
    }
    return started;
  }

  /** Running → succeeded or failed with `result`, then the outcome post. `running` is what `start` returned. */
  async finish(running: ApprovalRequest, result: Result): Promise<void> {
    const outcome: Outcome = { ...result, attempts: running.attempts, at: this.deps.now() };
    const done = await this.deps.store.transition(
      running.id,
      ['running'],
      outcome.ok ? 'succeeded' : 'failed',
      {
        outcome,
      },
    );
    if (!done.ok) return;
    this.transitioned(done.request, done.request.state, {
      outcome: outcome.code,
      attempts: outcome.attempts,
      apiRequestId: outcome.apiRequestId,
    });
    await this.postOutcome(done.request);
  }

  /** A single request whose job ended without an outcome (a bug, Redis trouble): failed, internal error. */
  async failInternally(
    request: ApprovalRequest,
    fields: Pick<AuditFields, 'actor' | 'err'> = {},
  ): Promise<boolean> {
    const outcome: Outcome = { ...INTERNAL_ERROR, attempts: request.attempts, at: this.deps.now() };
    const done = await this.deps.store.transition(request.id, WORKING, 'failed', { outcome });
    if (!done.ok) return false;
    this.transitioned(done.request, 'failed', { ...fields, outcome: outcome.code });
    await this.postOutcome(done.request);
    return true;
  }

  /**
   * The outcome post. If Slack fails, a `notify` job retries the post on its own schedule: the API call
   * is never repeated because Slack was down, and the state in Redis already says what happened.
   */
  async postOutcome(request: ApprovalRequest): Promise<void> {
    const event = { kind: request.state === 'succeeded' ? ('succeeded' as const) : ('failed' as const) };
    if (await this.tell(request, event)) await this.deps.store.markOutcomePosted(request.id);
  }

  /** One user of a batch is done (the first record stands); refreshes the progress summary. */
  async itemFinished(
    id: string,
    action: Action,
    userId: string,
    outcome: Omit<ItemOutcome, 'at'>,
  ): Promise<void> {
    const first = await this.deps.store.recordItem(id, userId, { ...outcome, at: this.deps.now() });
    if (!first) return;
    this.deps.metrics.transition({ request: { id, action }, transition: 'item' });
    this.audit({ id }, 'item', {
      targetId: userId,
      outcome: outcome.code,
      attempts: outcome.attempts,
      apiRequestId: outcome.apiRequestId,
    });
    await this.deps.jobs.scheduleSummary(id);
  }

  /** Records users a batch never recorded (their job failed for good: a bug, Redis trouble) as internal errors. */
  async itemsLost(request: BatchRequest, userIds: readonly string[]): Promise<void> {
    const lost: ItemOutcome = { ...ITEM_INTERNAL_ERROR, at: this.deps.now() };
    for (const userId of userIds) {
      if (await this.deps.store.recordItem(request.id, userId, lost)) this.count(request, 'item');
    }
  }

  /** A batch's users are all done: succeeded, failed, or (stopped) its result recorded. The request as it is now. */
  async completeBatch(request: BatchRequest, result: Result & { failed: number }): Promise<ApprovalRequest> {
    const outcome: Outcome = { ...result, attempts: 1, at: this.deps.now() };
    if (request.state === 'stopped')
      return (await this.deps.store.completeStopped(request.id, outcome)) ?? request;
    const done = await this.deps.store.transition(request.id, WORKING, outcome.ok ? 'succeeded' : 'failed', {
      outcome,
    });
    if (done.ok) this.transitioned(done.request, done.request.state, { outcome: outcome.code });
    return done.request ?? request;
  }

  /** An audit line for what is not a state change (the sweeper's repairs). */
  note(request: ApprovalRequest, what: string, fields: AuditFields): void {
    this.audit(request, what, fields);
  }

  /**
   * Hands one transition to the notifier; when Slack fails, the same announcement goes to a `notify`
   * job that retries with backoff. True when Slack took it now.
   */
  async tell(request: ApprovalRequest, event?: RequestEvent): Promise<boolean> {
    const sent = await this.deps.notifier.transitioned(request, event);
    if (sent.ok) return true;
    this.deps.logger.warn(
      { requestId: request.id, event: event?.kind, error: sent.error },
      'Slack update failed; retrying in the background',
    );
    await this.deps.jobs.notify(request.id, toNotifyEvent(event));
    return false;
  }

  private async expired(request: ApprovalRequest, actor: string | undefined): Promise<void> {
    this.transitioned(request, 'expired', actor ? { actor } : {});
    await this.tell(request, { kind: 'expired' });
  }

  private transitioned(request: ApprovalRequest, transition: string, fields: AuditFields): void {
    this.count(request, transition);
    this.audit(request, transition, fields);
  }

  private count(request: ApprovalRequest, transition: string): void {
    this.deps.metrics.transition({ request, transition });
  }

  private audit(request: AuditSubject, transition: string, fields: AuditFields): void {
    audit(this.deps.logger, request, transition, fields, this.deps.now());
  }

  private warn(requestId: string, err: unknown, msg: string): void {
    this.deps.logger.warn({ requestId, err: { message: (err as Error).message } }, msg);
  }
}
