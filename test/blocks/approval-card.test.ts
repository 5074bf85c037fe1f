import type { ActionsBlock, Button, KnownBlock } from '@slack/types';
import { describe, expect, it } from 'vitest';
import type { Outcome, RequestState, SingleRequest } from '../../src/approvals/types.js';
import { approvalMessage, threadNote, userCardActions } from '../../src/blocks/approval-card.js';
import { ACTION_IDS } from '../../src/blocks/ids.js';
import { blockKitProblems } from '../helpers/block-kit.js';
import { parsedTexts, visibleText, withoutOwnMarkup } from '../helpers/blocks-text.js';
import { sampleRequest } from '../helpers/sample-request.js';

const REQUEST_ID = 'a1b2c3d4-0000-4000-8000-000000000001';
const TARGET_ID = '59ed689c-e8b4-4e22-8088-9e36e05f76d0';
const CREATED = Date.parse('2024-06-03T09:00:00Z');
const EXPIRES = Date.parse('2024-06-04T09:00:00Z');
const date = (iso: string) => {
  const ms = Date.parse(iso);
  const utc = iso.replace('T', ' ').replace(/:00(\.000)?Z$/, ' UTC');
  return `<!date^${ms / 1000}^{date_short_pretty} at {time}|${utc}>`;
};

const request = (overrides: Partial<SingleRequest> = {}) =>
  sampleRequest({
    id: REQUEST_ID,
    target: { ...sampleRequest().target, id: TARGET_ID, image: 'https://example.com/avatars/alice.jpg' },
    reason: 'Left the company on Friday',
    ...overrides,
  });

const editRequest = (overrides: Partial<SingleRequest> = {}) =>
  request({
    action: 'edit',
    target: {
      id: TARGET_ID,
      firstName: 'Alise',
      lastName: '',
      email: 'alice.martin@example.com',
      image: 'https://example.com/old.jpg',
      status: 'active',
      isOwner: false,
    },
    changes: { firstName: 'Alice', lastName: 'Martin', image: 'https://example.com/new.jpg' },
    reason: 'Typo in the first name',
    ...overrides,
  });

const actionsOf = (blocks: readonly KnownBlock[]) =>
  blocks.filter((block): block is ActionsBlock => block.type === 'actions');
const buttonsOf = (blocks: readonly KnownBlock[]) =>
  actionsOf(blocks).flatMap((block) => block.elements.filter((e): e is Button => e.type === 'button'));

const unsafeLeft = (texts: readonly string[]) => withoutOwnMarkup(texts);

describe('approvalMessage', () => {
  it('shows a pending deactivation with the target, reason, requester, approvals, expiry and buttons', () => {
    const message = approvalMessage(request());
    expect(blockKitProblems('message', message.blocks)).toEqual([]);
    expect(message.text).toBe('Deactivate request for Alice Martin — pending 0/1');
    const shown = visibleText(message.blocks);
    expect(shown).toContain(':no_entry: Deactivate request');
    expect(shown).toContain('*Waiting for 1 more approval*');
    expect(shown).toContain(
      '*Alice Martin*\nalice.martin@example.com\n:large_green_circle: active · Owner: no\n' +
        `ID \`${TARGET_ID}\``,
    );
    expect(shown).toContain('*Reason*\n>Left the company on Friday');
    expect(shown).toContain(`Requested by <@U0REQUESTER> · ${date('2024-06-03T09:00:00Z')}`);
    expect(shown).toContain('Approvals *0/1*');
    expect(shown).toContain(`Expires ${date('2024-06-04T09:00:00Z')}`);

    const buttons = buttonsOf(message.blocks);
    expect(buttons.map((b) => [b.text.text, b.action_id, b.value, b.style])).toEqual([
      ['Approve', ACTION_IDS.approve, REQUEST_ID, 'primary'],
      ['Reject', ACTION_IDS.reject, REQUEST_ID, 'danger'],
      ['Cancel', ACTION_IDS.cancel, REQUEST_ID, undefined],
    ]);
  });

  it('counts approvals and names the approvers', () => {
    const message = approvalMessage(
      request({
        action: 'delete',
        requiredApprovals: 2,
        approvals: [{ userId: 'U0APPROVER1', at: CREATED + 60_000 }],
      }),
    );
    expect(blockKitProblems('message', message.blocks)).toEqual([]);
    expect(message.text).toBe('Delete request for Alice Martin — pending 1/2');
    const shown = visibleText(message.blocks);
    expect(shown).toContain(':wastebasket: Delete request');
    expect(shown).toContain('Approvals *1/2*: <@U0APPROVER1>');
    expect(shown).toContain('*Waiting for 1 more approval*');
    const [approve] = buttonsOf(message.blocks);
    expect(approve?.confirm?.text.text).toContain('This cannot be undone');
  });

  it('marks the tenant owner', () => {
    const { blocks } = approvalMessage(
      request({
        action: 'edit',
        target: { ...request().target, isOwner: true },
        changes: { firstName: 'A' },
      }),
    );
    expect(visibleText(blocks)).toContain('*Alice Martin* (owner)');
    expect(visibleText(blocks)).toContain('Owner: yes');
  });

  it('shows each edited field before → after as code, empty and missing values by name, images as text', () => {
    const message = approvalMessage(editRequest());
    expect(blockKitProblems('message', message.blocks)).toEqual([]);
    expect(message.text).toBe('Edit request for Alise — pending 0/1');
    const shown = visibleText(message.blocks);
    expect(shown).toContain(':pencil2: Edit request');
    expect(shown).toContain(
      '*Changes* — the PUT to Cipherscale carries exactly these values:\n' +
        'First name: `Alise` → `Alice`\nLast name: _empty_ → `Martin`\n' +
        'Image: `https://example.com/old.jpg` → `https://example.com/new.jpg`',
    );
    expect(shown).not.toContain('Not sent');
    expect(
      visibleText(
        approvalMessage(editRequest({ target: { ...editRequest().target, lastName: undefined } })).blocks,
      ),
    ).toContain('Last name: _not set_ → `Martin`');
    // Image URLs are code, never a link Slack could unfurl.
    for (const text of parsedTexts(message)) expect(text).not.toContain('<https');
  });

  it('shows only the fields the PUT carries, and names the ones it leaves out', () => {
    const { blocks } = approvalMessage(editRequest({ changes: { lastName: 'Martin' } }));
    const shown = visibleText(blocks);
    expect(shown).toContain('Last name: _empty_ → `Martin`\n_Not sent, left as stored:_ First name, Image');
    expect(shown).not.toContain('First name: ');
    expect(shown).not.toContain('Image: ');
  });

  it('makes invisible differences visible: spaces that matter, tabs, NBSP, zero-width, length', () => {
    const cases: Array<[string, string, string]> = [
      ['Ann ', 'Ann', 'First name: `Ann␣` (4 characters) → `Ann`'],
      [' Ann', 'Ann', 'First name: `␣Ann` (4 characters) → `Ann`'],
      ['Ann  Marie', 'Ann Marie', 'First name: `Ann␣␣Marie` (10 characters) → `Ann Marie`'],
      ['Ann\tMarie', 'Ann Marie', 'First name: `Ann⟨tab⟩Marie` (9 characters) → `Ann Marie`'],
      ['Ann\nMarie', 'Ann Marie', 'First name: `Ann⟨newline⟩Marie` (9 characters) → `Ann Marie`'],
      ['Ann\u00A0Marie', 'Ann Marie', 'First name: `Ann⟨NBSP⟩Marie` (9 characters) → `Ann Marie`'],
      ['An\u200Bn', 'Ann', 'First name: `An⟨ZWSP⟩n` (4 characters) → `Ann`'],
      ['Ann\u202E', 'Ann', 'First name: `Ann⟨U+202E⟩` (4 characters) → `Ann`'],
      // A literal marker character cannot pass for a marked space.
      ['Ann ', 'Ann␣', 'First name: `Ann␣` (4 characters) → `Ann⟨U+2423⟩` (4 characters)'],
      ['a`b', 'ab', 'First name: `a⟨backtick⟩b` (3 characters) → `ab`'],
      ['', 'Ann', 'First name: _empty_ → `Ann`'],
    ];
    for (const [before, after, line] of cases) {
      const message = approvalMessage(
        editRequest({
          target: { ...editRequest().target, firstName: before },
          changes: { firstName: after },
        }),
      );
      expect(blockKitProblems('message', message.blocks)).toEqual([]);
      expect(visibleText(message.blocks)).toContain(line);
    }
  });

  it('keeps emoji whole (a ZWJ inside an emoji is not marked) and counts a 150-character value', () => {
    const long = `${'x'.repeat(149)}😀`;
    const message = approvalMessage(
      editRequest({
        target: { ...editRequest().target, firstName: long },
        changes: { firstName: '👩‍💻 Dev' },
      }),
    );
    const shown = visibleText(message.blocks);
    expect(shown).toContain(`First name: \`${long}\` (150 characters) → \`👩‍💻 Dev\``);
    const huge = `${'y'.repeat(3000)}`;
    const cut = visibleText(
      approvalMessage(
        editRequest({ target: { ...editRequest().target, lastName: huge }, changes: { lastName: 'Martin' } }),
      ).blocks,
    );
    expect(cut).toMatch(/Last name: `y{300,400}…` \(3000 characters\) → `Martin`/);
  });

  it('shows the whole new image URL, even 2000 characters of it', () => {
    const image = `https://cdn.example.com/${'a'.repeat(1976)}`;
    const message = approvalMessage(editRequest({ changes: { image } }));
    expect(blockKitProblems('message', message.blocks)).toEqual([]);
    expect(visibleText(message.blocks)).toContain(`→ \`${image}\``);
  });

  const decided: Array<[RequestState, Partial<SingleRequest>, string[]]> = [
    ['approved', { approvals: [{ userId: 'U0APPROVER1', at: CREATED }] }, ['*Approved — queued*']],
    ['queued', { approvals: [{ userId: 'U0APPROVER1', at: CREATED }] }, ['*Approved — queued*']],
    ['running', { attempts: 1 }, ['*Running…*']],
    [
      'succeeded',
      {
        outcome: {
          ok: true,
          summary: 'Deactivated.',
          code: 'done',
          attempts: 2,
          apiRequestId: 'req-77',
          at: EXPIRES,
        },
      },
      ['*Succeeded* — Deactivated Alice Martin.', '2 attempts · API request `req-77`'],
    ],
    [
      'succeeded',
      {
        outcome: {
          ok: true,
          summary: 'Already deactivated, nothing to do.',
          code: 'noop',
          attempts: 1,
          at: EXPIRES,
        },
      },
      ['*Succeeded* — Already deactivated, nothing to do.', '1 attempt'],
    ],
    [
      'failed',
      {
        outcome: {
          ok: false,
          summary: 'Cipherscale answered 400: invalid user',
          code: 'client_error',
          attempts: 1,
          at: EXPIRES,
        },
      },
      ['*Failed* — Cipherscale answered 400: invalid user', '1 attempt'],
    ],
    [
      'rejected',
      { decidedBy: 'U0APPROVER1', decidedAt: CREATED + 1000, decisionReason: 'Wrong user' },
      ['*Rejected by <@U0APPROVER1>*', '>Wrong user'],
    ],
    ['cancelled', { decidedBy: 'U0REQUESTER', decidedAt: CREATED + 1000 }, ['*Cancelled by <@U0REQUESTER>*']],
    ['expired', {}, [`*Expired* ${date('2024-06-04T09:00:00Z')}`]],
  ];

  it.each(decided)('once %s, says so and has no buttons', (state, overrides, expected) => {
    const message = approvalMessage(request({ state, ...overrides }));
    expect(blockKitProblems('message', message.blocks)).toEqual([]);
    expect(actionsOf(message.blocks)).toEqual([]);
    expect(message.text).toBe(`Deactivate request for Alice Martin — ${state}`);
    const shown = visibleText(message.blocks);
    for (const part of expected) expect(shown).toContain(part);
    expect(shown).not.toContain('Expires');
    expect(shown).not.toContain('Waiting for');
  });

  it('never lets user or API text ping, mention or link', () => {
    const hostile = request({
      action: 'edit',
      state: 'rejected',
      target: {
        id: '<!channel>',
        firstName: '<!channel>',
        lastName: '<@U123ABC>',
        email: '<https://evil.example|ok>',
        image: '<https://evil.example|img>',
        status: '<!here>',
        isOwner: false,
      },
      changes: { firstName: '<!everyone>', image: 'https://evil.example/`x`<b>' },
      reason: '<!channel> please\n<https://evil.example|click>',
      requesterId: '<!channel>',
      approvals: [{ userId: '<@U999> &', at: CREATED }],
      decidedBy: 'not-an-id <!here>',
      decisionReason: '<!subteam^S123>',
    });
    const message = approvalMessage(hostile);
    expect(blockKitProblems('message', message.blocks)).toEqual([]);
    const texts = parsedTexts(message);
    for (const text of texts) expect(text).not.toContain('<!channel>');
    for (const text of unsafeLeft(texts)) expect(text).not.toMatch(/[<>]/);
    const all = texts.join('\n');
    expect(all).toContain('&lt;!channel&gt;');
    expect(all).toContain('First name: `&lt;!channel&gt;` → `&lt;!everyone&gt;`');
    expect(all).toContain('&lt;https://evil.example|ok&gt;');
    expect(all).toContain('>&lt;!channel&gt; please\n>&lt;https://evil.example|click&gt;');
    expect(all).toContain('Requested by &lt;!channel&gt;');
    expect(all).toContain('*Rejected by not-an-id &lt;!here&gt;*');
    expect(all).toContain('&lt;!subteam^S123&gt;');
    expect(message.text).toBe('Edit request for &lt;!channel&gt; &lt;@U123ABC&gt; — rejected');
  });

  it('stays within Slack’s limits with 10 000-character texts', () => {
    const huge = (c: string) => c.repeat(10_000);
    for (const state of ['pending', 'succeeded', 'failed', 'rejected'] as const) {
      const message = approvalMessage(
        request({
          action: 'edit',
          state,
          target: {
            id: huge('9'),
            firstName: huge('<'),
            lastName: huge('é'),
            email: huge('&'),
            image: huge('h'),
            status: huge('s'),
            isOwner: true,
          },
          changes: { firstName: huge('a'), lastName: huge('>'), image: huge('i') },
          reason: huge('<!channel>\n'),
          approvals: Array.from({ length: 500 }, (_, i) => ({
            userId: `U${String(i).padStart(8, '0')}`,
            at: CREATED,
          })),
          requiredApprovals: 600,
          decidedBy: huge('W'),
          decisionReason: huge('r'),
          outcome: {
            ok: false,
            summary: huge('x'),
            code: 'client_error',
            attempts: 3,
            apiRequestId: huge('q'),
            at: EXPIRES,
          },
        }),
      );
      expect(blockKitProblems('message', message.blocks)).toEqual([]);
      expect(message.text.length).toBeLessThan(300);
      for (const text of parsedTexts(message)) expect(text).not.toContain('<!channel>');
    }
  });
});

describe('approvalMessage: the target status it shows', () => {
  const done = { ok: true, summary: 'Done.', code: 'done', attempts: 1, at: EXPIRES } as const;
  const statusLine = (r: SingleRequest) =>
    visibleText(approvalMessage(r).blocks)
      .split('\n')
      .find((line) => line.includes('Owner:'));

  it('pending: the status as read now, unqualified', () => {
    expect(statusLine(request())).toBe(':large_green_circle: active · Owner: no');
  });

  it('once decided, says the status is from request time; after a success, what it is now', () => {
    expect(statusLine(request({ state: 'succeeded', outcome: done }))).toBe(
      ':large_green_circle: active when requested → now :no_entry: deactivated · Owner: no',
    );
    expect(statusLine(request({ action: 'delete', state: 'succeeded', outcome: done }))).toBe(
      ':large_green_circle: active when requested → now :wastebasket: deleted · Owner: no',
    );
    for (const state of ['approved', 'running', 'failed', 'rejected', 'expired', 'cancelled'] as const) {
      expect(statusLine(request({ state })), state).toBe(
        ':large_green_circle: active when requested · Owner: no',
      );
    }
    expect(statusLine(editRequest({ state: 'succeeded', outcome: done }))).toBe(
      ':large_green_circle: active when requested · Owner: no',
    );
  });
});

describe('threadNote', () => {
  const note = (req: SingleRequest, event: Parameters<typeof threadNote>[1]) => {
    const message = threadNote(req, event);
    expect(blockKitProblems('message', message.blocks)).toEqual([]);
    expect(message.text.length).toBeGreaterThan(0);
    return visibleText(message.blocks);
  };

  it('tells who asked for what, and how many approvals it needs', () => {
    expect(note(request({ requiredApprovals: 2, action: 'delete' }), { kind: 'created' })).toBe(
      `:memo: <@U0REQUESTER> requested to delete *Alice Martin* — needs 2 approvals · ${date('2024-06-03T09:00:00Z')}`,
    );
  });

  it('tells who approved, the count, and when', () => {
    const at = Date.parse('2024-06-03T09:05:00Z');
    const approved = request({ requiredApprovals: 2, approvals: [{ userId: 'U0APPROVER1', at }] });
    expect(note(approved, { kind: 'approved', by: 'U0APPROVER1' })).toBe(
      `:+1: Approved by <@U0APPROVER1> (1/2) · ${date('2024-06-03T09:05:00Z')}`,
    );
    const quorum = request({ state: 'queued', approvals: [{ userId: 'U0APPROVER1', at }] });
    expect(note(quorum, { kind: 'quorum', by: 'U0APPROVER1' })).toBe(
      `:white_check_mark: Approved by <@U0APPROVER1> (1/1) — queued · ${date('2024-06-03T09:05:00Z')}`,
    );
  });

  it('tells who rejected and why, who cancelled, and when it expired', () => {
    const decidedAt = Date.parse('2024-06-03T10:00:00Z');
    const rejected = request({ state: 'rejected', decidedBy: 'U0APPROVER1', decidedAt });
    expect(note(rejected, { kind: 'rejected', by: 'U0APPROVER1', reason: 'Wrong <!channel>' })).toBe(
      `:no_entry_sign: Rejected by <@U0APPROVER1> · ${date('2024-06-03T10:00:00Z')}\n>Wrong &lt;!channel&gt;`,
    );
    expect(note(rejected, { kind: 'rejected', by: 'U0APPROVER1' })).not.toContain('\n');
    const cancelled = request({ state: 'cancelled', decidedBy: 'U0REQUESTER', decidedAt });
    expect(note(cancelled, { kind: 'cancelled', by: 'U0REQUESTER' })).toBe(
      `:heavy_multiplication_x: Cancelled by <@U0REQUESTER> · ${date('2024-06-03T10:00:00Z')}`,
    );
    expect(note(request({ state: 'expired' }), { kind: 'expired' })).toBe(
      `:hourglass: Expired with 0/1 approvals · ${date('2024-06-04T09:00:00Z')}`,
    );
  });

  it('tells what an edit changed, attempts and the API request id', () => {
    const done = editRequest({
      state: 'succeeded',
      outcome: {
        ok: true,
        summary: 'Updated.',
        code: 'done',
        attempts: 2,
        apiRequestId: 'req-42',
        at: EXPIRES,
      },
    });
    expect(note(done, { kind: 'succeeded' })).toBe(
      ':white_check_mark: *Succeeded* — Updated Alise.\n' +
        '*Changes* — the PUT to Cipherscale carries exactly these values:\n' +
        'First name: `Alise` → `Alice`\nLast name: _empty_ → `Martin`\n' +
        'Image: `https://example.com/old.jpg` → `https://example.com/new.jpg`\n' +
        `2 attempts · API request \`req-42\` · ${date('2024-06-04T09:00:00Z')}`,
    );
  });

  it('says Deactivated, Deleted, or what the worker found instead', () => {
    const outcome: Outcome = { ok: true, summary: 'Done.', code: 'done', attempts: 1, at: EXPIRES };
    expect(note(request({ state: 'succeeded', outcome }), { kind: 'succeeded' })).toContain(
      '*Succeeded* — Deactivated Alice Martin.',
    );
    expect(note(request({ action: 'delete', state: 'succeeded', outcome }), { kind: 'succeeded' })).toContain(
      '*Succeeded* — Deleted Alice Martin.',
    );
    const noop: Outcome = { ...outcome, code: 'noop', summary: 'Already deactivated, nothing to do.' };
    expect(note(request({ state: 'succeeded', outcome: noop }), { kind: 'succeeded' })).toBe(
      ':white_check_mark: *Succeeded* — Already deactivated, nothing to do.\n' +
        `1 attempt · ${date('2024-06-04T09:00:00Z')}`,
    );
  });

  it('says why it failed and how many attempts were made', () => {
    const failed = request({
      state: 'failed',
      outcome: {
        ok: false,
        summary: 'Cipherscale refused the bot’s credentials (401) <!here>',
        code: 'credentials_refused',
        attempts: 5,
        at: EXPIRES,
      },
    });
    expect(note(failed, { kind: 'failed' })).toBe(
      ':x: *Failed* — Cipherscale refused the bot’s credentials (401) &lt;!here&gt;\n' +
        `5 attempts · ${date('2024-06-04T09:00:00Z')}`,
    );
  });

  it('stays within Slack’s limits with 10 000-character texts', () => {
    const huge = 'x<'.repeat(5000);
    const req = editRequest({
      target: { ...editRequest().target, firstName: huge, lastName: huge, image: huge },
      changes: { firstName: huge, image: huge },
      outcome: { ok: false, summary: huge, code: 'noop', attempts: 1, apiRequestId: huge, at: EXPIRES },
    });
    for (const event of [
      { kind: 'created' },
      { kind: 'rejected', by: huge, reason: huge },
      { kind: 'succeeded' },
      { kind: 'failed' },
    ] as const) {
      const message = threadNote(req, event);
      expect(blockKitProblems('message', message.blocks)).toEqual([]);
      for (const text of unsafeLeft(parsedTexts(message))) expect(text).not.toMatch(/[<>]/);
    }
  });
});

describe('userCardActions', () => {
  it('offers Edit…, Deactivate…, Delete… and History for the user', () => {
    const block = userCardActions({ id: TARGET_ID });
    expect(blockKitProblems('message', [block])).toEqual([]);
    expect(buttonsOf([block]).map((b) => [b.text.text, b.action_id, b.value, b.style])).toEqual([
      ['Edit…', ACTION_IDS.openEdit, TARGET_ID, undefined],
      ['Deactivate…', ACTION_IDS.openDeactivate, TARGET_ID, undefined],
      ['Delete…', ACTION_IDS.openDelete, TARGET_ID, 'danger'],
      ['History', ACTION_IDS.userHistory, TARGET_ID, undefined],
    ]);
  });
});
