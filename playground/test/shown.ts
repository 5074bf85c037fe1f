import type { Locator } from 'playwright-core';
import type { SlackCall } from '../../test/fakes/slack/server.js';
import { eventually } from '../../test/helpers/poll.js';

// What a reader sees of Block Kit, derived plainly from the blocks the app sent (not through the page's
// renderer): every text a person reads, mrkdwn markup and tokens cut out, in order. The page must show each
// piece, in that order.

// Texts that are not on screen until asked for (a confirm dialog), or not text at all.
const HIDDEN_KEYS = new Set(['placeholder', 'confirm', 'accessibility_label', 'alt_text', 'initial_value']);
// Slack's special tokens (<@U…>, <!date^…|…>, <#C…>, <!here>) and emoji codes: rendered as names, dates,
// pictures; each cuts its text into two pieces that must both show.
const TOKEN = /<[@#!][^>]*>|:[a-z0-9_+-]+:/g;

function readTexts(node: unknown, out: string[]): void {
  if (Array.isArray(node)) {
    for (const item of node) readTexts(item, out);
    return;
  }
  if (!node || typeof node !== 'object') return;
  for (const [key, value] of Object.entries(node)) {
    if (HIDDEN_KEYS.has(key)) continue;
    if (key === 'text' && typeof value === 'string') out.push(value);
    else readTexts(value, out);
  }
}

/** Markup-free, whitespace-collapsed text: what both sides are compared as. */
export function plain(text: string): string {
  return text
    .replace(/[*_~`]/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

export function expectedPieces(blocks: unknown): string[] {
  const texts: string[] = [];
  readTexts(blocks, texts);
  return texts.flatMap((text) =>
    text
      .replace(/<(https?:[^|>]*)\|([^>]*)>/g, '$2')
      .replace(/<(https?:[^>]*)>/g, '$1')
      .replace(TOKEN, '\n')
      .replace(/^&gt;\s?|^>\s?/gm, '')
      .replace(/&lt;/g, '<')
      .replace(/&gt;/g, '>')
      .replace(/&amp;/g, '&')
      .split('\n')
      .map(plain)
      .filter((piece) => piece.length > 1),
  );
}

/** The first expected piece the shown text lacks (in order), or undefined when all show. */
export function missingPiece(shown: string, blocks: unknown): string | undefined {
  const text = plain(shown);
  let from = 0;
  for (const piece of expectedPieces(blocks)) {
    const at = text.indexOf(piece, from);
    if (at < 0) return piece;
    from = at + piece.length;
  }
  return undefined;
}

/** What the page shows in `locator`, as a reader sees it (CSS applied, hidden parts left out). */
export function shownText(locator: Locator): Promise<string> {
  // biome-ignore lint/performance/useDomNodeTextContent: playwright's innerText, rendered text on purpose
  return locator.innerText({ timeout: 1000 });
}

/** Waits until `locator` shows every piece of `blocks`, in order; fails naming the piece missing. */
export async function expectShows(locator: Locator, blocks: unknown, timeoutMs = 10_000): Promise<void> {
  let last: { piece?: string; shown: string } = { shown: '' };
  try {
    await eventually(async () => {
      const shown = await shownText(locator).catch(() => '');
      const piece = missingPiece(shown, blocks);
      last = { shown, ...(piece !== undefined ? { piece } : {}) };
      return shown !== '' && piece === undefined;
    }, timeoutMs);
  } catch {
    throw new Error(`the page does not show ${JSON.stringify(last.piece)}; it shows:\n${last.shown}`);
  }
}

/** The blocks a message shows now, from the app's own calls: its post, then every update of it. */
export function latestBlocks(calls: readonly SlackCall[], ts: string): unknown[] {
  let blocks: unknown[] = [];
  for (const call of calls) {
    if (call.response?.ok !== true || call.response.ts !== ts) continue;
    if (call.method === 'chat.postMessage' || call.method === 'chat.update') {
      if (Array.isArray(call.args.blocks)) blocks = call.args.blocks;
    }
  }
  return blocks;
}
