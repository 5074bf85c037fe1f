import { escapeMrkdwn } from './mrkdwn.js';

// A stored or typed value shown so that nothing in it is invisible: the edit card and the edit modal.

const SPACE = '␣';
// Longer than a name may be: say how long.
const COUNTED = 100;
const NAMES: Readonly<Record<number, string>> = {
  9: 'tab',
  10: 'newline',
  13: 'CR',
  96: 'backtick',
  160: 'NBSP',
  8203: 'ZWSP',
  8204: 'ZWNJ',
  8205: 'ZWJ',
  65279: 'BOM',
};
const HIDDEN = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Zl}\p{Zp}\u115F\u1160\u2800\u3164\uFFA0`␣⟨]|(?! )\p{Zs}/u;
const JOINS_EMOJI = /[\p{Extended_Pictographic}\p{Emoji_Modifier}]\uFE0F?$/u;

/**
 * One piece per code point: itself, `␣` for a space that matters, or a marker such as `⟨NBSP⟩` (a literal
 * `␣` or `⟨` too, so two different values never show alike).
 */
function pieces(text: string): string[] {
  const points = Array.from(text);
  return points.map((point, i) => {
    if (point === ' ') {
      const matters = i === 0 || i === points.length - 1 || points[i - 1] === ' ' || points[i + 1] === ' ';
      return matters ? SPACE : ' ';
    }
    if (!HIDDEN.test(point)) return point;
    if (point === '\u200D' && JOINS_EMOJI.test(points.slice(Math.max(0, i - 2), i).join(''))) return point;
    const code = point.codePointAt(0) ?? 0;
    return `⟨${NAMES[code] ?? `U+${code.toString(16).toUpperCase().padStart(4, '0')}`}⟩`;
  });
}

export interface ShowOptions {
  /** Longest result (markers and escaping included), length note excluded. */
  max: number;
  /** Escape `&`, `<`, `>` and wrap in a code span (mrkdwn), or quote with “ ” (plain_text). */
  mrkdwn: boolean;
  /** Say how long it is whatever it holds. */
  count?: boolean;
}

/**
 * The value with every space that matters and every invisible character marked, cut at `max` with "…",
 * followed by "(N characters)" when anything was marked or cut or it is over 100 characters; `not set` / `empty` when there is nothing.
 */
export function showValue(value: string | undefined, options: ShowOptions): string {
  if (value === undefined) return options.mrkdwn ? '_not set_' : 'not set';
  if (value === '') return options.mrkdwn ? '_empty_' : 'empty';
  const points = Array.from(value);
  const all = pieces(value);
  const budget = options.max - 3;
  let shown = '';
  let count = 0;
  for (const piece of all) {
    const next = options.mrkdwn ? escapeMrkdwn(piece) : piece;
    if (shown.length + next.length > budget) break;
    shown += next;
    count += 1;
  }
  const cut = count < all.length;
  const marked = all.some((piece, i) => piece !== points[i]);
  const body = `${shown}${cut ? '…' : ''}`;
  const framed = options.mrkdwn ? `\`${body}\`` : `“${body}”`;
  return cut || marked || options.count || all.length > COUNTED
    ? `${framed} (${all.length} characters)`
    : framed;
}
