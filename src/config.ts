import { z } from 'zod';

// The only reader of process.env. Setting names are a public contract (README, .env.example, Docker).

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

const nonEmpty = (what: string) =>
  z
    .string({ error: `required: ${what}` })
    .trim()
    .min(1, `required: ${what}`);
const optionalText = z
  .string()
  .trim()
  .optional()
  .transform((value) => (value ? value : undefined));

const url = (protocols: string[], what: string) =>
  z
    .string()
    .trim()
    .refine(
      (value) => {
        try {
          return protocols.includes(new URL(value).protocol);
        } catch {
          return false;
        }
      },
      `must be a ${protocols.map((p) => `${p}//`).join(' or ')} URL (${what})`,
    );

const integer = (min: number, max: number, fallback: number) =>
  z
    .string()
    .trim()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value === '') return fallback;
      const parsed = Number(value);
      if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
        ctx.addIssue({ code: 'custom', message: `must be a whole number from ${min} to ${max}` });
        return z.NEVER;
      }
      return parsed;
    });

// Comma/space separated Slack ids, e.g. "U012ABC, U034DEF"; each checked against its kind's shape.
const idList = (pattern: RegExp, kind: string) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      const ids = (value ?? '').split(/[\s,]+/).filter(Boolean);
      const bad = ids.filter((id) => !pattern.test(id));
      if (bad.length > 0) {
        ctx.addIssue({ code: 'custom', message: `${bad.length} value(s) are not Slack ${kind} ids` });
        return z.NEVER;
      }
      return [...new Set(ids)];
    });
const USER_ID = /^[UW][A-Z0-9]{2,}$/;
const USERGROUP_ID = /^S[A-Z0-9]{2,}$/;
const CHANNEL_ID = /^[CGD][A-Z0-9]{2,}$/;
const TEAM_ID = /^T[A-Z0-9]{2,}$/;

const envSchema = z.object({
  SLACK_BOT_TOKEN: nonEmpty('the bot token, xoxb-…').refine(
    (v) => v.startsWith('xoxb-'),
    'must start with xoxb-',
  ),
  SLACK_SIGNING_SECRET: optionalText,
  SLACK_APP_TOKEN: optionalText.refine(
    (v) => v === undefined || v.startsWith('xapp-'),
    'must start with xapp-',
  ),
  SLACK_API_URL: url(['https:', 'http:'], 'Slack Web API base')
    .optional()
    .transform((v) => (v ? (v.endsWith('/') ? v : `${v}/`) : undefined)),
  PORT: integer(0, 65_535, 3000),
  SLACK_TIMEOUT_MS: integer(500, 120_000, 10_000),
  START_TIMEOUT_MS: integer(1000, 600_000, 30_000),
  SLACK_RATE_TIERS: z.enum(['kept', 'off'], { error: 'must be kept or off' }).default('kept'),
  ALLOWED_TEAM_IDS: idList(TEAM_ID, 'team (workspace, T…)'),
  CIPHERSCALE_API_URL: url(['https:', 'http:'], 'Cipherscale API base')
    .default('https://public-api.cipherscale.com/qa')
    .transform((v) => v.replace(/\/+$/, '')),
  CIPHERSCALE_API_TOKEN: nonEmpty('the Cipherscale API token'),
  CIPHERSCALE_TIMEOUT_MS: integer(100, 120_000, 15_000),
  CIPHERSCALE_RATE_LIMIT_PER_SECOND: integer(1, 1000, 10),
  REDIS_URL: url(['redis:', 'rediss:'], 'Redis').default('redis://127.0.0.1:6379'),
  REDIS_KEY_PREFIX: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9_.-]{1,40}$/, 'letters, digits, _ . - only (1-40)')
    .default('cipher-user'),
  APPROVER_USER_IDS: idList(USER_ID, 'user'),
  APPROVER_USERGROUP_IDS: idList(USERGROUP_ID, 'user group'),
  REQUESTER_USER_IDS: idList(USER_ID, 'user'),
  REQUESTER_USERGROUP_IDS: idList(USERGROUP_ID, 'user group'),
  ALLOWED_CHANNEL_IDS: idList(CHANNEL_ID, 'channel'),
  APPROVALS_CHANNEL_ID: optionalText.refine(
    (v) => v === undefined || CHANNEL_ID.test(v),
    'must be a channel id (C…)',
  ),
  REQUIRED_APPROVALS_EDIT: integer(1, 10, 1),
  REQUIRED_APPROVALS_DEACTIVATE: integer(1, 10, 1),
  REQUIRED_APPROVALS_DELETE: integer(1, 10, 2),
  APPROVAL_TTL_MINUTES: z
    .string()
    .trim()
    .optional()
    .transform((value, ctx) => {
      if (value === undefined || value === '') return 1440;
      const minutes = Number(value);
      if (!Number.isFinite(minutes) || minutes < 0.01 || minutes > 60 * 24 * 30) {
        ctx.addIssue({ code: 'custom', message: 'must be a number of minutes from 0.01 to 43200' });
        return z.NEVER;
      }
      return minutes;
    }),
  USERGROUP_CACHE_SECONDS: integer(0, 3600, 60),
  MAX_OPEN_REQUESTS_PER_REQUESTER: integer(1, 1000, 10),
  MAX_BULK_PRECHECKS_PER_REQUESTER: integer(1, 20, 2),
  NOTIFY_APPROVERS: z.enum(['off', 'dm'], { error: 'must be off or dm' }).default('off'),
  BULK_APPROVE_AFTER_FULL_LIST: z.enum(['off', 'on'], { error: 'must be off or on' }).default('off'),
  JOB_ATTEMPTS: integer(1, 20, 5),
  JOB_BACKOFF_MS: integer(10, 600_000, 2000),
  RETENTION_DAYS: integer(1, 3650, 30),
  SHUTDOWN_GRACE_MS: integer(0, 600_000, 25_000),
  JOB_LOCK_MS: integer(500, 600_000, 30_000),
  NOTIFY_ATTEMPTS: integer(1, 20, 8),
  NOTIFY_BACKOFF_MS: integer(10, 600_000, 2000),
  SWEEP_INTERVAL_MS: integer(100, 3_600_000, 30_000),
  SWEEP_GRACE_MS: integer(100, 3_600_000, 60_000),
  ROLE: z.enum(['both', 'listener', 'worker'], { error: 'must be both, listener or worker' }).default('both'),
  METRICS_TOKEN: optionalText,
  LOG_FORMAT: z.enum(['json', 'pretty'], { error: 'must be json or pretty' }).optional(),
  NODE_ENV: optionalText,
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
      error: 'must be one of fatal, error, warn, info, debug, trace, silent',
    })
    .default('info'),
});

export interface Config {
  readonly slack: {
    readonly botToken: string;
    readonly signingSecret: string | undefined;
    readonly appToken: string | undefined;
    readonly apiUrl: string | undefined;
    readonly mode: 'socket' | 'http';
    readonly port: number;
    /** Workspaces whose members may use the app, besides the installing one (auth.test). */
    readonly allowedTeamIds: readonly string[];
    /** One Web API call (each try of it) gives up after this long. */
    readonly timeoutMs: number;
    /** `kept`: every process paces its calls within Slack's tiers; `off`: no pacing (a Slack stand-in, the bench). */
    readonly rateTiers: 'kept' | 'off';
  };
  /** The start (Redis, Slack, the socket) completes or fails within this long. */
  readonly startTimeoutMs: number;
  readonly cipherscale: {
    readonly baseUrl: string;
    readonly token: string;
    readonly timeoutMs: number;
    readonly insecureTransport: boolean;
  };
  readonly redisUrl: string;
  readonly redisKeyPrefix: string;
  readonly approvals: {
    readonly approverUserIds: readonly string[];
    readonly approverUsergroupIds: readonly string[];
    readonly requesterUserIds: readonly string[];
    readonly requesterUsergroupIds: readonly string[];
    readonly allowedChannelIds: readonly string[];
    readonly approvalsChannelId: string | undefined;
    readonly requiredApprovals: Readonly<Record<'edit' | 'deactivate' | 'delete', number>>;
    readonly ttlMs: number;
    readonly usergroupCacheMs: number;
    /** `dm`: each approver gets a direct message about a new request. */
    readonly notify: 'off' | 'dm';
    /** A bulk request is approved only by an approver who paged through its whole list. */
    readonly bulkFullListFirst: boolean;
    readonly retentionMs: number;
    /** Open requests (pending to running) one requester may have at once. */
    readonly maxOpenPerRequester: number;
    /** Bulk pre-checks (reading every pasted id) one requester may have running at once. */
    readonly maxBulkPrechecksPerRequester: number;
  };
  readonly jobs: {
    readonly attempts: number;
    readonly backoffMs: number;
    /** A worker's hold on a job; a job whose worker died is taken over after about this long. */
    readonly lockMs: number;
    /** Cipherscale calls (every method) in any sliding second, across every process. */
    readonly ratePerSecond: number;
    /** Slack posts retried in the background (notify, batch report, reminder, DMs): attempts and backoff base. */
    readonly notifyAttempts: number;
    readonly notifyBackoffMs: number;
    /** How often the sweeper runs, and how long a request sits in a state before it looks at it. */
    readonly sweepIntervalMs: number;
    readonly sweepGraceMs: number;
  };
  /** How long a stop waits for running jobs before leaving them to another worker. */
  readonly shutdownGraceMs: number;
  /** What this process runs: the Slack listener, the job workers, or both. */
  readonly role: Role;
  /** When set, GET /metrics wants `Authorization: Bearer <token>`. */
  readonly metricsToken: string | undefined;
  readonly logLevel: z.infer<typeof envSchema>['LOG_LEVEL'];
  readonly logFormat: 'json' | 'pretty';
}

export type Role = 'both' | 'listener' | 'worker';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: readonly string[]) {
    super(`Configuration is not valid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** Parses settings once; throws ConfigError listing every problem, never echoing a value. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  const problems = parsed.success
    ? []
    : parsed.error.issues.map((issue) => `${issue.path.join('.') || 'settings'}: ${issue.message}`);
  const listens = env.ROLE?.trim() !== 'worker';
  if (listens && !env.SLACK_APP_TOKEN?.trim() && !env.SLACK_SIGNING_SECRET?.trim()) {
    problems.push('SLACK_SIGNING_SECRET: required in HTTP mode (or set SLACK_APP_TOKEN for Socket Mode)');
  }
  if (!env.APPROVER_USER_IDS?.trim() && !env.APPROVER_USERGROUP_IDS?.trim()) {
    problems.push(
      'APPROVER_USER_IDS / APPROVER_USERGROUP_IDS: set at least one approver (user ids or user group ids)',
    );
  }
  if (!parsed.success || problems.length > 0) throw new ConfigError([...new Set(problems)].sort());
  const e = parsed.data;
  const cipherUrl = new URL(e.CIPHERSCALE_API_URL);
  return Object.freeze({
    slack: Object.freeze({
      botToken: e.SLACK_BOT_TOKEN,
      signingSecret: e.SLACK_SIGNING_SECRET,
      appToken: e.SLACK_APP_TOKEN,
      apiUrl: e.SLACK_API_URL,
      mode: e.SLACK_APP_TOKEN ? 'socket' : 'http',
      port: e.PORT,
      allowedTeamIds: e.ALLOWED_TEAM_IDS,
      timeoutMs: e.SLACK_TIMEOUT_MS,
      rateTiers: e.SLACK_RATE_TIERS,
    }),
    startTimeoutMs: e.START_TIMEOUT_MS,
    cipherscale: Object.freeze({
      baseUrl: e.CIPHERSCALE_API_URL,
      token: e.CIPHERSCALE_API_TOKEN,
      timeoutMs: e.CIPHERSCALE_TIMEOUT_MS,
      insecureTransport: cipherUrl.protocol === 'http:' && !LOOPBACK_HOSTS.has(cipherUrl.hostname),
    }),
    redisUrl: e.REDIS_URL,
    redisKeyPrefix: e.REDIS_KEY_PREFIX,
    approvals: Object.freeze({
      approverUserIds: e.APPROVER_USER_IDS,
      approverUsergroupIds: e.APPROVER_USERGROUP_IDS,
      requesterUserIds: e.REQUESTER_USER_IDS,
      requesterUsergroupIds: e.REQUESTER_USERGROUP_IDS,
      allowedChannelIds: e.ALLOWED_CHANNEL_IDS,
      approvalsChannelId: e.APPROVALS_CHANNEL_ID,
      requiredApprovals: Object.freeze({
        edit: e.REQUIRED_APPROVALS_EDIT,
        deactivate: e.REQUIRED_APPROVALS_DEACTIVATE,
        delete: e.REQUIRED_APPROVALS_DELETE,
      }),
      ttlMs: Math.round(e.APPROVAL_TTL_MINUTES * 60_000),
      usergroupCacheMs: e.USERGROUP_CACHE_SECONDS * 1000,
      notify: e.NOTIFY_APPROVERS,
      bulkFullListFirst: e.BULK_APPROVE_AFTER_FULL_LIST === 'on',
      retentionMs: e.RETENTION_DAYS * 86_400_000,
      maxOpenPerRequester: e.MAX_OPEN_REQUESTS_PER_REQUESTER,
      maxBulkPrechecksPerRequester: e.MAX_BULK_PRECHECKS_PER_REQUESTER,
    }),
    jobs: Object.freeze({
      attempts: e.JOB_ATTEMPTS,
      backoffMs: e.JOB_BACKOFF_MS,
      lockMs: e.JOB_LOCK_MS,
      ratePerSecond: e.CIPHERSCALE_RATE_LIMIT_PER_SECOND,
      notifyAttempts: e.NOTIFY_ATTEMPTS,
      notifyBackoffMs: e.NOTIFY_BACKOFF_MS,
      sweepIntervalMs: e.SWEEP_INTERVAL_MS,
      sweepGraceMs: e.SWEEP_GRACE_MS,
    }),
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    role: e.ROLE,
    metricsToken: e.METRICS_TOKEN,
    logLevel: e.LOG_LEVEL,
    logFormat: e.LOG_FORMAT ?? (e.NODE_ENV === 'development' ? 'pretty' : 'json'),
  });
}

/** The Redis URL without its password, for messages. */
export function redactUrl(value: string): string {
  try {
    const parsed = new URL(value);
    if (parsed.password) parsed.password = '***';
    if (parsed.username && parsed.password === '') parsed.username = '***';
    return parsed.toString();
  } catch {
    return '(unparseable URL)';
  }
}
