import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from './shared.js';

export interface AppProcess {
  baseUrl: string;
  child: ChildProcess;
  /** Everything the process printed so far. */
  output(): string;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
  kill(signal: NodeJS.Signals): void;
  /** Resolves once the output matches, rejects at the deadline. */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<void>;
}

/** `src/main.ts` in its own process, as operators run it, with exactly this environment. */
export async function startAppProcess(env: Record<string, string>, args: string[] = []): Promise<AppProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'src/main.ts'), ...args], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    for (const listener of listeners) listener();
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));

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

  await waitForOutput(/"msg":"cipher-user started"/);
  const port = /"port":(\d+)/.exec(output)?.[1];
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    child,
    output: () => output,
    exited,
    kill: (signal) => child.kill(signal),
    waitForOutput,
  };
}
