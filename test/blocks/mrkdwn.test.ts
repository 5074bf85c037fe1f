import { describe, expect, it } from 'vitest';
import {
  code,
  escapeAndTruncate,
  escapeMrkdwn,
  mrkdwnList,
  packText,
  slackDate,
  truncate,
  truncateMrkdwn,
} from '../../src/blocks/mrkdwn.js';

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
// Every `&` starts one of the three entities Slack decodes.
const HALF_ENTITY = /&(?!amp;|lt;|gt;)/;

// Deterministic so a failure can be replayed.
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
}
const PIECES = [
  'a',
  'Z',
  ' ',
  '&',
  '<',
  '>',
  'é',
  'e\u0301',
  '😀',
  '👩‍💻',
  '🇫🇷',
  '中',
  '\n',
  '\u202E',
  '\u0007',
  '`',
];
function randomText(next: () => number, length: number): string {
  return Array.from({ length }, () => PIECES[Math.floor(next() * PIECES.length)]).join('');
}

describe('escapeMrkdwn', () => {
  it.each([
    ['<!channel>', '&lt;!channel&gt;'],
    ['<!here>', '&lt;!here&gt;'],
    ['<@U123>', '&lt;@U123&gt;'],
    ['<https://evil.example|ok>', '&lt;https://evil.example|ok&gt;'],
    ['<#C123|general>', '&lt;#C123|general&gt;'],
    ['Tom & Jerry', 'Tom &amp; Jerry'],
    ['already &amp; escaped', 'already &amp;amp; escaped'],
  ])('shows %j as typed', (input, expected) => {
    expect(escapeMrkdwn(input)).toBe(expected);
  });

  it('removes control characters but keeps newlines and tabs', () => {
    expect(escapeMrkdwn('a\u0000b\u0007c\u001Bd\u007Fe\u0085f\u009Fg\n\th')).toBe('abcdefg\n\th');
    expect(escapeMrkdwn('one\r\ntwo\rthree')).toBe('one\ntwo\nthree');
  });

  it('removes bidi overrides and isolates that could spoof text', () => {
    expect(escapeMrkdwn('admin\u202Egnp.exe')).toBe('admingnp.exe');
    expect(escapeMrkdwn('\u202A\u202B\u202C\u202D\u202E\u2066\u2067\u2068\u2069x')).toBe('x');
  });

  it('keeps emoji, accents and other scripts', () => {
    const text = 'Zoë 👩‍💻 🇫🇷 中文 مرحبا e\u0301';
    expect(escapeMrkdwn(text)).toBe(text);
  });

  it('replaces lone surrogates instead of sending broken UTF-16', () => {
    expect(escapeMrkdwn('a\uD800b\uDC00c')).toBe('a\uFFFDb\uFFFDc');
  });

  it('collapses line breaks to one space with singleLine', () => {
    expect(escapeMrkdwn('Jane\n  \r\nSmith\u2028Jr', { singleLine: true })).toBe('Jane Smith Jr');
    expect(escapeMrkdwn('Jane\nSmith')).toBe('Jane\nSmith');
  });
});

describe('truncate', () => {
  it('leaves text that fits alone', () => {
    expect(truncate('Jane Smith', 10)).toBe('Jane Smith');
  });

  it('ends with an ellipsis within the limit when cut', () => {
    expect(truncate('Engineering Team', 12)).toBe('Engineering…');
    expect(truncate('abcdef', 1)).toBe('…');
    expect(truncate('abcdef', 0)).toBe('');
  });

  it('never splits an emoji, a flag or a letter with its accent', () => {
    expect(truncate('😀😀😀😀', 6)).toBe('😀😀…');
    expect(truncate('👩‍💻👩‍💻', 8)).toBe('👩‍💻…');
    expect(truncate('🇫🇷🇫🇷', 6)).toBe('🇫🇷…');
    expect(truncate('cafe\u0301s', 5)).toBe('caf…');
  });

  it('cuts a single over-long grapheme between code points, never inside a surrogate pair', () => {
    const zalgo = `😀${'\u0301'.repeat(50)}`;
    const cut = truncate(zalgo, 10);
    expect(cut.length).toBeLessThanOrEqual(10);
    expect(cut).not.toMatch(LONE_SURROGATE);
  });

  it('stays within any limit and keeps UTF-16 well formed', () => {
    const next = random(7);
    for (let i = 0; i < 500; i += 1) {
      const text = randomText(next, Math.floor(next() * 80));
      const max = Math.floor(next() * 60);
      const cut = truncate(text, max);
      expect(cut.length).toBeLessThanOrEqual(max);
      expect(cut).not.toMatch(LONE_SURROGATE);
    }
  });
});

describe('escapeAndTruncate', () => {
  it('escapes after cutting, so the escaped result fits and no entity is cut', () => {
    const result = escapeAndTruncate('&'.repeat(5000), 3000);
    expect(result.length).toBeLessThanOrEqual(3000);
    expect(result.length).toBeGreaterThan(2900);
    expect(result).not.toMatch(HALF_ENTITY);
    expect(result.endsWith('…')).toBe(true);
  });

  it('does not cut text whose escaped form fits', () => {
    expect(escapeAndTruncate('R&D <team>', 30)).toBe('R&amp;D &lt;team&gt;');
  });

  it('holds for any text and limit', () => {
    const next = random(42);
    for (let i = 0; i < 500; i += 1) {
      const text = randomText(next, Math.floor(next() * 120));
      const max = Math.floor(next() * 100);
      const result = escapeAndTruncate(text, max, { singleLine: true });
      expect(result.length).toBeLessThanOrEqual(max);
      expect(result).not.toMatch(HALF_ENTITY);
      expect(result).not.toMatch(/[<>\n\u202E]/);
      expect(result).not.toContain('\u0007');
      expect(result).not.toMatch(LONE_SURROGATE);
    }
  });
});

describe('truncateMrkdwn', () => {
  it('drops half an entity or half a token at the cut', () => {
    expect(truncateMrkdwn('Tom &amp; Jerry', 7)).toBe('Tom …');
    const dated = `Created ${slackDate('2024-05-01T13:45:00Z')}`;
    expect(truncateMrkdwn(dated, 20)).toBe('Created …');
    expect(truncateMrkdwn(dated, 200)).toBe(dated);
  });
});

describe('slackDate', () => {
  it('renders in the reader’s time zone with a UTC fallback', () => {
    expect(slackDate('2024-05-01T13:45:00Z')).toBe(
      '<!date^1714571100^{date_short_pretty} at {time}|2024-05-01 13:45 UTC>',
    );
    expect(slackDate('2024-05-01T15:45:30+02:00')).toBe(
      '<!date^1714571130^{date_short_pretty} at {time}|2024-05-01 13:45 UTC>',
    );
  });

  it('says never, or the given fallback, when absent or unparseable', () => {
    expect(slackDate(undefined)).toBe('never');
    expect(slackDate(undefined, 'unknown')).toBe('unknown');
    expect(slackDate('not a date')).toBe('never');
  });
});

describe('mrkdwnList', () => {
  const roles = ['Admin', 'Auditor', 'Security Analyst', 'Network Admin'];

  it('joins everything that fits', () => {
    expect(mrkdwnList(roles)).toBe('Admin, Auditor, Security Analyst, Network Admin');
    expect(mrkdwnList(['a', 'b'], { bullet: '•' })).toBe('• a\n• b');
    expect(mrkdwnList([])).toBe('');
  });

  it('counts what is left out after max items', () => {
    expect(mrkdwnList(roles, { max: 2 })).toBe('Admin, Auditor, …and 2 more');
    expect(mrkdwnList(roles, { max: 1, bullet: '•' })).toBe('• Admin\n…and 3 more');
  });

  it('keeps room for the count within maxChars', () => {
    expect(mrkdwnList(roles, { maxChars: 30 })).toBe('Admin, Auditor, …and 2 more');
    expect(mrkdwnList(['x'.repeat(50), 'y'], { maxChars: 20 })).toBe('…and 2 more');
  });

  it('never exceeds maxChars', () => {
    const names = Array.from({ length: 300 }, (_, i) => `Role number ${i}`);
    for (const maxChars of [15, 100, 1000, 3000]) {
      const list = mrkdwnList(names, { maxChars, bullet: '•' });
      expect(list.length).toBeLessThanOrEqual(maxChars);
      expect(list).toMatch(/…and \d+ more$/);
    }
  });
});

describe('code', () => {
  it('shows ids as inline code that user text cannot break out of', () => {
    expect(code('3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b')).toBe('`3f2a1b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b`');
    expect(code('a`<!here>`b\nc')).toBe('`aˋ&lt;!here&gt;ˋb c`');
    expect(code('x'.repeat(100), 20)).toHaveLength(20);
  });
});

describe('packText', () => {
  it('packs parts in order into as few chunks as fit', () => {
    expect(packText(['aaa', 'bbb', 'ccc'], 7)).toEqual(['aaa\nbbb', 'ccc']);
    const parts = Array.from({ length: 40 }, (_, i) => `${i}`.padEnd(200, '.'));
    const chunks = packText(parts, 3000, '\n\n');
    expect(chunks).toHaveLength(3);
    expect(chunks.every((chunk) => chunk.length <= 3000)).toBe(true);
    expect(chunks.join('\n\n')).toBe(parts.join('\n\n'));
  });
});
