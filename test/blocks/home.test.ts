import type { AnyBlock, Button, SectionBlock } from '@slack/types';
import { describe, expect, it } from 'vitest';
import type { ApprovalRequest, BatchRequest, SingleRequest } from '../../src/approvals/types.js';
import {
  HOME_LIST_SHOWN,
  HOME_OPEN_ACTION,
  HOME_RECENT_SHOWN,
  type HomeContent,
  type HomeEntry,
  homeView,
} from '../../src/blocks/home.js';
import { MAX_VIEW_BLOCKS } from '../../src/blocks/limits.js';
import { blockKitProblems } from '../helpers/block-kit.js';
import { parsedTexts, visibleText, withoutOwnMarkup } from '../helpers/blocks-text.js';
import { sampleRequest } from '../helpers/sample-request.js';

const CREATED = Date.parse('2024-06-03T09:00:00Z');
const EXPIRES = Date.parse('2024-06-04T09:00:00Z');
const FINISHED = Date.parse('2024-06-03T10:00:00Z');
const token = (ms: number, utc: string) => `<!date^${ms / 1000}^{date_short_pretty} at {time}|${utc}>`;
const CREATED_TOKEN = token(CREATED, '2024-06-03 09:00 UTC');
const EXPIRES_TOKEN = token(EXPIRES, '2024-06-04 09:00 UTC');
const FINISHED_TOKEN = token(FINISHED, '2024-06-03 10:00 UTC');
const LINK = 'https://acme.slack.com/archives/C0APPROVALS/p1717405200000100';

const request = (overrides: Partial<SingleRequest> = {}) => sampleRequest(overrides);

function batch(overrides: Partial<BatchRequest> = {}): BatchRequest {
  const { target, ...rest } = request({ action: 'delete' });
  return {
    ...rest,
    batch: { targets: Array.from({ length: 47 }, () => target), excluded: [], duplicates: 0 },
    ...overrides,
  };
}

const entry = (req: ApprovalRequest, link: string | undefined): HomeEntry => ({ request: req, link });

const content = (overrides: Partial<HomeContent> = {}): HomeContent => ({
  awaiting: { entries: [], total: 0 },
  mine: { entries: [], total: 0 },
  recent: [],
  recentScope: 'all',
  ...overrides,
});

const sections = (blocks: readonly AnyBlock[]) =>
  blocks.filter((b): b is SectionBlock => b.type === 'section');
const buttons = (blocks: readonly AnyBlock[]) =>
  sections(blocks).flatMap((b) => (b.accessory?.type === 'button' ? [b.accessory as Button] : []));

const unsafeLeft = (texts: readonly string[]) => withoutOwnMarkup(texts);

describe('homeView', () => {
  it('reads well when there is nothing at all', () => {
    const view = homeView(content());
    expect(blockKitProblems('home', view)).toEqual([]);
    expect(visibleText(view.blocks)).toBe(
      [
        'cipher-user',
        'Cipherscale user changes, approved in the channel. Type `/cipher-user help` in any channel to see the commands.',
        'Waiting for your approval',
        'Nothing is waiting for your approval.',
        'Your open requests',
        'You have no open requests. `/cipher-user help` shows how to make one.',
        'Recent outcomes',
        'No finished requests yet.',
      ].join('\n'),
    );
  });

  it('has no approval section for someone who is not an approver, and says whose outcomes are shown', () => {
    const view = homeView(content({ awaiting: undefined, recentScope: 'mine' }));
    expect(blockKitProblems('home', view)).toEqual([]);
    const text = visibleText(view.blocks);
    expect(text).not.toContain('Waiting for your approval');
    expect(text).toContain('Recent outcomes\nRequests you made.\nNo finished requests yet.');
  });

  it('lists each open request with an Open button to its message, and the outcomes with who and when', () => {
    const awaiting = request({
      requesterId: 'U0OTHER',
      requiredApprovals: 2,
      approvals: [{ userId: 'UAPPROVER2', at: CREATED }],
    });
    const mine = [
      request({ action: 'edit', state: 'running' }),
      batch({ state: 'queued', id: 'rbbbbbbbbbbbbbbb' }),
    ];
    const recent: ApprovalRequest[] = [
      request({
        state: 'succeeded',
        approvals: [{ userId: 'UAPPROVER1', at: CREATED }],
        outcome: { ok: true, summary: 'Deactivated.', code: 'done', attempts: 1, at: FINISHED },
      }),
      batch({ state: 'rejected', decidedBy: 'UAPPROVER1', decidedAt: FINISHED }),
      request({
        action: 'edit',
        state: 'failed',
        outcome: {
          ok: false,
          summary: 'Cipherscale answered 400.',
          code: 'client_error',
          attempts: 2,
          at: FINISHED,
        },
      }),
      request({ state: 'expired' }),
    ];
    const view = homeView(
      content({
        awaiting: { entries: [entry(awaiting, LINK)], total: 1 },
        mine: {
          entries: [entry(mine[0] as ApprovalRequest, undefined), entry(mine[1] as ApprovalRequest, LINK)],
          total: 2,
        },
        recent,
      }),
    );
    expect(blockKitProblems('home', view)).toEqual([]);
    expect(buttons(view.blocks)).toEqual([
      {
        type: 'button',
        text: { type: 'plain_text', text: 'Open', emoji: true },
        url: LINK,
        action_id: HOME_OPEN_ACTION,
      },
      {
        type: 'button',
        text: { type: 'plain_text', text: 'Open', emoji: true },
        url: LINK,
        action_id: HOME_OPEN_ACTION,
      },
    ]);
    expect(visibleText(view.blocks).split('\n').slice(2)).toEqual([
      'Waiting for your approval (1)',
      ':no_entry: *Deactivate* Alice Martin',
      `1/2 approvals · by <@U0OTHER> · expires ${EXPIRES_TOKEN}`,
      '> Left the company',
      'Open',
      'Your open requests (2)',
      ':pencil2: *Edit* Alice Martin',
      `:gear: Running… · asked ${CREATED_TOKEN}`,
      ':wastebasket: *Delete* 47 users',
      `:white_check_mark: Approved — queued · asked ${CREATED_TOKEN}`,
      'Open',
      'Recent outcomes',
      ':white_check_mark: *Succeeded* · :no_entry: *Deactivate* Alice Martin',
      `asked by <@U0REQUESTER> · approved by <@UAPPROVER1> · ${FINISHED_TOKEN}`,
      '',
      ':no_entry_sign: *Rejected* · :wastebasket: *Delete* 47 users',
      `asked by <@U0REQUESTER> · rejected by <@UAPPROVER1> · ${FINISHED_TOKEN}`,
      '',
      ':x: *Failed* · :pencil2: *Edit* Alice Martin',
      `asked by <@U0REQUESTER> · ${FINISHED_TOKEN}`,
      'Cipherscale answered 400.',
      '',
      ':hourglass: *Expired* · :no_entry: *Deactivate* Alice Martin',
      `asked by <@U0REQUESTER> · ${EXPIRES_TOKEN}`,
    ]);
  });

  it('renders hostile names, reasons, ids and links harmless', () => {
    const hostile = '<!channel> <@U0BOSS> <https://evil.example|click> & <!subteam^S1>';
    const target = { ...request().target, firstName: hostile, lastName: '\u202Eevil\u0000' };
    const bad = request({
      target,
      reason: `${hostile}\n> quoted`,
      requesterId: '<!here>',
      decidedBy: '<!everyone>',
      approvals: [{ userId: '<@U0BOSS>', at: CREATED }],
      outcome: { ok: false, summary: hostile, code: 'client_error', attempts: 1, at: FINISHED },
    });
    const links = [
      'https://evil.example/|<!channel>',
      'javascript:alert(1)',
      'https://a.example/x y',
      undefined,
    ];
    const view = homeView(
      content({
        awaiting: { entries: links.map((link) => entry(bad, link)), total: links.length },
        mine: { entries: [entry(bad, `${LINK}"><b>`)], total: 1 },
        recent: (['failed', 'rejected', 'cancelled', 'stopped'] as const).map((state) => ({ ...bad, state })),
      }),
    );
    expect(blockKitProblems('home', view)).toEqual([]);
    expect(buttons(view.blocks)).toEqual([]);
    for (const text of unsafeLeft(parsedTexts(view))) expect(text).not.toMatch(/[<>]/);
    const shown = visibleText(view.blocks);
    expect(shown).toContain('&lt;!channel&gt; &lt;@U0BOSS&gt;');
    expect(shown).not.toContain('<@U0BOSS>');
    expect(shown).not.toContain('\u202E');
    expect(shown).not.toContain('\u0000');
  });

  it(`shows ${HOME_LIST_SHOWN} per list and the last ${HOME_RECENT_SHOWN} outcomes within Slack's limits`, () => {
    const huge = request({
      target: { ...request().target, firstName: '<!channel>'.repeat(1000), lastName: '&'.repeat(10_000) },
      reason: 'x'.repeat(10_000),
      requesterId: '<!here>'.repeat(100),
      state: 'failed',
      outcome: { ok: false, summary: '<'.repeat(10_000), code: 'client_error', attempts: 1, at: FINISHED },
    });
    const many = (n: number) => Array.from({ length: n }, () => entry(huge, `${LINK}?x=${'9'.repeat(2900)}`));
    const view = homeView(
      content({
        awaiting: { entries: many(60), total: 75 },
        mine: { entries: many(60), total: 60 },
        recent: Array.from({ length: 30 }, () => huge),
      }),
    );
    expect(blockKitProblems('home', view)).toEqual([]);
    expect(view.blocks.length).toBeLessThanOrEqual(MAX_VIEW_BLOCKS);
    expect(buttons(view.blocks)).toHaveLength(2 * HOME_LIST_SHOWN);
    const shown = visibleText(view.blocks);
    expect(shown).toContain('Waiting for your approval (75)');
    expect(shown).toContain('…and 55 more');
    expect(shown).toContain('…and 40 more');
    expect(shown.match(/\*Failed\*/g)).toHaveLength(HOME_RECENT_SHOWN);
    for (const text of parsedTexts(view)) expect(text.length).toBeLessThanOrEqual(3000);
    for (const text of unsafeLeft(parsedTexts(view))) expect(text).not.toMatch(/[<>]/);
  });
});
