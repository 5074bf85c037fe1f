import { type Config, ConfigError, loadConfig } from './config.js';
import { writeLines } from './output.js';
import { type Runtime, startRuntime } from './runtime.js';
import type { StopSignals } from './signals.js';

/** Everything after the entry's signal handlers: parse the config, start, stop on the first signal. */
export async function run(signals: StopSignals): Promise<void> {
  // Loaded: from here on, connections may open, so a signal waits until there is something to stop.
  signals.hold();
  // A rejection nobody awaited (seen inside Bolt for a signed `payload=null`) must not stop the bot.
  let runtime: Runtime | undefined;
  process.on('unhandledRejection', (reason) => {
    if (runtime) runtime.logger.error({ err: errorSummary(reason) }, 'unhandled rejection');
    else writeLines(`unhandled rejection while starting: ${errorSummary(reason).message}`);
  });
  let config: Config;
  try {
    config = loadConfig({ ...process.env, ...roleFlag(process.argv.slice(2)) });
  } catch (err) {
    return cannotStart(err);
  }
  let started: Runtime;
  try {
    started = await startRuntime(config);
  } catch (err) {
    return cannotStart(err);
  }
  runtime = started;
  // A signal that came while starting is acted on now, once there is something to stop.
  signals.onStop((signal) => shutdown(started, signal));
}

function shutdown(runtime: Runtime, signal: NodeJS.Signals): void {
  const { logger } = runtime;
  logger.info({ signal }, 'shutting down');
  runtime.stop().then(
    () => process.exit(0),
    (err: unknown) => {
      logger.error({ err: errorSummary(err) }, 'shutdown failed');
      process.exit(1);
    },
  );
}

function cannotStart(err: unknown): never {
  writeLines(`cipher-user cannot start.\n${startFailure(err)}`);
  process.exit(1);
}

/** `--role worker` or `--role=worker` on the command line wins over ROLE in the environment. */
function roleFlag(args: readonly string[]): { ROLE?: string } {
  const at = args.findIndex((a) => a === '--role' || a.startsWith('--role='));
  if (at < 0) return {};
  const flag = args[at] ?? '';
  const value = flag.includes('=') ? flag.slice(flag.indexOf('=') + 1) : (args[at + 1] ?? '');
  return { ROLE: value };
}

function startFailure(err: unknown): string {
  if (err instanceof ConfigError) return `${err.message}\nSee .env.example and the README for every setting.`;
  const { name, message } = errorSummary(err);
  return `${name}: ${message}`;
}

// Name and message only: error objects from HTTP clients carry request headers (tokens).
function errorSummary(err: unknown): { name: string; message: string } {
  return err instanceof Error
    ? { name: err.name, message: err.message }
    : { name: 'Error', message: String(err) };
}
