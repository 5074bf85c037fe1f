import { type Config, ConfigError, loadConfig } from './config.js';
import { writeLines } from './output.js';
import { type Runtime, startRuntime } from './runtime.js';
import type { StopSignals } from './signals.js';
import { StartCheckError } from './start-checks.js';
import { StartGate, StartStoppedError } from './start-gate.js';

/** Everything after the entry's signal handlers: parse the config, start, stop on the first signal. */
export async function run(signals: StopSignals): Promise<void> {
  // Loaded: from here on a signal stops what is open (the start, or the running app) before exiting.
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
  // The start completes or fails within START_TIMEOUT_MS; a signal meanwhile abandons it.
  const gate = new StartGate(config.startTimeoutMs);
  let stopping: NodeJS.Signals | undefined;
  signals.onStop((signal) => {
    stopping = signal;
    if (runtime) return shutdown(runtime, signal, config.shutdownGraceMs);
    gate.stop(signal);
    // What the start opened gets the grace period to close; then the process goes anyway.
    setTimeout(() => process.exit(0), config.shutdownGraceMs).unref();
  });
  let started: Runtime;
  try {
    started = await startRuntime(config, { gate });
  } catch (err) {
    if (err instanceof StartStoppedError || stopping) {
      writeLines(`cipher-user ${err instanceof StartStoppedError ? err.message : 'stopped while starting'}`);
      process.exit(0);
    }
    return cannotStart(err);
  }
  runtime = started;
  if (stopping) shutdown(started, stopping, config.shutdownGraceMs);
}

function shutdown(runtime: Runtime, signal: NodeJS.Signals, graceMs: number): void {
  const { logger } = runtime;
  logger.info({ signal }, 'shutting down');
  // Closing waits up to the grace period for jobs; a hung close must not outlive it by much.
  setTimeout(() => process.exit(1), graceMs + 5000).unref();
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
  if (err instanceof StartCheckError)
    return `${err.problems.map((p) => `  - ${p}`).join('\n')}\nSee "Troubleshooting" in the README.`;
  const { name, message } = errorSummary(err);
  return `${name}: ${message}`;
}

// Name and message only: error objects from HTTP clients carry request headers (tokens).
function errorSummary(err: unknown): { name: string; message: string } {
  return err instanceof Error
    ? { name: err.name, message: err.message }
    : { name: 'Error', message: String(err) };
}
