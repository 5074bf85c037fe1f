import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { updateUserSchema } from '../cipherscale/schemas.js';
import {
  ACTIONS,
  type Action,
  type Approval,
  type ApprovalRequest,
  type Batch,
  type ItemOutcome,
  MAX_STORED_BATCH_USERS,
  OPEN_STATES,
  type Outcome,
  type RequestState,
  type TargetSnapshot,
  TERMINAL_STATES,
} from './types.js';

// Layout and invariants: README.md beside this file. Every state change is one Lua script.

export interface RequestStoreOptions {
  redis: Redis;
  /** Every key starts with it, e.g. 'cipher-user:'. */
  prefix: string;
  /** How long a request stays readable once terminal (and after expiresAt while pending). */
  retentionMs: number;
  /** Called once per state change the store made (metrics count from here, whatever the log level). */
  onTransition?: (change: StoreTransition) => void;
}

/** A state change as the store made it: `transition` is the audit name (`pending`, `approval`, `approved`, …). */
export interface StoreTransition {
  request: Pick<ApprovalRequest, 'id' | 'action'>;
  transition: string;
  /** `approved` only: from the request being created to its quorum. */
  waitedMs?: number;
}

/** The sweeper's indexes (see README): working requests, unposted outcomes, unchecked new requests. */
export type SweepIndex = 'working' | 'unposted' | 'fresh';

type NewFields =
  | 'id'
  | 'action'
  | 'changes'
  | 'reason'
  | 'requesterId'
  | 'channelId'
  | 'requiredApprovals'
  | 'createdAt'
  | 'expiresAt';
export type NewRequest =
  | (Pick<ApprovalRequest, NewFields> & { target: TargetSnapshot; batch?: undefined })
  | (Pick<ApprovalRequest, NewFields> & { target?: undefined; batch: Batch });

export interface CreateLimits {
  /** Open requests (pending to running) one requester may have at once. */
  maxOpenPerRequester: number;
}

export type CreateResult =
  | { outcome: 'created'; request: ApprovalRequest }
  /** Targets that already have an open request for this action, and which. */
  | { outcome: 'already_open'; open: { targetId: string; requestId: string }[] }
  | { outcome: 'requester_cap'; open: number; cap: number };

export type ApproveResult =
  | { outcome: 'not_found' }
  | {
      outcome: 'not_pending' | 'self_approval' | 'duplicate' | 'counted' | 'quorum' | 'expired';
      request: ApprovalRequest;
    };

export type DecideResult<T extends string> =
  | { outcome: 'not_found' }
  | { outcome: T | 'not_pending' | 'expired'; request: ApprovalRequest };

export type TransitionResult =
  | { ok: true; request: ApprovalRequest }
  | { ok: false; request: ApprovalRequest | undefined };

export class RequestExistsError extends Error {
  override readonly name = 'RequestExistsError';
}
export class CorruptRequestError extends Error {
  override readonly name = 'CorruptRequestError';
}

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';
const ID_PATTERN = /^r[a-z2-7]{15}$/;
const APPROVAL_FIELD = 'approval:';
const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;
/** Finished requests the recent index keeps (newest); older ones drop out of it, not out of Redis. */
export const RECENT_KEPT = 200;

export function isRequestId(id: unknown): id is string {
  return typeof id === 'string' && ID_PATTERN.test(id);
}

// KEYS: record, open, pending, recent, working, unposted, fresh indexes. ARGV[1] id, ARGV[2] retentionMs.
const PRELUDE = `
local key, id, retention = KEYS[1], ARGV[1], tonumber(ARGV[2])
local function all() return redis.call('HGETALL', key) end
local function clock()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function keepAtLeast(ms)
  if redis.call('PTTL', key) < ms then redis.call('PEXPIRE', key, ms) end
end
-- Frees this request's one-open-per-target holds (only those still naming it) and its requester slot.
local function release()
  local h = redis.call('HMGET', key, 'holds', 'action', 'requesterId')
  local base = string.sub(key, 1, #key - #id - 8)
  if h[1] then
    for target in string.gmatch(h[1], '[^,]+') do
      local hold = base .. 'open:' .. h[2] .. ':' .. target
      if redis.call('GET', hold) == id then redis.call('DEL', hold) end
    end
  end
  if h[3] then redis.call('ZREM', base .. 'requester:' .. h[3] .. ':open', id) end
end
local function finish(state)
  release()
  redis.call('HSET', key, 'state', state)
  redis.call('HINCRBY', key, 'version', 1)
  redis.call('ZREM', KEYS[2], id)
  redis.call('ZREM', KEYS[3], id)
  redis.call('ZREM', KEYS[5], id)
  redis.call('ZREM', KEYS[7], id)
  redis.call('PEXPIRE', key, retention)
  -- Scored by Redis's clock in ms, kept strictly increasing so the order is the order of finishing.
  local t = redis.call('TIME')
  local at = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  local last = redis.call('ZRANGE', KEYS[4], -1, -1, 'WITHSCORES')[2]
  if last and tonumber(last) >= at then at = tonumber(last) + 1 end
  redis.call('ZADD', KEYS[4], at, id)
  redis.call('ZREMRANGEBYRANK', KEYS[4], 0, -${RECENT_KEPT + 1})
end
`;

const OPEN_SET = `{${OPEN_STATES.map((s) => `['${s}'] = true`).join(', ')}}`;

// With a cap (ARGV[7]): refuse when a hold names another open request (a hold whose request is gone
// or finished is stale and taken over), or when the requester has ARGV[7] open requests already.
const LIMITS = `
local openState = ${OPEN_SET}
local function isOpen(other)
  local state = redis.call('HGET', ARGV[6] .. 'request:' .. other, 'state')
  return state and openState[state]
end
local function take()
  local keep = 2 * tonumber(ARGV[3])
  for i = 9, #KEYS do redis.call('SET', KEYS[i], id, 'PX', keep) end
  redis.call('ZADD', KEYS[8], ARGV[4], id)
  if redis.call('PTTL', KEYS[8]) < keep then redis.call('PEXPIRE', KEYS[8], keep) end
end
if ARGV[7] ~= '' then
  local busy = {}
  for i = 9, #KEYS do
    local other = redis.call('GET', KEYS[i])
    if other and isOpen(other) then table.insert(busy, KEYS[i]) table.insert(busy, other) end
  end
  if #busy > 0 then return {'already_open', busy} end
  for _, member in ipairs(redis.call('ZRANGE', KEYS[8], 0, -1)) do
    if not isOpen(member) then redis.call('ZREM', KEYS[8], member) end
  end
  local count = redis.call('ZCARD', KEYS[8])
  if count >= tonumber(ARGV[7]) then return {'requester_cap', {tostring(count)}} end
end
`;

// ARGV[3] ttlMs, ARGV[4] createdAt, ARGV[5] expiresAt, ARGV[6] prefix, ARGV[7] requester cap ('' = no
// limits), ARGV[8..] field/value pairs. KEYS[8] the requester's open set, KEYS[9..] the holds (with limits).
const CREATE = `${PRELUDE}
if redis.call('EXISTS', key) == 1 then return {'exists'} end
${LIMITS}
redis.call('HSET', key, unpack(ARGV, 8))
redis.call('PEXPIRE', key, ARGV[3])
if ARGV[7] ~= '' then take() end
-- Prune a few index members whose record is gone (TTL), so the indexes stay bounded.
for i = 2, 3 do
  for _, member in ipairs(redis.call('ZRANGE', KEYS[i], 0, 4)) do
    if redis.call('EXISTS', ARGV[6] .. 'request:' .. member) == 0 then redis.call('ZREM', KEYS[i], member) end
  end
end
redis.call('ZADD', KEYS[2], ARGV[4], id)
redis.call('ZADD', KEYS[3], ARGV[5], id)
redis.call('ZADD', KEYS[7], clock(), id)
return {'created', all()}
`;

// ARGV[3] now, ARGV[4] approverId.
const APPROVE = `${PRELUDE}
if redis.call('EXISTS', key) == 0 then return {'not_found'} end
local h = redis.call('HMGET', key, 'state', 'expiresAt', 'requesterId', 'requiredApprovals')
if h[1] ~= 'pending' then return {'not_pending', all()} end
if tonumber(ARGV[3]) >= tonumber(h[2]) then finish('expired') return {'expired', all()} end
if ARGV[4] == h[3] then return {'self_approval', all()} end
local field = '${APPROVAL_FIELD}' .. ARGV[4]
if redis.call('HEXISTS', key, field) == 1 then return {'duplicate', all()} end
local count = redis.call('HINCRBY', key, 'approvalCount', 1)
redis.call('HSET', key, field, count .. ':' .. ARGV[3])
if count < tonumber(h[4]) then
  redis.call('HINCRBY', key, 'version', 1)
  return {'counted', all()}
end
redis.call('HSET', key, 'state', 'approved')
redis.call('HINCRBY', key, 'version', 1)
redis.call('ZREM', KEYS[3], id)
redis.call('ZADD', KEYS[5], clock(), id)
redis.call('ZREM', KEYS[7], id)
keepAtLeast(retention)
return {'quorum', all()}
`;

// ARGV[3] now, ARGV[4] mode (reject | cancel | expire), ARGV[5] userId, ARGV[6] reason ('' = none).
const DECIDE = `${PRELUDE}
if redis.call('EXISTS', key) == 0 then return {'not_found'} end
local h = redis.call('HMGET', key, 'state', 'expiresAt', 'requesterId')
if h[1] ~= 'pending' then return {'not_pending', all()} end
local mode, due = ARGV[4], tonumber(ARGV[3]) >= tonumber(h[2])
if mode == 'expire' and not due then return {'not_due', all()} end
if due then finish('expired') return {'expired', all()} end
if mode == 'reject' and ARGV[5] == h[3] then return {'requester', all()} end
if mode == 'cancel' and ARGV[5] ~= h[3] then return {'not_requester', all()} end
redis.call('HSET', key, 'decidedBy', ARGV[5], 'decidedAt', ARGV[3])
if ARGV[6] ~= '' then redis.call('HSET', key, 'decisionReason', ARGV[6]) end
local state = mode == 'reject' and 'rejected' or 'cancelled'
finish(state)
return {state, all()}
`;

// ARGV[3] to, ARGV[4] '1' to count an attempt, ARGV[5] outcome JSON ('' = none), ARGV[6..] from states.
const TRANSITION = `${PRELUDE}
local terminal = {${TERMINAL_STATES.map((s) => `['${s}'] = true`).join(', ')}}
if redis.call('EXISTS', key) == 0 then return {'not_found'} end
local state = redis.call('HGET', key, 'state')
if terminal[state] then return {'refused', all()} end
local allowed = false
for i = 6, #ARGV do if ARGV[i] == state then allowed = true end end
if not allowed then return {'refused', all()} end
local to = ARGV[3]
redis.call('HSET', key, 'state', to)
if ARGV[5] ~= '' then redis.call('HSET', key, 'outcome', ARGV[5]) end
if ARGV[4] == '1' then redis.call('HINCRBY', key, 'attempts', 1) end
if terminal[to] then
  finish(to)
  if (to == 'succeeded' or to == 'failed') and redis.call('HGET', key, 'outcomePosted') ~= '1' then
    redis.call('ZADD', KEYS[6], clock(), id)
  end
else
  redis.call('HINCRBY', key, 'version', 1)
  redis.call('ZREM', KEYS[3], id)
  redis.call('ZADD', KEYS[5], 'NX', clock(), id)
  keepAtLeast(retention)
end
return {'ok', all()}
`;

// ARGV[3] now, ARGV[4] userId. A batch on its way (approved, queued, running) becomes 'stopped'.
const STOP = `${PRELUDE}
if redis.call('EXISTS', key) == 0 then return {'not_found'} end
if redis.call('HEXISTS', key, 'batch') == 0 then return {'not_batch', all()} end
local state = redis.call('HGET', key, 'state')
if state ~= 'approved' and state ~= 'queued' and state ~= 'running' then return {'not_running', all()} end
redis.call('HSET', key, 'decidedBy', ARGV[4], 'decidedAt', ARGV[3])
finish('stopped')
redis.call('ZADD', KEYS[6], clock(), id)
return {'stopped', all()}
`;

// ARGV[3] outcome JSON. A stopped batch gets its result once its last running user has finished.
const COMPLETE_STOPPED = `${PRELUDE}
if redis.call('EXISTS', key) == 0 then return {'not_found'} end
if redis.call('HGET', key, 'state') ~= 'stopped' or redis.call('HEXISTS', key, 'outcome') == 1 then
  return {'unchanged', all()}
end
redis.call('HSET', key, 'outcome', ARGV[3])
redis.call('HINCRBY', key, 'version', 1)
return {'ok', all()}
`;

// ARGV[3] ts. Only the first summary post is kept.
const SET_SUMMARY = `${PRELUDE}
if redis.call('EXISTS', key) == 0 then return {'not_found'} end
if redis.call('HSETNX', key, 'summaryTs', ARGV[3]) == 0 then return {'exists', all()} end
redis.call('HINCRBY', key, 'version', 1)
return {'ok', all()}
`;

// KEYS: results hash, record. ARGV[1] userId, ARGV[2] outcome JSON, ARGV[3] retentionMs.
// The first outcome of a user stands; the results live at least as long as the request.
const RECORD_ITEM = `
local first = redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2])
local ttl = math.max(redis.call('PTTL', KEYS[2]), tonumber(ARGV[3]))
redis.call('PEXPIRE', KEYS[1], ttl)
return {first, redis.call('HGET', KEYS[2], 'action') or ''}
`;

// ARGV[3] channelId, ARGV[4] ts.
const SET_MESSAGE = `${PRELUDE}
if redis.call('EXISTS', key) == 0 then return {'not_found'} end
redis.call('HSET', key, 'channelId', ARGV[3], 'messageTs', ARGV[4])
redis.call('HINCRBY', key, 'version', 1)
return {'ok', all()}
`;

// Before a delete: the request's holds and requester slot go with it.
const RELEASE = `${PRELUDE}
release()
return {'ok'}
`;

const MARK_OUTCOME_POSTED = `${PRELUDE}
if redis.call('EXISTS', key) == 0 or redis.call('HGET', key, 'outcomePosted') == '1' then return {'unchanged'} end
redis.call('HSET', key, 'outcomePosted', '1')
redis.call('HINCRBY', key, 'version', 1)
redis.call('ZREM', KEYS[6], id)
return {'ok'}
`;

// Reads up to ARGV[2] records listed in the index KEYS[1] (ARGV[1] is the key prefix) whose state is
// in `states`, walking in `order`; drops index members whose record is gone or has left those states.
const listIndexed = (order: 'ZRANGE' | 'ZREVRANGE', states: readonly string[], whenGone = '') => `
local wanted = {${states.map((s) => `['${s}'] = true`).join(', ')}}
local limit, out, start = tonumber(ARGV[2]), {}, 0
for _ = 1, 20 do
  local members = redis.call('${order}', KEYS[1], start, start + limit - 1)
  if #members == 0 then break end
  for _, member in ipairs(members) do
    local key = ARGV[1] .. 'request:' .. member
    local state = redis.call('HGET', key, 'state')
    if state and wanted[state] then
      if #out < limit then table.insert(out, redis.call('HGETALL', key)) end
      start = start + 1
    else
      redis.call('ZREM', KEYS[1], member)
      ${whenGone}
    end
  end
  if #out >= limit then break end
end
return out
`;

// KEYS: open, pending. Oldest first; a member whose record is gone also leaves the pending index.
const LIST_OPEN = listIndexed(
  'ZRANGE',
  OPEN_STATES,
  "if not state then redis.call('ZREM', KEYS[2], member) end",
);

// KEYS: pending, open. ARGV[1] prefix, ARGV[2] now, ARGV[3] limit.
const DUE_FOR_EXPIRY = `
local out = {}
for _, member in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[2], 'LIMIT', 0, ARGV[3])) do
  local state = redis.call('HGET', ARGV[1] .. 'request:' .. member, 'state')
  if state == 'pending' then
    table.insert(out, member)
  else
    redis.call('ZREM', KEYS[1], member)
    if not state then redis.call('ZREM', KEYS[2], member) end
  end
end
return out
`;

// KEYS: one sweep index. ARGV[1] prefix, ARGV[2] graceMs, ARGV[3] limit. Members that have sat at least
// graceMs (Redis's clock), oldest first; each goes to the end (now, after every other member), so the
// next page starts with the others.
const SWEEP_DUE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[2]), 'LIMIT', 0, ARGV[3])
local last = redis.call('ZRANGE', KEYS[1], -1, -1, 'WITHSCORES')[2]
local at = (last and tonumber(last) >= now) and tonumber(last) + 1 or now
local out = {}
for _, member in ipairs(due) do
  if redis.call('EXISTS', ARGV[1] .. 'request:' .. member) == 1 then
    redis.call('ZADD', KEYS[1], at, member)
    at = at + 1
    table.insert(out, member)
  else
    redis.call('ZREM', KEYS[1], member)
  end
end
return out
`;

// KEYS: recent. Newest first.
const LIST_RECENT = listIndexed('ZREVRANGE', TERMINAL_STATES);

class Script {
  private sha: string | undefined;
  constructor(readonly source: string) {}

  async run(redis: Redis, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    if (this.sha) {
      try {
        return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
      } catch (err) {
        if (!(err instanceof Error && err.message.startsWith('NOSCRIPT'))) throw err;
      }
    }
    this.sha = String(await redis.script('LOAD', this.source));
    return redis.evalsha(this.sha, keys.length, ...keys, ...args);
  }
}

const SCRIPTS = {
  create: new Script(CREATE),
  approve: new Script(APPROVE),
  decide: new Script(DECIDE),
  transition: new Script(TRANSITION),
  setMessage: new Script(SET_MESSAGE),
  markOutcomePosted: new Script(MARK_OUTCOME_POSTED),
  release: new Script(RELEASE),
  stop: new Script(STOP),
  setSummary: new Script(SET_SUMMARY),
  completeStopped: new Script(COMPLETE_STOPPED),
  recordItem: new Script(RECORD_ITEM),
  listOpen: new Script(LIST_OPEN),
  listRecent: new Script(LIST_RECENT),
  dueForExpiry: new Script(DUE_FOR_EXPIRY),
  sweepDue: new Script(SWEEP_DUE),
};

// [outcome] or [outcome, HGETALL of the record after the change].
const scriptReply = z.tuple([z.string()], z.array(z.string()));
const stringList = z.array(z.string());

export class RequestStore {
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly retentionMs: number;
  private readonly onTransition: (change: StoreTransition) => void;

  constructor(options: RequestStoreOptions) {
    if (!Number.isSafeInteger(options.retentionMs) || options.retentionMs < 1) {
      throw new RangeError('retentionMs must be a positive whole number of milliseconds');
    }
    this.redis = options.redis;
    this.prefix = options.prefix;
    this.retentionMs = options.retentionMs;
    this.onTransition = options.onTransition ?? (() => undefined);
  }

  /** 'r' + 15 base32 characters (75 random bits): fits a button value and a BullMQ job id. */
  newId(): string {
    const bytes = randomBytes(15);
    let id = 'r';
    for (const byte of bytes) id += BASE32[byte & 31];
    return id;
  }

  /** Stores a new request as given, with no limits (tools and tests); the app uses `tryCreate`. */
  async create(request: NewRequest): Promise<ApprovalRequest> {
    const result = await this.insert(request, undefined);
    if (result.outcome !== 'created') throw new Error(`unexpected create outcome ${result.outcome}`);
    return result.request;
  }

  /**
   * Stores a new request unless one of its targets has an open request for the same action, or the
   * requester already has `maxOpenPerRequester` open ones; the check and the write are one script.
   */
  async tryCreate(request: NewRequest, limits: CreateLimits): Promise<CreateResult> {
    return this.insert(request, limits);
  }

  /** The open request (pending to running) of each of these users for this action, by user id. */
  async openFor(action: Action, userIds: readonly string[]): Promise<Map<string, ApprovalRequest>> {
    const found = new Map<string, ApprovalRequest>();
    const ids = [...new Set(userIds.map(holdId))];
    if (ids.length === 0) return found;
    const held = await this.redis.mget(ids.map((userId) => this.holdKey(action, userId)));
    const holders = [...new Set(held.filter(isRequestId))];
    const requests = new Map<string, ApprovalRequest>();
    for (const id of holders) {
      const request = await this.get(id).catch(() => undefined);
      if (request && OPEN_STATES.includes(request.state)) requests.set(id, request);
    }
    ids.forEach((userId, i) => {
      const request = requests.get(held[i] ?? '');
      if (request) found.set(userId, request);
    });
    return found;
  }

  private async insert(request: NewRequest, limits: CreateLimits | undefined): Promise<CreateResult> {
    const checked = newRequestSchema.parse(request);
    const holds = [
      ...new Set(
        (checked.batch?.targets ?? (checked.target ? [checked.target] : [])).map((t) => holdId(t.id)),
      ),
    ];

    const fields: Record<string, string> = {
      id: checked.id,
      action: checked.action,
      reason: checked.reason,
      requesterId: checked.requesterId,
      channelId: checked.channelId,
      requiredApprovals: String(checked.requiredApprovals),
      createdAt: String(checked.createdAt),
      expiresAt: String(checked.expiresAt),
      state: 'pending',
      approvalCount: '0',
      attempts: '0',
      version: '1',
    };
    if (checked.target !== undefined) fields.target = JSON.stringify(checked.target);
    if (checked.batch !== undefined) fields.batch = JSON.stringify(checked.batch);
    if (checked.changes !== undefined) fields.changes = JSON.stringify(checked.changes);
    if (limits) fields.holds = holds.join(',');
    const ttlMs = Math.max(checked.expiresAt - checked.createdAt, 0) + this.retentionMs;
    const holdKeys = holds.map((userId) => this.holdKey(checked.action, userId));
    const reply = await SCRIPTS.create.run(
      this.redis,
      [...this.keysOf(checked.id), this.requesterKey(checked.requesterId), ...(limits ? holdKeys : [])],
      [
        checked.id,
        this.retentionMs,
        ttlMs,
        checked.createdAt,
        checked.expiresAt,
        this.prefix,
        limits ? limits.maxOpenPerRequester : '',
        ...Object.entries(fields).flat(),
      ],
    );
    const [outcome, record] = scriptReply.parse(reply);
    if (outcome === 'already_open') {
      const pairs = record ?? [];
      const open: { targetId: string; requestId: string }[] = [];
      for (let i = 0; i + 1 < pairs.length; i += 2) {
        const at = holdKeys.indexOf(pairs[i] ?? '');
        open.push({ targetId: holds[at] ?? '', requestId: pairs[i + 1] ?? '' });
      }
      return { outcome: 'already_open', open };
    }
    if (outcome === 'requester_cap') {
      const cap = limits?.maxOpenPerRequester ?? 0;
      return { outcome: 'requester_cap', open: Number(record?.[0] ?? cap), cap };
    }
    if (outcome === 'exists' || !record) throw new RequestExistsError(`request ${checked.id} already exists`);
    this.onTransition({ request: checked, transition: 'pending' });
    if (checked.batch) {
      // Each user's snapshot on its own as well, so a batch user's job reads one field, not the whole list.
      const targets = this.targetsKey(checked.id);
      await this.redis
        .multi()
        .hset(targets, Object.fromEntries(checked.batch.targets.map((t) => [t.id, JSON.stringify(t)])))
        .pexpire(targets, ttlMs)
        .exec()
        .then(throwFirstError);
    }
    return { outcome: 'created', request: parseRecord(record) };
  }

  /**
   * What one batch user's job needs — the request's state and action and this user's snapshot — without
   * reading and checking the whole list (which made a batch O(users²)). Falls back to the record.
   */
  async batchItem(
    id: string,
    userId: string,
  ): Promise<{ state: RequestState; action: Action; target: TargetSnapshot } | undefined> {
    if (!isRequestId(id)) return undefined;
    const [[state, action], json] = await Promise.all([
      this.redis.hmget(this.recordKey(id), 'state', 'action'),
      this.redis.hget(this.targetsKey(id), userId),
    ]);
    const head = batchItemHead.safeParse({ state, action });
    if (!head.success) return undefined;
    if (json) return { ...head.data, target: targetSchema.parse(JSON.parse(json)) };
    const request = await this.get(id);
    const target = request?.batch?.targets.find((t) => t.id === userId);
    return request && target ? { state: request.state, action: request.action, target } : undefined;
  }

  async get(id: string): Promise<ApprovalRequest | undefined> {
    if (!isRequestId(id)) return undefined;
    const record = await this.redis.hgetall(this.recordKey(id));
    return Object.keys(record).length === 0 ? undefined : parseRecord(Object.entries(record).flat());
  }

  async delete(id: string): Promise<void> {
    if (!isRequestId(id)) return;
    await this.run(SCRIPTS.release, id, []);
    await this.redis
      .multi()
      .del(this.recordKey(id), this.resultsKey(id), this.targetsKey(id))
      .zrem(this.openKey, id)
      .zrem(this.pendingKey, id)
      .zrem(this.recentKey, id)
      .zrem(this.sweepKey('fresh'), id)
      .exec()
      .then(throwFirstError);
  }

  async setMessage(id: string, channelId: string, ts: string): Promise<ApprovalRequest | undefined> {
    if (!isRequestId(id)) return undefined;
    const [, record] = await this.run(SCRIPTS.setMessage, id, [channelId, ts]);
    return record ? parseRecord(record) : undefined;
  }

  async approve(id: string, approverId: string, now: number): Promise<ApproveResult> {
    if (!isRequestId(id)) return { outcome: 'not_found' };
    const [outcome, record] = await this.run(SCRIPTS.approve, id, [epochMs(now), approverId]);
    const result = decided(outcome, record, APPROVE_OUTCOMES);
    if (result.outcome === 'counted') this.onTransition({ request: result.request, transition: 'approval' });
    if (result.outcome === 'expired') this.onTransition({ request: result.request, transition: 'expired' });
    if (result.outcome === 'quorum') {
      const { request } = result;
      const quorumAt = Math.max(...request.approvals.map((a) => a.at));
      this.onTransition({ request, transition: 'approved', waitedMs: quorumAt - request.createdAt });
    }
    return result;
  }

  async reject(
    id: string,
    userId: string,
    reason: string | undefined,
    now: number,
  ): Promise<DecideResult<'rejected' | 'requester'>> {
    return this.decide(id, 'reject', userId, reason ?? '', now, ['rejected', 'requester'] as const);
  }

  async cancel(
    id: string,
    userId: string,
    now: number,
  ): Promise<DecideResult<'cancelled' | 'not_requester'>> {
    return this.decide(id, 'cancel', userId, '', now, ['cancelled', 'not_requester'] as const);
  }

  async expire(id: string, now: number): Promise<DecideResult<'expired' | 'not_due'>> {
    return this.decide(id, 'expire', '', '', now, ['expired', 'not_due'] as const);
  }

  /** Compare-and-set for the worker's states: moves to `to` only from one of `from`. */
  async transition(
    id: string,
    from: readonly RequestState[],
    to: RequestState,
    patch: { outcome?: Outcome; incrementAttempts?: boolean } = {},
  ): Promise<TransitionResult> {
    // Only approve() enters or leaves 'pending' with its checks; nothing goes back to it.
    if (to === 'pending') throw new RangeError("transition() cannot move a request to 'pending'");
    if (!isRequestId(id)) return { ok: false, request: undefined };
    const outcome = patch.outcome ? JSON.stringify(outcomeSchema.parse(patch.outcome)) : '';
    const [result, record] = await this.run(SCRIPTS.transition, id, [
      to,
      patch.incrementAttempts ? '1' : '0',
      outcome,
      ...from,
    ]);
    const request = record ? parseRecord(record) : undefined;
    if (result !== 'ok' || !request) return { ok: false, request };
    this.onTransition({ request, transition: to });
    return { ok: true, request };
  }

  /** Stop a batch that is approved, queued or running: what has not started will not run. */
  async stop(
    id: string,
    userId: string,
    now: number,
  ): Promise<DecideResult<'stopped' | 'not_batch' | 'not_running'>> {
    if (!isRequestId(id)) return { outcome: 'not_found' };
    const [outcome, record] = await this.run(SCRIPTS.stop, id, [epochMs(now), userId]);
    const result = decided(outcome, record, ['stopped', 'not_batch', 'not_running'] as const);
    if (result.outcome === 'stopped') this.onTransition({ request: result.request, transition: 'stopped' });
    return result;
  }

  /** Gives a stopped batch its result (once); the request as it is now. */
  async completeStopped(id: string, outcome: Outcome): Promise<ApprovalRequest | undefined> {
    if (!isRequestId(id)) return undefined;
    const [, record] = await this.run(SCRIPTS.completeStopped, id, [
      JSON.stringify(outcomeSchema.parse(outcome)),
    ]);
    return record ? parseRecord(record) : undefined;
  }

  /** Records where a batch's summary reply lives; false if another one was recorded first. */
  async setSummary(id: string, ts: string): Promise<boolean> {
    if (!isRequestId(id)) return false;
    const [outcome] = await this.run(SCRIPTS.setSummary, id, [ts]);
    return outcome === 'ok';
  }

  /** Records how one user of a batch ended; the first record stands (false when one existed). */
  async recordItem(id: string, userId: string, outcome: ItemOutcome): Promise<boolean> {
    if (!isRequestId(id)) return false;
    const reply = await SCRIPTS.recordItem.run(
      this.redis,
      [this.resultsKey(id), this.recordKey(id)],
      [userId, JSON.stringify(itemOutcomeSchema.parse(outcome)), this.retentionMs],
    );
    const [first, action] = z.tuple([z.number(), z.string()]).parse(reply);
    const known = ACTIONS.find((a) => a === action);
    if (first === 1 && known) this.onTransition({ request: { id, action: known }, transition: 'item' });
    return first === 1;
  }

  /** How each user of a batch ended so far, by user id. */
  async itemResults(id: string): Promise<Map<string, ItemOutcome>> {
    const results = new Map<string, ItemOutcome>();
    if (!isRequestId(id)) return results;
    for (const [userId, json] of Object.entries(await this.redis.hgetall(this.resultsKey(id)))) {
      const parsed = jsonText(itemOutcomeSchema).safeParse(json);
      if (parsed.success) results.set(userId, parsed.data);
    }
    return results;
  }

  /** Records that `userId` had page `page` of a batch's list on screen; how many pages they have seen. */
  async markListPage(id: string, userId: string, page: number, ttlMs: number): Promise<number> {
    if (!isRequestId(id)) return 0;
    const key = this.seenKey(id, userId);
    const results = await this.redis
      .multi()
      .sadd(key, String(page))
      .pexpire(key, Math.max(1000, Math.floor(ttlMs)))
      .scard(key)
      .exec();
    throwFirstError(results);
    return Number(results?.[2]?.[1] ?? 0);
  }

  /** How many distinct pages of a batch's list `userId` has seen. */
  async listPagesSeen(id: string, userId: string): Promise<number> {
    return isRequestId(id) ? this.redis.scard(this.seenKey(id, userId)) : 0;
  }

  /** Whether a user of a batch has a recorded outcome. */
  async hasItemResult(id: string, userId: string): Promise<boolean> {
    return isRequestId(id) && (await this.redis.hexists(this.resultsKey(id), userId)) === 1;
  }

  async markOutcomePosted(id: string): Promise<void> {
    if (!isRequestId(id)) return;
    await this.run(SCRIPTS.markOutcomePosted, id, []);
  }

  /** Open requests (pending, approved, queued, running), oldest first, at most `limit`. */
  async listOpen(limit = DEFAULT_LIMIT): Promise<ApprovalRequest[]> {
    const reply = await SCRIPTS.listOpen.run(
      this.redis,
      [this.openKey, this.pendingKey],
      [this.prefix, clampLimit(limit)],
    );
    return parseRecords(reply);
  }

  /** Finished requests, the most recently finished first, at most `limit`; records gone (TTL) are skipped. */
  async listRecent(limit = DEFAULT_LIMIT): Promise<ApprovalRequest[]> {
    const reply = await SCRIPTS.listRecent.run(
      this.redis,
      [this.recentKey],
      [this.prefix, clampLimit(limit)],
    );
    return parseRecords(reply);
  }

  /** Ids of pending requests whose expiresAt <= now (for a sweeper), soonest first. */
  async dueForExpiry(now: number, limit = DEFAULT_LIMIT): Promise<string[]> {
    const reply = await SCRIPTS.dueForExpiry.run(
      this.redis,
      [this.pendingKey, this.openKey],
      [this.prefix, epochMs(now), clampLimit(limit)],
    );
    return stringList.parse(reply);
  }

  private async decide<T extends string>(
    id: string,
    mode: 'reject' | 'cancel' | 'expire',
    userId: string,
    reason: string,
    now: number,
    outcomes: readonly T[],
  ): Promise<DecideResult<T>> {
    if (!isRequestId(id)) return { outcome: 'not_found' };
    const [outcome, record] = await this.run(SCRIPTS.decide, id, [epochMs(now), mode, userId, reason]);
    const result = decided(outcome, record, [...outcomes, 'not_pending', 'expired'] as const);
    if ('request' in result && CHANGED_BY_DECIDE.has(result.outcome)) {
      this.onTransition({ request: result.request, transition: result.outcome });
    }
    return result;
  }

  /**
   * Up to `limit` ids that have sat in a sweep index for at least `graceMs`, oldest first. Each
   * comes back to the end of its index, so one run's work is bounded and the next run sees others.
   */
  async sweepDue(index: SweepIndex, graceMs: number, limit = DEFAULT_LIMIT): Promise<string[]> {
    const reply = await SCRIPTS.sweepDue.run(
      this.redis,
      [this.sweepKey(index)],
      [this.prefix, Math.max(0, Math.trunc(graceMs)), clampLimit(limit)],
    );
    return stringList.parse(reply);
  }

  /** Takes a request out of a sweep index: nothing more to check there. */
  async leaveSweep(index: SweepIndex, id: string): Promise<void> {
    await this.redis.zrem(this.sweepKey(index), id);
  }

  private async run(script: Script, id: string, args: readonly (string | number)[]) {
    return scriptReply.parse(await script.run(this.redis, this.keysOf(id), [id, this.retentionMs, ...args]));
  }

  private keysOf(id: string): string[] {
    return [
      this.recordKey(id),
      this.openKey,
      this.pendingKey,
      this.recentKey,
      this.sweepKey('working'),
      this.sweepKey('unposted'),
      this.sweepKey('fresh'),
    ];
  }
  /** Which open request holds (action, user): at most one at a time. */
  private holdKey(action: Action, userId: string): string {
    return `${this.prefix}open:${action}:${holdId(userId)}`;
  }
  /** The requester's open requests (the cap). */
  private requesterKey(requesterId: string): string {
    return `${this.prefix}requester:${requesterId}:open`;
  }

  private recordKey(id: string): string {
    return `${this.prefix}request:${id}`;
  }
  private resultsKey(id: string): string {
    return `${this.prefix}request:${id}:results`;
  }
  private targetsKey(id: string): string {
    return `${this.prefix}request:${id}:targets`;
  }
  private seenKey(id: string, userId: string): string {
    return `${this.prefix}request:${id}:seen:${userId}`;
  }
  private get openKey(): string {
    return `${this.prefix}requests:open`;
  }
  private get pendingKey(): string {
    return `${this.prefix}requests:pending`;
  }
  private get recentKey(): string {
    return `${this.prefix}requests:recent`;
  }
  private sweepKey(index: SweepIndex): string {
    return `${this.prefix}requests:${index}`;
  }
}

const CHANGED_BY_DECIDE: ReadonlySet<string> = new Set(['rejected', 'cancelled', 'expired']);

const APPROVE_OUTCOMES = [
  'not_pending',
  'self_approval',
  'duplicate',
  'counted',
  'quorum',
  'expired',
] as const;

function decided<T extends string>(
  outcome: string,
  record: readonly string[] | undefined,
  allowed: readonly T[],
): { outcome: 'not_found' } | { outcome: T; request: ApprovalRequest } {
  if (outcome === 'not_found' || !record) return { outcome: 'not_found' };
  const known = allowed.find((candidate) => candidate === outcome);
  if (!known) throw new Error(`unexpected script outcome ${outcome}`);
  return { outcome: known, request: parseRecord(record) };
}

/** A list script's records; one unreadable record must not hide the others. */
function parseRecords(reply: unknown): ApprovalRequest[] {
  const requests: ApprovalRequest[] = [];
  for (const record of z.array(stringList).parse(reply)) {
    try {
      requests.push(parseRecord(record));
    } catch {}
  }
  return requests;
}

/** User ids as held: a UUID in any case is one user. */
function holdId(userId: string): string {
  return userId.trim().toLowerCase();
}

function epochMs(now: number): number {
  if (!Number.isFinite(now)) throw new RangeError('now must be a finite epoch in milliseconds');
  return Math.trunc(now);
}

function clampLimit(limit: number): number {
  return Math.min(MAX_LIMIT, Math.max(1, Number.isFinite(limit) ? Math.trunc(limit) : DEFAULT_LIMIT));
}

function throwFirstError(results: [Error | null, unknown][] | null): void {
  const failed = results?.find(([err]) => err);
  if (failed?.[0]) throw failed[0];
}

// --- Parsing what Redis holds (defensive: a record is data from outside this process) ---

const epoch = z.number().int().nonnegative();
/** A TargetSnapshot as stored (also used for modal drafts). */
export const targetSchema = z.object({
  id: z.string(),
  firstName: z.string().optional(),
  lastName: z.string().optional(),
  email: z.string().optional(),
  image: z.string().optional(),
  status: z.string(),
  isOwner: z.boolean(),
});
const outcomeSchema = z.object({
  ok: z.boolean(),
  summary: z.string(),
  code: z.string(),
  attempts: z.number().int().nonnegative(),
  apiRequestId: z.string().optional(),
  at: epoch,
  failed: z.number().int().nonnegative().optional(),
});
const itemOutcomeSchema = outcomeSchema.omit({ failed: true });
const batchItemHead = z.object({
  state: z.enum([...OPEN_STATES, ...TERMINAL_STATES] as [RequestState, ...RequestState[]]),
  action: z.enum(ACTIONS),
});
/** A Batch as stored (also used for modal drafts). */
export const batchSchema = z.object({
  targets: z.array(targetSchema).min(1).max(MAX_STORED_BATCH_USERS),
  excluded: z.array(
    z.object({ id: z.string(), code: z.string(), reason: z.string(), name: z.string().optional() }),
  ),
  duplicates: z.number().int().nonnegative(),
  retryOf: z.string().optional(),
});

const newRequestSchema = z
  .object({
    id: z.string().regex(ID_PATTERN, 'not an id from newId()'),
    action: z.enum(ACTIONS),
    target: targetSchema.optional(),
    batch: batchSchema.optional(),
    changes: updateUserSchema.optional(),
    reason: z.string(),
    requesterId: z.string().min(1),
    channelId: z.string().min(1),
    requiredApprovals: z.number().int().min(1),
    createdAt: epoch,
    expiresAt: epoch,
  })
  .refine((r) => (r.target === undefined) !== (r.batch === undefined), 'exactly one of target and batch')
  .refine((r) => r.batch === undefined || r.action !== 'edit', 'a batch deactivates or deletes');

const integerText = z
  .string()
  .regex(/^\d{1,15}$/)
  .transform(Number);
const jsonText = <T extends z.ZodType>(schema: T) =>
  z
    .string()
    .transform((text, ctx) => {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        ctx.addIssue({ code: 'custom', message: 'not JSON' });
        return z.NEVER;
      }
    })
    .pipe(schema);

const recordSchema = z.object({
  id: z.string().regex(ID_PATTERN),
  action: z.enum(ACTIONS),
  target: jsonText(targetSchema).optional(),
  batch: jsonText(batchSchema).optional(),
  summaryTs: z.string().optional(),
  changes: jsonText(updateUserSchema).optional(),
  reason: z.string(),
  requesterId: z.string(),
  channelId: z.string(),
  messageTs: z.string().optional(),
  requiredApprovals: integerText,
  state: z.enum([...OPEN_STATES, ...TERMINAL_STATES] as [RequestState, ...RequestState[]]),
  createdAt: integerText,
  expiresAt: integerText,
  decidedBy: z.string().optional(),
  decidedAt: integerText.optional(),
  decisionReason: z.string().optional(),
  outcome: jsonText(outcomeSchema).optional(),
  outcomePosted: z
    .literal('1')
    .transform(() => true)
    .optional(),
  attempts: integerText,
  version: integerText,
});

const approvalValue = /^(\d{1,15}):(\d{1,15})$/;

function parseRecord(flat: readonly string[]): ApprovalRequest {
  const fields: Record<string, string> = {};
  const approvals: (Approval & { order: number })[] = [];
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const name = flat[i] ?? '';
    const value = flat[i + 1] ?? '';
    if (!name.startsWith(APPROVAL_FIELD)) {
      fields[name] = value;
      continue;
    }
    const match = approvalValue.exec(value);
    if (!match) throw new CorruptRequestError(`stored approval ${name} is not "order:at"`);
    approvals.push({
      userId: name.slice(APPROVAL_FIELD.length),
      order: Number(match[1]),
      at: Number(match[2]),
    });
  }
  const parsed = recordSchema.safeParse(fields);
  if (!parsed.success) {
    const where = parsed.error.issues.map((issue) => issue.path.join('.')).join(', ');
    throw new CorruptRequestError(`stored request ${fields.id ?? '?'} is unreadable (${where})`);
  }
  approvals.sort((a, b) => a.order - b.order);
  const { target, batch, ...rest } = parsed.data;
  const common = { ...rest, approvals: approvals.map(({ userId, at }) => ({ userId, at })) };
  if (batch && !target) return { ...common, batch };
  if (target && !batch) return { ...common, target };
  throw new CorruptRequestError(`stored request ${fields.id ?? '?'} needs exactly one of target and batch`);
}
