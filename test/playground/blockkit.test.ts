import { readdirSync, readFileSync } from 'node:fs';
import type { AnyBlock } from '@slack/types';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BatchRequest } from '../../src/approvals/types.js';
import { approvalMessage, threadNote, userCardActions } from '../../src/blocks/approval-card.js';
import { batchSummary } from '../../src/blocks/batch.js';
import { bulkListModal, bulkReviewModal } from '../../src/blocks/batch-modals.js';
import { COMMAND_HELP, helpMessage } from '../../src/blocks/help.js';
import { homeView } from '../../src/blocks/home.js';
import {
  deactivateModal,
  deleteModal,
  editModal,
  loadingModal,
  rejectModal,
} from '../../src/blocks/modals.js';
import { escapeMrkdwn } from '../../src/blocks/mrkdwn.js';
import { errorNotice } from '../../src/blocks/notice.js';
import { userCard } from '../../src/blocks/user-card.js';
import { userSchema } from '../../src/cipherscale/schemas.js';
import { SEED_IDS, SEED_USERS } from '../fakes/cipherscale/seed.js';
import { sampleRequest } from '../helpers/sample-request.js';
import { sharedPath } from '../helpers/shared.js';

// playground/web/blockkit.js is a plain browser module without type declarations; its contract, typed here.
interface RenderContext {
  surface: 'message' | 'modal' | 'home';
  users?: Record<string, string>;
  channels?: Record<string, string>;
  usergroups?: Record<string, string>;
  timeZone?: string;
  now?: number;
}
interface BlockKit {
  renderMrkdwn(text: string, ctx: RenderContext): string;
  renderText(text: { type: string; text: string; emoji?: boolean }, ctx: RenderContext): string;
  renderBlocks(blocks: readonly unknown[], ctx: RenderContext): string;
}
const BLOCKKIT_URL = new URL('../../playground/web/blockkit.js', import.meta.url).href;
const bk = (await import(BLOCKKIT_URL)) as BlockKit;

const PARIS = 'Europe/Paris';
const NEW_YORK = 'America/New_York';
const NOW = Date.parse('2024-05-01T12:00:00Z');
const ctx: RenderContext = {
  surface: 'message',
  timeZone: PARIS,
  now: NOW,
  users: { U0REQUESTER: 'ria', U0APPROVER1: 'ada', U123: 'alice' },
  channels: { C0APPROVALS: 'approvals' },
  usergroups: { S0SEC: 'security' },
};
const md = (text: string, over: Partial<RenderContext> = {}) => bk.renderMrkdwn(text, { ...ctx, ...over });
const blocks = (list: readonly unknown[], over: Partial<RenderContext> = {}) =>
  bk.renderBlocks(list, { ...ctx, ...over });

const ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  '#39': "'",
  '#10': '\n',
  '#13': '\r',
};
/** HTML text → the characters a reader sees (no tag left, entities decoded once). */
const decodeHtml = (html: string) =>
  html.replace(/&(amp|lt|gt|quot|#39|#10|#13);/g, (_w, name) => ENTITIES[name] ?? '');
/** What a reader sees: text only, one line per line break or block. */
const visible = (html: string) =>
  decodeHtml(
    html
      .replace(/<br>|<\/?(?:div|blockquote|pre|li|hr)\b[^>]*>/g, '\n')
      .replace(/<[^>]*>/g, '')
      .replace(/\n+/g, '\n'),
  ).trim();
/** The tags in some HTML, e.g. ['b', '/b', 'a']. */
const tags = (html: string) => [...html.matchAll(/<(\/?[a-z0-9]+)/g)].map((m) => m[1]);
/** Every value of a data-* attribute, decoded as the browser's dataset would. */
const dataValues = (html: string, name: string) =>
  [...html.matchAll(new RegExp(`${name}="([^"]*)"`, 'g'))].map((m) => decodeHtml(m[1] ?? ''));
const TAGS_WE_WRITE = new Set(['b', 'i', 's', 'code', 'pre', 'blockquote', 'br', 'span', 'a']);

describe('renderMrkdwn', () => {
  it('formats bold, italic, strike, code and preformatted text', () => {
    expect(md('*bold* _italic_ ~strike~ `code`')).toBe(
      '<b>bold</b> <i>italic</i> <s>strike</s> <code class="bk-code">code</code>',
    );
    expect(md('```\nline *one*\n  two```')).toBe('<pre class="bk-pre">line *one*\n  two</pre>');
    expect(md('*_both_*')).toBe('<b><i>both</i></b>');
    expect(md('`*not bold* <@U123>`')).toBe(
      '<code class="bk-code">*not bold* <span class="bk-mention bk-user" title="U123">@alice</span></code>',
    );
  });

  it('applies markers only at word boundaries, as Slack does', () => {
    expect(md('snake_case_name and 2*3*4 and a~b~c')).toBe('snake_case_name and 2*3*4 and a~b~c');
    expect(md('* not bold * and _ spaced _')).toBe('* not bold * and _ spaced _');
    expect(md('(*in brackets*), _end_.')).toBe('(<b>in brackets</b>), <i>end</i>.');
    expect(md('*across\nlines*')).toBe('*across<br>lines*');
  });

  it('quotes lines that start with >, keeps lists as text and line breaks', () => {
    expect(md('before\n>quoted\n>still\nafter')).toBe(
      'before<blockquote class="bk-quote">quoted<br>still</blockquote>after',
    );
    expect(md('• one\n- two')).toBe('• one<br>- two');
    // Escaped by the app: a literal ">", not a quote.
    expect(md('&gt; not a quote')).toBe('&gt; not a quote');
  });

  it('decodes Slack’s own escapes exactly once and escapes everything for HTML', () => {
    expect(md('&lt;script&gt;alert(1)&lt;/script&gt;')).toBe('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(visible(md('&amp;lt; &amp;amp; &lt;b&gt;'))).toBe('&lt; &amp; <b>');
    // A token never spans lines: an unmatched bracket is text.
    expect(md('<@U123\nx> <https://x.example')).toBe('&lt;@U123<br>x&gt; &lt;https://x.example');
    expect(md(`"quotes" 'single' & bare < and >`)).toBe(
      '&quot;quotes&quot; &#39;single&#39; &amp; bare &lt; and &gt;',
    );
  });

  it('shows any text the app escaped exactly as typed, with no markup of its own', () => {
    // No formatting markers here: what is left is only escaping, so nothing may become a tag.
    const alphabet = fc.constantFrom(...'ab <>&"\'/=!@#|^?.-'.split(''), '<script>', '<!channel>', '<@U123>');
    fc.assert(
      fc.property(
        fc.array(alphabet, { maxLength: 40 }).map((parts) => parts.join('')),
        (raw) => {
          const html = md(escapeMrkdwn(raw));
          expect(html).not.toContain('<');
          expect(decodeHtml(html)).toBe(raw);
        },
      ),
    );
  });

  it('links http, https and mailto only, in a new tab without referrer', () => {
    expect(md('<https://x.example/a?b=1&amp;c=2|the *label*>')).toBe(
      '<a class="bk-link" href="https://x.example/a?b=1&amp;c=2" target="_blank" rel="noopener noreferrer">the *label*</a>',
    );
    expect(md('<http://x.example>')).toContain('href="http://x.example"');
    expect(md('<mailto:a@example.com|mail me>')).toContain('href="mailto:a@example.com"');
    for (const hostile of [
      'javascript:alert(1)',
      'JavaScript:alert(1)',
      'data:text/html,x',
      ' javascript:x',
      'vbscript:x',
    ]) {
      const html = md(`<${hostile}|click>`);
      expect(tags(html)).toEqual([]);
      expect(visible(html)).toBe('click');
    }
    expect(md('<https://x.example/"onmouseover="alert(1)|x>')).toContain(
      'href="https://x.example/&quot;onmouseover=&quot;alert(1)"',
    );
  });

  it('shows mentions as pills by name, falling back to the label or the id', () => {
    expect(visible(md('<@U123> <@U999> <@U998|bob>'))).toBe('@alice @U999 @bob');
    expect(visible(md('<#C0APPROVALS> <#C999|general> <#C998>'))).toBe('#approvals #general #C998');
    expect(visible(md('<!subteam^S0SEC> <!subteam^S999|@ops> <!subteam^S998>'))).toBe('@security @ops @S998');
    expect(visible(md('<!here> <!channel> <!everyone> <!here|here>'))).toBe('@here @channel @everyone @here');
    expect(md('<@U123>')).toBe('<span class="bk-mention bk-user" title="U123">@alice</span>');
    expect(md('<!channel>')).toBe('<span class="bk-mention bk-broadcast">@channel</span>');
    // A name that itself looks like markup stays text.
    expect(md('<@U1>', { users: { U1: '<img src=x onerror=alert(1)>' } })).toBe(
      '<span class="bk-mention bk-user" title="U1">@&lt;img src=x onerror=alert(1)&gt;</span>',
    );
  });

  it('formats <!date^…> in the reader’s time zone, every token, and in two zones', () => {
    const ts = Date.parse('2024-05-01T12:45:07Z') / 1000; // a Wednesday
    const date = (format: string, timeZone: string, now = NOW) =>
      visible(md(`<!date^${ts}^${format}|fallback>`, { timeZone, now }));
    expect(date('{date_short_pretty} at {time}', PARIS)).toBe('Today at 2:45 PM');
    expect(date('{date_short_pretty} at {time}', NEW_YORK)).toBe('Today at 8:45 AM');
    const later = NOW + 3 * 86_400_000;
    expect(date('{date_num} · {date} · {date_short} · {date_long}', PARIS, later)).toBe(
      '2024-05-01 · May 1st, 2024 · May 1, 2024 · Wednesday, May 1st, 2024',
    );
    expect(date('{date_pretty} · {date_short_pretty} · {date_long_pretty}', NEW_YORK, later)).toBe(
      'May 1st, 2024 · May 1, 2024 · Wednesday, May 1st, 2024',
    );
    expect(date('{time_secs}', PARIS)).toBe('2:45:07 PM');
    expect(date('{time_secs}', NEW_YORK)).toBe('8:45:07 AM');
    expect(date('{ago}', PARIS, later)).toBe('2 days ago');
    expect(date('{ago}', PARIS, NOW)).toBe('in 45 minutes');
    expect(date('{date_pretty}', PARIS, NOW + 86_400_000)).toBe('Yesterday');
    expect(date('{date_pretty}', PARIS, NOW - 86_400_000)).toBe('Tomorrow');
    // Near midnight the day differs by zone: 23:30 UTC is the next day in Paris.
    const lateTs = Date.parse('2024-12-31T23:30:00Z') / 1000;
    expect(visible(md(`<!date^${lateTs}^{date_num} {time}|x>`, { timeZone: PARIS }))).toBe(
      '2025-01-01 12:30 AM',
    );
    expect(visible(md(`<!date^${lateTs}^{date_num} {time}|x>`, { timeZone: NEW_YORK }))).toBe(
      '2024-12-31 6:30 PM',
    );
  });

  it('shows the fallback for a bad timestamp, token or zone, and links the date only to a safe URL', () => {
    expect(visible(md('<!date^notanumber^{date}|2024-05-01 12:45 UTC>'))).toBe('2024-05-01 12:45 UTC');
    expect(visible(md('<!date^1714567507^{date} {nope}|fell &lt;back&gt;>'))).toBe('fell <back>');
    expect(visible(md('<!date^1714567507^{date}|fb>', { timeZone: 'Not/AZone' }))).toBe('fb');
    expect(md('<!date^1714567507^{date_num}^https://x.example/d|fb>')).toBe(
      '<a class="bk-link" href="https://x.example/d" target="_blank" rel="noopener noreferrer"><span class="bk-date">2024-05-01</span></a>',
    );
    expect(tags(md('<!date^1714567507^{date_num}^javascript:alert(1)|fb>'))).toEqual(['span', '/span']);
  });

  it('turns the app’s emoji shortcodes into emoji and leaves unknown ones and times as text', () => {
    for (const name of [
      'white_check_mark',
      'x',
      'warning',
      'hourglass',
      'hourglass_flowing_sand',
      'no_entry',
      'large_green_circle',
      'memo',
      'wastebasket',
      'pencil2',
      '+1',
    ]) {
      expect(md(`:${name}:`), name).toMatch(/^<span class="bk-emoji" title=":[a-z0-9_+]+:">[^<]+<\/span>$/);
    }
    expect(md(':white_check_mark: done')).toBe(
      '<span class="bk-emoji" title=":white_check_mark:">✅</span> done',
    );
    expect(md(':not_an_emoji: at 10:30:45')).toBe(':not_an_emoji: at 10:30:45');
  });
});

describe('renderText', () => {
  it('escapes plain_text, converts emoji unless emoji is false, and keeps line breaks', () => {
    expect(bk.renderText({ type: 'plain_text', text: '<b>*x*</b> & :x:\nnext', emoji: true }, ctx)).toBe(
      '&lt;b&gt;*x*&lt;/b&gt; &amp; <span class="bk-emoji" title=":x:">❌</span><br>next',
    );
    expect(bk.renderText({ type: 'plain_text', text: ':x: &amp;', emoji: false }, ctx)).toBe(':x: &amp;amp;');
    expect(bk.renderText({ type: 'mrkdwn', text: '*b*' }, ctx)).toBe('<b>b</b>');
  });
});

describe('renderBlocks', () => {
  const hostile = userSchema.parse(SEED_USERS.find((u) => u.id === SEED_IDS.hostile));

  it('renders the hostile seeded user’s card as text, with nothing from the user as markup', () => {
    const card = userCard(hostile, { actions: userCardActions(hostile) });
    const html = blocks(card.blocks);
    expect(new Set(tags(html).map((t) => t?.replace('/', '')))).toEqual(
      new Set(['div', 'b', 'br', 'span', 'code', 'hr', 'i', 's', 'pre', 'button']),
    );
    expect(html).not.toContain('bk-broadcast');
    expect(html).not.toContain('href');
    expect(html).not.toContain('javascript:');
    const shown = visible(html);
    expect(shown).toContain('<!channel> <https://evil.example|click> & <@U123>');
    expect(shown).toContain('Ops <!here>');
    expect(shown).toContain('connectionStatus: <!everyone>');
    expect(shown).toContain('Email\nbold@example.com');
    expect(shown).toContain('Created Feb 2, 2025 at 3:02 AM');
    expect(shown).toContain('Last connection Dec 25, 2025 at 12:59 AM');
    expect(html).toContain('<div class="bk-block bk-header" data-block-id="');
    expect(html).toContain('<div class="bk-fields"><div class="bk-field"><b>Email</b>');
    expect(dataValues(html, 'data-value')).toEqual([
      SEED_IDS.hostile,
      SEED_IDS.hostile,
      SEED_IDS.hostile,
      SEED_IDS.hostile,
    ]);
    expect(dataValues(html, 'data-style')).toEqual(['danger']);
  });

  it('renders an approval card: header, reason quote, mentions by name, buttons with styles and confirm', () => {
    const request = sampleRequest({
      action: 'delete',
      requiredApprovals: 2,
      reason: 'Left <!channel> & "gone"',
      approvals: [{ userId: 'U0APPROVER1', at: Date.parse('2024-06-03T09:05:00Z') }],
    });
    const html = blocks(approvalMessage(request).blocks);
    const shown = visible(html);
    expect(shown).toContain('🗑️ Delete request');
    expect(shown).toContain('Reason\nLeft <!channel> & "gone"');
    expect(html).toContain(
      '<blockquote class="bk-quote">Left &lt;!channel&gt; &amp; &quot;gone&quot;</blockquote>',
    );
    expect(shown).toContain('Requested by @ria · Jun 3, 2024 at 11:00 AM');
    expect(shown).toContain('Approvals 1/2: @ada');
    expect(dataValues(html, 'data-action-id')).toEqual([
      'request_approve',
      'request_reject',
      'request_cancel',
    ]);
    expect(dataValues(html, 'data-style')).toEqual(['primary', 'danger']);
    const [confirm] = dataValues(html, 'data-confirm');
    expect(JSON.parse(confirm ?? '')).toMatchObject({
      title: { text: 'Approve deletion?' },
      confirm: { text: 'Approve deletion' },
      deny: { text: 'Back' },
      style: 'danger',
    });
    expect(html).toMatch(
      /<button type="button" class="bk-button bk-button-primary" data-bk-element="button"/,
    );
  });

  it('renders the edit modal of the hostile user with escaped initial values, limits, placeholders and hints', () => {
    const target = { ...hostile, firstName: 'A"b<c>&d', lastName: "O'Neil" };
    const html = blocks(editModal(target, '{}').blocks, { surface: 'modal' });
    expect(html).toContain('value="A&quot;b&lt;c&gt;&amp;d"');
    expect(html).toContain('value="O&#39;Neil"');
    expect(html).toContain('maxlength="100"');
    expect(html).toContain('placeholder="https://…"');
    expect(visible(html)).toContain('First name (optional)');
    expect(visible(html)).toContain('Stored as “javascript:alert(1)” (19 characters)');
    expect(html).toContain(
      'data-bk-element="plain_text_input" data-action-id="value" data-block-id="first_name"',
    );
  });

  it('renders the deactivate, delete, reject, bulk and loading modals with a multiline reason box', () => {
    const target = sampleRequest().target;
    const del = blocks(deleteModal(target, 'retention <over>', 2, '{}').blocks, { surface: 'modal' });
    expect(del).toContain('<textarea class="bk-text-input bk-textarea" data-bk-element="plain_text_input"');
    expect(del).toContain('>\nretention &lt;over&gt;</textarea>');
    expect(visible(del)).toContain('⚠️ Deletion is permanent and cannot be undone.');
    expect(visible(del)).toContain('Approvers see it; it stays in the channel history.');
    const views = [
      deactivateModal(target, undefined, 1, '{}'),
      rejectModal(sampleRequest(), '{}'),
      bulkListModal({ action: 'delete', boxes: 2, privateMetadata: '{}' }),
      loadingModal('Loading'),
    ];
    for (const view of views) {
      const html = blocks(view.blocks, { surface: 'modal' });
      expect(html, view.title.text).not.toContain('bk-unsupported');
      expect(html).toContain('bk-block');
    }
  });

  it('renders the Home tab with headers, dividers, context and link buttons', () => {
    const request = sampleRequest();
    const link = 'https://acme.slack.com/archives/C0APPROVALS/p1717405200000100?thread_ts=1&cid=C0APPROVALS';
    const view = homeView({
      awaiting: { entries: [{ request, link }], total: 1 },
      mine: { entries: [], total: 0 },
      recent: [],
      recentScope: 'all',
    });
    const html = blocks(view.blocks, { surface: 'home' });
    expect(html).toContain('<div class="bk-block bk-header"');
    expect(html).toContain('<hr class="bk-divider-line">');
    expect(html).toContain(
      '<div class="bk-accessory"><button type="button" class="bk-button bk-button-link"',
    );
    expect(html).not.toContain('bk-unsupported');
    for (const url of dataValues(html, 'data-url')) expect(url).toMatch(/^https:\/\/acme\.slack\.com\//);
    expect(visible(html)).toContain('Type /cipher-user help in any channel');
  });

  it('renders every block the app sends in messages without a placeholder', () => {
    const request = sampleRequest();
    const { target, ...rest } = sampleRequest({ action: 'delete', state: 'running' });
    const batch: BatchRequest = {
      ...rest,
      batch: {
        targets: [target, { ...target, id: SEED_IDS.hostile, firstName: '<b>' }],
        excluded: [],
        duplicates: 0,
      },
    };
    const messages: Array<{ blocks: readonly AnyBlock[] }> = [
      helpMessage({ command: '/cipher-user', subcommands: COMMAND_HELP, intro: 'Unknown `x`' }),
      errorNotice('Not a valid user id', 'Usage: `/cipher-user lookup <uuid>`'),
      threadNote(request, { kind: 'created' }),
      approvalMessage(batch),
      batchSummary(batch, new Map()),
      {
        blocks: bulkReviewModal({
          action: 'delete',
          batch: batch.batch,
          reason: 'r',
          requiredApprovals: 2,
          privateMetadata: '{}',
        }).blocks,
      },
    ];
    for (const message of messages) {
      const html = blocks(message.blocks);
      expect(html).not.toContain('bk-unsupported');
      expect(html.match(/class="bk-block /g)?.length).toBe(message.blocks.length);
      for (const tag of tags(html))
        expect(
          TAGS_WE_WRITE.has(tag?.replace('/', '') ?? '') ||
            /^\/?(div|hr|button|label|textarea|input)$/.test(tag ?? ''),
        ).toBe(true);
    }
  });

  it('renders Slack’s own example views (../shared/slack/blockkit/examples) with every element supported', () => {
    const dir = sharedPath('slack/blockkit/examples');
    const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
    expect(files.length).toBeGreaterThan(10);
    for (const file of files) {
      const view = JSON.parse(readFileSync(`${dir}/${file}`, 'utf8')) as { blocks: unknown[] };
      const html = blocks(view.blocks, { surface: 'modal' });
      expect(html, file).not.toContain('bk-unsupported');
      expect(html).not.toMatch(/<img|<script|<iframe/);
    }
  });

  it('keeps ids, values and confirm text with quotes, < and & exact in data-* attributes', () => {
    const nasty = `a"b'c<d>&amp;e\n\r</div>`;
    const html = blocks([
      {
        type: 'actions',
        block_id: nasty,
        elements: [
          {
            type: 'button',
            action_id: nasty,
            value: nasty,
            url: `https://x.example/?q=${nasty}`,
            text: { type: 'plain_text', text: nasty },
            confirm: {
              title: { type: 'plain_text', text: nasty },
              text: { type: 'plain_text', text: nasty },
            },
          },
        ],
      },
    ]);
    expect(html).not.toContain('</div>"');
    expect(dataValues(html, 'data-block-id')).toEqual([nasty, nasty]);
    expect(dataValues(html, 'data-action-id')).toEqual([nasty]);
    expect(dataValues(html, 'data-value')).toEqual([nasty]);
    expect(dataValues(html, 'data-text')).toEqual([nasty]);
    expect(dataValues(html, 'data-url')).toEqual([`https://x.example/?q=${nasty}`]);
    expect(JSON.parse(dataValues(html, 'data-confirm')[0] ?? '')).toEqual({
      title: { type: 'plain_text', text: nasty },
      text: { type: 'plain_text', text: nasty },
    });
  });

  it('shows unknown blocks and elements as a visible placeholder, with the type escaped', () => {
    const html = blocks([
      { type: 'video', block_id: 'v', title: { type: 'plain_text', text: 'x' } },
      { type: '<img src=x>' },
      { type: 'actions', elements: [{ type: 'workflow_button', action_id: 'w' }] },
      {
        type: 'section',
        text: { type: 'mrkdwn', text: 'hi' },
        accessory: { type: 'external_select', action_id: 'e' },
      },
    ]);
    expect(html).toContain(
      '<div class="bk-block bk-video" data-block-id="v"><span class="bk-unsupported">[unsupported: video]</span></div>',
    );
    expect(html).toContain('<div class="bk-block bk-unknown"');
    expect(html).toContain('[unsupported: &lt;img src=x&gt;]');
    expect(html).toContain('[unsupported: workflow_button]');
    expect(html).toContain('[unsupported: external_select]');
    expect(html).not.toContain('<img');
  });

  it('renders images as alt-text chips, never fetching them', () => {
    const html = blocks([
      {
        type: 'image',
        image_url: 'https://x.example/i.png',
        alt_text: 'a <cat>',
        title: { type: 'plain_text', text: 'Cat' },
      },
      {
        type: 'context',
        elements: [
          { type: 'image', image_url: 'javascript:alert(1)', alt_text: 'logo' },
          { type: 'plain_text', text: 'small' },
        ],
      },
    ]);
    expect(html).not.toContain('<img');
    expect(html).not.toContain('src=');
    expect(visible(html)).toContain('Cat\n🖼 a <cat>');
    expect(visible(html)).toContain('🖼 logosmall');
  });

  it('renders rich_text sections, lists, quotes and preformatted text with links, mentions, emoji and styles', () => {
    const html = blocks([
      {
        type: 'rich_text',
        elements: [
          {
            type: 'rich_text_section',
            elements: [
              { type: 'text', text: 'Hi <b> ', style: { bold: true } },
              { type: 'user', user_id: 'U123' },
              { type: 'text', text: ' see ' },
              { type: 'link', url: 'https://x.example', text: 'docs' },
              { type: 'link', url: 'javascript:alert(1)', text: 'bad' },
              { type: 'channel', channel_id: 'C0APPROVALS' },
              { type: 'emoji', name: 'white_check_mark' },
              { type: 'text', text: 'code', style: { code: true, italic: true, strike: true } },
            ],
          },
          {
            type: 'rich_text_list',
            style: 'ordered',
            elements: [
              { type: 'rich_text_section', elements: [{ type: 'text', text: 'one' }] },
              { type: 'rich_text_section', elements: [{ type: 'text', text: 'two' }] },
            ],
          },
          { type: 'rich_text_quote', elements: [{ type: 'text', text: 'quoted' }] },
          { type: 'rich_text_preformatted', elements: [{ type: 'text', text: 'pre <x>' }] },
        ],
      },
    ]);
    expect(html).toContain('<b>Hi &lt;b&gt; </b><span class="bk-mention bk-user" title="U123">@alice</span>');
    expect(html).toContain(
      '<a class="bk-link" href="https://x.example" target="_blank" rel="noopener noreferrer">docs</a>bad',
    );
    expect(html).toContain('#approvals');
    expect(html).toContain('✅');
    expect(html).toContain('<s><i><code class="bk-code">code</code></i></s>');
    expect(html).toContain(
      '<ol class="bk-list" style="margin-left:0em"><li><div class="bk-rich-section">one</div></li>',
    );
    expect(html).toContain('<blockquote class="bk-quote">quoted</blockquote>');
    expect(html).toContain('<pre class="bk-pre">pre &lt;x&gt;</pre>');
    expect(html).not.toContain('javascript:');
  });

  it('renders the markdown block as literal text with its bold and links', () => {
    const html = blocks([
      { type: 'markdown', text: '**Hi** <@U123> & [site](https://x.example) [bad](javascript:x)' },
    ]);
    expect(html).toContain('<b>Hi</b> &lt;@U123&gt; &amp; <a class="bk-link" href="https://x.example"');
    expect(html).not.toContain('javascript');
  });
});
