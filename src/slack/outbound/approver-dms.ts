import type { Redis } from 'ioredis';
import type { Keys } from '../../keys.js';
import { LuaScript } from '../../lua.js';
import type { DmPlace, DmRecords, RecordedDm } from '../../queue/ports.js';

// Which DM the app sent each approver about a request (`Keys.dms`: approver → `<channel>:<ts>`, from
// chat.postMessage's answer) and which version of the record each shows (`Keys.dmsShown`). Both expire
// with the request's record (`<version>:<digest>`, so an update that changes nothing is not sent). A click is accepted from the DM recorded for the clicker (decide.ts).

const { RECORD, SHOWN } = LuaScript.beside(import.meta.url, {
  RECORD: 'record-dm-3',
  SHOWN: 'dm-shown-3',
});

const CHANNEL = /^[CDG][A-Z0-9]{2,30}$/;
const TS = /^\d{1,12}\.\d{1,9}$/;

export class ApproverDms implements DmRecords {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly retentionMs: number,
  ) {}

  /** Records a DM just posted, showing `version`; false when the request's record has gone. */
  async record(
    requestId: string,
    userId: string,
    place: DmPlace,
    version: number,
    digest: string,
  ): Promise<boolean> {
    const value = `${place.channel}:${place.ts}`;
    const args = [userId, value, version, digest, this.retentionMs];
    return (await RECORD.run(this.redis, this.keysOf(requestId), args)) === 1;
  }

  /** The DM recorded for this approver, if any. */
  async of(requestId: string, userId: string): Promise<DmPlace | undefined> {
    const value = await this.redis.hget(this.keys.dms(requestId), userId);
    return value === null ? undefined : parsePlace(value);
  }

  /** Every DM recorded for a request, with the version each shows. */
  async list(requestId: string): Promise<RecordedDm[]> {
    const [places, shown] = await Promise.all([
      this.redis.hgetall(this.keys.dms(requestId)),
      this.redis.hgetall(this.keys.dmsShown(requestId)),
    ]);
    return Object.entries(places).flatMap(([userId, value]) => {
      const place = parsePlace(value);
      if (!place) return [];
      const [, version, digest] = /^(-?\d+):(.*)$/.exec(shown[userId] ?? '') ?? [];
      return [{ userId, ...place, shown: version ? Number(version) : -1, digest: digest ?? '' }];
    });
  }

  /** An update landed showing `version`: true when that is the newest this DM got (see dm-shown-3.lua). */
  async shown(requestId: string, userId: string, version: number, digest: string): Promise<boolean> {
    return (await SHOWN.run(this.redis, this.keysOf(requestId), [userId, version, digest])) === 1;
  }

  /** Forgets a DM Slack will not update any more (deleted, conversation gone). */
  async drop(requestId: string, userId: string): Promise<void> {
    await this.redis
      .multi()
      .hdel(this.keys.dms(requestId), userId)
      .hdel(this.keys.dmsShown(requestId), userId)
      .exec();
  }

  private keysOf(requestId: string): string[] {
    return [this.keys.request(requestId), this.keys.dms(requestId), this.keys.dmsShown(requestId)];
  }
}

function parsePlace(value: string): DmPlace | undefined {
  const at = value.indexOf(':');
  const channel = value.slice(0, at);
  const ts = value.slice(at + 1);
  return at > 0 && CHANNEL.test(channel) && TS.test(ts) ? { channel, ts } : undefined;
}
