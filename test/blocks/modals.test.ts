import type { AnyBlock, InputBlock, ModalView, PlainTextInput } from '@slack/types';
import { describe, expect, it } from 'vitest';
import type { SingleRequest, TargetSnapshot } from '../../src/approvals/types.js';
import { BLOCK_IDS, CALLBACK_IDS, DELETE_CONFIRMATION_WORD, INPUT_ACTION_ID } from '../../src/blocks/ids.js';
import {
  deactivateModal,
  deleteModal,
  editModal,
  editPrefill,
  loadingModal,
  noticeModal,
  rejectModal,
} from '../../src/blocks/modals.js';
import { blockKitProblems } from '../helpers/block-kit.js';
import { parsedTexts, visibleText } from '../helpers/blocks-text.js';

const TARGET_ID = '59ed689c-e8b4-4e22-8088-9e36e05f76d0';
const METADATA = JSON.stringify({ userId: TARGET_ID, channelId: 'C0APPROVALS' });

const alice: TargetSnapshot = {
  id: TARGET_ID,
  firstName: 'Alice',
  lastName: 'Martin',
  email: 'alice.martin@example.com',
  image: 'https://example.com/avatars/alice.jpg',
  status: 'active',
  isOwner: false,
};

function request(overrides: Partial<SingleRequest> = {}): SingleRequest {
  return {
    id: 'a1b2c3d4-0000-4000-8000-000000000001',
    action: 'deactivate',
    target: alice,
    reason: 'Left the company',
    requesterId: 'U0REQUESTER',
    channelId: 'C0APPROVALS',
    requiredApprovals: 1,
    approvals: [],
    state: 'pending',
    createdAt: Date.parse('2024-06-03T09:00:00Z'),
    expiresAt: Date.parse('2024-06-04T09:00:00Z'),
    attempts: 0,
    version: 1,
    ...overrides,
  };
}

/** Slack accepts it, and the title, submit and close labels fit. */
function valid(view: ModalView): ModalView {
  expect(blockKitProblems('modal', view)).toEqual([]);
  expect(view.title.text.length).toBeLessThanOrEqual(24);
  return view;
}

const inputs = (view: ModalView) => view.blocks.filter((b: AnyBlock): b is InputBlock => b.type === 'input');
const inputIn = (view: ModalView, blockId: string) => {
  const block = inputs(view).find((b) => b.block_id === blockId);
  if (!block) throw new Error(`no input ${blockId}`);
  return { block, element: block.element as PlainTextInput };
};

describe('loadingModal / noticeModal', () => {
  it('shows Loading… without a submit button, under a title that fits', () => {
    const view = valid(loadingModal('Deactivate a Cipherscale user right now'));
    expect(view.submit).toBeUndefined();
    expect(view.title.text).toBe('Deactivate a Cipherscal…');
    expect(visibleText(view.blocks)).toContain('Loading…');
  });

  it('shows a refusal with a Close button and nothing to submit', () => {
    const view = valid(noticeModal('Cannot delete', '*Alice Martin* is the tenant owner.'));
    expect(view.callback_id).toBe(CALLBACK_IDS.notice);
    expect(view.close?.text).toBe('Close');
    expect(view.submit).toBeUndefined();
    expect(visibleText(view.blocks)).toBe('*Alice Martin* is the tenant owner.');
  });

  it('cuts an over-long message', () => {
    valid(noticeModal('x'.repeat(100), 'y'.repeat(10_000)));
  });
});

describe('editModal', () => {
  it('is pre-filled with the current names and image, all optional, and says it goes to approvers', () => {
    const view = valid(editModal(alice, METADATA));
    expect(view.callback_id).toBe(CALLBACK_IDS.edit);
    expect(view.private_metadata).toBe(METADATA);
    expect(view.submit?.text).toBe('Request edit');
    expect(visibleText(view.blocks)).toContain(
      `Editing *Alice Martin* · alice.martin@example.com · \`${TARGET_ID}\``,
    );
    const expected = [
      [BLOCK_IDS.firstName, 'First name', 'Alice', 100],
      [BLOCK_IDS.lastName, 'Last name', 'Martin', 100],
      [BLOCK_IDS.image, 'Profile image URL', 'https://example.com/avatars/alice.jpg', 2000],
    ] as const;
    for (const [blockId, label, initial, max] of expected) {
      const { block, element } = inputIn(view, blockId);
      expect(block.label.text).toBe(label);
      expect(block.optional).toBe(true);
      expect(element.action_id).toBe(INPUT_ACTION_ID);
      expect(element.initial_value).toBe(initial);
      expect(element.max_length).toBe(max);
    }
    expect(visibleText(view.blocks)).toContain('Nothing changes until an approver approves');
  });

  it('pre-fills a stored value only when the input can hold it exactly, and says so otherwise', () => {
    const cases: Array<[string, string]> = [
      [' Al\u202Eice\n ', '“␣Al⟨U+202E⟩ice⟨newline⟩␣” (9 characters)'],
      ['Alice ', '“Alice␣” (6 characters)'],
      ['Ali\tce', '“Ali⟨tab⟩ce” (6 characters)'],
      ['Ali\u00A0ce', '“Ali⟨NBSP⟩ce” (6 characters)'],
      ['Ali\u200Bce', '“Ali⟨ZWSP⟩ce” (6 characters)'],
      ['a'.repeat(101), `(101 characters)`],
      ['😀'.repeat(60), '(60 characters)'],
    ];
    for (const [stored, described] of cases) {
      const view = valid(editModal({ ...alice, firstName: stored }, METADATA));
      const { block, element } = inputIn(view, BLOCK_IDS.firstName);
      expect(element).not.toHaveProperty('initial_value');
      expect(block.hint?.text).toContain(described);
      expect(block.hint?.text).toContain('Leave it empty to keep it unchanged');
      expect(inputIn(view, BLOCK_IDS.lastName).element.initial_value).toBe('Martin');
      expect(inputIn(view, BLOCK_IDS.lastName).block).not.toHaveProperty('hint');
    }
    // Inner double spaces and emoji fit the input as they are.
    for (const stored of ['Ann  Marie', '👩‍💻 Dev', 'a'.repeat(100)]) {
      const view = valid(editModal({ ...alice, firstName: stored }, METADATA));
      expect(inputIn(view, BLOCK_IDS.firstName).element.initial_value).toBe(stored);
    }
    const image = `https://e.com/${'i'.repeat(1900)}`;
    expect(
      inputIn(valid(editModal({ ...alice, image }, METADATA)), BLOCK_IDS.image).element.initial_value,
    ).toBe(image);
    const path = inputIn(valid(editModal({ ...alice, image: '/avatars/a.png' }, METADATA)), BLOCK_IDS.image);
    expect(path.element).not.toHaveProperty('initial_value');
    expect(path.block.hint?.text).toContain('Stored as “/avatars/a.png”');
  });

  it('leaves empty fields without an initial value', () => {
    const view = valid(editModal({ ...alice, lastName: '', image: undefined }, METADATA));
    expect(inputIn(view, BLOCK_IDS.lastName).element).not.toHaveProperty('initial_value');
    expect(inputIn(view, BLOCK_IDS.image).element).not.toHaveProperty('initial_value');
    expect(inputIn(view, BLOCK_IDS.firstName).element.initial_value).toBe('Alice');
  });

  it('pre-fills none of 10 000-character values, stays within limits, and escapes the header', () => {
    const view = valid(
      editModal(
        {
          ...alice,
          firstName: '<!channel>'.repeat(1000),
          lastName: 'é'.repeat(10_000),
          image: 'h'.repeat(10_000),
        },
        METADATA,
      ),
    );
    for (const blockId of [BLOCK_IDS.firstName, BLOCK_IDS.lastName, BLOCK_IDS.image]) {
      const { block, element } = inputIn(view, blockId);
      expect(element).not.toHaveProperty('initial_value');
      expect(block.hint?.text).toContain('(10000 characters)');
      expect(block.hint?.text.length).toBeLessThanOrEqual(2000);
    }
    expect(editPrefill({ ...alice, firstName: '<!channel>'.repeat(1000) }).firstName).toBe('');
    for (const text of parsedTexts(view)) expect(text).not.toContain('<!channel>');
    expect(parsedTexts(view).join('\n')).toContain('&lt;!channel&gt;');
  });
});

describe('deactivateModal', () => {
  it('shows who is affected, what happens, the approvals needed and asks for a reason', () => {
    const view = valid(deactivateModal(alice, 'left the company', 1, METADATA));
    expect(view.callback_id).toBe(CALLBACK_IDS.deactivate);
    expect(view.private_metadata).toBe(METADATA);
    expect(view.submit?.text).toBe('Request deactivation');
    const shown = visibleText(view.blocks);
    expect(shown).toContain('*Alice Martin*\nalice.martin@example.com\n:large_green_circle: active');
    expect(shown).toContain(TARGET_ID);
    expect(shown).toContain('Alice Martin cannot sign in or connect until reactivated.');
    expect(shown).toContain('Needs *1 approval*');
    const { block, element } = inputIn(view, BLOCK_IDS.reason);
    expect(block.optional).toBeUndefined();
    expect(element).toMatchObject({
      action_id: INPUT_ACTION_ID,
      multiline: true,
      max_length: 1000,
      initial_value: 'left the company',
    });
  });

  it('leaves the reason empty when the command gave none, and keeps 10 000 characters within limits', () => {
    expect(
      inputIn(valid(deactivateModal(alice, undefined, 1, METADATA)), BLOCK_IDS.reason).element,
    ).not.toHaveProperty('initial_value');
    const hostile = {
      ...alice,
      firstName: '<!channel>'.repeat(1000),
      email: '&'.repeat(10_000),
      status: '<'.repeat(10_000),
    };
    const view = valid(deactivateModal(hostile, 'r'.repeat(10_000), 3, METADATA));
    expect(inputIn(view, BLOCK_IDS.reason).element.initial_value?.length).toBeLessThanOrEqual(1000);
    for (const text of parsedTexts(view)) expect(text).not.toContain('<!channel>');
    expect(visibleText(view.blocks)).toContain('Needs *3 approvals*');
  });
});

describe('deleteModal', () => {
  it('warns that deletion cannot be undone and asks for a reason and a typed confirmation', () => {
    const view = valid(deleteModal(alice, 'retention period over', 2, METADATA));
    expect(view.callback_id).toBe(CALLBACK_IDS.delete);
    expect(view.private_metadata).toBe(METADATA);
    expect(view.submit?.text).toBe('Request deletion');
    const shown = visibleText(view.blocks);
    expect(shown).toContain('*Deletion is permanent and cannot be undone.*');
    expect(shown).toContain('devices are deactivated');
    expect(shown).toContain('access is revoked');
    expect(shown).toContain('Needs *2 approvals*');
    expect(inputIn(view, BLOCK_IDS.reason).element.initial_value).toBe('retention period over');
    const confirm = inputIn(view, BLOCK_IDS.confirm);
    expect(confirm.block.optional).toBeUndefined();
    expect(confirm.block.label.text).toBe(`Type ${DELETE_CONFIRMATION_WORD} to confirm`);
    expect(confirm.element.action_id).toBe(INPUT_ACTION_ID);
    expect(confirm.element).not.toHaveProperty('initial_value');
  });
});

describe('rejectModal', () => {
  it('sums up what is rejected and asks for an optional reason', () => {
    const view = valid(rejectModal(request({ action: 'delete', requiredApprovals: 2 }), 'r1'));
    expect(view.callback_id).toBe(CALLBACK_IDS.reject);
    expect(view.private_metadata).toBe('r1');
    expect(view.submit?.text).toBe('Reject');
    const shown = visibleText(view.blocks);
    expect(shown).toContain('Reject the request to *delete* Alice Martin?');
    expect(shown).toContain('Requested by <@U0REQUESTER> · approvals 0/2');
    expect(shown).toContain('>Left the company');
    const { block, element } = inputIn(view, BLOCK_IDS.rejectReason);
    expect(block.optional).toBe(true);
    expect(element).toMatchObject({ action_id: INPUT_ACTION_ID, multiline: true, max_length: 1000 });
  });

  it('escapes hostile and 10 000-character request text', () => {
    const view = valid(
      rejectModal(
        request({
          target: { ...alice, firstName: '<!channel>'.repeat(1000) },
          reason: '<!here> '.repeat(2000),
          requesterId: '<!channel>',
        }),
        'r1',
      ),
    );
    for (const text of parsedTexts(view)) expect(text).not.toMatch(/<!(channel|here)>/);
    expect(parsedTexts(view).join('\n')).toContain('Requested by &lt;!channel&gt;');
  });
});
