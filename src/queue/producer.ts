import { type FlowProducer, Job, type Queue } from 'bullmq';
import type { NotifyEvent } from '../approvals/events.js';
import type { BatchRequest } from '../approvals/types.js';
import type { Jobs } from '../approvals/workflow/index.js';
import { BACKOFF_TYPE } from './backoff.js';
import { ITEMS_QUEUE_NAME, type JobDataByName, type JobName, jobIds, QUEUE_NAME } from './registry.js';

export interface ProducerOptions {
  attempts: number;
  /** How long finished jobs stay in Redis (they hold ids only). */
  retentionMs: number;
  /** Slack posts retried in the background: attempts and exponential backoff base (default 8 from 2 s). */
  notifyAttempts?: number;
  notifyBackoffMs?: number;
  now: () => number;
}

interface AddOptions {
  attempts: number;
  backoff: { type: string; delay?: number };
  delay?: number;
}

/** Adds jobs; a job id per purpose makes every add idempotent (BullMQ ignores a duplicate id). */
export class JobProducer implements Jobs {
  constructor(
    private readonly queue: Queue,
    private readonly flows: FlowProducer,
    private readonly options: ProducerOptions,
  ) {}

  execute(requestId: string): Promise<void> {
    return this.add('execute', { requestId }, this.retried());
  }

  /**
   * A batch as one flow: a job per user in the rate-limited items queue, and a parent that runs once
   * they have all finished. A user's job that fails unexpectedly does not hold the parent back.
   */
  async executeBatch(request: BatchRequest): Promise<void> {
    const requestId = request.id;
    await this.flows.add({
      name: 'batch',
      queueName: QUEUE_NAME,
      data: { requestId },
      opts: {
        jobId: jobIds.batch({ requestId }),
        ...this.retention(),
        ...this.slackRetried(),
      },
      children: request.batch.targets.map(({ id: userId }) => ({
        name: 'batch-item',
        queueName: ITEMS_QUEUE_NAME,
        data: { requestId, userId },
        opts: {
          jobId: jobIds['batch-item']({ requestId, userId }),
          ...this.retried(),
          ...this.retention(),
          ignoreDependencyOnFailure: true,
        },
      })),
    });
  }

  /** Removes the users' jobs of a batch that have not started; running ones finish. */
  async stopBatch(requestId: string): Promise<void> {
    const parent = await Job.fromId(this.queue, jobIds.batch({ requestId }));
    await parent?.removeUnprocessedChildren();
  }

  /** A progress refresh at the start of the next second; later calls in the same second are folded into it. */
  async scheduleSummary(requestId: string): Promise<void> {
    const now = this.options.now();
    const second = Math.floor(now / 1000) + 1;
    const data = { requestId, second };
    await this.queue.add('summary', data, {
      jobId: jobIds.summary(data),
      delay: Math.max(0, second * 1000 - now),
      attempts: 3,
      backoff: { type: 'exponential', delay: 1000 },
      removeOnComplete: { age: 3600, count: 1000 },
      removeOnFail: { age: 3600, count: 1000 },
    });
  }

  /**
   * The App Home refresh of one generation, `delayMs` from the first change of it; every later add of the
   * same generation (any process) is folded into it, as the summary's are.
   */
  async refreshHomes(generation: number, delayMs: number): Promise<void> {
    const data = { generation };
    await this.queue.add('home', data, {
      jobId: jobIds.home(data),
      delay: Math.max(0, delayMs),
      attempts: 3,
      backoff: { type: 'exponential', delay: 1000 },
      removeOnComplete: { age: 3600, count: 1000 },
      removeOnFail: { age: 3600, count: 1000 },
    });
  }

  scheduleExpiry(requestId: string, delayMs: number): Promise<void> {
    return this.add(
      'expire',
      { requestId },
      { delay: Math.max(0, delayMs), attempts: 10, backoff: { type: 'exponential', delay: 1000 } },
    );
  }

  /**
   * A scheduled change's start, `delayMs` from now by the injected clock (BullMQ counts the delay on the
   * machine's); the same job id however often it is added (quorum, sweeper). The worker checks the time again.
   */
  scheduleStart(requestId: string, delayMs: number): Promise<void> {
    return this.add(
      'start',
      { requestId },
      { delay: Math.max(0, delayMs), attempts: 10, backoff: { type: 'exponential', delay: 1000 } },
    );
  }

  /** Removes a scheduled start that has not run (best effort: a start that runs anyway finds it cancelled). */
  async unscheduleStart(requestId: string): Promise<void> {
    const job = await Job.fromId(this.queue, jobIds.start({ requestId }));
    if (job && !(await job.isActive())) await job.remove();
  }

  /** The one thread reminder, delayed to its time (see `reminderAt`); retried like `notify`. */
  scheduleReminder(requestId: string, delayMs: number): Promise<void> {
    return this.add('remind', { requestId }, { delay: Math.max(0, delayMs), ...this.slackRetried() });
  }

  /** Approver DMs for a new request: one job finds the approvers (Slack user groups), then one job each. */
  notifyApprovers(requestId: string): Promise<void> {
    return this.add('approver-dms', { requestId }, this.slackRetried());
  }

  /** One DM job per approver; the job id makes each approver's DM a single job, however often this runs. */
  async dmApprovers(requestId: string, userIds: readonly string[]): Promise<void> {
    await this.queue.addBulk(
      userIds.map((userId) => {
        const data = { requestId, userId };
        return {
          name: 'approver-dm',
          data,
          opts: {
            jobId: jobIds['approver-dm'](data),
            ...this.slackRetried(),
            ...this.retention(),
          },
        };
      }),
    );
  }

  /** The approver DMs brought to this version of the request (or one approver's); retried like `notify`. */
  updateDms(requestId: string, version: number, userId?: string): Promise<void> {
    const data = userId ? { requestId, version, userId } : { requestId, version };
    return this.add('dm-update', data, this.slackRetried());
  }

  /** A Slack update that failed, retried in the background (Slack down must not lose the audit trail). */
  notify(requestId: string, event: NotifyEvent): Promise<void> {
    return this.add('notify', { requestId, event }, this.slackRetried());
  }

  private retried(): AddOptions {
    return { attempts: this.options.attempts, backoff: { type: BACKOFF_TYPE } };
  }

  private slackRetried(): AddOptions {
    return {
      attempts: this.options.notifyAttempts ?? 8,
      backoff: { type: 'exponential', delay: this.options.notifyBackoffMs ?? 2000 },
    };
  }

  private retention() {
    const keepSeconds = Math.ceil(this.options.retentionMs / 1000);
    return {
      removeOnComplete: { age: keepSeconds, count: 10_000 },
      removeOnFail: { age: keepSeconds, count: 10_000 },
    };
  }

  private async add<K extends JobName>(name: K, data: JobDataByName[K], options: AddOptions): Promise<void> {
    await this.queue.add(name, data, { ...options, jobId: jobIds[name](data), ...this.retention() });
  }
}
