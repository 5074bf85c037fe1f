import type { Queue } from 'bullmq';
import { isScheduled } from '../approvals/schedule.js';
import type { RequestStore, SweepIndex } from '../approvals/store/store.js';
import type { ApprovalRequest } from '../approvals/types.js';
import type { Notifier, Workflow } from '../approvals/workflow/index.js';
import type { CipherscaleClient } from '../cipherscale/client.js';
import type { Logger } from '../logger.js';
import { finalizeBatch } from './batch.js';
import { notifyRequest } from './notify.js';
import type { BatchReporter } from './ports.js';
import type { JobProducer } from './producer.js';
import { jobIds } from './registry.js';
import { reminderAt } from './remind.js';

// What was left undone when a process, Redis or Slack failed between two steps. README.md beside this file.

export interface SweepDeps {
  store: RequestStore;
  /** The requests queue: whether a request's job is still alive. */
  queue: Pick<Queue, 'getJob'>;
  producer: Pick<
    JobProducer,
    'execute' | 'executeBatch' | 'scheduleExpiry' | 'scheduleReminder' | 'notifyApprovers' | 'scheduleStart'
  >;
  workflow: Workflow;
  notifier: Notifier;
  reporter: BatchReporter;
  cipherscale: CipherscaleClient;
  logger: Logger;
  /** App Home changes (or Homes a rate tier put off) recorded by a process that died before adding their job. */
  homes?: { ensureScheduled(): Promise<number | undefined> };
}

export interface SweepOptions {
  /** How long a request sits in a state before the sweeper looks at it (the normal path goes first). */
  graceMs: number;
  /** Requests looked at per index and run: bounded work, however many requests there are. */
  pageSize: number;
  /** NOTIFY_APPROVERS=dm: a new request also has its approver DMs job. */
  approverDms: boolean;
  now: () => number;
}

export type SweepReport = Record<
  'queued' | 'requeued' | 'failed' | 'expired' | 'restored' | 'rescheduled' | 'posted' | 'homes',
  string[]
>;

/** The actor of every audit line the sweeper writes. */
export const SWEEPER = 'sweeper';

// A job in one of these states will still run (or is running): the sweeper leaves its request alone.
const LIVE = new Set(['active', 'waiting', 'waiting-children', 'delayed', 'prioritized']);

/** One pass: approved without a job, working without a live job, pending past expiry or without its jobs, unposted outcomes. */
export async function sweep(deps: SweepDeps, options: SweepOptions): Promise<SweepReport> {
  const report: SweepReport = {
    queued: [],
    requeued: [],
    failed: [],
    expired: [],
    restored: [],
    rescheduled: [],
    posted: [],
    homes: [],
  };
  const each = async (ids: string[], fix: (id: string) => Promise<void>) => {
    for (const id of ids) {
      try {
        await fix(id);
      } catch (err) {
        deps.logger.warn(
          { requestId: id, err: { message: (err as Error).message } },
          'sweep: left for the next run',
        );
      }
    }
  };
  // First, as it is one cheap read: however many requests the pages below hold, Homes are not kept waiting.
  await each(deps.homes ? ['home'] : [], async () => {
    // Idempotent: the generation's job, if it is still waiting, is kept as it is.
    const generation = await deps.homes?.ensureScheduled();
    if (generation !== undefined) report.homes.push(`generation ${generation}`);
  });
  const due = (index: SweepIndex) => deps.store.sweepDue(index, options.graceMs, options.pageSize);
  await each(await due('working'), (id) => working(id, deps, options, report));
  await each(await due('fresh'), (id) => fresh(id, deps, options, report));
  const expiring = await deps.store.dueForExpiry(options.now() - options.graceMs, options.pageSize);
  await each(expiring, async (id) => {
    if (await deps.workflow.expire(id, SWEEPER)) report.expired.push(id);
  });
  await each(await due('unposted'), (id) => unposted(id, deps, report));
  return report;
}

/** A job's BullMQ state, or 'missing'; a job half written by an add Redis refused (in no list) is removed and 'missing'. */
async function jobState(queue: SweepDeps['queue'], jobId: string): Promise<string> {
  const job = await queue.getJob(jobId);
  if (!job) return 'missing';
  const state = await job.getState();
  if (state !== 'unknown') return state;
  await job.remove();
  return 'missing';
}

const executeJobId = (request: ApprovalRequest) =>
  request.batch ? jobIds.batch({ requestId: request.id }) : jobIds.execute({ requestId: request.id });

async function addExecute(request: ApprovalRequest, deps: SweepDeps): Promise<void> {
  if (request.batch) await deps.producer.executeBatch({ ...request, batch: request.batch });
  else await deps.producer.execute(request.id);
}

/** Approved, queued or running: its job must exist and be alive. Re-queueing is safe: the worker re-reads first. */
async function working(
  id: string,
  deps: SweepDeps,
  options: SweepOptions,
  report: SweepReport,
): Promise<void> {
  const before = await deps.store.get(id);
  if (!before || !['approved', 'queued', 'running'].includes(before.state)) {
    await deps.store.leaveSweep('working', id);
    return;
  }
  if (isScheduled(before)) return scheduled(before, deps, options, report);
  // The job first, then the request: a job that finishes in between has already moved the request on.
  const state = await jobState(deps.queue, executeJobId(before));
  const request = await deps.store.get(id);
  if (!request) return;
  if (request.state === 'approved') {
    if (await deps.workflow.queue(request, { add: state === 'missing', actor: SWEEPER }))
      report.queued.push(id);
    return;
  }
  if ((request.state !== 'queued' && request.state !== 'running') || LIVE.has(state)) return;
  if (state === 'missing') {
    await addExecute(request, deps);
    deps.workflow.note(request, 'requeued', { actor: SWEEPER });
    report.requeued.push(id);
    return;
  }
  // Its job failed for good (or ended) without an outcome.
  if (request.batch) {
    await finalizeBatch(id, deps);
    report.failed.push(id);
    return;
  }
  if (await deps.workflow.failInternally(request, { actor: SWEEPER })) report.failed.push(id);
}

/**
 * Approved and waiting for its time: never started early. Before `runAt` its `start` job must exist (a
 * failover that lost it: added again, same id, with the time left); after it, a request whose start job is
 * gone or ended without starting it is started here.
 */
async function scheduled(
  request: ApprovalRequest,
  deps: SweepDeps,
  options: SweepOptions,
  report: SweepReport,
): Promise<void> {
  const left = (request.runAt ?? 0) - options.now();
  const state = await jobState(deps.queue, jobIds.start({ requestId: request.id }));
  if (left > 0) {
    if (LIVE.has(state)) return;
    // One that ended (completed or failed) would keep its id, and the add below would be ignored.
    if (state !== 'missing')
      await (await deps.queue.getJob(jobIds.start({ requestId: request.id })))?.remove();
    await deps.producer.scheduleStart(request.id, left);
    deps.workflow.note(request, 'schedule-restored', { actor: SWEEPER });
    report.rescheduled.push(request.id);
    return;
  }
  if (LIVE.has(state)) return;
  if (await deps.workflow.startScheduled(request.id, SWEEPER)) report.queued.push(request.id);
}

/** A new pending request: its expiry, reminder and approver DM jobs must exist. */
async function fresh(id: string, deps: SweepDeps, options: SweepOptions, report: SweepReport): Promise<void> {
  const request = await deps.store.get(id);
  if (request?.state !== 'pending') {
    await deps.store.leaveSweep('fresh', id);
    return;
  }
  const now = options.now();
  const restored: string[] = [];
  if ((await jobState(deps.queue, jobIds.expire({ requestId: id }))) === 'missing') {
    await deps.producer.scheduleExpiry(id, request.expiresAt - now);
    restored.push('expire');
  }
  // Reminders and DMs link to the message: without it (not recorded yet) look again next run.
  if (request.messageTs) {
    if ((await jobState(deps.queue, jobIds.remind({ requestId: id }))) === 'missing') {
      await deps.producer.scheduleReminder(id, reminderAt(request) - now);
      restored.push('remind');
    }
    if (
      options.approverDms &&
      (await jobState(deps.queue, jobIds['approver-dms']({ requestId: id }))) === 'missing'
    ) {
      await deps.producer.notifyApprovers(id);
      restored.push('approver-dms');
    }
  }
  if (restored.length > 0) {
    deps.workflow.note(request, 'jobs-restored', { actor: SWEEPER, outcome: restored.join(',') });
    report.restored.push(id);
  }
  if (request.messageTs) await deps.store.leaveSweep('fresh', id);
}

/** Finished, outcome (or a batch's final summary and report) not posted, and no live job left to post it. */
async function unposted(id: string, deps: SweepDeps, report: SweepReport): Promise<void> {
  const request = await deps.store.get(id);
  if (!request || request.outcomePosted) {
    await deps.store.leaveSweep('unposted', id);
    return;
  }
  if (request.batch) {
    if (LIVE.has(await jobState(deps.queue, jobIds.batch({ requestId: id })))) return;
    await finalizeBatch(id, deps);
  } else {
    if (request.state !== 'succeeded' && request.state !== 'failed') {
      await deps.store.leaveSweep('unposted', id);
      return;
    }
    const event = { kind: request.state };
    if (LIVE.has(await jobState(deps.queue, jobIds.execute({ requestId: id })))) return;
    if (LIVE.has(await jobState(deps.queue, jobIds.notify({ requestId: id, event })))) return;
    await notifyRequest(id, event, deps);
  }
  const after = await deps.store.get(id);
  if (after?.outcomePosted) {
    deps.workflow.note(after, 'outcome-posted', { actor: SWEEPER });
    report.posted.push(id);
  }
}
