/**
 * The retry policy of the HTTP core — the only retry loop for HTTP in lakekit (DESIGN.md §3).
 * Exponential backoff with full jitter (delay = random(0, min(max, base·2^n))), a total time budget,
 * `Retry-After` honoured, and a fixed list of what may be retried.
 */

export interface RetryOptions {
  /** Total attempts including the first. Default 4. `1` disables retries. */
  maxAttempts?: number;
  /** Base delay for the backoff. Default 200 ms. */
  baseDelayMs?: number;
  /** Cap for one delay (also caps `Retry-After`). Default 10 s. */
  maxDelayMs?: number;
  /** Give up when the next attempt would start later than this after the first. Default 60 s. */
  budgetMs?: number;
  /** Source of randomness in [0, 1); injectable for deterministic tests. */
  random?: () => number;
  /** Called before each retry with what failed and how long the core will wait. */
  onRetry?: (info: RetryInfo) => void;
}

export interface RetryInfo {
  attempt: number;
  delayMs: number;
  method: string;
  /** Redacted path. */
  path: string;
  status?: number;
  reason: string;
}

export type ResolvedRetry = Required<Omit<RetryOptions, 'onRetry'>> & Pick<RetryOptions, 'onRetry'>;

export function resolveRetry(opts: RetryOptions | false | undefined): ResolvedRetry {
  const o = opts === false ? { maxAttempts: 1 } : (opts ?? {});
  return {
    maxAttempts: Math.max(1, o.maxAttempts ?? 4),
    baseDelayMs: o.baseDelayMs ?? 200,
    maxDelayMs: o.maxDelayMs ?? 10_000,
    budgetMs: o.budgetMs ?? 60_000,
    random: o.random ?? Math.random,
    ...(o.onRetry ? { onRetry: o.onRetry } : {}),
  };
}

/** Statuses retried for idempotent requests: timeout, rate limit, gateway/unavailable. */
export const RETRIABLE_STATUS: ReadonlySet<number> = new Set([408, 429, 502, 503, 504]);
/** Statuses that prove the server did not act on the request, so even a POST may be repeated. */
export const NOT_PROCESSED_STATUS: ReadonlySet<number> = new Set([429]);
export const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'PUT', 'DELETE']);

/** Full-jitter backoff delay before attempt `attempt + 1` (attempt counts from 1). */
export function backoffDelay(attempt: number, r: ResolvedRetry): number {
  const ceiling = Math.min(r.maxDelayMs, r.baseDelayMs * 2 ** (attempt - 1));
  return Math.floor(r.random() * ceiling);
}

/** Parses `Retry-After` (delta-seconds or an HTTP date) into milliseconds; undefined if absent/invalid. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now);
}

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Settles with `p`, unless `signal` fires first: then `onAbort` runs (once) and its return value is
 * the rejection. The listener is removed as soon as either side settles.
 */
export function raceSignal<T>(p: Promise<T>, signal: AbortSignal, onAbort: () => unknown): Promise<T> {
  if (signal.aborted) return Promise.reject(onAbort());
  return new Promise<T>((resolve, reject) => {
    const abort = () => reject(onAbort());
    signal.addEventListener('abort', abort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', abort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', abort);
        reject(e);
      },
    );
  });
}
