import { ConfigError, loadConfig } from './config.js';
import { type Runtime, startRuntime } from './runtime.js';

// Entry point: run with `node dist/src/main.js` (not through npm) so SIGTERM reaches it.
async function main(): Promise<void> {
  // Listen for signals before starting: "started" is logged inside startRuntime, and a SIGTERM sent the
  // moment it appears must still stop the app gracefully, not kill it half-way.
  let runtime: Runtime | undefined;
  let requested: NodeJS.Signals | undefined;
  let stopping = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (!runtime) {
      requested ??= signal;
      return;
    }
    if (stopping) return;
    stopping = true;
    const { logger } = runtime;
    logger.info({ signal }, 'shutting down');
    runtime.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err: errorSummary(err) }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
  // A rejection nobody awaited (seen inside Bolt for a signed `payload=null`) must not stop the bot.
  process.on('unhandledRejection', (reason) => {
    if (runtime) runtime.logger.error({ err: errorSummary(reason) }, 'unhandled rejection');
    else process.stderr.write(`unhandled rejection while starting: ${errorSummary(reason).message}\n`);
  });
  try {
    runtime = await startRuntime(loadConfig({ ...process.env, ...roleFlag(process.argv.slice(2)) }));
  } catch (err) {
    process.stderr.write(`cipher-user cannot start.\n${startFailure(err)}\n`);
    process.exit(1);
  }
  if (requested) shutdown(requested);
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

await main();
