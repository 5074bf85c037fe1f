import type { SlackCall } from '../../test/fakes/slack/server.js';

// What Slack would show, derived only from what the app sent to the fake Slack (its Web API calls with their
// answers, its response_url posts) and from the app's HTTP answers the bridge carried (a command's ack).
// Pure: the bridge keeps the records, this folds them in order.

type Json = Record<string, unknown>;

export interface Message {
  kind: 'message';
  channel: string;
  ts: string;
  threadTs?: string;
  text: string;
  blocks: unknown[];
  edited: boolean;
  /** Deleted while it had replies: Slack leaves "This message was deleted." in its place. */
  deleted: boolean;
  at: number;
}

export interface Ephemeral {
  kind: 'ephemeral';
  id: string;
  user: string;
  channel: string;
  ts: string;
  threadTs?: string;
  text: string;
  blocks: unknown[];
  at: number;
}

/** What a response_url belongs to: who used it, where, and the message "original" means for it. */
export interface ResponseUrlOwner {
  user: string;
  channel: string;
  threadTs?: string;
  /** A click on a message: that message. A command: none (its own earlier answers stand in). */
  original?: { kind: 'message'; channel: string; ts: string } | { kind: 'ephemeral'; id: string };
}

/** A command's HTTP answer carrying a message: Slack shows it to the person who typed it. */
export interface AckMessage {
  user: string;
  channel: string;
  text: string;
  blocks: unknown[];
  at: number;
}

export interface Folded {
  messages: Message[];
  ephemerals: Ephemeral[];
  /** Each user's Home view id (views.publish). */
  homes: Map<string, string>;
  /** Each user's modals, oldest first (views.open of a trigger they were given). */
  opened: Map<string, string[]>;
  /** Calls the fake refused for their Block Kit (only when the check is on), newest last. */
  problems: { method: string; problems: string[]; at: number }[];
  /** Calls Slack refused (ok:false), newest last: the app's own errors, shown for what they are. */
  refused: { method: string; error: string; at: number }[];
}

export interface Records {
  responseUrls: ReadonlyMap<string, ResponseUrlOwner>;
  triggers: ReadonlyMap<string, string>;
  acks: readonly AckMessage[];
}

const text = (v: unknown): string => (typeof v === 'string' ? v : '');
const blocksOf = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** Whether the fake accepted a response_url post (it records no response for them). */
function responseUrlAccepted(call: SlackCall): boolean {
  const a = call.args;
  return (
    call.answeredAt !== undefined &&
    call.problems.length === 0 &&
    (Boolean(a.text) || a.blocks !== undefined || a.delete_original === true)
  );
}

export function fold(calls: readonly SlackCall[], records: Records): Folded {
  const messages: Message[] = [];
  const ephemerals: Ephemeral[] = [];
  const homes = new Map<string, string>();
  const opened = new Map<string, string[]>();
  const problems: Folded['problems'] = [];
  const refused: Folded['refused'] = [];
  // A command's response_url: its latest answer is what replace_original / delete_original act on.
  const lastThroughUrl = new Map<string, string>();
  let serial = 0;
  const syntheticTs = (at: number) => {
    serial += 1;
    return `${Math.floor(at / 1000)}.${String(900000 + serial)}`;
  };
  const findMessage = (channel: string, ts: string) =>
    messages.find((m) => m.channel === channel && m.ts === ts && !m.deleted);
  const removeMessage = (m: Message) => {
    const hasReplies = messages.some((r) => r.threadTs === m.ts && r.ts !== m.ts && r.channel === m.channel);
    if (hasReplies) {
      m.deleted = true;
      m.blocks = [];
      m.text = '';
    } else messages.splice(messages.indexOf(m), 1);
  };

  const events: Array<{ at: number; call?: SlackCall; ack?: AckMessage }> = [
    ...calls.map((call) => ({ at: call.at, call })),
    ...records.acks.map((ack) => ({ at: ack.at, ack })),
  ].sort((a, b) => a.at - b.at);

  for (const { call, ack } of events) {
    if (ack) {
      ephemerals.push({ kind: 'ephemeral', id: `ack-${ephemerals.length}`, ...ack, ts: syntheticTs(ack.at) });
      continue;
    }
    if (!call) continue;
    if (call.problems.length > 0)
      problems.push({ method: call.method, problems: call.problems, at: call.at });
    const response = call.response;
    if (response && response.ok !== true) {
      refused.push({ method: call.method, error: text(response.error), at: call.at });
      continue;
    }
    const a = call.args;
    switch (call.method) {
      case 'chat.postMessage': {
        if (!response) break;
        const posted = (response.message ?? {}) as Json;
        const ts = text(response.ts);
        const threadTs = str(a.thread_ts);
        messages.push({
          kind: 'message',
          channel: text(response.channel),
          ts,
          ...(threadTs !== undefined && threadTs !== ts ? { threadTs } : {}),
          text: text(posted.text ?? a.text),
          blocks: blocksOf(posted.blocks ?? a.blocks),
          edited: false,
          deleted: false,
          at: call.at,
        });
        break;
      }
      case 'chat.update': {
        if (!response) break;
        const m = findMessage(text(response.channel), text(response.ts));
        if (!m) break;
        const updated = (response.message ?? {}) as Json;
        m.text = text(updated.text ?? a.text);
        if (a.blocks !== undefined) m.blocks = blocksOf(updated.blocks ?? a.blocks);
        m.edited = true;
        break;
      }
      case 'chat.delete': {
        if (!response) break;
        const m = findMessage(text(response.channel), text(response.ts));
        if (m) removeMessage(m);
        break;
      }
      case 'chat.postEphemeral': {
        if (!response) break;
        const threadTs = str(a.thread_ts);
        ephemerals.push({
          kind: 'ephemeral',
          id: `pe-${text(response.message_ts)}`,
          user: text(a.user),
          channel: text(a.channel),
          ts: text(response.message_ts),
          ...(threadTs !== undefined ? { threadTs } : {}),
          text: text(a.text),
          blocks: blocksOf(a.blocks),
          at: call.at,
        });
        break;
      }
      case 'response_url': {
        const urlId = call.responseUrlId ?? '';
        const owner = records.responseUrls.get(urlId);
        if (!owner || !responseUrlAccepted(call)) break;
        const original =
          owner.original ??
          (lastThroughUrl.has(urlId)
            ? ({ kind: 'ephemeral', id: lastThroughUrl.get(urlId) ?? '' } as const)
            : undefined);
        const target =
          original?.kind === 'ephemeral'
            ? ephemerals.find((e) => e.id === original.id)
            : original
              ? findMessage(original.channel, original.ts)
              : undefined;
        if (a.delete_original === true) {
          if (target?.kind === 'ephemeral') ephemerals.splice(ephemerals.indexOf(target), 1);
          else if (target) removeMessage(target);
          break;
        }
        if (a.replace_original === true && target) {
          target.text = text(a.text);
          target.blocks = blocksOf(a.blocks);
          if (target.kind === 'message') target.edited = true;
          break;
        }
        if (a.response_type === 'in_channel') {
          const ts = syntheticTs(call.at);
          messages.push({
            kind: 'message',
            channel: owner.channel,
            ts,
            ...(owner.threadTs !== undefined ? { threadTs: owner.threadTs } : {}),
            text: text(a.text),
            blocks: blocksOf(a.blocks),
            edited: false,
            deleted: false,
            at: call.at,
          });
          break;
        }
        const id = `ru-${urlId}-${ephemerals.length}`;
        ephemerals.push({
          kind: 'ephemeral',
          id,
          user: owner.user,
          channel: owner.channel,
          ts: syntheticTs(call.at),
          ...(owner.threadTs !== undefined ? { threadTs: owner.threadTs } : {}),
          text: text(a.text),
          blocks: blocksOf(a.blocks),
          at: call.at,
        });
        if (!owner.original) lastThroughUrl.set(urlId, id);
        break;
      }
      case 'views.open': {
        const view = response?.view as Json | undefined;
        const user = records.triggers.get(text(a.trigger_id));
        if (!view || !user) break;
        opened.set(user, [...(opened.get(user) ?? []), text(view.id)]);
        break;
      }
      case 'views.publish': {
        const view = response?.view as Json | undefined;
        if (view) homes.set(text(a.user_id), text(view.id));
        break;
      }
    }
  }
  return { messages, ephemerals, homes, opened, problems, refused };
}
