// Block Kit → HTML for the playground's Slack look-alike. A plain browser ES module with no dependencies,
// also imported by Node tests. Everything from a payload is escaped; only markup written here is markup.
// Images (image blocks, image elements) are shown as alt-text chips and never fetched.

/**
 * @typedef {{ surface: 'message'|'modal'|'home', users?: Record<string,string>, channels?: Record<string,string>,
 *   usergroups?: Record<string,string>, timeZone?: string, now?: number }} RenderContext
 * @typedef {{ type: 'plain_text'|'mrkdwn', text: string, emoji?: boolean, verbatim?: boolean }} TextObject
 * @typedef {{ text: TextObject, value?: string, description?: TextObject, url?: string }} OptionObject
 * @typedef {Record<string, any>} Json
 */

/** @type {RenderContext} */
const NO_CONTEXT = { surface: 'message' };

/** @type {Record<string, string>} */
const HTML_ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text made safe for HTML text and quoted attribute values. @param {unknown} value */
export function escapeHtml(value) {
  return String(value ?? '').replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}

/** An attribute value that survives the HTML parser exactly (CR and LF included). @param {unknown} value */
function attr(value) {
  return escapeHtml(value).replace(/\r/g, '&#13;').replace(/\n/g, '&#10;');
}

/** @param {unknown} value */
const str = (value) =>
  typeof value === 'string' ? value : value === undefined || value === null ? '' : String(value);

// ---------------------------------------------------------------------------------------------- emoji

/** The shortcodes the app uses, and a few common ones; anything else stays `:as_typed:`. */
const EMOJI = /** @type {Record<string, string>} */ ({
  '+1': '👍',
  thumbsup: '👍',
  '-1': '👎',
  alarm_clock: '⏰',
  arrow_right: '➡️',
  arrows_counterclockwise: '🔄',
  bell: '🔔',
  broom: '🧹',
  bulb: '💡',
  bust_in_silhouette: '👤',
  busts_in_silhouette: '👥',
  calendar: '📅',
  clipboard: '📋',
  computer: '💻',
  construction: '🚧',
  exclamation: '❗',
  eyes: '👀',
  fire: '🔥',
  gear: '⚙️',
  grey_question: '❔',
  heavy_check_mark: '✔️',
  heavy_minus_sign: '➖',
  heavy_multiplication_x: '✖️',
  heavy_plus_sign: '➕',
  hourglass: '⌛',
  hourglass_flowing_sand: '⏳',
  inbox_tray: '📥',
  information_source: 'ℹ️',
  key: '🔑',
  large_green_circle: '🟢',
  large_yellow_circle: '🟡',
  link: '🔗',
  lock: '🔒',
  mag: '🔍',
  memo: '📝',
  no_entry: '⛔',
  no_entry_sign: '🚫',
  octagonal_sign: '🛑',
  outbox_tray: '📤',
  pencil2: '✏️',
  point_right: '👉',
  question: '❓',
  raised_hand: '✋',
  red_circle: '🔴',
  repeat: '🔁',
  rocket: '🚀',
  shield: '🛡️',
  sparkles: '✨',
  star: '⭐',
  stopwatch: '⏱️',
  tada: '🎉',
  wastebasket: '🗑️',
  warning: '⚠️',
  wave: '👋',
  white_check_mark: '✅',
  white_circle: '⚪',
  x: '❌',
  zap: '⚡',
});

/** `:name:` → the emoji, on already escaped text. @param {string} html */
function emojify(html) {
  return html.replace(/:([a-z0-9_+-]+):/g, (whole, name) => {
    const emoji = EMOJI[name];
    return emoji === undefined ? whole : `<span class="bk-emoji" title=":${name}:">${emoji}</span>`;
  });
}

// ---------------------------------------------------------------------------------------------- dates

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** @param {number} n */
function ordinal(n) {
  const tens = n % 100;
  if (tens >= 11 && tens <= 13) return `${n}th`;
  return `${n}${['th', 'st', 'nd', 'rd'][n % 10] ?? 'th'}`;
}

/**
 * Wall-clock parts of an instant in a time zone; throws RangeError for an unknown zone.
 * @param {number} ms @param {string|undefined} timeZone
 */
function wallClock(ms, timeZone) {
  const format = new Intl.DateTimeFormat('en-US', {
    ...(timeZone ? { timeZone } : {}),
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  });
  /** @type {Record<string, number>} */
  const parts = {};
  for (const part of format.formatToParts(new Date(ms))) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  const year = parts.year ?? 1970;
  const month = parts.month ?? 1;
  const day = parts.day ?? 1;
  const hour = (parts.hour ?? 0) % 24;
  const minute = parts.minute ?? 0;
  const second = parts.second ?? 0;
  const weekday = new Date(Date.UTC(year, month - 1, day)).getUTCDay();
  return {
    year,
    month,
    day,
    hour,
    minute,
    second,
    weekday,
    dayNumber: Date.UTC(year, month - 1, day) / 86_400_000,
  };
}

/** Epoch ms of a wall-clock time in a zone (the later of two at a DST overlap is not guaranteed). */
function fromWallClock(
  /** @type {number} */ year,
  /** @type {number} */ month,
  /** @type {number} */ day,
  /** @type {number} */ hour,
  /** @type {number} */ minute,
  /** @type {string|undefined} */ timeZone,
) {
  const asUtc = Date.UTC(year, month - 1, day, hour, minute);
  const offsetAt = (/** @type {number} */ ms) => {
    const w = wallClock(ms, timeZone);
    return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) - Math.floor(ms / 1000) * 1000;
  };
  let ms = asUtc - offsetAt(asUtc);
  const again = asUtc - offsetAt(ms);
  if (again !== ms) ms = again;
  return ms;
}

/** @param {number} hour @param {number} minute @param {number|undefined} second */
function clock(hour, minute, second) {
  const h12 = hour % 12 === 0 ? 12 : hour % 12;
  const secs = second === undefined ? '' : `:${String(second).padStart(2, '0')}`;
  return `${h12}:${String(minute).padStart(2, '0')}${secs} ${hour < 12 ? 'AM' : 'PM'}`;
}

/** "3 minutes ago", "in 2 days". @param {number} ms @param {number} now */
function ago(ms, now) {
  const diff = Math.round((now - ms) / 1000);
  const abs = Math.abs(diff);
  if (abs < 60) return 'just now';
  /** @type {Array<[number, string]>} */
  const units = [
    [31_536_000, 'year'],
    [2_592_000, 'month'],
    [86_400, 'day'],
    [3600, 'hour'],
    [60, 'minute'],
  ];
  for (const [seconds, unit] of units) {
    if (abs >= seconds) {
      const n = Math.floor(abs / seconds);
      const phrase = `${n} ${unit}${n === 1 ? '' : 's'}`;
      return diff >= 0 ? `${phrase} ago` : `in ${phrase}`;
    }
  }
  return 'just now';
}

const DATE_TOKENS = new Set([
  'date_num',
  'date',
  'date_short',
  'date_long',
  'date_pretty',
  'date_short_pretty',
  'date_long_pretty',
  'time',
  'time_secs',
  'ago',
]);

/**
 * A `<!date^…>` format filled in for a time zone, as plain text; undefined when the timestamp, a token or
 * the zone is invalid (the caller shows the fallback).
 * @param {string} seconds @param {string} format @param {RenderContext} ctx
 * @returns {string|undefined}
 */
export function formatSlackDate(seconds, format, ctx) {
  if (!/^-?\d{1,12}$/.test(seconds)) return undefined;
  const ms = Number(seconds) * 1000;
  const tokens = [...format.matchAll(/\{([^{}]*)\}/g)].map((m) => m[1] ?? '');
  if (tokens.some((token) => !DATE_TOKENS.has(token))) return undefined;
  let w;
  let today;
  const now = ctx.now ?? Date.now();
  try {
    w = wallClock(ms, ctx.timeZone);
    today = wallClock(now, ctx.timeZone).dayNumber;
  } catch {
    return undefined;
  }
  const month = MONTHS[w.month - 1] ?? '';
  const date = `${month} ${ordinal(w.day)}, ${w.year}`;
  const short = `${month.slice(0, 3)} ${w.day}, ${w.year}`;
  const long = `${WEEKDAYS[w.weekday] ?? ''}, ${date}`;
  const relative = { [today]: 'today', [today - 1]: 'yesterday', [today + 1]: 'tomorrow' }[w.dayNumber];
  /** @type {Record<string, string>} */
  const values = {
    date_num: `${String(w.year).padStart(4, '0')}-${String(w.month).padStart(2, '0')}-${String(w.day).padStart(2, '0')}`,
    date,
    date_short: short,
    date_long: long,
    date_pretty: relative ?? date,
    date_short_pretty: relative ?? short,
    date_long_pretty: relative ?? long,
    time: clock(w.hour, w.minute, undefined),
    time_secs: clock(w.hour, w.minute, w.second),
    ago: ago(ms, now),
  };
  const out = format.replace(/\{([^{}]*)\}/g, (_whole, token) => values[token] ?? '');
  return relative && out.startsWith(relative) ? out[0]?.toUpperCase() + out.slice(1) : out;
}

// ---------------------------------------------------------------------------------------------- mrkdwn

const SAFE_HREF = /^(?:https?:\/\/|mailto:)/i;

/** Slack's own three escapes decoded exactly once. @param {string} text */
function decodeSlack(text) {
  return text.replace(/&(amp|lt|gt);/g, (_whole, name) => (name === 'amp' ? '&' : name === 'lt' ? '<' : '>'));
}

/** Slack-escaped text → HTML text. @param {string} text */
const textHtml = (text) => escapeHtml(decodeSlack(text));

/** A link, only for http(s) and mailto; otherwise the label as text. @param {string} rawUrl @param {string} labelHtml */
function linkHtml(rawUrl, labelHtml) {
  const url = decodeSlack(rawUrl).trim();
  if (!SAFE_HREF.test(url)) return labelHtml;
  return `<a class="bk-link" href="${attr(url)}" target="_blank" rel="noopener noreferrer">${labelHtml}</a>`;
}

/** @param {string} cls @param {string} text @param {string} [title] */
const pill = (cls, text, title) =>
  `<span class="bk-mention ${cls}"${title ? ` title="${attr(title)}"` : ''}>${escapeHtml(text.replace(/[\uE000\uE001]/g, '\uFFFD'))}</span>`;

/**
 * One `<…>` token of mrkdwn as HTML.
 * @param {string} inner what is between the angle brackets @param {RenderContext} ctx
 */
function tokenHtml(inner, ctx) {
  const bar = inner.indexOf('|');
  const target = bar === -1 ? inner : inner.slice(0, bar);
  const label = bar === -1 ? undefined : inner.slice(bar + 1);
  const named = (/** @type {Record<string,string>|undefined} */ names, /** @type {string} */ id) =>
    names && Object.hasOwn(names, id) ? names[id] : undefined;
  if (target.startsWith('@')) {
    const id = target.slice(1);
    const name = named(ctx.users, id) ?? (label ? decodeSlack(label) : id);
    return pill('bk-user', `@${name}`, id);
  }
  if (target.startsWith('#')) {
    const id = target.slice(1);
    const name = named(ctx.channels, id) ?? (label ? decodeSlack(label) : id);
    return pill('bk-channel', `#${name}`, id);
  }
  if (target.startsWith('!')) {
    const parts = target.slice(1).split('^');
    const kind = parts[0] ?? '';
    if (kind === 'here' || kind === 'channel' || kind === 'everyone') return pill('bk-broadcast', `@${kind}`);
    if (kind === 'subteam' && parts[1]) {
      const id = parts[1];
      const name = named(ctx.usergroups, id) ?? (label ? decodeSlack(label).replace(/^@/, '') : id);
      return pill('bk-usergroup', `@${name}`, id);
    }
    if (kind === 'date') {
      const shown = formatSlackDate(parts[1] ?? '', decodeSlack(parts[2] ?? ''), ctx);
      const text = shown ?? decodeSlack(label ?? '');
      const html = `<span class="bk-date">${escapeHtml(text)}</span>`;
      return parts[3] ? linkHtml(parts[3], html) : html;
    }
    return escapeHtml(label !== undefined ? decodeSlack(label) : `<${decodeSlack(inner)}>`);
  }
  if (SAFE_HREF.test(decodeSlack(target))) {
    const shown = label !== undefined && label !== '' ? label : target;
    return linkHtml(target, emojify(textHtml(shown)));
  }
  // Not a link Slack would make (javascript:, data:, plain words): its text, never a link.
  return textHtml(label !== undefined && label !== '' ? label : `<${inner}>`);
}

// Private-use characters mark where an already rendered piece goes back in.
const OPEN = '\uE000';
const CLOSE = '\uE001';
const SLOT = /\uE000(\d+)\uE001/g;

/** @param {string} text the run between markers */
const inlineOk = (text) => /^\S(?:[\s\S]*\S)?$/.test(text);

/**
 * `*bold*`, `_italic_`, `~strike~` on escaped HTML text, only where a marker starts and ends a word.
 * @param {string} html
 */
function emphasis(html) {
  /** @type {Array<[string, string]>} */
  const rules = [
    ['\\*', 'b'],
    ['_', 'i'],
    ['~', 's'],
  ];
  let out = html;
  for (const [marker, tag] of rules) {
    const pattern = new RegExp(
      `(?<![\\p{L}\\p{N}${marker}])${marker}([^${marker}\\n]+?)${marker}(?![\\p{L}\\p{N}${marker}])`,
      'gu',
    );
    out = out.replace(pattern, (whole, inner) => (inlineOk(inner) ? `<${tag}>${inner}</${tag}>` : whole));
  }
  return out;
}

/**
 * Slack mrkdwn → HTML. Text is HTML-escaped and Slack's `&amp;` `&lt;` `&gt;` are decoded exactly once, so
 * text the app escaped shows as typed and never as markup or formatting of its own.
 * @param {string} text @param {RenderContext} ctx
 * @returns {string}
 */
export function renderMrkdwn(text, ctx = NO_CONTEXT) {
  /** @type {string[]} */
  const slots = [];
  const keep = (/** @type {string} */ html) => {
    slots.push(html);
    return `${OPEN}${slots.length - 1}${CLOSE}`;
  };
  const expand = (/** @type {string} */ html) => html.replace(SLOT, (_w, i) => slots[Number(i)] ?? '');
  let source = str(text).replace(/[\uE000\uE001]/g, '\uFFFD');
  // Tokens first: `<@U…>`, `<#C…>`, `<!…>`, `<url|label>`.
  source = source.replace(/<([^<>\n]*)>/g, (_whole, inner) => keep(tokenHtml(inner, ctx)));
  // Preformatted blocks and inline code: escaped, nothing else applied inside.
  source = source.replace(/```([\s\S]*?)```/g, (_whole, inner) =>
    keep(`<pre class="bk-pre">${expand(textHtml(inner.replace(/^\n/, '')))}</pre>`),
  );
  source = source.replace(/(?<![\p{L}\p{N}`])`([^`\n]+)`(?![\p{L}\p{N}`])/gu, (_whole, inner) =>
    keep(`<code class="bk-code">${expand(textHtml(inner))}</code>`),
  );
  const line = (/** @type {string} */ raw) => emojify(emphasis(textHtml(raw)));
  const lines = source.split('\n');
  /** @type {string[]} */
  const out = [];
  for (let i = 0; i < lines.length; i += 1) {
    const current = lines[i] ?? '';
    if (current.startsWith('>')) {
      /** @type {string[]} */
      const quoted = [];
      while (i < lines.length && (lines[i] ?? '').startsWith('>')) {
        quoted.push(line((lines[i] ?? '').replace(/^> ?/, '')));
        i += 1;
      }
      i -= 1;
      out.push(`<blockquote class="bk-quote">${quoted.join('<br>')}</blockquote>`);
    } else {
      out.push(line(current));
      if (i < lines.length - 1 && !(lines[i + 1] ?? '').startsWith('>')) out.push('<br>');
    }
  }
  return expand(expand(out.join('')));
}

/**
 * A text object → HTML: mrkdwn as {@link renderMrkdwn}, plain_text escaped (emoji converted unless
 * `emoji: false`).
 * @param {TextObject|undefined|null} textObject @param {RenderContext} ctx
 */
export function renderText(textObject, ctx = NO_CONTEXT) {
  if (!textObject || typeof textObject !== 'object') return '';
  const text = str(textObject.text);
  if (textObject.type === 'mrkdwn') return renderMrkdwn(text, ctx);
  const html = escapeHtml(text).replace(/\r?\n/g, '<br>');
  return textObject.emoji === false ? html : emojify(html);
}

/** Plain text for places that hold only text (option labels): emoji converted, no markup. @param {TextObject|undefined} t */
function plainLabel(t) {
  const text = str(t?.text);
  return escapeHtml(t?.emoji === false ? text : text.replace(/:([a-z0-9_+-]+):/g, (w, n) => EMOJI[n] ?? w));
}

// ---------------------------------------------------------------------------------------------- blocks

/** @param {unknown} type */
const typeName = (type) => (typeof type === 'string' && /^[a-z0-9_]{1,40}$/.test(type) ? type : 'unknown');

/** @param {unknown} type */
const unsupported = (type) =>
  `<span class="bk-unsupported">[unsupported: ${escapeHtml(typeof type === 'string' ? type : String(type))}]</span>`;

/** A stable id for a block or element that has none, as Slack makes one up. @param {string} seed */
function madeUpId(seed) {
  let hash = 5381;
  for (let i = 0; i < seed.length; i += 1) hash = ((hash * 33) ^ seed.charCodeAt(i)) >>> 0;
  return hash.toString(36).slice(0, 5);
}

let radioGroups = 0;

/**
 * @param {Json} el @param {string} blockId @param {number} index @param {RenderContext} ctx
 */
function renderElement(el, blockId, index, ctx) {
  if (!el || typeof el !== 'object') return unsupported(typeof el);
  const type = typeName(el.type);
  const actionId = typeof el.action_id === 'string' ? el.action_id : madeUpId(`${blockId}:${index}:${type}`);
  const common = `data-bk-element="${attr(type)}" data-action-id="${attr(actionId)}" data-block-id="${attr(blockId)}"`;
  const placeholder = el.placeholder ? plainLabel(el.placeholder) : '';
  const ph = placeholder ? ` placeholder="${placeholder}"` : '';
  switch (type) {
    case 'button': {
      const style = el.style === 'primary' || el.style === 'danger' ? el.style : '';
      const extra = [
        el.value !== undefined ? ` data-value="${attr(el.value)}"` : '',
        style ? ` data-style="${style}"` : '',
        typeof el.url === 'string' ? ` data-url="${attr(el.url)}"` : '',
        el.confirm ? ` data-confirm="${attr(JSON.stringify(el.confirm))}"` : '',
      ].join('');
      const cls = `bk-button${style ? ` bk-button-${style}` : ''}${el.url ? ' bk-button-link' : ''}`;
      return `<button type="button" class="${cls}" ${common} data-text="${attr(el.text?.text)}"${extra}>${renderText(el.text, ctx)}</button>`;
    }
    case 'static_select':
    case 'multi_static_select':
    case 'overflow': {
      const multi = type === 'multi_static_select';
      const initial = new Set(
        (multi ? (el.initial_options ?? []) : el.initial_option ? [el.initial_option] : []).map(
          (/** @type {OptionObject} */ o) => str(o?.value),
        ),
      );
      const option = (/** @type {OptionObject} */ o) =>
        `<option value="${attr(o?.value)}" data-option="${attr(JSON.stringify(o))}"${initial.has(str(o?.value)) ? ' selected' : ''}>${plainLabel(o?.text)}</option>`;
      const groups = Array.isArray(el.option_groups)
        ? el.option_groups
            .map(
              (/** @type {Json} */ g) =>
                `<optgroup label="${plainLabel(g?.label)}">${(g?.options ?? []).map(option).join('')}</optgroup>`,
            )
            .join('')
        : (el.options ?? []).map(option).join('');
      const first =
        type === 'overflow'
          ? '<option value="" selected disabled>⋯</option>'
          : multi
            ? ''
            : `<option value="" disabled${initial.size ? '' : ' selected'}>${placeholder || 'Select an item'}</option>`;
      const confirm = el.confirm ? ` data-confirm="${attr(JSON.stringify(el.confirm))}"` : '';
      const cls = type === 'overflow' ? 'bk-overflow' : 'bk-select';
      return `<select class="${cls}" ${common}${multi ? ' multiple' : ''}${confirm} aria-label="${placeholder || 'options'}">${first}${groups}</select>`;
    }
    case 'users_select':
    case 'conversations_select':
    case 'channels_select':
    case 'multi_users_select':
    case 'multi_conversations_select':
    case 'multi_channels_select': {
      // The names the page knows (ctx.users / ctx.channels), as a plain select.
      const multi = type.startsWith('multi_');
      const users = type.endsWith('users_select');
      const names = users ? ctx.users : ctx.channels;
      const given = multi
        ? (el.initial_users ?? el.initial_conversations ?? el.initial_channels ?? [])
        : [el.initial_user ?? el.initial_conversation ?? el.initial_channel];
      const initial = new Set(given.filter((/** @type {unknown} */ id) => typeof id === 'string'));
      const prefix = users ? '@' : '#';
      const options = Object.entries(names ?? {})
        .map(
          ([id, name]) =>
            `<option value="${attr(id)}"${initial.has(id) ? ' selected' : ''}>${escapeHtml(prefix + name)}</option>`,
        )
        .join('');
      const first = multi
        ? ''
        : `<option value="" disabled${initial.size ? '' : ' selected'}>${placeholder || 'Select'}</option>`;
      return `<select class="bk-select" ${common}${multi ? ' multiple' : ''}>${first}${options}</select>`;
    }
    case 'datepicker':
      return `<input type="date" class="bk-datepicker" ${common} value="${attr(el.initial_date ?? '')}"${ph}>`;
    case 'timepicker': {
      const zone = typeof el.timezone === 'string' ? ` data-timezone="${attr(el.timezone)}"` : '';
      return `<input type="time" class="bk-timepicker" ${common}${zone} value="${attr(el.initial_time ?? '')}">`;
    }
    case 'datetimepicker': {
      let date = '';
      let time = '';
      if (Number.isFinite(el.initial_date_time)) {
        try {
          const w = wallClock(el.initial_date_time * 1000, ctx.timeZone);
          date = `${String(w.year).padStart(4, '0')}-${String(w.month).padStart(2, '0')}-${String(w.day).padStart(2, '0')}`;
          time = `${String(w.hour).padStart(2, '0')}:${String(w.minute).padStart(2, '0')}`;
        } catch {
          // An unknown time zone: the picker starts empty.
        }
      }
      const zone = ctx.timeZone ? ` data-time-zone="${attr(ctx.timeZone)}"` : '';
      return `<span class="bk-datetimepicker" ${common}${zone}><input type="date" class="bk-datepicker" value="${date}" aria-label="date"><input type="time" class="bk-timepicker" value="${time}" aria-label="time"></span>`;
    }
    case 'checkboxes':
    case 'radio_buttons': {
      const radio = type === 'radio_buttons';
      const initial = new Set(
        (radio ? (el.initial_option ? [el.initial_option] : []) : (el.initial_options ?? [])).map(
          (/** @type {OptionObject} */ o) => str(o?.value),
        ),
      );
      radioGroups += 1;
      const name = radio ? ` name="bk-radio-${radioGroups}"` : '';
      const options = (el.options ?? [])
        .map(
          (/** @type {OptionObject} */ o) =>
            `<label class="bk-choice"><input type="${radio ? 'radio' : 'checkbox'}"${name} value="${attr(o?.value)}" data-option="${attr(JSON.stringify(o))}"${initial.has(str(o?.value)) ? ' checked' : ''}><span class="bk-choice-text">${renderText(o?.text, ctx)}${o?.description ? `<span class="bk-choice-description">${renderText(o.description, ctx)}</span>` : ''}</span></label>`,
        )
        .join('');
      return `<div class="bk-${radio ? 'radio-buttons' : 'checkboxes'}" ${common}>${options}</div>`;
    }
    case 'plain_text_input':
    case 'email_text_input':
    case 'url_text_input':
    case 'number_input': {
      const limits = [
        Number.isInteger(el.max_length) ? ` maxlength="${el.max_length}"` : '',
        Number.isInteger(el.min_length) ? ` minlength="${el.min_length}"` : '',
        type === 'number_input' && el.min_value !== undefined ? ` min="${attr(el.min_value)}"` : '',
        type === 'number_input' && el.max_value !== undefined ? ` max="${attr(el.max_value)}"` : '',
        type === 'number_input' ? ` step="${el.is_decimal_allowed ? 'any' : '1'}"` : '',
      ].join('');
      const value = str(el.initial_value);
      if (type === 'plain_text_input' && el.multiline) {
        return `<textarea class="bk-text-input bk-textarea" ${common}${ph}${limits} rows="4">\n${escapeHtml(value)}</textarea>`;
      }
      const inputType =
        { email_text_input: 'email', url_text_input: 'url', number_input: 'number' }[type] ?? 'text';
      return `<input type="${inputType}" class="bk-text-input" ${common}${ph}${limits} value="${attr(value)}">`;
    }
    case 'image':
      return imageChip(el.alt_text, el.image_url);
    default:
      return unsupported(el.type);
  }
}

/** An image shown as its alt text, never fetched. @param {unknown} alt @param {unknown} url */
function imageChip(alt, url) {
  const title = typeof url === 'string' ? ` title="${attr(url)}"` : '';
  return `<span class="bk-image-chip"${title}>🖼 ${escapeHtml(str(alt) || 'image')}</span>`;
}

/** @param {Json} el @param {RenderContext} ctx */
function richInline(el, ctx) {
  if (!el || typeof el !== 'object') return '';
  const style = el.style && typeof el.style === 'object' ? el.style : {};
  const styled = (/** @type {string} */ html) => {
    let out = html;
    if (style.code) out = `<code class="bk-code">${out}</code>`;
    if (style.bold) out = `<b>${out}</b>`;
    if (style.italic) out = `<i>${out}</i>`;
    if (style.strike) out = `<s>${out}</s>`;
    return out;
  };
  switch (el.type) {
    case 'text':
      return styled(escapeHtml(str(el.text)).replace(/\n/g, '<br>'));
    case 'link': {
      const url = str(el.url);
      const label = escapeHtml(str(el.text) || url);
      return styled(
        SAFE_HREF.test(url)
          ? `<a class="bk-link" href="${attr(url)}" target="_blank" rel="noopener noreferrer">${label}</a>`
          : label,
      );
    }
    case 'user':
      return pill('bk-user', `@${ctx.users?.[str(el.user_id)] ?? str(el.user_id)}`, str(el.user_id));
    case 'channel':
      return pill(
        'bk-channel',
        `#${ctx.channels?.[str(el.channel_id)] ?? str(el.channel_id)}`,
        str(el.channel_id),
      );
    case 'usergroup':
      return pill(
        'bk-usergroup',
        `@${ctx.usergroups?.[str(el.usergroup_id)] ?? str(el.usergroup_id)}`,
        str(el.usergroup_id),
      );
    case 'broadcast':
      return pill('bk-broadcast', `@${str(el.range)}`);
    case 'emoji': {
      const unicode = /^[0-9a-f]{1,6}(?:-[0-9a-f]{1,6})*$/i.test(str(el.unicode))
        ? String.fromCodePoint(
            ...str(el.unicode)
              .split('-')
              .map((h) => Number.parseInt(h, 16)),
          )
        : undefined;
      const emoji = EMOJI[str(el.name)] ?? unicode;
      return emoji === undefined ? escapeHtml(`:${str(el.name)}:`) : `<span class="bk-emoji">${emoji}</span>`;
    }
    case 'date': {
      const shown = formatSlackDate(str(el.timestamp), str(el.format), ctx) ?? str(el.fallback);
      return styled(`<span class="bk-date">${escapeHtml(shown)}</span>`);
    }
    default:
      return unsupported(el.type);
  }
}

/** @param {Json} part @param {RenderContext} ctx @returns {string} */
function richPart(part, ctx) {
  const inline = () =>
    Array.isArray(part?.elements) ? part.elements.map((e) => richInline(e, ctx)).join('') : '';
  switch (part?.type) {
    case 'rich_text_section':
      return `<div class="bk-rich-section">${inline()}</div>`;
    case 'rich_text_preformatted':
      return `<pre class="bk-pre">${inline()}</pre>`;
    case 'rich_text_quote':
      return `<blockquote class="bk-quote">${inline()}</blockquote>`;
    case 'rich_text_list': {
      const tag = part.style === 'ordered' ? 'ol' : 'ul';
      const indent = Number.isInteger(part.indent) ? Math.min(Math.max(part.indent, 0), 8) : 0;
      const items = (Array.isArray(part.elements) ? part.elements : [])
        .map((/** @type {Json} */ item) => `<li>${richPart(item, ctx)}</li>`)
        .join('');
      return `<${tag} class="bk-list" style="margin-left:${indent * 1.5}em">${items}</${tag}>`;
    }
    default:
      return unsupported(part?.type);
  }
}

/** Standard markdown (the `markdown` block) shown as mrkdwn: its text is literal, so it is escaped first. */
function markdownToMrkdwn(/** @type {string} */ text) {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/^&gt;/gm, '>')
    .replace(/^#{1,6}\s+(.+)$/gm, '*$1*')
    .replace(/\*\*(.+?)\*\*/g, '*$1*')
    .replace(/\[([^\]\n]+)\]\(([^)\s|]+)\)/g, (_w, label, url) => `<${url}|${label}>`);
}

/** @param {Json} block @param {number} index @param {RenderContext} ctx */
function renderBlock(block, index, ctx) {
  if (!block || typeof block !== 'object') {
    return `<div class="bk-block bk-unknown">${unsupported(typeof block)}</div>`;
  }
  const type = typeName(block.type);
  const blockId =
    typeof block.block_id === 'string' ? block.block_id : madeUpId(`${index}:${JSON.stringify(block)}`);
  const open = `<div class="bk-block bk-${type}" data-block-id="${attr(blockId)}">`;
  const element = (/** @type {Json} */ el, /** @type {number} */ i) => renderElement(el, blockId, i, ctx);
  let body;
  switch (type) {
    case 'section': {
      const text = block.text ? `<div class="bk-section-text">${renderText(block.text, ctx)}</div>` : '';
      const fields = Array.isArray(block.fields)
        ? `<div class="bk-fields">${block.fields.map((f) => `<div class="bk-field">${renderText(f, ctx)}</div>`).join('')}</div>`
        : '';
      const accessory = block.accessory
        ? `<div class="bk-accessory">${element(block.accessory, 0)}</div>`
        : '';
      body = `<div class="bk-section-main">${text}${fields}</div>${accessory}`;
      break;
    }
    case 'header':
      body = `<div class="bk-header-text">${renderText(block.text, ctx)}</div>`;
      break;
    case 'context':
      body = (Array.isArray(block.elements) ? block.elements : [])
        .map((/** @type {Json} */ el) =>
          el?.type === 'image'
            ? imageChip(el.alt_text, el.image_url)
            : el?.type === 'mrkdwn' || el?.type === 'plain_text'
              ? `<span class="bk-context-item">${renderText(el, ctx)}</span>`
              : unsupported(el?.type),
        )
        .join('');
      break;
    case 'divider':
      body = '<hr class="bk-divider-line">';
      break;
    case 'actions':
      body = `<div class="bk-actions-row">${(Array.isArray(block.elements) ? block.elements : []).map(element).join('')}</div>`;
      break;
    case 'input': {
      const optional = block.optional ? ' <span class="bk-optional">(optional)</span>' : '';
      const hint = block.hint ? `<div class="bk-hint">${renderText(block.hint, ctx)}</div>` : '';
      body =
        `<label class="bk-label">${renderText(block.label, ctx)}${optional}</label>` +
        `<div class="bk-input-element">${renderElement(block.element, blockId, 0, ctx)}</div>${hint}`;
      break;
    }
    case 'image': {
      const title = block.title ? `<div class="bk-image-title">${renderText(block.title, ctx)}</div>` : '';
      body = `${title}${imageChip(block.alt_text, block.image_url)}`;
      break;
    }
    case 'rich_text':
      body = (Array.isArray(block.elements) ? block.elements : [])
        .map((/** @type {Json} */ part) => richPart(part, ctx))
        .join('');
      break;
    case 'markdown':
      body = `<div class="bk-markdown-text">${renderMrkdwn(markdownToMrkdwn(str(block.text)), ctx)}</div>`;
      break;
    default:
      body = unsupported(block.type);
  }
  return `${open}${body}</div>`;
}

/**
 * Block Kit blocks → HTML: one `<div class="bk-block bk-<type>" data-block-id="…">` per block.
 * @param {Json[]} blocks @param {RenderContext} ctx
 */
export function renderBlocks(blocks, ctx = NO_CONTEXT) {
  if (!Array.isArray(blocks)) return '';
  return `<div class="bk-blocks bk-surface-${typeName(ctx?.surface)}">${blocks.map((b, i) => renderBlock(b, i, ctx)).join('')}</div>`;
}

// ---------------------------------------------------------------------------------------------- DOM side

/**
 * @typedef {{ dataset: Record<string, string|undefined>, closest(s: string): any, querySelector(s: string): any,
 *   querySelectorAll(s: string): any }} DomElement
 */

/** @param {any} option an <option> or an <input> carrying data-option */
function optionOf(option) {
  try {
    return JSON.parse(option.dataset.option ?? 'null');
  } catch {
    return null;
  }
}

/** Unix seconds of a datetimepicker's date and time in its zone, or null. @param {DomElement} el */
function dateTimeOf(el) {
  const date = el.querySelector('input[type="date"]')?.value ?? '';
  const time = el.querySelector('input[type="time"]')?.value ?? '';
  const d = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  const t = /^(\d{2}):(\d{2})/.exec(time);
  if (!d || !t) return null;
  const ms = fromWallClock(
    Number(d[1]),
    Number(d[2]),
    Number(d[3]),
    Number(t[1]),
    Number(t[2]),
    el.dataset.timeZone,
  );
  return Math.floor(ms / 1000);
}

/**
 * What an element holds, under Slack's keys; undefined for elements without state (buttons).
 * @param {DomElement} el @returns {Json|undefined}
 */
function stateOf(el) {
  const type = el.dataset.bkElement ?? '';
  const node = /** @type {any} */ (el);
  switch (type) {
    case 'plain_text_input':
    case 'email_text_input':
    case 'url_text_input':
    case 'number_input':
      return { type, value: node.value === '' ? null : node.value };
    case 'static_select': {
      const selected = node.selectedOptions?.[0];
      return { type, selected_option: selected && selected.value !== '' ? optionOf(selected) : null };
    }
    case 'multi_static_select':
      return { type, selected_options: [...(node.selectedOptions ?? [])].map(optionOf) };
    case 'users_select':
      return { type, selected_user: node.value || null };
    case 'conversations_select':
      return { type, selected_conversation: node.value || null };
    case 'channels_select':
      return { type, selected_channel: node.value || null };
    case 'multi_users_select':
      return { type, selected_users: [...(node.selectedOptions ?? [])].map((o) => o.value) };
    case 'multi_conversations_select':
      return { type, selected_conversations: [...(node.selectedOptions ?? [])].map((o) => o.value) };
    case 'multi_channels_select':
      return { type, selected_channels: [...(node.selectedOptions ?? [])].map((o) => o.value) };
    case 'datepicker':
      return { type, selected_date: node.value || null };
    case 'timepicker': {
      const zone = el.dataset.timezone;
      return {
        type,
        selected_time: node.value ? node.value.slice(0, 5) : null,
        ...(zone ? { timezone: zone } : {}),
      };
    }
    case 'datetimepicker':
      return { type, selected_date_time: dateTimeOf(el) };
    case 'checkboxes':
      return { type, selected_options: [...el.querySelectorAll('input:checked')].map(optionOf) };
    case 'radio_buttons': {
      const checked = el.querySelector('input:checked');
      return { type, selected_option: checked ? optionOf(checked) : null };
    }
    default:
      return undefined;
  }
}

/**
 * A rendered modal's inputs, as Slack puts them in a view_submission's `view.state`.
 * @param {DomElement} root @returns {{ values: Record<string, Record<string, Json>> }}
 */
export function readViewState(root) {
  /** @type {Record<string, Record<string, Json>>} */
  const values = {};
  for (const el of root.querySelectorAll('[data-bk-element]')) {
    const state = stateOf(el);
    if (!state) continue;
    const blockId = el.dataset.blockId ?? '';
    const actionId = el.dataset.actionId ?? '';
    const block = Object.hasOwn(values, blockId) ? values[blockId] : undefined;
    if (block) block[actionId] = state;
    else values[blockId] = { [actionId]: state };
  }
  return { values };
}

/** "1712345678.123456", like Slack's. */
function actionTs() {
  const ms = Date.now();
  const micros = Math.floor((ms % 1000) * 1000 + Math.random() * 1000);
  return `${Math.floor(ms / 1000)}.${String(Math.min(micros, 999_999)).padStart(6, '0')}`;
}

/**
 * The `actions[0]` Slack sends for a click or change on an element (or anything inside it).
 * @param {DomElement} element @returns {Json}
 */
export function actionOf(element) {
  const el = element.closest('[data-bk-element]') ?? element;
  const type = el.dataset.bkElement ?? '';
  const base = { type, action_id: el.dataset.actionId ?? '', block_id: el.dataset.blockId ?? '' };
  /** @type {Json} */
  let extra = {};
  if (type === 'button') {
    extra = {
      text: { type: 'plain_text', text: el.dataset.text ?? '', emoji: true },
      ...(el.dataset.value !== undefined ? { value: el.dataset.value } : {}),
      ...(el.dataset.style ? { style: el.dataset.style } : {}),
    };
  } else if (type === 'overflow') {
    const selected = /** @type {any} */ (el).selectedOptions?.[0];
    extra = { selected_option: selected && selected.value !== '' ? optionOf(selected) : null };
  } else {
    const { type: _type, ...state } = stateOf(el) ?? {};
    extra = state;
  }
  return { ...base, ...extra, action_ts: actionTs() };
}
