import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Playground, startPlayground } from '../../playground/start.js';

// The playground as another site, another host or a curious shell would try it: its page server answers
// only loopback Hosts and JSON input, serves nothing outside playground/web, and the app behind it takes
// only requests signed with the playground's secret.
let playground: Playground;
beforeAll(async () => {
  playground = await startPlayground({ port: 0 });
}, 60_000);
afterAll(async () => {
  await playground?.stop();
});

/** A raw HTTP request (no URL normalisation, any Host header). */
function raw(
  base: string,
  options: { method?: string; path: string; host?: string; type?: string; body?: string },
): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        hostname,
        port,
        method: options.method ?? 'GET',
        path: options.path,
        headers: {
          host: options.host ?? `${hostname}:${port}`,
          ...(options.type ? { 'content-type': options.type } : {}),
        },
      },
      (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => {
          body += chunk.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

describe('the playground page server', () => {
  it('serves the page on loopback', async () => {
    const page = await raw(playground.url, { path: '/' });
    expect(page.status).toBe(200);
    expect(page.body).toContain('<html');
  });

  it('refuses another Host (DNS rebinding): 403, and no state', async () => {
    for (const host of [
      'evil.example',
      'evil.example:80',
      '127.0.0.1.evil.example',
      'localhost.evil.example',
    ]) {
      const answer = await raw(playground.url, { path: '/api/state?as=requester', host });
      expect(answer.status, host).toBe(403);
      expect(answer.body, host).not.toContain('security-ops');
    }
  });

  it('refuses a form post (what another site can send without asking): 415, and no command reaches the app', async () => {
    const before = playground.slack.calls.length;
    const answer = await raw(playground.url, {
      method: 'POST',
      path: '/api/command',
      type: 'application/x-www-form-urlencoded',
      body: 'as=requester&text=help',
    });
    expect(answer.status).toBe(415);
    const plain = await raw(playground.url, {
      method: 'POST',
      path: '/api/command',
      type: 'text/plain',
      body: '{}',
    });
    expect(plain.status).toBe(415);
    expect(playground.slack.calls.length).toBe(before);
  });

  it('serves nothing outside playground/web, however the path is spelled', async () => {
    for (const path of [
      '/../package.json',
      '/..%2f..%2fpackage.json',
      '/%2e%2e/%2e%2e/package.json',
      '/..%5c..%5cpackage.json',
      '/%2e%2e%2f.env.example',
      '/server/http.ts',
      '/%',
    ]) {
      const answer = await raw(playground.url, { path });
      expect(answer.status, path).not.toBe(200);
      expect(answer.body, path).not.toContain('"name": "cipher-user"');
    }
  });

  it('an unknown person is no one: 404, nothing sent', async () => {
    const before = playground.slack.calls.length;
    const answer = await raw(playground.url, {
      method: 'POST',
      path: '/api/command',
      type: 'application/json',
      body: JSON.stringify({ as: 'UINTRUDER', text: 'lookup 59ed689c-e8b4-4e22-8088-9e36e05f76d0' }),
    });
    expect(answer.status).toBe(404);
    expect(playground.slack.calls.length).toBe(before);
  });

  it('the app behind it takes no unsigned request: 401', async () => {
    const answer = await raw(playground.appUrl, {
      method: 'POST',
      path: '/slack/events',
      type: 'application/x-www-form-urlencoded',
      body: 'command=%2Fcipher-user&text=help&user_id=UINTRUDER',
    });
    expect(answer.status).toBe(401);
  });
});
