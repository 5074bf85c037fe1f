import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { APP_ENTRY_VARIABLE } from './global-build.js';
import { eventually } from './poll.js';
import { repoRoot } from './shared.js';

export interface SpawnedApp {
  child: ChildProcess;
  /** Everything the process printed so far (stdout and stderr, in arrival order). */
  output(): string;
  /** What it printed on stdout and on stderr, apart. */
  streams(): { stdout: string; stderr: string };
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  kill(signal: NodeJS.Signals): void;
  /** Sends `signal` to node itself (not to `unshare` when it is PID 1); resolves once sent. */
  signal(signal: NodeJS.Signals): Promise<void>;
  /** Resolves once the output matches, rejects at the deadline. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<void>;
}

export interface AppProcess extends SpawnedApp {
  baseUrl: string;
}

export interface SpawnOptions {
  args?: string[];
  /** As a container runs it: node is PID 1 of its own PID namespace, where a signal with no handler is dropped. */
  pid1?: boolean;
}

/**
 * The entry point as operators run it, `node <built>/src/main.js`: in `npm test` src/ is compiled once for
 * the run (test/helpers/global-build.ts), as tsx spent about 3 s of every start compiling it. Elsewhere
 * (the playground, its browser tests) src/main.ts through tsx, which needs no build.
 */
export function appCommand(): string[] {
  const built = process.env[APP_ENTRY_VARIABLE];
  return built
    ? [process.execPath, built]
    : [process.execPath, '--import', 'tsx', path.join(repoRoot, 'src/main.ts')];
}

/** The entry point (see appCommand) in its own process, with exactly this environment; not waited for. */
export function spawnApp(env: Record<string, string>, options: SpawnOptions = {}): SpawnedApp {
  const node = [...appCommand(), ...(options.args ?? [])];
  const [command, ...args] = options.pid1
    ? ['unshare', ...namespaceFlags(), '--pid', '--kill-child', ...node]
    : node;
  const child = spawn(command ?? '', args, {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const apart = { stdout: '', stderr: '' };
  const listeners = new Set<() => void>();
  const onData = (stream: keyof typeof apart) => (chunk: Buffer) => {
    output += chunk.toString();
    apart[stream] += chunk.toString();
    for (const listener of listeners) listener();
  };
  child.stdout?.on('data', onData('stdout'));
  child.stderr?.on('data', onData('stderr'));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  // unshare --kill-child forks node as its only child (and SIGKILLs it if unshare dies).
  const nodePid = options.pid1 ? eventually(() => childOf(child.pid ?? 0)) : Promise.resolve(child.pid ?? 0);
  void nodePid.catch(() => undefined);

  const waitForOutput = (pattern: RegExp, timeoutMs = 15_000) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (!pattern.test(output)) return;
        cleanup();
        resolve();
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`no ${pattern} within ${timeoutMs} ms; output:\n${output.slice(-3000)}`));
      }, timeoutMs);
      const cleanup = () => {
        clearTimeout(timer);
        listeners.delete(check);
      };
      listeners.add(check);
      void exited.then(() => {
        if (listeners.has(check)) {
          cleanup();
          if (pattern.test(output)) resolve();
          else reject(new Error(`exited before ${pattern}; output:\n${output.slice(-3000)}`));
        }
      });
      check();
    });

  return {
    child,
    output: () => output,
    streams: () => ({ ...apart }),
    exited,
    kill: (signal) => child.kill(signal),
    signal: async (signal) => {
      process.kill(await nodePid, signal);
    },
    waitForOutput,
  };
}

/** Spawns the app and waits until it says it started. */
export async function startAppProcess(env: Record<string, string>, args: string[] = []): Promise<AppProcess> {
  const app = spawnApp({ PORT: '0', ...env }, { args });
  await app.waitForOutput(/"msg":"cipher-user started"/);
  const port = /"port":(\d+)/.exec(app.output())?.[1];
  return { ...app, baseUrl: `http://127.0.0.1:${port}` };
}

// Root creates the PID namespace itself; anyone else needs a user namespace too.
function namespaceFlags(): string[] {
  return process.getuid?.() === 0 ? [] : ['--user', '--map-root-user'];
}

function childOf(pid: number): number | undefined {
  try {
    const first = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(' ')[0];
    return first ? Number(first) : undefined;
  } catch {
    return undefined;
  }
}

/** Kills (SIGKILL) every app still running and waits for each to exit; empties the list. */
export async function killAll(apps: SpawnedApp[]): Promise<void> {
  for (const app of apps.splice(0)) {
    if (app.child.exitCode === null && app.child.signalCode === null) app.kill('SIGKILL');
    await app.exited;
  }
}
