import type { ActionsBlock, InputBlock } from '@slack/types';
import { isScheduled } from '../approvals/schedule.js';
import type { ApprovalRequest } from '../approvals/types.js';
import { ACTION_IDS, BLOCK_IDS } from './ids.js';
import { button, dateTimePicker, input } from './kit.js';
import { MAX_CONFIRM_TEXT } from './limits.js';
import { plainText, truncate } from './mrkdwn.js';

// A scheduled change on the request message: its time in each reader's time zone (Slack's date token,
// the UTC time as the fallback), the countdown state and its Cancel button.

/** `<!date^…^{date_short_pretty} {time}|2026-12-04 16:00 UTC>`: each reader sees their own time zone. */
export function runTime(ms: number, format = '{date_short_pretty} {time}'): string {
  const date = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  const utc =
    `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())} ` +
    `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())} UTC`;
  return `<!date^${Math.floor(ms / 1000)}^${format}|${utc}>`;
}

/** The same time in UTC words, for plain text (a modal's error, a confirm dialog). */
export function utcWords(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** Pending with a time: when it will run once approved. */
export function runsAtLine(request: ApprovalRequest): string | undefined {
  if (request.runAt === undefined || request.state !== 'pending') return undefined;
  return `:alarm_clock: Runs at ${runTime(request.runAt)} once approved`;
}

/** The state line of an approved change waiting for its time: "Approved — runs Fri 17:00". */
export function waitingState(request: ApprovalRequest): string | undefined {
  if (!isScheduled(request) || request.runAt === undefined) return undefined;
  return `:alarm_clock: *Approved — runs ${runTime(request.runAt, '{date_short} at {time}')}*\nCancel stops it until then.`;
}

/** Once it was queued (or finished): the time it was scheduled for. */
export function scheduledForLine(request: ApprovalRequest): string | undefined {
  if (request.runAt === undefined || request.state === 'pending' || isScheduled(request)) return undefined;
  return `Scheduled for ${runTime(request.runAt)}`;
}

/** Cancel, with a confirm dialog, while an approved change waits for its time. */
export function waitingButtons(request: ApprovalRequest): ActionsBlock | undefined {
  if (!isScheduled(request) || request.runAt === undefined) return undefined;
  const cancel = button('Cancel', ACTION_IDS.cancel, request.id, 'danger');
  cancel.confirm = {
    title: plainText('Cancel this change?'),
    text: plainText(
      truncate(
        `It was approved to run at ${utcWords(request.runAt)}. Nothing will be done, and a new request is needed to do it later.`,
        MAX_CONFIRM_TEXT,
      ),
    ),
    confirm: plainText('Cancel the change'),
    deny: plainText('Keep it'),
    style: 'danger',
  };
  return { type: 'actions', elements: [cancel] };
}

/** The deactivate / delete modals' optional "Run at" picker, pre-filled by `--at`. */
export function runAtInput(initialMs: number | undefined): InputBlock {
  return input(BLOCK_IDS.runAt, 'Run at (optional)', dateTimePicker(initialMs), {
    optional: true,
    hint: 'Leave empty to run as soon as it is approved. In your time zone; at most 90 days ahead. Approvers can approve before then, and it can be cancelled until it runs.',
  });
}
