import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseEnv } from 'node:util';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { freePort } from '../helpers/ports.js';
import { repoRoot } from '../helpers/shared.js';

// The files a newcomer deploys with, held to what the README promises: compose.yaml's Redis really runs
// with noeviction and AOF, the image's health check asks readiness, and .env.example reads the same under
// `node --env-file` (npm start) and `docker run --env-file` (which takes every character after `=`).
const read = (file: string) => readFileSync(path.join(repoRoot, file), 'utf8');

interface ComposeService {
  image?: string;
  build?: unknown;
  command?: string[];
  env_file?: string | string[];
  environment?: Record<string, string>;
  healthcheck?: { test?: string[] };
  depends_on?: Record<string, { condition?: string }>;
  volumes?: string[];
  ports?: string[];
}
const compose = parse(read('compose.yaml')) as { services: Record<string, ComposeService> };

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('compose.yaml', () => {
  it("starts a Redis that really runs with noeviction and AOF (its command, run by this machine's redis-server)", async () => {
    const command = compose.services.redis?.command ?? [];
    expect(command[0]).toBe('redis-server');
    const port = await freePort();
    const dir = mkdtempSync(path.join(tmpdir(), 'compose-redis-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const server: ChildProcess = spawn(
      'redis-server',
      [...command.slice(1), '--port', String(port), '--bind', '127.0.0.1', '--dir', dir],
      { stdio: 'ignore' },
    );
    const exited = new Promise((resolve) => server.once('exit', resolve));
    cleanups.push(async () => {
      server.kill('SIGTERM');
      await exited;
    });
    const redis = new Redis({ port, host: '127.0.0.1', retryStrategy: (n) => (n > 50 ? null : 50) });
    redis.on('error', () => undefined); // refused until redis-server listens; the retries cover it
    cleanups.push(() => redis.disconnect());
    expect(await redis.config('GET', 'maxmemory-policy')).toEqual(['maxmemory-policy', 'noeviction']);
    expect(await redis.config('GET', 'appendonly')).toEqual(['appendonly', 'yes']);
    expect(await redis.config('GET', 'appendfsync')).toEqual(['appendfsync', 'everysec']);
  });

  it('keeps Redis data on a volume, checks both services, and starts the app once Redis is healthy', () => {
    const { redis, app } = compose.services;
    expect(redis?.volumes?.some((v) => v.endsWith(':/data'))).toBe(true);
    expect(redis?.healthcheck?.test).toEqual(['CMD', 'redis-cli', 'ping']);
    // Redis is for the app only: no port published on the host.
    expect(redis?.ports).toBeUndefined();
    expect(app?.build).toBe('.');
    expect(app?.env_file).toBe('.env');
    expect(app?.environment?.REDIS_URL).toBe('redis://redis:6379');
    expect(app?.depends_on?.redis?.condition).toBe('service_healthy');
    // The app's own check is the image's HEALTHCHECK (below); compose does not override it.
    expect(app?.healthcheck).toBeUndefined();
  });
});

describe("the image's HEALTHCHECK", () => {
  const line = read('Dockerfile')
    .split('\n')
    .find((l) => l.trim().startsWith('CMD ["node", "-e"'));
  const script = JSON.parse(`[${(line ?? '').trim().slice('CMD '.length).slice(1, -1)}]`)[2] as string;

  async function health(answers: Record<string, number>): Promise<number | null> {
    const server: Server = createServer((req, res) => {
      res.writeHead(answers[req.url ?? ''] ?? 404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    const { port } = server.address() as AddressInfo;
    const child = spawn(process.execPath, ['-e', script], {
      env: { PATH: process.env.PATH ?? '', PORT: String(port) },
      stdio: 'ignore',
    });
    return new Promise((resolve) => child.once('exit', resolve));
  }

  it('asks /readyz on PORT: healthy only when the process can serve', async () => {
    expect(await health({ '/healthz': 200, '/readyz': 200 })).toBe(0);
    expect(await health({ '/healthz': 200, '/readyz': 503 })).toBe(1);
  });
});

describe('.env.example', () => {
  it('reads the same under node --env-file and docker --env-file: no inline comment, no # or quote in a value', () => {
    const lines = read('.env.example')
      .split('\n')
      .filter((l) => l.trim() && !l.trim().startsWith('#'));
    expect(lines.length).toBeGreaterThan(5);
    for (const line of lines) {
      const at = line.indexOf('=');
      const [key, literal] = [line.slice(0, at), line.slice(at + 1)];
      expect(key, line).toMatch(/^[A-Z][A-Z0-9_]*$/);
      expect(parseEnv(line), line).toEqual({ [key]: literal });
    }
  });
});
