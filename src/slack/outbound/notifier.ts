import type { WebClient } from '@slack/web-api';
import type { RequestEvent } from '../../approvals/events.js';
import type { RequestStore } from '../../approvals/store/store.js';
import { type ApprovalRequest, TERMINAL_STATES } from '../../approvals/types.js';
import type { Notifier, NotifyResult } from '../../approvals/workflow/index.js';
import { approvalMessage, threadNote } from '../../blocks/approval-card.js';
import type { Logger } from '../../logger.js';
import { slackFailure } from './approver-messenger.js';
import type { HomeRefreshQueue } from './home/refresh-queue.js';

const MAX_RENDERS = 3;
/** Requests whose last shown version a process remembers. */
const MAX_REMEMBERED = 10_000;
/** A render waits this long at most for the one before it (a Slack that never answers holds no queue). */
const MAX_WAIT_FOR_TURN_MS = 10_000;

/**
 * Keeps a request's message in step with its stored state, notes each transition in its thread, and
 * refreshes the App Homes concerned in the background. The first render is the state the caller just
 * wrote; it is rendered again if the state moved on while Slack was being called, so the last render
 * always shows the latest state (`running` excepted: the job running it renders when its attempt ends).
 * Slack failures come back as a result, never thrown.
 */
export class SlackNotifier implements Notifier {
  constructor(
    private readonly store: Pick<RequestStore, 'get'>,
    private readonly client: WebClient,
    private readonly homes: Pick<HomeRefreshQueue, 'changed'>,
    private readonly logger: Logger,
    /** NOTIFY_APPROVERS=dm: the approver DMs follow the request (src/queue/dm-update.ts). */
    private readonly dms?: { changed(request: ApprovalRequest): void },
  ) {}

  /** Renders of one request in this process, one at a time (so an older one never lands after a newer one). */
  private readonly queues = new Map<string, { tail: Promise<unknown>; waiting: number; inside: number }>();
  /** The newest version of each request message this process has shown (bounded: the oldest go first). */
  private readonly shown = new Map<string, number>();

  async transitioned(request: ApprovalRequest, event?: RequestEvent): Promise<NotifyResult> {
    // Whether Slack takes it or not, the state in Redis changed: the Homes that list it follow ("running"
    // shows only on its requester's list).
    this.homes.changed(request.id, request.state === 'running' && !event ? 'requester' : 'all');
    this.dms?.changed(request);
    try {
      await this.inTurn(request.id, () => this.render(request, event));
      return { ok: true };
    } catch (err) {
      return slackFailure(err);
    }
  }

  private async inTurn(requestId: string, run: () => Promise<void>): Promise<void> {
    const queue = this.queues.get(requestId) ?? { tail: Promise.resolve(), waiting: 0, inside: 0 };
    this.queues.set(requestId, queue);
    queue.waiting += 1;
    queue.inside += 1;
    const turn = settledOrLate(queue.tail, MAX_WAIT_FOR_TURN_MS).then(() => {
      queue.waiting -= 1;
      return run();
    });
    queue.tail = turn.catch(() => undefined);
    try {
      await turn;
    } finally {
      queue.inside -= 1;
      if (queue.inside === 0) this.queues.delete(requestId);
    }
  }

  /** Another render of this request waits its turn here: it re-reads the latest state itself. */
  private nextInLine(requestId: string): boolean {
    return (this.queues.get(requestId)?.waiting ?? 0) > 0;
  }

  private async render(written: ApprovalRequest, event: RequestEvent | undefined): Promise<void> {
    let request = written;
    if (!request.messageTs) return;
    const { channelId, messageTs } = request;
    // The message first, so that when the thread note appears the message already says the same.
    let message = approvalMessage(request);
    for (let render = 0; render < MAX_RENDERS; render++) {
      // Already shown by this process (a catch-up render of an earlier turn got here first): the note only.
      const shownKey = `${request.id}:${messageTs}`;
      if ((this.shown.get(shownKey) ?? -1) >= request.version) break;
      await this.client.chat.update({ channel: channelId, ts: messageTs, ...message });
      this.remember(shownKey, request.version);
      // A final state is the message's last: nothing can move it on (an older render in another process
      // re-checks after its own update and renders this one). One waiting in this process renders after.
      if (TERMINAL_STATES.includes(request.state) || this.nextInLine(request.id)) break;
      const latest = await this.store.get(request.id);
      if (!latest || latest.version <= request.version) break;
      // A job holds a running request and renders it when its attempt ends: not worth a render here.
      if (latest.state === 'running') break;
      // approved → queued while Slack was called: the message reads the same, so no second update.
      const next = approvalMessage(latest);
      if (JSON.stringify(next) === JSON.stringify(message)) break;
      request = latest;
      message = next;
      if (render === MAX_RENDERS - 1)
        this.logger.warn({ requestId: request.id }, 'request message may lag behind its state');
    }
    if (event) {
      await this.client.chat.postMessage({
        channel: channelId,
        thread_ts: messageTs,
        unfurl_links: false,
        unfurl_media: false,
        ...threadNote(request, event),
      });
    }
  }

  private remember(key: string, version: number): void {
    this.shown.delete(key);
    this.shown.set(key, version);
    if (this.shown.size > MAX_REMEMBERED) {
      const oldest = this.shown.keys().next().value;
      if (oldest !== undefined) this.shown.delete(oldest);
    }
  }
}

/** Resolves when `previous` settles or after `ms`, whichever comes first. */
function settledOrLate(previous: Promise<unknown>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    timer.unref();
    previous.then(
      () => {
        clearTimeout(timer);
        resolve();
      },
      () => {
        clearTimeout(timer);
        resolve();
      },
    );
  });
}
