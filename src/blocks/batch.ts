import type { ActionsBlock, Button, KnownBlock } from '@slack/types';
import type {
  Action,
  Batch,
  BatchRequest,
  ExcludedTarget,
  ItemOutcome,
  TargetSnapshot,
} from '../approvals/types.js';
import { ACTION_IDS } from './ids.js';
import { button, context, plural, section } from './kit.js';
import { MAX_SECTION_TEXT } from './limits.js';
import {
  type BlockMessage,
  code,
  escapeAndTruncate,
  mrkdwnList,
  packText,
  plainText,
  slackDateMs,
  userMention,
} from './mrkdwn.js';
import { userDisplayName } from './user-card.js';

// Room given to each string of a line, so that a list of them stays readable and within a section.
const NAME_MAX = 100;
const EMAIL_MAX = 100;
const ID_MAX = 80;
const REASON_MAX = 200;

export const BATCH_NAMES_SHOWN = 10;
const EXCLUDED_SHOWN = 15;
const FAILURES_SHOWN = 20;
/** Sections per report reply: 4 × 3000 characters stays an easy read. */
const REPORT_SECTIONS = 4;

export interface BatchCounts {
  total: number;
  done: number;
  /** Already in the wanted state. */
  noop: number;
  failed: number;
  notRun: number;
  /** Users with any result. */
  finished: number;
}

const VERBING: Readonly<Record<Action, string>> = {
  edit: 'Editing',
  deactivate: 'Deactivating',
  delete: 'Deleting',
};
const DONE_LABEL: Readonly<Record<Action, string>> = {
  edit: 'Edited',
  deactivate: 'Deactivated',
  delete: 'Deleted',
};
const NOOP_LABEL: Readonly<Record<Action, string>> = {
  edit: 'unchanged',
  deactivate: 'already inactive',
  delete: 'already gone',
};

type Group = 'done' | 'noop' | 'failed' | 'notRun';

/** Which count a result falls in; no result at all is `undefined`. */
function groupOf(outcome: ItemOutcome | undefined): Group | undefined {
  if (outcome === undefined) return undefined;
  if (outcome.code === 'not_run') return 'notRun';
  if (!outcome.ok) return 'failed';
  return outcome.code === 'noop' ? 'noop' : 'done';
}

/** Only results of the batch's own targets count. */
export function countResults(batch: Batch, results: ReadonlyMap<string, ItemOutcome>): BatchCounts {
  const counts = { total: batch.targets.length, done: 0, noop: 0, failed: 0, notRun: 0, finished: 0 };
  for (const target of batch.targets) {
    const group = groupOf(results.get(target.id));
    if (group === undefined) continue;
    counts[group] += 1;
    counts.finished += 1;
  }
  return counts;
}

/** "▰▰▰▱▱▱▱▱▱▱ 30%": floored, so full only when `fraction` reaches 1. */
export function progressBar(fraction: number, cells = 10): string {
  const clamped = Number.isFinite(fraction) ? Math.min(1, Math.max(0, fraction)) : 0;
  const filled = Math.floor(clamped * cells);
  return `${'▰'.repeat(filled)}${'▱'.repeat(cells - filled)} ${Math.floor(clamped * 100)}%`;
}

/** "*47 users*", then "• *Name* · email · `id`" for the first BATCH_NAMES_SHOWN, then how many more. */
export function batchTargetsText(batch: Pick<Batch, 'targets'>): string {
  const heading = `*${plural(batch.targets.length, 'user')}*`;
  const lines = batch.targets.map(targetLine);
  const list = mrkdwnList(lines, {
    max: BATCH_NAMES_SHOWN,
    maxChars: MAX_SECTION_TEXT - heading.length - 1,
    bullet: '•',
  });
  return list ? `${heading}\n${list}` : heading;
}

/** "*Name* · email · `id`", escaped and bounded (about 300 characters at most). */
export function targetLine(target: TargetSnapshot): string {
  const name = escapeAndTruncate(userDisplayName(target), NAME_MAX, { singleLine: true });
  const email = escapeAndTruncate(target.email ?? '', EMAIL_MAX, { singleLine: true }).trim();
  return [`*${name}*`, ...(email && email !== name ? [email] : []), idCode(target.id)].join(' · ');
}

/** "`id` Name — reason", escaped and bounded (about 400 characters at most). */
export function excludedLine(excluded: ExcludedTarget): string {
  const name = escapeAndTruncate(excluded.name ?? '', NAME_MAX, { singleLine: true }).trim();
  return `${idCode(excluded.id)}${name ? ` ${name}` : ''} — ${reasonText(excluded.reason)}`;
}

/** "*Left out (N)*", one line per id and why, and the duplicates; `undefined` when nothing was left out. */
export function excludedText(batch: Pick<Batch, 'excluded' | 'duplicates'>): string | undefined {
  if (batch.excluded.length === 0 && batch.duplicates <= 0) return undefined;
  const heading = `*Left out (${batch.excluded.length})*`;
  const duplicates =
    batch.duplicates > 0 ? `\n• ${plural(batch.duplicates, 'duplicate id')} folded into one` : '';
  const lines = batch.excluded.map(excludedLine);
  const list = mrkdwnList(lines, {
    max: EXCLUDED_SHOWN,
    maxChars: MAX_SECTION_TEXT - heading.length - duplicates.length - 1,
    bullet: '•',
  });
  return `${heading}${list ? `\n${list}` : ''}${duplicates}`;
}

/** "412/500 done · 3 failed · 5 already inactive · 88 not run": done counts every user in the wanted state. */
export function countsLine(action: Action, counts: BatchCounts): string {
  return [`${counts.done + counts.noop}/${counts.total} done`, ...tally(action, counts)].join(' · ');
}

/** The progress reply in the request's thread, updated in place; once over, the failures and why. */
export function batchSummary(request: BatchRequest, results: ReadonlyMap<string, ItemOutcome>): BlockMessage {
  const { action, batch, state } = request;
  const counts = countResults(batch, results);
  const title = `${VERBING[action]} ${plural(counts.total, 'user')}`;
  const blocks: KnownBlock[] = [];
  let status = '';
  let tallied = countsLine(action, counts);
  switch (state) {
    case 'succeeded':
    case 'failed': {
      const heading =
        counts.failed > 0 ? ':warning: *Finished with failures*' : ':white_check_mark: *Finished*';
      blocks.push(section(`${heading}\n${tallied}\n${progressBar(1)}`));
      status = ' — finished';
      break;
    }
    case 'stopped': {
      const ran = counts.done + counts.noop + counts.failed;
      const by = request.decidedBy === undefined ? 'someone' : userMention(request.decidedBy);
      const rest = tally(action, { ...counts, notRun: counts.total - ran });
      tallied = `${ran} of ${counts.total} ran: ${[`${counts.done + counts.noop} done`, ...rest].join(' · ')}`;
      blocks.push(
        section(`:octagonal_sign: *Stopped by ${by}* · ${slackDateMs(request.decidedAt)}\n${tallied}`),
      );
      status = ' — stopped';
      break;
    }
    case 'rejected':
    case 'cancelled':
    case 'expired':
      blocks.push(section(`:heavy_multiplication_x: *${title}* — not run: the request was ${state}`));
      status = ` — ${state}`;
      break;
    default:
      blocks.push(section(`:gear: *${title}*\n${tallied}\n${progressBar(counts.finished / counts.total)}`));
  }
  if (state === 'succeeded' || state === 'failed' || state === 'stopped') {
    if (counts.failed > 0) blocks.push(section(failuresText(batch, results, counts.failed)));
    blocks.push(context('Every user’s result is listed in the replies below.'));
  }
  return { text: `${title}${status}: ${tallied}`, blocks };
}

/** Every user's result for the audit trail, as thread replies: failed, not run, already so, done. */
export function batchReport(
  request: BatchRequest,
  results: ReadonlyMap<string, ItemOutcome>,
): BlockMessage[] {
  const { action, batch } = request;
  const groups: Record<Group, string[]> = { failed: [], notRun: [], noop: [], done: [] };
  for (const target of batch.targets) {
    const outcome = results.get(target.id);
    const group = groupOf(outcome) ?? 'notRun';
    const line = group === 'failed' && outcome ? failureLine(target, outcome) : userLine(target);
    groups[group].push(`• ${line}`);
  }
  const labels: Record<Group, string> = {
    failed: 'Failed',
    notRun: 'Not run',
    noop: capitalize(NOOP_LABEL[action]),
    done: DONE_LABEL[action],
  };
  const parts = (['failed', 'notRun', 'noop', 'done'] as const).flatMap((group) => {
    const [first, ...rest] = groups[group];
    return first === undefined ? [] : [`*${labels[group]} (${groups[group].length})*\n${first}`, ...rest];
  });
  const sections = packText(parts);
  const replies = Math.ceil(sections.length / REPORT_SECTIONS);
  const about = `${capitalize(action)} ${plural(batch.targets.length, 'user')}`;
  return Array.from({ length: replies }, (_, i) => ({
    text: `Results ${i + 1}/${replies}`,
    blocks: [
      section(`*Results ${i + 1}/${replies}* — ${about}`),
      ...sections.slice(i * REPORT_SECTIONS, (i + 1) * REPORT_SECTIONS).map(section),
    ],
  }));
}

/** Stop while it runs; once over, a retry of the failed users; otherwise nothing. */
export function batchButtons(request: BatchRequest, failedCount: number): ActionsBlock | undefined {
  const { state } = request;
  if (state === 'approved' || state === 'queued' || state === 'running') {
    const verb = DONE_LABEL[request.action].toLowerCase();
    const stop: Button = {
      ...button('Stop', ACTION_IDS.batchStop, request.id, 'danger'),
      confirm: {
        title: plainText('Stop this batch?'),
        text: plainText(`Users not started yet will not be ${verb}. Users already done stay done.`),
        confirm: plainText('Stop'),
        deny: plainText('Back'),
        style: 'danger',
      },
    };
    return { type: 'actions', elements: [stop] };
  }
  if ((state === 'succeeded' || state === 'failed' || state === 'stopped') && failedCount > 0) {
    return {
      type: 'actions',
      elements: [button(`Retry failed (${failedCount})`, ACTION_IDS.batchRetry, request.id)],
    };
  }
  return undefined;
}

function failuresText(batch: Batch, results: ReadonlyMap<string, ItemOutcome>, failed: number): string {
  const heading = `*Failed (${failed})*`;
  const lines = batch.targets.flatMap((target) => {
    const outcome = results.get(target.id);
    return outcome && groupOf(outcome) === 'failed' ? [failureLine(target, outcome)] : [];
  });
  const list = mrkdwnList(lines, {
    max: FAILURES_SHOWN,
    maxChars: MAX_SECTION_TEXT - heading.length - 1,
    bullet: '•',
  });
  return `${heading}\n${list}`;
}

/** "3 failed", then "5 already inactive" and "88 not run" when there are any. */
function tally(action: Action, counts: BatchCounts): string[] {
  const parts = [`${counts.failed} failed`];
  if (counts.noop > 0) parts.push(`${counts.noop} ${NOOP_LABEL[action]}`);
  if (counts.notRun > 0) parts.push(`${counts.notRun} not run`);
  return parts;
}

/** "`id` Name". */
function userLine(target: TargetSnapshot): string {
  return `${idCode(target.id)} ${escapeAndTruncate(userDisplayName(target), NAME_MAX, { singleLine: true })}`;
}

/** "`id` Name — reason". */
function failureLine(target: TargetSnapshot, outcome: ItemOutcome): string {
  return `${userLine(target)} — ${reasonText(outcome.summary)}`;
}

function idCode(id: string): string {
  return code(id, ID_MAX) || '_blank_';
}

function reasonText(reason: string): string {
  return escapeAndTruncate(reason, REASON_MAX, { singleLine: true }).trim() || 'no reason recorded';
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
