import type { SlackCall, SlackFailure, SlackGate } from './server.js';

// Slack's rate tiers, per method per app per workspace (https://docs.slack.dev/apis/web-api/rate-limits):
// Tier 1 1+/min, Tier 2 20+/min, Tier 3 50+/min, Tier 4 100+/min; chat.postMessage is "special", about one a
// second per channel with short bursts. Each method's page states its tier; the "special" ones without a
// number (auth.test, chat.getPermalink) are held to Tier 4 here, which is stricter than Slack.

export interface Tier {
  /** Calls accepted in any window. */
  limit: number;
  /** Counted per channel as well as per workspace (chat.postMessage). */
  perChannel?: boolean;
  label: string;
}

export const SLACK_TIERS: Readonly<Record<string, Tier>> = {
  'apps.connections.open': { limit: 1, label: 'Tier 1' },
  'usergroups.users.list': { limit: 20, label: 'Tier 2' },
  'chat.update': { limit: 50, label: 'Tier 3' },
  'chat.delete': { limit: 50, label: 'Tier 3' },
  'chat.postEphemeral': { limit: 100, label: 'Tier 4' },
  'views.open': { limit: 100, label: 'Tier 4' },
  'views.update': { limit: 100, label: 'Tier 4' },
  'views.publish': { limit: 100, label: 'Tier 4' },
  'auth.test': { limit: 100, label: 'special (held to Tier 4)' },
  'chat.getPermalink': { limit: 100, label: 'special (held to Tier 4)' },
  // About 1 a second per channel with short bursts: 60 in a minute, bursts allowed within it.
  'chat.postMessage': { limit: 60, perChannel: true, label: 'special (1/s per channel)' },
};

export interface TierOptions {
  /** The window every limit counts in (Slack: a minute). Tests shorten it to run a minute's work faster. */
  windowMs?: number;
  /** Overrides per method (calls per window). */
  limits?: Readonly<Record<string, number>>;
}

/** The bot token's team; undefined for a token the fake does not know (that call is refused anyway). */
export type TeamOf = (token: string | undefined) => string | undefined;

/**
 * A FakeSlack gate: per workspace and method, a sliding window of accepted calls; a call over the limit
 * is answered 429 with `Retry-After` (whole seconds until the oldest counted call leaves the window).
 */
export class SlackTiers {
  readonly windowMs: number;
  /** Every call answered 429, in order. */
  readonly ratelimited: SlackCall[] = [];
  private readonly limits = new Map<string, number>();
  /** `team method [channel]` → accepted call times, oldest first (kept whole for the peaks). */
  private readonly accepted = new Map<string, number[]>();

  constructor(
    private readonly teamOf: TeamOf,
    options: TierOptions = {},
  ) {
    this.windowMs = options.windowMs ?? 60_000;
    for (const [method, tier] of Object.entries(SLACK_TIERS)) this.limits.set(method, tier.limit);
    for (const [method, limit] of Object.entries(options.limits ?? {})) this.limits.set(method, limit);
  }

  readonly gate: SlackGate = (call) => this.admit(call);

  /** Calls of `method` accepted per window from now on. */
  setTier(method: string, limit: number): void {
    this.limits.set(method, limit);
  }

  limit(method: string): number | undefined {
    return this.limits.get(method);
  }

  /** The most calls of `method` accepted within any one window (per channel for per-channel methods). */
  peak(method: string): number {
    let peak = 0;
    for (const [key, times] of this.accepted) {
      if (methodOf(key) !== method) continue;
      let first = 0;
      for (let last = 0; last < times.length; last++) {
        while ((times[last] ?? 0) - (times[first] ?? 0) >= this.windowMs) first += 1;
        peak = Math.max(peak, last - first + 1);
      }
    }
    return peak;
  }

  /** Methods that got at least one call, with their peak and limit. */
  peaks(): Array<{ method: string; peak: number; limit: number | undefined }> {
    const methods = new Set([...this.accepted.keys()].map(methodOf));
    return [...methods]
      .sort()
      .map((method) => ({ method, peak: this.peak(method), limit: this.limit(method) }));
  }

  reset(): void {
    this.accepted.clear();
    this.ratelimited.length = 0;
  }

  private admit(call: SlackCall): SlackFailure | undefined {
    const team = this.teamOf(call.token);
    const limit = this.limits.get(call.method);
    if (team === undefined || limit === undefined) return undefined;
    const now = Date.now();
    const keys = [`${team} ${call.method}`];
    const channel = typeof call.args.channel === 'string' ? call.args.channel : undefined;
    if (SLACK_TIERS[call.method]?.perChannel && channel) keys[0] = `${team} ${call.method} ${channel}`;
    for (const key of keys) {
      const times = this.accepted.get(key) ?? [];
      const inWindow = times.filter((t) => now - t < this.windowMs);
      if (inWindow.length >= limit) {
        this.ratelimited.push(call);
        const oldest = inWindow[inWindow.length - limit] ?? now;
        const retryAfterSec = Math.max(1, Math.ceil((oldest + this.windowMs - now) / 1000));
        return { status: 429, error: 'ratelimited', retryAfterSec };
      }
    }
    for (const key of keys) {
      const times = this.accepted.get(key) ?? [];
      times.push(now);
      this.accepted.set(key, times);
    }
    return undefined;
  }
}

function methodOf(key: string): string {
  return key.split(' ')[1] ?? '';
}
