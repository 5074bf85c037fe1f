import { App, HTTPReceiver, type Receiver, SocketModeReceiver } from '@slack/bolt';
import type { AuthTestResponse, WebClientOptions } from '@slack/web-api';
import { currentLogContext, slackLogger, withLogContext } from '../logger.js';
import type { RequestListener } from '../ops.js';
import type { AppContext } from './context.js';
import { registerActions } from './listeners/actions/index.js';
import { registerCommands } from './listeners/commands/index.js';
import { registerEvents } from './listeners/events/index.js';
import { answerFailures } from './listeners/guard.js';
import { allowedTeams, onlyAllowedTeams } from './listeners/team-gate.js';
import { registerViews } from './listeners/views/index.js';
import { redactAnswers } from './outbound/redaction.js';
import { quietRepeats } from './socket-log.js';

export interface SlackAppDeps {
  ctx: AppContext;
  /** Told how long each HTTP request from Slack took to answer (the ack, as Slack waits for it). */
  onAnswered?: (ms: number) => void;
  /** auth.test's answer for the bot token, asked by the start (within its deadline). */
  identity: AuthTestResponse;
  /** Told when the Socket Mode connection opens (true) and drops (false). */
  onSocket?: (open: boolean) => void;
  /** Wait for handlers before answering Slack (tests); production answers (acks) first. */
  processBeforeResponse?: boolean;
  clientOptions: WebClientOptions;
  /** Socket Mode: the socket client's own (default clientOptions). */
  socketClientOptions?: WebClientOptions;
}

export interface SlackApp {
  app: App;
  /** HTTP mode: Slack's endpoint, for the runtime's one server on PORT. */
  listener: RequestListener | undefined;
  /** Socket Mode: opens the connection (resolves once Slack said hello). HTTP mode: nothing to do. */
  start(): Promise<void>;
  stop(): Promise<void>;
}

export async function createSlackApp(deps: SlackAppDeps): Promise<SlackApp> {
  const { config } = deps.ctx;
  const logger = slackLogger(deps.ctx.logger);
  const { clientOptions } = deps;
  let receiver: Receiver;
  let listener: RequestListener | undefined;
  if (config.slack.mode === 'socket') {
    const socket = new SocketModeReceiver({
      appToken: config.slack.appToken ?? '',
      // An unreachable socket URL fails every 5 s: one line a minute says so, not twelve.
      logger: quietRepeats(logger),
      installerOptions: { clientOptions: deps.socketClientOptions ?? clientOptions },
    });
    const { onSocket } = deps;
    if (onSocket) {
      socket.client.on('connected', () => onSocket(true));
      for (const state of ['reconnecting', 'disconnecting', 'disconnected'])
        socket.client.on(state, () => onSocket(false));
    }
    // Bolt's stop() returns before the WebSocket has closed: wait for the close, so stop means stopped.
    const stopSocket = socket.stop.bind(socket);
    socket.stop = async () => {
      const closed = new Promise<void>((resolve) => socket.client.once('disconnected', () => resolve()));
      await stopSocket();
      await closed;
    };
    receiver = socket;
  } else {
    const http = new HTTPReceiver({
      signingSecret: config.slack.signingSecret ?? '',
      endpoints: '/slack/events',
      processBeforeResponse: deps.processBeforeResponse ?? false,
      logger,
      // Payloads no listener takes (unknown ids, view_closed…) get an empty 200 well inside Slack's 3 s.
      unhandledRequestTimeoutMillis: 2000,
      unhandledRequestHandler: ({ response }) => {
        if (!response.headersSent) {
          response.writeHead(200);
          response.end();
        }
      },
      // A signed but malformed payload that Bolt cannot route is the sender's fault: 400, not 500.
      processEventErrorHandler: async ({ error, response }) => {
        deps.ctx.logger.warn(
          { err: { name: error.name, message: error.message } },
          'malformed Slack payload',
        );
        if (response.headersSent) return false;
        response.writeHead(400);
        response.end();
        return true;
      },
    });
    // The whole HTTP request (signature check, Bolt's own lines, the answer) under one correlation id.
    const listen = http.requestListener;
    const { onAnswered } = deps;
    http.requestListener = (req, res) => {
      redactAnswers(res);
      if (onAnswered) {
        const started = performance.now();
        res.once('finish', () => onAnswered(performance.now() - started));
      }
      return withLogContext('sl', {}, () => listen(req, res));
    };
    receiver = http;
    // The runtime's server on PORT hands Slack's requests to Bolt: Bolt's own server is never started.
    listener = (req, res) => {
      try {
        http.requestListener(req, res);
      } catch {
        // Bolt throws for a path it does not serve (its own server answers that 404 too).
        if (!res.headersSent) res.writeHead(404);
        res.end();
      }
    };
  }
  // The start checked the bot token (auth.test): it names the installing team.
  const { identity } = deps;
  const teams = allowedTeams(identity.team_id || undefined, config.slack.allowedTeamIds);
  if (teams.size === 0) {
    deps.ctx.logger.warn(
      { enterpriseId: identity.enterprise_id },
      'auth.test names no team (an org-wide install?) and ALLOWED_TEAM_IDS is empty: every Slack request will be refused',
    );
  }
  const app = new App({
    token: config.slack.botToken,
    // auth.test answered above: Bolt need not ask again.
    tokenVerificationEnabled: false,
    ...(identity.bot_id && identity.user_id ? { botId: identity.bot_id, botUserId: identity.user_id } : {}),
    receiver,
    logger,
    clientOptions,
    // No conversation store: nothing here uses conversation context, and it costs a lookup per event.
    convoStore: false,
    deferInitialization: true,
  });
  app.error(async (error) => {
    deps.ctx.logger.error(
      { err: { name: error.name, message: error.message, code: error.code } },
      'unhandled error',
    );
  });
  // Every line logged while handling one delivery carries the same correlation id (rid).
  app.use(({ next }) => (currentLogContext() ? next() : withLogContext('sl', {}, next)));
  app.use(answerFailures(deps.ctx.logger));
  app.use(onlyAllowedTeams(teams, deps.ctx.logger));
  registerCommands(app, deps.ctx);
  registerEvents(app, deps.ctx);
  registerActions(app, deps.ctx);
  registerViews(app, deps.ctx);
  await app.init();

  let started = false;
  return {
    app,
    listener,
    async start() {
      if (config.slack.mode !== 'socket') return;
      started = true;
      await app.start();
    },
    stop: async () => {
      // HTTP mode: the runtime's server stops taking Slack's requests; only the socket is Bolt's to close.
      if (started) await (app.stop() as Promise<void>);
    },
  };
}
