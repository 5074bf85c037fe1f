// Secrets kept out of every text that leaves the process: any run of 8 or more characters of one is the secret.

/** Shortest run of a secret treated as the secret. */
export const MIN_RUN = 8;
/** Shorter secrets are ignored: matching them would erase ordinary words. */
export const MIN_SECRET = 6;
export const REDACTED = '[REDACTED]';

/**
 * Replaces every run of ≥ {@link MIN_RUN} characters of any secret (a secret of 6–7 characters: the whole
 * secret) with `[REDACTED]`, one marker per run. ASCII case is ignored. Also matched: each secret as
 * JSON-escaped (what pino writes), URL-encoded and entity-escaped (`&amp;`, as mrkdwn shows it).
 * O(length): one set lookup per 8-character window.
 */
export class Redactor {
  private readonly grams = new Set<string>();
  private readonly short: string[] = [];

  constructor(secrets: Iterable<string>) {
    for (const secret of secrets) {
      if (secret.length < MIN_SECRET) continue;
      for (const form of formsOf(secret)) {
        const folded = foldCase(form);
        if (folded.length < MIN_RUN) this.short.push(folded);
        else for (let i = 0; i + MIN_RUN <= folded.length; i++) this.grams.add(folded.slice(i, i + MIN_RUN));
      }
    }
  }

  get empty(): boolean {
    return this.grams.size === 0 && this.short.length === 0;
  }

  redact(text: string): string {
    if (this.empty || text.length < MIN_SECRET) return text;
    // A secret that contains marker characters could meet a marker: settle in a few passes.
    let out = text;
    for (let pass = 0; pass < 3; pass++) {
      const next = this.once(out);
      if (next === out) return out;
      out = next;
    }
    return out;
  }

  private once(text: string): string {
    const folded = foldCase(text);
    const runs: Array<[number, number]> = [];
    for (let i = 0; i + MIN_RUN <= folded.length; i++) {
      if (this.grams.has(folded.slice(i, i + MIN_RUN))) runs.push([i, i + MIN_RUN]);
    }
    for (const secret of this.short) {
      for (let at = folded.indexOf(secret); at !== -1; at = folded.indexOf(secret, at + 1)) {
        runs.push([at, at + secret.length]);
      }
    }
    if (runs.length === 0) return text;
    runs.sort((a, b) => a[0] - b[0]);
    const merged: Array<[number, number]> = [];
    for (const [from, to] of runs) {
      const last = merged[merged.length - 1];
      if (last && from <= last[1]) last[1] = Math.max(last[1], to);
      else merged.push([from, to]);
    }
    let out = '';
    let kept = 0;
    for (const [from, to] of merged) {
      out += text.slice(kept, from) + REDACTED;
      kept = to;
    }
    return out + text.slice(kept);
  }
}

/** At most `max` characters of redacted text, never ending in half a marker. */
export function redactAndCut(redactor: Redactor, text: string, max: number): string {
  const cut = redactor.redact(text).slice(0, Math.max(0, max));
  const open = cut.lastIndexOf('[');
  return open !== -1 && cut.length - open < REDACTED.length && REDACTED.startsWith(cut.slice(open))
    ? cut.slice(0, open)
    : cut;
}

function formsOf(secret: string): Set<string> {
  const entities = secret.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const forms = new Set([secret, safeEncode(secret), entities]);
  for (const form of [...forms]) forms.add(JSON.stringify(form).slice(1, -1));
  return forms;
}

function safeEncode(text: string): string {
  try {
    return encodeURIComponent(text);
  } catch {
    return text; // a lone surrogate
  }
}

// ASCII only, so that every index of the folded text is the same index in the original.
const foldCase = (text: string) => text.replace(/[A-Z]+/g, (upper) => upper.toLowerCase());

// The secrets of every runtime in this process: what the Block Kit builders and the Slack boundary redact.
const registered = new Map<string, number>();
let process_ = new Redactor([]);

/** Adds secrets to the process-wide redaction; the returned function takes them out again. */
export function protectSecrets(secrets: readonly string[]): () => void {
  for (const s of secrets) registered.set(s, (registered.get(s) ?? 0) + 1);
  process_ = new Redactor(registered.keys());
  let released = false;
  return () => {
    if (released) return;
    released = true;
    for (const s of secrets) {
      const count = (registered.get(s) ?? 1) - 1;
      if (count <= 0) registered.delete(s);
      else registered.set(s, count);
    }
    process_ = new Redactor(registered.keys());
  };
}

/** `text` without any run of a secret protected in this process (see {@link Redactor}). */
export function redactSecrets(text: string): string {
  return process_.redact(text);
}

/** The process-wide redactor (for {@link redactAndCut}). */
export function processRedactor(): Redactor {
  return process_;
}

/** Every string inside a JSON-like value redacted; the same value back when nothing changed. */
export function redactDeep<T>(value: T): T {
  if (process_.empty) return value;
  return deep(value, process_) as T;
}

function deep(value: unknown, redactor: Redactor): unknown {
  if (typeof value === 'string') return redactor.redact(value);
  if (Array.isArray(value)) {
    const items = value.map((v) => deep(v, redactor));
    return items.some((v, i) => v !== value[i]) ? items : value;
  }
  if (typeof value === 'object' && value !== null) {
    let changed = false;
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      out[key] = deep(v, redactor);
      if (out[key] !== v) changed = true;
    }
    return changed ? out : value;
  }
  return value;
}
