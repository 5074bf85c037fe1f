import type { Logger as SlackLogger } from '@slack/bolt';
import { LogLevel } from '@slack/bolt';
import { type DestinationStream, type Logger, pino } from 'pino';

export type { Logger };

const REDACT_PATHS = [
  'token',
  '*.token',
  'authorization',
  '*.authorization',
  '*.Authorization',
  'headers.authorization',
  '*.headers.authorization',
  '*.headers.Authorization',
  '*.*.headers.authorization',
  '*.*.headers.Authorization',
  'signingSecret',
  '*.signingSecret',
];

export interface LoggerOptions {
  level: string;
  /** Exact secret values scrubbed from every line, whatever field or message carries them. */
  secrets: readonly string[];
  destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions): Logger {
  const secrets = options.secrets.filter((s) => s.length >= 6);
  return pino(
    {
      level: options.level,
      base: { app: 'cipher-user' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
      hooks: {
        streamWrite: (line) => scrub(line, secrets),
      },
    },
    options.destination ?? pino.destination({ dest: 1, sync: false }),
  );
}

export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (out.includes(secret)) out = out.split(secret).join('[REDACTED]');
    const quoted = JSON.stringify(secret).slice(1, -1);
    if (quoted !== secret && out.includes(quoted)) out = out.split(quoted).join('[REDACTED]');
  }
  return out;
}

const toSlackLevel: Record<string, LogLevel> = {
  trace: LogLevel.DEBUG,
  debug: LogLevel.DEBUG,
  info: LogLevel.INFO,
  warn: LogLevel.WARN,
  error: LogLevel.ERROR,
  fatal: LogLevel.ERROR,
  silent: LogLevel.ERROR,
};

/** Bolt's and the Web API client's logs, through the same pino logger. */
export function slackLogger(logger: Logger, name = 'slack'): SlackLogger {
  const child = logger.child({ component: name });
  const text = (args: unknown[]) => args.map((a) => (typeof a === 'string' ? a : safeJson(a))).join(' ');
  return {
    debug: (...args) => child.debug(text(args)),
    info: (...args) => child.info(text(args)),
    warn: (...args) => child.warn(text(args)),
    error: (...args) => child.error(text(args)),
    setLevel: () => {},
    getLevel: () => toSlackLevel[logger.level] ?? LogLevel.INFO,
    setName: () => {},
  };
}

function safeJson(value: unknown): string {
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}
