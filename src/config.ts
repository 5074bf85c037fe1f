import { z } from 'zod';
import { NO_RULES, type PolicyDocument } from './policy/document.js';
import { readPolicyFile, type SlackIdChecks } from './policy/file.js';

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
        ctx.addIssue({
          code: 'custom',
          message: `must be a whole number from ${min} to ${max}, not ${quoted([value])}`,
        });
        return z.NEVER;
      }
      return parsed;
    });

// One of a few words; the value (never a secret) is quoted back.
const choice = <const T extends string, const F extends T | undefined>(
  values: readonly [T, ...T[]],
  fallback: F,
) =>
  z
    .string()
    .trim()
    .optional()
    .transform((value, ctx): T | F => {
      if (value === undefined || value === '') return fallback;
      if ((values as readonly string[]).includes(value)) return value as T;
      const words = `${values.slice(0, -1).join(', ')}${values.length > 1 ? ' or ' : ''}${values.at(-1)}`;
      ctx.addIssue({ code: 'custom', message: `must be ${words}, not ${quoted([value])}` });
      return z.NEVER;
    });

const MAX_QUOTED = 5;
const MAX_QUOTED_CHARS = 24;
/** Non-secret values as `"a", "b" and 3 more`: each cut short, control characters replaced. */
function quoted(values: readonly string[]): string {
  const shown = values.slice(0, MAX_QUOTED).map((value) => {
    // biome-ignore lint/suspicious/noControlCharactersInRegex: terminal escapes are what it removes
    const clean = value.replace(/[\u0000-\u001f\u007f"\\]/g, '?');
    return `"${clean.length > MAX_QUOTED_CHARS ? `${clean.slice(0, MAX_QUOTED_CHARS)}…` : clean}"`;
  });
  const more = values.length - shown.length;
  const list = shown.length > 1 ? `${shown.slice(0, -1).join(', ')} and ${shown.at(-1)}` : (shown[0] ?? '');
  return more > 0 ? `${shown.join(', ')} and ${more} more` : list;
}

/**
 * The placeholders .env.example holds (test/start/config.test.ts keeps the two together): a start
 * with one of them is refused by name, before anything connects. Secrets' values are never printed.
 */
export const EXAMPLE_VALUES: Readonly<Record<string, string>> = {
  SLACK_BOT_TOKEN: 'xoxb-your-bot-token',
  SLACK_SIGNING_SECRET: 'your-signing-secret',
  SLACK_APP_TOKEN: 'xapp-your-app-token',
  CIPHERSCALE_API_TOKEN: 'your-cipherscale-token',
};
const EXAMPLE_HINTS: Readonly<Record<string, string>> = {
  SLACK_BOT_TOKEN: 'put in the Bot User OAuth Token (api.slack.com/apps → your app → OAuth & Permissions)',
  SLACK_SIGNING_SECRET: 'put in the Signing Secret (your app → Basic Information → App Credentials)',
  SLACK_APP_TOKEN:
    'put in an app-level token with connections:write (Basic Information → App-Level Tokens), or unset it for HTTP mode',
  CIPHERSCALE_API_TOKEN: 'put in your Cipherscale API token (with `npm run sandbox`: sandbox-token)',
};
/** The example ids of .env.example: well-formed, so refused by value in every id setting. */
const EXAMPLE_IDS: ReadonlySet<string> = new Set(['U0123456789', 'S0123456789', 'C0123456789']);

// Comma/space separated Slack ids, e.g. "U012ABC, U034DEF"; each checked against its kind's shape.
const idList = (pattern: RegExp, kind: string, shape: string) =>
  z
    .string()
    .optional()
    .transform((value, ctx) => {
      const ids = (value ?? '').split(/[\s,]+/).filter(Boolean);
      const issues = idIssues(ids, pattern, kind, shape);
      for (const message of issues) ctx.addIssue({ code: 'custom', message });
      return issues.length > 0 ? z.NEVER : [...new Set(ids)];
    });

/**
 * What is wrong with some Slack ids: example ones from .env.example, then ones of the wrong shape.
 * `quote: false` (the policy file) never quotes a wrong one back: its path in the file says which.
 */
function idIssues(
  ids: readonly string[],
  pattern: RegExp,
  kind: string,
  shape: string,
  { quote = true }: { quote?: boolean } = {},
): string[] {
  const issues: string[] = [];
  const examples = ids.filter((id) => EXAMPLE_IDS.has(id));
  if (examples.length > 0)
    issues.push(
      `still holds the example value ${quoted(examples)} from .env.example: put in real Slack ${kind} ids`,
    );
  const bad = ids.filter((id) => !EXAMPLE_IDS.has(id) && !pattern.test(id));
  if (bad.length > 0 && !quote) issues.push(`not a Slack ${kind} id (${shape})`);
  else if (bad.length > 0) {
    const verb = bad.length === 1 ? `is not a Slack ${kind} id` : `are not Slack ${kind} ids`;
    issues.push(`${quoted(bad)} ${verb} (${shape})`);
  }
  return issues;
}
const USER_ID = /^[UW][A-Z0-9]{2,}$/;
const USERGROUP_ID = /^S[A-Z0-9]{2,}$/;
const CHANNEL_ID = /^[CGD][A-Z0-9]{2,}$/;
const TEAM_ID = /^T[A-Z0-9]{2,}$/;
const USER_SHAPE = 'U or W and 2+ capital letters or digits: a profile → ⋮ → Copy member ID';
const USERGROUP_SHAPE =
  "S and 2+ capital letters or digits: the end of the group's link in People → User groups";
const CHANNEL_SHAPE = "C, G or D and 2+ capital letters or digits: the end of the channel's link";

/** `host:port` (or `[v6]:port`), comma or space separated; the port defaults to `fallbackPort`. */
const hostPorts = (fallbackPort: number, what: string) =>
  z
    .string()
    .optional()
    .transform((value, ctx): HostPort[] => {
      const items = (value ?? '').split(/[\s,]+/).filter(Boolean);
      if (value !== undefined && value.trim() !== '' && items.length === 0)
        ctx.addIssue({
          code: 'custom',
          message: `no host:port in it (${what}, e.g. 10.0.0.5:${fallbackPort})`,
        });
      const found: HostPort[] = [];
      for (const [at, item] of items.entries()) {
        const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9._-]+))(?::(\d{1,5}))?$/.exec(item);
        const port = m?.[3] === undefined ? fallbackPort : Number(m[3]);
        if (!m || port < 1 || port > 65_535) {
          // A pasted URL (redis://:password@host) must not be quoted back: it may hold a password.
          const shown = /[@/]/.test(item) ? `item ${at + 1} (a URL or user@host)` : quoted([item]);
          ctx.addIssue({
            code: 'custom',
            message: `${shown} is not host:port (${what}, e.g. 10.0.0.5:${fallbackPort}, an IPv6 address in brackets: [::1]:${fallbackPort}; a password goes in its own setting)`,
          });
          continue;
        }
        found.push({ host: m[1] ?? m[2] ?? '', port });
      }
      return found;
    });

/** The same id checks for POLICY_FILE (src/policy/file.ts), one id at a time, none quoted back. */
export const SLACK_ID_CHECKS: SlackIdChecks = {
  user: (id) => idIssues([id], USER_ID, 'user', USER_SHAPE, { quote: false }),
  usergroup: (id) => idIssues([id], USERGROUP_ID, 'user group', USERGROUP_SHAPE, { quote: false }),
  channel: (id) => idIssues([id], CHANNEL_ID, 'channel', CHANNEL_SHAPE, { quote: false }),
};

const envSchema = z.object({
  SLACK_BOT_TOKEN: nonEmpty('the bot token, xoxb-…').refine(
    (v) => v.startsWith('xoxb-'),
    'must start with xoxb- (the Bot User OAuth Token from OAuth & Permissions; a user token xoxp- or an app token xapp- does not work here)',
  ),
  SLACK_SIGNING_SECRET: optionalText,
  SLACK_APP_TOKEN: optionalText.refine(
    (v) => v === undefined || v.startsWith('xapp-'),
    'must start with xapp- (an app-level token from Basic Information → App-Level Tokens)',
  ),
  // Empty (`SLACK_API_URL=` as .env.example shows it) is unset: Slack's own.
  SLACK_API_URL: z.preprocess(
    (v) => (typeof v === 'string' && v.trim() === '' ? undefined : v),
    url(['https:', 'http:'], 'Slack Web API base')
      .optional()
      .transform((v) => (v ? (v.endsWith('/') ? v : `${v}/`) : undefined)),
  ),
  PORT: integer(0, 65_535, 3000),
  SLACK_TIMEOUT_MS: integer(500, 120_000, 10_000),
  START_TIMEOUT_MS: integer(1000, 600_000, 30_000),
  SLACK_RATE_TIERS: choice(['kept', 'off'], 'kept'),
  ALLOWED_TEAM_IDS: idList(TEAM_ID, 'team', 'T and 2+ capital letters or digits, e.g. T0A1B2C3D'),
  CIPHERSCALE_API_URL: url(['https:', 'http:'], 'Cipherscale API base')
    .default('https://public-api.cipherscale.com/qa')
    .transform((v) => v.replace(/\/+$/, '')),
  CIPHERSCALE_API_TOKEN: nonEmpty('the Cipherscale API token'),
  CIPHERSCALE_TIMEOUT_MS: integer(100, 120_000, 15_000),
  CIPHERSCALE_RATE_LIMIT_PER_SECOND: integer(1, 1000, 10),
  REDIS_URL: url(['redis:', 'rediss:'], 'Redis').default('redis://127.0.0.1:6379'),
  REDIS_SENTINELS: hostPorts(26379, 'Sentinel'),
  REDIS_SENTINEL_NAME: optionalText.refine(
    (v) => v === undefined || /^[A-Za-z0-9_.-]{1,100}$/.test(v),
    'letters, digits, _ . - only (the name after `sentinel monitor` in sentinel.conf)',
  ),
  REDIS_SENTINEL_USERNAME: optionalText,
  REDIS_SENTINEL_PASSWORD: optionalText,
  REDIS_SENTINEL_TLS: choice(['on', 'off'], undefined),
  REDIS_CLUSTER_NODES: hostPorts(6379, 'Redis Cluster'),
  REDIS_USERNAME: optionalText,
  REDIS_PASSWORD: optionalText,
  REDIS_TLS: choice(['on', 'off'], 'off'),
  REDIS_TLS_SERVERNAME: optionalText.refine(
    (v) => v === undefined || /^[A-Za-z0-9*]([A-Za-z0-9.*-]{0,252})$/.test(v),
    'a host name, e.g. redis.internal.example.com',
  ),
  REDIS_WAIT_REPLICAS: z
    .string()
    .trim()
    .optional()
    .transform((value, ctx): 'auto' | number => {
      if (value === undefined || value === '' || value === 'auto') return 'auto';
      const n = Number(value);
      if (!Number.isInteger(n) || n < 0 || n > 10) {
        ctx.addIssue({
          code: 'custom',
          message: `must be auto or a whole number from 0 to 10, not ${quoted([value])}`,
        });
        return z.NEVER;
      }
      return n;
    }),
  REDIS_WAIT_MS: integer(10, 2000, 500),
  REDIS_KEY_PREFIX: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9_.-]{1,40}$/, 'letters, digits, _ . - only (1-40)')
    .default('cipher-user'),
  APPROVER_USER_IDS: idList(USER_ID, 'user', USER_SHAPE),
  APPROVER_USERGROUP_IDS: idList(USERGROUP_ID, 'user group', USERGROUP_SHAPE),
  REQUESTER_USER_IDS: idList(USER_ID, 'user', USER_SHAPE),
  REQUESTER_USERGROUP_IDS: idList(USERGROUP_ID, 'user group', USERGROUP_SHAPE),
  ALLOWED_CHANNEL_IDS: idList(CHANNEL_ID, 'channel', CHANNEL_SHAPE),
  APPROVALS_CHANNEL_ID: optionalText.superRefine((v, ctx) => {
    if (v === undefined) return;
    for (const message of idIssues([v], CHANNEL_ID, 'channel', CHANNEL_SHAPE))
      ctx.addIssue({ code: 'custom', message });
  }),
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
  NOTIFY_APPROVERS: choice(['off', 'dm'], 'off'),
  BULK_APPROVE_AFTER_FULL_LIST: choice(['off', 'on'], 'off'),
  JOB_ATTEMPTS: integer(1, 20, 5),
  JOB_BACKOFF_MS: integer(10, 600_000, 2000),
  RETENTION_DAYS: integer(1, 3650, 30),
  SHUTDOWN_GRACE_MS: integer(0, 600_000, 25_000),
  JOB_LOCK_MS: integer(500, 600_000, 30_000),
  NOTIFY_ATTEMPTS: integer(1, 20, 8),
  NOTIFY_BACKOFF_MS: integer(10, 600_000, 2000),
  SWEEP_INTERVAL_MS: integer(100, 3_600_000, 30_000),
  SWEEP_GRACE_MS: integer(100, 3_600_000, 60_000),
  ROLE: choice(['both', 'listener', 'worker'], 'both'),
  METRICS_TOKEN: optionalText,
  LOG_FORMAT: choice(['json', 'pretty'], undefined),
  NODE_ENV: optionalText,
  LOG_LEVEL: choice(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
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
  /** The single instance's URL (REDIS_URL); with Sentinel or Cluster, unused. */
  readonly redisUrl: string;
  /** REDIS_KEY_PREFIX as set; keys are under `redis.prefix`, its hash-tagged form. */
  readonly redisKeyPrefix: string;
  readonly redis: RedisSettings;
  /** POLICY_FILE's rules, read and checked at start; without it, none (the approvals settings are the policy). */
  readonly policy: PolicyDocument;
  readonly approvals: {
    readonly approverUserIds: readonly string[];
    readonly approverUsergroupIds: readonly string[];
    readonly requesterUserIds: readonly string[];
    readonly requesterUsergroupIds: readonly string[];
    readonly allowedChannelIds: readonly string[];
    readonly approvalsChannelId: string | undefined;
    readonly requiredApprovals: Readonly<Record<'edit' | 'deactivate' | 'delete', number>>;
    /** The actions whose REQUIRED_APPROVALS_* is set, not defaulted. */
    readonly quorumsSet: readonly ('edit' | 'deactivate' | 'delete')[];
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

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** Where Redis is: one instance (REDIS_URL), a Sentinel-watched primary, or a Cluster. */
export type RedisTopology =
  | { readonly kind: 'single'; readonly url: string }
  | {
      readonly kind: 'sentinel';
      readonly sentinels: readonly HostPort[];
      readonly name: string;
      readonly sentinelUsername: string | undefined;
      readonly sentinelPassword: string | undefined;
      readonly sentinelTls: boolean;
      readonly username: string | undefined;
      readonly password: string | undefined;
      readonly tls: boolean;
      readonly tlsServername: string | undefined;
    }
  | {
      readonly kind: 'cluster';
      readonly nodes: readonly HostPort[];
      readonly username: string | undefined;
      readonly password: string | undefined;
      readonly tls: boolean;
      readonly tlsServername: string | undefined;
    };

export interface RedisSettings {
  readonly topology: RedisTopology;
  /** Every app key starts with this: `{<REDIS_KEY_PREFIX>}:`, one Cluster hash slot for the deployment. */
  readonly prefix: string;
  /** BullMQ's prefix, `{<REDIS_KEY_PREFIX>}-bull`: the same hash tag, so queue and request keys share the slot. */
  readonly bullPrefix: string;
  /** Replicas a request's creation and a reached quorum wait for (WAIT); `auto`: 1 when the primary has any. */
  readonly waitReplicas: 'auto' | number;
  /** How long such a WAIT may take before the app goes on without the acknowledgement. */
  readonly waitMs: number;
  /** The Redis secrets (data and Sentinel passwords, the URL's), for log redaction. */
  readonly secrets: readonly string[];
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: readonly string[]) {
    super(`Configuration is not valid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/** Parses settings once; throws ConfigError listing every problem, never echoing a value. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(env);
  // A placeholder is named as such, instead of whatever else is wrong with it.
  const examples = new Set(
    Object.keys(EXAMPLE_VALUES).filter((name) => env[name]?.trim() === EXAMPLE_VALUES[name]),
  );
  const problems = [...examples].map(
    (name) => `${name}: still holds the example value from .env.example; ${EXAMPLE_HINTS[name]}`,
  );
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const name = issue.path.join('.') || 'settings';
      if (!examples.has(name)) problems.push(`${name}: ${issue.message}`);
    }
  }
  const listens = env.ROLE?.trim() !== 'worker';
  if (listens && !env.SLACK_APP_TOKEN?.trim() && !env.SLACK_SIGNING_SECRET?.trim()) {
    problems.push('SLACK_SIGNING_SECRET: required in HTTP mode (or set SLACK_APP_TOKEN for Socket Mode)');
  }
  if (!env.APPROVER_USER_IDS?.trim() && !env.APPROVER_USERGROUP_IDS?.trim()) {
    problems.push(
      'APPROVER_USER_IDS / APPROVER_USERGROUP_IDS: set at least one approver (user ids or user group ids)',
    );
  }
  problems.push(...redisTopologyProblems(env));
  const policy = loadPolicy(env.POLICY_FILE);
  // The file's problems follow the settings', in the file's order (rules[2] before rules[10]).
  if (!parsed.success || problems.length > 0 || !policy.ok)
    throw new ConfigError([...[...new Set(problems)].sort(), ...(policy.ok ? [] : policy.problems)]);
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
    redis: Object.freeze({
      topology: redisTopology(e),
      prefix: appKeyPrefix(e.REDIS_KEY_PREFIX),
      bullPrefix: bullKeyPrefix(e.REDIS_KEY_PREFIX),
      waitReplicas: e.REDIS_WAIT_REPLICAS,
      waitMs: e.REDIS_WAIT_MS,
      secrets: Object.freeze(
        [e.REDIS_PASSWORD, e.REDIS_SENTINEL_PASSWORD, urlPassword(e.REDIS_URL)].filter((v): v is string =>
          Boolean(v),
        ),
      ),
    }),
    policy: policy.document,
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
      quorumsSet: Object.freeze(
        (['edit', 'deactivate', 'delete'] as const).filter(
          (action) => (env[`REQUIRED_APPROVALS_${action.toUpperCase()}`] ?? '').trim() !== '',
        ),
      ),
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

/** POLICY_FILE read and checked; unset or empty: no rules, the settings are the policy. */
function loadPolicy(
  file: string | undefined,
): { ok: true; document: PolicyDocument } | { ok: false; problems: string[] } {
  const path = file?.trim();
  if (!path) return { ok: true, document: NO_RULES };
  const read = readPolicyFile(path, SLACK_ID_CHECKS);
  return read.ok ? read : { ok: false, problems: read.problems.map((problem) => `POLICY_FILE ${problem}`) };
}

/** `{<prefix>}:`: the hash tag puts every app key of a deployment in one Redis Cluster slot. */
export function appKeyPrefix(redisKeyPrefix: string): string {
  return `{${redisKeyPrefix}}:`;
}

/** `{<prefix>}-bull`: BullMQ's keys (`<this>:<queue>:…`) in the same slot as the app's. */
export function bullKeyPrefix(redisKeyPrefix: string): string {
  return `{${redisKeyPrefix}}-bull`;
}

type Env = z.infer<typeof envSchema>;

function redisTopology(e: Env): RedisTopology {
  if (e.REDIS_SENTINELS.length > 0) {
    return Object.freeze({
      kind: 'sentinel',
      sentinels: e.REDIS_SENTINELS,
      name: e.REDIS_SENTINEL_NAME ?? '',
      sentinelUsername: e.REDIS_SENTINEL_USERNAME,
      sentinelPassword: e.REDIS_SENTINEL_PASSWORD,
      sentinelTls: (e.REDIS_SENTINEL_TLS ?? e.REDIS_TLS) === 'on',
      username: e.REDIS_USERNAME,
      password: e.REDIS_PASSWORD,
      tls: e.REDIS_TLS === 'on',
      tlsServername: e.REDIS_TLS_SERVERNAME,
    });
  }
  if (e.REDIS_CLUSTER_NODES.length > 0) {
    return Object.freeze({
      kind: 'cluster',
      nodes: e.REDIS_CLUSTER_NODES,
      username: e.REDIS_USERNAME,
      password: e.REDIS_PASSWORD,
      tls: e.REDIS_TLS === 'on',
      tlsServername: e.REDIS_TLS_SERVERNAME,
    });
  }
  return Object.freeze({ kind: 'single', url: e.REDIS_URL });
}

/** Settings that contradict each other: one topology at a time, each with what it needs. */
function redisTopologyProblems(env: NodeJS.ProcessEnv): string[] {
  const set = (name: string) => (env[name] ?? '').trim() !== '';
  const problems: string[] = [];
  if (set('REDIS_SENTINELS') && set('REDIS_CLUSTER_NODES'))
    problems.push('REDIS_SENTINELS / REDIS_CLUSTER_NODES: set one of them (Sentinel or Cluster), not both');
  const ha = set('REDIS_SENTINELS') || set('REDIS_CLUSTER_NODES');
  if (ha && set('REDIS_URL'))
    problems.push(
      'REDIS_URL: leave it unset with REDIS_SENTINELS or REDIS_CLUSTER_NODES (give the password in REDIS_PASSWORD, TLS in REDIS_TLS)',
    );
  if (set('REDIS_SENTINELS') && !set('REDIS_SENTINEL_NAME'))
    problems.push(
      'REDIS_SENTINEL_NAME: required with REDIS_SENTINELS (the name after `sentinel monitor`, e.g. mymaster)',
    );
  if (!set('REDIS_SENTINELS')) {
    for (const name of [
      'REDIS_SENTINEL_NAME',
      'REDIS_SENTINEL_USERNAME',
      'REDIS_SENTINEL_PASSWORD',
      'REDIS_SENTINEL_TLS',
    ])
      if (set(name)) problems.push(`${name}: only used with REDIS_SENTINELS; set that too, or remove this`);
  }
  if (!ha) {
    for (const name of ['REDIS_USERNAME', 'REDIS_PASSWORD', 'REDIS_TLS', 'REDIS_TLS_SERVERNAME'])
      if (set(name))
        problems.push(
          `${name}: only used with REDIS_SENTINELS or REDIS_CLUSTER_NODES; with REDIS_URL put the user and password in the URL and use rediss:// for TLS`,
        );
  }
  return problems;
}

function urlPassword(value: string): string | undefined {
  try {
    const parsed = new URL(value);
    return parsed.password ? decodeURIComponent(parsed.password) : undefined;
  } catch {
    return undefined;
  }
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
