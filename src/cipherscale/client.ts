import http from 'node:http';
import https from 'node:https';
import axios, { type AxiosInstance, type AxiosResponse, isAxiosError } from 'axios';
import type { z } from 'zod';
import { processRedactor, Redactor, redactAndCut } from '../redact.js';
import { type CallBudget, MAX_HOLD_MS, type Priority } from './budget.js';
import type { CipherscaleFailure, CipherscaleResult } from './errors.js';
import { type UpdateUser, type User, userIdSchema, userSchema } from './schemas.js';

export interface CipherscaleClient {
  getUser(id: string): Promise<CipherscaleResult<User>>;
  updateUser(id: string, changes: UpdateUser): Promise<CipherscaleResult<User>>;
  deactivateUser(id: string): Promise<CipherscaleResult<User>>;
  deleteUser(id: string): Promise<CipherscaleResult<null>>;
}

export interface CipherscaleClientOptions {
  baseUrl: string;
  token: string;
  timeoutMs: number;
  userAgent?: string;
  /** Told of every call: operation, HTTP status (or timeout / connection / invalid) and duration. */
  onCall?: (operation: string, status: string, durationMs: number) => void;
  /** Every HTTP call takes a slot here first (none: unlimited, for unit tests). */
  budget?: CallBudget;
  /** Default `interactive`. */
  priority?: Priority;
}

/** How long a call waits for a slot before answering "rate limited, retry in N s". */
const MAX_WAIT_MS: Record<Priority, number> = { interactive: 2000, bulk: 30_000 };
// Fail closed: no slot, no call. Retryable like a connection error.
const BUDGET_UNAVAILABLE: CipherscaleFailure = {
  kind: 'transient',
  reason: 'connection',
  status: undefined,
  detail: 'call budget unavailable (Redis)',
};
/** A 429 without a usable Retry-After still holds every caller back this long. */
const DEFAULT_HOLD_MS = 1000;

const OPERATION: Record<Request['method'], string> = {
  GET: 'get',
  PUT: 'update',
  PATCH: 'deactivate',
  DELETE: 'delete',
};

const NO_BODY = Symbol('no body');
type Expected<T> = z.ZodType<T> | typeof NO_BODY;

const MAX_RESPONSE_BYTES = 5 * 1024 * 1024;
const MAX_DETAIL_CHARS = 200;

// The auth scheme is not documented by Cipherscale: keep it here, in one place.
const authorization = (token: string) => `Bearer ${token}`;

export function createCipherscaleClient(options: CipherscaleClientOptions): CipherscaleClient {
  const http_ = axios.create({
    baseURL: options.baseUrl,
    timeout: options.timeoutMs,
    maxRedirects: 0, // never replay the bearer token to another host
    maxContentLength: MAX_RESPONSE_BYTES,
    responseType: 'text',
    transformResponse: [(data: unknown) => data],
    validateStatus: () => true,
    transitional: { clarifyTimeoutError: true },
    httpAgent: new http.Agent({ keepAlive: true }),
    httpsAgent: new https.Agent({ keepAlive: true }),
    headers: {
      Accept: 'application/json',
      'User-Agent': options.userAgent ?? 'cipher-user',
      Authorization: authorization(options.token),
    },
  });

  // Our own token always; the other secrets of the process when a runtime protects them.
  const own = new Redactor([options.token]);
  const redact = (text: string, max: number) => redactAndCut(processRedactor(), own.redact(text), max);
  const userPath = (id: string) => `/tenants/users/${encodeURIComponent(id)}`;
  const request_ = metered(http_, options);
  const send = async <T>(id: string, request: Request, schema: Expected<T>) => {
    const started = performance.now();
    const result = await call(request_, options.timeoutMs, id, request, schema, redact);
    const status = !result.ok && REFUSED.has(result.error) ? 'budget' : statusLabel(result);
    options.onCall?.(OPERATION[request.method], status, performance.now() - started);
    return result;
  };

  return {
    getUser: (id) => send(id, { method: 'GET', url: userPath(id) }, userSchema),
    updateUser: (id, changes) => send(id, { method: 'PUT', url: userPath(id), data: changes }, userSchema),
    deactivateUser: (id) => send(id, { method: 'PATCH', url: `${userPath(id)}/deactivate` }, userSchema),
    // The delete answer has no documented body or status: any 2xx, with or without a body.
    deleteUser: (id) => send(id, { method: 'DELETE', url: userPath(id) }, NO_BODY),
  };
}

function statusLabel(result: CipherscaleResult<unknown>): string {
  if (result.ok) return String(result.status);
  const failure = result.error;
  if (failure.kind === 'transient' && failure.status === undefined) return failure.reason;
  return failure.status ? String(failure.status) : 'invalid';
}

type Send = (config: Parameters<AxiosInstance['request']>[0]) => Promise<AxiosResponse<string> | Refused>;
type Refused = { refused: CipherscaleFailure };
/** Failures the budget answered itself, without a call: `budget` in the metrics, not a 429. */
const REFUSED = new WeakSet<CipherscaleFailure>();

/** True when this failure was answered here, before any request left for Cipherscale. */
export function neverSent(failure: CipherscaleFailure): boolean {
  return REFUSED.has(failure);
}
const refused = (failure: CipherscaleFailure): Refused => {
  REFUSED.add(failure);
  return { refused: failure };
};

/** The one choke point: no request leaves without a budget slot, and a 429 holds back every process. */
function metered(client: AxiosInstance, options: CipherscaleClientOptions): Send {
  const { budget } = options;
  // The socket timeout alone does not bound a server that trickles bytes; the clock starts with the slot.
  const send = (config: Parameters<Send>[0]) =>
    client.request<string>({ ...config, signal: AbortSignal.timeout(options.timeoutMs + 50) });
  if (!budget) return send;
  const priority = options.priority ?? 'interactive';
  return async (config) => {
    const slot = await budget.take(priority, MAX_WAIT_MS[priority]).catch(() => undefined);
    if (!slot) return refused({ ...BUDGET_UNAVAILABLE });
    if (!slot.ok) return refused({ kind: 'rate_limited', status: 429, retryAfterMs: slot.retryAfterMs });
    // No answer (timeout, reset): the API may still be reading it, so the slot keeps its provisional end.
    const response = await send(config);
    // The slot's real end, recorded beside the caller's next step: until it lands the slot counts to its
    // provisional end, which only makes the budget stricter.
    void slot.release().catch(() => undefined);
    if (response.status === 429) {
      const ms = retryAfterMs(response.headers['retry-after']) ?? DEFAULT_HOLD_MS;
      await budget.holdFor(Math.min(MAX_HOLD_MS, ms)).catch(() => undefined);
    }
    return response;
  };
}

interface Request {
  method: 'GET' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  data?: unknown;
}

async function call<T>(
  send: Send,
  timeoutMs: number,
  id: string,
  request: Request,
  schema: Expected<T>,
  redact: Redact,
): Promise<CipherscaleResult<T>> {
  if (!userIdSchema.safeParse(id).success) {
    return { ok: false, error: { kind: 'client_error', status: 0, detail: 'not a user id (UUID)' } };
  }
  let response: AxiosResponse<string> | Refused;
  try {
    response = await send({
      ...request,
      ...(request.data === undefined ? {} : { headers: { 'Content-Type': 'application/json' } }),
    });
  } catch (err) {
    return { ok: false, error: networkFailure(err, timeoutMs) };
  }
  if ('refused' in response) return { ok: false, error: response.refused };
  return interpret(response, schema, redact);
}

/** Outside text made safe to keep: every run of a secret redacted first, then cut to `max`. */
type Redact = (text: string, max: number) => string;

function interpret<T>(
  response: AxiosResponse<string>,
  schema: Expected<T>,
  redact: Redact,
): CipherscaleResult<T> {
  const status = response.status;
  const requestId = headerValue(response.headers['x-request-id'], redact);
  if (status >= 200 && status < 300) {
    if (schema === NO_BODY) return { ok: true, value: null as T, status, requestId };
    const body = parseJson(response.data);
    if (!body.ok)
      return { ok: false, error: { kind: 'invalid_response', status, detail: 'not JSON', requestId } };
    const parsed = schema.safeParse(body.value);
    if (!parsed.success) {
      const fields = [...new Set(parsed.error.issues.map((i) => i.path.join('.') || '(body)'))].slice(0, 5);
      return {
        ok: false,
        error: {
          kind: 'invalid_response',
          status,
          detail: redact(`unexpected ${fields.join(', ')}`, MAX_DETAIL_CHARS),
          requestId,
        },
      };
    }
    return { ok: true, value: parsed.data, status, requestId };
  }
  return { ok: false, error: statusFailure(status, response, requestId, redact) };
}

function statusFailure(
  status: number,
  response: AxiosResponse<string>,
  requestId: string | undefined,
  redact: Redact,
): CipherscaleFailure {
  if (status === 404) return { kind: 'not_found', status, requestId };
  if (status === 401 || status === 403) return { kind: 'credentials_refused', status, requestId };
  if (status === 429) {
    return {
      kind: 'rate_limited',
      status,
      retryAfterMs: retryAfterMs(response.headers['retry-after']),
      requestId,
    };
  }
  if (status >= 500)
    return { kind: 'transient', reason: 'server_error', status, detail: `HTTP ${status}`, requestId };
  if (status >= 300 && status < 400) {
    return { kind: 'invalid_response', status, detail: 'unexpected redirect (not followed)', requestId };
  }
  return { kind: 'client_error', status, detail: apiMessage(response.data, redact), requestId };
}

/** Classifies a thrown axios error without keeping it: it carries the request headers (and the token). */
function networkFailure(err: unknown, timeoutMs: number): CipherscaleFailure {
  const code = isAxiosError(err) ? err.code : undefined;
  if (code === 'ETIMEDOUT' || code === 'ECONNABORTED' || code === 'ERR_CANCELED') {
    return {
      kind: 'transient',
      reason: 'timeout',
      status: undefined,
      detail: `no answer within ${timeoutMs} ms`,
    };
  }
  if (code === 'ERR_BAD_RESPONSE' || code === 'ERR_FR_MAX_CONTENT_LENGTH_EXCEEDED') {
    return { kind: 'invalid_response', status: 0, detail: 'response too large or malformed' };
  }
  const cause = isAxiosError(err) ? (err.cause as NodeJS.ErrnoException | undefined) : undefined;
  const errno = code ?? cause?.code ?? 'network error';
  return { kind: 'transient', reason: 'connection', status: undefined, detail: errno };
}

function parseJson(text: unknown): { ok: true; value: unknown } | { ok: false } {
  if (typeof text !== 'string') return { ok: false };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

function apiMessage(text: string, redact: Redact): string {
  const body = parseJson(text);
  const message =
    body.ok && typeof body.value === 'object' && body.value !== null
      ? (body.value as Record<string, unknown>).message
      : undefined;
  return typeof message === 'string' ? redact(message, MAX_DETAIL_CHARS) : '';
}

function headerValue(value: unknown, redact: Redact): string | undefined {
  return typeof value === 'string' && value.length > 0 ? redact(value, 200) || undefined : undefined;
}

/** Retry-After as seconds or an HTTP date, in milliseconds; undefined when absent or unreadable. */
export function retryAfterMs(value: unknown, now: number = Date.now()): number | undefined {
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return seconds >= 0 ? Math.round(seconds * 1000) : undefined;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
