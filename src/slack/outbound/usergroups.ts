import type { WebClient } from '@slack/web-api';
import type { UsergroupDirectory } from '../../approvals/policy.js';

/** Members of a Slack user group via usergroups.users.list, cached briefly (`cacheMs`, 0 = always ask). */
export class SlackUsergroupDirectory implements UsergroupDirectory {
  private readonly cache = new Map<string, { members: ReadonlySet<string>; at: number }>();
  private readonly inFlight = new Map<string, Promise<ReadonlySet<string>>>();

  constructor(
    private readonly client: WebClient,
    private readonly cacheMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  async members(usergroupId: string): Promise<ReadonlySet<string>> {
    const cached = this.cache.get(usergroupId);
    if (cached && this.now() - cached.at < this.cacheMs) return cached.members;
    const pending = this.inFlight.get(usergroupId);
    if (pending) return pending;
    const lookup = this.client.usergroups.users
      .list({ usergroup: usergroupId })
      .then((answer) => {
        const members: ReadonlySet<string> = new Set(answer.users ?? []);
        this.cache.set(usergroupId, { members, at: this.now() });
        return members;
      })
      .finally(() => this.inFlight.delete(usergroupId));
    this.inFlight.set(usergroupId, lookup);
    return lookup;
  }
}
