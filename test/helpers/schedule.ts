import { readFileSync } from 'node:fs';
import { ACTION_IDS, BLOCK_IDS, CALLBACK_IDS, INPUT_ACTION_ID } from '../../src/blocks/ids.js';
import { approvalPosted, click, mark, type PostedRequest, type ShownView, viewShown } from './flows.js';
import type { Driver } from './harness.js';
import { REQUESTER } from './harness.js';
import { sharedPath } from './shared.js';

// Scheduled changes as a requester makes them: the "Run at" picker submitted as Slack submits one.

const realViewSubmission = JSON.parse(
  readFileSync(sharedPath('slack/interactions/view_submission/bolt_python_plain_text.json'), 'utf8'),
) as { view: Record<string, unknown> } & Record<string, unknown>;

/** The picker's pre-selected time (epoch ms) in a shown modal, if any. */
export function pickerInitial(shown: ShownView): number | undefined {
  const blocks = (shown.view.blocks ?? []) as Array<{
    block_id?: string;
    element?: { initial_date_time?: number };
  }>;
  const seconds = blocks.find((b) => b.block_id === BLOCK_IDS.runAt)?.element?.initial_date_time;
  return seconds === undefined ? undefined : seconds * 1000;
}

/** A view_submission with typed values and the "Run at" picker set to `runAtMs` (null: left empty). */
export function submitScheduled(
  h: Driver,
  shown: ShownView,
  values: Record<string, string>,
  runAtMs: number | null,
  userId = REQUESTER,
) {
  const state: Record<string, unknown> = Object.fromEntries(
    Object.entries(values).map(([block, value]) => [
      block,
      { [INPUT_ACTION_ID]: { type: 'plain_text_input', value } },
    ]),
  );
  state[BLOCK_IDS.runAt] = {
    [INPUT_ACTION_ID]: {
      type: 'datetimepicker',
      selected_date_time: runAtMs === null ? null : Math.floor(runAtMs / 1000),
    },
  };
  return h.interact({
    ...realViewSubmission,
    user: { id: userId, username: userId.toLowerCase(), name: userId.toLowerCase(), team_id: 'T111' },
    view: {
      ...realViewSubmission.view,
      id: shown.id,
      callback_id: shown.callbackId,
      private_metadata: shown.privateMetadata,
      blocks: shown.view.blocks,
      state: { values: state },
    },
  });
}

/** Command → modal → submit with a time: the scheduled request as posted for approval. */
export async function scheduleRequest(
  h: Driver,
  action: 'deactivate' | 'delete',
  targetId: string,
  runAtMs: number,
  userId = REQUESTER,
): Promise<PostedRequest> {
  const start = mark(h);
  await h.command(`${action} ${targetId}`, { user_id: userId });
  const shown = await viewShown(h, CALLBACK_IDS[action], start);
  const values: Record<string, string> = { [BLOCK_IDS.reason]: 'last day' };
  if (action === 'delete') values[BLOCK_IDS.confirm] = 'DELETE';
  const answer = await submitScheduled(h, shown, values, runAtMs, userId);
  if (answer.text) throw new Error(`submit refused: ${answer.text}`);
  return approvalPosted(h, start);
}

export const cancelBy = (h: Driver, posted: PostedRequest, userId: string, value = posted.requestId) =>
  click(h, { actionId: ACTION_IDS.cancel, value, userId, channel: posted.channel, ts: posted.ts });

/** A whole minute (the picker's precision), `ms` from `now`. */
export const minuteFrom = (now: number, ms: number): number => Math.floor((now + ms) / 60_000) * 60_000;
