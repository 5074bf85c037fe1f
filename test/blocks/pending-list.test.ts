import { describe, expect, it } from 'vitest';
import type { SingleRequest } from '../../src/approvals/types.js';
import { type PendingEntry, pendingList } from '../../src/blocks/pending-list.js';
import { blockKitProblems } from '../helpers/block-kit.js';
import { parsedTexts, visibleText } from '../helpers/blocks-text.js';
import { sampleRequest } from '../helpers/sample-request.js';

const EXPIRES = Date.parse('2024-06-04T09:00:00Z');
const EXPIRES_TOKEN = '<!date^1717491600^{date_short_pretty} at {time}|2024-06-04 09:00 UTC>';
const LINK = 'https://acme.slack.com/archives/C0APPROVALS/p1717405200000100';

const request = (overrides: Partial<SingleRequest> = {}) =>
  sampleRequest({ id: 'a1b2c3d4-0000-4000-8000-000000000001', ...overrides });

const entry = (overrides: Partial<PendingEntry> = {}): PendingEntry => ({
  request: request(),
  link: LINK,
  role: 'approver',
  ...overrides,
});

describe('pendingList', () => {
  it('says so when there is nothing open', () => {
    const message = pendingList([], 0);
    expect(blockKitProblems('message', message.blocks)).toEqual([]);
    expect(message.text).toBe('No open requests.');
    expect(visibleText(message.blocks)).toBe('No open requests.');
  });

  it('lists what awaits the caller’s approval first, then what they asked for, one line each', () => {
    const bob = {
      ...request().target,
      id: '0c5b7a8e-1111-4222-8333-444455556666',
      firstName: 'Bob',
      lastName: 'Stone',
    };
    const message = pendingList(
      [
        entry({
          role: 'requester',
          request: request({ action: 'delete', target: bob, requiredApprovals: 2 }),
        }),
        entry({
          request: request({ requesterId: 'U0OTHER', approvals: [{ userId: 'U0APPROVER', at: EXPIRES }] }),
        }),
        entry({ role: 'both', link: undefined, request: request({ action: 'edit', state: 'queued' }) }),
      ],
      3,
    );
    expect(blockKitProblems('message', message.blocks)).toEqual([]);
    expect(message.text).toBe('3 open requests');
    expect(visibleText(message.blocks)).toBe(
      [
        '*Open requests: 3*',
        ':raised_hand: *Awaiting your approval*\n' +
          `:no_entry: *Deactivate* Alice Martin · 1/1 approvals · by <@U0OTHER> · expires ${EXPIRES_TOKEN} · <${LINK}|Open>`,
        ':outbox_tray: *You asked*\n' +
          `:wastebasket: *Delete* Bob Stone · 0/2 approvals · expires ${EXPIRES_TOKEN} · <${LINK}|Open>\n` +
          ':pencil2: *Edit* Alice Martin · approved, queued',
      ].join('\n'),
    );
  });

  it('keeps permalinks from breaking out of their link', () => {
    const links = [
      'https://acme.slack.com/archives/C1/p1?thread_ts=1.2&cid=C1',
      'https://evil.example|<!channel>',
      'javascript:alert(1)',
      ' ',
    ];
    const message = pendingList(
      links.map((link) => entry({ link })),
      links.length,
    );
    expect(blockKitProblems('message', message.blocks)).toEqual([]);
    const shown = visibleText(message.blocks);
    expect(shown).toContain('<https://acme.slack.com/archives/C1/p1?thread_ts=1.2&amp;cid=C1|Open>');
    expect(shown).toContain('<https://evil.example!channel|Open>');
    expect(shown).not.toContain('javascript');
    expect(shown.match(/\|Open>/g)).toHaveLength(2);
    for (const text of parsedTexts(message)) expect(text).not.toContain('<!channel>');
  });

  it('shows about twenty and counts the rest, within Slack’s limits, even with 10 000-character names', () => {
    const hostile = request({
      target: { ...request().target, firstName: '<!channel>'.repeat(1000), lastName: '&'.repeat(10_000) },
      requesterId: '<!here>'.repeat(100),
    });
    const entries = Array.from({ length: 60 }, (_, i) =>
      entry({ request: hostile, role: i % 2 ? 'approver' : 'requester', link: `${LINK}${'9'.repeat(900)}` }),
    );
    const message = pendingList(entries, 75);
    expect(blockKitProblems('message', message.blocks)).toEqual([]);
    expect(message.blocks.length).toBeLessThanOrEqual(50);
    expect(message.text).toBe('75 open requests');
    const shown = visibleText(message.blocks);
    expect(shown.match(/\|Open>/g)).toHaveLength(20);
    expect(shown).toContain('…and 55 more');
    for (const text of parsedTexts(message)) {
      expect(text.length).toBeLessThanOrEqual(3000);
      expect(text).not.toMatch(/<!(channel|here)>/);
    }
    expect(shown).toContain('&lt;!channel&gt;');
  });
});
