// The start's bound: every step the start awaits (Redis, Slack, the socket) is raced against one
// deadline and against a stop signal, so a dependency that never answers cannot hold the process.

/** What the start is waiting for, as an operator would check it. */
export interface StartStep {
  /** e.g. "Slack (auth.test at https://slack.com/api/)"; never a secret. */
  what: string;
  /** What to look at when it does not answer. */
  check: string;
}

export class StartTimeoutError extends Error {
  override readonly name = 'StartTimeoutError';
  constructor(
    readonly step: StartStep,
    timeoutMs: number,
  ) {
    super(`${step.what} did not answer within ${seconds(timeoutMs)} (START_TIMEOUT_MS). ${step.check}`);
  }
}

export class StartStoppedError extends Error {
  override readonly name = 'StartStoppedError';
  constructor(
    readonly signal: NodeJS.Signals,
    readonly step: StartStep | undefined,
  ) {
    super(`stopped by ${signal} while starting${step ? ` (waiting for ${step.what})` : ''}`);
  }
}

export class StartGate {
  private readonly controller = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private current: StartStep | undefined;

  constructor(timeoutMs: number) {
    this.timer = setTimeout(() => this.abort(new StartTimeoutError(this.waitingFor(), timeoutMs)), timeoutMs);
  }

  /** Rejects (with the reason) when the start runs out of time or is stopped. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** `work`, unless the deadline or a signal comes first. */
  async step<T>(step: StartStep, work: Promise<T> | (() => Promise<T>)): Promise<T> {
    this.signal.throwIfAborted();
    this.current = step;
    const running = typeof work === 'function' ? work() : work;
    // A step abandoned at the deadline may still reject later: nobody is listening then.
    running.catch(() => undefined);
    let onAbort: () => void = () => undefined;
    const aborted = new Promise<never>((_resolve, reject) => {
      onAbort = () => reject(this.signal.reason);
      this.signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([running, aborted]);
    } finally {
      this.signal.removeEventListener('abort', onAbort);
      this.current = undefined;
    }
  }

  /** A stop signal while starting: the step in progress is abandoned. */
  stop(signal: NodeJS.Signals): void {
    this.abort(new StartStoppedError(signal, this.current));
  }

  /** The start is over (done or failed): the deadline no longer applies. */
  done(): void {
    clearTimeout(this.timer);
  }

  private waitingFor(): StartStep {
    return this.current ?? { what: 'The start', check: 'See the lines logged above.' };
  }

  private abort(reason: Error): void {
    clearTimeout(this.timer);
    if (!this.signal.aborted) this.controller.abort(reason);
  }
}

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}
