import type { RetryOptions } from '@slack/web-api';
import type { Redis } from 'ioredis';
import type { DestinationStream } from 'pino';
import { createCipherscaleClient } from './cipherscale/client.js';
import { type Config, redactUrl } from './config.js';
import { createLogger, type Logger } from './logger.js';
import { connectRedis, redisAnswers } from './redis.js';
import { createSlackApp } from './slack/app.js';

export interface RuntimeOptions {
  logDestination?: DestinationStream;
  /** Tests: let handlers finish before Slack gets its HTTP answer. */
  processBeforeResponse?: boolean;
  slackRetryConfig?: RetryOptions;
}

export interface Runtime {
  /** The HTTP port bound (Slack requests in HTTP mode, health routes in both modes). */
  port: number | undefined;
  logger: Logger;
  redis: Redis;
  stop(): Promise<void>;
}

/** Builds every dependency from the config and starts listening. Throws on the first thing that cannot start. */
export async function startRuntime(config: Config, options: RuntimeOptions = {}): Promise<Runtime> {
  const logger = createLogger({
    level: config.logLevel,
    secrets: secretsOf(config),
    ...(options.logDestination ? { destination: options.logDestination } : {}),
  });
  if (config.cipherscale.insecureTransport) {
    logger.warn(
      { cipherscale: config.cipherscale.baseUrl },
      'CIPHERSCALE_API_URL is plain http to a remote host: the API token travels unencrypted',
    );
  }
  const redis = await connectRedis(config.redisUrl);
  try {
    const cipherscale = createCipherscaleClient(config.cipherscale);
    const slack = await createSlackApp({
      config,
      logger,
      cipherscale,
      ready: () => redisAnswers(redis),
      ...(options.processBeforeResponse === undefined
        ? {}
        : { processBeforeResponse: options.processBeforeResponse }),
      ...(options.slackRetryConfig ? { retryConfig: options.slackRetryConfig } : {}),
    });
    const { port } = await slack.start();
    logger.info({ mode: config.slack.mode, port, redis: redactUrl(config.redisUrl) }, 'cipher-user started');
    return {
      port,
      logger,
      redis,
      async stop() {
        await slack.stop();
        await redis.quit().catch(() => redis.disconnect());
        logger.info('cipher-user stopped');
        logger.flush();
      },
    };
  } catch (err) {
    redis.disconnect();
    throw err;
  }
}

function secretsOf(config: Config): string[] {
  const secrets = [config.slack.botToken, config.cipherscale.token];
  if (config.slack.signingSecret) secrets.push(config.slack.signingSecret);
  if (config.slack.appToken) secrets.push(config.slack.appToken);
  const redisPassword = safePassword(config.redisUrl);
  if (redisPassword) secrets.push(redisPassword);
  return secrets;
}

function safePassword(url: string): string | undefined {
  try {
    return decodeURIComponent(new URL(url).password) || undefined;
  } catch {
    return undefined;
  }
}
