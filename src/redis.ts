import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { type HostPort, type RedisTopology, redactUrl } from './config.js';
import type { Logger } from './logger.js';

export class RedisUnavailableError extends Error {
  override readonly name = 'RedisUnavailableError';
}

export interface ConnectOptions {
  connectTimeoutMs?: number;
  /** A command fails after this long without an answer (default 1 s; BullMQ's connections: none). */
  commandTimeoutMs?: number;
  /** Extra ioredis options, e.g. `maxRetriesPerRequest: null` for BullMQ connections. */
  overrides?: RedisOptions;
}

/** Where Redis is, for messages: never a password. */
export function describeRedis(target: RedisTopology | string): string {
  const topology = typeof target === 'string' ? ({ kind: 'single', url: target } as const) : target;
  const list = (nodes: readonly HostPort[]) =>
    nodes.map((n) => (n.host.includes(':') ? `[${n.host}]:${n.port}` : `${n.host}:${n.port}`)).join(', ');
  if (topology.kind === 'sentinel')
    return `Redis primary "${topology.name}" via Sentinel ${list(topology.sentinels)}`;
  if (topology.kind === 'cluster') return `Redis Cluster ${list(topology.nodes)}`;
  return `Redis at ${redactUrl(topology.url)}`;
}

/** What to check when the connection fails, by topology. */
export function settingsHint(topology: RedisTopology): string {
  if (topology.kind === 'sentinel')
    return 'Check REDIS_SENTINELS, REDIS_SENTINEL_NAME and the Sentinel and Redis passwords, and that the Sentinels and the primary they name are reachable from here.';
  if (topology.kind === 'cluster')
    return 'Check REDIS_CLUSTER_NODES, REDIS_PASSWORD and REDIS_TLS, and that every node of the cluster is reachable from here.';
  return 'Check REDIS_URL (default redis://127.0.0.1:6379) and that Redis is running and reachable from here.';
}

function tlsOptions(on: boolean, servername: string | undefined): RedisOptions['tls'] {
  if (!on) return undefined;
  // Sentinel and Cluster announce nodes by IP: the certificate is checked against the name given instead.
  return servername ? { servername } : {};
}

/**
 * One ioredis client for any topology: a single instance (REDIS_URL), the primary Sentinel names (and
 * follows after a failover), or a Cluster (ioredis' `Cluster`, typed as `Redis`: every caller here uses
 * commands on keys of the deployment's one hash slot, pipelines and MULTI, which a Cluster routes to
 * that slot's primary). Not connected yet.
 */
export function createRedis(target: RedisTopology | string, options: ConnectOptions = {}): Redis {
  const topology = typeof target === 'string' ? ({ kind: 'single', url: target } as const) : target;
  const timeout = options.connectTimeoutMs ?? 5000;
  const common: RedisOptions = {
    lazyConnect: true,
    connectTimeout: timeout,
    // Requests from Slack must not wait for a dead Redis: fail fast, reconnect in the background.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    // A Redis that accepts the connection but stops answering must not hold a Slack request past 3 s.
    commandTimeout: options.commandTimeoutMs ?? 1000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
    // A primary demoted to replica (a failover it lived through) refuses writes: go find the new one.
    reconnectOnError: (err) => err.message.startsWith('READONLY'),
    ...options.overrides,
  };
  if (topology.kind === 'single') {
    // ioredis turns TLS on only for a lower-case "rediss://"; `REDISS://` would send the password in clear.
    return new Redis(topology.url, {
      ...common,
      ...(usesTls(topology.url) ? { tls: {} } : {}),
      ...options.overrides,
    });
  }
  if (topology.kind === 'sentinel') {
    const tls = tlsOptions(topology.tls, topology.tlsServername);
    const sentinelTls = tlsOptions(topology.sentinelTls, topology.tlsServername);
    return new Redis({
      ...common,
      sentinels: topology.sentinels.map((n) => ({ host: n.host, port: n.port })),
      name: topology.name,
      role: 'master',
      ...(topology.username ? { username: topology.username } : {}),
      ...(topology.password ? { password: topology.password } : {}),
      ...(topology.sentinelUsername ? { sentinelUsername: topology.sentinelUsername } : {}),
      ...(topology.sentinelPassword ? { sentinelPassword: topology.sentinelPassword } : {}),
      ...(tls ? { tls } : {}),
      ...(sentinelTls ? { sentinelTLS: sentinelTls, enableTLSForSentinelMode: true } : {}),
      // No failoverDetector: in ioredis 5 its +switch-master disconnects the connector, and when that lands
      // while the client is asking the Sentinels where the primary is (a dead primary: it asks again and
      // again), the connect rejects with "Connection is closed" and the client ends for good, never
      // reconnecting. Without it a dead primary's socket closes and the retries find the new one; a
      // primary demoted alive has its clients killed by the Sentinels, and READONLY reconnects too.
      failoverDetector: false,
      sentinelRetryStrategy: (attempt) => Math.min(attempt * 200, 2000),
      // Each retry asks a Sentinel where the primary is (cheap), and a failover is over in a second or
      // two: retry often, so every connection (the app's, fail-fast, and BullMQ's) is back together as
      // soon as the new primary is, not one of them up to 2 s later.
      retryStrategy: (attempt) => Math.min(attempt * 100, 500),
      ...options.overrides,
    });
  }
  const tls = tlsOptions(topology.tls, topology.tlsServername);
  const { enableOfflineQueue, retryStrategy: _retry, ...clusterNodeOptions } = common;
  // BullMQ's connections have no command timeout; on a Cluster whose primary died, a command can be
  // left unanswered for good, and a worker awaiting it takes no job again. Longer than any blocking
  // command BullMQ sends (10 s at most), so only a lost command hits it.
  const nodeOptions = { ...clusterNodeOptions, commandTimeout: clusterNodeOptions.commandTimeout ?? 15_000 };
  const cluster = new Cluster(
    topology.nodes.map((n) => ({ host: n.host, port: n.port })),
    {
      lazyConnect: true,
      enableOfflineQueue: enableOfflineQueue ?? false,
      enableReadyCheck: true,
      scaleReads: 'master',
      clusterRetryStrategy: (attempt) => Math.min(attempt * 200, 2000),
      slotsRefreshTimeout: 2000,
      // A primary that died answers nothing, so no MOVED tells ioredis where its slots went: it asks
      // CLUSTER SLOTS every second instead (without it, commands to the slot failed for good after a kill).
      slotsRefreshInterval: 1000,
      // TLS to nodes named by a DNS endpoint: keep the name, so the certificate check sees it.
      ...(tls ? { dnsLookup: (address, callback) => callback(null, address) } : {}),
      redisOptions: {
        ...nodeOptions,
        ...(topology.username ? { username: topology.username } : {}),
        ...(topology.password ? { password: topology.password } : {}),
        ...(tls ? { tls } : {}),
      },
    },
  );
  return cluster as unknown as Redis;
}

/** Connects once and answers PING, or fails with a message naming the server (never its password). */
export async function connectRedis(
  target: RedisTopology | string,
  options: ConnectOptions = {},
): Promise<Redis> {
  const topology = typeof target === 'string' ? ({ kind: 'single', url: target } as const) : target;
  const redis = createRedis(topology, options);
  // Errors surface through the failing commands; an unlistened 'error' event would crash the process.
  redis.on('error', () => {});
  // The first socket error says why (e.g. an untrusted certificate); connect() only says "Connection is closed."
  let cause: Error | undefined;
  let giveUp: (err: Error) => void = () => undefined;
  // ioredis asks the Sentinels again and again, and connect() waits all along: one round in which
  // none named a primary is the answer at start (a wrong name, a wrong password, none reachable).
  const sentinelsFailed = new Promise<never>((_resolve, reject) => {
    giveUp = reject;
  });
  sentinelsFailed.catch(() => undefined);
  const remember = (err: Error) => {
    cause ??= err;
    if (topology.kind === 'sentinel' && SENTINELS_FAILED.test(err.message)) giveUp(err);
  };
  redis.on('error', remember);
  try {
    await Promise.race([redis.connect(), sentinelsFailed]);
    await redis.ping();
    if (topology.kind === 'single') await refuseReplica(redis, topology.url);
    return redis;
  } catch (err) {
    redis.disconnect();
    if (err instanceof RedisUnavailableError) throw err;
    throw startFailure(topology, cause ?? err);
  } finally {
    redis.off('error', remember);
  }
}

/**
 * REDIS_URL naming a replica: it answers PING, then refuses the first write (READONLY). Said at once,
 * with its primary. (A managed Redis that refuses ROLE is taken as a primary.)
 */
async function refuseReplica(redis: Redis, url: string): Promise<void> {
  const role = (await redis.role().catch(() => undefined)) as unknown[] | undefined;
  if (role?.[0] !== 'slave') return;
  const primary = role[1] && role[2] ? ` of ${String(role[1])}:${String(role[2])}` : '';
  throw new RedisUnavailableError(
    `Redis at ${redactUrl(url)} is a replica${primary} (ROLE slave), which refuses writes: point REDIS_URL at the primary, or let Sentinel find it (REDIS_SENTINELS, REDIS_SENTINEL_NAME).`,
  );
}

const SENTINELS_FAILED = /^All sentinels are unreachable/;
const REFUSED_CREDENTIALS = /NOAUTH|WRONGPASS|invalid (username-)?password|AUTH <password>|NOPERM/i;

/** Why the first connection failed, naming the topology and the settings to check, never a password. */
function startFailure(topology: RedisTopology, reason: unknown): RedisUnavailableError {
  const where = describeRedis(topology);
  const message = reason instanceof Error ? reason.message : String(reason);
  const hint = reason instanceof Error ? tlsHint(reason) : '';
  if (topology.kind === 'sentinel' && SENTINELS_FAILED.test(message)) {
    // "All sentinels are unreachable. Retrying from scratch after 200ms. Last error: <the last Sentinel's>"
    const last = /Last error: (.*)$/s.exec(message)?.[1]?.split('\n')[0]?.trim();
    if (last && /No such master/i.test(last))
      return new RedisUnavailableError(
        `${where}: no Sentinel knows a primary named "${topology.name}" (${last}). Check REDIS_SENTINEL_NAME: the name after \`sentinel monitor\` in sentinel.conf (SENTINEL MASTERS on a Sentinel lists them).`,
      );
    if (last && REFUSED_CREDENTIALS.test(last))
      return new RedisUnavailableError(
        `${where}: the Sentinels refused the connection's credentials (${last}). Check REDIS_SENTINEL_USERNAME / REDIS_SENTINEL_PASSWORD (the Sentinels' requirepass or ACL user; unset when they have none).`,
      );
    return new RedisUnavailableError(
      `Cannot reach ${where}: no Sentinel answered${last ? ` (last error: ${last}${hint})` : ''}. ${settingsHint(topology)}`,
    );
  }
  // A Cluster says "Failed to refresh slots cache."; the node's own error is the reason.
  const lastNode = (reason as { lastNodeError?: unknown } | undefined)?.lastNodeError;
  const nodeMessage = lastNode instanceof Error ? lastNode.message : '';
  const refused = [message, nodeMessage].find((m) => REFUSED_CREDENTIALS.test(m));
  if (refused) {
    const fix =
      topology.kind === 'single'
        ? 'put the right user and password in REDIS_URL (redis://user:password@host:port, or redis://:password@host:port)'
        : topology.kind === 'sentinel'
          ? 'check REDIS_USERNAME / REDIS_PASSWORD (the primary and replicas the Sentinels name; the Sentinels themselves take REDIS_SENTINEL_USERNAME / REDIS_SENTINEL_PASSWORD)'
          : 'check REDIS_USERNAME / REDIS_PASSWORD (every node of the cluster)';
    return new RedisUnavailableError(
      `${where} refused the connection's credentials (${refused.split('\n')[0]}): ${fix}.`,
    );
  }
  const detail =
    lastNode instanceof Error ? `no node answered (${nodeMessage}${tlsHint(lastNode)})` : `${message}${hint}`;
  return new RedisUnavailableError(`Cannot reach ${where}: ${detail}. ${settingsHint(topology)}`);
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

/**
 * Warns once when Redis may evict keys (BullMQ jobs, approval requests); never fails the start. On a
 * Cluster INFO would go to one node: each primary is asked, and one that may evict is named.
 */
export async function checkEvictionPolicy(redis: Pick<Redis, 'info'>, logger: Logger): Promise<void> {
  const primaries =
    redis instanceof Cluster
      ? redis.nodes('master').map((node) => ({ node, at: `${node.options.host}:${node.options.port}` }))
      : [{ node: redis, at: undefined }];
  for (const { node, at } of primaries) {
    const found = await evictionPolicy(node);
    const where = at ? { node: at } : {};
    if (!found.ok) {
      logger.info(
        { ...where, reason: found.reason },
        'could not read Redis maxmemory-policy; it should be noeviction',
      );
    } else if (found.policy !== 'noeviction') {
      logger.warn(
        { ...where, maxmemoryPolicy: found.policy },
        `Redis${at ? ` node ${at}` : ''} maxmemory-policy is ${found.policy}: set it to noeviction, or a full Redis silently drops queued jobs and approval requests`,
      );
    }
  }
}

/**
 * True when the primary holding `probeKey` answers within the deadline and is a primary (ROLE): a
 * replica, or no primary at all (a failover under way), is not ready. The key routes a Cluster's
 * pipeline to the primary of the deployment's slot; on one instance or Sentinel's primary it is only read.
 */
export async function primaryAnswers(redis: Redis, probeKey: string, timeoutMs = 1000): Promise<boolean> {
  if (redis.status !== 'ready') return false;
  let timer: NodeJS.Timeout | undefined;
  try {
    const deadline = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const answer = redis
      .pipeline()
      .exists(probeKey)
      .role()
      .exec()
      .then(
        (replies) => {
          const [probe, role] = replies ?? [];
          // The probe must answer too: a Cluster whose slot's primary is gone sends ROLE to another primary.
          return !!probe && !probe[0] && !role?.[0] && Array.isArray(role?.[1]) && role[1][0] === 'master';
        },
        () => false,
      );
    return await Promise.race([answer, deadline]);
  } finally {
    clearTimeout(timer);
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
  if (err.name === 'ClusterAllFailedError') return true;
  // A single instance or Sentinel's primary gone, a failover under way (LOADING, READONLY, MASTERDOWN),
  // a Cluster with its slot's primary gone (CLUSTERDOWN, TRYAGAIN, no node to send to).
  return /Stream isn't writeable|Connection is closed|Command timed out|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|EHOSTUNREACH|All sentinels are unreachable|^LOADING|^READONLY|^MASTERDOWN|^CLUSTERDOWN|^TRYAGAIN|Cluster isn't ready|enableOfflineQueue options is false|Failed to refresh slots cache|None of startup nodes is available|Too many Cluster redirections/.test(
    err.message,
  );
}
