import type { FetchFunction } from '@slack/web-api';
import type { Job, Queue } from 'bullmq';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { StoreTransition } from './approvals/store/store.js';
import { processRedactor, redactAndCut } from './redact.js';
import type { DurableMoment } from './replication.js';

const PREFIX = 'cipher_user_';
const QUEUE_STATES = ['waiting', 'active', 'delayed', 'prioritized', 'waiting-children', 'failed'] as const;

/** Something that emits BullMQ's worker events (a Worker). */
interface WorkerEvents {
  on(event: 'completed', listener: (job: Job) => void): unknown;
  on(event: 'failed', listener: (job: Job | undefined, err: Error) => void): unknown;
}

/** The Prometheus metrics of one runtime, on a registry of its own (never prom-client's global one). */
export class Metrics {
  readonly registry = new Registry();

  private readonly requests = new Counter({
    name: `${PREFIX}requests_total`,
    help: 'Approval request transitions (created, approval, approved, rejected, succeeded, failed…) by action',
    labelNames: ['action', 'transition'] as const,
    registers: [this.registry],
  });

  private readonly approvalWait = new Histogram({
    name: `${PREFIX}approval_wait_seconds`,
    help: 'Time from a request being posted to its quorum',
    labelNames: ['action'] as const,
    buckets: [10, 30, 60, 300, 900, 1800, 3600, 4 * 3600, 12 * 3600, 24 * 3600],
    registers: [this.registry],
  });

  private readonly jobDuration = new Histogram({
    name: `${PREFIX}job_duration_seconds`,
    help: 'Time a worker spent on one job attempt, by queue, job kind and status',
    labelNames: ['queue', 'name', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  private readonly jobAttempts = new Histogram({
    name: `${PREFIX}job_attempts`,
    help: 'Attempts a job took, observed when it completes or fails for good',
    labelNames: ['queue', 'name', 'status'] as const,
    buckets: [1, 2, 3, 5, 8, 13, 20],
    registers: [this.registry],
  });

  private readonly cipherscale = new Histogram({
    name: `${PREFIX}cipherscale_request_duration_seconds`,
    help: 'Cipherscale API calls by operation and HTTP status (or timeout / connection)',
    labelNames: ['operation', 'status'] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });

  private readonly answered = new Histogram({
    name: `${PREFIX}slack_request_duration_seconds`,
    help: 'HTTP mode: from a request from Slack arriving to its answer (the ack) being sent; Slack gives up at 3 s',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5],
    registers: [this.registry],
  });

  private readonly slackCalls = new Counter({
    name: `${PREFIX}slack_api_calls_total`,
    help: 'Slack Web API calls by method and result (ok, or the Slack error code)',
    labelNames: ['method', 'result'] as const,
    registers: [this.registry],
  });

  private readonly slackErrors = new Counter({
    name: `${PREFIX}slack_api_errors_total`,
    help: 'Slack Web API calls that failed (ok:false, HTTP errors, network errors) by method and error',
    labelNames: ['method', 'error'] as const,
    registers: [this.registry],
  });

  private readonly unreplicated = new Counter({
    name: `${PREFIX}redis_unreplicated_total`,
    help: 'Writes a user was told about that no replica acknowledged within REDIS_WAIT_MS, by moment',
    labelNames: ['moment'] as const,
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: PREFIX });
  }

  /** Counts a state change where the store made it, so no log level or missed log line can lose it. */
  transition({ request, transition, waitedMs }: StoreTransition): void {
    this.requests.inc({ action: request.action, transition });
    if (transition === 'approved' && waitedMs !== undefined && waitedMs >= 0) {
      this.approvalWait.observe({ action: request.action }, waitedMs / 1000);
    }
  }

  /** A WAIT at `moment` came back short (src/replication.ts): the write may be lost if the primary fails now. */
  redisUnreplicated(moment: DurableMoment): void {
    this.unreplicated.inc({ moment });
  }

  slackAnswered(durationMs: number): void {
    this.answered.observe(durationMs / 1000);
  }

  cipherscaleCall(operation: string, status: string, durationMs: number): void {
    this.cipherscale.observe({ operation, status }, durationMs / 1000);
  }

  /** Queue depth by state, read from Redis at each scrape. */
  watchQueues(queues: readonly Pick<Queue, 'name' | 'getJobCounts'>[]): void {
    new Gauge({
      name: `${PREFIX}queue_jobs`,
      help: 'Jobs in each queue by state, read at scrape time',
      labelNames: ['queue', 'state'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const queue of queues) {
          const counts = await queue.getJobCounts(...QUEUE_STATES).catch(() => undefined);
          if (!counts) continue;
          for (const state of QUEUE_STATES) this.set({ queue: queue.name, state }, counts[state] ?? 0);
        }
      },
    });
  }

  /** Job durations and attempts from a worker's events. */
  watchWorker(worker: WorkerEvents, queue: string): void {
    const record = (job: Job | undefined, status: 'completed' | 'failed') => {
      if (!job) return;
      const labels = { queue, name: job.name, status };
      if (job.processedOn && job.finishedOn && job.finishedOn >= job.processedOn) {
        this.jobDuration.observe(labels, (job.finishedOn - job.processedOn) / 1000);
      }
      const final = status === 'completed' || job.attemptsMade >= (job.opts.attempts ?? 1);
      // BullMQ counts the attempt that just ended in attemptsMade, whether it completed or failed.
      if (final) this.jobAttempts.observe(labels, Math.max(1, job.attemptsMade));
    };
    worker.on('completed', (job) => record(job, 'completed'));
    worker.on('failed', (job) => record(job, 'failed'));
  }

  /** A fetch for the Slack Web API client that counts every call by method and result. */
  slackFetch(base: FetchFunction = globalThis.fetch as unknown as FetchFunction): FetchFunction {
    return async (url, init) => {
      const method = slackMethod(url);
      let response: FetchResponse;
      try {
        response = await base(url, init);
      } catch (err) {
        if (method) this.slackFailure(method, 'network_error');
        throw err;
      }
      if (!method) return response;
      if (!response.ok) {
        this.slackFailure(method, response.status === 429 ? 'ratelimited' : `http_${response.status}`);
        return response;
      }
      // Read the body once and hand the client the text (a clone would tee the stream: costly per call).
      const text = await response.text();
      const error = slackError(text);
      if (error === undefined) this.slackCalls.inc({ method, result: 'ok' });
      else this.slackFailure(method, error);
      return {
        ok: response.ok,
        status: response.status,
        statusText: response.statusText,
        url: response.url,
        headers: response.headers,
        text: async () => text,
        json: async () => JSON.parse(text) as unknown,
        arrayBuffer: async () => new TextEncoder().encode(text).buffer as ArrayBuffer,
      };
    };
  }

  async text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  private slackFailure(method: string, error: string) {
    this.slackCalls.inc({ method, result: error });
    this.slackErrors.inc({ method, error });
  }
}

type FetchResponse = Awaited<ReturnType<FetchFunction>>;

/** Slack's error code when the answer says `ok: false`; undefined when it is ok. */
function slackError(text: string): string | undefined {
  try {
    const body = JSON.parse(text) as { ok?: unknown; error?: unknown };
    if (body.ok !== false) return undefined;
    return typeof body.error === 'string' ? redactAndCut(processRedactor(), body.error, 60) : 'unknown';
  } catch {
    return 'unreadable_answer';
  }
}

/** `chat.postMessage` from `https://slack.com/api/chat.postMessage`; undefined for other URLs (file uploads). */
export function slackMethod(url: string | URL): string | undefined {
  const path = typeof url === 'string' ? safePath(url) : url.pathname;
  const match = path?.match(/\/api\/([a-zA-Z]+(?:\.[a-zA-Z]+)+)$/);
  return match?.[1];
}

function safePath(url: string): string | undefined {
  try {
    return new URL(url).pathname;
  } catch {
    return undefined;
  }
}
