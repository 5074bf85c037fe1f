import { Redis, type RedisOptions } from 'ioredis';
import { redactUrl } from './config.js';
import type { Logger } from './logger.js';

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
    // ioredis turns TLS on only for a lower-case "rediss://"; `REDISS://` would send the password in clear.
    ...(usesTls(url) ? { tls: {} } : {}),
    ...options.overrides,
  });
  // Errors surface through the failing commands; an unlistened 'error' event would crash the process.
  redis.on('error', () => {});
  // The first socket error says why (e.g. an untrusted certificate); connect() only says "Connection is closed."
  let cause: Error | undefined;
  const remember = (err: Error) => {
    cause ??= err;
  };
  redis.on('error', remember);
  try {
    await redis.connect();
    await redis.ping();
    return redis;
  } catch (err) {
    redis.disconnect();
    const reason = cause ?? err;
    const message = reason instanceof Error ? `${reason.message}${tlsHint(reason)}` : String(reason);
    if (/NOAUTH|WRONGPASS|invalid (username-)?password|AUTH <password>/i.test(message)) {
      throw new RedisUnavailableError(
        `Redis at ${redactUrl(url)} refused the connection's credentials (${message.split('\n')[0]}): put the right user and password in REDIS_URL (redis://user:password@host:port, or redis://:password@host:port).`,
      );
    }
    throw new RedisUnavailableError(
      `Cannot reach Redis at ${redactUrl(url)}: ${message}. Check REDIS_URL (default redis://127.0.0.1:6379) and that Redis is running and reachable from here.`,
    );
  } finally {
    redis.off('error', remember);
  }
}

function usesTls(url: string): boolean {
  try {
    return new URL(url).protocol === 'rediss:';
  } catch {
    return false;
  }
}

// Node's codes for a server certificate it will not trust.
const UNTRUSTED_CERTIFICATE = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
]);

function tlsHint(err: Error): string {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  if (UNTRUSTED_CERTIFICATE.has(code)) {
    return " (TLS: the server's certificate is not signed by a trusted CA; put that CA's PEM file in NODE_EXTRA_CA_CERTS)";
  }
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID')
    return " (TLS: the server's certificate is not valid for this host name)";
  if (code === 'CERT_HAS_EXPIRED') return " (TLS: the server's certificate has expired)";
  return '';
}

/** The server's `maxmemory-policy`, from INFO (managed Redis often disables CONFIG), or why it could not be read. */
export async function evictionPolicy(
  redis: Pick<Redis, 'info'>,
): Promise<{ ok: true; policy: string } | { ok: false; reason: string }> {
  try {
    const policy = /^maxmemory_policy:(\S+)/m.exec(await redis.info('memory'))?.[1];
    return policy ? { ok: true, policy } : { ok: false, reason: 'INFO memory has no maxmemory_policy' };
  } catch (err) {
    return { ok: false, reason: err instanceof Error ? err.message : String(err) };
  }
}

/** Warns once when Redis may evict keys (BullMQ jobs, approval requests); never fails the start. */
export async function checkEvictionPolicy(redis: Pick<Redis, 'info'>, logger: Logger): Promise<void> {
  const found = await evictionPolicy(redis);
  if (!found.ok) {
    logger.info({ reason: found.reason }, 'could not read Redis maxmemory-policy; it should be noeviction');
  } else if (found.policy !== 'noeviction') {
    logger.warn(
      { maxmemoryPolicy: found.policy },
      `Redis maxmemory-policy is ${found.policy}: set it to noeviction, or a full Redis silently drops queued jobs and approval requests`,
    );
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
