import { describe, expect, it } from 'vitest';
import type { BatchRequest, SingleRequest, TargetSnapshot } from '../../src/approvals/types.js';
import { approverDm } from '../../src/blocks/approver-dm.js';
import { reminderNote } from '../../src/blocks/reminder.js';
import { blockKitProblems } from '../helpers/block-kit.js';
import { parsedTexts, visibleText, withoutOwnMarkup } from '../helpers/blocks-text.js';
import { sampleRequest } from '../helpers/sample-request.js';

const REQUEST_ID = 'rABCDEFGHIJKLMNO';
const TARGET_ID = '59ed689c-e8b4-4e22-8088-9e36e05f76d0';
const CREATED = Date.parse('2024-06-03T09:00:00Z');
const EXPIRES = Date.parse('2024-06-04T09:00:00Z');
const EXPIRY_TOKEN = `<!date^${EXPIRES / 1000}^{date_short_pretty} at {time}|2024-06-04 09:00 UTC>`;
const PERMALINK = 'https://acme.slack.com/archives/C0APPROVALS/p1717405200000100';

const alice: TargetSnapshot = {
  id: TARGET_ID,
  firstName: 'Alice',
  lastName: 'Martin',
  email: 'alice.martin@example.com',
  status: 'active',
  isOwner: false,
};

const request = (overrides: Partial<SingleRequest> = {}) =>
  sampleRequest({ id: REQUEST_ID, target: alice, reason: 'Left the company on Friday', ...overrides });

function bulk(count: number): BatchRequest {
  const { target: _target, ...rest } = request({ action: 'delete', requiredApprovals: 2 });
  return {
    ...rest,
    batch: {
      targets: Array.from({ length: count }, (_, i) => ({ ...alice, id: `${i}`.padStart(8, '0') })),
      excluded: [],
      duplicates: 0,
    },
  };
}

/** Texts still holding a `<` or `>` once group mentions, channel links and the permalink are also set aside. */
const unsafeLeft = (texts: readonly string[]) =>
  withoutOwnMarkup(texts, {
    also: [
      /<!subteam\^S[A-Z0-9]+>/g,
      /<#C[A-Z0-9]+>/g,
      /<https:\/\/acme\.slack\.com\/[^|>]+\|(?:Open|See) the request>/g,
    ],
  }).filter((text) => /[<>]/.test(text));

describe('approverDm', () => {
  it('says who asks, what, why, the quorum, the expiry, and links to the request', () => {
    const message = approverDm(request(), PERMALINK);
    expect(blockKitProblems('message', message.blocks)).toEqual([]);
    expect(message.text).toBe('<@U0REQUESTER> asks for your approval: Deactivate Alice Martin');
    const shown = visibleText(message.blocks);
    expect(shown).toContain(
      `:no_entry: <@U0REQUESTER> asks for your approval: *Deactivate* *Alice Martin* (\`${TARGET_ID}\`)`,
    );
    expect(shown).toContain('*Reason*\n>Left the company on Friday');
    expect(shown).toContain(`Needs 1 approval · expires ${EXPIRY_TOKEN}`);
    expect(shown).toContain(`<${PERMALINK}|Open the request>`);
  });

  it('a bulk request says how many users, and the approvals it needs', () => {
    const message = approverDm(bulk(47), PERMALINK);
    expect(blockKitProblems('message', message.blocks)).toEqual([]);
    expect(message.text).toBe('<@U0REQUESTER> asks for your approval: Delete 47 users');
    const shown = visibleText(message.blocks);
    expect(shown).toContain('*Delete 47 users* (bulk)');
    expect(shown).toContain('Needs 2 approvals');
  });

  it('without a usable permalink, names the channel instead (never a link it did not get from Slack)', () => {
    for (const link of [
      undefined,
      'javascript:alert(1)',
      'https://x.example/|<!channel>',
      'http://plain.example',
    ]) {
      const shown = visibleText(approverDm(request(), link).blocks);
      expect(shown).toContain('The request is in <#C0APPROVALS>.');
      expect(shown).not.toContain('Open the request');
    }
  });

  it('escapes hostile names and reasons: nothing pings, nothing links', () => {
    const message = approverDm(
      request({
        target: { ...alice, firstName: '<!channel>', lastName: '<https://evil.example|click> & <@U123>' },
        reason: 'see <!here> and <https://evil.example|this>\nsecond line <@U999>',
      }),
      PERMALINK,
    );
    expect(blockKitProblems('message', message.blocks)).toEqual([]);
    expect(unsafeLeft(parsedTexts(message))).toEqual([]);
    expect(message.text).toContain('&lt;!channel&gt;');
    expect(visibleText(message.blocks)).toContain('>second line &lt;@U999&gt;');
  });

  it('stays within Block Kit limits with a 10 000-character reason and name', () => {
    const long = 'x'.repeat(10_000);
    const message = approverDm(request({ reason: long, target: { ...alice, firstName: long } }), PERMALINK);
    expect(blockKitProblems('message', message.blocks)).toEqual([]);
    expect(message.text.length).toBeLessThan(300);
  });
});

const buttonIds = (message: { blocks: unknown[] }) =>
  (message.blocks as Array<{ type: string; elements?: Array<{ action_id?: string; value?: string }> }>)
    .filter((b) => b.type === 'actions')
    .flatMap((b) => b.elements ?? [])
    .map((e) => `${e.action_id}=${e.value}`);

describe('approverDm: buttons and what follows a decision', () => {
  const twoNeeded = (overrides: Partial<SingleRequest> = {}) =>
    request({ action: 'delete', requiredApprovals: 2, ...overrides });

  it('pending: Approve (with the delete confirmation) and Reject, valued with the request id', () => {
    const message = approverDm(twoNeeded(), PERMALINK, 'UAPPROVER1');
    expect(blockKitProblems('message', message.blocks)).toEqual([]);
    expect(buttonIds(message)).toEqual([`request_approve=${REQUEST_ID}`, `request_reject=${REQUEST_ID}`]);
    expect(visibleText(message.blocks)).toContain('Alice Martin will be deleted from Cipherscale');
  });

  it('once its reader approved: "You approved (1/2)", the time, how many more; Reject only', () => {
    const approved = twoNeeded({ approvals: [{ userId: 'UAPPROVER1', at: CREATED + 60_000 }] });
    const mine = approverDm(approved, PERMALINK, 'UAPPROVER1');
    expect(blockKitProblems('message', mine.blocks)).toEqual([]);
    expect(mine.text).toBe('You approved (1/2): Delete Alice Martin');
    expect(visibleText(mine.blocks)).toContain(
      `:+1: *You approved* (1/2) · <!date^${(CREATED + 60_000) / 1000}^{date_short_pretty} at {time}|2024-06-03 09:01 UTC> — waiting for 1 more approval`,
    );
    expect(buttonIds(mine)).toEqual([`request_reject=${REQUEST_ID}`]);
    // Another approver's DM reads exactly as before that approval: nothing to update there.
    expect(approverDm(approved, PERMALINK, 'UAPPROVER2')).toEqual(
      approverDm(twoNeeded(), PERMALINK, 'UAPPROVER2'),
    );
  });

  it.each([
    [
      'queued',
      { state: 'queued' },
      /^:white_check_mark: \*Approved by <@UAPPROVER1>, <@UAPPROVER2>\* \(2\/2\) · <!date\^/,
    ],
    [
      'rejected',
      { state: 'rejected', decidedBy: 'UAPPROVER2', decidedAt: CREATED + 120_000, decisionReason: 'not yet' },
      /^:no_entry_sign: \*Rejected by <@UAPPROVER2>\* · <!date\^\d+\^[^>]+>\n>not yet/,
    ],
    [
      'cancelled',
      { state: 'cancelled', decidedBy: 'U0REQUESTER', decidedAt: CREATED + 120_000 },
      /^:heavy_multiplication_x: \*Cancelled by <@U0REQUESTER>\*/,
    ],
    ['expired', { state: 'expired' }, /^:hourglass: \*Expired\* <!date\^/],
    ['succeeded', { state: 'succeeded' }, /^:white_check_mark: \*Approved by/],
  ] as const)(
    '%s: no buttons, what was decided, by whom and when, and a link to see the request',
    (_, overrides, first) => {
      const approvals = [
        { userId: 'UAPPROVER1', at: CREATED + 60_000 },
        { userId: 'UAPPROVER2', at: CREATED + 90_000 },
      ];
      const message = approverDm(twoNeeded({ approvals, ...overrides }), PERMALINK, 'UAPPROVER3');
      expect(blockKitProblems('message', message.blocks)).toEqual([]);
      expect(buttonIds(message)).toEqual([]);
      const shown = visibleText(message.blocks);
      expect(shown).toMatch(first);
      expect(shown).toContain(`<${PERMALINK}|See the request>`);
    },
  );

  it('a scheduled approval says when it runs', () => {
    const runAt = Date.parse('2024-06-07T17:00:00Z');
    const message = approverDm(
      twoNeeded({
        state: 'queued',
        runAt,
        approvals: [
          { userId: 'UAPPROVER1', at: CREATED },
          { userId: 'UAPPROVER2', at: CREATED },
        ],
      }),
      PERMALINK,
    );
    expect(visibleText(message.blocks)).toContain(`runs <!date^${runAt / 1000}^`);
  });

  it('a hostile rejection reason pings nobody and stays within Block Kit limits', () => {
    const message = approverDm(
      twoNeeded({
        state: 'rejected',
        decidedBy: 'UAPPROVER2',
        decisionReason: `<!channel> <@U999> *x* ${'y'.repeat(5000)}`,
      }),
      PERMALINK,
    );
    expect(blockKitProblems('message', message.blocks)).toEqual([]);
    expect(unsafeLeft(parsedTexts(message))).toEqual([]);
    expect(visibleText(message.blocks)).toContain('&lt;!channel&gt; &lt;@U999&gt;');
  });
});

describe('reminderNote', () => {
  it('says how many approvals are missing and when it expires, mentioning who it waits for', () => {
    const message = reminderNote(
      request({ action: 'delete', requiredApprovals: 2, approvals: [{ userId: 'UAPPROVER1', at: CREATED }] }),
      { userIds: ['UAPPROVER2', 'UAPPROVER3'], usergroupIds: ['S0SECOPS'] },
    );
    expect(blockKitProblems('message', message.blocks)).toEqual([]);
    expect(message.text).toBe(`:alarm_clock: Still waiting for 1 more approval — expires ${EXPIRY_TOKEN}`);
    expect(visibleText(message.blocks)).toBe(
      `${message.text}\n<@UAPPROVER2>, <@UAPPROVER3>, <!subteam^S0SECOPS>`,
    );
  });

  it('counts the missing approvals in the plural, and has no mention line when nobody is listed', () => {
    const message = reminderNote(request({ requiredApprovals: 3 }), { userIds: [], usergroupIds: [] });
    expect(visibleText(message.blocks)).toBe(
      `:alarm_clock: Still waiting for 3 more approvals — expires ${EXPIRY_TOKEN}`,
    );
  });

  it('never turns an id that is not a Slack id into a mention, and caps a long list', () => {
    const many = Array.from({ length: 200 }, (_, i) => `U${String(i).padStart(10, '0')}`);
    const message = reminderNote(request(), { userIds: [...many, '<!channel>'], usergroupIds: ['<!here>'] });
    expect(blockKitProblems('message', message.blocks)).toEqual([]);
    const shown = visibleText(message.blocks);
    expect(shown).toMatch(/…and \d+ more$/);
    expect(unsafeLeft(parsedTexts(message))).toEqual([]);
    expect(
      visibleText(reminderNote(request(), { userIds: ['<!channel>'], usergroupIds: ['<!here>'] }).blocks),
    ).toContain('&lt;!channel&gt;, &lt;!here&gt;');
  });
});
