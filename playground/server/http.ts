import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Bridge, type ClickPlace, UnknownPerson, UnknownPlace } from './bridge.js';
import { PEOPLE } from './people.js';

// The page's server: playground/web/ as static files, and a small JSON API over the bridge. Loopback only.

export const WEB_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../web');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

export interface Example {
  label: string;
  text: string;
}

export interface PageServer {
  url: string;
  close(): Promise<void>;
}

type Json = Record<string, unknown>;

const LOOPBACK_HOST = /^(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/;

export async function startPageServer(options: {
  bridge: Bridge;
  examples: readonly Example[];
  port: number;
}): Promise<PageServer> {
  const { bridge } = options;
  const streams = new Set<ServerResponse>();
  const server: Server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      const status = error instanceof UnknownPerson || error instanceof UnknownPlace ? 404 : 500;
      if (!res.headersSent)
        sendJson(res, status, { error: error instanceof Error ? error.message : 'failed' });
      else res.end();
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    // Only this machine's pages: a loopback Host (no DNS rebinding) and, for input, a JSON body (a form
    // another site posts cannot send one without a CORS preflight, which is never answered).
    if (!LOOPBACK_HOST.test(req.headers.host ?? '')) return sendJson(res, 403, { error: 'loopback only' });
    if (req.method === 'POST' && !/^application\/json\b/.test(req.headers['content-type'] ?? '')) {
      return sendJson(res, 415, { error: 'JSON only' });
    }
    if (req.method === 'GET' && url.pathname === '/api/state') {
      return sendJson(res, 200, bridge.snapshot(url.searchParams.get('as') ?? ''));
    }
    if (req.method === 'GET' && url.pathname === '/api/setup') {
      return sendJson(res, 200, { examples: options.examples, people: PEOPLE });
    }
    if (req.method === 'GET' && url.pathname === '/api/events') return openStream(res);
    if (req.method === 'POST' && url.pathname.startsWith('/api/')) {
      const body = await readJson(req);
      const as = String(body.as ?? '');
      const answer = await post(url.pathname.slice('/api/'.length), as, body);
      if (!answer) return sendJson(res, 404, { error: 'unknown endpoint' });
      return sendJson(res, 200, answer);
    }
    if (req.method === 'GET') return serveStatic(url.pathname, res);
    sendJson(res, 405, { error: 'method not allowed' });
  }

  function post(endpoint: string, as: string, body: Json) {
    switch (endpoint) {
      case 'command':
        return bridge.command(
          as,
          String(body.text ?? ''),
          typeof body.channel === 'string' ? body.channel : undefined,
        );
      case 'action':
        return bridge.action(as, body.place as ClickPlace, (body.action ?? {}) as Json);
      case 'submit':
        return bridge.submit(as, String(body.viewId ?? ''), (body.values ?? {}) as Json);
      case 'close':
        return bridge.close(as, String(body.viewId ?? ''));
      case 'home':
        return bridge.openHome(as);
      default:
        return undefined;
    }
  }

  function openStream(res: ServerResponse): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-store',
      connection: 'keep-alive',
    });
    res.write(`data: ${bridge.version()}\n\n`);
    streams.add(res);
    res.on('close', () => streams.delete(res));
  }

  // The fake Slack has no change events: look at its call log a few times a second and tell every page.
  let last = bridge.version();
  const ticker = setInterval(() => {
    const now = bridge.version();
    if (now === last) return;
    last = now;
    for (const res of streams) res.write(`data: ${now}\n\n`);
  }, 100);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    async close() {
      clearInterval(ticker);
      for (const res of streams) res.end();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

async function serveStatic(pathname: string, res: ServerResponse): Promise<void> {
  const relative = pathname === '/' ? 'index.html' : decodeURIComponent(pathname.slice(1));
  const file = path.resolve(WEB_DIR, relative);
  const type = TYPES[path.extname(file)];
  if (!file.startsWith(`${WEB_DIR}${path.sep}`) || !type) return sendJson(res, 404, { error: 'not found' });
  try {
    const content = await readFile(file);
    res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' });
    res.end(content);
  } catch {
    sendJson(res, 404, { error: 'not found' });
  }
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

async function readJson(req: IncomingMessage): Promise<Json> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  try {
    const value: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
    return typeof value === 'object' && value !== null ? (value as Json) : {};
  } catch {
    return {};
  }
}
