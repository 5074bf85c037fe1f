import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { approvalMessage, userCardActions } from '../../src/blocks/approval-card.js';
import { deleteModal } from '../../src/blocks/modals.js';
import { userCard } from '../../src/blocks/user-card.js';
import { userSchema } from '../../src/cipherscale/schemas.js';
import { SEED_IDS, SEED_USERS } from '../../test/fakes/cipherscale/seed.js';
import { sampleRequest } from '../../test/helpers/sample-request.js';
import { type LaunchedBrowser, launchBrowser } from './browser.js';

// blockkit.js and blockkit.css as the playground serves them, in Debian's headless Chromium.
const WEB = new URL('../web/', import.meta.url);
const FILES: Record<string, [string, string]> = {
  '/blockkit.js': ['text/javascript', readFileSync(new URL('blockkit.js', WEB), 'utf8')],
  '/blockkit.css': ['text/css', readFileSync(new URL('blockkit.css', WEB), 'utf8')],
  '/': [
    'text/html',
    `<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<link rel="stylesheet" href="/blockkit.css"><style>body{margin:0;background:#fff}#root{padding:16px 20px;max-width:560px}</style>
</head><body><div id="root"></div><script type="module">import * as bk from '/blockkit.js'; window.bk = bk; window.ready = true;</script></body></html>`,
  ],
};

const TZ = 'Europe/Paris';
const CTX = { surface: 'modal', timeZone: TZ, users: { U0REQUESTER: 'ria', U0APPROVER1: 'ada' } } as const;
// Quotes, angle brackets, ampersands, a newline and a CR: they must come back exactly.
const NASTY = `a"b'c<d>&amp;e\n\r</div><script>x</script>`;

let launched: LaunchedBrowser;
let server: Server;
let base: string;
let page: Page;

beforeAll(async () => {
  server = createServer((req, res) => {
    const file = FILES[req.url ?? ''];
    if (!file) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': `${file[0]}; charset=utf-8` });
    res.end(file[1]);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  launched = await launchBrowser();
});
afterAll(async () => {
  await launched?.close();
  await new Promise((resolve) => server?.close(resolve));
});
beforeEach(async () => {
  page = await launched.browser.newPage({ viewport: { width: 600, height: 900 } });
  await page.goto(`${base}/`);
  await page.waitForFunction(() => (globalThis as unknown as PageGlobals).ready === true);
});
afterEach(async () => {
  await page?.close();
});

/** Renders blocks into #root with the page's own blockkit.js. */
async function render(blocks: unknown, ctx: object = CTX): Promise<void> {
  await page.evaluate(
    ([b, c]) => {
      const { bk, document } = globalThis as unknown as PageGlobals;
      const root = document.getElementById('root');
      if (root) root.innerHTML = bk.renderBlocks(b, c);
    },
    [blocks, ctx] as const,
  );
}

const viewState = () =>
  page.evaluate(() => {
    const { bk, document } = globalThis as unknown as PageGlobals;
    return bk.readViewState(document.getElementById('root'));
  });

/** actionOf for the element matched by `selector`, as the page shell calls it from an event. */
const actionFor = (selector: string) =>
  page.evaluate((s) => {
    const { bk, document } = globalThis as unknown as PageGlobals;
    return bk.actionOf(document.querySelector(s));
  }, selector);

// The page's globals, typed here: the project's tsconfig has no DOM lib.
interface PageGlobals {
  bk: {
    renderBlocks(blocks: unknown, ctx: unknown): string;
    readViewState(root: unknown): unknown;
    actionOf(el: unknown): Record<string, unknown>;
  };
  ready?: boolean;
  innerWidth: number;
  document: {
    getElementById(id: string): { innerHTML: string } | null;
    querySelector(selector: string): unknown;
    documentElement: { scrollWidth: number };
  };
}

const opt = (text: string, value: string) => ({ text: { type: 'plain_text', text, emoji: true }, value });

// Every input type the playground must handle, with ids and values that need escaping.
const everyInput = [
  { type: 'header', text: { type: 'plain_text', text: 'Every input', emoji: true } },
  {
    type: 'input',
    block_id: 'text',
    label: { type: 'plain_text', text: 'Name' },
    hint: { type: 'plain_text', text: 'As in the directory' },
    element: {
      type: 'plain_text_input',
      action_id: 'value',
      max_length: 20,
      placeholder: { type: 'plain_text', text: 'Jane' },
    },
  },
  {
    type: 'input',
    block_id: 'reason',
    label: { type: 'plain_text', text: 'Reason' },
    optional: true,
    element: { type: 'plain_text_input', action_id: 'value', multiline: true },
  },
  {
    type: 'input',
    block_id: 'empty',
    label: { type: 'plain_text', text: 'Left empty' },
    optional: true,
    element: { type: 'plain_text_input', action_id: 'value' },
  },
  {
    type: 'input',
    block_id: NASTY,
    label: { type: 'plain_text', text: 'Nasty ids' },
    element: {
      type: 'static_select',
      action_id: NASTY,
      options: [opt('One', 'v1'), opt('Two :star:', NASTY)],
    },
  },
  {
    type: 'input',
    block_id: 'day',
    label: { type: 'plain_text', text: 'Day' },
    element: { type: 'datepicker', action_id: 'date', initial_date: '2024-06-03' },
  },
  {
    type: 'input',
    block_id: 'clock',
    label: { type: 'plain_text', text: 'Time' },
    element: { type: 'timepicker', action_id: 'time', timezone: 'America/Los_Angeles' },
  },
  {
    type: 'input',
    block_id: 'when',
    label: { type: 'plain_text', text: 'When' },
    element: { type: 'datetimepicker', action_id: 'at', initial_date_time: 1717405200 },
  },
  {
    type: 'input',
    block_id: 'checks',
    label: { type: 'plain_text', text: 'Checks' },
    element: {
      type: 'checkboxes',
      action_id: 'boxes',
      options: [
        { text: { type: 'mrkdwn', text: '*First*' }, value: 'c1' },
        {
          text: { type: 'plain_text', text: 'Second' },
          value: 'c2',
          description: { type: 'plain_text', text: 'more' },
        },
      ],
      initial_options: [{ text: { type: 'mrkdwn', text: '*First*' }, value: 'c1' }],
    },
  },
  {
    type: 'input',
    block_id: 'radio',
    label: { type: 'plain_text', text: 'Pick one' },
    element: { type: 'radio_buttons', action_id: 'choice', options: [opt('Left', 'l'), opt('Right', 'r')] },
  },
  {
    type: 'input',
    block_id: 'count',
    label: { type: 'plain_text', text: 'Count' },
    element: { type: 'number_input', action_id: 'n', is_decimal_allowed: false },
  },
  {
    type: 'input',
    block_id: 'mail',
    label: { type: 'plain_text', text: 'Email' },
    element: { type: 'email_text_input', action_id: 'e', initial_value: 'a@example.com' },
  },
  {
    type: 'input',
    block_id: 'site',
    label: { type: 'plain_text', text: 'Site' },
    element: { type: 'url_text_input', action_id: 'u' },
  },
  {
    type: 'actions',
    block_id: 'acts',
    elements: [
      {
        type: 'static_select',
        action_id: 'sort',
        options: [opt('Newest', 'new'), opt('Oldest', 'old')],
        initial_option: opt('Newest', 'new'),
      },
      { type: 'overflow', action_id: 'more', options: [opt('Copy', 'copy'), opt('Archive', 'archive')] },
      { type: 'datepicker', action_id: 'from' },
      { type: 'users_select', action_id: 'who', initial_user: 'U0APPROVER1' },
      {
        type: 'button',
        action_id: NASTY,
        value: NASTY,
        style: 'primary',
        text: { type: 'plain_text', text: 'Go <now>', emoji: true },
      },
    ],
  },
];

describe('a modal with every input type', () => {
  it('reads back, after typing, picking and checking, exactly as Slack puts it in view.state', async () => {
    await render(everyInput);
    await page.fill('[data-block-id="text"] [data-bk-element]', 'Ann <b>&amp;');
    await page.fill('[data-block-id="reason"] textarea', 'line one\nline "two"');
    await page.locator('select[data-bk-element="static_select"]').first().selectOption({ label: 'Two ⭐' });
    await page.fill('[data-block-id="clock"] input', '09:30');
    await page.fill('[data-block-id="when"] input[type="date"]', '2024-12-24');
    await page.fill('[data-block-id="when"] input[type="time"]', '18:15');
    await page.check('[data-block-id="checks"] input[value="c2"]');
    await page.check('[data-block-id="radio"] input[value="r"]');
    await page.fill('[data-block-id="count"] input', '12345');
    await page.fill('[data-block-id="site"] input', 'https://www.example.com/');

    expect(await viewState()).toEqual({
      values: {
        text: { value: { type: 'plain_text_input', value: 'Ann <b>&amp;' } },
        reason: { value: { type: 'plain_text_input', value: 'line one\nline "two"' } },
        empty: { value: { type: 'plain_text_input', value: null } },
        [NASTY]: { [NASTY]: { type: 'static_select', selected_option: opt('Two :star:', NASTY) } },
        day: { date: { type: 'datepicker', selected_date: '2024-06-03' } },
        clock: { time: { type: 'timepicker', selected_time: '09:30', timezone: 'America/Los_Angeles' } },
        // 18:15 on Christmas Eve in Paris (UTC+1).
        when: {
          at: { type: 'datetimepicker', selected_date_time: Date.parse('2024-12-24T17:15:00Z') / 1000 },
        },
        checks: {
          boxes: {
            type: 'checkboxes',
            selected_options: [
              { text: { type: 'mrkdwn', text: '*First*' }, value: 'c1' },
              {
                text: { type: 'plain_text', text: 'Second' },
                value: 'c2',
                description: { type: 'plain_text', text: 'more' },
              },
            ],
          },
        },
        radio: { choice: { type: 'radio_buttons', selected_option: opt('Right', 'r') } },
        count: { n: { type: 'number_input', value: '12345' } },
        mail: { e: { type: 'email_text_input', value: 'a@example.com' } },
        site: { u: { type: 'url_text_input', value: 'https://www.example.com/' } },
        acts: {
          sort: { type: 'static_select', selected_option: opt('Newest', 'new') },
          from: { type: 'datepicker', selected_date: null },
          who: { type: 'users_select', selected_user: 'U0APPROVER1' },
        },
      },
    });
  });

  it('starts from the initial values, shows labels, hints and the optional marker, and keeps max_length', async () => {
    await render(everyInput);
    expect(await page.inputValue('[data-block-id="when"] input[type="date"]')).toBe('2024-06-03');
    // 1717405200 is 09:00 UTC: 11:00 in Paris in June.
    expect(await page.inputValue('[data-block-id="when"] input[type="time"]')).toBe('11:00');
    expect(await page.getAttribute('[data-block-id="text"] input', 'maxlength')).toBe('20');
    expect(await page.getAttribute('[data-block-id="text"] input', 'placeholder')).toBe('Jane');
    expect(await page.textContent('[data-block-id="text"]')).toContain('As in the directory');
    expect(await page.textContent('[data-block-id="reason"] .bk-label')).toBe('Reason (optional)');
    expect(await page.isChecked('[data-block-id="checks"] input[value="c1"]')).toBe(true);
    expect(await page.isChecked('[data-block-id="checks"] input[value="c2"]')).toBe(false);
    const state = (await viewState()) as { values: Record<string, Record<string, unknown>> };
    expect(state.values.radio).toEqual({ choice: { type: 'radio_buttons', selected_option: null } });
    expect(state.values.clock).toEqual({
      time: { type: 'timepicker', selected_time: null, timezone: 'America/Los_Angeles' },
    });
    await page.screenshot({ path: '/tmp/blockkit-modal.png', fullPage: true });
    await page.setViewportSize({ width: 360, height: 800 });
    const overflow = await page.evaluate(() => {
      const g = globalThis as unknown as PageGlobals;
      return g.document.documentElement.scrollWidth - g.innerWidth;
    });
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({ path: '/tmp/blockkit-modal-phone.png', fullPage: true });
  });

  it('gives a clicked button and a changed select as Slack sends them in actions[0], ids intact', async () => {
    await render(everyInput);
    await page.click('button[data-bk-element="button"]');
    const click = await actionFor('button[data-bk-element="button"]');
    expect(click).toEqual({
      type: 'button',
      action_id: NASTY,
      block_id: 'acts',
      text: { type: 'plain_text', text: 'Go <now>', emoji: true },
      value: NASTY,
      style: 'primary',
      action_ts: expect.stringMatching(/^\d{10}\.\d{6}$/),
    });
    expect(await page.textContent('button[data-bk-element="button"]')).toBe('Go <now>');

    await page.selectOption('[data-block-id="acts"] select', 'old');
    expect(await actionFor('[data-block-id="acts"] select')).toEqual({
      type: 'static_select',
      action_id: 'sort',
      block_id: 'acts',
      selected_option: opt('Oldest', 'old'),
      action_ts: expect.stringMatching(/^\d{10}\.\d{6}$/),
    });
    await page.selectOption('[data-block-id="acts"] select.bk-overflow', 'archive');
    expect(await actionFor('[data-block-id="acts"] .bk-overflow')).toMatchObject({
      type: 'overflow',
      action_id: 'more',
      selected_option: opt('Archive', 'archive'),
    });
    await page.fill('[data-block-id="acts"] input[type="date"]', '2025-01-31');
    expect(await actionFor('[data-block-id="acts"] input[type="date"]')).toMatchObject({
      type: 'datepicker',
      action_id: 'from',
      block_id: 'acts',
      selected_date: '2025-01-31',
    });
    await page.selectOption('[data-block-id="acts"] [data-bk-element="users_select"]', 'U0REQUESTER');
    expect(await actionFor('[data-block-id="acts"] [data-bk-element="users_select"]')).toMatchObject({
      type: 'users_select',
      selected_user: 'U0REQUESTER',
    });
    expect(
      await page.textContent('[data-block-id="acts"] [data-bk-element="users_select"] option:checked'),
    ).toBe('@ria');
    // From an element inside the root too: a checkbox's <input> finds its checkboxes element.
    expect(await actionFor('[data-block-id="checks"] input[value="c1"]')).toMatchObject({
      type: 'checkboxes',
      action_id: 'boxes',
      selected_options: [{ value: 'c1' }],
    });
  });
});

describe('the app’s own messages', () => {
  const hostile = userSchema.parse(SEED_USERS.find((u) => u.id === SEED_IDS.hostile));

  it('renders the hostile user card with nothing from the user as markup, and its buttons work', async () => {
    const card = userCard(hostile, { actions: userCardActions(hostile) });
    await render(card.blocks, { surface: 'message', timeZone: TZ });
    const root = page.locator('#root');
    // Nothing from the data became an element: only markup blockkit.js writes.
    expect(await page.locator('#root script, #root a, #root img').count()).toBe(0);
    const text = await root.textContent();
    expect(text).toContain('<!channel> <https://evil.example|click> & <@U123>');
    expect(text).toContain('Ops <!here>');
    expect(text).toContain('<!everyone>');
    expect(await page.locator('#root .bk-broadcast').count()).toBe(0);
    await page.click('text=Delete…');
    expect(await actionFor('button[data-style="danger"]')).toMatchObject({
      type: 'button',
      value: SEED_IDS.hostile,
      style: 'danger',
      text: { type: 'plain_text', text: 'Delete…', emoji: true },
    });
    await page.screenshot({ path: '/tmp/blockkit-hostile-card.png', fullPage: true });
  });

  it('renders an approval card with confirm data and a delete modal, also on a phone', async () => {
    const request = sampleRequest({
      action: 'delete',
      requiredApprovals: 2,
      approvals: [{ userId: 'U0APPROVER1', at: Date.parse('2024-06-03T09:05:00Z') }],
    });
    await page.setViewportSize({ width: 360, height: 800 });
    await render(approvalMessage(request).blocks, { ...CTX, surface: 'message' });
    const confirm = await page.getAttribute('button[data-style="primary"]', 'data-confirm');
    expect(JSON.parse(confirm ?? 'null')).toMatchObject({
      title: { text: 'Approve deletion?' },
      style: 'danger',
    });
    expect(await page.locator('#root').textContent()).toContain('Approvals 1/2: @ada');
    // Nothing sticks out sideways on a phone.
    const overflow = await page.evaluate(() => {
      const g = globalThis as unknown as PageGlobals;
      return g.document.documentElement.scrollWidth - g.innerWidth;
    });
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({ path: '/tmp/blockkit-approval-phone.png', fullPage: true });

    await page.setViewportSize({ width: 600, height: 900 });
    await render(deleteModal(request.target, 'Left <b>', 2, '{}').blocks);
    await page.fill('[data-block-id="confirm"] input', 'DELETE');
    expect(await viewState()).toEqual({
      values: {
        reason: { value: { type: 'plain_text_input', value: 'Left <b>' } },
        confirm: { value: { type: 'plain_text_input', value: 'DELETE' } },
        // The optional "Run at" picker, left empty: Slack sends it with a null time.
        run_at: { value: { type: 'datetimepicker', selected_date_time: null } },
      },
    });
    await page.screenshot({ path: '/tmp/blockkit-delete-modal.png', fullPage: true });
  });
});
