import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import path from 'node:path';
import { freePort } from '../test/helpers/ports.js';
import { throwawayRedisArgs } from '../test/helpers/redis-args.js';
import { repoRoot } from '../test/helpers/shared.js';

// The processes a bench run owns: its own redis-server, cipher-user, and a bare Bolt app.

export interface Owned {
  url: string;
  stop(): Promise<void>;
}

function waitForLine(
  child: ChildProcess,
  pattern: RegExp,
  what: string,
  timeoutMs = 30_000,
): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = '';
    const timer = setTimeout(
      () => reject(new Error(`${what}: no ${pattern} within ${timeoutMs} ms\n${output}`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = pattern.exec(output);
      if (!match) return;
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.stderr?.off('data', onData);
      // Keep draining: a full pipe would block the child (BENCH_APP_LOG keeps what it says, to debug a run).
      const keep = process.env.BENCH_APP_LOG;
      if (keep) {
        const file = createWriteStream(keep, { flags: 'a' });
        file.write(output);
        child.stdout?.pipe(file);
        child.stderr?.pipe(file);
      } else {
        child.stdout?.resume();
        child.stderr?.resume();
      }
      resolve(match[0]);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited with ${code}\n${output}`));
    });
  });
}

const children = new Set<ChildProcess>();
// Whatever way the bench ends, none of its processes outlives it (an orphan would skew the next run).
process.on('exit', () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
});

function stopper(child: ChildProcess): () => Promise<void> {
  children.add(child);
  return async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  };
}

export async function startRedis(): Promise<Owned> {
  const port = await freePort();
  const child = spawn('redis-server', throwawayRedisArgs(port), { stdio: ['ignore', 'pipe', 'pipe'] });
  await waitForLine(child, /Ready to accept connections/, 'redis-server');
  return { url: `redis://127.0.0.1:${port}`, stop: stopper(child) };
}

export interface AppProcess extends Owned {
  pid: number;
}

/** A JavaScript entry point in its own Node process (no loader, as production runs it), once it prints its port. */
export async function startNode(
  entry: string,
  env: Record<string, string>,
  what: string,
  nodeFlags: string[] = [],
): Promise<AppProcess> {
  const child = spawn(process.execPath, [...nodeFlags, path.join(repoRoot, entry)], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const line = await waitForLine(child, /"port":\d+/, what);
  const port = line.slice(line.indexOf(':') + 1);
  return { url: `http://127.0.0.1:${port}`, pid: child.pid ?? 0, stop: stopper(child) };
}

/** Runs the load generator (bench/load.ts) in its own process with this job; resolves with its latencies. */
export function runLoad(job: object): Promise<number[]> {
  // The load generator gets the machine's attention first (when allowed): its clock is the one measured.
  const command = [process.execPath, '--import', 'tsx', path.join(repoRoot, 'bench/load.ts')];
  const niced = process.env.BENCH_LOADGEN_NICE
    ? ['nice', '-n', process.env.BENCH_LOADGEN_NICE, ...command]
    : command;
  const child = spawn(niced[0] as string, niced.slice(1), {
    cwd: repoRoot,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stdin?.end(JSON.stringify(job));
  return new Promise((resolve, reject) => {
    child.once('close', (code) => {
      if (code !== 0) return reject(new Error(`load generator exited with ${code}`));
      resolve(JSON.parse(output) as number[]);
    });
  });
}
