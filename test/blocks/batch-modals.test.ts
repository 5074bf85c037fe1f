import type { ActionsBlock, AnyBlock, Button, InputBlock, ModalView, PlainTextInput } from '@slack/types';
import { describe, expect, it } from 'vitest';
import type { Batch, TargetSnapshot } from '../../src/approvals/types.js';
import {
  BULK_BOX_CHARS,
  bulkCheckingModal,
  bulkListModal,
  bulkReviewModal,
} from '../../src/blocks/batch-modals.js';
import {
  ACTION_IDS,
  BLOCK_IDS,
  bulkListBlockId,
  CALLBACK_IDS,
  DELETE_CONFIRMATION_WORD,
  INPUT_ACTION_ID,
  MAX_BULK_LIST_BOXES,
} from '../../src/blocks/ids.js';
import { packText } from '../../src/blocks/mrkdwn.js';
import { blockKitProblems } from '../helpers/block-kit.js';
import { parsedTexts, visibleText } from '../helpers/blocks-text.js';

const METADATA = JSON.stringify({ channelId: 'C0APPROVALS' });
const uuid = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
const target = (i: number): TargetSnapshot => ({
  id: uuid(i),
  firstName: `First${i}`,
  lastName: `Last${i}`,
  email: `user${i}@example.com`,
  status: 'active',
  isOwner: false,
});

/** Slack accepts it, and the title, submit and close labels fit. */
function valid(view: ModalView): ModalView {
  expect(blockKitProblems('modal', view)).toEqual([]);
  for (const label of [view.title, view.submit, view.close]) {
    expect(label?.text.length ?? 0).toBeLessThanOrEqual(24);
  }
  return view;
}

const inputs = (view: ModalView) => view.blocks.filter((b: AnyBlock): b is InputBlock => b.type === 'input');
const inputIn = (view: ModalView, blockId: string) => {
  const block = inputs(view).find((b) => b.block_id === blockId);
  if (!block) throw new Error(`no input ${blockId}`);
  return { block, element: block.element as PlainTextInput };
};
const moreRoom = (view: ModalView) =>
  view.blocks
    .filter((b: AnyBlock): b is ActionsBlock => b.type === 'actions')
    .flatMap((b) => b.elements as Button[]);

describe('bulkListModal', () => {
  it('starts with one required box, a reason and a More room button', () => {
    const view = valid(bulkListModal({ action: 'deactivate', boxes: 1, privateMetadata: METADATA }));
    expect(view.callback_id).toBe(CALLBACK_IDS.bulkList);
    expect(view.private_metadata).toBe(METADATA);
    expect([view.title.text, view.submit?.text, view.close?.text]).toEqual([
      'Deactivate users',
      'Check list',
      'Cancel',
    ]);
    expect(visibleText(view.blocks)).toContain(
      'Paste the user ids (UUIDs) to deactivate: one per line, or separated by spaces or commas. Up to 500.',
    );
    const box = inputIn(view, bulkListBlockId(1));
    expect(box.block.label.text).toBe('User ids');
    expect(box.block.optional).toBeUndefined();
    expect(box.block.hint?.text).toBe('About 80 ids fit in one box; use More room for more.');
    expect(box.element).toMatchObject({
      action_id: INPUT_ACTION_ID,
      max_length: BULK_BOX_CHARS,
      multiline: true,
    });
    const reason = inputIn(view, BLOCK_IDS.reason);
    expect(reason.block.optional).toBeUndefined();
    expect(reason.element).toMatchObject({ multiline: true, max_length: 1000 });
    expect(moreRoom(view).map((b) => [b.text.text, b.action_id, b.value])).toEqual([
      ['More room', ACTION_IDS.bulkMoreRoom, '1'],
    ]);
  });

  it('grows to 7 optional extra boxes, pre-filled, with the problem above them and no More room', () => {
    // 500 ids, one per line, packed into the 7 boxes.
    const ids = Array.from({ length: 500 }, (_, i) => uuid(i));
    const prefill = packText(ids, BULK_BOX_CHARS).slice(0, MAX_BULK_LIST_BOXES);
    const view = valid(
      bulkListModal({
        action: 'delete',
        boxes: MAX_BULK_LIST_BOXES,
        prefill,
        reason: 'Retention over',
        problem: ':warning: No valid user ids found.',
        privateMetadata: METADATA,
      }),
    );
    expect(view.title.text).toBe('Delete users');
    expect(inputs(view).map((b) => [b.block_id, b.label.text, b.optional ?? false])).toEqual([
      [bulkListBlockId(1), 'User ids', false],
      ...[2, 3, 4, 5, 6, 7].map((n) => [bulkListBlockId(n), `More user ids (${n})`, true]),
      [BLOCK_IDS.reason, 'Reason', false],
    ]);
    prefill.forEach((value, i) => {
      expect(inputIn(view, bulkListBlockId(i + 1)).element.initial_value).toBe(value);
    });
    expect(inputIn(view, BLOCK_IDS.reason).element.initial_value).toBe('Retention over');
    expect(moreRoom(view)).toEqual([]);
    const problem = view.blocks.findIndex((b) => visibleText(b) === ':warning: No valid user ids found.');
    const firstBox = view.blocks.findIndex((b) => b.block_id === bulkListBlockId(1));
    expect(problem).toBeGreaterThanOrEqual(0);
    expect(problem).toBeLessThan(firstBox);
  });
});

describe('bulkCheckingModal', () => {
  it('shows how far the check is', () => {
    const view = valid(bulkCheckingModal('deactivate', 250, 500));
    expect(view.callback_id).toBe(CALLBACK_IDS.notice);
    expect(view.submit).toBeUndefined();
    expect(view.close?.text).toBe('Close');
    expect(visibleText(view.blocks)).toBe(':hourglass_flowing_sand: Checking 500 users…\n▰▰▰▰▰▱▱▱▱▱ 50%');
    expect(visibleText(valid(bulkCheckingModal('delete', 0, 0)).blocks)).toContain('0%');
  });
});

describe('bulkReviewModal', () => {
  const batch: Batch = {
    targets: Array.from({ length: 500 }, (_, i) => target(i)),
    excluded: [{ id: 'nope', code: 'malformed', reason: 'not a user id' }],
    duplicates: 2,
  };

  it('shows who is in, who is left out, what deactivation does and the approvals needed', () => {
    const view = valid(
      bulkReviewModal({
        action: 'deactivate',
        batch,
        reason: 'Offboarding',
        requiredApprovals: 2,
        privateMetadata: METADATA,
      }),
    );
    expect(view.callback_id).toBe(CALLBACK_IDS.bulkReview);
    expect(view.private_metadata).toBe(METADATA);
    expect([view.title.text, view.submit?.text, view.close?.text]).toEqual([
      'Deactivate 500 users',
      'Request deactivation',
      'Cancel',
    ]);
    const shown = visibleText(view.blocks);
    expect(shown).toContain(`*500 users*\n• *First0 Last0* · user0@example.com · \`${uuid(0)}\``);
    expect(shown).toContain('…and 490 more');
    expect(shown).toContain('*Left out (1)*\n• `nope` — not a user id\n• 2 duplicate ids folded into one');
    expect(shown).toContain(
      'These 500 users cannot sign in or connect until reactivated.\nNeeds *2 approvals* before anything happens.',
    );
    expect(shown).not.toContain('Retry of');
    expect(inputIn(view, BLOCK_IDS.reason).element.initial_value).toBe('Offboarding');
    // The optional "Run at" picker (a scheduled change), empty unless `--at` gave a time.
    expect(inputs(view).map((b) => b.block_id)).toEqual([BLOCK_IDS.reason, BLOCK_IDS.runAt]);
    expect(inputIn(view, BLOCK_IDS.runAt).block).toMatchObject({
      optional: true,
      element: { type: 'datetimepicker' },
    });
    expect(JSON.stringify(inputIn(view, BLOCK_IDS.runAt).block)).not.toContain('initial_date_time');
  });

  it('warns that deletion is permanent, asks for the confirmation word, and names the retried request', () => {
    const view = valid(
      bulkReviewModal({
        action: 'delete',
        batch: { targets: [target(1)], excluded: [], duplicates: 0, retryOf: 'req-<!here>' },
        reason: undefined,
        requiredApprovals: 1,
        privateMetadata: METADATA,
      }),
    );
    expect([view.title.text, view.submit?.text]).toEqual(['Delete 1 user', 'Request deletion']);
    const shown = visibleText(view.blocks);
    expect(shown).toContain(':warning: *Deletion is permanent and cannot be undone.* This user is removed');
    expect(shown).toContain('Needs *1 approval* before anything happens.');
    expect(shown).toContain('Retry of the failed users of request `req-&lt;!here&gt;`');
    expect(shown).not.toContain('Left out');
    const confirm = inputIn(view, BLOCK_IDS.confirm);
    expect(confirm.block.label.text).toBe(`Type ${DELETE_CONFIRMATION_WORD} to confirm`);
    expect(confirm.element).toMatchObject({ action_id: INPUT_ACTION_ID, max_length: 50 });
    expect(inputIn(view, BLOCK_IDS.reason).element.initial_value).toBeUndefined();
  });

  it('keeps hostile names, reasons and ids inert and within limits', () => {
    const hostile = '<!channel> <@U123> <https://evil|ok> \u202Eevil \u200B🔥'.repeat(250);
    const view = valid(
      bulkReviewModal({
        action: 'delete',
        batch: {
          targets: Array.from({ length: 500 }, (_, i) => ({
            ...target(i),
            firstName: hostile,
            email: hostile,
          })),
          excluded: Array.from({ length: 500 }, () => ({ id: hostile, code: 'malformed', reason: hostile })),
          duplicates: 0,
          retryOf: hostile,
        },
        reason: hostile,
        requiredApprovals: 3,
        privateMetadata: METADATA,
      }),
    );
    for (const text of parsedTexts({ blocks: view.blocks })) {
      expect(text).not.toContain('<!channel>');
      expect(text).not.toContain('<@U123>');
      expect(text).not.toContain('<https://evil');
      expect(text).not.toContain('\u202E');
    }
    expect(inputIn(view, BLOCK_IDS.reason).element.initial_value?.length).toBeLessThanOrEqual(1000);
  });
});
