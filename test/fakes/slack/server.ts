import { randomUUID } from 'node:crypto';
import {
  createServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
  STATUS_CODES,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { blockKitProblems, type Surface } from '../../helpers/block-kit.js';
import { Waiters } from '../waiters.js';
import { Conversations } from './conversations.js';
import { chooseLatency, delayOf, LATENCY_ENV, type Latency } from './latency.js';
import { SlackTiers, type TierOptions } from './tiers.js';
import { submissionEffect, Triggers } from './views.js';

// A local stand-in for the Slack Web API methods the app calls, and response_urls. Answers mirror the shapes in
// ../shared/slack/web-api and ../shared/slack/errors (ok:false bodies, [ERROR] … [json-pointer:…] messages).

export interface SlackCall {
  /** Web API method, or 'response_url'. */
  method: string;
  /** Form fields with JSON-looking ones parsed, or the JSON body. */
  args: Record<string, unknown>;
  token: string | undefined;
  responseUrlId?: string;
  /** Block Kit problems found; empty when valid. */
  problems: string[];
  at: number;
  /** What the fake answered (Web API calls only), e.g. the ts of a posted message. */
  response?: Record<string, unknown>;
  /** When the fake sent its answer (any answer, refusals included); unset while the call waits. */
  answeredAt?: number;
}

export interface SlackFailure {
  error?: string;
  status?: number;
  retryAfterSec?: number;
}

export interface FakeSlackOptions {
  botToken?: string;
  /** The app-level token (xapp-…) that apps.connections.open accepts. */
  appToken?: string;
  botUserId?: string;
  botId?: string;
  teamId?: string;
  /** Check Block Kit against the schema on every call (default); the bench turns it off to stay cheap. */
  checkBlocks?: boolean;
  /** Delay before every answer (ms, or [min, max]); default FAKE_SLACK_LATENCY_MS, else 1–8 ms. 0: instant. */
  latencyMs?: Latency;
  /** Slack's per-method rate tiers, answered 429 + Retry-After (default on); `false` for the bench. */
  tiers?: false | TierOptions;
}

/** A Slack user the app may DM: a bot, or a deactivated account, is refused as Slack does. */
export interface FakeUser {
  id: string;
  is_bot?: boolean;
  deleted?: boolean;
  /** Their Slack time zone (IANA), as users.info answers it; absent: `user_not_found` from users.info. */
  tz?: string;
}

type Json = Record<string, unknown>;
type Handler = (args: Json) => Json;

/**
 * Runs before a recorded call is answered (after holdAnswers): wait (latency), or refuse it as Slack would
 * (a rate tier's 429). Gates run in the order they were added; the first refusal answers the call.
 */
export type SlackGate = (call: SlackCall) => SlackFailure | undefined | Promise<SlackFailure | undefined>;

interface Answer {
  status: number;
  body: Json | string;
  headers?: Record<string, string>;
}

const APP_ID = 'AFAKEAPP1';
const MAX_TEXT = 40_000;
const MESSAGE_METHODS = new Set(['chat.postMessage', 'chat.update', 'chat.postEphemeral']);
const MODAL_METHODS = new Set(['views.open', 'views.update']);
// Form fields that are free text even when they look like JSON.
const TEXT_FIELDS = new Set(['text', 'markdown_text', 'private_metadata', 'alt_text', 'username']);
// The bot scopes manifest.yml asks for.
const SCOPES = 'commands,chat:write,usergroups:read,users:read';
// Methods called with the app-level token instead of the bot token.
const APP_TOKEN_METHODS = new Set(['apps.connections.open']);

export class FakeSlack {
  readonly apiUrl: string;
  readonly botToken: string;
  readonly appToken: string;
  readonly botUserId: string;
  readonly botId: string;
  readonly teamId: string;
  readonly calls: SlackCall[] = [];
  /** TCP connections accepted so far (Web API and response_url alike): with keep-alive, far fewer than calls. */
  connectionsOpened = 0;
  /** The WebSocket URL apps.connections.open hands out (a test's Socket Mode server). */
  socketUrl: string | undefined;
  /** The rate tiers (./tiers.ts): peaks and 429s for assertions; undefined with `tiers: false`. */
  readonly tiers: SlackTiers | undefined;

  private readonly origin: string;
  private readonly waiters = new Waiters();
  private readonly failures = new Map<string, SlackFailure[]>();
  private readonly outages = new Map<string, SlackFailure>();
  private readonly users = new Map<string, FakeUser>();
  private readonly held = new Map<string, { gate: Promise<void>; release: () => void }>();
  private readonly usergroups = new Map<string, string[]>();
  private readonly membership = new Map<string, boolean>();
  private readonly views = new Map<string, Json>();
  private readonly homeViews = new Map<string, string>();
  private readonly gates: SlackGate[] = [];
  private readonly conversations = new Conversations();
  private readonly delay: () => Promise<void>;
  private readonly triggers = new Triggers();
  private lastTsSeconds = 0;
  private serial = 0;

  private readonly handlers: Record<string, Handler> = {
    'auth.test': () => this.authTest(),
    'apps.connections.open': () => this.connectionsOpen(),
    'chat.postMessage': (a) => this.postMessage(a),
    'chat.update': (a) => this.update(a),
    'chat.delete': (a) => this.deleteMessage(a),
    'chat.postEphemeral': (a) => this.postEphemeral(a),
    'views.open': (a) => this.openView(a),
    'views.update': (a) => this.updateView(a),
    'views.publish': (a) => this.publishView(a),
    'usergroups.users.list': (a) => this.usergroupUsers(a),
    'chat.getPermalink': (a) => this.permalink(a),
    'users.info': (a) => this.userInfo(a),
  };

  private constructor(
    private readonly server: Server,
    port: number,
    private readonly options: FakeSlackOptions,
  ) {
    this.origin = `http://127.0.0.1:${port}`;
    this.apiUrl = `${this.origin}/api/`;
    this.botToken = options.botToken ?? 'xoxb-fake-bot-token';
    this.appToken = options.appToken ?? 'xapp-1-AFAKEAPP1-1-fake-app-token';
    this.botUserId = options.botUserId ?? 'UBOT00001';
    this.botId = options.botId ?? 'BBOT00001';
    // The team of the real payloads in ../shared/slack (T111), which the test requests are built from.
    this.teamId = options.teamId ?? 'T111';
    const latency = chooseLatency(options.latencyMs, process.env[LATENCY_ENV]);
    this.delay = delayOf(latency);
    // No latency, no gate: a call is then answered in the same turn it is recorded (as before).
    if (latency !== 0) {
      this.addGate(async () => {
        await this.delay();
        return undefined;
      });
    }
    if (options.tiers !== false) {
      const known = new Set([this.botToken, this.appToken]);
      this.tiers = new SlackTiers(
        (token) => (token && known.has(token) ? this.teamId : undefined),
        options.tiers,
      );
    }
  }

  static async start(options: FakeSlackOptions = {}): Promise<FakeSlack> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const fake = new FakeSlack(server, (server.address() as AddressInfo).port, options);
    if (fake.tiers) fake.addGate(fake.tiers.gate);
    server.on('connection', () => {
      fake.connectionsOpened += 1;
    });
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      fake.handle(req, res).catch((error: unknown) => {
        const body = { ok: false, error: 'fake_slack_crashed', detail: String(error) };
        if (!res.headersSent) send(res, { status: 500, body });
      });
    });
    return fake;
  }

  responseUrl(id: string = randomUUID()): string {
    return `${this.origin}/response/${encodeURIComponent(id)}`;
  }

  callsTo(method: string): SlackCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  failNext(method: string, failure: SlackFailure, times = 1): void {
    const queue = this.failures.get(method) ?? [];
    for (let i = 0; i < times; i++) queue.push(failure);
    this.failures.set(method, queue);
  }

  /** Every call to `method` fails like this until `recover(method)` (an outage of unknown length). */
  failUntilRecovered(method: string, failure: SlackFailure): void {
    this.outages.set(method, failure);
  }

  recover(method: string): void {
    this.outages.delete(method);
  }

  /** Calls to `method` are recorded at once but answered only after `releaseAnswers(method)` (a slow Slack). */
  holdAnswers(method: string): void {
    if (this.held.has(method)) return;
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    this.held.set(method, { gate, release });
  }

  releaseAnswers(method: string): void {
    this.held.get(method)?.release();
    this.held.delete(method);
  }

  /** Adds a gate every Web API call passes before it is answered (see SlackGate). */
  addGate(gate: SlackGate): void {
    this.gates.push(gate);
  }

  /** Calls matching `match` wait `ms` before their answer (and before they take effect); returns the undo. */
  delayAnswers(match: (call: SlackCall) => boolean, ms: number): () => void {
    let active = true;
    this.addGate(async (call) => {
      if (active && match(call)) await new Promise((resolve) => setTimeout(resolve, ms));
      return undefined;
    });
    return () => {
      active = false;
    };
  }

  /** A trigger_id as Slack puts in a command or click payload: one views.open, within 3 s. */
  trigger(): string {
    return this.triggers.mint();
  }

  /** A trigger minted `ageMs` ago (default: just past its 3 s). */
  staleTrigger(ageMs = 3500): string {
    return this.triggers.mint(ageMs);
  }

  /** What the modal (or Home) with this id shows now; undefined once closed or never opened. */
  viewState(viewId: string): Json | undefined {
    const view = this.views.get(viewId);
    return view ? structuredClone(view) : undefined;
  }

  /** The user closed the modal: Slack forgets it, and views.update of it answers not_found. */
  closeView(viewId: string): void {
    this.views.delete(viewId);
  }

  /**
   * The app's ack to a view_submission reached Slack: `update` replaces the modal in place (same id, new hash),
   * an empty ack or `clear` closes it. An update the app sent by API after the submission (from call `since`)
   * already stands for a later state, so the ack's view does not replace it.
   */
  submissionAnswered(viewId: string, ackText: string, since: number): void {
    const effect = submissionEffect(ackText);
    if (effect.kind === 'close') {
      this.closeView(viewId);
      return;
    }
    const current = this.views.get(viewId);
    if (effect.kind !== 'update' || !current) return;
    const later = this.calls
      .slice(since)
      .some((c) => c.method === 'views.update' && c.args.view_id === viewId && c.response?.ok === true);
    if (later) return;
    this.storeView(viewId, effect.view, {
      root_view_id: current.root_view_id,
      previous_view_id: current.previous_view_id,
    });
  }

  setUsergroupMembers(usergroupId: string, userIds: string[]): void {
    this.usergroups.set(usergroupId, [...userIds]);
  }

  setUser(user: FakeUser): void {
    this.users.set(user.id, { ...user });
  }

  setChannelMembership(channelId: string, botIsMember: boolean): void {
    this.membership.set(channelId, botIsMember);
  }

  /** A DM (D…) or group DM (G…): the bot can post there only if it is a member (its own DMs with users are). */
  setDm(channelId: string, { botIsMember }: { botIsMember: boolean }): void {
    this.conversations.setDm(channelId, botIsMember);
  }

  /** A message the test put there itself (a click on it may lead to chat.update/delete of its ts). */
  declareMessage(channelId: string, ts: string): void {
    this.conversations.posted(channelId, ts);
  }

  waitFor(
    match: string | ((c: SlackCall) => boolean),
    /** answered: only calls the fake has answered (their `response` is set when it succeeded). */
    options: { count?: number; timeoutMs?: number; answered?: boolean } = {},
  ): Promise<SlackCall[]> {
    const count = options.count ?? 1;
    const timeoutMs = options.timeoutMs ?? 5000;
    const given = typeof match === 'string' ? (c: SlackCall) => c.method === match : match;
    const matches = options.answered ? (c: SlackCall) => c.answeredAt !== undefined && given(c) : given;
    const label = typeof match === 'string' ? match : 'predicate';
    return this.waiters.until(
      () => {
        const found = this.calls.filter(matches);
        return found.length >= count ? found : undefined;
      },
      timeoutMs,
      () =>
        `FakeSlack.waitFor(${label}): ${this.calls.filter(matches).length}/${count} matching calls after ${timeoutMs}ms; calls seen:\n${this.describeCalls()}`,
    );
  }

  reset(): void {
    for (const method of [...this.held.keys()]) this.releaseAnswers(method);
    this.calls.length = 0;
    this.failures.clear();
    this.outages.clear();
    this.users.clear();
    this.usergroups.clear();
    this.membership.clear();
    this.views.clear();
    this.homeViews.clear();
    this.conversations.clear();
    this.triggers.clear();
    this.tiers?.reset();
  }

  async close(): Promise<void> {
    this.waiters.failAll('FakeSlack closed while waiting');
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  // ---- HTTP ----

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.origin);
    const body = await readBody(req);
    const [, root, ...rest] = url.pathname.split('/');
    const id = decodeURIComponent(rest.join('/'));
    let answer: Answer = { status: 404, body: 'not found' };
    if (root === 'api' && id) answer = await this.answerApi(id, req, body, url.searchParams);
    else if (req.method === 'POST' && root === 'response' && id)
      answer = await this.answerResponseUrl(id, body);
    send(res, answer);
  }

  private async answerApi(
    method: string,
    req: IncomingMessage,
    body: Buffer,
    query: URLSearchParams,
  ): Promise<Answer> {
    const decoded = await decodeArgs(req.headers['content-type'], body, query);
    const args = typeof decoded === 'string' ? {} : decoded;
    const token = bearer(req.headers.authorization) ?? stringArg(args.token);
    const problems =
      typeof decoded === 'string' || this.options.checkBlocks === false
        ? []
        : this.blockProblems(method, args);
    const call: SlackCall = { method, args, token, problems, at: Date.now() };
    this.record(call);
    const answer = await this.answerCall(call, decoded);
    call.answeredAt = Date.now();
    this.waiters.notify();
    return answer;
  }

  private async answerCall(call: SlackCall, decoded: Json | string): Promise<Answer> {
    const held = this.held.get(call.method);
    if (held) await held.gate;
    // Every call waits at least the latency gate: a test that needs the answer waits for it (answered).
    for (const gate of this.gates) {
      // A gate that answers at once is not awaited: a waiter must never see an accepted call without its response.
      const verdict = gate(call);
      const refused = verdict instanceof Promise ? await verdict : verdict;
      if (refused) return failureAnswer(refused);
    }

    const failure = this.takeFailure(call.method);
    if (failure) return failureAnswer(failure);
    const result = this.apiResult(call.method, decoded, call.token, call.problems);
    call.response = result;
    return { status: 200, body: result, headers: { 'x-oauth-scopes': SCOPES } };
  }

  private apiResult(
    method: string,
    decoded: Json | string,
    token: string | undefined,
    problems: string[],
  ): Json {
    const handler = this.handlers[method];
    if (!handler) return error('unknown_method');
    if (typeof decoded === 'string') return error(decoded);
    if (token === undefined) return error('not_authed');
    const expected = APP_TOKEN_METHODS.has(method) ? this.appToken : this.botToken;
    if (token !== expected) {
      // Slack tells a token of the wrong kind apart from an unknown one.
      const known = token === this.botToken || token === this.appToken;
      return error(known ? 'not_allowed_token_type' : 'invalid_auth');
    }
    if (problems.length > 0) return this.invalidBlocks(method, decoded, problems);
    return handler(decoded);
  }

  private async answerResponseUrl(id: string, body: Buffer): Promise<Answer> {
    const args = parseJsonObject(body.toString('utf8'));
    const problems =
      args?.blocks !== undefined && this.options.checkBlocks !== false
        ? blockKitProblems('message', args.blocks)
        : [];
    const call: SlackCall = {
      method: 'response_url',
      args: args ?? {},
      token: undefined,
      responseUrlId: id,
      problems,
      at: Date.now(),
    };
    this.record(call);
    await this.delay();
    const answer = this.responseUrlAnswer(args, problems);
    call.answeredAt = Date.now();
    this.waiters.notify();
    return answer;
  }

  private responseUrlAnswer(args: Json | undefined, problems: string[]): Answer {
    const failure = this.takeFailure('response_url');
    if (failure) return failureAnswer(failure);
    const refused = !args
      ? 'invalid_payload'
      : problems.length > 0
        ? 'invalid_blocks'
        : textLength(args) > MAX_TEXT
          ? 'msg_too_long'
          : !args.text && !args.blocks && args.delete_original !== true
            ? 'no_text'
            : undefined;
    return refused ? { status: 400, body: error(refused) } : { status: 200, body: { ok: true } };
  }

  private record(call: SlackCall): void {
    this.calls.push(call);
    this.waiters.notify();
  }

  private takeFailure(method: string): SlackFailure | undefined {
    return this.outages.get(method) ?? this.failures.get(method)?.shift();
  }

  private describeCalls(): string {
    if (this.calls.length === 0) return '  (none)';
    return this.calls
      .map((c) => {
        const args = JSON.stringify(c.args);
        const shown = args.length > 300 ? `${args.slice(0, 300)}…` : args;
        const problems = c.problems.length > 0 ? ` [${c.problems.length} Block Kit problems]` : '';
        return `  ${c.method} ${shown}${problems}`;
      })
      .join('\n');
  }

  // ---- Block Kit ----

  private blockProblems(method: string, args: Json): string[] {
    if (MESSAGE_METHODS.has(method) && args.blocks !== undefined) {
      return typeof args.blocks === 'string'
        ? ['blocks is not valid JSON']
        : blockKitProblems('message', args.blocks);
    }
    const view = args.view;
    if (view === undefined) return [];
    if (typeof view !== 'object' || view === null) return ['view is not a JSON object'];
    if (method === 'views.publish') return blockKitProblems('home', view);
    if (!MODAL_METHODS.has(method)) return [];
    const surface: Surface = (view as Json).type === 'home' ? 'home' : 'modal';
    return blockKitProblems(surface, view);
  }

  private invalidBlocks(method: string, args: Json, problems: string[]): Json {
    if (MESSAGE_METHODS.has(method)) {
      if (typeof args.blocks === 'string') return error('invalid_blocks_format');
      const errors = problems.map((p) => withPointer('/blocks', p));
      return error('invalid_blocks', {
        errors,
        response_metadata: { messages: errors.map((e) => `[ERROR] ${e}`) },
      });
    }
    // Views answer invalid_arguments (../shared/slack/errors/real/views.publish.invalid_arguments.json).
    const messages = problems.map((p) => `[ERROR] ${withPointer('/view', p)}`);
    return error('invalid_arguments', { response_metadata: { messages } });
  }

  // ---- methods ----

  private authTest(): Json {
    return {
      ok: true,
      url: 'https://fake.slack.com/',
      team: 'Fake Team',
      user: 'cipher-user',
      team_id: this.teamId,
      user_id: this.botUserId,
      bot_id: this.botId,
      is_enterprise_install: false,
    };
  }

  private connectionsOpen(): Json {
    if (this.socketUrl === undefined) return error('fake_socket_url_not_set');
    return { ok: true, url: this.socketUrl };
  }

  private postMessage(args: Json): Json {
    const requested = stringArg(args.channel);
    const refused = this.refuseChannel(requested, true) ?? refuseText(args);
    if (refused || requested === undefined) return error(refused ?? 'channel_not_found');
    const dmRefused = this.refuseDm(requested);
    if (dmRefused) return error(dmRefused);
    // Posting to a user id opens the DM: Slack answers with the D… channel.
    const toUser = /^[UW]/.test(requested);
    const channel = toUser ? `D${requested.slice(1)}` : requested;
    if (toUser) this.conversations.opened(channel);
    const notMember = this.conversations.refusePost(channel, this.membership.get(channel));
    if (notMember) return error(notMember);
    const ts = this.nextTs();
    this.conversations.posted(channel, ts);
    return { ok: true, channel, ts, message: this.message(args, ts) };
  }

  private update(args: Json): Json {
    const channel = stringArg(args.channel);
    const ts = stringArg(args.ts);
    const refused = this.refuseChannel(channel, false);
    if (refused || channel === undefined) return error(refused ?? 'channel_not_found');
    const notMember = this.conversations.refusePost(channel, this.membership.get(channel));
    if (notMember) return error(notMember);
    if (ts === undefined) return error('cant_update_message');
    if (!this.conversations.has(channel, ts)) return error('message_not_found');
    if (textLength(args) > MAX_TEXT) return error('msg_too_long');
    const message = { ...this.message(args, ts), edited: { user: this.botId, ts: this.nextTs() } };
    return { ok: true, channel, ts, text: stringArg(args.text) ?? '', message };
  }

  private deleteMessage(args: Json): Json {
    const channel = stringArg(args.channel);
    const refused = this.refuseChannel(channel, false);
    if (refused || channel === undefined) return error(refused ?? 'channel_not_found');
    const notMember = this.conversations.refusePost(channel, this.membership.get(channel));
    if (notMember) return error(notMember);
    const ts = stringArg(args.ts);
    if (ts === undefined || !this.conversations.has(channel, ts)) return error('message_not_found');
    this.conversations.deleted(channel, ts);
    return { ok: true, channel, ts };
  }

  private postEphemeral(args: Json): Json {
    const channel = stringArg(args.channel);
    const refused = this.refuseChannel(channel, false) ?? refuseText(args);
    if (refused || channel === undefined) return error(refused ?? 'channel_not_found');
    if (stringArg(args.user) === undefined) return error('user_not_found');
    return { ok: true, message_ts: this.nextTs() };
  }

  private message(args: Json, ts: string): Json {
    const message: Json = {
      type: 'message',
      text: stringArg(args.text) ?? '',
      user: this.botUserId,
      bot_id: this.botId,
      app_id: APP_ID,
      team: this.teamId,
      ts,
      bot_profile: {
        id: this.botId,
        app_id: APP_ID,
        name: 'cipher-user',
        deleted: false,
        team_id: this.teamId,
      },
    };
    if (Array.isArray(args.blocks)) message.blocks = this.withBlockIds(args.blocks);
    if (args.attachments !== undefined) message.attachments = args.attachments;
    if (args.metadata !== undefined) message.metadata = args.metadata;
    const threadTs = stringArg(args.thread_ts);
    if (threadTs !== undefined) message.thread_ts = threadTs;
    return message;
  }

  private openView(args: Json): Json {
    const triggerId = stringArg(args.trigger_id);
    if (triggerId === undefined) {
      return error('invalid_arguments', {
        response_metadata: { messages: ['[ERROR] missing required field: trigger_id'] },
      });
    }
    const input = viewArg(args);
    if (!input) return missingView();
    const refused = this.triggers.take(triggerId);
    if (refused) return error(refused);
    const externalId = stringArg(input.external_id);
    if (externalId !== undefined && this.findByExternalId(externalId)) return error('duplicate_external_id');
    const id = this.nextId('V');
    return { ok: true, view: this.storeView(id, input, { root_view_id: id, previous_view_id: null }) };
  }

  private updateView(args: Json): Json {
    const input = viewArg(args);
    if (!input) return missingView();
    const viewId = stringArg(args.view_id);
    const externalId = stringArg(args.external_id);
    if (viewId === undefined && externalId === undefined) {
      return error('invalid_arguments', {
        response_metadata: { messages: ['[ERROR] either view_id or external_id is required'] },
      });
    }
    const current = viewId !== undefined ? this.views.get(viewId) : this.findByExternalId(externalId ?? '');
    if (!current) return error('not_found');
    const hash = stringArg(args.hash);
    if (hash !== undefined && hash !== current.hash) return error('hash_conflict');
    const view = this.storeView(String(current.id), input, {
      root_view_id: current.root_view_id,
      previous_view_id: current.previous_view_id,
      external_id: input.external_id ?? current.external_id,
    });
    return { ok: true, view };
  }

  private publishView(args: Json): Json {
    const userId = stringArg(args.user_id);
    if (userId === undefined) {
      return error('invalid_arguments', { response_metadata: { messages: ['[ERROR] invalid `user_id`'] } });
    }
    const input = viewArg(args);
    if (!input) return missingView();
    const current = this.views.get(this.homeViews.get(userId) ?? '');
    const hash = stringArg(args.hash);
    if (current && hash !== undefined && hash !== current.hash) return error('hash_conflict');
    const id = current ? String(current.id) : this.nextId('V');
    this.homeViews.set(userId, id);
    const view = this.storeView(id, input, { root_view_id: id, previous_view_id: null });
    return { ok: true, view };
  }

  private storeView(id: string, input: Json, links: Json): Json {
    const view: Json = {
      id,
      team_id: this.teamId,
      type: input.type,
      ...(input.title !== undefined ? { title: input.title } : {}),
      close: input.close ?? null,
      submit: input.submit ?? null,
      blocks: this.withBlockIds(Array.isArray(input.blocks) ? input.blocks : []),
      private_metadata: input.private_metadata ?? '',
      callback_id: input.callback_id ?? '',
      state: { values: {} },
      hash: `${Math.floor(Date.now() / 1000)}.${randomUUID().slice(0, 8)}`,
      clear_on_close: input.clear_on_close ?? false,
      notify_on_close: input.notify_on_close ?? false,
      external_id: input.external_id ?? '',
      app_id: APP_ID,
      app_installed_team_id: this.teamId,
      bot_id: this.botId,
      ...links,
    };
    this.views.set(id, view);
    return view;
  }

  private findByExternalId(externalId: string): Json | undefined {
    return [...this.views.values()].find((v) => v.external_id === externalId);
  }

  private usergroupUsers(args: Json): Json {
    const group = stringArg(args.usergroup);
    if (group === undefined) return error('invalid_arguments');
    const users = this.usergroups.get(group);
    return users ? { ok: true, users: [...users] } : error('no_such_subteam');
  }

  private userInfo(args: Json): Json {
    const id = stringArg(args.user);
    const user = id === undefined ? undefined : this.users.get(id);
    if (!user?.tz) return error('user_not_found');
    return { ok: true, user: { id: user.id, team_id: this.teamId, deleted: !!user.deleted, tz: user.tz } };
  }

  private permalink(args: Json): Json {
    const channel = stringArg(args.channel);
    const ts = stringArg(args.message_ts);
    if (channel === undefined || channel.startsWith('CNOTFOUND')) return error('channel_not_found');
    if (ts === undefined) return error('message_not_found');
    return {
      ok: true,
      channel,
      permalink: `https://fake.slack.com/archives/${channel}/p${ts.replace('.', '')}`,
    };
  }

  // ---- helpers needing state ----

  /** A DM to a bot (setUser is_bot) or a deactivated user (setUser deleted), refused as Slack does. */
  private refuseDm(channel: string): string | undefined {
    const user = /^[UW]/.test(channel) ? this.users.get(channel) : undefined;
    if (user?.is_bot) return 'cannot_dm_bot';
    if (user?.deleted) return 'user_disabled';
    return undefined;
  }

  private refuseChannel(channel: string | undefined, needsMembership: boolean): string | undefined {
    if (channel === undefined || channel.startsWith('CNOTFOUND')) return 'channel_not_found';
    if (needsMembership && this.membership.get(channel) === false) return 'not_in_channel';
    return undefined;
  }

  /** Unique, increasing message ts: `${seconds}.${counter}`. */
  private nextTs(): string {
    this.lastTsSeconds = Math.max(this.lastTsSeconds, Math.floor(Date.now() / 1000));
    this.serial += 1;
    return `${this.lastTsSeconds}.${String(this.serial).padStart(6, '0')}`;
  }

  private nextId(prefix: string): string {
    this.serial += 1;
    return `${prefix}FAKE${String(this.serial).padStart(6, '0')}`;
  }

  /** Slack fills in block_id on every block it echoes back. */
  private withBlockIds(blocks: unknown[]): unknown[] {
    return blocks.map((block) => {
      if (typeof block !== 'object' || block === null || 'block_id' in block) return block;
      this.serial += 1;
      return { ...block, block_id: this.serial.toString(36).padStart(5, '0') };
    });
  }
}

// ---- pure helpers ----

function error(code: string, extra: Json = {}): Json {
  return { ok: false, error: code, ...extra };
}

function missingView(): Json {
  return error('invalid_arguments', {
    response_metadata: { messages: ['[ERROR] must provide an object [json-pointer:/view]'] },
  });
}

function refuseText(args: Json): string | undefined {
  if (textLength(args) > MAX_TEXT) return 'msg_too_long';
  const hasContent = Boolean(args.text) || args.blocks !== undefined || args.attachments !== undefined;
  return hasContent ? undefined : 'no_text';
}

function textLength(args: Json): number {
  return typeof args.text === 'string' ? args.text.length : 0;
}

function stringArg(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function viewArg(args: Json): Json | undefined {
  const view = args.view;
  return typeof view === 'object' && view !== null && !Array.isArray(view) ? (view as Json) : undefined;
}

/** '/0/text/text must …' → 'must … [json-pointer:/blocks/0/text/text]', as Slack words it. */
function withPointer(base: string, problem: string): string {
  const match = /^(\/\S*) (.*)$/s.exec(problem);
  if (!match) return `${problem} [json-pointer:${base}]`;
  const [, path = '/', message = ''] = match;
  return `${message} [json-pointer:${base}${path === '/' ? '' : path}]`;
}

function bearer(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? '');
  return match?.[1];
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function parseJsonObject(text: string): Json | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : undefined;
  } catch {
    return undefined;
  }
}

/** Decoded arguments, or the Slack error code for an undecodable body. */
async function decodeArgs(
  contentType: string | undefined,
  body: Buffer,
  query: URLSearchParams,
): Promise<Json | string> {
  const type = (contentType ?? '').toLowerCase();
  const args: Json = {};
  for (const [key, value] of query) args[key] = decodeField(key, value);
  if (body.length === 0) return args;
  if (type.startsWith('application/json')) {
    const parsed = parseJsonObject(body.toString('utf8'));
    return parsed ? { ...args, ...parsed } : 'invalid_json';
  }
  for (const [key, value] of new URLSearchParams(body.toString('utf8'))) args[key] = decodeField(key, value);
  return args;
}

function decodeField(key: string, value: string): unknown {
  if (TEXT_FIELDS.has(key) || !/^\s*[[{]/.test(value)) return value;
  try {
    return JSON.parse(value) as unknown;
  } catch {
    return value;
  }
}

function send(res: ServerResponse, answer: Answer): void {
  const isText = typeof answer.body === 'string';
  res.writeHead(answer.status, {
    'content-type': isText ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8',
    ...answer.headers,
  });
  res.end(isText ? answer.body : JSON.stringify(answer.body));
}

function failureAnswer(failure: SlackFailure): Answer {
  const { status, error: code, retryAfterSec } = failure;
  if (status === 429) {
    return {
      status,
      body: error(code ?? 'ratelimited'),
      headers: { 'retry-after': String(retryAfterSec ?? 1) },
    };
  }
  if (status === undefined) return { status: 200, body: error(code ?? 'fatal_error') };
  return { status, body: code !== undefined ? error(code) : (STATUS_CODES[status] ?? 'error') };
}
