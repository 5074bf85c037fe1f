import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { z } from 'zod';
import { Keys, type SweepIndex } from '../../keys.js';
import { LuaScript } from '../../lua.js';
import { actionSchema, itemOutcomeSchema, outcomeSchema, requestStateSchema } from '../schemas.js';
import {
  ACTIONS,
  type Action,
  type ApprovalRequest,
  type Batch,
  type ItemOutcome,
  OPEN_STATES,
  type Outcome,
  type RequestState,
  type TargetSnapshot,
  TERMINAL_STATES,
} from '../types.js';
import {
  CorruptRequestError,
  isRequestId,
  itemOutcomeText,
  newRecordFields,
  newRequestSchema,
  parseRecord,
  targetText,
} from './record.js';

// Layout and invariants: ../README.md. Every state change is one Lua script (./scripts), and every key
// a script touches comes in KEYS from ../../keys.ts.

export type { SweepIndex };
export { CorruptRequestError, isRequestId };

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

type NewFields =
  | 'id'
  | 'action'
  | 'changes'
  | 'reason'
  | 'requesterId'
  | 'channelId'
  | 'requiredApprovals'
  | 'needs'
  | 'createdAt'
  | 'expiresAt'
  | 'runAt';
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

/** One request of a user's history, and (a batch) how that user ended in it, when recorded. */
export interface HistoryEntry {
  request: ApprovalRequest;
  item: ItemOutcome | undefined;
}

export type ApproveResult =
  | { outcome: 'not_found' }
  | {
      outcome: 'not_pending' | 'self_approval' | 'duplicate' | 'counted' | 'quorum' | 'expired' | 'conflict';
      request: ApprovalRequest;
    };

/** What the workflow worked out for an approval of a request with `needs` (see `approve`). */
export interface ApproveJudgement {
  /** The user groups of the needs the approver is a member of (ids; anything else is dropped). */
  groups: readonly string[];
  /** The record's `version` the judgement was made on. */
  expectVersion: number;
  /** This approval, added to the recorded ones, meets every requirement of the needs. */
  reaches: boolean;
}

/** A Slack user group id as stored in an approval's credits. */
const GROUP_ID = /^[A-Za-z0-9]{1,40}$/;

export type DecideResult<T extends string> =
  | { outcome: 'not_found' }
  | { outcome: T | 'not_pending' | 'expired'; request: ApprovalRequest };

export type TransitionResult =
  | { ok: true; request: ApprovalRequest }
  | { ok: false; request: ApprovalRequest | undefined };

export class RequestExistsError extends Error {
  override readonly name = 'RequestExistsError';
}

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';
const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1000;
/** Finished requests the recent index keeps (newest); older ones drop out of it, not out of Redis. */
export const RECENT_KEPT = 200;
/**
 * Requests a user's history keeps (`Keys.history`, the newest by createdAt); older ones drop out of it,
 * not out of Redis. 50: one ephemeral answer shows them all within Slack's limits.
 */
export const HISTORY_KEPT = 50;
/** Oldest members of the open and pending indexes a create checks, so gone records leave them. */
const PRUNED_PER_CREATE = 5;

const SCRIPTS = LuaScript.beside(import.meta.url, {
  create: 'create',
  approve: 'approve-9',
  decide: 'decide-9',
  cancelScheduled: 'cancel-scheduled-9',
  transition: 'transition-9',
  setMessage: 'set-message-9',
  markOutcomePosted: 'mark-outcome-posted-9',
  release: 'release-9',
  stop: 'stop-9',
  setSummary: 'set-summary-9',
  completeStopped: 'complete-stopped-9',
  recordItem: 'record-item-2',
  recordAttempt: 'record-attempt-2',
  sweepDue: 'sweep-due-1',
});

// [outcome] or [outcome, HGETALL of the record after the change].
const scriptReply = z.tuple([z.string()], z.array(z.string()));
const stringList = z.array(z.string());
const batchItemHead = z.object({ state: requestStateSchema, action: actionSchema });

export class RequestStore {
  private readonly redis: Redis;
  private readonly keys: Keys;
  private readonly retentionMs: number;
  private readonly onTransition: (change: StoreTransition) => void;

  constructor(options: RequestStoreOptions) {
    if (!Number.isSafeInteger(options.retentionMs) || options.retentionMs < 1) {
      throw new RangeError('retentionMs must be a positive whole number of milliseconds');
    }
    this.redis = options.redis;
    this.keys = new Keys(options.prefix);
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
    const held = await this.redis.hmget(
      this.keys.holds,
      ...ids.map((userId) => Keys.holdField(action, userId)),
    );
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
    const fields = newRecordFields(checked);
    if (limits) fields.holds = holds.join(',');
    const holdFields = limits ? holds.map((userId) => Keys.holdField(checked.action, userId)) : [];
    // A scheduled change waits past its expiry: the record lives until its time, then the retention.
    const lastNeeded = Math.max(checked.expiresAt, checked.runAt ?? 0);
    const ttlMs = Math.max(lastNeeded - checked.createdAt, 0) + this.retentionMs;
    const histories = holds.map((userId) => this.keys.history(userId));
    // Every other record the script reads is read here first, so it can be declared in KEYS.
    const others = await this.createReads(checked.requesterId, holdFields);
    const reply = await SCRIPTS.create.run(
      this.redis,
      [...this.keysOf(checked.id), ...histories, ...others.map((id) => this.keys.request(id))],
      [
        checked.id,
        this.retentionMs,
        ttlMs,
        checked.createdAt,
        checked.expiresAt,
        limits ? limits.maxOpenPerRequester : '',
        checked.requesterId,
        holdFields.length,
        ...holdFields,
        histories.length,
        this.historyTtlMs(checked, ttlMs),
        HISTORY_KEPT,
        ...others,
        ...Object.entries(fields).flat(),
      ],
    );
    const [outcome, record] = scriptReply.parse(reply);
    if (outcome === 'already_open') {
      const pairs = record ?? [];
      const open: { targetId: string; requestId: string }[] = [];
      for (let i = 0; i + 1 < pairs.length; i += 2) {
        const at = holdFields.indexOf(pairs[i] ?? '');
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
      const targets = this.keys.targets(checked.id);
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
   * How long a user's history must live from this create on so it outlives the record (../README.md,
   * Retention): the record's create TTL (or, scheduled, its run time plus the retention), plus the
   * retention a terminal state gives it when it finishes late (approved near its expiry, or run at its time).
   */
  private historyTtlMs(request: { createdAt: number; runAt?: number | undefined }, ttlMs: number): number {
    const runs = request.runAt === undefined ? 0 : request.runAt - request.createdAt + this.retentionMs;
    return Math.max(ttlMs, runs) + this.retentionMs;
  }

  /**
   * The ids of the requests a create looks at: the holders of its targets and the requester's open
   * requests (with limits), and the oldest members of the open and pending indexes (to prune).
   */
  private async createReads(requesterId: string, holdFields: readonly string[]): Promise<string[]> {
    const { holds, requesters, open, pending } = this.keys;
    const pipeline = this.redis.pipeline();
    pipeline.zrange(open, 0, PRUNED_PER_CREATE - 1).zrange(pending, 0, PRUNED_PER_CREATE - 1);
    if (holdFields.length > 0) {
      pipeline.hmget(holds, ...holdFields).zrangebylex(requesters, ...Keys.requesterRange(requesterId));
    }
    const replies = await pipeline.exec();
    throwFirstError(replies);
    const ids = new Set<string>();
    for (const [, reply] of replies ?? []) {
      for (const value of z.array(z.string().nullable()).parse(reply)) {
        const id = value?.slice(value.lastIndexOf(':') + 1);
        if (isRequestId(id)) ids.add(id);
      }
    }
    return [...ids];
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
      this.redis.hmget(this.keys.request(id), 'state', 'action'),
      this.redis.hget(this.keys.targets(id), userId),
    ]);
    const head = batchItemHead.safeParse({ state, action });
    if (!head.success) return undefined;
    if (json) return { ...head.data, target: targetText.parse(json) };
    const request = await this.get(id);
    const target = request?.batch?.targets.find((t) => t.id === userId);
    return request && target ? { state: request.state, action: request.action, target } : undefined;
  }

  async get(id: string): Promise<ApprovalRequest | undefined> {
    if (!isRequestId(id)) return undefined;
    const record = await this.redis.hgetall(this.keys.request(id));
    return Object.keys(record).length === 0 ? undefined : parseRecord(Object.entries(record).flat());
  }

  async delete(id: string): Promise<void> {
    if (!isRequestId(id)) return;
    // Its targets' histories lose it too (a history whose last member goes is deleted by Redis).
    const request = await this.get(id).catch(() => undefined);
    const targets = request?.batch?.targets ?? (request?.target ? [request.target] : []);
    await this.run(SCRIPTS.release, id, []);
    const { keys } = this;
    const deleting = this.redis.multi();
    for (const userId of new Set(targets.map((t) => holdId(t.id)))) deleting.zrem(keys.history(userId), id);
    await deleting
      .del(keys.request(id), keys.results(id), keys.targets(id), keys.attempted(id))
      .zrem(keys.open, id)
      .zrem(keys.pending, id)
      .zrem(keys.recent, id)
      .zrem(keys.sweep('fresh'), id)
      .exec()
      .then(throwFirstError);
  }

  async setMessage(id: string, channelId: string, ts: string): Promise<ApprovalRequest | undefined> {
    if (!isRequestId(id)) return undefined;
    const [, record] = await this.run(SCRIPTS.setMessage, id, [channelId, ts]);
    return record ? parseRecord(record) : undefined;
  }

  /**
   * One approval. A request with `needs` takes `judged` (the workflow's): the approver's credits, whether
   * this approval reaches everything the needs ask, and the version that was judged; the script answers
   * `conflict` when the version moved. Without needs, `judged` is ignored and the quorum is the count.
   */
  async approve(
    id: string,
    approverId: string,
    now: number,
    judged?: ApproveJudgement,
  ): Promise<ApproveResult> {
    if (!isRequestId(id)) return { outcome: 'not_found' };
    const credits = (judged?.groups ?? [])
      .filter((g) => GROUP_ID.test(g))
      .slice(0, 40)
      .join(',');
    const extra = judged ? [String(judged.expectVersion), credits, judged.reaches ? '1' : '0'] : [];
    const [outcome, record] = await this.run(SCRIPTS.approve, id, [epochMs(now), approverId, ...extra]);
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

  /**
   * Approved and waiting for its `runAt` → cancelled (the caller checked that `userId` may). Atomic against
   * the scheduled start (approved → queued): exactly one of the two moves the request.
   */
  async cancelScheduled(
    id: string,
    userId: string,
    now: number,
  ): Promise<{ outcome: 'not_found' } | { outcome: 'cancelled' | 'not_waiting'; request: ApprovalRequest }> {
    if (!isRequestId(id)) return { outcome: 'not_found' };
    const [outcome, record] = await this.run(SCRIPTS.cancelScheduled, id, [epochMs(now), userId]);
    const result = decided(outcome, record, ['cancelled', 'not_waiting'] as const);
    if (result.outcome === 'cancelled')
      this.onTransition({ request: result.request, transition: 'cancelled' });
    return result;
  }

  async expire(id: string, now: number): Promise<DecideResult<'expired' | 'not_due'>> {
    return this.decide(id, 'expire', '', '', now, ['expired', 'not_due'] as const);
  }

  /** Compare-and-set for the worker's states: moves to `to` only from one of `from`. */
  async transition(
    id: string,
    from: readonly RequestState[],
    to: RequestState,
    patch: { outcome?: Outcome; incrementAttempts?: boolean; uncountAttempt?: boolean } = {},
  ): Promise<TransitionResult> {
    // Only approve() enters or leaves 'pending' with its checks; nothing goes back to it.
    if (to === 'pending') throw new RangeError("transition() cannot move a request to 'pending'");
    if (!isRequestId(id)) return { ok: false, request: undefined };
    const outcome = patch.outcome ? JSON.stringify(outcomeSchema.parse(patch.outcome)) : '';
    const [result, record] = await this.run(SCRIPTS.transition, id, [
      to,
      patch.incrementAttempts ? '1' : patch.uncountAttempt ? '-1' : '0',
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
      [this.keys.results(id), this.keys.request(id)],
      [userId, JSON.stringify(itemOutcomeSchema.parse(outcome)), this.retentionMs],
    );
    const [first, action] = z.tuple([z.number(), z.string()]).parse(reply);
    const known = ACTIONS.find((a) => a === action);
    if (first === 1 && known) this.onTransition({ request: { id, action: known }, transition: 'item' });
    return first === 1;
  }

  /**
   * Records that this request is about to call Cipherscale to change `userId` (before the call; the
   * caller confirms it on replicas). A later run of the same request reads it with `attempted`.
   */
  async recordAttempt(id: string, userId: string, at: number): Promise<void> {
    if (!isRequestId(id)) return;
    await SCRIPTS.recordAttempt.run(
      this.redis,
      [this.keys.attempted(id), this.keys.request(id)],
      [userId, `${id}:${at}`, this.retentionMs],
    );
  }

  /**
   * Whether this request recorded an attempt to change `userId`. Only a marker under this request's key
   * that names this request counts: another request's (or a copied one) never makes a change its own.
   */
  async attempted(id: string, userId: string): Promise<boolean> {
    if (!isRequestId(id)) return false;
    const marker = await this.redis.hget(this.keys.attempted(id), userId);
    return marker !== null && /^\d+$/.test(marker.slice(id.length + 1)) && marker.startsWith(`${id}:`);
  }

  /** How each user of a batch ended so far, by user id. */
  async itemResults(id: string): Promise<Map<string, ItemOutcome>> {
    const results = new Map<string, ItemOutcome>();
    if (!isRequestId(id)) return results;
    for (const [userId, json] of Object.entries(await this.redis.hgetall(this.keys.results(id)))) {
      const parsed = itemOutcomeText.safeParse(json);
      if (parsed.success) results.set(userId, parsed.data);
    }
    return results;
  }

  /** Records that `userId` had page `page` of a batch's list on screen; how many pages they have seen. */
  async markListPage(id: string, userId: string, page: number, ttlMs: number): Promise<number> {
    if (!isRequestId(id)) return 0;
    const key = this.keys.seen(id, userId);
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
    return isRequestId(id) ? this.redis.scard(this.keys.seen(id, userId)) : 0;
  }

  /** Whether a user of a batch has a recorded outcome. */
  async hasItemResult(id: string, userId: string): Promise<boolean> {
    return isRequestId(id) && (await this.redis.hexists(this.keys.results(id), userId)) === 1;
  }

  async markOutcomePosted(id: string): Promise<void> {
    if (!isRequestId(id)) return;
    await this.run(SCRIPTS.markOutcomePosted, id, []);
  }

  /** Open requests (pending, approved, queued, running), oldest first, at most `limit`. */
  async listOpen(limit = DEFAULT_LIMIT): Promise<ApprovalRequest[]> {
    return this.listIndexed(this.keys.open, 'oldest', OPEN_STATES, clampLimit(limit), this.keys.pending);
  }

  /** Finished requests, the most recently finished first, at most `limit`; records gone (TTL) are skipped. */
  async listRecent(limit = DEFAULT_LIMIT): Promise<ApprovalRequest[]> {
    return this.listIndexed(this.keys.recent, 'newest', TERMINAL_STATES, clampLimit(limit));
  }

  /**
   * The requests about one Cipherscale user still in retention, newest first (at most `limit`, up to
   * HISTORY_KEPT), with this user's own outcome in a batch. Members whose record has gone leave the index.
   */
  async historyFor(userId: string, limit = HISTORY_KEPT): Promise<HistoryEntry[]> {
    const user = holdId(userId);
    const index = this.keys.history(user);
    const shown = Math.min(HISTORY_KEPT, clampLimit(limit));
    const ids = (await this.redis.zrevrange(index, 0, shown - 1)).filter(isRequestId);
    if (ids.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hgetall(this.keys.request(id)).hget(this.keys.results(id), user);
    const replies = await pipeline.exec();
    throwFirstError(replies);
    const entries: HistoryEntry[] = [];
    const gone: string[] = [];
    ids.forEach((id, i) => {
      const record = z.record(z.string(), z.string()).parse(replies?.[2 * i]?.[1]);
      if (Object.keys(record).length === 0) {
        gone.push(id);
        return;
      }
      // One unreadable record must not hide the others.
      try {
        const request = parseRecord(Object.entries(record).flat());
        const item = itemOutcomeText.safeParse(replies?.[2 * i + 1]?.[1]);
        entries.push({ request, item: item.success ? item.data : undefined });
      } catch {}
    });
    await Promise.all([this.dropFrom([[index, gone]]), this.itemsAsStored(entries, user)]);
    return entries;
  }

  /** A batch that stored this user's id in another case records their outcome under that id: read it there. */
  private async itemsAsStored(entries: HistoryEntry[], user: string): Promise<void> {
    const asked = entries.flatMap((entry) => {
      const stored = entry.request.batch?.targets.find((t) => holdId(t.id) === user)?.id;
      return !entry.item && stored && stored !== user ? [{ entry, stored }] : [];
    });
    if (asked.length === 0) return;
    const pipeline = this.redis.pipeline();
    for (const { entry, stored } of asked) pipeline.hget(this.keys.results(entry.request.id), stored);
    const replies = await pipeline.exec();
    throwFirstError(replies);
    asked.forEach(({ entry }, i) => {
      const item = itemOutcomeText.safeParse(replies?.[i]?.[1]);
      if (item.success) entry.item = item.data;
    });
  }

  /** Ids of pending requests whose expiresAt <= now (for a sweeper), soonest first. */
  async dueForExpiry(now: number, limit = DEFAULT_LIMIT): Promise<string[]> {
    const { open, pending } = this.keys;
    const members = await this.redis.zrangebyscore(
      pending,
      '-inf',
      epochMs(now),
      'LIMIT',
      0,
      clampLimit(limit),
    );
    const states = await this.fieldOf(members, 'state');
    const due = members.filter((_, i) => states[i] === 'pending');
    const left = members.filter((_, i) => states[i] !== 'pending');
    const gone = members.filter((_, i) => states[i] === null);
    await this.dropFrom([
      [pending, left],
      [open, gone],
    ]);
    return due;
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
    const key = this.keys.sweep(index);
    const reply = await SCRIPTS.sweepDue.run(
      this.redis,
      [key],
      [Math.max(0, Math.trunc(graceMs)), clampLimit(limit)],
    );
    const due = stringList.parse(reply);
    // Members whose record has gone leave the index.
    const states = await this.fieldOf(due, 'state');
    await this.dropFrom([[key, due.filter((_, i) => states[i] === null)]]);
    return due.filter((_, i) => states[i] !== null);
  }

  /** Takes a request out of a sweep index: nothing more to check there. */
  async leaveSweep(index: SweepIndex, id: string): Promise<void> {
    await this.redis.zrem(this.keys.sweep(index), id);
  }

  /**
   * Up to `limit` records of an index whose state is in `wanted`, walking from its `oldest` or `newest`
   * end; members whose record is gone or has left those states leave the index (and, when gone, `alsoGone`).
   * Not atomic, and need not be: a member only ever leaves for good.
   */
  private async listIndexed(
    index: string,
    from: 'oldest' | 'newest',
    wanted: readonly RequestState[],
    limit: number,
    alsoGone?: string,
  ): Promise<ApprovalRequest[]> {
    const out = new Map<string, ApprovalRequest>();
    let start = 0;
    for (let page = 0; page < 20 && out.size < limit; page++) {
      const end = start + limit - 1;
      const members =
        from === 'oldest'
          ? await this.redis.zrange(index, start, end)
          : await this.redis.zrevrange(index, start, end);
      if (members.length === 0) break;
      const records = await this.records(members);
      const left: string[] = [];
      const gone: string[] = [];
      members.forEach((member, i) => {
        const record = records[i];
        const state = requestStateSchema.safeParse(record?.state);
        if (!record || !state.success || !wanted.includes(state.data)) {
          left.push(member);
          if (!record) gone.push(member);
          return;
        }
        start += 1;
        if (out.size >= limit) return;
        // One unreadable record must not hide the others.
        try {
          out.set(member, parseRecord(Object.entries(record).flat()));
        } catch {}
      });
      await this.dropFrom([
        [index, left],
        [alsoGone, gone],
      ]);
      if (members.length < limit) break;
    }
    return [...out.values()];
  }

  /** The records of these ids (undefined: gone), in one round trip. */
  private async records(ids: readonly string[]): Promise<(Record<string, string> | undefined)[]> {
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hgetall(this.keys.request(id));
    const replies = await pipeline.exec();
    throwFirstError(replies);
    return (replies ?? []).map(([, reply]) => {
      const record = z.record(z.string(), z.string()).parse(reply);
      return Object.keys(record).length === 0 ? undefined : record;
    });
  }

  /** One field of each of these records (null: no such field or record), in one round trip. */
  private async fieldOf(ids: readonly string[], field: string): Promise<(string | null)[]> {
    if (ids.length === 0) return [];
    const pipeline = this.redis.pipeline();
    for (const id of ids) pipeline.hget(this.keys.request(id), field);
    const replies = await pipeline.exec();
    throwFirstError(replies);
    return (replies ?? []).map(([, reply]) => z.string().nullable().parse(reply));
  }

  private async dropFrom(drops: [key: string | undefined, members: string[]][]): Promise<void> {
    const pipeline = this.redis.pipeline();
    for (const [key, members] of drops) if (key && members.length > 0) pipeline.zrem(key, ...members);
    if (pipeline.length > 0) throwFirstError(await pipeline.exec());
  }

  private async run(script: LuaScript, id: string, args: readonly (string | number)[]) {
    return scriptReply.parse(await script.run(this.redis, this.keysOf(id), [id, this.retentionMs, ...args]));
  }

  /** KEYS[1..9] of every record script (scripts/includes/record.lua). */
  private keysOf(id: string): string[] {
    const { keys } = this;
    return [
      keys.request(id),
      keys.open,
      keys.pending,
      keys.recent,
      keys.sweep('working'),
      keys.sweep('unposted'),
      keys.sweep('fresh'),
      keys.holds,
      keys.requesters,
    ];
  }
}

const CHANGED_BY_DECIDE: ReadonlySet<string> = new Set(['rejected', 'cancelled', 'expired']);

const APPROVE_OUTCOMES = [
  'conflict',
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
