import { spawn } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { spawnApp } from './helpers/app-process.js';
import { freePort } from './helpers/ports.js';
import { repoRoot } from './helpers/shared.js';

function runBurst(count: number, threads: number) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', path.join(repoRoot, 'test/helpers/log-burst.ts'), String(count)],
    {
      cwd: repoRoot,
      env: { PATH: process.env.PATH ?? '', UV_THREADPOOL_SIZE: String(threads) },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise<{ code: number | null; numbers: number[]; stderr: string }>((resolve) =>
    child.on('close', (code) => {
      const numbers = stdout
        .split('\n')
        .filter(Boolean)
        .map((line) => Number(/line (\d+)/.exec((JSON.parse(line) as { msg: string }).msg)?.[1]));
      resolve({ code, numbers, stderr });
    }),
  );
}

describe('one ordered log', () => {
  it('every line of a process reaches stdout once, in the order logged, even with the thread pool busy at exit', async () => {
    const count = 300;
    const { code, numbers, stderr } = await runBurst(count, 1);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(numbers).toEqual(Array.from({ length: count }, (_, i) => i));
  });

  it('the app says why it cannot start on the same stream as its log lines, after them', async () => {
    const app = spawnApp({
      SLACK_BOT_TOKEN: 'xoxb-1',
      SLACK_SIGNING_SECRET: 'secret',
      // A log line before the failure: plain http to a remote host is warned about first.
      CIPHERSCALE_API_URL: 'http://cipherscale.example/api',
      CIPHERSCALE_API_TOKEN: 'token',
      APPROVER_USER_IDS: 'UAPPROVER1',
      REDIS_URL: `redis://127.0.0.1:${await freePort()}`,
      REDIS_KEY_PREFIX: `test-output-${process.pid}`,
    });
    expect(await app.exited).toBe(1);
    const { stdout, stderr } = app.streams();
    expect(stdout).toMatch(/"msg":"CIPHERSCALE_API_URL is plain http[^\n]*\n[\s\S]*cipher-user cannot start/);
    expect(stderr).not.toContain('cannot start');
  });
});
