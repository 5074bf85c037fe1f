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
  CIPHERSCALE_API_URL: url(['https:', 'http:'], 'Cipherscale API base')
    .default('https://public-api.cipherscale.com/qa')
    .transform((v) => v.replace(/\/+$/, '')),
  CIPHERSCALE_API_TOKEN: nonEmpty('the Cipherscale API token'),
  CIPHERSCALE_TIMEOUT_MS: integer(100, 120_000, 15_000),
  REDIS_URL: url(['redis:', 'rediss:'], 'Redis').default('redis://127.0.0.1:6379'),
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
  };
  readonly cipherscale: {
    readonly baseUrl: string;
    readonly token: string;
    readonly timeoutMs: number;
    readonly insecureTransport: boolean;
  };
  readonly redisUrl: string;
  readonly logLevel: z.infer<typeof envSchema>['LOG_LEVEL'];
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
  const problems = parsed.success
    ? []
    : parsed.error.issues.map((issue) => `${issue.path.join('.') || 'settings'}: ${issue.message}`);
  if (!env.SLACK_APP_TOKEN?.trim() && !env.SLACK_SIGNING_SECRET?.trim()) {
    problems.push('SLACK_SIGNING_SECRET: required in HTTP mode (or set SLACK_APP_TOKEN for Socket Mode)');
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
    }),
    cipherscale: Object.freeze({
      baseUrl: e.CIPHERSCALE_API_URL,
      token: e.CIPHERSCALE_API_TOKEN,
      timeoutMs: e.CIPHERSCALE_TIMEOUT_MS,
      insecureTransport: cipherUrl.protocol === 'http:' && !LOOPBACK_HOSTS.has(cipherUrl.hostname),
    }),
    redisUrl: e.REDIS_URL,
    logLevel: e.LOG_LEVEL,
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
