import type { ActionsBlock, Button, ModalView, SectionBlock } from '@slack/types';
import { describe, expect, it } from 'vitest';
import type { BatchRequest, ExcludedTarget, TargetSnapshot } from '../../src/approvals/types.js';
import { approvalMessage } from '../../src/blocks/approval-card.js';
import {
  BATCH_LIST_PAGE_SIZE,
  batchListModal,
  batchListPages,
  clampPage,
} from '../../src/blocks/batch-list.js';
import { ACTION_IDS, CALLBACK_IDS } from '../../src/blocks/ids.js';
import { blockKitProblems } from '../helpers/block-kit.js';
import { parsedTexts, visibleText, withoutOwnMarkup } from '../helpers/blocks-text.js';
import { sampleRequest } from '../helpers/sample-request.js';

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

function request(
  targets: TargetSnapshot[],
  excluded: ExcludedTarget[] = [],
  overrides: Partial<BatchRequest> = {},
): BatchRequest {
  return {
    id: 'rabcdefghijklmno',
    action: 'deactivate',
    batch: { targets, excluded, duplicates: 0 },
    reason: 'Offboarding',
    requesterId: 'U0REQUESTER',
    channelId: 'C0APPROVALS',
    messageTs: '1717405200.000100',
    requiredApprovals: 1,
    approvals: [],
    state: 'pending',
    createdAt: AT,
    expiresAt: AT + 86_400_000,
    attempts: 0,
    version: 1,
    ...overrides,
  };
}

const pageOf = (r: BatchRequest, page: number) => batchListModal(r, page, JSON.stringify({ r: r.id }));
const allPages = (r: BatchRequest) =>
  Array.from({ length: batchListPages(r.batch) }, (_, i) => pageOf(r, i + 1));
const navButtons = (view: ModalView) =>
  view.blocks.flatMap((b) => (b.type === 'actions' ? ((b as ActionsBlock).elements as Button[]) : []));

describe('the bulk list modal', () => {
  it('lists 500 users and 20 left out across pages, each exactly once, in order, numbered', () => {
    const targets = Array.from({ length: 500 }, (_, i) => target(i));
    const excluded = Array.from(
      { length: 20 },
      (_, i): ExcludedTarget => ({
        id: uuid(1000 + i),
        code: 'inactive',
        reason: 'Already inactive: nothing to do.',
      }),
    );
    const r = request(targets, excluded);
    const pages = allPages(r);
    expect(pages).toHaveLength(Math.ceil(520 / BATCH_LIST_PAGE_SIZE));
    const text = pages.map((view) => visibleText(view.blocks)).join('\n');
    let last = -1;
    for (const [i, t] of targets.entries()) {
      expect(text.split(t.id).length - 1, t.id).toBe(1);
      const at = text.indexOf(`${i + 1}. *First${i} Last${i}*`);
      expect(at, t.id).toBeGreaterThan(last);
      last = at;
    }
    for (const e of excluded) expect(text.split(e.id).length - 1, e.id).toBe(1);
    expect(text).toContain('Users 1–100 of 500');
    expect(text).toContain('Users 401–500 of 500');
    expect(text).toContain('Left out 1–20 of 20');
    expect(text.indexOf('Left out')).toBeGreaterThan(text.indexOf(uuid(499)));
    for (const [i, view] of pages.entries()) {
      expect(blockKitProblems('modal', view), `page ${i + 1}`).toEqual([]);
      expect(view.callback_id).toBe(CALLBACK_IDS.batchList);
      expect(view.private_metadata).toBe(JSON.stringify({ r: r.id }));
      expect(visibleText(view.blocks)).toContain(`Page ${i + 1} of ${pages.length}`);
    }
  });

  it('Previous and Next point at the neighbouring pages, none beyond the ends', () => {
    const r = request(Array.from({ length: 250 }, (_, i) => target(i)));
    const [first, middle, last] = allPages(r).map(navButtons);
    expect(first?.map((b) => [b.action_id, b.value])).toEqual([[ACTION_IDS.batchListNext, '2']]);
    expect(middle?.map((b) => [b.action_id, b.value])).toEqual([
      [ACTION_IDS.batchListPrevious, '1'],
      [ACTION_IDS.batchListNext, '3'],
    ]);
    expect(last?.map((b) => [b.action_id, b.value])).toEqual([[ACTION_IDS.batchListPrevious, '2']]);
    expect(navButtons(pageOf(request([target(1)]), 1))).toEqual([]);
  });

  it('escapes hostile names, emails, ids and reasons and stays within Block Kit limits at 10 000 characters each', () => {
    const huge = `<!channel> ${'x'.repeat(10_000)}`;
    const targets = Array.from({ length: 500 }, (_, i) =>
      target(i, { firstName: huge, lastName: '<@U0BOSS>', email: `<https://evil.example|${huge}>` }),
    );
    const excluded = Array.from(
      { length: 120 },
      (_, i): ExcludedTarget => ({
        id: `<!here>${'`'.repeat(3)}${'y'.repeat(5000)}${i}`,
        code: 'malformed',
        reason: huge,
        name: '<!everyone>',
      }),
    );
    const r = request(targets, excluded);
    const pages = allPages(r);
    expect(pages).toHaveLength(7);
    for (const [i, view] of pages.entries()) {
      expect(blockKitProblems('modal', view), `page ${i + 1}`).toEqual([]);
      expect(view.blocks.length).toBeLessThanOrEqual(100);
      for (const block of view.blocks)
        if (block.type === 'section')
          expect((block as SectionBlock).text?.text.length).toBeLessThanOrEqual(3000);
      const left = withoutOwnMarkup(parsedTexts({ blocks: view.blocks }), { quotes: false });
      for (const text of left) expect(text).not.toMatch(/[<>]/);
      expect(visibleText(view.blocks)).toContain('&lt;!channel&gt;');
    }
    // Every user is still there, by number, however long the names are.
    const text = pages.map((view) => visibleText(view.blocks)).join('\n');
    for (const t of targets) expect(text.split(t.id).length - 1, t.id).toBe(1);
    for (let n = 1; n <= 120; n++) expect(text).toContain(`\n${n}. \``);
  });

  it('clamps a page number that is out of range, negative, fractional or not a number', () => {
    expect(clampPage('3', 5)).toBe(3);
    expect(clampPage('5', 5)).toBe(5);
    expect(clampPage('6', 5)).toBe(5);
    expect(clampPage('99999999999999999999', 5)).toBe(1);
    for (const bad of ['0', '-1', '2.5', '1e3', 'abc', '', ' 2', undefined, 2, null])
      expect(clampPage(bad, 5), String(bad)).toBe(1);
    const view = pageOf(request(Array.from({ length: 150 }, (_, i) => target(i))), 42);
    expect(visibleText(view.blocks)).toContain('Page 2 of 2');
  });

  it('the card of a bulk request has a Show all button naming the count; a single request has none', () => {
    const r = request(Array.from({ length: 500 }, (_, i) => target(i)));
    const card = approvalMessage(r);
    const accessories = card.blocks.flatMap((b) =>
      b.type === 'section' && (b as SectionBlock).accessory ? [(b as SectionBlock).accessory as Button] : [],
    );
    expect(accessories).toEqual([
      expect.objectContaining({ action_id: ACTION_IDS.batchShowAll, value: r.id }),
    ]);
    expect(accessories[0]?.text.text).toBe('Show all 500 users');
    expect(blockKitProblems('message', card.blocks)).toEqual([]);
    for (const state of ['succeeded', 'cancelled', 'expired'] as const)
      expect(JSON.stringify(approvalMessage({ ...r, state }).blocks)).toContain(ACTION_IDS.batchShowAll);
    expect(JSON.stringify(approvalMessage(sampleRequest()).blocks)).not.toContain(ACTION_IDS.batchShowAll);
  });
});
