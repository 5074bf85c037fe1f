interface Waiter {
  check(): void;
  fail(error: Error): void;
}

/**
 * What a fake's `waitFor…` methods share: promises that settle once a probe over the fake's recorded
 * state finds something, re-checked whenever the fake records more, failing at a deadline.
 */
export class Waiters {
  private readonly pending = new Set<Waiter>();

  /** Resolves with the probe's first non-undefined answer; rejects when it throws or at the deadline. */
  until<T>(probe: () => T | undefined, timeoutMs: number, timeoutMessage: () => string): Promise<T> {
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const settle = () => {
        this.pending.delete(waiter);
        clearTimeout(timer);
      };
      const waiter: Waiter = {
        check: () => {
          let found: T | undefined;
          try {
            found = probe();
          } catch (error) {
            waiter.fail(error instanceof Error ? error : new Error(String(error)));
            return;
          }
          if (found === undefined) return;
          settle();
          resolve(found);
        },
        fail: (error) => {
          settle();
          reject(error);
        },
      };
      this.pending.add(waiter);
      waiter.check();
      if (!this.pending.has(waiter)) return;
      timer = setTimeout(() => waiter.fail(new Error(timeoutMessage())), timeoutMs);
    });
  }

  /** Re-checks every waiter: call after recording something. */
  notify(): void {
    for (const waiter of [...this.pending]) waiter.check();
  }

  /** Fails every waiter (the fake is closing). */
  failAll(message: string): void {
    for (const waiter of [...this.pending]) waiter.fail(new Error(message));
  }
}
