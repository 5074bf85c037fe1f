import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, HTTPReceiver, type Receiver, SocketModeReceiver } from '@slack/bolt';
import type { RetryOptions, WebClientOptions } from '@slack/web-api';
import type { Config } from '../config.js';
import { type Logger, slackLogger } from '../logger.js';
import type { CommandDeps } from './commands/cipher-user.js';
import { registerCommands } from './commands/index.js';

export interface SlackAppDeps extends CommandDeps {
  config: Config;
  /** Readiness: true when every dependency answers (Redis). */
  ready: () => Promise<boolean>;
  logger: Logger;
  /** Wait for handlers before answering Slack (tests); production answers (acks) first. */
  processBeforeResponse?: boolean;
  retryConfig?: RetryOptions;
}

export interface SlackApp {
  app: App;
  /** Starts listening; resolves with the bound HTTP port (health routes, and Slack requests in HTTP mode). */
  start(): Promise<{ port: number | undefined }>;
  stop(): Promise<void>;
}

// Slack's own Web API calls from handlers: a few quick retries, never the default half hour.
const DEFAULT_RETRY: RetryOptions = { retries: 3, factor: 2, minTimeout: 500, maxTimeout: 5000 };

export async function createSlackApp(deps: SlackAppDeps): Promise<SlackApp> {
  const { config } = deps;
  const logger = slackLogger(deps.logger);
  const clientOptions: WebClientOptions = {
    retryConfig: deps.retryConfig ?? DEFAULT_RETRY,
    ...(config.slack.apiUrl ? { slackApiUrl: config.slack.apiUrl } : {}),
  };
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
    deps.logger.error(
      { err: { name: error.name, message: error.message, code: error.code } },
      'unhandled error',
    );
  });
  registerCommands(app, deps);
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
