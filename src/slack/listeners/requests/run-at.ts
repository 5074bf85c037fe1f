import type { ScheduleField } from '../../../blocks/modals.js';
import { escapeMrkdwn } from '../../../blocks/mrkdwn.js';
import type { AppContext } from '../../context.js';
import type { LocalTime } from '../commands/parse.js';

// `--at` read in the requester's Slack time zone: the modal's picker is pre-filled with it, and the modal
// (blocks/modal-input.ts validateRunAt) stays the one place the time is checked.

export type ZonedTime =
  | { kind: 'exact'; ms: number }
  /** The clocks jump over it (spring forward): no such time there. */
  | { kind: 'gap' }
  /** The clocks pass it twice (fall back): the earlier and the later instant. */
  | { kind: 'ambiguous'; earlier: number; later: number };

/** The instant(s) a wall-clock time names in an IANA time zone. */
export function zonedTime(local: LocalTime, timeZone: string): ZonedTime {
  const wall = Date.UTC(local.year, local.month - 1, local.day, local.hour, local.minute);
  // Any offset change near this time shows on one side or the other of it within a day.
  const offsets = new Set([offsetAt(wall - 86_400_000, timeZone), offsetAt(wall + 86_400_000, timeZone)]);
  const instants = [...offsets]
    .map((offset) => wall - offset)
    .filter((ms) => wall - offsetAt(ms, timeZone) === ms)
    .sort((a, b) => a - b);
  const [earlier, later] = instants;
  if (earlier === undefined) return { kind: 'gap' };
  if (later === undefined || later === earlier) return { kind: 'exact', ms: earlier };
  return { kind: 'ambiguous', earlier, later };
}

/** The zone's offset from UTC at an instant, in ms (local = UTC + offset). */
function offsetAt(ms: number, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  }).formatToParts(new Date(ms));
  const part = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const local = Date.UTC(
    part('year'),
    part('month') - 1,
    part('day'),
    part('hour'),
    part('minute'),
    part('second'),
  );
  return local - (ms - (ms % 1000));
}

/** "UTC+1", "UTC−3:30". */
function offsetName(ms: number, timeZone: string): string {
  const minutes = Math.round(offsetAt(ms, timeZone) / 60_000);
  const sign = minutes < 0 ? '−' : '+';
  const abs = Math.abs(minutes);
  const rest = abs % 60 === 0 ? '' : `:${String(abs % 60).padStart(2, '0')}`;
  return `UTC${sign}${Math.floor(abs / 60)}${rest}`;
}

/**
 * The picker's pre-filled time for `--at`, read in the requester's Slack time zone; or, in words, why it
 * cannot be (the zone could not be read; the time does not exist there).
 */
export async function scheduleFromCommand(
  at: LocalTime | undefined,
  requesterId: string,
  ctx: Pick<AppContext, 'timeZones'>,
): Promise<{ ok: true; schedule: ScheduleField } | { ok: false; text: string }> {
  if (!at) return { ok: true, schedule: {} };
  const shown = `\`${escapeMrkdwn(at.text, { singleLine: true })}\``;
  const tz = await ctx.timeZones.of(requesterId);
  if (!tz) {
    return {
      ok: false,
      text: `:warning: cipher-user could not read your Slack time zone just now, so it cannot tell when ${shown} is. Nothing was created; try again, or leave out \`--at\` and pick the time in the form.`,
    };
  }
  const zone = escapeMrkdwn(tz, { singleLine: true });
  const zoned = zonedTime(at, tz);
  if (zoned.kind === 'gap') {
    return {
      ok: false,
      text: `:warning: ${shown} does not exist in your time zone (${zone}): the clocks skip that hour. Nothing was created; choose another time.`,
    };
  }
  if (zoned.kind === 'exact') {
    return {
      ok: true,
      schedule: { initialMs: zoned.ms, note: `\`--at\` ${shown} read in your time zone, ${zone}.` },
    };
  }
  const first = offsetName(zoned.earlier, tz);
  const second = offsetName(zoned.later, tz);
  return {
    ok: true,
    schedule: {
      initialMs: zoned.earlier,
      note: `:warning: ${shown} happens twice in ${zone} (the clocks go back): took the first, ${first}, not the second, ${second}. Change the time below if you meant the later one.`,
    },
  };
}
