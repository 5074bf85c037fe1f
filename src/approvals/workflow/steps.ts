import { type AuditFields, type AuditSubject, audit } from '../../audit.js';
import type { DurableMoment } from '../../replication.js';
import { type RequestEvent, toNotifyEvent } from '../events.js';
import type { ApprovalRequest } from '../types.js';
import type { WorkflowDeps } from './ports.js';

/** What every transition shares: its audit line and metric, telling the channel, the outcome post. */
export class Steps {
  constructor(protected readonly deps: WorkflowDeps) {}

  /**
   * The outcome post. If Slack fails, a `notify` job retries the post on its own schedule: the API call
   * is never repeated because Slack was down, and the state in Redis already says what happened.
   */
  async postOutcome(request: ApprovalRequest): Promise<void> {
    const event = { kind: request.state === 'succeeded' ? ('succeeded' as const) : ('failed' as const) };
    if (await this.tell(request, event)) await this.deps.store.markOutcomePosted(request.id);
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

  /**
   * The writes so far on a replica before the user is told (`moment`). What already succeeded stands
   * whatever Redis answers: a short WAIT warns in the replication helper, an error is logged here.
   */
  protected async confirm(moment: DurableMoment, requestId: string, fields: Record<string, unknown> = {}) {
    try {
      await this.deps.replicas?.confirm(moment, { requestId, ...fields });
    } catch (err) {
      this.deps.logger.warn(
        { requestId, moment, err: { message: (err as Error).message } },
        'Redis: could not confirm the write on a replica; going on',
      );
    }
  }

  protected async expired(request: ApprovalRequest, actor: string | undefined): Promise<void> {
    this.transitioned(request, 'expired', actor ? { actor } : {});
    await this.tell(request, { kind: 'expired' });
  }

  protected transitioned(request: ApprovalRequest, transition: string, fields: AuditFields): void {
    this.count(request, transition);
    this.audit(request, transition, fields);
  }

  protected count(request: ApprovalRequest, transition: string): void {
    this.deps.metrics.transition({ request, transition });
  }

  protected audit(request: AuditSubject, transition: string, fields: AuditFields): void {
    audit(this.deps.logger, request, transition, fields, this.deps.now());
  }

  protected warn(requestId: string, err: unknown, msg: string): void {
    this.deps.logger.warn({ requestId, err: { message: (err as Error).message } }, msg);
  }
}
