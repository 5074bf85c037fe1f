import type { UpdateUser } from '../cipherscale/schemas.js';
import type { TargetSnapshot } from './types.js';

// Checks of an approved edit against the user as Cipherscale holds it now. What a modal accepts is
// checked in blocks/modal-input.ts.

/** The fields an edit may change. */
const EDIT_FIELDS = ['firstName', 'lastName', 'image'] as const;
export type EditField = (typeof EDIT_FIELDS)[number];

/** The fields an edit sends whose stored value is no longer, byte for byte, the one approvers saw. */
export function staleFields(
  changes: UpdateUser | undefined,
  before: Pick<TargetSnapshot, EditField>,
  now: Pick<TargetSnapshot, EditField>,
): EditField[] {
  return EDIT_FIELDS.filter((field) => changes?.[field] !== undefined && now[field] !== before[field]);
}
