/**
 * The one HTTP core every service client is built on (DESIGN.md "one HTTP core"). It creates an
 * openapi-fetch client over a service's generated `paths` and gives it a fetch pipeline that adds
 * auth, a per-request timeout joined with the caller's AbortSignal, retries (see retry.ts) and the
 * service's typed error on any non-success answer. Service clients therefore only map arguments to
 * operations; they never loop, sleep or build errors themselves.
 */
import createClient, { type Client, type Middleware } from 'openapi-fetch';
import { type Auth, createAuthProvider } from './auth.js';
import type { ErrorFactory, LakekitError, LakekitErrorInit } from './errors.js';
import { redactUrl, scrubSecrets, scrubValue } from './redact.js';
import {
  backoffDelay,
  IDEMPOTENT_METHODS,
  NOT_PROCESSED_STATUS,
  parseRetryAfter,
  RETRIABLE_STATUS,
  type RetryOptions,
  resolveRetry,
  sleep,
} from './retry.js';

/** Options shared by every lakekit service client. */
export interface HttpClientOptions {
  /** Base URL of the service, e.g. `http://127.0.0.1:8181`. */
  baseUrl: string;
  /** Replacement for `globalThis.fetch` (tests, proxies, instrumentation). */
  fetch?: typeof fetch;
  /** Headers added to every request. */
  headers?: Record<string, string>;
  /** Per-attempt timeout in ms. Default 30 s. `0` disables it. */
  timeoutMs?: number;
  auth?: Auth;
  /** Retry policy, or `false` for none. */
  retry?: RetryOptions | false;
  /** openapi-fetch middleware (onRequest/onResponse/onError), run on every request. */
  middleware?: Middleware[];
  /** Extra strings to scrub from errors and logs (e.g. a database password inside a connector config). */
  secrets?: string[];
  /** Receives one line per request attempt, already redacted. */
  logger?: (event: HttpLogEvent) => void;
}

export interface HttpLogEvent {
  service: string;
  method: string;
  path: string;
  attempt: number;
  status?: number;
  durationMs: number;
  error?: string;
}

/** Per-call settings, passed through `core.call({...})` as the request's own `fetch`. */
export interface CallOptions {
  /** Allow retries of a non-idempotent method (POST/PATCH) because this operation is safe to repeat. */
  retrySafe?: boolean;
  /** Override the client's per-attempt timeout. */
  timeoutMs?: number;
  /** Statuses that are an expected answer here, not an error (e.g. 404 for an `exists` check). */
  acceptStatus?: number[];
}

/** Service-specific rules the core needs. */
export interface ServiceProfile {
  /** Short service name used in errors and logs. */
  name: string;
  /** Builds the service's error subclass. */
  createError: ErrorFactory;
  /** Pulls the server's message and code out of an error body. */
  parseErrorBody?(body: unknown): { message?: string; code?: string | number };
  /**
   * Extra retriable answers beyond 408/429/502/503/504, e.g. Kafka Connect's 409 during a
   * rebalance. Return `'not-processed'` when the server provably did not act (then even a POST is
   * repeated), `true` for idempotent-only retry, `false` otherwise.
   */
  retriableResponse?(status: number, body: unknown): boolean | 'not-processed';
}

export interface HttpCore<Paths extends {}> {
  /** The typed openapi-fetch client. Its responses are always successful: failures throw. */
  readonly api: Client<Paths>;
  /** A per-request `fetch` carrying call options: `api.POST(path, { ..., fetch: core.call({ retrySafe: true }) })`. */
  call(options: CallOptions): (input: Request) => Promise<Response>;
  readonly baseUrl: string;
  readonly profile: ServiceProfile;
  /** Secrets this client knows; used to scrub messages. */
  readonly secrets: readonly string[];
  /** Builds a `validation` error of this service (bad input caught before sending). */
  invalid(message: string, extra?: Partial<LakekitErrorInit>): LakekitError;
}

const DEFAULT_TIMEOUT_MS = 30_000;
const HTTP_METHODS = new Set(['GET', 'PUT', 'POST', 'DELETE', 'OPTIONS', 'HEAD', 'PATCH', 'TRACE']);

export function createHttpCore<Paths extends {}>(
  options: HttpClientOptions,
  profile: ServiceProfile,
): HttpCore<Paths> {
  if (!options.baseUrl || !/^https?:\/\//.test(options.baseUrl)) {
    throw profile.createError({
      message: `${profile.name}: baseUrl must be an absolute http(s) URL, got ${JSON.stringify(redactUrl(options.baseUrl ?? ''))}`,
      kind: 'validation',
      service: profile.name,
    });
  }
  // `http://user:pass@host` is a common way to hand over credentials, but fetch refuses such URLs
  // and they would end up in messages: move them into basic auth (or refuse when auth is set too).
  const parsedBase = new URL(options.baseUrl);
  let authOption = options.auth;
  if (parsedBase.username || parsedBase.password) {
    if (authOption && authOption.type !== 'none') {
      throw profile.createError({
        message: `${profile.name}: baseUrl ${redactUrl(options.baseUrl)} carries credentials and auth is set too; keep one`,
        kind: 'validation',
        service: profile.name,
      });
    }
    authOption = {
      type: 'basic',
      username: decodeURIComponent(parsedBase.username),
      password: decodeURIComponent(parsedBase.password),
    };
    parsedBase.username = '';
    parsedBase.password = '';
  }
  const fetchImpl = options.fetch ?? globalThis.fetch.bind(globalThis);
  const timeoutDefault = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const auth = createAuthProvider(authOption, fetchImpl, Date.now, timeoutDefault);
  const retry = resolveRetry(options.retry);
  const secrets = (): string[] => [...auth.secrets, ...(options.secrets ?? [])];
  const baseUrl = parsedBase.toString().replace(/\/+$/, '');

  const send = async (input: Request, call: CallOptions): Promise<Response> => {
    const method = input.method.toUpperCase();
    const path = redactUrl(input.url, true);
    const idempotent = IDEMPOTENT_METHODS.has(method) || call.retrySafe === true;
    const timeoutMs = call.timeoutMs ?? timeoutDefault;
    const userSignal = input.signal;
    const started = Date.now();
    const bodyBytes = input.body ? await input.arrayBuffer() : undefined;
    let attempt = 0;
    let refreshed = false;

    const fail = (init: Omit<LakekitErrorInit, 'service' | 'method' | 'path'>): never => {
      throw profile.createError({
        ...init,
        message: scrubSecrets(init.message, secrets()),
        service: profile.name,
        method,
        path,
        attempts: attempt,
      });
    };
    const waitOrGiveUp = async (delayMs: number, reason: string, status?: number): Promise<boolean> => {
      if (attempt >= retry.maxAttempts) return false;
      if (Date.now() + delayMs - started > retry.budgetMs) return false;
      retry.onRetry?.({
        attempt,
        delayMs,
        method,
        path,
        reason,
        ...(status !== undefined ? { status } : {}),
      });
      try {
        await sleep(delayMs, userSignal);
      } catch (cause) {
        fail({ message: `${method} ${path} aborted while waiting to retry`, kind: 'aborted', cause });
      }
      return true;
    };

    for (;;) {
      attempt++;
      const headers = new Headers(input.headers);
      for (const [k, v] of Object.entries(await auth.headers(userSignal))) headers.set(k, v);
      const signals = [userSignal];
      const timeoutSignal = timeoutMs > 0 ? AbortSignal.timeout(timeoutMs) : undefined;
      if (timeoutSignal) signals.push(timeoutSignal);
      const t0 = Date.now();
      let res: Response;
      try {
        res = await fetchImpl(
          new Request(input.url, {
            method,
            headers,
            ...(bodyBytes ? { body: bodyBytes } : {}),
            signal: AbortSignal.any(signals),
          }),
        );
      } catch (cause) {
        const message = (cause as Error)?.message ?? String(cause);
        options.logger?.({
          service: profile.name,
          method,
          path,
          attempt,
          durationMs: Date.now() - t0,
          error: message,
        });
        if (userSignal.aborted) {
          fail({
            message: `${profile.name}: ${method} ${path} aborted by the caller`,
            kind: 'aborted',
            cause,
          });
        }
        const timedOut = timeoutSignal?.aborted === true;
        const kind = timedOut ? 'timeout' : 'network';
        const delay = backoffDelay(attempt, retry);
        if (idempotent && (await waitOrGiveUp(delay, kind))) continue;
        fail({
          message: timedOut
            ? `${profile.name}: ${method} ${path} timed out after ${timeoutMs} ms (attempt ${attempt})`
            : `${profile.name}: ${method} ${new URL(baseUrl).origin}${path} could not be reached: ${describeNetworkError(cause)}`,
          kind,
          retriable: true,
          cause,
        });
      }
      res = res!;
      options.logger?.({
        service: profile.name,
        method,
        path,
        attempt,
        status: res.status,
        durationMs: Date.now() - t0,
      });
      if (res.ok || call.acceptStatus?.includes(res.status)) return res;
      // A DELETE is only repeated after an answer that may hide a success (lost response, 5xx after
      // the work was done); "not found" on the repeat then means the first attempt deleted it.
      if (method === 'DELETE' && attempt > 1 && res.status === 404) {
        await res.body?.cancel().catch(() => undefined);
        return new Response(null, { status: 204 });
      }

      if (res.status === 401 && !refreshed) {
        refreshed = true;
        if (await auth.refresh(userSignal)) {
          attempt--; // a credential refresh is not a retry
          continue;
        }
      }
      const body = await readBody(res);
      const extra = profile.retriableResponse?.(res.status, body) ?? false;
      const notProcessed = NOT_PROCESSED_STATUS.has(res.status) || extra === 'not-processed';
      const retriableStatus = RETRIABLE_STATUS.has(res.status) || extra !== false;
      if (retriableStatus && (idempotent || notProcessed)) {
        const after = parseRetryAfter(res.headers.get('retry-after'));
        const delay = after !== undefined ? Math.min(after, retry.maxDelayMs) : backoffDelay(attempt, retry);
        if (await waitOrGiveUp(delay, `HTTP ${res.status}`, res.status)) continue;
      }
      const parsed = profile.parseErrorBody?.(body) ?? {};
      const serverMessage = parsed.message ?? (typeof body === 'string' ? body.slice(0, 500) : undefined);
      fail({
        message:
          `${profile.name}: ${method} ${path} failed with HTTP ${res.status}` +
          (parsed.code !== undefined ? ` (${parsed.code})` : '') +
          (serverMessage ? `: ${serverMessage}` : '') +
          (attempt > 1 ? ` after ${attempt} attempts` : ''),
        kind: 'http',
        status: res.status,
        ...(parsed.code !== undefined ? { code: parsed.code } : {}),
        retriable: retriableStatus,
        body: scrubValue(body, secrets()),
      });
    }
  };

  const makeFetch =
    (call: CallOptions) =>
    (input: Request): Promise<Response> =>
      send(input, call);

  const rawApi = createClient<Paths>({
    baseUrl,
    fetch: makeFetch({}),
    ...(options.headers ? { headers: options.headers } : {}),
  });
  if (options.middleware?.length) rawApi.use(...options.middleware);
  // openapi-fetch parses a successful body with `response.json()`; a server that answers 2xx with
  // something else (an HTML console page, a truncated body) would surface as a bare SyntaxError.
  const api = new Proxy(rawApi, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof prop !== 'string' || !HTTP_METHODS.has(prop) || typeof value !== 'function') return value;
      return (path: string, ...rest: unknown[]) =>
        (value as (...a: unknown[]) => Promise<unknown>).call(target, path, ...rest).catch((e: unknown) => {
          if (e instanceof SyntaxError) {
            throw profile.createError({
              message: `${profile.name}: ${prop} ${path} answered with a body that is not valid JSON (${e.message})`,
              kind: 'protocol',
              service: profile.name,
              method: prop,
              path,
              cause: e,
            });
          }
          // The timeout and the caller's signal also cover reading the body, after `send` returned.
          const name = (e as { name?: string })?.name;
          if (name === 'TimeoutError' || name === 'AbortError') {
            throw profile.createError({
              message: `${profile.name}: ${prop} ${path} ${name === 'TimeoutError' ? 'timed out' : 'was aborted'} while reading the answer`,
              kind: name === 'TimeoutError' ? 'timeout' : 'aborted',
              service: profile.name,
              method: prop,
              path,
              retriable: name === 'TimeoutError',
              cause: e,
            });
          }
          throw e;
        });
    },
  });

  return {
    api,
    call: makeFetch,
    baseUrl,
    profile,
    get secrets() {
      return secrets();
    },
    invalid(message, extra) {
      return profile.createError({
        ...extra,
        message: scrubSecrets(message, secrets()),
        kind: 'validation',
        service: profile.name,
      });
    },
  };
}

async function readBody(res: Response): Promise<unknown> {
  let text: string;
  try {
    text = await res.text();
  } catch {
    return undefined;
  }
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function describeNetworkError(cause: unknown): string {
  const c = cause as { message?: string; cause?: { code?: string; message?: string } };
  return c?.cause?.code ?? c?.cause?.message ?? c?.message ?? String(cause);
}

/**
 * Returns `data` from an openapi-fetch result. The core already throws on failures, so a missing
 * `data` only happens for empty (204) answers; those return `undefined` typed as the success type.
 */
export function unwrap<T>(result: { data?: T; error?: unknown }): T {
  return result.data as T;
}
