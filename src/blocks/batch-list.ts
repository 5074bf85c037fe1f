import type { ActionsBlock, Button, KnownBlock, ModalView } from '@slack/types';
import type { Batch, BatchRequest } from '../approvals/types.js';
import { excludedLine, targetLine } from './batch.js';
import { ACTION_IDS, CALLBACK_IDS } from './ids.js';
import { button, context, plural, section } from './kit.js';
import { MAX_MODAL_TITLE } from './limits.js';
import { code, packText, plainText, truncate } from './mrkdwn.js';

/** Lines per page: at most ~400 characters each, so a page stays far below 100 blocks. */
export const BATCH_LIST_PAGE_SIZE = 100;

const ID_MAX = 80;

type Group = 'targets' | 'excluded';
interface Entry {
  group: Group;
  /** 1-based within its group. */
  number: number;
  line: string;
}

/** "Show all 500 users" beside the card's first names; the value is the request id. */
export function showAllButton(requestId: string, count: number): Button {
  return button(`Show all ${plural(count, 'user')}`, ACTION_IDS.batchShowAll, requestId);
}

/** Pages the list takes: every user acted on, then every id left out. */
export function batchListPages(batch: Pick<Batch, 'targets' | 'excluded'>): number {
  return Math.max(1, Math.ceil((batch.targets.length + batch.excluded.length) / BATCH_LIST_PAGE_SIZE));
}

/** A page number as sent back by a button: a whole number within 1..pages, anything else page 1. */
export function clampPage(page: unknown, pages: number): number {
  const asked = typeof page === 'string' && /^\d{1,6}$/.test(page) ? Number(page) : Number.NaN;
  if (!Number.isSafeInteger(asked) || asked < 1) return 1;
  return Math.min(asked, Math.max(1, pages));
}

/** One page of a bulk request's users as stored (what the worker acts on), in order, numbered. */
export function batchListModal(request: BatchRequest, page: number, privateMetadata: string): ModalView {
  const { batch } = request;
  const pages = batchListPages(batch);
  const current = clampPage(String(page), pages);
  const entries = pageEntries(batch, current);
  const verb = request.action === 'delete' ? 'Delete' : 'Deactivate';
  const total = batch.targets.length;
  const blocks: KnownBlock[] = [
    section(
      `*${verb} ${plural(total, 'user')}* · request ${code(request.id, ID_MAX)} · ${request.state}\n` +
        `Page ${current} of ${pages}`,
    ),
  ];
  for (const group of ['targets', 'excluded'] as const) {
    const lines = entries.filter((entry) => entry.group === group);
    const first = lines[0];
    const last = lines.at(-1);
    if (first === undefined || last === undefined) continue;
    const of = group === 'targets' ? total : batch.excluded.length;
    const heading = `*${group === 'targets' ? 'Users' : 'Left out'} ${first.number}–${last.number} of ${of}*`;
    for (const text of packText([heading, ...lines.map((entry) => `${entry.number}. ${entry.line}`)]))
      blocks.push(section(text));
  }
  if (current === pages && batch.duplicates > 0)
    blocks.push(section(`${plural(batch.duplicates, 'duplicate id')} folded into one.`));
  blocks.push(context('Read from the stored request: exactly the users it acts on.'));
  const nav = pageButtons(current, pages);
  if (nav) blocks.push(nav);
  return {
    type: 'modal',
    callback_id: CALLBACK_IDS.batchList,
    private_metadata: privateMetadata,
    title: plainText(truncate(`${verb} ${plural(total, 'user')}`, MAX_MODAL_TITLE)),
    close: plainText('Close'),
    blocks,
  };
}

function pageEntries(batch: Pick<Batch, 'targets' | 'excluded'>, page: number): Entry[] {
  const start = (page - 1) * BATCH_LIST_PAGE_SIZE;
  const end = start + BATCH_LIST_PAGE_SIZE;
  const entries: Entry[] = [];
  const targets = batch.targets.slice(start, end);
  targets.forEach((target, i) => {
    entries.push({ group: 'targets', number: start + i + 1, line: targetLine(target) });
  });
  const from = Math.max(0, start - batch.targets.length);
  const excluded = batch.excluded.slice(from, from + BATCH_LIST_PAGE_SIZE - targets.length);
  excluded.forEach((left, i) => {
    entries.push({ group: 'excluded', number: from + i + 1, line: excludedLine(left) });
  });
  return entries;
}

function pageButtons(page: number, pages: number): ActionsBlock | undefined {
  const elements: Button[] = [];
  if (page > 1) elements.push(button('◀ Previous', ACTION_IDS.batchListPrevious, String(page - 1)));
  if (page < pages) elements.push(button('Next ▶', ACTION_IDS.batchListNext, String(page + 1), 'primary'));
  return elements.length > 0 ? { type: 'actions', elements } : undefined;
}
