import type { WebClient } from '@slack/web-api';
import type { UsergroupDirectory } from '../../approvals/policy.js';
import type { SlackRateTiers } from './rate-tiers.js';

/** How long a lookup waits for a usergroups.users.list slot (Tier 2) before the check is refused. */
const LOOKUP_SLOT_WAIT_MS = 2000;

/** Slack's tier had no room for the lookup in time: the check fails closed ("try again"). */
export class UsergroupLookupThrottled extends Error {
  override readonly name = 'UsergroupLookupThrottled';
  constructor(readonly retryAfterMs: number) {
    super(`usergroups.users.list: no room in Slack's rate tier, retry after ${retryAfterMs} ms`);
  }
}

/**
 * Members of a Slack user group via usergroups.users.list, cached briefly (`cacheMs`, 0 = always ask).
 * Checks that arrive while a lookup is on its way share it; each lookup takes a slot of the method's
 * tier, shared by every process, and one that gets none in time is refused, never answered from a
 * cache older than `cacheMs`.
 */
export class SlackUsergroupDirectory implements UsergroupDirectory {
  private readonly cache = new Map<string, { members: ReadonlySet<string>; at: number }>();
  private readonly inFlight = new Map<string, Promise<ReadonlySet<string>>>();

  constructor(
    private readonly client: WebClient,
    private readonly cacheMs: number,
    private readonly tiers?: Pick<SlackRateTiers, 'tryCall'>,
    private readonly now: () => number = Date.now,
  ) {}

  async members(usergroupId: string): Promise<ReadonlySet<string>> {
    const cached = this.cache.get(usergroupId);
    if (cached && this.now() - cached.at < this.cacheMs) return cached.members;
    const pending = this.inFlight.get(usergroupId);
    if (pending) return pending;
    const lookup = this.lookup(usergroupId).finally(() => this.inFlight.delete(usergroupId));
    this.inFlight.set(usergroupId, lookup);
    return lookup;
  }

  private async lookup(usergroupId: string): Promise<ReadonlySet<string>> {
    const list = () => this.client.usergroups.users.list({ usergroup: usergroupId });
    let answer: Awaited<ReturnType<typeof list>>;
    if (this.tiers) {
      const tried = await this.tiers.tryCall('usergroups.users.list', list, {
        priority: 'interactive',
        maxWaitMs: LOOKUP_SLOT_WAIT_MS,
      });
      if (!tried.ok) throw new UsergroupLookupThrottled(tried.retryAfterMs);
      answer = tried.value;
    } else {
      answer = await list();
    }
    const members: ReadonlySet<string> = new Set(answer.users ?? []);
    this.cache.set(usergroupId, { members, at: this.now() });
    return members;
  }
}
