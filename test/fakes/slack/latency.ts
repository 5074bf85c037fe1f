// How long the fake Slack takes to answer each call: never instant, so an app that races its own
// calls shows it. FakeSlackOptions.latencyMs wins over FAKE_SLACK_LATENCY_MS ("5" or "5-40").

/** Milliseconds: a fixed delay, or a uniform random one in [min, max]. */
export type Latency = number | readonly [min: number, max: number];

/** A small random delay by default: enough to reorder calls the app sends without waiting. */
export const DEFAULT_LATENCY: Latency = [1, 8];

export const LATENCY_ENV = 'FAKE_SLACK_LATENCY_MS';

/** '5' → 5, '5-40' → [5, 40]; throws on anything else, so a typo is not silently instant. */
export function parseLatency(text: string): Latency {
  const match = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(text);
  if (!match) throw new Error(`${LATENCY_ENV}=${JSON.stringify(text)}: give milliseconds, e.g. 5 or 5-40`);
  const min = Number(match[1]);
  if (match[2] === undefined) return min;
  const max = Number(match[2]);
  if (max < min) throw new Error(`${LATENCY_ENV}=${JSON.stringify(text)}: the range is max-min`);
  return [min, max];
}

/** `env`: the value of FAKE_SLACK_LATENCY_MS (passed in, so that a test can give none). */
export function chooseLatency(option: Latency | undefined, env: string | undefined): Latency {
  if (option !== undefined) return option;
  return env !== undefined && env.trim() !== '' ? parseLatency(env) : DEFAULT_LATENCY;
}

/** Waits one draw of the latency; resolves at once (no timer) for 0. */
export function delayOf(latency: Latency, random: () => number = Math.random): () => Promise<void> {
  const [min, max] = typeof latency === 'number' ? [latency, latency] : latency;
  return () => {
    const ms = min + Math.floor(random() * (max - min + 1));
    return ms <= 0 ? Promise.resolve() : new Promise((resolve) => setTimeout(resolve, ms));
  };
}
