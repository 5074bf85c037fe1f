import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { Keys } from '../keys.js';
import { LuaScript } from '../lua.js';

// One Cipherscale call budget for every process on the Redis: at most `limit` calls in any sliding
// window, each counted from its start until one window after its answer; keys `<prefix>budget:*`.

/** `interactive` (lookups, single requests) goes first; `bulk` (pre-checks, batch users) yields to it. */
export type Priority = 'interactive' | 'bulk';

export type Taken = { ok: true; release: () => Promise<void> } | { ok: false; retryAfterMs: number };

export interface CallBudget {
  /** Waits for a slot; gives up at once when none comes within `maxWaitMs`, saying when to retry. */
  take(priority: Priority, maxWaitMs: number): Promise<Taken>;
  /** Cipherscale said 429: no call from any process until `ms` from now (Redis's clock). */
  holdFor(ms: number): Promise<void>;
}

export interface BudgetOptions {
  redis: Redis;
  /** The app's key prefix, e.g. `cipher-user:`. */
  prefix: string;
  /** Calls in any sliding window, every method counted. */
  limit: number;
  windowMs?: number;
  /** How long a call may take at most: its slot counts as busy until then if its end is never reported. */
  callMaxMs: number;
  sleep?: (ms: number) => Promise<void>;
  /** Another budget's keys on the same Redis (a Slack method's tier); default the Cipherscale budget's. */
  keys?: BudgetKeys;
}

export interface BudgetKeys {
  log: string;
  hold: string;
  interactive: string;
  bulk: string;
}

/** Longest 429 hold honoured: a Retry-After of days must not freeze the app. */
export const MAX_HOLD_MS = 300_000;

// The scripts (./scripts/budget-*.lua) work in µs from Redis TIME, so every process agrees.
const SCRIPTS = LuaScript.beside(import.meta.url, {
  take: 'budget-take-4',
  release: 'budget-release-1',
  leave: 'budget-leave-2',
  hold: 'budget-hold-1',
});
const takeReply = z.tuple([z.number(), z.number()]);

/** A sliding log in Redis: at most `limit` calls in any window, counted from start to end + window. */
export class RedisCallBudget implements CallBudget {
  private readonly keys: BudgetKeys;
  private readonly windowMs: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: BudgetOptions) {
    this.keys = options.keys ?? new Keys(options.prefix).budget;
    this.windowMs = options.windowMs ?? 1000;
    this.sleep = options.sleep ?? delay;
  }

  async take(priority: Priority, maxWaitMs: number): Promise<Taken> {
    const member = randomUUID();
    const deadline = Date.now() + maxWaitMs;
    const { log, hold, interactive, bulk } = this.keys;
    for (;;) {
      const [taken, waitMs] = takeReply.parse(
        await this.run(
          'take',
          [log, hold, interactive, bulk],
          [member, this.options.limit, priority, this.options.callMaxMs, this.windowMs],
        ),
      );
      if (taken === 1) return { ok: true, release: () => this.release(member) };
      if (Date.now() + waitMs > deadline) {
        await this.run('leave', [interactive, bulk], [member]);
        return { ok: false, retryAfterMs: waitMs };
      }
      await this.sleep(waitMs);
    }
  }

  async holdFor(ms: number): Promise<void> {
    const bounded = Math.min(MAX_HOLD_MS, Math.max(1, Math.ceil(ms)));
    await this.run('hold', [this.keys.hold], [bounded]);
  }

  private async release(member: string): Promise<void> {
    // Best effort: a slot never released stays busy until its provisional end, which is safe.
    await this.run('release', [this.keys.log], [member]).catch(() => undefined);
  }

  private run(name: keyof typeof SCRIPTS, keys: string[], args: Array<string | number>): Promise<unknown> {
    return SCRIPTS[name].run(this.options.redis, keys, args);
  }
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
