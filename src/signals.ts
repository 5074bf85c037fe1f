/** SIGTERM and SIGINT, heard from the first line of the entry and kept until someone acts on them. */
export interface StopSignals {
  /** The first stop signal received so far, if any. */
  readonly received: NodeJS.Signals | undefined;
  /** `act` gets the first signal: at once if it came already, else when it comes. Later ones are ignored. */
  onStop(act: (signal: NodeJS.Signals) => void): void;
}

// No imports: this must run before anything heavy loads (as PID 1, a signal with no handler is dropped).
export function listenForStop(): StopSignals {
  let received: NodeJS.Signals | undefined;
  let act: ((signal: NodeJS.Signals) => void) | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (received) return;
    received = signal;
    act?.(signal);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return {
    get received() {
      return received;
    },
    onStop(next) {
      act = next;
      if (received) next(received);
    },
  };
}
