import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, HTTPReceiver, type Receiver, SocketModeReceiver } from '@slack/bolt';
import { WebClient, type WebClientOptions } from '@slack/web-api';
import { currentLogContext, slackLogger, withLogContext } from '../logger.js';
import type { OpsRoute } from '../ops.js';
import type { AppContext } from './context.js';
import { registerActions } from './listeners/actions/index.js';
import { registerCommands } from './listeners/commands/index.js';
import { registerEvents } from './listeners/events/index.js';
import { answerFailures } from './listeners/guard.js';
import { allowedTeams, onlyAllowedTeams } from './listeners/team-gate.js';
import { registerViews } from './listeners/views/index.js';
import { redactAnswers } from './outbound/redaction.js';

export interface SlackAppDeps {
  ctx: AppContext;
  /** Told how long each HTTP request from Slack took to answer (the ack, as Slack waits for it). */
  onAnswered?: (ms: number) => void;
  /** Health and metrics, served beside Slack's endpoint in HTTP mode (the runtime serves them in Socket Mode). */
  routes: OpsRoute[];
  /** Wait for handlers before answering Slack (tests); production answers (acks) first. */
  processBeforeResponse?: boolean;
  clientOptions: WebClientOptions;
}

export interface SlackApp {
  app: App;
  /** Starts listening; resolves with the bound HTTP port in HTTP mode (none in Socket Mode). */
  start(): Promise<{ port: number | undefined }>;
  stop(): Promise<void>;
}

export async function createSlackApp(deps: SlackAppDeps): Promise<SlackApp> {
  const { config } = deps.ctx;
  const logger = slackLogger(deps.ctx.logger);
  const { clientOptions } = deps;
  let receiver: Receiver;
  let server: () => Server | undefined;
  if (config.slack.mode === 'socket') {
    const socket = new SocketModeReceiver({
      appToken: config.slack.appToken ?? '',
      logger,
      installerOptions: { clientOptions },
    });
    // Bolt's stop() returns before the WebSocket has closed: wait for the close, so stop means stopped.
    const stopSocket = socket.stop.bind(socket);
    socket.stop = async () => {
      const closed = new Promise<void>((resolve) => socket.client.once('disconnected', () => resolve()));
      await stopSocket();
      await closed;
    };
    receiver = socket;
    server = () => undefined;
  } else {
    const http = new HTTPReceiver({
      signingSecret: config.slack.signingSecret ?? '',
      endpoints: '/slack/events',
      processBeforeResponse: deps.processBeforeResponse ?? false,
      customRoutes: deps.routes,
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
    server = () => (http as unknown as { server?: Server }).server;
  }
  // Verifies the bot token (a wrong token stops the start here) and names the installing team.
  const identity = await new WebClient(config.slack.botToken, clientOptions).auth.test();
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

  return {
    app,
    async start() {
      if (config.slack.mode === 'socket') await app.start();
      else await app.start(config.slack.port);
      const address = server()?.address() as AddressInfo | null | undefined;
      return { port: address?.port };
    },
    stop: () => app.stop() as Promise<void>,
  };
}
