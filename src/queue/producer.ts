import type { Queue } from 'bullmq';
import { BACKOFF_TYPE } from './backoff.js';
import { type JobDataByName, type JobName, jobIds, type NotifyEvent } from './registry.js';

export interface ProducerOptions {
  attempts: number;
  /** How long finished jobs stay in Redis (they hold ids only). */
  retentionMs: number;
}

/** Adds jobs; a job id per request makes every add idempotent (BullMQ ignores a duplicate id). */
export class JobProducer {
  constructor(
    private readonly queue: Queue,
    private readonly options: ProducerOptions,
  ) {}

  execute(requestId: string): Promise<void> {
    return this.add(
      'execute',
      { requestId },
      { attempts: this.options.attempts, backoff: { type: BACKOFF_TYPE } },
    );
  }

  scheduleExpiry(requestId: string, delayMs: number): Promise<void> {
    return this.add(
      'expire',
      { requestId },
      { delay: Math.max(0, delayMs), attempts: 10, backoff: { type: 'exponential', delay: 1000 } },
    );
  }

  /** A Slack update that failed, retried in the background (Slack down must not lose the audit trail). */
  notify(requestId: string, event: NotifyEvent): Promise<void> {
    return this.add(
      'notify',
      { requestId, event },
      { attempts: 8, backoff: { type: 'exponential', delay: 2000 } },
    );
  }

  private async add<K extends JobName>(
    name: K,
    data: JobDataByName[K],
    options: { attempts: number; backoff: { type: string; delay?: number }; delay?: number },
  ): Promise<void> {
    const keepSeconds = Math.ceil(this.options.retentionMs / 1000);
    await this.queue.add(name, data, {
      ...options,
      jobId: jobIds[name](data),
      removeOnComplete: { age: keepSeconds, count: 10_000 },
      removeOnFail: { age: keepSeconds, count: 10_000 },
    });
  }
}
