import { randomUUID } from 'node:crypto';
import type { FakeSlack } from '../../test/fakes/slack/server.js';
import {
  type AckMessage,
  type Ephemeral,
  type Folded,
  fold,
  type Message,
  type ResponseUrlOwner,
} from './fold.js';
import {
  appHomeOpenedPayload,
  blockActionsPayload,
  type ClickSource,
  channelName,
  formBody,
  interactionBody,
  sign,
  slashCommandFields,
  viewClosedPayload,
  viewSubmissionPayload,
} from './payloads.js';
import { CHANNEL, dmChannelOf, PEOPLE, type Person, person } from './people.js';

// Carries the page's input to the app as Slack would send it, and the app's answers back onto the fake Slack.
// It decides nothing about requests: every answer the page shows comes from what the app sent.

type Json = Record<string, unknown>;

export interface HttpAnswer {
  status: number;
  text: string;
}

/** Where a click on the page happened, as the page names it. */
export type ClickPlace =
  | { kind: 'message'; channel: string; ts: string }
  | { kind: 'ephemeral'; id: string }
  | { kind: 'view'; viewId: string; values?: Json };

/** What one person sees: the channel, their DM with the app, their ephemerals, modals and Home. */
export interface Snapshot {
  version: number;
  me: Person;
  people: readonly Person[];
  channel: { id: string; name: string };
  dmChannel: string;
  botUserId: string;
  messages: Message[];
  ephemerals: Ephemeral[];
  modals: Array<{ view: Json; errors: Record<string, string> }>;
  home: Json | null;
  problems: Folded['problems'];
  refused: Folded['refused'];
  /** Whether the fake Slack checks Block Kit against Slack's schema (only with ../shared). */
  checkingBlocks: boolean;
}

export class UnknownPerson extends Error {}

export class Bridge {
  private readonly responseUrls = new Map<string, ResponseUrlOwner>();
  private readonly triggers = new Map<string, string>();
  private readonly acks: AckMessage[] = [];
  private readonly viewErrors = new Map<string, Record<string, string>>();
  private readonly closedByUser = new Set<string>();
  private revision = 0;

  constructor(
    private readonly slack: FakeSlack,
    private readonly appUrl: string,
    private readonly signingSecret: string,
    readonly checkingBlocks: boolean,
  ) {}

  /** Changes whenever what anyone sees may have changed. */
  version(): number {
    let answered = 0;
    for (const call of this.slack.calls) if (call.answeredAt !== undefined) answered += 1;
    return this.revision * 1_000_000 + this.slack.calls.length * 1000 + answered;
  }

  snapshot(userId: string): Snapshot {
    const me = this.who(userId);
    const folded = this.fold();
    const dm = dmChannelOf(me.id);
    const modals = (folded.opened.get(me.id) ?? [])
      .filter((id) => !this.closedByUser.has(id))
      .flatMap((id) => {
        const view = this.slack.viewState(id);
        return view ? [{ view, errors: this.viewErrors.get(id) ?? {} }] : [];
      });
    const homeId = folded.homes.get(me.id);
    return {
      version: this.version(),
      me,
      people: PEOPLE,
      channel: CHANNEL,
      dmChannel: dm,
      botUserId: this.slack.botUserId,
      messages: folded.messages.filter((m) => m.channel === CHANNEL.id || m.channel === dm),
      ephemerals: folded.ephemerals.filter((e) => e.user === me.id),
      modals,
      home: homeId ? (this.slack.viewState(homeId) ?? null) : null,
      problems: folded.problems,
      refused: folded.refused,
      checkingBlocks: this.checkingBlocks,
    };
  }

  /** `/cipher-user <text>` typed in a channel (or the app's DM). */
  async command(userId: string, text: string, channelId: string = CHANNEL.id): Promise<HttpAnswer> {
    const who = this.who(userId);
    const urlId = `cmd-${randomUUID()}`;
    this.responseUrls.set(urlId, { user: who.id, channel: channelId });
    const fields = slashCommandFields({
      who,
      text,
      channelId,
      channelName: channelName(channelId),
      responseUrl: this.slack.responseUrl(urlId),
      triggerId: this.trigger(who.id),
    });
    const answer = await this.post(
      sign(this.signingSecret, formBody(fields), 'application/x-www-form-urlencoded'),
    );
    // Slack shows a command's ack body to whoever typed it; a failed one as Slack's own error.
    const acked = parseJson(answer.text);
    if (answer.status !== 200) {
      this.ack(who.id, channelId, `/cipher-user failed with the error "http_status_${answer.status}"`, []);
    } else if (acked && (typeof acked.text === 'string' || Array.isArray(acked.blocks))) {
      this.ack(who.id, channelId, typeof acked.text === 'string' ? acked.text : '', arrayOf(acked.blocks));
    }
    return answer;
  }

  /** A click (button, overflow) or a change (select, date picker…) on a message or a view. */
  async action(userId: string, place: ClickPlace, action: Json): Promise<HttpAnswer> {
    const who = this.who(userId);
    const source = this.clickSource(who, place);
    const payload = blockActionsPayload({ who, source, action, triggerId: this.trigger(who.id) });
    return this.post(sign(this.signingSecret, interactionBody(payload), 'application/x-www-form-urlencoded'));
  }

  /** Submit of the modal `viewId` with the values the page read from its inputs. */
  async submit(userId: string, viewId: string, values: Json): Promise<HttpAnswer> {
    const who = this.who(userId);
    const view = this.slack.viewState(viewId);
    if (!view) return { status: 404, text: 'view gone' };
    const payload = viewSubmissionPayload({
      who,
      view: { ...view, state: { values } },
      triggerId: this.trigger(who.id),
    });
    const since = this.slack.calls.length;
    const answer = await this.post(
      sign(this.signingSecret, interactionBody(payload), 'application/x-www-form-urlencoded'),
    );
    this.viewErrors.delete(viewId);
    if (answer.status === 200) {
      const acked = parseJson(answer.text);
      if (acked?.response_action === 'errors' && typeof acked.errors === 'object' && acked.errors !== null) {
        this.viewErrors.set(viewId, acked.errors as Record<string, string>);
      } else if (acked?.response_action === 'push') {
        // The fake Slack keeps no pushed views (the app pushes none): say so rather than drop it.
        this.viewErrors.set(viewId, {
          '': 'The app pushed a view (response_action push): the playground cannot show it.',
        });
      } else this.slack.submissionAnswered(viewId, answer.text, since);
    } else {
      this.viewErrors.set(viewId, { '': 'We had some trouble connecting. Try again?' });
    }
    this.revision += 1;
    return answer;
  }

  /** The person closes the modal (×, Cancel): Slack forgets it, and tells the app if the view asked. */
  async close(userId: string, viewId: string): Promise<HttpAnswer> {
    const who = this.who(userId);
    const view = this.slack.viewState(viewId);
    this.slack.closeView(viewId);
    this.closedByUser.add(viewId);
    this.revision += 1;
    if (view?.notify_on_close !== true) return { status: 200, text: '' };
    const payload = viewClosedPayload({ who, view });
    return this.post(sign(this.signingSecret, interactionBody(payload), 'application/x-www-form-urlencoded'));
  }

  /** The person opens the app's Home tab: Slack sends app_home_opened. */
  async openHome(userId: string): Promise<HttpAnswer> {
    const who = this.who(userId);
    const homeId = this.fold().homes.get(who.id);
    const view = homeId ? this.slack.viewState(homeId) : undefined;
    const payload = appHomeOpenedPayload({
      who,
      dmChannelId: dmChannelOf(who.id),
      botUserId: this.slack.botUserId,
      tab: 'home',
      ...(view ? { view } : {}),
    });
    return this.post(sign(this.signingSecret, JSON.stringify(payload), 'application/json'));
  }

  private fold(): Folded {
    return fold(this.slack.calls, {
      responseUrls: this.responseUrls,
      triggers: this.triggers,
      acks: this.acks,
    });
  }

  private who(userId: string): Person {
    const found = person(userId);
    if (!found) throw new UnknownPerson(`nobody called ${userId} here`);
    return found;
  }

  private trigger(userId: string): string {
    const id = this.slack.trigger();
    this.triggers.set(id, userId);
    return id;
  }

  private ack(user: string, channel: string, text: string, blocks: unknown[]): void {
    this.acks.push({ user, channel, text, blocks, at: Date.now() });
    this.revision += 1;
  }

  private clickSource(who: Person, place: ClickPlace): ClickSource {
    if (place.kind === 'view') {
      const view = this.slack.viewState(place.viewId);
      if (!view) throw new UnknownPlace(`no view ${place.viewId}`);
      return { kind: 'view', view: { ...view, state: { values: place.values ?? {} } } };
    }
    const folded = this.fold();
    const urlId = `click-${randomUUID()}`;
    if (place.kind === 'ephemeral') {
      const e = folded.ephemerals.find((x) => x.id === place.id && x.user === who.id);
      if (!e) throw new UnknownPlace(`no ephemeral ${place.id}`);
      this.responseUrls.set(urlId, {
        user: who.id,
        channel: e.channel,
        ...(e.threadTs !== undefined ? { threadTs: e.threadTs } : {}),
        original: { kind: 'ephemeral', id: e.id },
      });
      return {
        kind: 'message',
        channelId: e.channel,
        channelName: channelName(e.channel),
        ts: e.ts,
        ...(e.threadTs !== undefined ? { threadTs: e.threadTs } : {}),
        ephemeral: true,
        responseUrl: this.slack.responseUrl(urlId),
        state: { values: {} },
      };
    }
    const m = folded.messages.find((x) => x.channel === place.channel && x.ts === place.ts && !x.deleted);
    if (!m) throw new UnknownPlace(`no message ${place.ts}`);
    this.responseUrls.set(urlId, {
      user: who.id,
      channel: m.channel,
      ...(m.threadTs !== undefined ? { threadTs: m.threadTs } : {}),
      original: { kind: 'message', channel: m.channel, ts: m.ts },
    });
    const message: Json = {
      type: 'message',
      user: this.slack.botUserId,
      bot_id: this.slack.botId,
      text: m.text,
      ts: m.ts,
      team: this.slack.teamId,
      blocks: m.blocks,
      ...(m.threadTs !== undefined ? { thread_ts: m.threadTs } : {}),
      ...(m.edited ? { edited: { user: this.slack.botId, ts: m.ts } } : {}),
    };
    return {
      kind: 'message',
      channelId: m.channel,
      channelName: channelName(m.channel),
      ts: m.ts,
      ...(m.threadTs !== undefined ? { threadTs: m.threadTs } : {}),
      ephemeral: false,
      message,
      responseUrl: this.slack.responseUrl(urlId),
      state: { values: {} },
    };
  }

  private async post(request: { body: string; headers: Record<string, string> }): Promise<HttpAnswer> {
    try {
      const response = await fetch(`${this.appUrl}/slack/events`, {
        method: 'POST',
        body: request.body,
        headers: request.headers,
      });
      return { status: response.status, text: await response.text() };
    } finally {
      this.revision += 1;
    }
  }
}

export class UnknownPlace extends Error {}

function parseJson(text: string): Json | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
  } catch {
    return undefined;
  }
}

const arrayOf = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
