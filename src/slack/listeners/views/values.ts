import { z } from 'zod';
import { INPUT_ACTION_ID } from '../../../blocks/ids.js';
import { MAX_PRIVATE_METADATA } from '../../../blocks/limits.js';

// view.state.values as Slack sends it: { [block_id]: { [action_id]: { type, value } } }.
const stateSchema = z.record(
  z.string(),
  z.record(z.string(), z.looseObject({ value: z.string().nullish() })),
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
