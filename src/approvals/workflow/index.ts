import { helps, progress } from '../../policy/evaluate.js';
import { waitsToRun } from '../schedule.js';
import type {
  ApproveJudgement,
  ApproveResult,
  CreateLimits,
  CreateResult,
  DecideResult,
  NewRequest,
} from '../store/store.js';
import type { ApprovalRequest } from '../types.js';
import { Execution } from './execution.js';

// Every transition happens here, with what accompanies it. ../README.md, section Workflow.

export type {
  Jobs,
  Notifier,
  NotifyResult,
  Replicas,
  Result,
  TransitionCounter,
  WorkflowDeps,
} from './ports.js';

/** How often an approval of a request with needs is judged again when others keep landing in between. */
const APPROVE_TRIES = 5;

/**
 * `busy`: other approvals kept landing while this one was judged (try again). `would_not_count`: the
 * approver may approve, but this approval would not bring the request closer to its needs (`groups`: their
 * credits).
 */
export type ApproveAnswer =
  | Exclude<ApproveResult, { outcome: 'conflict' }>
  | { outcome: 'busy' }
  | { outcome: 'would_not_count'; request: ApprovalRequest; groups: string[] };

/**
 * Each method is one transition: the store's atomic change, then its audit line, its metric, its
 * event to the notifier and its jobs. Callers (Slack handlers, job processors) only map the result.
 */
export class Workflow extends Execution {
  /** Stores a new request within the limits; it is audited once its message is posted (`posted`). */
  async create(request: NewRequest, limits: CreateLimits): Promise<CreateResult> {
    const created = await this.deps.store.tryCreate(request, limits);
    if (created.outcome !== 'created') return created;
    this.count(created.request, 'pending');
    // The requester is told it exists (the message, the modal) only once a replica has it.
    await this.confirm('request-created', created.request.id);
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

  /**
   * One approval. A request with `needs` is judged first on the record as read (the approver's credits,
   * whether the approval helps, whether it reaches everything); the store takes that judgement for that
   * version only, so when another approval lands in between it is judged again, a few times, then `busy`.
   * Directory errors propagate (the click is told it could not be verified).
   */
  async approve(id: string, userId: string, known?: ApprovalRequest): Promise<ApproveAnswer> {
    for (let attempt = 0; attempt < APPROVE_TRIES; attempt++) {
      // The caller's copy saves a read: `needs` never change, and a stale version is refused by the store.
      const copy = attempt === 0 ? known : undefined;
      const judged = await this.judge(id, userId, copy);
      // A refusal is said from the record as it is now, never from the caller's copy.
      if ('outcome' in judged && judged.outcome === 'would_not_count' && copy) continue;
      if ('outcome' in judged) return judged;
      const result = await this.deps.store.approve(id, userId, this.deps.now(), judged.judgement);
      if (result.outcome === 'conflict') continue;
      await this.approved(result, userId);
      return result;
    }
    return { outcome: 'busy' };
  }

  /** The judgement the store needs for a request with `needs` (none without), or an answer already. */
  private async judge(
    id: string,
    userId: string,
    known: ApprovalRequest | undefined,
  ): Promise<
    | { judgement: ApproveJudgement | undefined }
    | Extract<ApproveAnswer, { outcome: 'not_found' | 'would_not_count' }>
  > {
    const request = known?.id === id ? known : await this.deps.store.get(id);
    if (!request) return { outcome: 'not_found' };
    const { needs } = request;
    if (!needs) return { judgement: undefined };
    const groups = this.deps.credits ? await this.deps.credits(userId, needs) : [];
    const approval = { userId, groups };
    const judgement = {
      groups,
      expectVersion: request.version,
      reaches: progress(needs, [...request.approvals, approval]).satisfied,
    };
    // Not pending, expired, their own or a second click: the store's answer says so.
    const decides =
      request.state === 'pending' &&
      this.deps.now() < request.expiresAt &&
      request.requesterId !== userId &&
      !request.approvals.some((a) => a.userId === userId);
    if (decides && !helps(needs, request.approvals, approval))
      return { outcome: 'would_not_count', request, groups };
    return { judgement };
  }

  private async approved(result: Exclude<ApproveResult, { outcome: 'conflict' }>, userId: string) {
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
        // A scheduled change waits, approved, for its time; one whose time has passed runs at once.
        if (waitsToRun(request, this.deps.now())) {
          await this.waitToRun(request, userId);
          break;
        }
        // "approved" is replaced by "queued" at once: only "queued" is rendered.
        const queued = await this.queue(request, { add: true });
        // One WAIT covers the quorum, the job and queued (one replication stream), before anyone is told.
        await this.confirm('quorum-reached', request.id, { actor: userId });
        await this.tell(queued ?? request, { kind: 'quorum', by: userId });
        break;
      }
    }
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

  /** Approved with its time ahead: the delayed `start` job (the sweeper adds it if this add fails), then the note. */
  private async waitToRun(request: ApprovalRequest, userId: string): Promise<void> {
    const runAt = request.runAt ?? this.deps.now();
    this.audit(request, 'scheduled', { actor: userId, runAt: new Date(runAt).toISOString() });
    await this.deps.jobs
      .scheduleStart(request.id, runAt - this.deps.now())
      .catch((err: unknown) => this.warn(request.id, err, 'could not queue the scheduled start'));
    await this.confirm('quorum-reached', request.id, { actor: userId });
    await this.tell(request, { kind: 'scheduled', by: userId });
  }

  /**
   * A scheduled change's time has come (its `start` job, or the sweeper): approved → queued first, then the
   * job, so a Cancel at the same moment either wins (nothing is queued) or finds it queued. False when the
   * request was no longer waiting (cancelled, or already started). The caller checked the time.
   */
  async startScheduled(id: string, actor?: string): Promise<boolean> {
    const moved = await this.deps.store.transition(id, ['approved'], 'queued');
    if (!moved.ok) return false;
    const { request } = moved;
    this.transitioned(request, 'queued', actor ? { actor } : {});
    // A job that cannot be added now: the sweeper finds the request queued without one and adds it.
    try {
      if (request.batch) await this.deps.jobs.executeBatch({ ...request, batch: request.batch });
      else await this.deps.jobs.execute(request.id);
    } catch (err) {
      this.warn(request.id, err, 'could not queue the scheduled change');
    }
    await this.tell(request);
    return true;
  }

  /**
   * Cancel a scheduled change that is approved and waiting (the caller checked that `userId` is its requester
   * or an approver). Its start job is removed if it can be; one that runs anyway finds it cancelled.
   */
  async cancelScheduled(id: string, userId: string) {
    const result = await this.deps.store.cancelScheduled(id, userId, this.deps.now());
    if (result.outcome !== 'cancelled') return result;
    this.transitioned(result.request, 'cancelled', { actor: userId });
    await this.deps.jobs
      .unscheduleStart(id)
      .catch((err: unknown) => this.warn(id, err, 'could not remove the scheduled start'));
    await this.tell(result.request, { kind: 'cancelled', by: userId });
    return result;
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
}
