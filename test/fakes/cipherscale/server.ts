import { randomBytes } from 'node:crypto';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
  STATUS_CODES,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import {
  type UpdateUser,
  type User,
  updateUserSchema,
  userIdSchema,
} from '../../../src/cipherscale/schemas.js';
import { Waiters } from '../waiters.js';
import { SEED_USERS } from './seed.js';

export type FakeCipherscaleOperation = 'getUser' | 'updateUser' | 'deactivateUser' | 'deleteUser' | 'unknown';

export interface FakeCipherscaleCall {
  method: string;
  /** The request target as received, query string included. */
  path: string;
  operation: FakeCipherscaleOperation;
  /** Decoded `:id` segment whenever the path has the users shape, even for an unknown method. */
  userId: string | undefined;
  headers: IncomingHttpHeaders;
  /** Parsed JSON when the content type is JSON and it parses, raw string otherwise, undefined when empty. */
  body: unknown;
  at: number;
}

/** One scripted answer, consumed by one matching call. */
export interface Fault {
  /** Answer with this status instead of handling the call (state is not touched). */
  status?: number;
  /** String sent as-is (content type defaults to application/json), object sent as JSON; status defaults to 200. */
  body?: string | object;
  /** Added to whatever answer is sent, scripted or normal. */
  headers?: Record<string, string>;
  retryAfter?: string;
  /** Added to the global latency. */
  latencyMs?: number;
  hang?: boolean;
  reset?: boolean;
}

export interface FaultMatch {
  operation?: FakeCipherscaleOperation;
  userId?: string;
}

export interface FakeCipherscaleResponseLog {
  method: string;
  path: string;
  operation: FakeCipherscaleOperation;
  status: number | 'hang' | 'reset';
  durationMs: number;
}

export interface FakeCipherscaleOptions {
  token?: string;
  /** Seeded users (default SEED_USERS); reset() restores them. */
  users?: User[];
  latencyMs?: number;
  port?: number;
  host?: string;
  basePath?: string;
  /** Called once per answered (or hung/reset) call; never given headers. */
  onResponse?: (log: FakeCipherscaleResponseLog) => void;
}

interface Answer {
  status: number;
  body?: string | object | undefined;
  headers?: Record<string, string>;
}

interface Script {
  match: FaultMatch;
  faults: Fault[];
}

const MAX_BODY_BYTES = 1024 * 1024;

// `${method} ${suffix after :id}` → operation.
const OPERATIONS: Partial<Record<string, FakeCipherscaleOperation>> = {
  'GET ': 'getUser',
  'PUT ': 'updateUser',
  'DELETE ': 'deleteUser',
  'PATCH /deactivate': 'deactivateUser',
};

const error = (status: number, message: string): Answer => ({ status, body: { message } });

export class FakeCipherscale {
  readonly url: string;
  readonly token: string;
  readonly calls: FakeCipherscaleCall[] = [];
  /** TCP connections accepted so far: with keep-alive, far fewer than calls. */
  connectionsOpened = 0;

  private readonly users = new Map<string, User>();
  private readonly scripts: Script[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly waiters = new Waiters();
  private readonly route: RegExp;
  private latencyMs: number;
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly server: Server,
    private readonly options: FakeCipherscaleOptions,
    basePath: string,
  ) {
    const { address, port } = server.address() as AddressInfo;
    const host = address.includes(':') ? `[${address}]` : address;
    this.url = `http://${host}:${port}${basePath}`;
    // Token-shaped: any 8 characters of a secret are redacted, and this one must not contain 'Cipherscale'.
    this.token = options.token ?? 'cs_fake_4b7e1d9a0c3f6285e2a9';
    this.latencyMs = options.latencyMs ?? 0;
    this.route = new RegExp(
      `^${basePath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/tenants/users/([^/]+)(/deactivate)?$`,
    );
    this.restoreSeed();
    server.on('connection', () => {
      this.connectionsOpened += 1;
    });
    server.on('request', (req: IncomingMessage, res: ServerResponse) => {
      this.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent && !res.destroyed) this.write(res, error(500, `fake crashed: ${String(err)}`));
      });
    });
  }

  static async start(options: FakeCipherscaleOptions = {}): Promise<FakeCipherscale> {
    const basePath = `/${(options.basePath ?? '/qa').replace(/^\/+|\/+$/g, '')}`.replace(/^\/$/, '');
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    return new FakeCipherscale(server, options, basePath);
  }

  callsTo(operation: FakeCipherscaleOperation, userId?: string): FakeCipherscaleCall[] {
    return this.calls.filter(
      (c) => c.operation === operation && (userId === undefined || c.userId === userId),
    );
  }

  setUser(user: User): void {
    this.users.set(user.id, structuredClone(user));
  }

  getUser(id: string): User | undefined {
    const user = this.users.get(id);
    return user && structuredClone(user);
  }

  removeUser(id: string): void {
    this.users.delete(id);
  }

  /** Queue faults for calls matching `match` (all calls when omitted); `{}` means "behave normally". */
  script(faults: Fault[], match: FaultMatch = {}): void {
    this.scripts.push({ match: { ...match }, faults: [...faults] });
  }

  setLatency(ms: number): void {
    this.latencyMs = ms;
  }

  /** Resolves with every matching call once at least `count` were recorded (earlier ones included). */
  waitForCalls(
    predicate: (c: FakeCipherscaleCall) => boolean,
    { count = 1, timeoutMs = 5000 }: { count?: number; timeoutMs?: number } = {},
  ): Promise<FakeCipherscaleCall[]> {
    return this.waiters.until(
      () => {
        const matching = this.calls.filter(predicate);
        return matching.length >= count ? matching : undefined;
      },
      timeoutMs,
      () =>
        `FakeCipherscale: timed out after ${timeoutMs} ms waiting for ${count} matching call(s); ` +
        `${this.calls.filter(predicate).length} matched. Calls seen: ${this.calls.map((c) => `${c.method} ${c.path}`).join(', ') || 'none'}`,
    );
  }

  /** Clears calls and scripts, restores the seed users and the starting latency. */
  reset(): void {
    this.calls.length = 0;
    this.scripts.length = 0;
    this.latencyMs = this.options.latencyMs ?? 0;
    this.restoreSeed();
  }

  /** Idempotent; destroys open sockets, hanging ones included, and drops pending latency timers. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve, reject) => {
      for (const timer of this.timers) clearTimeout(timer);
      this.timers.clear();
      this.server.close((err) => (err ? reject(err) : resolve()));
      this.server.closeAllConnections();
    });
    return this.closing;
  }

  private restoreSeed(): void {
    this.users.clear();
    for (const user of this.options.users ?? SEED_USERS) this.setUser(user);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const at = Date.now();
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    const { raw, tooLarge } = await readBody(req);
    const call: FakeCipherscaleCall = {
      method,
      path,
      ...this.operationOf(method, path),
      headers: req.headers,
      body: parseBody(raw, req.headers['content-type']),
      at,
    };
    this.calls.push(call);
    this.waiters.notify();

    const fault = this.takeFault(call);
    const log = (status: FakeCipherscaleResponseLog['status']) =>
      this.options.onResponse?.({
        method,
        path,
        operation: call.operation,
        status,
        durationMs: Date.now() - at,
      });
    if (fault?.hang) return log('hang');
    await this.sleep(this.latencyMs + (fault?.latencyMs ?? 0));
    if (res.destroyed) return;
    if (fault?.reset) {
      req.socket.resetAndDestroy();
      return log('reset');
    }
    const answer: Answer =
      fault && (fault.status !== undefined || fault.body !== undefined)
        ? { status: fault.status ?? 200, body: fault.body ?? defaultBody(fault.status ?? 200) }
        : this.answer(call, raw, tooLarge);
    const extra = {
      ...fault?.headers,
      ...(fault?.retryAfter === undefined ? {} : { 'retry-after': fault.retryAfter }),
    };
    this.write(res, { ...answer, headers: { ...answer.headers, ...extra } });
    log(answer.status);
  }

  private operationOf(method: string, path: string): Pick<FakeCipherscaleCall, 'operation' | 'userId'> {
    const match = this.route.exec(path.split('?')[0] ?? '');
    const segment = match?.[1];
    if (segment === undefined) return { operation: 'unknown', userId: undefined };
    let userId: string;
    try {
      userId = decodeURIComponent(segment);
    } catch {
      return { operation: 'unknown', userId: undefined };
    }
    const operation = OPERATIONS[`${method} ${match?.[2] ?? ''}`] ?? 'unknown';
    return { operation, userId };
  }

  private takeFault(call: FakeCipherscaleCall): Fault | undefined {
    const script = this.scripts.find(
      ({ match, faults }) =>
        faults.length > 0 &&
        (match.operation === undefined || match.operation === call.operation) &&
        (match.userId === undefined || match.userId === call.userId),
    );
    return script?.faults.shift();
  }

  // Faults come first (like a gateway in front of the API), then size, auth, routing.
  // A non-UUID id answers 400 (the real API's choice is undocumented).
  private answer(call: FakeCipherscaleCall, raw: string, tooLarge: boolean): Answer {
    if (tooLarge) return error(413, 'Request body larger than 1 MiB');
    if (call.headers.authorization !== `Bearer ${this.token}`) {
      return { ...error(401, 'Unauthorized'), headers: { 'www-authenticate': 'Bearer' } };
    }
    if (call.operation === 'unknown' || call.userId === undefined) return error(404, 'Not found');
    if (!userIdSchema.safeParse(call.userId).success) return error(400, 'Invalid user id: expected a UUID');
    const id = call.userId;
    let update: UpdateUser = {};
    if (call.operation === 'updateUser') {
      const parsed = parseUpdate(raw, call.headers['content-type']);
      if ('message' in parsed) return error(400, parsed.message);
      update = parsed.update;
    }
    const user = this.users.get(id);
    if (!user) return error(404, 'User not found');
    const updatedAt = new Date().toISOString();
    switch (call.operation) {
      case 'getUser':
        return { status: 200, body: user };
      case 'updateUser':
        return this.store({ ...user, ...update, updatedAt });
      case 'deactivateUser':
        return this.store({ ...user, status: 'inactive', updatedAt });
      case 'deleteUser':
        this.users.delete(id);
        return { status: 204 };
    }
  }

  private store(user: User): Answer {
    this.users.set(user.id, user);
    return { status: 200, body: user };
  }

  private write(res: ServerResponse, { status, body, headers }: Answer): void {
    const payload =
      body === undefined || status === 204 || status === 304
        ? undefined
        : typeof body === 'string'
          ? body
          : JSON.stringify(body);
    res.writeHead(status, {
      'x-request-id': `req_${randomBytes(6).toString('hex')}`,
      ...(payload === undefined
        ? {}
        : {
            'content-type': 'application/json; charset=utf-8',
            'content-length': Buffer.byteLength(payload),
          }),
      ...headers,
    });
    res.end(payload);
  }

  private sleep(ms: number): Promise<void> {
    if (ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.add(timer);
    });
  }
}

function defaultBody(status: number): object | undefined {
  return status === 204 || status === 304 ? undefined : { message: STATUS_CODES[status] ?? 'Error' };
}

function readBody(req: IncomingMessage): Promise<{ raw: string; tooLarge: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      // Keep draining so the client can read the 413.
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () =>
      resolve({
        raw: size > MAX_BODY_BYTES ? '' : Buffer.concat(chunks).toString('utf8'),
        tooLarge: size > MAX_BODY_BYTES,
      }),
    );
    req.on('error', reject);
  });
}

const isJson = (contentType: string | undefined) =>
  /^application\/([\w.+-]*\+)?json\b/i.test(contentType ?? '');

function parseBody(raw: string, contentType: string | undefined): unknown {
  if (raw === '') return undefined;
  if (!isJson(contentType)) return raw;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}

function parseUpdate(
  raw: string,
  contentType: string | undefined,
): { update: UpdateUser } | { message: string } {
  if (!isJson(contentType)) return { message: 'Content-Type must be application/json' };
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    return { message: 'Request body is not valid JSON' };
  }
  const parsed = updateUserSchema.safeParse(json);
  return parsed.success
    ? { update: parsed.data }
    : { message: `Invalid body: ${z.prettifyError(parsed.error)}` };
}
