import { readFileSync } from 'node:fs';
import { ACTION_IDS, BLOCK_IDS, CALLBACK_IDS, INPUT_ACTION_ID } from '../../src/blocks/ids.js';
import type { SlackCall } from '../fakes/slack/server.js';
import { visibleText } from './blocks-text.js';
import type { Driver, Harness, HttpAnswer } from './harness.js';
import { REQUESTER } from './harness.js';
import { sharedPath } from './shared.js';
import { blockActionPayload } from './slack-request.js';

// Real payloads from ../shared, with our values laid over them.
const realViewSubmission = JSON.parse(
  readFileSync(sharedPath('slack/interactions/view_submission/bolt_python_plain_text.json'), 'utf8'),
) as { view: Record<string, unknown> } & Record<string, unknown>;

export interface ShownView {
  id: string;
  callbackId: string;
  privateMetadata: string;
  view: Record<string, unknown>;
}

type Callback = (typeof CALLBACK_IDS)[keyof typeof CALLBACK_IDS];

/** The view a views.update / views.open call put on screen, once one with this callback id arrives. */
/** A point in the fake Slack's call log: "after" it means calls recorded later, whatever the clock says. */
export interface Mark {
  index: number;
}
export const mark = (h: Driver): Mark => ({ index: h.slack.calls.length });
const isAfter = (h: Driver, c: SlackCall, after: number | Mark) =>
  typeof after === 'number' ? c.at >= after : h.slack.calls.indexOf(c) >= after.index;

export async function viewShown(
  h: Driver,
  callbackId: Callback,
  after: number | Mark = 0,
): Promise<ShownView> {
  const isIt = (c: SlackCall) =>
    isAfter(h, c, after) &&
    (c.method === 'views.update' || c.method === 'views.open') &&
    (c.args.view as { callback_id?: string } | undefined)?.callback_id === callbackId;
  const calls = await h.slack.waitFor(isIt, { answered: true });
  const call = calls.at(-1) as SlackCall;
  const view = call.args.view as Record<string, unknown>;
  const id = (call.response?.view as { id?: string } | undefined)?.id ?? String(call.args.view_id);
  return { id, callbackId, privateMetadata: String(view.private_metadata ?? ''), view };
}

/** What Slack submits for inputs the user did not touch: their initial values. */
function initialValues(view: Record<string, unknown>): Record<string, string> {
  const blocks = (view.blocks ?? []) as Array<{
    type: string;
    block_id?: string;
    element?: { initial_value?: string };
  }>;
  return Object.fromEntries(
    blocks.flatMap((b) =>
      b.type === 'input' && b.block_id && b.element?.initial_value !== undefined
        ? [[b.block_id, b.element.initial_value]]
        : [],
    ),
  );
}

/** A view_submission for a modal: typed values per block id over the inputs' initial values. */
export function submit(h: Driver, shown: ShownView, values: Record<string, string>, userId = REQUESTER) {
  const state = Object.fromEntries(
    Object.entries({ ...initialValues(shown.view), ...values }).map(([block, value]) => [
      block,
      { [INPUT_ACTION_ID]: { type: 'plain_text_input', value } },
    ]),
  );
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

export interface PostedRequest {
  requestId: string;
  ts: string;
  channel: string;
}

/**
 * The approval message the bot posted (the newest with an Approve button). Not an approver's DM, which has
 * one too (NOTIFY_APPROVERS=dm): those are posted to a user id.
 */
export async function approvalPosted(h: Driver, after: number | Mark = 0): Promise<PostedRequest> {
  const calls = await h.slack.waitFor(
    (c) =>
      c.method === 'chat.postMessage' &&
      isAfter(h, c, after) &&
      !/^[UW]/.test(String(c.args.channel)) &&
      !!approveValue(c.args),
    { answered: true },
  );
  const call = calls.at(-1) as SlackCall;
  return {
    requestId: approveValue(call.args) as string,
    ts: String(call.response?.ts),
    channel: String(call.args.channel),
  };
}

function approveValue(args: Record<string, unknown>): string | undefined {
  const blocks = (args.blocks ?? []) as Array<{ elements?: Array<{ action_id?: string; value?: string }> }>;
  for (const block of blocks) {
    for (const element of block.elements ?? []) {
      if (element.action_id === ACTION_IDS.approve) return element.value;
    }
  }
  return undefined;
}

/** A button click on a message, as Slack posts it. */
export function click(
  h: Driver,
  options: { actionId: string; value: string; userId: string; channel: string; ts: string },
): Promise<HttpAnswer> {
  return h.interact(clickPayload(h, options));
}

export function clickPayload(
  h: Driver,
  options: { actionId: string; value: string; userId: string; channel: string; ts: string },
) {
  return blockActionPayload({
    ...options,
    botUserId: h.slack.botUserId,
    triggerId: h.slack.trigger(),
    responseUrl: h.slack.responseUrl(`click-${options.userId}-${Math.floor(Math.random() * 1e9)}`),
  });
}

export const approveBy = (h: Driver, posted: PostedRequest, userId: string) =>
  click(h, {
    actionId: ACTION_IDS.approve,
    value: posted.requestId,
    userId,
    channel: posted.channel,
    ts: posted.ts,
  });

/** Command → modal → submit: the request as posted for approval. */
export async function makeRequest(
  h: Driver,
  action: 'edit' | 'deactivate' | 'delete',
  targetId: string,
  values: Record<string, string> = {},
  command = `${action} ${targetId}`,
): Promise<PostedRequest> {
  const start = mark(h);
  await h.command(command);
  const shown = await viewShown(h, CALLBACK_IDS[action], start);
  const typed = initialValues(shown.view)[BLOCK_IDS.reason] ? {} : { [BLOCK_IDS.reason]: 'offboarding' };
  const confirm = action === 'delete' ? { [BLOCK_IDS.confirm]: 'DELETE' } : {};
  const defaults: Record<string, string> = action === 'edit' ? {} : { ...typed, ...confirm };
  const answer = await submit(h, shown, { ...defaults, ...values });
  if (answer.text) throw new Error(`submit refused: ${answer.text}`);
  return approvalPosted(h, start);
}

/** Ephemeral answers (response_url posts) sent to one clicker. */
export function ephemeralsFor(h: Driver, userId: string): string[] {
  return h.slack
    .callsTo('response_url')
    .filter((c) => c.responseUrlId?.startsWith(`click-${userId}-`))
    .map((c) => String(c.args.text ?? ''));
}

/** Thread replies under a request message. */
export function threadNotes(h: Driver, posted: PostedRequest): SlackCall[] {
  return h.slack.callsTo('chat.postMessage').filter((c) => c.args.thread_ts === posted.ts);
}

/** An approver clicks Reject and submits the reason modal. */
export async function rejectBy(h: Driver, posted: PostedRequest, userId: string, reason: string) {
  const start = mark(h);
  await click(h, {
    actionId: ACTION_IDS.reject,
    value: posted.requestId,
    userId,
    channel: posted.channel,
    ts: posted.ts,
  });
  const modal = await viewShown(h, CALLBACK_IDS.reject, start);
  return submit(h, modal, { [BLOCK_IDS.rejectReason]: reason }, userId);
}

/** Waits for the request's outcome note in its thread (succeeded or failed), then reads the stored request. */
export async function outcomeNoted(h: Harness, posted: PostedRequest, timeoutMs = 15_000) {
  await h.slack.waitFor(
    (c) =>
      c.method === 'chat.postMessage' &&
      c.args.thread_ts === posted.ts &&
      /Succeeded|Failed|succeeded|failed/.test(visibleText(c.args.blocks)) &&
      !/Approved by|approved by/.test(visibleText(c.args.blocks)),
    { timeoutMs },
  );
  return h.runtime.ctx.store.get(posted.requestId);
}
