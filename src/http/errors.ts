/**
 * The one error family of lakekit (DESIGN.md §2). Every failure a user can catch is a
 * `LakekitError`; each service narrows it to its own subclass (`IcebergError`, `SchemaRegistryError`,
 * `ConnectError`, `AlertmanagerError`, …) which adds predicates for that server's own error codes.
 * Messages and fields never carry credentials: URLs are redacted before they get here and known
 * secrets are scrubbed from server text by the HTTP core.
 */

/** What kind of failure this is, independent of the service. */
export type LakekitErrorKind =
  /** The server answered with a non-success status. */
  | 'http'
  /** The request never got an answer (connection refused, reset, DNS). */
  | 'network'
  /** The per-request timeout elapsed. */
  | 'timeout'
  /** The caller's AbortSignal fired. */
  | 'aborted'
  /** The answer could not be understood (not JSON where JSON was promised, missing fields). */
  | 'protocol'
  /** Bad input detected before any request was sent. */
  | 'validation'
  /** A wait (for a state, a record, a notification) gave up. */
  | 'wait-timeout';

export interface LakekitErrorInit {
  message: string;
  kind: LakekitErrorKind;
  /** Service that raised it, e.g. `iceberg`, `registry`, `connect`, `alertmanager`. */
  service?: string;
  /** HTTP status, when the server answered. */
  status?: number;
  /** The server's own error code (Schema Registry 40401, Iceberg `NoSuchTableException`, …). */
  code?: string | number;
  /** Whether repeating the same call could succeed. */
  retriable?: boolean;
  /** HTTP method of the failed request. */
  method?: string;
  /** Request path (with query), credentials redacted. */
  path?: string;
  /** The parsed error body returned by the server, secrets scrubbed. */
  body?: unknown;
  /** How many attempts the HTTP core made (1 = no retry). */
  attempts?: number;
  cause?: unknown;
}

export class LakekitError extends Error {
  override name = 'LakekitError';
  readonly kind: LakekitErrorKind;
  readonly service: string | undefined;
  readonly status: number | undefined;
  readonly code: string | number | undefined;
  readonly retriable: boolean;
  readonly method: string | undefined;
  readonly path: string | undefined;
  readonly body: unknown;
  readonly attempts: number | undefined;

  constructor(init: LakekitErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    this.kind = init.kind;
    this.service = init.service;
    this.status = init.status;
    this.code = init.code;
    this.retriable = init.retriable ?? false;
    this.method = init.method;
    this.path = init.path;
    this.body = init.body;
    this.attempts = init.attempts;
  }

  /** HTTP 404, or a service code that means "does not exist". */
  isNotFound(): boolean {
    return this.status === 404;
  }
  /** HTTP 409. */
  isConflict(): boolean {
    return this.status === 409;
  }
  /** HTTP 401 or 403. */
  isUnauthorized(): boolean {
    return this.status === 401 || this.status === 403;
  }
  /** HTTP 400 or 422, or input rejected before sending. */
  isBadRequest(): boolean {
    return this.status === 400 || this.status === 422 || this.kind === 'validation';
  }
  /** HTTP 5xx. */
  isServerError(): boolean {
    return this.status !== undefined && this.status >= 500;
  }
  /** The per-request timeout or a wait deadline elapsed. */
  isTimeout(): boolean {
    return this.kind === 'timeout' || this.kind === 'wait-timeout';
  }
  /** The server could not be reached. */
  isNetworkError(): boolean {
    return this.kind === 'network';
  }
  /** The caller aborted the call. */
  isAborted(): boolean {
    return this.kind === 'aborted';
  }

  /** A JSON-friendly view, for logs and `--json` output. Never contains credentials. */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      message: this.message,
      kind: this.kind,
      service: this.service,
      status: this.status,
      code: this.code,
      retriable: this.retriable,
      method: this.method,
      path: this.path,
      attempts: this.attempts,
    };
  }
}

/** Narrowing helper for `catch (e)` blocks. */
export function isLakekitError(value: unknown): value is LakekitError {
  return value instanceof LakekitError;
}

/** Builds the service's own error subclass from what the HTTP core learned. */
export type ErrorFactory = (init: LakekitErrorInit) => LakekitError;
