/** SIGTERM and SIGINT, heard from the first line of the entry. */
export interface StopSignals {
  /** From now on a signal is kept for `onStop` (something may be running) instead of going to `early`. */
  hold(): void;
  /** `act` gets the first signal kept: at once if it came already, else when it comes. Later ones are ignored. */
  onStop(act: (signal: NodeJS.Signals) => void): void;
}

// No imports: this must run before anything heavy loads (as PID 1, a signal with no handler is dropped).
export function listenForStop(early: (signal: NodeJS.Signals) => void): StopSignals {
  let holding = false;
  let received: NodeJS.Signals | undefined;
  let act: ((signal: NodeJS.Signals) => void) | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (!holding) return early(signal);
    if (received) return;
    received = signal;
    act?.(signal);
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return {
    hold() {
      holding = true;
    },
    onStop(next) {
      act = next;
      if (received) next(received);
    },
  };
}
