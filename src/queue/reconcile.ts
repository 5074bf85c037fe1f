import type { RequestStore } from '../approvals/store.js';
import type { Logger } from '../logger.js';
import type { JobProducer } from './producer.js';

/** How long an approved request may wait for its job before it counts as lost. */
const LOST_AFTER_MS = 10_000;

/**
 * Re-queues approved requests whose job never made it into Redis (the app or Redis failed between
 * reaching quorum and adding the job). Safe on every replica at once: the job id is the request id.
 */
export async function requeueLost(
  deps: { store: RequestStore; producer: Pick<JobProducer, 'execute' | 'executeBatch'>; logger: Logger },
  now: number = Date.now(),
): Promise<string[]> {
  const requeued: string[] = [];
  for (const request of await deps.store.listOpen(1000)) {
    if (request.state !== 'approved') continue;
    const quorumAt = Math.max(request.createdAt, ...request.approvals.map((a) => a.at));
    if (now - quorumAt < LOST_AFTER_MS) continue;
    if (request.batch) await deps.producer.executeBatch(request);
    else await deps.producer.execute(request.id);
    await deps.store.transition(request.id, ['approved'], 'queued');
    deps.logger.warn({ requestId: request.id }, 'approved request had no job: queued it');
    requeued.push(request.id);
  }
  return requeued;
}
