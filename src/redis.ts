import { Redis, type RedisOptions } from 'ioredis';
import { redactUrl } from './config.js';

export class RedisUnavailableError extends Error {
  override readonly name = 'RedisUnavailableError';
}

export interface ConnectOptions {
  connectTimeoutMs?: number;
  /** Extra ioredis options, e.g. `maxRetriesPerRequest: null` for BullMQ connections. */
  overrides?: RedisOptions;
}

/** Connects once and answers PING, or fails with a message naming the server (never its password). */
export async function connectRedis(url: string, options: ConnectOptions = {}): Promise<Redis> {
  const timeout = options.connectTimeoutMs ?? 5000;
  const redis = new Redis(url, {
    lazyConnect: true,
    connectTimeout: timeout,
    // Requests from Slack must not wait for a dead Redis: fail fast, reconnect in the background.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    // A Redis that accepts the connection but stops answering must not hold a Slack request past 3 s.
    commandTimeout: 1000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
    ...options.overrides,
  });
  // Errors surface through the failing commands; an unlistened 'error' event would crash the process.
  redis.on('error', () => {});
  try {
    await redis.connect();
    await redis.ping();
    return redis;
  } catch (err) {
    redis.disconnect();
    const reason = err instanceof Error ? err.message : String(err);
    throw new RedisUnavailableError(`Cannot reach Redis at ${redactUrl(url)}: ${reason}`);
  }
}

/** True when Redis answers PING within the deadline. */
export async function redisAnswers(redis: Redis, timeoutMs = 1000): Promise<boolean> {
  if (redis.status !== 'ready') return false;
  let timer: NodeJS.Timeout | undefined;
  try {
    const deadline = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const answer = redis.ping().then(
      (reply) => reply === 'PONG',
      () => false,
    );
    return await Promise.race([answer, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** True for the errors ioredis raises while Redis is unreachable or not answering. */
export function isRedisUnavailable(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (err.name === 'MaxRetriesPerRequestError') return true;
  return /Stream isn't writeable|Connection is closed|Command timed out|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE/.test(
    err.message,
  );
}
