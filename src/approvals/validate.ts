import { DELETE_CONFIRMATION_WORD } from '../blocks/ids.js';
import type { UpdateUser } from '../cipherscale/schemas.js';
import type { TargetSnapshot } from './types.js';

// Pure checks of modal input. Error strings are shown inline by Slack, as plain text.

/** Raw modal values: null or undefined when the field was left empty. */
export interface EditInput {
  firstName?: string | null | undefined;
  lastName?: string | null | undefined;
  image?: string | null | undefined;
}
export type EditField = 'firstName' | 'lastName' | 'image';
export type EditErrors = Partial<Record<EditField, string>>;

const NAME_MAX = 100;
const IMAGE_MAX = 2000;
const REASON_MAX = 1000;
// C0/C1 controls, plus bidirectional overrides and isolates, which can make a name display as another.
const HIDDEN = /[\p{Cc}\u202A-\u202E\u2066-\u2069]/u;

const STRICT_HTTPS = /^https:\/\/[^/\\][^\\]*$/i;

const codePoints = (text: string): number => [...text].length;
const hasValue = (text: string | undefined): text is string => text !== undefined && text.trim() !== '';

export function validateEdit(
  input: EditInput,
  before: TargetSnapshot,
): { ok: true; changes: UpdateUser } | { ok: false; errors: EditErrors } {
  const errors: EditErrors = {};
  const changes: UpdateUser = {};
  const fields = [
    ['firstName', 'First name', checkName],
    ['lastName', 'Last name', checkName],
    ['image', 'Image', checkImage],
  ] as const;
  for (const [field, label, check] of fields) {
    const value = (input[field] ?? '').trim();
    const previous = before[field];
    if (value === '') {
      if (hasValue(previous)) errors[field] = emptyError(field, label);
      continue;
    }
    const error = check(value, label);
    if (error) errors[field] = error;
    else if (value !== previous) changes[field] = value;
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
  if (codePoints(value) > NAME_MAX) return `${label} can be at most ${NAME_MAX} characters.`;
  if (HIDDEN.test(value)) return `${label} contains invisible control characters.`;
  return undefined;
}

function checkImage(value: string): string | undefined {
  if (value.length > IMAGE_MAX) return `Keep the image URL under ${IMAGE_MAX} characters.`;
  if (/\s/u.test(value) || HIDDEN.test(value))
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
  if (codePoints(reason) > REASON_MAX)
    return { ok: false, error: `Keep the reason under ${REASON_MAX} characters.` };
  return { ok: true, reason };
}

/** True when the user typed the confirmation word (trimmed, any case). */
export function confirmsDelete(text: string | null | undefined): boolean {
  return (text ?? '').trim().toLowerCase() === DELETE_CONFIRMATION_WORD.toLowerCase();
}
