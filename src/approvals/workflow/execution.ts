import type { AuditFields } from '../../audit.js';
import type { TransitionResult } from '../store/store.js';
import type { Action, ApprovalRequest, BatchRequest, ItemOutcome, Outcome } from '../types.js';
import type { Result } from './ports.js';
import { Steps } from './steps.js';

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

/** The worker's side: running, the outcome, a batch's users and its end. */
export class Execution extends Steps {
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

  /**
   * This request is about to call Cipherscale to change `userId`: recorded and confirmed on a replica
   * first, so a run after a failover that lost the outcome knows the change it finds is its own
   * (`attempted`). Throws when Redis cannot record it: then nothing is sent.
   */
  async attempting(id: string, userId: string): Promise<void> {
    await this.deps.store.recordAttempt(id, userId, this.deps.now());
    await this.confirm('change-attempted', id, { targetId: userId });
  }

  /** Whether an earlier run of this request recorded an attempt to change `userId`. */
  async attempted(id: string, userId: string): Promise<boolean> {
    return this.deps.store.attempted(id, userId);
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
}
