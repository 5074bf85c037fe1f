import { type RetryOptions, WebClient, type WebClientOptions } from '@slack/web-api';
import { FlowProducer, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { DestinationStream } from 'pino';
import { Policy } from './approvals/policy.js';
import { PRECHECK_LEASE_MS, PrecheckLimits } from './approvals/prechecks.js';
import { checkQuorum } from './approvals/quorum.js';
import { RequestStore } from './approvals/store/store.js';
import { Workflow } from './approvals/workflow/index.js';
import { RedisCallBudget } from './cipherscale/budget.js';
import { createCipherscaleClient } from './cipherscale/client.js';
import { type Config, redactUrl } from './config.js';
import { Keys } from './keys.js';
import { createLogger, type Logger, slackLogger } from './logger.js';
import { Metrics } from './metrics.js';
import { type OpsServer, opsRoutes, startOpsServer } from './ops.js';
import { policySummary } from './policy/describe.js';
import { DmUpdates } from './queue/dm-update.js';
import { JobProducer } from './queue/producer.js';
import { ITEMS_QUEUE_NAME, QUEUE_NAME } from './queue/registry.js';
import { startSweeper } from './queue/sweep-schedule.js';
import { createItemsWorker, createWorker, type RequestWorker } from './queue/worker.js';
import { Readiness } from './readiness.js';
import { protectSecrets } from './redact.js';
import { checkEvictionPolicy, connectRedis, describeRedis, primaryAnswers, settingsHint } from './redis.js';
import { Replication } from './replication.js';
import { createSlackApp, type SlackApp } from './slack/app.js';
import type { AppContext } from './slack/context.js';
import { DraftStore } from './slack/listeners/drafts.js';
import { ApproverDms } from './slack/outbound/approver-dms.js';
import { SlackApproverMessenger } from './slack/outbound/approver-messenger.js';
import { SlackBatchReporter } from './slack/outbound/batch-reporter.js';
import { HomeRefreshQueue } from './slack/outbound/home/refresh-queue.js';
import { HomeTab } from './slack/outbound/home/tab.js';
import { HomeViewers } from './slack/outbound/home/viewers.js';
import { SlackNotifier } from './slack/outbound/notifier.js';
import { SlackRateTiers, TIERS_KEPT } from './slack/outbound/rate-tiers.js';
import { redactingFetch } from './slack/outbound/redaction.js';
import { TimeZones } from './slack/outbound/time-zones.js';
import { SlackUsergroupDirectory } from './slack/outbound/usergroups.js';
import {
  checkCipherscale,
  checkOldKeyLayout,
  checkPolicyCounts,
  DEFAULT_SLACK_API_URL,
  policyGroups,
  resolveUsergroups,
  StartCheckError,
  slackStartFailure,
} from './start-checks.js';
import { StartGate, type StartStep } from './start-gate.js';

export interface RuntimeOptions {
  logDestination?: DestinationStream;
  /** Tests: let handlers finish before Slack gets its HTTP answer. */
  processBeforeResponse?: boolean;
  slackRetryConfig?: RetryOptions;
  /** Tests: the window Slack's rate tiers are kept in (default a minute), matching the fake's. */
  slackTierWindowMs?: number;
  /** Tests: other per-window limits for some Slack methods (see TIERS_KEPT), matching the fake's. */
  slackTierLimits?: Readonly<Record<string, number>>;
  now?: () => number;
  /** The start's deadline and stop signal (the entry's); by default START_TIMEOUT_MS alone. */
  gate?: StartGate;
  /**
   * `all` (default): Redis, Slack's tokens, the approver groups and quorums, and Cipherscale's token.
   * `connections`: Redis and Slack's tokens only, for in-process tests that set group members and count
   * Cipherscale calls after the start (test/start/ runs the rest against the real entry point).
   */
  startChecks?: 'all' | 'connections';
}

export interface Runtime {
  /** The HTTP port bound (Slack requests in HTTP mode, health routes in both modes). */
  port: number | undefined;
  logger: Logger;
  redis: Redis;
  ctx: AppContext;
  stop(): Promise<void>;
}

// BullMQ's connections wait for Redis (and block on purpose), instead of failing fast like the app's.
const BULLMQ_CONNECTION = { maxRetriesPerRequest: null, enableOfflineQueue: true, commandTimeout: undefined };

// Web API calls: a few quick retries (429s honour Retry-After), never the SDK's default half hour.
const DEFAULT_RETRY: RetryOptions = { retries: 3, factor: 2, minTimeout: 500, maxTimeout: 5000 };

/**
 * Builds every dependency from the config and starts listening and working, in this order: the HTTP
 * port (/healthz at once), the checks — Redis (reads only), Slack's bot token (auth.test), the approver
 * groups and quorums, Cipherscale's token (one read) — then everything that writes to Redis, the socket
 * in Socket Mode (which checks the app token; nothing has written until it is open), and only then the
 * workers. Each step is bounded by the gate; throws on the first thing that cannot start.
 */
export async function startRuntime(config: Config, options: RuntimeOptions = {}): Promise<Runtime> {
  // The one clock: every deadline, schedule and audit time reads it (tests inject their own).
  const now = options.now ?? Date.now;
  const metrics = new Metrics();
  const secrets = secretsOf(config);
  const logger = createLogger({
    level: config.logLevel,
    secrets,
    format: config.logFormat,
    ...(options.logDestination ? { destination: options.logDestination } : {}),
  });
  if (config.cipherscale.insecureTransport) {
    logger.warn(
      { cipherscale: config.cipherscale.baseUrl },
      'CIPHERSCALE_API_URL is plain http to a remote host: the API token travels unencrypted',
    );
  }
  const gate = options.gate ?? new StartGate(config.startTimeoutMs);
  const listens = config.role !== 'worker';
  const readiness = new Readiness(listens && config.slack.mode === 'socket');
  const routes = opsRoutes({
    ready: () => readiness.report(),
    metrics,
    metricsToken: config.metricsToken,
  });
  // Block Kit text, Cipherscale errors and everything sent to Slack: any run of 8+ characters of a secret.
  const releaseSecrets = protectSecrets(secrets);
  const closers: Array<() => Promise<unknown>> = [];
  const connections: Redis[] = [];
  let ops: OpsServer | undefined;
  let slack: SlackApp | undefined;
  try {
    // Listening first: /healthz answers from the first moment, /readyz says what is still missing.
    ops = await gate.step(
      { what: `The HTTP port ${config.slack.port}`, check: 'Check PORT: is another process using it?' },
      startOpsServer(routes, config.slack.port, listens && config.slack.mode === 'http'),
    );
    const redisStep: StartStep = {
      what: describeRedis(config.redis.topology),
      check: settingsHint(config.redis.topology),
    };
    const connect = async (overrides?: typeof BULLMQ_CONNECTION) => {
      const connection = await gate.step(
        redisStep,
        connectRedis(
          config.redis.topology,
          // A WAIT (REDIS_WAIT_MS) on the app's connection must end before its command timeout.
          overrides ? { overrides } : { commandTimeoutMs: Math.max(1000, config.redis.waitMs + 500) },
        ),
      );
      connections.push(connection);
      return connection;
    };
    const redis = await connect();
    await gate.step(redisStep, checkEvictionPolicy(redis, logger));
    await gate.step(redisStep, checkOldKeyLayout(redis, config.redisKeyPrefix, logger));
    // BullMQ wants connections that wait for Redis instead of failing commands.
    const queueRedis = await connect(BULLMQ_CONNECTION);
    const workerRedis = await connect(BULLMQ_CONNECTION);
    const prefix = config.redis.prefix;
    readiness.redisConnected(() => primaryAnswers(redis, new Keys(prefix).sweeperLock));
    // Slack's per-method rate tiers, one budget per method for every process on this Redis.
    const tiers = new SlackRateTiers({
      redis,
      prefix,
      logger,
      ...(options.slackTierWindowMs ? { windowMs: options.slackTierWindowMs } : {}),
      ...(options.slackTierLimits ? { limits: options.slackTierLimits } : {}),
      // SLACK_RATE_TIERS=off: a Slack stand-in without tiers (the bench); Slack's own 429s are still honoured.
      ...(config.slack.rateTiers === 'off'
        ? { limits: Object.fromEntries(Object.keys(TIERS_KEPT).map((name) => [name, 1_000_000])) }
        : {}),
    });
    const slackFetch = redactingFetch(metrics.slackFetch());
    const clientOptions: WebClientOptions = {
      // Every Web API call gives up after SLACK_TIMEOUT_MS (each try): a silent Slack holds nothing for long.
      timeout: config.slack.timeoutMs,
      retryConfig: options.slackRetryConfig ?? DEFAULT_RETRY,
      logger: slackLogger(logger, 'web-api'),
      fetch: tiers.fetch(slackFetch),
      ...(config.slack.apiUrl ? { slackApiUrl: config.slack.apiUrl } : {}),
    };
    // The start's own calls keep off the tiers: their budgets are Redis writes, and nothing is written yet.
    const checkingWeb = new WebClient(config.slack.botToken, { ...clientOptions, fetch: slackFetch });
    const web = new WebClient(config.slack.botToken, clientOptions);
    const slackApiUrl = config.slack.apiUrl ?? DEFAULT_SLACK_API_URL;
    const slackUrl = redactUrl(slackApiUrl);
    // Slack's checks before any worker takes a job: a process that cannot reach Slack changes nobody.
    const identity = await gate.step(
      {
        what: `Slack (auth.test at ${slackUrl})`,
        check: `Check SLACK_API_URL (unset: ${DEFAULT_SLACK_API_URL}), any proxy or firewall between here and Slack, and https://slack-status.com.`,
      },
      () =>
        checkingWeb.auth.test().catch((err: unknown) => {
          throw (
            slackStartFailure(err, {
              setting: 'SLACK_BOT_TOKEN',
              method: 'auth.test',
              apiUrl: slackApiUrl,
            }) ?? err
          );
        }),
    );
    readiness.slackChecked();
    if ((options.startChecks ?? 'all') === 'all') {
      const groups = await gate.step(
        {
          what: `Slack (usergroups.users.list at ${slackUrl})`,
          check:
            'Check APPROVER_USERGROUP_IDS, REQUESTER_USERGROUP_IDS and the groups of POLICY_FILE, and the bot scope usergroups:read.',
        },
        () =>
          resolveUsergroups(
            checkingWeb,
            [
              { setting: 'APPROVER_USERGROUP_IDS', ids: config.approvals.approverUsergroupIds },
              { setting: 'REQUESTER_USERGROUP_IDS', ids: config.approvals.requesterUsergroupIds },
              ...policyGroups(config.policy),
            ],
            slackApiUrl,
          ),
      );
      const quorum = checkQuorum({
        ...config.approvals,
        approverGroups: groups.get('APPROVER_USERGROUP_IDS') ?? new Map(),
        requesterGroups: groups.get('REQUESTER_USERGROUP_IDS') ?? new Map(),
        botUserId: identity.user_id,
      });
      // A quorum problem and a Cipherscale one are reported together: one start shows both.
      const problems = [...quorum.errors, ...policyCountErrors(config, groups, identity.user_id)];
      for (const warning of quorum.warnings) logger.warn(warning);
      const cipherscaleUrl = redactUrl(config.cipherscale.baseUrl);
      const checked = await gate.step(
        {
          what: `Cipherscale (GET /tenants/users/{id} at ${cipherscaleUrl})`,
          check: 'Check CIPHERSCALE_API_URL, and any proxy or firewall between here and Cipherscale.',
        },
        // No budget: a budget slot is a Redis write.
        () =>
          checkCipherscale(createCipherscaleClient(config.cipherscale), config.cipherscale.baseUrl).catch(
            (err: unknown) => {
              if (!(err instanceof StartCheckError)) throw err;
              problems.push(...err.problems);
              return { warning: undefined };
            },
          ),
      );
      if (checked.warning) logger.warn(checked.warning);
      if (problems.length > 0) throw new StartCheckError(problems);
    }
    const bullPrefix = config.redis.bullPrefix;
    const store = new RequestStore({
      redis,
      prefix,
      retentionMs: config.approvals.retentionMs,
    });
    // BullMQ writes a queue's meta hash when it is made: here only once every start check passed.
    const queue = new Queue(QUEUE_NAME, {
      connection: queueRedis,
      prefix: bullPrefix,
      skipMetasUpdate: true,
    });
    closers.push(() => queue.close());
    const itemsQueue = new Queue(ITEMS_QUEUE_NAME, {
      connection: queueRedis,
      prefix: bullPrefix,
      skipMetasUpdate: true,
    });
    closers.push(() => itemsQueue.close());
    const flows = new FlowProducer({ connection: queueRedis, prefix: bullPrefix });
    closers.push(() => flows.close());
    // Their connections' errors while Redis is away (a failover): logged, not printed to stderr by BullMQ
    // (which writes an 'error' nobody listens to with console.error).
    const queueError = (err: Error) =>
      logger.warn({ err: { name: err.name, message: err.message } }, 'queue connection error');
    for (const q of [queue, itemsQueue]) q.on('error', queueError);
    flows.on('error', queueError);
    const policy = new Policy(
      {
        ...config.approvals,
        requiredApprovals: config.approvals.requiredApprovals,
      },
      new SlackUsergroupDirectory(web, config.approvals.usergroupCacheMs, tiers),
      config.policy,
    );
    const viewers = new HomeViewers({ redis, prefix, retentionMs: config.approvals.retentionMs });
    const home = new HomeTab({ store, policy, viewers, client: web, logger, now, tiers });
    metrics.watchQueues([queue, itemsQueue]);
    // One budget for every Cipherscale call of every process on this Redis.
    const budget = new RedisCallBudget({
      redis,
      prefix,
      limit: config.jobs.ratePerSecond,
      callMaxMs: config.cipherscale.timeoutMs + 1000,
    });
    const cipherscaleOptions = {
      ...config.cipherscale,
      budget,
      onCall: (operation: string, status: string, ms: number) =>
        metrics.cipherscaleCall(operation, status, ms),
    };
    const cipherscale = createCipherscaleClient(cipherscaleOptions);
    const bulkCipherscale = createCipherscaleClient({ ...cipherscaleOptions, priority: 'bulk' });
    const producer = new JobProducer(queue, flows, {
      attempts: config.jobs.attempts,
      retentionMs: config.approvals.retentionMs,
      notifyAttempts: config.jobs.notifyAttempts,
      notifyBackoffMs: config.jobs.notifyBackoffMs,
      now,
    });
    // App Homes of the people concerned: a debounced `home` job after each change (never awaited).
    const homes = new HomeRefreshQueue({ redis, keys: new Keys(prefix), home, producer, logger, now });
    home.deferTo(homes);
    const approverDms = new ApproverDms(redis, new Keys(prefix), config.approvals.retentionMs);
    const dmUpdates = config.approvals.notify === 'dm' ? new DmUpdates(producer, logger) : undefined;
    const notifier = new SlackNotifier(store, web, homes, logger, dmUpdates);
    // WAIT on the connection that writes the requests (its slot's primary in a Cluster).
    const replicas = new Replication(redis, {
      replicas: config.redis.waitReplicas,
      timeoutMs: config.redis.waitMs,
      slotKey: new Keys(prefix).sweeperLock,
      logger,
      onShort: (moment) => metrics.redisUnreplicated(moment),
    });
    const workflow = new Workflow({
      store,
      jobs: producer,
      notifier,
      metrics,
      logger,
      now,
      credits: (userId, needs) => policy.credits(userId, needs),
      replicas,
    });
    const ctx: AppContext = {
      config,
      logger,
      cipherscale,
      bulkCipherscale,
      store,
      policy,
      drafts: new DraftStore(redis, prefix),
      prechecks: new PrecheckLimits({
        redis,
        prefix,
        max: config.approvals.maxBulkPrechecksPerRequester,
        leaseMs: PRECHECK_LEASE_MS,
      }),
      home,
      homes,
      producer,
      workflow,
      timeZones: new TimeZones(web, now),
      slackTeamUrl: identity.url,
      approverDms,
      now,
    };
    const workerDeps = {
      store,
      cipherscale,
      workflow,
      notifier,
      now,
      reporter: new SlackBatchReporter(store, web, tiers),
      producer,
      logger,
      policy: ctx.policy,
      messenger: new SlackApproverMessenger(web, tiers),
      dms: approverDms,
      homes,
    };
    const workerOptions = {
      connection: workerRedis,
      prefix: bullPrefix,
      backoffMs: config.jobs.backoffMs,
      lockMs: config.jobs.lockMs,
    };
    // Socket Mode: the socket's own apps.connections.open is the app token's check, kept off the tiers
    // (a Redis write) until it has passed; its reconnects later keep Tier 1 with every other process.
    let socketOpened = false;
    const tieredFetch = clientOptions.fetch ?? slackFetch;
    const socketClientOptions: WebClientOptions = {
      ...clientOptions,
      fetch: (url, init) => (socketOpened ? tieredFetch : slackFetch)(url, init),
    };
    if (listens) {
      const app = await createSlackApp({
        ctx,
        clientOptions,
        socketClientOptions,
        identity,
        onSocket: (open) => readiness.socketConnected(open),
        onAnswered: (ms) => metrics.slackAnswered(ms),
        ...(options.processBeforeResponse === undefined
          ? {}
          : { processBeforeResponse: options.processBeforeResponse }),
      });
      slack = app;
      await gate.step(
        {
          what: 'Slack Socket Mode (apps.connections.open, then the WebSocket it names)',
          check:
            'Check SLACK_APP_TOKEN (connections:write), Socket Mode enabled for the app, and that outbound WebSocket (wss://) connections are allowed from here.',
        },
        () =>
          app.start().catch((err: unknown) => {
            throw (
              slackStartFailure(err, {
                setting: 'SLACK_APP_TOKEN',
                method: 'apps.connections.open',
                apiUrl: slackApiUrl,
              }) ?? err
            );
          }),
      );
    }
    socketOpened = true;
    // Every check passed: from here on the start writes to Redis.
    await gate.step(redisStep, () => Promise.all([queue, itemsQueue].map(writeQueueMeta)));
    if (config.role !== 'listener') {
      const workers = [
        createWorker(workerDeps, workerOptions),
        createItemsWorker(
          { ...workerDeps, cipherscale: bulkCipherscale },
          {
            ...workerOptions,
            ratePerSecond: config.jobs.ratePerSecond,
            queue: itemsQueue,
          },
        ),
      ];
      metrics.watchWorker(workers[0] as RequestWorker, QUEUE_NAME);
      metrics.watchWorker(workers[1] as RequestWorker, ITEMS_QUEUE_NAME);
      closers.unshift(() => Promise.all(workers.map((w) => closeWithin(w, config.shutdownGraceMs, logger))));
      const sweeper = await gate.step(redisStep, () =>
        startSweeper(
          { ...workerDeps, queue },
          {
            connection: workerRedis,
            prefix: bullPrefix,
            redis,
            lockKey: new Keys(prefix).sweeperLock,
            intervalMs: config.jobs.sweepIntervalMs,
            graceMs: config.jobs.sweepGraceMs,
            lockMs: config.jobs.lockMs,
            pageSize: 100,
            approverDms: config.approvals.notify === 'dm',
            now,
          },
        ),
      );
      closers.unshift(() => sweeper.close());
    }
    // A stop first stops taking Slack's requests: the socket, or (HTTP mode) the server itself.
    const server = ops;
    const listener = slack?.listener;
    if (listener) {
      server.serve(listener);
      closers.unshift(() => server.close());
    } else {
      closers.push(() => server.close());
      if (slack) closers.unshift(slack.stop);
    }
    gate.done();
    const { port } = server;
    logger.info(
      {
        role: config.role,
        ...(config.role === 'worker' ? {} : { mode: config.slack.mode }),
        port,
        redis: describeRedis(config.redis.topology),
        policy: policySummary(config.policy),
      },
      'cipher-user started',
    );
    return {
      port,
      logger,
      redis,
      ctx,
      async stop() {
        // Stop taking requests, let the worker finish its jobs, then let go of Redis.
        for (const close of closers) await close().catch(() => undefined);
        await Promise.all([redis, queueRedis, workerRedis].map((r) => r.quit().catch(() => r.disconnect())));
        logger.info('cipher-user stopped');
        // The log stream is asynchronous: wait until every line is written before the caller exits.
        await new Promise<void>((resolve) => logger.flush(() => resolve()));
        releaseSecrets();
      },
    };
  } catch (err) {
    gate.done();
    // Whatever opened: closed, each given a moment (a socket that never connected may never say closed).
    const opened = [...(slack ? [slack.stop] : []), ...closers, ...(ops ? [ops.close] : [])];
    for (const close of opened) await within(CLEANUP_MS, close());
    for (const r of connections) r.disconnect();
    releaseSecrets();
    throw err;
  }
}

const CLEANUP_MS = 2000;

/** What BullMQ writes when a queue is made without `skipMetasUpdate` (its version, the events stream's cap). */
async function writeQueueMeta(queue: Queue): Promise<void> {
  await queue.waitUntilReady();
  await queue.backend.setQueueMeta(queue.metaValues);
}

function within(ms: number, work: Promise<unknown>): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  return Promise.race([work.catch(() => undefined), late]).finally(() => clearTimeout(timer));
}

/** Lets running jobs finish for up to `graceMs`; then stops anyway (another worker takes them over). */
async function closeWithin(
  worker: { close(force?: boolean): Promise<void> },
  graceMs: number,
  logger: Logger,
) {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<true>((resolve) => {
    timer = setTimeout(() => resolve(true), graceMs);
  });
  const late = await Promise.race([worker.close().then(() => false), timedOut]);
  clearTimeout(timer);
  if (late) {
    logger.warn({ graceMs }, 'jobs still running after the grace period: stopping anyway');
    await worker.close(true);
  }
}

/** POLICY_FILE's counts against the people who could give them, its groups as resolved at start. */
function policyCountErrors(
  config: Config,
  groups: Map<string, Map<string, ReadonlySet<string>>>,
  botUserId: string | undefined,
): string[] {
  const members = new Map<string, ReadonlySet<string>>();
  for (const resolved of groups.values()) for (const [id, users] of resolved) members.set(id, users);
  const approvers = new Set(config.approvals.approverUserIds);
  for (const id of config.approvals.approverUsergroupIds)
    for (const user of members.get(id) ?? []) approvers.add(user);
  if (botUserId) approvers.delete(botUserId);
  return checkPolicyCounts(config.policy, { approvers, members, botUserId });
}

function secretsOf(config: Config): string[] {
  const secrets = [config.slack.botToken, config.cipherscale.token];
  if (config.metricsToken) secrets.push(config.metricsToken);
  if (config.slack.signingSecret) secrets.push(config.slack.signingSecret);
  if (config.slack.appToken) secrets.push(config.slack.appToken);
  secrets.push(...config.redis.secrets);
  return secrets;
}
