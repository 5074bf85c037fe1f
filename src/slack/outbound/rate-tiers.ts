import { AsyncLocalStorage } from 'node:async_hooks';
import type { FetchFunction } from '@slack/web-api';
import type { Redis } from 'ioredis';
import { type Priority, RedisCallBudget, type Taken } from '../../cipherscale/budget.js';
import { Keys } from '../../keys.js';
import type { Logger } from '../../logger.js';
import { slackMethod } from '../../metrics.js';

// Slack's rate tiers, kept by every process on the Redis together: one sliding-window budget per method
// (the Cipherscale budget's Lua, keys `<prefix>slack-tier:<method>:*`). Every Web API request, retries
// included, passes `fetch` and takes a slot first; a caller that would rather put a call off than wait
// (Home publishes, progress summaries, user-group lookups) asks `tryCall` and gets "not now" instead.

/** Calls per window the app allows itself: Slack's tier with a margin (docs.slack.dev/apis/web-api/rate-limits). */
export const TIERS_KEPT: Readonly<Record<string, { limit: number; perChannel?: boolean }>> = {
  'apps.connections.open': { limit: 1 }, // Tier 1
  'usergroups.users.list': { limit: 18 }, // Tier 2 (20+)
  'chat.update': { limit: 45 }, // Tier 3 (50+)
  'chat.delete': { limit: 45 }, // Tier 3
  'chat.postEphemeral': { limit: 90 }, // Tier 4 (100+)
  'views.open': { limit: 90 }, // Tier 4
  'views.update': { limit: 90 }, // Tier 4
  'views.publish': { limit: 90 }, // Tier 4
  'auth.test': { limit: 90 }, // special; held to Tier 4
  'chat.getPermalink': { limit: 90 }, // special; held to Tier 4
  'chat.postMessage': { limit: 50, perChannel: true }, // special: about 1/s per channel
  // Not a method: the share of chat.update progress summaries may use, so messages and final summaries always find room.
  'chat.update:progress': { limit: 30 },
  // Not a method either: the share approver DM updates may use (a decision re-renders up to 50 of them).
  'chat.update:dms': { limit: 15 },
};

/**
 * views.open carries a trigger_id that Slack honours for 3 s: it waits at most this long for a slot, then goes
 * out anyway (within the margin between the limit kept and Slack's tier) — a later call would be refused.
 */
export const TRIGGER_WAIT_MS = 1000;
const TRIGGER_METHODS = new Set(['views.open']);

export interface SlackRateTiersOptions {
  redis: Redis;
  /** The app's key prefix, e.g. `cipher-user:`. */
  prefix: string;
  logger: Logger;
  /** The window every limit counts in (Slack: a minute); tests shorten it, as the fake's. */
  windowMs?: number;
  /** How long a call may take at most (its slot counts until then if its end is never reported). */
  callMaxMs?: number;
  /** How long a call waits in `fetch` for a slot before it is answered as Slack would (429). */
  maxWaitMs?: number;
  /** Tests: other limits (calls per window) for some methods or lanes, as the fake's `limits`. */
  limits?: Readonly<Record<string, number>>;
}

export type Tried<T> = { ok: true; value: T } | { ok: false; retryAfterMs: number };

/** A slot taken by `tryCall`, spent by the first request of that method in its async context. */
interface Prepaid {
  method: string;
  release: (() => Promise<void>) | undefined;
}

export class SlackRateTiers {
  readonly windowMs: number;
  private readonly budgets = new Map<string, RedisCallBudget>();
  private readonly keys: Keys;
  private readonly callMaxMs: number;
  private readonly maxWaitMs: number;
  private readonly prepaid = new AsyncLocalStorage<Prepaid>();

  constructor(private readonly options: SlackRateTiersOptions) {
    this.keys = new Keys(options.prefix);
    this.windowMs = options.windowMs ?? 60_000;
    this.callMaxMs = options.callMaxMs ?? 30_000;
    this.maxWaitMs = options.maxWaitMs ?? 10_000;
  }

  /**
   * Runs `call` (which makes one `method` request) if a slot comes within `maxWaitMs`, else says when to
   * try again without calling. `lane`: a second budget the call must also fit (e.g. 'chat.update:progress').
   */
  async tryCall<T>(
    method: string,
    call: () => Promise<T>,
    options: { priority?: Priority; maxWaitMs?: number; channel?: string; lane?: string } = {},
  ): Promise<Tried<T>> {
    const priority = options.priority ?? 'bulk';
    const maxWaitMs = options.maxWaitMs ?? 0;
    if (options.lane) {
      const lane = await this.take(options.lane, undefined, priority, maxWaitMs);
      if (lane && !lane.ok) return lane;
      void lane?.release();
    }
    const slot = await this.take(method, options.channel, priority, maxWaitMs);
    if (slot && !slot.ok) return slot;
    const prepaid: Prepaid = { method, release: slot?.release };
    try {
      return { ok: true, value: await this.prepaid.run(prepaid, call) };
    } finally {
      // The request never reached fetch in this context (a client queue paused by a 429): free the slot.
      void prepaid.release?.();
    }
  }

  /** A Web API fetch that takes its method's slot first (or spends the one `tryCall` took). */
  fetch(base: FetchFunction): FetchFunction {
    return async (url, init) => {
      const method = slackMethod(url);
      if (!method || !TIERS_KEPT[method]) return base(url, init);
      const prepaid = this.prepaid.getStore();
      let release: (() => Promise<void>) | undefined;
      if (prepaid && prepaid.method === method && prepaid.release) {
        release = prepaid.release;
        prepaid.release = undefined;
      } else {
        const channel = TIERS_KEPT[method]?.perChannel ? channelOf(init?.body) : undefined;
        const trigger = TRIGGER_METHODS.has(method);
        const waitMs = trigger ? Math.min(this.maxWaitMs, TRIGGER_WAIT_MS) : this.maxWaitMs;
        const slot = await this.take(method, channel, 'interactive', waitMs);
        if (slot && !slot.ok && !trigger) return rateLimited(slot.retryAfterMs);
        if (slot && !slot.ok)
          this.options.logger.warn(
            { method },
            'Slack tier full: the modal opens anyway (its trigger would expire)',
          );
        release = slot?.ok ? slot.release : undefined;
      }
      try {
        const response = await base(url, init);
        if (response.status === 429) await this.slackSaidWait(method, init?.body, response);
        return response;
      } finally {
        void release?.();
      }
    };
  }

  /**
   * Undefined when there is nothing to wait for: the method has no tier kept, or Redis cannot be asked (the
   * call goes out: Slack's own 429 still holds it back, and a user is still told what happened).
   */
  private async take(
    name: string,
    channel: string | undefined,
    priority: Priority,
    maxWaitMs: number,
  ): Promise<Taken | undefined> {
    const budget = this.budget(name, channel);
    try {
      return await budget?.take(priority, maxWaitMs);
    } catch (err) {
      this.options.logger.debug(
        { method: name, err: { name: (err as Error).name, message: (err as Error).message } },
        'Slack rate tier not checked (Redis): call sent',
      );
      return undefined;
    }
  }

  /** Slack sent a 429 all the same: every process holds that method back for Retry-After. */
  private async slackSaidWait(
    method: string,
    body: unknown,
    response: { headers: { get(name: string): string | null } },
  ): Promise<void> {
    const seconds = Number(response.headers.get('retry-after') ?? '1');
    const ms = (Number.isFinite(seconds) && seconds > 0 ? seconds : 1) * 1000;
    const channel = TIERS_KEPT[method]?.perChannel ? channelOf(body) : undefined;
    this.options.logger.warn(
      { method, retryAfterMs: ms },
      'Slack rate-limited a call: holding the method back',
    );
    await this.budget(method, channel)
      ?.holdFor(ms)
      .catch(() => undefined);
  }

  private budget(name: string, channel: string | undefined): RedisCallBudget | undefined {
    const tier = TIERS_KEPT[name];
    if (!tier) return undefined;
    const limit = this.options.limits?.[name] ?? tier.limit;
    const id = channel ? `${name} ${channel}` : name;
    let budget = this.budgets.get(id);
    if (!budget) {
      budget = new RedisCallBudget({
        redis: this.options.redis,
        prefix: this.options.prefix,
        keys: this.keys.slackTier(name, channel),
        limit,
        windowMs: this.windowMs,
        callMaxMs: this.callMaxMs,
      });
      this.budgets.set(id, budget);
    }
    return budget;
  }
}

function channelOf(body: unknown): string | undefined {
  if (typeof body !== 'string') return undefined;
  const channel = new URLSearchParams(body).get('channel');
  return channel && /^[A-Z0-9]{2,40}$/.test(channel) ? channel : undefined;
}

/** Our own budget said "not yet": answered as Slack would, so the client's retry honours it. */
function rateLimited(retryAfterMs: number): ReturnType<FetchFunction> {
  const seconds = Math.max(1, Math.ceil(retryAfterMs / 1000));
  return Promise.resolve(
    new Response(JSON.stringify({ ok: false, error: 'ratelimited' }), {
      status: 429,
      headers: { 'content-type': 'application/json', 'retry-after': String(seconds) },
    }),
  );
}
