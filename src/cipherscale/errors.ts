// Every way a Cipherscale call can fail, as data. Callers switch on `kind`.
interface Base {
  /** The API's x-request-id, when it sent one. */
  requestId?: string | undefined;
}

export type CipherscaleFailure = Base &
  (
    | { kind: 'not_found'; status: 404 }
    | { kind: 'credentials_refused'; status: 401 | 403 }
    | { kind: 'rate_limited'; status: 429; retryAfterMs: number | undefined }
    | {
        kind: 'transient';
        reason: 'server_error' | 'timeout' | 'connection';
        status: number | undefined;
        detail: string;
      }
    | { kind: 'invalid_response'; status: number; detail: string }
    | { kind: 'client_error'; status: number; detail: string }
  );

export type CipherscaleResult<T> =
  | { ok: true; value: T; status: number; requestId?: string | undefined }
  | { ok: false; error: CipherscaleFailure };

/** Worth another attempt later: 429, 5xx, timeouts and connection errors. */
export function isRetryable(failure: CipherscaleFailure): boolean {
  return failure.kind === 'rate_limited' || failure.kind === 'transient';
}

/** One plain sentence for people; carries no token and no response body beyond a short API message. */
export function describeFailure(failure: CipherscaleFailure): string {
  switch (failure.kind) {
    case 'not_found':
      return 'Cipherscale has no user with that id.';
    case 'credentials_refused':
      return `Cipherscale refused the bot's credentials (HTTP ${failure.status}). Check CIPHERSCALE_API_TOKEN.`;
    case 'rate_limited':
      return failure.retryAfterMs === undefined
        ? 'Cipherscale is rate limiting the bot (HTTP 429).'
        : `Cipherscale is rate limiting the bot (HTTP 429, retry after ${Math.ceil(failure.retryAfterMs / 1000)} s).`;
    case 'transient':
      if (failure.reason === 'timeout') return `Cipherscale did not answer in time (${failure.detail}).`;
      if (failure.reason === 'connection') return `Cipherscale could not be reached (${failure.detail}).`;
      return `Cipherscale had a server error (HTTP ${failure.status ?? '5xx'}).`;
    case 'invalid_response':
      return `Cipherscale sent a response the bot could not read (HTTP ${failure.status}: ${failure.detail}).`;
    case 'client_error':
      return `Cipherscale rejected the request (HTTP ${failure.status}${failure.detail ? `: ${failure.detail}` : ''}).`;
  }
}
