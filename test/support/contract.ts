/**
 * Two-sided contract harness for msw tests (DESIGN.md §7). `contractServer('iceberg-rest', base)`
 * starts an msw server; every request the client sends and every mocked response is matched to an
 * operation of `specs/<name>.yaml` and validated. Violations fail the test in `afterEach`; the
 * operations hit are collected and, in `afterAll`, printed as a coverage count and required to be
 * complete when `requireFullCoverage` is set.
 */

import type { RequestHandler } from 'msw';
import { setupServer } from 'msw/node';
import type { Middleware } from 'openapi-fetch';
import { afterAll, afterEach, beforeAll, expect } from 'vitest';
import { type OperationMatch, specValidator } from './openapi.js';

export interface ContractServer {
  /** Add handlers for the current test (reset after each test). */
  use(...handlers: RequestHandler[]): void;
  /** Violations seen so far in this test. */
  readonly violations: string[];
  /** operationIds exercised across the file. */
  readonly covered: Set<string>;
  /** Requests seen in this test, in order: method, path (after base), operationId. */
  readonly requests: {
    method: string;
    path: string;
    operationId?: string;
    headers: Headers;
    body: unknown;
  }[];
}

export interface ContractOptions {
  /** Fail the file unless every operation in the spec was exercised. */
  requireFullCoverage?: boolean;
  /** Operations knowingly not exercised here (with the reason in a comment at the call site). */
  excluded?: string[];
}

async function readJson(r: Request | Response): Promise<unknown> {
  const text = await r.text();
  if (!text) return undefined;
  // Form bodies (OAuth2 token requests) are validated as the object of their fields.
  if (r.headers.get('content-type')?.startsWith('application/x-www-form-urlencoded')) {
    return Object.fromEntries(new URLSearchParams(text));
  }
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export function contractServer(
  specName: string,
  baseUrl: string,
  options: ContractOptions = {},
): ContractServer {
  const spec = specValidator(specName);
  const basePath = new URL(baseUrl).pathname.replace(/\/+$/, '');
  const server = setupServer();
  const violations: string[] = [];
  const covered = new Set<string>();
  const requests: ContractServer['requests'] = [];
  const matches = new Map<string, OperationMatch>();

  const toPath = (url: string): string | undefined => {
    const u = new URL(url);
    if (!u.href.startsWith(new URL(baseUrl).origin)) return undefined;
    return u.pathname.startsWith(basePath) ? u.pathname.slice(basePath.length) || '/' : undefined;
  };

  server.events.on('request:start', async ({ request, requestId }) => {
    const path = toPath(request.url);
    if (path === undefined) return;
    const m = spec.match(request.method, path);
    const body = request.body ? await readJson(request.clone()) : undefined;
    requests.push({
      method: request.method,
      path,
      headers: request.headers,
      body,
      ...(m ? { operationId: m.operationId } : {}),
    });
    if (!m) {
      violations.push(`${request.method} ${path}: no operation in specs/${specName}.yaml`);
      return;
    }
    matches.set(requestId, m);
    covered.add(m.operationId);
    violations.push(...spec.validateRequest(m, body, request.headers.get('content-type')));
  });
  server.events.on('response:mocked', async ({ response, requestId }) => {
    const m = matches.get(requestId);
    if (!m) return;
    const body = await readJson(response.clone());
    violations.push(...spec.validateResponse(m, response.status, body, response.headers.get('content-type')));
  });
  const origin = new URL(baseUrl).origin;
  server.events.on('request:unhandled', ({ request }) => {
    if (new URL(request.url).origin === origin)
      violations.push(`${request.method} ${request.url}: no mock handler`);
  });

  // Requests to the mocked service without a handler are errors; anything else (e.g. a test that
  // points a client at a closed port on purpose) goes to the real network.
  beforeAll(() =>
    server.listen({
      onUnhandledFrame: ({ frame, defaults }) => {
        const url = (frame.data as { request?: Request })?.request?.url;
        if (url && new URL(url).origin === origin) defaults.error();
      },
    }),
  );
  afterEach(() => {
    server.resetHandlers();
    const seen = violations.splice(0);
    requests.splice(0);
    expect(seen, `contract violations against specs/${specName}.yaml`).toEqual([]);
  });
  afterAll(() => {
    server.close();
    const all = spec.operationIds();
    const excluded = new Set(options.excluded ?? []);
    const missing = all.filter((id) => !covered.has(id) && !excluded.has(id));
    console.log(
      `contract coverage ${specName}: ${all.length - missing.length}/${all.length} operations` +
        (missing.length ? ` (missing: ${missing.join(', ')})` : ''),
    );
    if (options.requireFullCoverage)
      expect(missing, `operations of specs/${specName}.yaml not exercised`).toEqual([]);
  });

  return {
    use: (...h) => server.use(...h),
    violations,
    covered,
    requests,
  };
}

/**
 * The live side of the contract: openapi-fetch middleware that validates each request a client
 * sends to a real server and each answer it gets against the same spec. Pass `middleware` in the
 * client options; assert `violations` is empty at the end of the test.
 */
export function liveContract(
  specName: string,
  baseUrl: string,
): { middleware: Middleware; violations: string[]; covered: Set<string> } {
  const spec = specValidator(specName);
  const basePath = new URL(baseUrl).pathname.replace(/\/+$/, '');
  const violations: string[] = [];
  const covered = new Set<string>();
  const pathOf = (url: string) => {
    const p = new URL(url).pathname;
    return p.startsWith(basePath) ? p.slice(basePath.length) || '/' : p;
  };
  const middleware: Middleware = {
    async onRequest({ request }) {
      const m = spec.match(request.method, pathOf(request.url));
      if (!m) {
        violations.push(`${request.method} ${pathOf(request.url)}: no operation in specs/${specName}.yaml`);
        return undefined;
      }
      covered.add(m.operationId);
      const body = request.body ? await readJson(request.clone()) : undefined;
      violations.push(...spec.validateRequest(m, body, request.headers.get('content-type')));
      return undefined;
    },
    async onResponse({ request, response }) {
      const m = spec.match(request.method, pathOf(request.url));
      if (!m) return undefined;
      const body = request.method === 'HEAD' ? undefined : await readJson(response.clone());
      violations.push(
        ...spec.validateResponse(m, response.status, body, response.headers.get('content-type')),
      );
      return undefined;
    },
  };
  return { middleware, violations, covered };
}
