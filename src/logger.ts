import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import type { Logger as SlackLogger } from '@slack/bolt';
import { LogLevel } from '@slack/bolt';
import { type DestinationStream, type Logger, pino } from 'pino';
import pretty from 'pino-pretty';
import { processOutput } from './output.js';
import { Redactor } from './redact.js';

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
  /** Secrets scrubbed from every line, whole or any run of 8+ of their characters (see Redactor). */
  secrets: readonly string[];
  /** `pretty`: coloured lines for a terminal (development); `json` (default): one JSON object a line. */
  format?: 'json' | 'pretty';
  destination?: DestinationStream;
}

/** What every line logged while handling one Slack delivery or one job carries. */
export interface LogContext {
  /** Correlation id: one per Slack delivery (`sl-…`) or job attempt (`job-…`). */
  rid: string;
  /** The approval request concerned, once known. */
  requestId?: string;
}

const logContext = new AsyncLocalStorage<LogContext>();

// Correlation ids: a random prefix per process and a counter, unique across replicas and cheap per request.
const ridPrefix = randomBytes(4).toString('hex');
let ridCounter = 0;

/** Runs `fn` with a fresh correlation id on every line it logs, however deep. */
export function withLogContext<T>(kind: 'sl' | 'job', fields: Omit<LogContext, 'rid'>, fn: () => T): T {
  ridCounter = (ridCounter + 1) % 0x1000000;
  return logContext.run(
    { rid: `${kind}-${ridPrefix}${ridCounter.toString(16).padStart(6, '0')}`, ...fields },
    fn,
  );
}

/** Adds the approval request id to the current context (a Slack click learns it from the button). */
export function bindRequestId(requestId: string): void {
  const store = logContext.getStore();
  if (store) store.requestId = requestId;
}

export function currentLogContext(): Readonly<LogContext> | undefined {
  return logContext.getStore();
}

export function createLogger(options: LoggerOptions): Logger {
  const redactor = new Redactor(options.secrets);
  // Audit lines (`audit: true`) are the SIEM's record: written at every level but `silent`, so the
  // logger runs at info at least and drops the other lines below the level asked for.
  const asked = pino.levels.values[options.level] ?? pino.levels.values.info ?? 30;
  const infoValue = pino.levels.values.info ?? 30;
  const keepAudit = options.level !== 'silent' && asked > infoValue;
  return pino(
    {
      level: keepAudit ? 'info' : options.level,
      base: { app: 'cipher-user' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
      mixin: (_obj, _level, logger) => {
        const context = logContext.getStore();
        if (!context) return {};
        // A child logger may already carry the request id; do not write the key twice.
        return 'requestId' in logger.bindings() ? { rid: context.rid } : { ...context };
      },
      hooks: {
        streamWrite: (line) => redactor.redact(line),
        ...(keepAudit
          ? {
              logMethod(this: Logger, args: Parameters<Logger['info']>, method, level: number) {
                if (level >= asked || isAudit(args[0])) method.apply(this, args);
              },
            }
          : {}),
      },
    },
    destinationFor(options.format ?? 'json', options.destination),
  );
}

function isAudit(fields: unknown): boolean {
  return typeof fields === 'object' && fields !== null && (fields as { audit?: unknown }).audit === true;
}

function destinationFor(
  format: 'json' | 'pretty',
  destination: DestinationStream | undefined,
): DestinationStream {
  if (format === 'pretty') {
    return pretty({
      colorize: destination === undefined,
      translateTime: 'SYS:HH:MM:ss.l',
      ignore: 'pid,hostname,app',
      sync: true,
      destination: destination ?? processOutput,
    });
  }
  return destination ?? processOutput;
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
