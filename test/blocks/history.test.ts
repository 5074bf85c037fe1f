import { describe, expect, it } from 'vitest';
import type { ApprovalRequest } from '../../src/approvals/types.js';
import { type HistoryLine, userHistory } from '../../src/blocks/history.js';
import { builtPermalink } from '../../src/slack/outbound/permalink.js';
import { blockKitProblems } from '../helpers/block-kit.js';
import { parsedTexts, visibleText, withoutOwnMarkup } from '../helpers/blocks-text.js';
import { sampleRequest } from '../helpers/sample-request.js';

const USER = '59ed689c-e8b4-4e22-8088-9e36e05f76d0';
const LINK = 'https://acme.slack.com/archives/C0APPROVALS/p1717405200000100';
const HOSTILE = `<!channel> <@U0BOSS> *bold* _it_ ~s~ \`code\` <https://evil|x> ${'&<>'.repeat(1000)}`;

const line = (request: ApprovalRequest, link: string | undefined): HistoryLine => ({
  request,
  item: undefined,
  link,
});

/** The worst an entry can be: every text at its longest and most hostile, twenty approvers. */
function worst(i: number): HistoryLine {
  const approvals = Array.from({ length: 20 }, (_, n) => ({ userId: `UAPPROVER${n}`, at: 1 }));
  return {
    request: {
      ...sampleRequest({ id: `r${String(i).padStart(15, 'a')}`.slice(0, 16) }),
      action: 'edit',
      changes: { firstName: HOSTILE, lastName: HOSTILE, image: `https://x.example/${'a'.repeat(2000)}` },
      reason: HOSTILE,
      state: 'rejected',
      approvals,
      requiredApprovals: 25,
      decidedBy: 'UAPPROVER1',
      decisionReason: HOSTILE,
      outcome: { ok: false, summary: HOSTILE, code: 'client_error', attempts: 1, at: 2 },
    },
    item: undefined,
    link: `${LINK}${i}`,
  };
}

describe('userHistory', () => {
  it('50 entries at their longest fit one message: at most 50 blocks, every section within limits', () => {
    const message = userHistory(
      USER,
      Array.from({ length: 50 }, (_, i) => worst(i)),
      { retentionDays: 30 },
    );
    expect(message.blocks.length).toBeLessThanOrEqual(50);
    expect(blockKitProblems('message', message.blocks)).toEqual([]);
    const text = visibleText(message.blocks);
    expect(text.match(/Open the thread/g)).toHaveLength(50);
    expect(text).toContain('+10 more');
  });

  it('escapes and cuts every user or API text, leaving formatting characters inert', () => {
    const message = userHistory(USER, [worst(1)], { retentionDays: 30 });
    const left = withoutOwnMarkup(parsedTexts(message), {
      also: [/<https:\/\/acme\.slack\.com\/archives\/C0APPROVALS\/p\d+\|Open the thread>/g],
    });
    for (const text of left) expect(text).not.toMatch(/[<>]/);
    // Outside inline code nothing of the hostile text is left to style, ping or link.
    const outside = left.join('\n').replace(/`[^`]*`/g, '');
    expect(outside).not.toMatch(/\*bold\*|_it_|~s~|evil/);
    const entry = visibleText(message.blocks).split('\n');
    for (const prefix of ['Reason: ', 'Outcome: rejected by']) {
      const shown = entry.find((l) => l.startsWith(prefix)) ?? '';
      expect(shown.length).toBeLessThan(260);
      expect(shown).toContain('…`');
    }
  });

  it('a single request shows its own outcome; a batch this user’s own, or says it has none', () => {
    const done = sampleRequest({
      state: 'succeeded',
      outcome: { ok: true, summary: 'Deactivated.', code: 'done', attempts: 1, at: 5 },
    });
    const batch: ApprovalRequest = {
      ...sampleRequest({ state: 'failed' }),
      target: undefined,
      batch: {
        targets: [
          { id: USER, status: 'active', isOwner: false },
          { id: 'other', status: 'active', isOwner: false },
        ],
        excluded: [],
        duplicates: 0,
      },
      outcome: { ok: false, summary: '1 of 2 failed.', code: 'some_failed', attempts: 1, at: 5, failed: 1 },
    } as ApprovalRequest;
    const text = visibleText(
      userHistory(
        USER,
        [
          line(done, LINK),
          { ...line(batch, LINK), item: { ok: true, summary: 'Deleted.', code: 'done', attempts: 1, at: 5 } },
          line(batch, LINK),
        ],
        { retentionDays: 30 },
      ).blocks,
    );
    expect(text).toContain('Outcome: :white_check_mark: `Deactivated.`');
    expect(text).toContain('*Deactivate* (bulk of 2)');
    expect(text).toContain('Outcome: for this user: :white_check_mark: `Deleted.`');
    expect(text).toContain('Outcome: no result recorded for this user · batch: `1 of 2 failed.`');
  });

  it('open requests say where they stand, a scheduled one when it runs', () => {
    const pending = sampleRequest({
      state: 'pending',
      requiredApprovals: 2,
      approvals: [{ userId: 'UA', at: 1 }],
    });
    const scheduled = sampleRequest({ state: 'approved', runAt: Date.parse('2026-12-04T17:00:00Z') });
    const text = visibleText(
      userHistory(USER, [line(pending, LINK), line(scheduled, LINK)], { retentionDays: 30 }).blocks,
    );
    expect(text).toMatch(/awaiting approval \(1\/2\), expires <!date\^/);
    expect(text).toContain(`approved, runs <!date^${Date.parse('2026-12-04T17:00:00Z') / 1000}^`);
  });

  it('without a usable link it names the channel, never a link it cannot vouch for', () => {
    const request = sampleRequest();
    for (const link of [
      undefined,
      'http://acme.slack.com/x',
      'https://a|b',
      'https://a b',
      `https://${'a'.repeat(2000)}`,
    ]) {
      const text = visibleText(userHistory(USER, [line(request, link)], { retentionDays: 30 }).blocks);
      expect(text).toContain('In <#C0APPROVALS>');
      expect(text).not.toContain('Open the thread');
    }
    const unposted = sampleRequest({ messageTs: undefined, channelId: 'not a channel' });
    const text = visibleText(userHistory(USER, [line(unposted, undefined)], { retentionDays: 30 }).blocks);
    expect(text).toContain('In `not a channel` (message not posted)');
  });

  it('nothing found says so and names the retention setting', () => {
    const message = userHistory(USER, [], { retentionDays: 7 });
    expect(visibleText(message.blocks)).toContain(`No requests about \`${USER}\` in the last 7 days.`);
    expect(visibleText(message.blocks)).toContain('RETENTION_DAYS');
    expect(blockKitProblems('message', message.blocks)).toEqual([]);
  });
});

describe('builtPermalink', () => {
  it('builds what chat.getPermalink answers, from the team url', () => {
    expect(builtPermalink('https://acme.slack.com/', 'C0APPROVALS', '1717405200.000100')).toBe(LINK);
    expect(builtPermalink('https://acme.slack.com', 'C0APPROVALS', '1717405200.000100')).toBe(LINK);
  });

  it('gives nothing for an unknown or odd part', () => {
    for (const [url, channel, ts] of [
      [undefined, 'C0APPROVALS', '1717405200.000100'],
      ['https://acme.slack.com/', 'C0APPROVALS', undefined],
      ['http://acme.slack.com/', 'C0APPROVALS', '1717405200.000100'],
      ['javascript:alert(1)', 'C0APPROVALS', '1717405200.000100'],
      ['not a url', 'C0APPROVALS', '1717405200.000100'],
      ['https://acme.slack.com/?q=1', 'C0APPROVALS', '1717405200.000100'],
      ['https://acme.slack.com/', '<#C1|x>', '1717405200.000100'],
      ['https://acme.slack.com/', 'C0APPROVALS', '1717405200'],
      ['https://acme.slack.com/', 'C0APPROVALS', '../../x'],
    ] as const) {
      expect(builtPermalink(url, channel, ts)).toBeUndefined();
    }
  });
});
