import { ErrorCode, type WebClient } from '@slack/web-api';
import { requestsConcerning } from '../../../approvals/concerns.js';
import type { Policy } from '../../../approvals/policy.js';
import type { RequestStore } from '../../../approvals/store/store.js';
import type { ApprovalRequest } from '../../../approvals/types.js';
import { HOME_LIST_SHOWN, HOME_RECENT_SHOWN, type HomeList, homeView } from '../../../blocks/home.js';
import type { Priority } from '../../../cipherscale/budget.js';
import type { Logger } from '../../../logger.js';
import { permalink } from '../permalink.js';
import type { SlackRateTiers } from '../rate-tiers.js';
import type { HomeViewers } from './viewers.js';

export interface HomeTabDeps {
  store: Pick<RequestStore, 'get' | 'listOpen' | 'listRecent'>;
  policy: Pick<Policy, 'isApprover'>;
  viewers: HomeViewers;
  client: Pick<WebClient, 'chat' | 'views'>;
  logger: Logger;
  now?: () => number;
  /** Slack's views.publish tier, shared by every process; without it every publish is sent at once. */
  tiers?: Pick<SlackRateTiers, 'tryCall'>;
}

/** Whose Homes to publish: user id → whether they may approve (undefined: ask). */
export type Audience = Map<string, boolean | undefined>;

/** Where Homes the rate tier had no room for go, to be published later (the refresh queue). */
export interface HomeDeferral {
  defer(users: Audience, retryAfterMs: number): Promise<void>;
}

/** A request changed; `all`: approvers' lists show it too, `requester`: only its requester's list does. */
export interface HomeChange {
  requestId: string;
  scope: 'all' | 'requester';
}

/** Open requests read per publish (as `/cipher-user pending` does). */
const OPEN_SCANNED = 500;
/** Finished requests read per publish; a non-approver sees their own among these. */
const RECENT_SCANNED = 50;
/** Viewers refreshed after one change at most (the latest to open the Home). */
const REFRESHED_MAX = 50;
const PARALLEL_PUBLISHES = 5;
const LINKS_CACHED = 500;
/** How long a publish waits for a views.publish slot before it is put off, and its place in line. */
interface SlotWait {
  waitMs: number;
  priority: Priority;
}
const REFRESH_SLOT: SlotWait = { waitMs: 1000, priority: 'bulk' };
/** A Home its viewer just opened goes before refreshes. */
const OPENED_SLOT: SlotWait = { waitMs: 3000, priority: 'interactive' };

/** Builds and publishes each user's App Home from what Redis holds now. */
export class HomeTab {
  /** Permalinks by message: a message's link never changes, so asking Slack once is enough. */
  private readonly links = new Map<string, Promise<string | undefined>>();
  private readonly now: () => number;
  private deferral: HomeDeferral | undefined;

  constructor(private readonly deps: HomeTabDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** Homes the rate tier has no room for go there (without one they are logged and left). */
  deferTo(deferral: HomeDeferral): void {
    this.deferral = deferral;
  }

  /** `userId` opened the Home tab: remember them for later refreshes, and show them their Home. */
  async opened(userId: string): Promise<void> {
    await this.deps.viewers.opened(userId, this.now());
    await this.publish(new Map([[userId, undefined]]), OPENED_SLOT);
  }

  /**
   * After requests changed: republish the Home of each one's requester and, when a change shows on
   * approvers' lists too, of the latest viewers who may approve, among those who opened the Home before.
   * Anyone else's Home does not show the change. Whether a viewer is an approver is asked once.
   */
  async refreshFor(changes: Iterable<HomeChange>, deferred: Audience = new Map()): Promise<void> {
    const { store, viewers } = this.deps;
    const now = this.now();
    const audience: Audience = new Map(deferred);
    let approversToo = false;
    for (const { requestId, scope } of changes) {
      if (scope === 'all') approversToo = true;
      const request = await store.get(requestId).catch(() => undefined);
      if (request && (await viewers.has(request.requesterId, now)))
        audience.set(request.requesterId, undefined);
    }
    if (approversToo) {
      const recent = await viewers.recent(REFRESHED_MAX, now);
      const approvers = await Promise.all(recent.map((userId) => this.isApprover(userId)));
      for (const [i, userId] of recent.entries()) {
        if (approvers[i]) audience.set(userId, true);
        else if (audience.has(userId)) audience.set(userId, false);
      }
    }
    await this.publish(audience);
  }

  /** Publishes each user's Home from one reading of the requests; a failed publish is logged, not thrown. */
  async publish(
    users: ReadonlyMap<string, boolean | undefined>,
    slot: SlotWait = REFRESH_SLOT,
  ): Promise<void> {
    if (users.size === 0) return;
    const generation = await this.deps.viewers.nextGeneration();
    const [open, recent] = await Promise.all([
      this.deps.store.listOpen(OPEN_SCANNED),
      // Approvers see the latest finished requests of anyone: a screenful is enough unless someone else
      // (who sees only their own among the latest 50) is in this round.
      this.deps.store.listRecent(
        [...users.values()].every((approver) => approver === true) ? HOME_RECENT_SHOWN : RECENT_SCANNED,
      ),
    ]);
    const entries = [...users];
    const putOff: Audience = new Map();
    let retryAfterMs = 0;
    for (let i = 0; i < entries.length; i += PARALLEL_PUBLISHES) {
      const results = await Promise.all(
        entries
          .slice(i, i + PARALLEL_PUBLISHES)
          .map(([userId, approver]) => this.publishOne(userId, approver, generation, open, recent, slot)),
      );
      for (const [j, result] of results.entries()) {
        const entry = entries[i + j];
        if (!entry || !result || !('retryAfterMs' in result)) continue;
        putOff.set(entry[0], result.approver);
        retryAfterMs = Math.max(retryAfterMs, result.retryAfterMs);
      }
    }
    if (putOff.size > 0) await this.putOff(putOff, retryAfterMs);
  }

  private async putOff(users: Audience, retryAfterMs: number): Promise<void> {
    if (!this.deferral) {
      this.deps.logger.warn({ users: users.size }, 'App Home not published: Slack rate tier full');
      return;
    }
    await this.deferral
      .defer(users, retryAfterMs)
      .catch((err: unknown) =>
        this.deps.logger.warn(
          { users: users.size, err: { message: (err as Error).message } },
          'App Home publishes put off but not scheduled',
        ),
      );
  }

  private isApprover(userId: string): Promise<boolean> {
    return this.deps.policy.isApprover(userId).catch(() => false);
  }

  private async publishOne(
    userId: string,
    knownApprover: boolean | undefined,
    generation: number,
    open: readonly ApprovalRequest[],
    recent: readonly ApprovalRequest[],
    slot: SlotWait,
  ): Promise<{ retryAfterMs: number; approver: boolean | undefined } | undefined> {
    try {
      const approver = knownApprover ?? (await this.isApprover(userId));
      const concerning = requestsConcerning(open, userId, approver);
      const of = (role: 'requester' | 'approver') =>
        this.list(concerning.filter((c) => c.role === role).map((c) => c.request));
      const view = homeView({
        awaiting: approver ? await of('approver') : undefined,
        mine: await of('requester'),
        recent: (approver ? recent : recent.filter((r) => r.requesterId === userId)).slice(
          0,
          HOME_RECENT_SHOWN,
        ),
        recentScope: approver ? 'all' : 'mine',
      });
      // A later reading is already on its way to this user: this one would only set them back.
      if (!(await this.deps.viewers.claim(userId, generation))) return undefined;
      const send = () => this.deps.client.views.publish({ user_id: userId, view });
      if (!this.deps.tiers) {
        await send();
        return undefined;
      }
      const sent = await this.deps.tiers.tryCall('views.publish', send, {
        maxWaitMs: slot.waitMs,
        priority: slot.priority,
      });
      // No room in the tier: published later, from what Redis holds then.
      return sent.ok ? undefined : { retryAfterMs: sent.retryAfterMs, approver };
    } catch (err) {
      // Slack said 429 past the client's retries: put off like a full tier, never dropped.
      const retryAfterMs = rateLimitedFor(err);
      if (retryAfterMs !== undefined) return { retryAfterMs, approver: knownApprover };
      this.deps.logger.warn({ userId, error: slackError(err) }, 'App Home not published');
      return undefined;
    }
  }

  private async list(requests: readonly ApprovalRequest[]): Promise<HomeList> {
    const shown = requests.slice(0, HOME_LIST_SHOWN);
    const entries = await Promise.all(
      shown.map(async (request) => ({ request, link: await this.link(request) })),
    );
    return { entries, total: requests.length };
  }

  private link({ channelId, messageTs }: ApprovalRequest): Promise<string | undefined> {
    if (!messageTs) return Promise.resolve(undefined);
    const key = `${channelId}/${messageTs}`;
    let link = this.links.get(key);
    if (!link) {
      link = permalink(this.deps.client, channelId, messageTs);
      // Only links Slack gave are kept; the oldest go first.
      void link.then((found) => {
        if (!found) this.links.delete(key);
      });
      this.links.set(key, link);
      if (this.links.size > LINKS_CACHED) this.links.delete(this.links.keys().next().value ?? key);
    }
    return link;
  }
}

/** How long Slack asked to wait, when `err` is its 429 (rejected at once, or still there after the retries). */
function rateLimitedFor(err: unknown): number | undefined {
  const { code, retryAfter, original } = err as { code?: unknown; retryAfter?: unknown; original?: unknown };
  if (code === ErrorCode.RateLimitedError) return (typeof retryAfter === 'number' ? retryAfter : 1) * 1000;
  const message = original instanceof Error ? original.message : '';
  const seconds = /A rate limit was exceeded .*retry-after: (\d+)/.exec(message)?.[1];
  return seconds === undefined ? undefined : Number(seconds) * 1000;
}

/** Slack's error code, else the client's: never a message that could carry a token or a payload. */
function slackError(err: unknown): string {
  const { data, code, name } = err as { data?: { error?: unknown }; code?: unknown; name?: unknown };
  if (typeof data?.error === 'string') return data.error;
  return typeof code === 'string' ? code : String(name ?? 'Error');
}
