import type { Button, ConfirmationDialog, SectionBlock } from '@slack/types';
import { describe, expect, it } from 'vitest';
import type {
  Batch,
  BatchRequest,
  ItemOutcome,
  RequestState,
  TargetSnapshot,
} from '../../src/approvals/types.js';
import {
  BATCH_NAMES_SHOWN,
  batchButtons,
  batchReport,
  batchSummary,
  batchTargetsText,
  countResults,
  countsLine,
  excludedText,
  progressBar,
} from '../../src/blocks/batch.js';
import { ACTION_IDS } from '../../src/blocks/ids.js';
import type { BlockMessage } from '../../src/blocks/mrkdwn.js';
import { blockKitProblems } from '../helpers/block-kit.js';
import { parsedTexts, visibleText, withoutOwnMarkup } from '../helpers/blocks-text.js';

const REQUEST_ID = 'b1b2c3d4-0000-4000-8000-000000000001';
const AT = Date.parse('2024-06-03T09:00:00Z');
const uuid = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;

function target(i: number, overrides: Partial<TargetSnapshot> = {}): TargetSnapshot {
  return {
    id: uuid(i),
    firstName: `First${i}`,
    lastName: `Last${i}`,
    email: `user${i}@example.com`,
    status: 'active',
    isOwner: false,
    ...overrides,
  };
}

function request(targets: TargetSnapshot[], overrides: Partial<BatchRequest> = {}): BatchRequest {
  return {
    id: REQUEST_ID,
    action: 'deactivate',
    batch: { targets, excluded: [], duplicates: 0 },
    reason: 'Offboarding',
    requesterId: 'U0REQUESTER',
    channelId: 'C0APPROVALS',
    requiredApprovals: 1,
    approvals: [{ userId: 'U0APPROVER1', at: AT }],
    state: 'running',
    createdAt: AT,
    expiresAt: AT + 86_400_000,
    attempts: 1,
    version: 3,
    ...overrides,
  };
}

const outcome = (code: ItemOutcome['code'], summary = ''): ItemOutcome => ({
  ok: code === 'done' || code === 'noop',
  code,
  summary,
  attempts: 1,
  at: AT,
});

/** Slack accepts it and every section text fits. */
function valid(message: BlockMessage): BlockMessage {
  expect(blockKitProblems('message', message.blocks)).toEqual([]);
  expect(message.blocks.length).toBeLessThanOrEqual(50);
  for (const block of message.blocks) {
    if (block.type === 'section') expect((block as SectionBlock).text?.text.length).toBeLessThanOrEqual(3000);
  }
  return message;
}

const unsafeLeft = (texts: readonly string[]) => withoutOwnMarkup(texts, { quotes: false });

const HOSTILE = '<!channel> <@U123> <https://evil|ok> \u202Eevil\u202C \u200B🔥&'.repeat(250);

describe('countResults and countsLine', () => {
  const targets = Array.from({ length: 8 }, (_, i) => target(i));
  const results = new Map<string, ItemOutcome>([
    [uuid(0), outcome('done')],
    [uuid(1), outcome('done')],
    [uuid(2), outcome('noop')],
    [uuid(3), outcome('rate_limited', 'Gave up')],
    [uuid(4), outcome('not_run')],
    [uuid(99), outcome('done')],
  ]);

  it('counts each kind of result of the batch’s own users only', () => {
    expect(countResults({ targets, excluded: [], duplicates: 0 }, results)).toEqual({
      total: 8,
      done: 2,
      noop: 1,
      failed: 1,
      notRun: 1,
      finished: 5,
    });
  });

  it('counts users in the wanted state as done, and shows noop and not run only when any', () => {
    const counts = countResults({ targets, excluded: [], duplicates: 0 }, results);
    expect(countsLine('deactivate', counts)).toBe('3/8 done · 1 failed · 1 already inactive · 1 not run');
    expect(countsLine('delete', counts)).toBe('3/8 done · 1 failed · 1 already gone · 1 not run');
    expect(countsLine('delete', { ...counts, noop: 0, notRun: 0, failed: 0 })).toBe('2/8 done · 0 failed');
  });
});

describe('progressBar', () => {
  it('fills floored cells and percent, full only at 1', () => {
    expect(progressBar(0)).toBe('▱▱▱▱▱▱▱▱▱▱ 0%');
    expect(progressBar(0.5)).toBe('▰▰▰▰▰▱▱▱▱▱ 50%');
    expect(progressBar(0.999)).toBe('▰▰▰▰▰▰▰▰▰▱ 99%');
    expect(progressBar(1)).toBe('▰▰▰▰▰▰▰▰▰▰ 100%');
    expect(progressBar(7)).toBe('▰▰▰▰▰▰▰▰▰▰ 100%');
    expect(progressBar(-1)).toBe('▱▱▱▱▱▱▱▱▱▱ 0%');
    expect(progressBar(Number.NaN, 4)).toBe('▱▱▱▱ 0%');
  });
});

describe('batchTargetsText and excludedText', () => {
  it('names the first users and counts the rest', () => {
    const text = batchTargetsText({ targets: Array.from({ length: 47 }, (_, i) => target(i)) });
    const lines = text.split('\n');
    expect(lines[0]).toBe('*47 users*');
    expect(lines[1]).toBe(`• *First0 Last0* · user0@example.com · \`${uuid(0)}\``);
    expect(lines).toHaveLength(BATCH_NAMES_SHOWN + 2);
    expect(lines.at(-1)).toBe('…and 37 more');
    expect(batchTargetsText({ targets: [target(1, { firstName: '', lastName: '' })] })).toBe(
      `*1 user*\n• *user1@example.com* · \`${uuid(1)}\``,
    );
  });

  it('lists what was left out and why, and the duplicates', () => {
    const batch: Pick<Batch, 'excluded' | 'duplicates'> = {
      excluded: [
        { id: 'not-a-uuid<!here>', code: 'malformed', reason: 'not a user id' },
        { id: uuid(7), code: 'owner', reason: 'the tenant owner', name: 'Olga Owner' },
      ],
      duplicates: 3,
    };
    expect(excludedText(batch)).toBe(
      '*Left out (2)*\n• `not-a-uuid&lt;!here&gt;` — not a user id\n' +
        `• \`${uuid(7)}\` Olga Owner — the tenant owner\n• 3 duplicate ids folded into one`,
    );
    expect(excludedText({ excluded: [], duplicates: 1 })).toBe(
      '*Left out (0)*\n• 1 duplicate id folded into one',
    );
    expect(excludedText({ excluded: [], duplicates: 0 })).toBeUndefined();
  });

  it('shows 15 left out at most and keeps hostile text inert and within a section', () => {
    const text = excludedText({
      excluded: Array.from({ length: 40 }, () => ({
        id: HOSTILE,
        code: 'malformed',
        reason: HOSTILE,
        name: HOSTILE,
      })),
      duplicates: 12,
    });
    expect(text?.length).toBeLessThanOrEqual(3000);
    expect(text).toMatch(/…and \d+ more\n• 12 duplicate ids folded into one$/);
    expect(unsafeLeft([text ?? ''])[0]).not.toMatch(/[<>\u202E\u202C]/);
    const shown = excludedText({
      excluded: Array.from({ length: 40 }, (_, i) => ({ id: uuid(i), code: 'inactive', reason: 'inactive' })),
      duplicates: 0,
    });
    expect(shown?.split('\n').slice(1, -1)).toHaveLength(15);
    expect(shown?.split('\n').at(-1)).toBe('…and 25 more');
  });
});

describe('batchSummary', () => {
  const targets = Array.from({ length: 500 }, (_, i) => target(i));
  const mixed = new Map<string, ItemOutcome>();
  for (let i = 0; i < 412; i += 1) mixed.set(uuid(i), outcome(i < 5 ? 'noop' : 'done'));
  mixed.set(uuid(412), outcome('rate_limited', 'Cipherscale kept answering 429.'));

  it('shows progress while running', () => {
    const message = valid(batchSummary(request(targets), mixed));
    expect(visibleText(message.blocks)).toBe(
      ':gear: *Deactivating 500 users*\n412/500 done · 1 failed · 5 already inactive\n▰▰▰▰▰▰▰▰▱▱ 82%',
    );
    expect(message.text).toBe('Deactivating 500 users: 412/500 done · 1 failed · 5 already inactive');
  });

  it('once finished, lists the failures and points to the report', () => {
    const done = new Map(targets.map((t) => [t.id, outcome('done')]));
    done.set(uuid(3), outcome('credentials_refused', 'Cipherscale answered 403.'));
    const message = valid(batchSummary(request(targets, { action: 'delete', state: 'failed' }), done));
    expect(visibleText(message.blocks)).toBe(
      ':warning: *Finished with failures*\n499/500 done · 1 failed\n▰▰▰▰▰▰▰▰▰▰ 100%\n' +
        `*Failed (1)*\n• \`${uuid(3)}\` First3 Last3 — Cipherscale answered 403.\n` +
        'Every user’s result is listed in the replies below.',
    );
    done.delete(uuid(3));
    done.set(uuid(3), outcome('done'));
    const clean = valid(batchSummary(request(targets, { state: 'succeeded' }), done));
    expect(visibleText(clean.blocks)).toContain(':white_check_mark: *Finished*\n500/500 done · 0 failed');
    expect(visibleText(clean.blocks)).not.toContain('*Failed');
  });

  it('tells who stopped it, when, and how many ran', () => {
    const results = new Map<string, ItemOutcome>();
    for (let i = 0; i < 210; i += 1) results.set(uuid(i), outcome('done'));
    results.set(uuid(210), outcome('client_error', 'invalid user'));
    results.set(uuid(211), outcome('client_error', 'invalid user'));
    for (let i = 212; i < 300; i += 1) results.set(uuid(i), outcome('not_run'));
    const stoppedAt = Date.parse('2024-06-03T10:00:00Z');
    const message = valid(
      batchSummary(
        request(targets, { state: 'stopped', decidedBy: 'U0APPROVER1', decidedAt: stoppedAt }),
        results,
      ),
    );
    const shown = visibleText(message.blocks);
    expect(shown).toContain(
      `:octagonal_sign: *Stopped by <@U0APPROVER1>* · <!date^${stoppedAt / 1000}^{date_short_pretty} at {time}|2024-06-03 10:00 UTC>\n` +
        '212 of 500 ran: 210 done · 2 failed · 288 not run',
    );
    expect(shown).toContain(`*Failed (2)*\n• \`${uuid(210)}\` First210 Last210 — invalid user`);
    expect(message.text).toBe(
      'Deactivating 500 users — stopped: 212 of 500 ran: 210 done · 2 failed · 288 not run',
    );
  });

  it('never lets 500 hostile failures ping or link, and stays within Slack’s limits', () => {
    const hostile = targets.map((t) => ({ ...t, firstName: HOSTILE, lastName: HOSTILE, email: HOSTILE }));
    const results = new Map(hostile.map((t) => [t.id, outcome('client_error', HOSTILE)]));
    for (const state of ['running', 'failed', 'stopped'] as const) {
      const message = valid(batchSummary(request(hostile, { state, decidedBy: '<!channel>' }), results));
      expect(message.text.length).toBeLessThan(300);
      const texts = parsedTexts(message);
      for (const text of unsafeLeft(texts)) expect(text).not.toMatch(/[<>\u202E\u202C]/);
      if (state !== 'running') expect(texts.join('\n')).toContain('&lt;!channel&gt;');
    }
  });
});

describe('batchReport', () => {
  it('lists every user once, grouped failed, not run, already so, done', () => {
    const targets = Array.from({ length: 6 }, (_, i) => target(i));
    const results = new Map<string, ItemOutcome>([
      [uuid(0), outcome('done')],
      [uuid(1), outcome('noop')],
      [uuid(2), outcome('gone', 'The user no longer exists in Cipherscale.')],
      [uuid(3), outcome('not_run')],
    ]);
    const replies = batchReport(request(targets, { action: 'delete', state: 'stopped' }), results);
    expect(replies).toHaveLength(1);
    const [reply] = replies;
    if (!reply) throw new Error('no reply');
    valid(reply);
    expect(reply.text).toBe('Results 1/1');
    expect(visibleText(reply.blocks)).toBe(
      '*Results 1/1* — Delete 6 users\n' +
        `*Failed (1)*\n• \`${uuid(2)}\` First2 Last2 — The user no longer exists in Cipherscale.\n` +
        `*Not run (3)*\n• \`${uuid(3)}\` First3 Last3\n• \`${uuid(4)}\` First4 Last4\n• \`${uuid(5)}\` First5 Last5\n` +
        `*Already gone (1)*\n• \`${uuid(1)}\` First1 Last1\n` +
        `*Deleted (1)*\n• \`${uuid(0)}\` First0 Last0`,
    );
    expect(batchReport(request([]), new Map())).toEqual([]);
  });

  it('lists each of 500 hostile failures exactly once, in readable replies within Slack’s limits', () => {
    const targets = Array.from({ length: 500 }, (_, i) => target(i, { firstName: HOSTILE, lastName: '' }));
    const results = new Map(targets.map((t) => [t.id, outcome('client_error', HOSTILE)]));
    const replies = batchReport(request(targets, { state: 'failed' }), results);
    expect(replies.length).toBeGreaterThan(1);
    replies.forEach((reply, i) => {
      valid(reply);
      expect(reply.text).toBe(`Results ${i + 1}/${replies.length}`);
      expect(visibleText(reply.blocks)).toMatch(
        new RegExp(`^\\*Results ${i + 1}/${replies.length}\\* — Deactivate 500 users`),
      );
      expect(JSON.stringify(reply.blocks).length).toBeLessThan(40_000);
      for (const text of unsafeLeft(parsedTexts(reply))) expect(text).not.toMatch(/[<>\u202E\u202C]/);
    });
    const all = replies.map((reply) => visibleText(reply.blocks)).join('\n');
    for (const t of targets) expect(all.split(`\`${t.id}\``)).toHaveLength(2);
  });
});

describe('batchButtons', () => {
  const targets = [target(1)];

  it.each(['approved', 'queued', 'running'] as const)(
    'offers Stop while %s, behind a confirmation',
    (state) => {
      const actions = batchButtons(request(targets, { state, action: 'delete' }), 0);
      expect(actions && blockKitProblems('message', [actions])).toEqual([]);
      const [stop] = (actions?.elements ?? []) as Button[];
      expect([stop?.text.text, stop?.action_id, stop?.value, stop?.style]).toEqual([
        'Stop',
        ACTION_IDS.batchStop,
        REQUEST_ID,
        'danger',
      ]);
      const confirm = stop?.confirm as ConfirmationDialog;
      expect([confirm.title?.text, confirm.text.text, confirm.confirm?.text, confirm.deny?.text]).toEqual([
        'Stop this batch?',
        'Users not started yet will not be deleted. Users already done stay done.',
        'Stop',
        'Back',
      ]);
    },
  );

  it.each(['succeeded', 'failed', 'stopped'] as const)('offers a retry of the failures once %s', (state) => {
    const actions = batchButtons(request(targets, { state }), 3);
    expect(actions && blockKitProblems('message', [actions])).toEqual([]);
    const [retry] = (actions?.elements ?? []) as Button[];
    expect([retry?.text.text, retry?.action_id, retry?.value]).toEqual([
      'Retry failed (3)',
      ACTION_IDS.batchRetry,
      REQUEST_ID,
    ]);
    expect(batchButtons(request(targets, { state }), 0)).toBeUndefined();
  });

  it.each(['pending', 'rejected', 'cancelled', 'expired'] as RequestState[])(
    'offers nothing when %s',
    (state) => {
      expect(batchButtons(request(targets, { state }), 2)).toBeUndefined();
    },
  );
});
