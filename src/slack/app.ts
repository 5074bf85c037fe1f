import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, HTTPReceiver, type Receiver, SocketModeReceiver } from '@slack/bolt';
import type { WebClientOptions } from '@slack/web-api';
import { slackLogger } from '../logger.js';
import { registerActions } from './actions/index.js';
import { registerCommands } from './commands/index.js';
import type { AppContext } from './context.js';
import { answerFailures } from './guard.js';
import { registerViews } from './views/index.js';

export interface SlackAppDeps {
  ctx: AppContext;
  /** Readiness: true when every dependency answers (Redis). */
  ready: () => Promise<boolean>;
  /** Wait for handlers before answering Slack (tests); production answers (acks) first. */
  processBeforeResponse?: boolean;
  clientOptions: WebClientOptions;
}

export interface SlackApp {
  app: App;
  /** Starts listening; resolves with the bound HTTP port (health routes, and Slack requests in HTTP mode). */
  start(): Promise<{ port: number | undefined }>;
  stop(): Promise<void>;
}

export async function createSlackApp(deps: SlackAppDeps): Promise<SlackApp> {
  const { config } = deps.ctx;
  const logger = slackLogger(deps.ctx.logger);
  const { clientOptions } = deps;
  const customRoutes = healthRoutes(deps.ready);
  let receiver: Receiver;
  let server: () => Server | undefined;
  if (config.slack.mode === 'socket') {
    const socket = new SocketModeReceiver({
      appToken: config.slack.appToken ?? '',
      logger,
      customRoutes,
      installerOptions: { clientOptions, port: config.slack.port },
    });
    receiver = socket;
    server = () => (socket as unknown as { httpServer?: Server }).httpServer;
  } else {
    const http = new HTTPReceiver({
      signingSecret: config.slack.signingSecret ?? '',
      endpoints: '/slack/events',
      processBeforeResponse: deps.processBeforeResponse ?? false,
      customRoutes,
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
    receiver = http;
    server = () => (http as unknown as { server?: Server }).server;
  }
  const app = new App({
    token: config.slack.botToken,
    receiver,
    logger,
    clientOptions,
    deferInitialization: true,
  });
  app.error(async (error) => {
    deps.ctx.logger.error(
      { err: { name: error.name, message: error.message, code: error.code } },
      'unhandled error',
    );
  });
  app.use(answerFailures(deps.ctx.logger));
  registerCommands(app, deps.ctx);
  registerActions(app, deps.ctx);
  registerViews(app, deps.ctx);
  // Verifies the bot token with auth.test: a wrong token stops the start here.
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

function healthRoutes(ready: () => Promise<boolean>) {
  const json = (res: ServerResponse, status: number, body: object) => {
    res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
    res.end(JSON.stringify(body));
  };
  return [
    {
      path: '/healthz',
      method: ['GET'],
      handler: (_req: IncomingMessage, res: ServerResponse) => json(res, 200, { ok: true }),
    },
    {
      path: '/readyz',
      method: ['GET'],
      handler: (_req: IncomingMessage, res: ServerResponse) => {
        ready().then(
          (ok) => json(res, ok ? 200 : 503, { ok, redis: ok ? 'up' : 'down' }),
          () => json(res, 503, { ok: false, redis: 'down' }),
        );
      },
    },
  ];
}
