/**
 * Authentication as a tagged union (DESIGN.md §4) and the provider that turns it into request
 * headers. OAuth2 client credentials (RFC 6749 §4.4, used by Iceberg REST catalogs) fetches a token
 * once, shares one in-flight request between concurrent callers, refreshes it shortly before
 * `expires_in` runs out, and again when the server answers 401.
 */
import { LakekitError } from './errors.js';
import { redactUrl, scrubSecrets } from './redact.js';
import { raceSignal } from './retry.js';

export type Auth =
  /** No credentials. */
  | { type: 'none' }
  /** HTTP Basic (`Authorization: Basic base64(user:password)`). */
  | { type: 'basic'; username: string; password: string }
  /** A bearer token, fixed or produced by a function (called per request; cache it yourself). */
  | { type: 'bearer'; token: string | (() => string | Promise<string>) }
  /** OAuth2 client-credentials grant; the token is cached and refreshed. */
  | {
      type: 'oauth2-client-credentials';
      /** Absolute token endpoint URL, e.g. `http://catalog:8181/v1/oauth/tokens`. */
      tokenUrl: string;
      clientId: string;
      clientSecret: string;
      scope?: string;
      /** Extra form fields (e.g. `audience`, `resource`). */
      extraParams?: Record<string, string>;
      /** Refresh this long before expiry. Default 60 s. */
      refreshSkewMs?: number;
    }
  /** Fixed extra headers (API keys and the like); their values are treated as secrets. */
  | { type: 'headers'; headers: Record<string, string> };

export interface AuthProvider {
  /** Headers to add to a request. */
  headers(signal?: AbortSignal): Promise<Record<string, string>>;
  /** Called on a 401: returns true when fresh credentials were obtained and the request may be repeated. */
  refresh(signal?: AbortSignal): Promise<boolean>;
  /** Strings that must never appear in errors or logs. */
  readonly secrets: readonly string[];
}

interface TokenState {
  token: string;
  expiresAt: number;
  refreshAt: number;
}

export function createAuthProvider(
  auth: Auth | undefined,
  fetchImpl: typeof fetch,
  now: () => number = Date.now,
  /** Timeout of a token request; 0 disables it. */
  timeoutMs = 30_000,
): AuthProvider {
  const a = auth ?? { type: 'none' };
  switch (a.type) {
    case 'none':
      return { headers: async () => ({}), refresh: async () => false, secrets: [] };
    case 'basic': {
      const value = `Basic ${Buffer.from(`${a.username}:${a.password}`).toString('base64')}`;
      return {
        headers: async () => ({ authorization: value }),
        refresh: async () => false,
        secrets: [a.password, value.slice(6)],
      };
    }
    case 'bearer': {
      const secrets: string[] = typeof a.token === 'string' ? [a.token] : [];
      return {
        async headers() {
          const token = typeof a.token === 'string' ? a.token : await a.token();
          if (!secrets.includes(token)) secrets.push(token);
          return { authorization: `Bearer ${token}` };
        },
        refresh: async () => typeof a.token === 'function',
        secrets,
      };
    }
    case 'headers':
      return {
        headers: async () => ({ ...a.headers }),
        refresh: async () => false,
        secrets: Object.values(a.headers),
      };
    case 'oauth2-client-credentials':
      return oauth2Provider(a, fetchImpl, now, timeoutMs);
  }
}

function oauth2Provider(
  a: Extract<Auth, { type: 'oauth2-client-credentials' }>,
  fetchImpl: typeof fetch,
  now: () => number,
  timeoutMs: number,
): AuthProvider {
  const secrets: string[] = [a.clientSecret];
  const skew = a.refreshSkewMs ?? 60_000;
  let state: TokenState | undefined;
  let inflight: Promise<TokenState> | undefined;

  // The token request is shared by every caller waiting for it, so it runs under its own timeout,
  // never under one caller's signal; each caller stops waiting when its own signal fires.
  const fetchToken = async (): Promise<TokenState> => {
    const signal = timeoutMs > 0 ? AbortSignal.timeout(timeoutMs) : undefined;
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: a.clientId,
      client_secret: a.clientSecret,
      ...(a.scope ? { scope: a.scope } : {}),
      ...a.extraParams,
    });
    const path = redactUrl(a.tokenUrl, true);
    let res: Response;
    try {
      res = await fetchImpl(a.tokenUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: form.toString(),
        ...(signal ? { signal } : {}),
      });
    } catch (cause) {
      const timedOut = signal?.aborted === true;
      throw new LakekitError({
        message: timedOut
          ? `OAuth2 token request to ${path} timed out after ${timeoutMs} ms`
          : `OAuth2 token request to ${path} failed: ${(cause as Error)?.message ?? cause}`,
        kind: timedOut ? 'timeout' : 'network',
        service: 'oauth2',
        method: 'POST',
        path,
        retriable: true,
        cause,
      });
    }
    const text = await res.text();
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      /* reported below */
    }
    if (!res.ok || typeof body.access_token !== 'string') {
      const code = typeof body.error === 'string' ? body.error : undefined;
      // Token servers may echo the submitted credentials in their error text.
      const detail =
        typeof body.error_description === 'string'
          ? `: ${scrubSecrets(body.error_description, secrets)}`
          : '';
      throw new LakekitError({
        message: `OAuth2 token request to ${path} failed with HTTP ${res.status}${code ? ` ${code}` : ''}${detail}`,
        kind: res.ok ? 'protocol' : 'http',
        service: 'oauth2',
        status: res.status,
        ...(code ? { code } : {}),
        method: 'POST',
        path,
        retriable: res.status >= 500,
      });
    }
    const token = body.access_token;
    secrets.push(token);
    const expiresIn = typeof body.expires_in === 'number' ? body.expires_in : Number(body.expires_in ?? 3600);
    const lifetimeMs = (Number.isFinite(expiresIn) ? expiresIn : 3600) * 1000;
    // A token living less than twice the skew would be refreshed on every call: refresh at half-life.
    return {
      token,
      expiresAt: now() + lifetimeMs,
      refreshAt: now() + Math.max(lifetimeMs - skew, lifetimeMs / 2),
    };
  };

  const current = async (signal?: AbortSignal, force = false): Promise<TokenState> => {
    if (!force && state && now() < state.refreshAt) return state;
    if (!inflight) {
      inflight = fetchToken().finally(() => {
        inflight = undefined;
      });
    }
    state = await (signal ? raceSignal(inflight, signal, abortedError) : inflight);
    return state;
  };

  return {
    async headers(signal) {
      const s = await current(signal);
      return { authorization: `Bearer ${s.token}` };
    },
    async refresh(signal) {
      await current(signal, true);
      return true;
    },
    secrets,
  };
}

function abortedError(): LakekitError {
  return new LakekitError({
    message: 'OAuth2 token wait aborted by the caller',
    kind: 'aborted',
    service: 'oauth2',
  });
}
