import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Metrics } from './metrics.js';

// The operator's routes: liveness, readiness, Prometheus. Served beside Slack's endpoint (HTTP mode),
// on PORT alone (Socket Mode), or by a bare server (worker role).

export interface OpsRoute {
  path: string;
  method: string[];
  handler: (req: IncomingMessage, res: ServerResponse) => void;
}

export interface OpsDeps {
  /** True when every dependency answers (Redis). */
  ready: () => Promise<boolean>;
  metrics: Pick<Metrics, 'text' | 'contentType'>;
  /** When set, /metrics wants `Authorization: Bearer <token>`. */
  metricsToken?: string | undefined;
}

export function opsRoutes(deps: OpsDeps): OpsRoute[] {
  const json = (res: ServerResponse, status: number, body: object) => {
    res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
    res.end(JSON.stringify(body));
  };
  return [
    {
      path: '/healthz',
      method: ['GET'],
      handler: (_req, res) => json(res, 200, { ok: true }),
    },
    {
      path: '/readyz',
      method: ['GET'],
      handler: (_req, res) => {
        deps.ready().then(
          (ok) => json(res, ok ? 200 : 503, { ok, redis: ok ? 'up' : 'down' }),
          () => json(res, 503, { ok: false, redis: 'down' }),
        );
      },
    },
    {
      path: '/metrics',
      method: ['GET'],
      handler: (req, res) => {
        if (deps.metricsToken && !bearerMatches(req.headers.authorization, deps.metricsToken)) {
          res.writeHead(401, { 'WWW-Authenticate': 'Bearer' });
          res.end();
          return;
        }
        deps.metrics.text().then(
          (text) => {
            res.writeHead(200, { 'Content-Type': deps.metrics.contentType, 'Cache-Control': 'no-store' });
            res.end(text);
          },
          () => json(res, 500, { ok: false }),
        );
      },
    },
  ];
}

function bearerMatches(header: string | undefined, token: string): boolean {
  const given = Buffer.from(header?.startsWith('Bearer ') ? header.slice(7) : '');
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export interface OpsServer {
  port: number;
  close(): Promise<void>;
}

/** The ops routes on their own port, for a process that does not listen to Slack (worker role). */
export async function startOpsServer(routes: readonly OpsRoute[], port: number): Promise<OpsServer> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const route = routes.find((r) => r.path === path && r.method.includes(req.method ?? 'GET'));
    if (route) return route.handler(req, res);
    res.writeHead(404);
    res.end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
