import { MAX_SCHEDULE_AHEAD_MS, SCHEDULE_GRACE_MS } from '../approvals/schedule.js';
import type { TargetSnapshot } from '../approvals/types.js';
import type { EditField } from '../approvals/validate.js';
import type { UpdateUser } from '../cipherscale/schemas.js';
import { DELETE_CONFIRMATION_WORD } from './ids.js';

// What the request modals accept: pure checks of the submitted values, and the stored values the edit
// modal can show as they are. Error strings are shown inline by Slack, as plain text.

/** Longest first or last name the edit modal accepts. */
export const NAME_INPUT_MAX = 100;
/** Longest image URL the edit modal accepts. */
export const IMAGE_INPUT_MAX = 2000;
/** Longest reason (request or rejection) the modals accept. */
export const REASON_INPUT_MAX = 1000;

/** The inline error under the delete confirmation box. */
export const CONFIRM_DELETE_ERROR = `Type ${DELETE_CONFIRMATION_WORD}, in capitals, to confirm.`;

/** Raw modal values: null or undefined when the field was left empty. */
export interface EditInput {
  firstName?: string | null | undefined;
  lastName?: string | null | undefined;
  image?: string | null | undefined;
}
export type EditErrors = Partial<Record<EditField, string>>;

// C0/C1 controls, plus bidirectional overrides and isolates, which can make a name display as another.
const HIDDEN = /[\p{Cc}\u202A-\u202E\u2066-\u2069]/u;
// Format characters (zero-width…; a ZWJ joining emoji excepted), spaces but U+0020, blank letters, lone surrogates.
const INVISIBLE =
  /(?<![\p{Extended_Pictographic}\p{Emoji_Modifier}]\uFE0F?)\u200D|(?!\u200D)[\p{Cf}\p{Cs}\p{Co}\p{Zl}\p{Zp}\u115F\u1160\u2800\u3164\uFFA0]|(?! )\p{Zs}/u;
const ZWJ = '\u200D';

const STRICT_HTTPS = /^https:\/\/[^/\\][^\\]*$/i;

const codePoints = (text: string): number => [...text].length;

const FIELD_CHECKS = [
  ['firstName', 'First name', checkName],
  ['lastName', 'Last name', checkName],
  ['image', 'Image', checkImage],
] as const;

/**
 * The stored value exactly as the edit modal can show it, or undefined when it cannot: empty, or not a
 * value the modal would accept as typed (surrounding or unusual whitespace, invisible characters, too long,
 * not an https URL). Both the modal and {@link validateEdit} read this, so they compare like with like.
 */
export function modalValue(field: EditField, stored: string | undefined): string | undefined {
  if (stored === undefined || stored === '' || stored !== stored.trim()) return undefined;
  const max = field === 'image' ? IMAGE_INPUT_MAX : NAME_INPUT_MAX;
  if (stored.length > max) return undefined;
  const check = field === 'image' ? checkImage : checkName;
  return check(stored, '') === undefined ? stored : undefined;
}

/**
 * What the PUT carries: only the fields the requester changed. A field counts as untouched when its input
 * still holds what the modal showed ({@link modalValue}), or is empty where the modal could not show the
 * stored value; an untouched field is never sent, whatever its stored text.
 */
export function validateEdit(
  input: EditInput,
  before: TargetSnapshot,
): { ok: true; changes: UpdateUser } | { ok: false; errors: EditErrors } {
  const errors: EditErrors = {};
  const changes: UpdateUser = {};
  for (const [field, label, check] of FIELD_CHECKS) {
    const value = (input[field] ?? '').trim();
    const shown = modalValue(field, before[field]);
    if (value === '') {
      if (shown !== undefined) errors[field] = emptyError(field, label);
      continue;
    }
    if (value === shown) continue;
    const error = check(value, label);
    if (error) errors[field] = error;
    else if (value !== before[field]) changes[field] = value;
  }
  if (Object.keys(errors).length > 0) return { ok: false, errors };
  if (Object.keys(changes).length === 0) {
    return { ok: false, errors: { firstName: 'Nothing changed: edit at least one field.' } };
  }
  return { ok: true, changes };
}

function emptyError(field: EditField, label: string): string {
  return field === 'image'
    ? 'Removing the image is not supported; enter an https:// URL'
    : `${label} can't be empty`;
}

function checkName(value: string, label: string): string | undefined {
  if (codePoints(value) > NAME_INPUT_MAX) return `${label} can be at most ${NAME_INPUT_MAX} characters.`;
  if (HIDDEN.test(value)) return `${label} contains invisible control characters.`;
  if (INVISIBLE.test(value))
    return `${label} contains invisible characters or unusual spaces (zero-width, non-breaking…).`;
  return undefined;
}

function checkImage(value: string): string | undefined {
  if (value.length > IMAGE_INPUT_MAX) return `Keep the image URL under ${IMAGE_INPUT_MAX} characters.`;
  if (/\s/u.test(value) || HIDDEN.test(value) || INVISIBLE.test(value) || value.includes(ZWJ))
    return 'The image URL must not contain spaces or control characters.';
  // The URL parser forgives 'https:host' and 'https:///host'; the stored text must be what it means.
  let url: URL | undefined;
  try {
    url = STRICT_HTTPS.test(value) ? new URL(value) : undefined;
  } catch {}
  if (url?.protocol !== 'https:' || url.hostname === '')
    return 'Enter a full image URL starting with https://';
  if (url.username !== '' || url.password !== '')
    return 'The image URL must not contain a user name or password.';
  return undefined;
}

export function validateReason(
  text: string | null | undefined,
  options: { required?: boolean } = {},
): { ok: true; reason: string } | { ok: false; error: string } {
  const reason = (text ?? '')
    .replace(/\r\n?/g, '\n')
    .replace(/\t/g, ' ')
    .replace(/[^\P{Cc}\n]/gu, '')
    .trim();
  if (reason === '' && (options.required ?? true)) return { ok: false, error: 'A reason is required.' };
  if (codePoints(reason) > REASON_INPUT_MAX)
    return { ok: false, error: `Keep the reason under ${REASON_INPUT_MAX} characters.` };
  return { ok: true, reason };
}

/** True when the user typed the confirmation word (trimmed, any case). */
export function confirmsDelete(text: string | null | undefined): boolean {
  // Case-exact on purpose: typing the capitals is the deliberate act (surrounding spaces are forgiven).
  return (text ?? '').trim() === DELETE_CONFIRMATION_WORD;
}

/**
 * The "Run at" picker's value (epoch seconds, as Slack sends it; null or undefined: left empty, run once
 * approved). Refused: a time that has passed (beyond a small grace for "now"), or more than 90 days ahead.
 */
export function validateRunAt(
  seconds: number | null | undefined,
  now: number,
): { ok: true; runAt: number | undefined } | { ok: false; error: string } {
  if (seconds === null || seconds === undefined) return { ok: true, runAt: undefined };
  const runAt = seconds * 1000;
  if (!Number.isSafeInteger(runAt)) return { ok: false, error: 'Choose a date and a time.' };
  if (runAt < now - SCHEDULE_GRACE_MS) return { ok: false, error: 'That time has passed.' };
  const latest = now + MAX_SCHEDULE_AHEAD_MS;
  if (runAt > latest) {
    const until = new Date(latest).toISOString().slice(0, 16).replace('T', ' ');
    return { ok: false, error: `At most 90 days ahead (until ${until} UTC).` };
  }
  return { ok: true, runAt };
}
