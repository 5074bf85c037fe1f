import type { WebClient } from '@slack/web-api';

/** How long a requester's Slack time zone is kept: they rarely change it, and each command would ask. */
const TIME_ZONE_CACHE_MS = 10 * 60_000;
const MAX_CACHED = 5_000;

/**
 * Each user's Slack time zone (`users.info` → `tz`, an IANA name), kept a while per user. A failed lookup,
 * or an answer without a usable zone, is undefined: the caller says so rather than guess.
 */
export class TimeZones {
  private readonly cached = new Map<string, { tz: string; until: number }>();

  constructor(
    private readonly client: Pick<WebClient, 'users'>,
    private readonly now: () => number,
  ) {}

  async of(userId: string): Promise<string | undefined> {
    const hit = this.cached.get(userId);
    if (hit && hit.until > this.now()) return hit.tz;
    const info = await this.client.users.info({ user: userId }).catch(() => undefined);
    const tz = info?.ok ? info.user?.tz : undefined;
    if (!tz || !isTimeZone(tz)) return undefined;
    this.cached.delete(userId);
    this.cached.set(userId, { tz, until: this.now() + TIME_ZONE_CACHE_MS });
    if (this.cached.size > MAX_CACHED) {
      const oldest = this.cached.keys().next().value;
      if (oldest !== undefined) this.cached.delete(oldest);
    }
    return tz;
  }
}

function isTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}
