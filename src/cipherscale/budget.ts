import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

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
}

/** Longest 429 hold honoured: a Retry-After of days must not freeze the app. */
export const MAX_HOLD_MS = 300_000;

// Times in µs from Redis TIME, so every process agrees. A slot counts from its start until its end
// (provisional: start + callMax) plus one window, so a call arriving late at the API still counts.
const NOW = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])`;

// KEYS: log, hold, interactive waiters, bulk waiters. ARGV: member, limit, priority, callMaxMs, windowMs.
// Returns {1, 0} (taken) or {0, ms until worth asking again}.
const TAKE = `${NOW}
local member, limit, priority = ARGV[1], tonumber(ARGV[2]), ARGV[3]
local callMax, window = tonumber(ARGV[4]) * 1000, tonumber(ARGV[5]) * 1000
local held = tonumber(redis.call('GET', KEYS[2]) or '0')
if held > now then return {0, math.ceil((held - now) / 1000)} end
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', now)
redis.call('ZREMRANGEBYSCORE', KEYS[4], '-inf', now)
local mine = priority == 'interactive' and KEYS[3] or KEYS[4]
local count = redis.call('ZCARD', KEYS[1])
local urgent = redis.call('ZCARD', KEYS[3])
local queuedAt = redis.call('ZSCORE', mine, member)
if count < limit and (priority == 'interactive' or urgent == 0) then
  redis.call('ZADD', KEYS[1], now + callMax, member)
  redis.call('PEXPIRE', KEYS[1], math.ceil((callMax + window) / 1000) + 1000)
  redis.call('ZREM', mine, member)
  return {1, 0}
end
-- A waiter asking again keeps its place: only those told an earlier time are ahead of it.
local ahead = queuedAt and redis.call('ZCOUNT', mine, '-inf', '(' .. queuedAt) or redis.call('ZCARD', mine)
if priority == 'bulk' then ahead = ahead + urgent end
local j = count - limit + 1 + ahead
local at
if j >= 1 and j <= count then
  local e = redis.call('ZRANGE', KEYS[1], j - 1, j - 1, 'WITHSCORES')
  at = math.min(tonumber(e[2]), now) + window
else
  local last = now
  if count > 0 then
    local e = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')
    last = math.min(tonumber(e[2]), now) + window
  end
  at = last + math.max(j - count, 1) * window / limit
end
local wait = math.max(1, math.ceil((at - now) / 1000))
redis.call('ZADD', mine, at + 200000, member)
if redis.call('PTTL', mine) < wait + 1000 then redis.call('PEXPIRE', mine, wait + 1000) end
return {0, wait}`;

// KEYS: log. ARGV: member. The call has ended: its slot now counts one window from here.
const RELEASE = `${NOW}
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then redis.call('ZADD', KEYS[1], 'XX', now, ARGV[1]) end
return 1`;

// KEYS: hold, interactive waiters, bulk waiters. ARGV: member. A caller that gave up stops queuing.
const LEAVE = `redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
return 1`;

// KEYS: hold. ARGV: ms. Only ever extends the hold.
const HOLD = `${NOW}
local until_ = now + tonumber(ARGV[1]) * 1000
if tonumber(redis.call('GET', KEYS[1]) or '0') < until_ then
  redis.call('SET', KEYS[1], string.format('%.0f', until_), 'PX', ARGV[1])
end
return 1`;

const SCRIPTS = { take: TAKE, release: RELEASE, leave: LEAVE, hold: HOLD };

/** A sliding log in Redis: at most `limit` calls in any window, counted from start to end + window. */
export class RedisCallBudget implements CallBudget {
  private readonly keys: { log: string; hold: string; interactive: string; bulk: string };
  private readonly windowMs: number;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: BudgetOptions) {
    const base = `${options.prefix}budget:`;
    this.keys = {
      log: `${base}log`,
      hold: `${base}hold`,
      interactive: `${base}waiting:interactive`,
      bulk: `${base}waiting:bulk`,
    };
    this.windowMs = options.windowMs ?? 1000;
    this.sleep = options.sleep ?? delay;
  }

  async take(priority: Priority, maxWaitMs: number): Promise<Taken> {
    const member = randomUUID();
    const deadline = Date.now() + maxWaitMs;
    const { log, hold, interactive, bulk } = this.keys;
    for (;;) {
      const [taken, waitMs] = (await this.run(
        'take',
        [log, hold, interactive, bulk],
        [member, this.options.limit, priority, this.options.callMaxMs, this.windowMs],
      )) as [number, number];
      if (taken === 1) return { ok: true, release: () => this.release(member) };
      if (Date.now() + waitMs > deadline) {
        await this.run('leave', [hold, interactive, bulk], [member]);
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

  /** EVALSHA, loading the script on NOSCRIPT (ioredis's defineCommand). */
  private run(name: keyof typeof SCRIPTS, keys: string[], args: Array<string | number>): Promise<unknown> {
    const redis = this.options.redis as unknown as Record<string, unknown>;
    const command = `cipherBudget_${name}`;
    if (typeof redis[command] !== 'function') {
      this.options.redis.defineCommand(command, { numberOfKeys: keys.length, lua: SCRIPTS[name] });
    }
    return (redis[command] as (...a: Array<string | number>) => Promise<unknown>)(...keys, ...args);
  }
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
