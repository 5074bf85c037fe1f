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

/** What /readyz says: each dependency up or not, and the names of those missing. */
export interface ReadyReport {
  ok: boolean;
  redis: 'up' | 'down';
  slack: 'up' | 'down';
  socket?: 'up' | 'down';
  missing?: string[];
}

export interface OpsDeps {
  /** Every dependency's state (Redis, Slack, the socket in Socket Mode). */
  ready: () => Promise<ReadyReport>;
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
          (report) => json(res, report.ok ? 200 : 503, report),
          () => json(res, 503, { ok: false, missing: ['redis'] }),
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

export type RequestListener = (req: IncomingMessage, res: ServerResponse) => void;

export interface OpsServer {
  port: number;
  /** From now on, what is not an ops route goes to `listener` (Slack's endpoint in HTTP mode). */
  serve(listener: RequestListener): void;
  close(): Promise<void>;
}

/**
 * The one HTTP server on PORT, listening before anything else starts: the ops routes at once, and
 * (HTTP mode) Slack's endpoint once the start is done; until then Slack gets 503 and retries.
 */
export async function startOpsServer(
  routes: readonly OpsRoute[],
  port: number,
  /** HTTP mode: Slack's endpoint answers 503 (Slack retries) until `serve` is called. */
  slackLater = false,
): Promise<OpsServer> {
  let rest: RequestListener | undefined;
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const route = routes.find((r) => r.path === path && r.method.includes(req.method ?? 'GET'));
    if (route) return route.handler(req, res);
    if (rest) return rest(req, res);
    res.writeHead(slackLater && path === '/slack/events' ? 503 : 404);
    res.end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    serve(listener) {
      rest = listener;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
