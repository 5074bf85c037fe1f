// The app's Redis key layout, and the only place a key name is built (README tables list them). Lua
// scripts get every key they touch in KEYS from here, never a prefix to build one from.

/** The sweeper's indexes (see approvals/README.md): working requests, unposted outcomes, unchecked new requests. */
export type SweepIndex = 'working' | 'unposted' | 'fresh';

/** Every key under one prefix, e.g. `{cipher-user}:` (the hash tag keeps a deployment in one Cluster slot). */
export class Keys {
  constructor(readonly prefix: string) {}

  /** A request's record (hash). */
  request(id: string): string {
    return `${this.prefix}request:${id}`;
  }
  /** A batch: user id → that user's outcome JSON. */
  results(id: string): string {
    return `${this.prefix}request:${id}:results`;
  }
  /**
   * User id → `<request id>:<epoch ms>`: this request is about to call Cipherscale to change that user
   * (written and confirmed on replicas before the call; a re-run after a lost outcome reads it).
   */
  attempted(id: string): string {
    return `${this.prefix}request:${id}:attempted`;
  }
  /** A batch: user id → that user's snapshot JSON. */
  targets(id: string): string {
    return `${this.prefix}request:${id}:targets`;
  }
  /** The pages of a batch's list one user has had on screen. */
  seen(id: string, userId: string): string {
    return `${this.prefix}request:${id}:seen:${userId}`;
  }
  /** The approver DMs of a request: approver user id → `<channel>:<ts>` of the DM the app sent them. */
  dms(id: string): string {
    return `${this.prefix}request:${id}:dms`;
  }
  /** The approver DMs of a request: approver user id → the record version their DM shows now. */
  dmsShown(id: string): string {
    return `${this.prefix}request:${id}:dms:shown`;
  }
  /** Every request about one Cipherscale user still in retention (sorted set: request id → createdAt). */
  history(userId: string): string {
    return `${this.prefix}user:${userId.toLowerCase()}:requests`;
  }
  get open(): string {
    return `${this.prefix}requests:open`;
  }
  get pending(): string {
    return `${this.prefix}requests:pending`;
  }
  get recent(): string {
    return `${this.prefix}requests:recent`;
  }
  sweep(index: SweepIndex): string {
    return `${this.prefix}requests:${index}`;
  }
  /** `holdField(action, userId)` → the one open request for that action and user. */
  get holds(): string {
    return `${this.prefix}holds`;
  }
  /** `<requesterId>:<requestId>` for every open request, score 0, lex-ordered (the per-requester cap). */
  get requesters(): string {
    return `${this.prefix}requesters:open`;
  }
  /** A field of `holds`. */
  static holdField(action: string, userId: string): string {
    return `${action}:${userId}`;
  }
  /** ZRANGEBYLEX bounds of one requester's members of `requesters` (Slack ids hold no `:` or `;`). */
  static requesterRange(requesterId: string): [min: string, max: string] {
    return [`[${requesterId}:`, `(${requesterId};`];
  }
  /** Bulk pre-checks in flight of one requester. */
  prechecks(requesterId: string): string {
    return `${this.prefix}requester:${requesterId}:prechecks`;
  }

  get budget(): { log: string; hold: string; interactive: string; bulk: string } {
    const base = `${this.prefix}budget:`;
    return {
      log: `${base}log`,
      hold: `${base}hold`,
      interactive: `${base}waiting:interactive`,
      bulk: `${base}waiting:bulk`,
    };
  }

  /** A Slack method's rate-tier budget (same layout as `budget`); `scope` e.g. a channel for per-channel tiers. */
  slackTier(
    method: string,
    scope?: string,
  ): { log: string; hold: string; interactive: string; bulk: string } {
    const base = `${this.prefix}slack-tier:${method}${scope ? `:${scope}` : ''}:`;
    return {
      log: `${base}log`,
      hold: `${base}hold`,
      interactive: `${base}waiting:interactive`,
      bulk: `${base}waiting:bulk`,
    };
  }
  /** App Home publishes a rate tier put off: user id → '1' approver, '0' not, '' unknown. */
  get homeDeferred(): string {
    return `${this.prefix}home:deferred`;
  }

  get homeViewers(): string {
    return `${this.prefix}home:viewers`;
  }
  get homePublished(): string {
    return `${this.prefix}home:published`;
  }
  get homeGeneration(): string {
    return `${this.prefix}home:generation`;
  }
  /** Request id → whose Homes its change concerns, until the next `home` job takes them. */
  get homeChanges(): string {
    return `${this.prefix}home:dirty`;
  }
  /** Names the `home` job that will take the changes recorded now. */
  get homeRefreshGeneration(): string {
    return `${this.prefix}home:refresh-generation`;
  }

  draft(id: string): string {
    return `${this.prefix}draft:${id}`;
  }

  /** One sweep at a time across every replica. */
  get sweeperLock(): string {
    return `${this.prefix}sweeper:lock`;
  }
}
