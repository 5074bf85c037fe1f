import { describe, expect, it } from 'vitest';
import { MAX_SCHEDULE_AHEAD_MS, SCHEDULE_GRACE_MS } from '../../src/approvals/schedule.js';
import type { SingleRequest } from '../../src/approvals/types.js';
import { approvalMessage, threadNote } from '../../src/blocks/approval-card.js';
import { homeView } from '../../src/blocks/home.js';
import { ACTION_IDS } from '../../src/blocks/ids.js';
import { validateRunAt } from '../../src/blocks/modal-input.js';
import { pendingList } from '../../src/blocks/pending-list.js';
import { parseCommand, readLocalTime } from '../../src/slack/listeners/commands/parse.js';
import { zonedTime } from '../../src/slack/listeners/requests/run-at.js';
import { blockKitProblems } from '../helpers/block-kit.js';
import { visibleText } from '../helpers/blocks-text.js';
import { sampleRequest } from '../helpers/sample-request.js';

const NOW = Date.parse('2026-12-03T10:00:00Z');
const RUN_AT = Date.parse('2026-12-04T16:00:00Z');
const ID = '59ed689c-e8b4-4e22-8088-9e36e05f76d0';
const local = (text: string) => {
  const parsed = readLocalTime(text);
  if (!parsed) throw new Error(`not a local time: ${text}`);
  return parsed;
};

describe('validateRunAt (the modal)', () => {
  const at = (ms: number) => validateRunAt(ms / 1000, NOW);
  it('leaves an empty picker to run once approved', () => {
    expect(validateRunAt(null, NOW)).toEqual({ ok: true, runAt: undefined });
    expect(validateRunAt(undefined, NOW)).toEqual({ ok: true, runAt: undefined });
  });
  it('takes "now" within the grace, refuses the past beyond it', () => {
    expect(at(NOW - SCHEDULE_GRACE_MS)).toEqual({ ok: true, runAt: NOW - SCHEDULE_GRACE_MS });
    expect(at(NOW - SCHEDULE_GRACE_MS - 1000)).toEqual({ ok: false, error: 'That time has passed.' });
  });
  it('takes exactly 90 days ahead, refuses a second more, saying until when', () => {
    expect(at(NOW + MAX_SCHEDULE_AHEAD_MS)).toEqual({ ok: true, runAt: NOW + MAX_SCHEDULE_AHEAD_MS });
    expect(at(NOW + MAX_SCHEDULE_AHEAD_MS + 1000)).toEqual({
      ok: false,
      error: 'At most 90 days ahead (until 2027-03-03 10:00 UTC).',
    });
  });
  it('refuses what is not a time', () => {
    expect(validateRunAt(Number.POSITIVE_INFINITY, NOW).ok).toBe(false);
    expect(validateRunAt(1e20, NOW).ok).toBe(false);
  });
});

describe('--at', () => {
  it('is read from the command, before the reason', () => {
    expect(parseCommand(`deactivate ${ID} --at 2026-12-04T17:00 -- last day --at noon`)).toEqual({
      kind: 'request',
      action: 'deactivate',
      userId: ID,
      reason: 'last day --at noon',
      at: local('2026-12-04T17:00'),
    });
    expect(parseCommand(`delete --at=2026-12-04T17:00 ${ID}`)).toMatchObject({
      kind: 'request',
      at: local('2026-12-04T17:00'),
    });
    expect(parseCommand(`deactivate ${ID} ${ID.replace('59', '69')} —at 2026-12-04T17:00`)).toMatchObject({
      kind: 'bulk',
      userIds: [ID, ID.replace('59', '69')],
      at: local('2026-12-04T17:00'),
    });
  });
  it.each([
    'tomorrow',
    '2026-12-04',
    '2026-13-01T10:00',
    '2026-02-29T10:00',
    '2026-12-04T24:00',
    '2026-12-04T17:60',
    '',
  ])('refuses %j', (given) => {
    expect(parseCommand(`deactivate ${ID} --at ${given}`)).toMatchObject({
      kind: 'usage',
      problem: 'bad_at',
    });
  });
  it('is not for an edit', () => {
    expect(parseCommand(`edit ${ID} --at 2026-12-04T17:00`)).toMatchObject({
      kind: 'usage',
      problem: 'at_not_for_edit',
    });
  });
});

describe('zonedTime', () => {
  it('reads a wall-clock time in a time zone', () => {
    expect(zonedTime(local('2026-12-04T17:00'), 'Europe/Berlin')).toEqual({ kind: 'exact', ms: RUN_AT });
    expect(zonedTime(local('2026-12-04T17:00'), 'America/New_York')).toEqual({
      kind: 'exact',
      ms: Date.parse('2026-12-04T22:00:00Z'),
    });
    expect(zonedTime(local('2026-12-04T17:00'), 'Asia/Kolkata')).toEqual({
      kind: 'exact',
      ms: Date.parse('2026-12-04T11:30:00Z'),
    });
    expect(zonedTime(local('2026-12-04T17:00'), 'UTC')).toEqual({
      kind: 'exact',
      ms: Date.parse('2026-12-04T17:00:00Z'),
    });
  });
  it('finds no instant in a spring-forward gap, two in a fall-back hour', () => {
    expect(zonedTime(local('2027-03-28T02:30'), 'Europe/Berlin')).toEqual({ kind: 'gap' });
    expect(zonedTime(local('2027-03-14T02:30'), 'America/New_York')).toEqual({ kind: 'gap' });
    expect(zonedTime(local('2027-10-31T02:30'), 'Europe/Berlin')).toEqual({
      kind: 'ambiguous',
      earlier: Date.parse('2027-10-31T00:30:00Z'),
      later: Date.parse('2027-10-31T01:30:00Z'),
    });
    // Right next to the change: exact.
    expect(zonedTime(local('2027-03-28T03:00'), 'Europe/Berlin')).toEqual({
      kind: 'exact',
      ms: Date.parse('2027-03-28T01:00:00Z'),
    });
  });
});

describe('the card of a scheduled change', () => {
  const scheduled = (overrides: Partial<SingleRequest> = {}) =>
    sampleRequest({ runAt: RUN_AT, ...overrides });
  const token = `<!date^${RUN_AT / 1000}^`;

  it('pending: when it runs once approved, with the approval buttons', () => {
    const message = approvalMessage(scheduled());
    expect(blockKitProblems('message', message.blocks)).toEqual([]);
    expect(visibleText(message.blocks)).toMatch(/Runs at .* once approved/);
    expect(JSON.stringify(message.blocks)).toContain(
      `${token}{date_short_pretty} {time}|2026-12-04 16:00 UTC>`,
    );
    expect(JSON.stringify(message.blocks)).toContain(ACTION_IDS.approve);
  });

  it('approved and waiting: the countdown state and only Cancel, with a confirm', () => {
    const message = approvalMessage(
      scheduled({ state: 'approved', approvals: [{ userId: 'UAPPROVER1', at: NOW }] }),
    );
    expect(blockKitProblems('message', message.blocks)).toEqual([]);
    expect(JSON.stringify(message.blocks)).toContain(
      `Approved — runs ${token}{date_short} at {time}|2026-12-04 16:00 UTC>`,
    );
    const buttons = message.blocks.flatMap((b) =>
      'elements' in b && b.type === 'actions' ? b.elements : [],
    );
    expect(buttons).toEqual([
      expect.objectContaining({
        action_id: ACTION_IDS.cancel,
        value: sampleRequest().id,
        confirm: expect.any(Object),
      }),
    ]);
  });

  it('queued or finished: says when it was scheduled for; cancelled: no button', () => {
    for (const state of ['queued', 'succeeded', 'cancelled'] as const) {
      const message = approvalMessage(scheduled({ state, decidedBy: 'UAPPROVER2', decidedAt: NOW }));
      expect(visibleText(message.blocks)).toContain('Scheduled for');
      expect(JSON.stringify(message.blocks)).not.toContain(ACTION_IDS.cancel);
    }
  });

  it('the wait note names the approver and the time', () => {
    const note = threadNote(
      scheduled({ state: 'approved', approvals: [{ userId: 'UAPPROVER1', at: NOW }] }),
      { kind: 'scheduled', by: 'UAPPROVER1' },
    );
    expect(JSON.stringify(note.blocks)).toContain(`Approved by <@UAPPROVER1> (1/1); runs ${token}`);
  });
});

describe('the lists', () => {
  const waiting = sampleRequest({
    runAt: RUN_AT,
    state: 'approved',
    approvals: [{ userId: 'UAPPROVER1', at: NOW }],
  });
  const token = `<!date^${RUN_AT / 1000}^{date_short_pretty} {time}|2026-12-04 16:00 UTC>`;

  it('/cipher-user pending says when a waiting change runs', () => {
    const message = pendingList([{ request: waiting, link: undefined, role: 'requester' }], 1);
    expect(JSON.stringify(message.blocks)).toContain(`approved, runs ${token}`);
  });

  it('the App Home says when a waiting change runs', () => {
    const view = homeView({
      awaiting: { entries: [], total: 0 },
      mine: { entries: [{ request: waiting, link: undefined }], total: 1 },
      recent: [],
      recentScope: 'mine',
    });
    expect(JSON.stringify(view.blocks)).toContain(`Approved — runs ${token}`);
  });
});
