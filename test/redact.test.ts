import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  code,
  escapeAndTruncate,
  escapeMrkdwn,
  quoteText,
  truncate,
  truncateMrkdwn,
} from '../src/blocks/mrkdwn.js';
import { protectSecrets, REDACTED, Redactor, redactAndCut, redactSecrets } from '../src/redact.js';
import { redactForm } from '../src/slack/outbound/redaction.js';
import { fragmentsIn } from './helpers/secret-fragments.js';

// Issue 11 point 1: any run of 8 or more characters of a secret is the secret, and no cut exposes one.

const TOKEN = 'cs_live_4f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a'; // 48 characters
const BOT = 'xoxb-1234567890123-9876543210987-AbCdEfGhIjKlMnOpQrStUvWx';
// Neither secret shares an 8-character run with the filler.
const filler = (n: number) =>
  'lorem ipsum, dolor sit amet. '.repeat(Math.ceil(Math.max(0, n) / 29)).slice(0, Math.max(0, n));

/** `secret` (or part of it) at `offset` of a body `length` long. */
const bodyWith = (secret: string, length: number, offset: number) =>
  (filler(offset) + secret + filler(length)).slice(0, Math.max(length, offset + secret.length));

describe('Redactor', () => {
  const redactor = new Redactor([TOKEN, BOT]);

  it('redacts the secret at every offset of bodies of every (even) length up to 260, keeping the rest', () => {
    const wrong: string[] = [];
    for (let length = 0; length <= 260; length += 2) {
      for (let offset = 0; offset <= length; offset++) {
        const body = bodyWith(TOKEN, length, offset);
        const out = redactor.redact(body);
        if (out !== body.replace(TOKEN, REDACTED)) wrong.push(`length ${length} offset ${offset}: ${out}`);
      }
    }
    expect(wrong.slice(0, 5)).toEqual([]);
  });

  it('redacts every part of 8 or more characters of a secret, and leaves 7', () => {
    for (let from = 0; from < TOKEN.length; from++) {
      for (let to = from + 8; to <= TOKEN.length; to++) {
        const out = redactor.redact(`x ${TOKEN.slice(from, to)} y`);
        expect(out, `${from}..${to}`).toBe(`x ${REDACTED} y`);
      }
      const seven = TOKEN.slice(from, from + 7);
      if (seven.length === 7) expect(redactor.redact(`x ${seven} y`)).toBe(`x ${seven} y`);
    }
  });

  it('upper or lower case, JSON-escaped, URL-encoded and entity-escaped forms', () => {
    const odd = 'p@ss"w\\rd&<redis>/pw';
    const r = new Redactor([TOKEN, odd]);
    expect(r.redact(TOKEN.toUpperCase())).toBe(REDACTED);
    expect(r.redact(JSON.stringify({ msg: `echo ${odd}` }))).toBe(`{"msg":"echo ${REDACTED}"}`);
    expect(r.redact(`redis://u:${encodeURIComponent(odd)}@h`)).toBe(`redis://u:${REDACTED}@h`);
    expect(r.redact(escapeEntities(odd))).toBe(REDACTED);
  });

  it('two secrets side by side, a secret twice, a secret split in two halves on two lines', () => {
    expect(redactor.redact(`${TOKEN}${BOT}`)).toBe(REDACTED);
    expect(redactor.redact(`${TOKEN} and ${TOKEN}`)).toBe(`${REDACTED} and ${REDACTED}`);
    const split = `${TOKEN.slice(0, 24)}\n${TOKEN.slice(24)}`;
    expect(redactor.redact(split)).toBe(`${REDACTED}\n${REDACTED}`);
  });

  it('a secret of 6 or 7 characters is matched whole; shorter ones are not secrets it can keep out', () => {
    const r = new Redactor(['hunter2', 'abc']);
    expect(r.redact('pw=hunter2;')).toBe(`pw=${REDACTED};`);
    expect(r.redact('abc')).toBe('abc');
  });

  it('a cut never ends in half a marker and never exposes a run', () => {
    for (let max = 0; max <= 80; max++) {
      const out = redactAndCut(redactor, `${filler(30)}${TOKEN}${filler(30)}`, max);
      expect(out.length).toBeLessThanOrEqual(max);
      expect(fragmentsIn(out, TOKEN)).toEqual([]);
      expect(out.endsWith('[') || /\[[A-Z]{1,8}$/.test(out), out).toBe(false);
    }
  });

  it('text without a secret comes back as the same string', () => {
    const text = filler(5000);
    expect(redactor.redact(text)).toBe(text);
  });
});

describe('every cut of outside text redacts first (Block Kit builders)', () => {
  let release: () => void;
  beforeAll(() => {
    release = protectSecrets([TOKEN, BOT]);
  });
  afterAll(() => release());

  const cuts: Array<[string, (text: string, max: number) => string]> = [
    ['truncate', truncate],
    ['escapeAndTruncate', escapeAndTruncate],
    ['truncateMrkdwn', truncateMrkdwn],
    ['quoteText', quoteText],
    ['code', (text, max) => code(text, max)],
  ];

  // Every offset that puts the secret across the cut, in bodies just under, at and over each limit.
  const sweep = (max: number, lengths: number[], step: number) => {
    const wrong: string[] = [];
    for (const length of lengths) {
      for (let offset = Math.max(0, max - TOKEN.length - 2); offset <= max + 2; offset += step) {
        const body = bodyWith(TOKEN, length, offset);
        for (const [name, cut] of cuts) {
          const out = cut(body, max);
          if (leaks(out)) wrong.push(`${name}(length ${length}, offset ${offset}, max ${max}): ${out}`);
        }
      }
    }
    return wrong;
  };

  it.each([24, 75, 150, 200])(
    'max %i: the secret at every offset across the cut, no run of it shows',
    (max) => {
      expect(sweep(max, [max - 1, max, max + 1, max + 47, 260], 1).slice(0, 5)).toEqual([]);
    },
  );

  it.each([2000, 3000])('max %i (section limits): the secret across the cut, no run of it shows', (max) => {
    expect(sweep(max, [max, max + 1, max + 50], 5).slice(0, 5)).toEqual([]);
  });

  it('uncut text is redacted too: escapeMrkdwn, and the secret in upper case', () => {
    expect(escapeMrkdwn(`token <${TOKEN}>`)).toBe(`token &lt;${REDACTED}&gt;`);
    expect(truncate(BOT.toUpperCase(), 3000)).toBe(REDACTED);
    expect(redactSecrets(`Bearer ${BOT.slice(5, 30)}`)).toBe(`Bearer ${REDACTED}`);
  });

  it('a released runtime’s secrets are no longer redacted (no other runtime holds them)', () => {
    const other = 'another-secret-of-a-stopped-runtime';
    const releaseOther = protectSecrets([other]);
    expect(redactSecrets(other)).toBe(REDACTED);
    releaseOther();
    expect(redactSecrets(other)).toBe(other);
    expect(redactSecrets(TOKEN)).toBe(REDACTED);
  });
});

describe('the Slack Web API body (last line of defence)', () => {
  let release: () => void;
  beforeAll(() => {
    release = protectSecrets([TOKEN]);
  });
  afterAll(() => release());

  it('redacts form values and JSON values (blocks) and keeps the JSON valid', () => {
    const blocks = JSON.stringify([{ type: 'section', text: { type: 'mrkdwn', text: `x"${TOKEN}"` } }]);
    const form = new URLSearchParams({ channel: 'C1', text: `t ${TOKEN}`, blocks }).toString();
    const out = new URLSearchParams(redactForm(form));
    expect(out.get('text')).toBe(`t ${REDACTED}`);
    expect(JSON.parse(out.get('blocks') ?? '')).toEqual([
      { type: 'section', text: { type: 'mrkdwn', text: `x"${REDACTED}"` } },
    ]);
    expect(fragmentsIn(redactForm(form), TOKEN)).toEqual([]);
    const clean = new URLSearchParams({ channel: 'C1', text: 'hello' }).toString();
    expect(redactForm(clean)).toBe(clean);
  });
});

/** Any 8-character run of the token, case ignored. */
const runs = new Set(Array.from({ length: TOKEN.length - 7 }, (_, i) => TOKEN.slice(i, i + 8).toLowerCase()));
function leaks(text: string): boolean {
  const lower = text.toLowerCase();
  for (let i = 0; i + 8 <= lower.length; i++) if (runs.has(lower.slice(i, i + 8))) return true;
  return false;
}

function escapeEntities(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
