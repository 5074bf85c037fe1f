// Independent of src/redact.ts: a naive search for any run of 8+ characters of a secret.

export const MIN_FRAGMENT = 8;

/** Each 8-character run of `secret` found in `text` (ASCII case ignored), with where it was found. */
export function fragmentsIn(text: string, secret: string): string[] {
  const haystack = text.toLowerCase();
  const needle = secret.toLowerCase();
  const found: string[] = [];
  for (let i = 0; i + MIN_FRAGMENT <= needle.length; i++) {
    const run = needle.slice(i, i + MIN_FRAGMENT);
    const at = haystack.indexOf(run);
    if (at !== -1) found.push(`"${run}" at ${at}: …${text.slice(Math.max(0, at - 20), at + 28)}…`);
  }
  return found;
}

/** Every fragment of every named secret in every named place, as readable lines (empty: no leak). */
export function leaksOf(places: Record<string, string>, secrets: Record<string, string>): string[] {
  const out: string[] = [];
  for (const [where, text] of Object.entries(places)) {
    for (const [name, secret] of Object.entries(secrets)) {
      for (const f of fragmentsIn(text, secret).slice(0, 2)) out.push(`${name} in ${where}: ${f}`);
    }
  }
  return out;
}
