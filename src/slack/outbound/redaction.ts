import type { ServerResponse } from 'node:http';
import type { FetchFunction } from '@slack/web-api';
import { redactDeep, redactSecrets } from '../../redact.js';

// Last line of defence: the builders redact at the source; this catches what they never saw.

/** A Web API fetch whose form body carries no run of a secret (the token travels in the header). */
export function redactingFetch(base: FetchFunction): FetchFunction {
  return (url, init) => {
    if (typeof init?.body !== 'string') return base(url, init);
    const body = redactForm(init.body);
    return base(url, body === init.body ? init : { ...init, body });
  };
}

/** An urlencoded form with every value redacted (JSON values field by field); the same string when clean. */
export function redactForm(form: string): string {
  const params = new URLSearchParams(form);
  let changed = false;
  for (const [key, value] of [...params]) {
    if (key === 'token') continue;
    const clean = redactValue(value);
    if (clean !== value) {
      params.set(key, clean);
      changed = true;
    }
  }
  return changed ? params.toString() : form;
}

/** The HTTP answer's body (acks, response_action errors) redacted as it is written; headers untouched. */
export function redactAnswers(res: ServerResponse): void {
  const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
  const redacting = (...args: unknown[]) => {
    const [chunk] = args;
    if (typeof chunk === 'string' && !res.hasHeader('content-length')) args[0] = redactValue(chunk);
    return end(...args);
  };
  res.end = redacting as ServerResponse['end'];
}

/** JSON values redacted field by field (so they stay valid JSON); other text as text. */
function redactValue(value: string): string {
  if (redactSecrets(value) === value) return value;
  try {
    return JSON.stringify(redactDeep(JSON.parse(value) as unknown));
  } catch {
    return redactSecrets(value);
  }
}
