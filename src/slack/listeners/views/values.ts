import { z } from 'zod';
import { INPUT_ACTION_ID } from '../../../blocks/ids.js';
import { MAX_PRIVATE_METADATA } from '../../../blocks/limits.js';

// view.state.values as Slack sends it: { [block_id]: { [action_id]: { type, value } } } (a datetimepicker:
// `selected_date_time`, epoch seconds).
const stateSchema = z.record(
  z.string(),
  z.record(
    z.string(),
    z.looseObject({ value: z.string().nullish(), selected_date_time: z.number().nullish() }),
  ),
);

/** The text typed into each input block (undefined when empty or absent). */
export function inputValues(state: unknown): Record<string, string | undefined> {
  const parsed = stateSchema.safeParse((state as { values?: unknown } | undefined)?.values);
  if (!parsed.success) return {};
  const out: Record<string, string | undefined> = {};
  for (const [blockId, actions] of Object.entries(parsed.data)) {
    out[blockId] = actions[INPUT_ACTION_ID]?.value ?? undefined;
  }
  return out;
}

/** The time picked in a datetimepicker block (epoch seconds); undefined when none was picked or it is absent. */
export function pickedTime(state: unknown, blockId: string): number | undefined {
  const parsed = stateSchema.safeParse((state as { values?: unknown } | undefined)?.values);
  if (!parsed.success) return undefined;
  return parsed.data[blockId]?.[INPUT_ACTION_ID]?.selected_date_time ?? undefined;
}

/** private_metadata written by this app: a small JSON object. */
export function metadata(raw: unknown): Record<string, unknown> {
  if (typeof raw !== 'string' || raw.length > MAX_PRIVATE_METADATA) return {};
  try {
    const value: unknown = JSON.parse(raw);
    return value && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}
