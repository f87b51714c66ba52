import { HttpResponse, http } from 'msw';
import { describe, expect, it } from 'vitest';
import {
  createHttpCore,
  type HttpClientOptions,
  LakekitError,
  type ServiceProfile,
} from '../../src/http/index.js';
import type { paths } from '../fixtures/http/pets.js';
import { contractServer } from '../support/contract.js';

const BASE = 'http://pets.test/api';
const mock = contractServer('test/fixtures/http/pets.yaml', BASE, { requireFullCoverage: true });

class PetError extends LakekitError {
  override name = 'PetError';
}
const profile: ServiceProfile = {
  name: 'pets',
  createError: (init) => new PetError(init),
  parseErrorBody: (b) => {
    const body = b as { message?: string; error_code?: number } | undefined;
    return {
      ...(body?.message ? { message: body.message } : {}),
      ...(body?.error_code ? { code: body.error_code } : {}),
    };
  },
};
const core = (o: Partial<HttpClientOptions> = {}) =>
  createHttpCore<paths>({ baseUrl: BASE, retry: { random: () => 0, baseDelayMs: 1 }, ...o }, profile);

describe('HTTP core', () => {
  it('returns typed data on success and validates both sides against the spec', async () => {
    mock.use(http.get(`${BASE}/pets`, () => HttpResponse.json([{ id: 1, name: 'rex', born: '2020-01-02' }])));
    const { data } = await core().api.GET('/pets');
    expect(data).toEqual([{ id: 1, name: 'rex', born: '2020-01-02' }]);
  });

  it('maps an error body to the service error with status, code and redacted path', async () => {
    mock.use(
      http.get(`${BASE}/pets/:id`, () =>
        HttpResponse.json({ error_code: 40401, message: 'no pet 7' }, { status: 404 }),
      ),
    );
    const err = await core()
      .api.GET('/pets/{id}', { params: { path: { id: 7 } } })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PetError);
    expect(err).toBeInstanceOf(LakekitError);
    const e = err as PetError;
    expect(e.status).toBe(404);
    expect(e.code).toBe(40401);
    expect(e.isNotFound()).toBe(true);
    expect(e.retriable).toBe(false);
    expect(e.method).toBe('GET');
    expect(e.path).toBe('/api/pets/7');
    expect(e.message).toContain('no pet 7');
    expect(e.attempts).toBe(1);
  });

  it('retries 503 storms for GET, then succeeds', async () => {
    let calls = 0;
    mock.use(
      http.get(`${BASE}/pets`, () => {
        calls++;
        return calls < 3
          ? HttpResponse.json({ error_code: 50301, message: 'busy' }, { status: 503 })
          : HttpResponse.json([]);
      }),
    );
    const retries: number[] = [];
    const c = core({
      retry: { random: () => 0, baseDelayMs: 1, onRetry: (i) => retries.push(i.status ?? 0) },
    });
    const { data } = await c.api.GET('/pets');
    expect(data).toEqual([]);
    expect(calls).toBe(3);
    expect(retries).toEqual([503, 503]);
  });

  it('honours Retry-After on 429, even for POST', async () => {
    let calls = 0;
    const at: number[] = [];
    mock.use(
      http.post(`${BASE}/pets`, () => {
        at.push(Date.now());
        calls++;
        return calls === 1
          ? HttpResponse.json(
              { error_code: 42901, message: 'slow down' },
              { status: 429, headers: { 'retry-after': '1' } },
            )
          : HttpResponse.json({ id: 2, name: 'tom' }, { status: 201 });
      }),
    );
    const { data } = await core().api.POST('/pets', { body: { id: 2, name: 'tom' } });
    expect(data?.name).toBe('tom');
    expect(calls).toBe(2);
    expect((at[1] ?? 0) - (at[0] ?? 0)).toBeGreaterThanOrEqual(900);
  });

  it('never retries a POST on 503 unless marked safe', async () => {
    let calls = 0;
    mock.use(
      http.post(`${BASE}/pets`, () => {
        calls++;
        return HttpResponse.json({ error_code: 50301, message: 'busy' }, { status: 503 });
      }),
    );
    const c = core();
    await expect(c.api.POST('/pets', { body: { id: 3, name: 'a' } })).rejects.toMatchObject({
      status: 503,
      attempts: 1,
    });
    expect(calls).toBe(1);
    calls = 0;
    await expect(
      c.api.POST('/pets', { body: { id: 3, name: 'a' }, fetch: c.call({ retrySafe: true }) }),
    ).rejects.toMatchObject({ status: 503, attempts: 4, retriable: true });
    expect(calls).toBe(4);
  });

  it('gives up when the budget is exhausted', async () => {
    let calls = 0;
    mock.use(
      http.get(`${BASE}/pets`, () => {
        calls++;
        return HttpResponse.json(
          { error_code: 50401, message: 'gw' },
          { status: 504, headers: { 'retry-after': '5' } },
        );
      }),
    );
    const c = core({ retry: { maxAttempts: 10, budgetMs: 100, maxDelayMs: 10_000 } });
    const e = (await c.api.GET('/pets').catch((x: unknown) => x)) as LakekitError;
    expect(e.status).toBe(504);
    expect(calls).toBe(1);
  });

  it('times out a slow answer with kind timeout, and honours the caller AbortSignal', async () => {
    // The answer comes only after 3 s (or when the client gives up), far beyond both deadlines
    // below, so that a loaded machine cannot turn this into a race.
    mock.use(
      http.get(`${BASE}/pets`, async ({ request }) => {
        await new Promise((r) => {
          const t = setTimeout(r, 3000);
          request.signal.addEventListener('abort', () => {
            clearTimeout(t);
            r(undefined);
          });
        });
        return HttpResponse.json([]);
      }),
    );
    const c = core({ timeoutMs: 50, retry: false });
    const e = (await c.api.GET('/pets').catch((x: unknown) => x)) as LakekitError;
    expect(e.kind).toBe('timeout');
    expect(e.isTimeout()).toBe(true);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 20);
    const a = (await core({ timeoutMs: 5000 })
      .api.GET('/pets', { signal: ac.signal })
      .catch((x: unknown) => x)) as LakekitError;
    expect(a.kind).toBe('aborted');
    expect(a.isAborted()).toBe(true);
  });

  it('redacts secrets from the path and from server messages', async () => {
    mock.use(
      http.get(`${BASE}/pets`, () =>
        HttpResponse.json({ error_code: 40001, message: 'bad token s3cr3t-value for user' }, { status: 400 }),
      ),
    );
    const c = core({ auth: { type: 'bearer', token: 's3cr3t-value' } });
    const e = (await c.api
      .GET('/pets', { params: { query: { token: 'hunter22' } } })
      .catch((x: unknown) => x)) as LakekitError;
    expect(e.path).toBe('/api/pets?token=***');
    expect(e.message).not.toContain('s3cr3t-value');
    expect(e.message).not.toContain('hunter22');
    expect(JSON.stringify(e.body)).not.toContain('s3cr3t-value');
    expect(mock.requests[0]?.headers.get('authorization')).toBe('Bearer s3cr3t-value');
  });

  it('fetches an OAuth2 token once, shares it, and refreshes on 401', async () => {
    let tokens = 0;
    const seen: string[] = [];
    mock.use(
      http.post('http://auth.test/token', async ({ request }) => {
        const form = new URLSearchParams(await request.text());
        expect(form.get('grant_type')).toBe('client_credentials');
        expect(form.get('client_id')).toBe('cid');
        tokens++;
        return HttpResponse.json({ access_token: `tok${tokens}`, token_type: 'bearer', expires_in: 3600 });
      }),
      http.get(`${BASE}/pets`, ({ request }) => {
        const auth = request.headers.get('authorization') ?? '';
        seen.push(auth);
        if (auth === 'Bearer tok1' && seen.length > 2) {
          return HttpResponse.json({ error_code: 40101, message: 'expired' }, { status: 401 });
        }
        return HttpResponse.json([]);
      }),
    );
    const c = core({
      auth: {
        type: 'oauth2-client-credentials',
        tokenUrl: 'http://auth.test/token',
        clientId: 'cid',
        clientSecret: 'csecret',
      },
    });
    await Promise.all([c.api.GET('/pets'), c.api.GET('/pets')]);
    expect(tokens).toBe(1);
    await c.api.GET('/pets');
    expect(tokens).toBe(2);
    expect(seen).toEqual(['Bearer tok1', 'Bearer tok1', 'Bearer tok1', 'Bearer tok2']);
  });

  it('reports an unreachable server as a network error naming the URL', async () => {
    const c = createHttpCore<paths>(
      { baseUrl: 'http://127.0.0.1:1', retry: { maxAttempts: 2, baseDelayMs: 1 } },
      profile,
    );
    const e = (await c.api.GET('/pets').catch((x: unknown) => x)) as LakekitError;
    expect(e.kind).toBe('network');
    expect(e.isNetworkError()).toBe(true);
    expect(e.attempts).toBe(2);
    expect(e.message).toContain('127.0.0.1:1');
  });

  it('rejects a base URL that is not absolute http(s)', () => {
    expect(() => createHttpCore<paths>({ baseUrl: 'localhost:8080' }, profile)).toThrow(/absolute http/);
  });

  it('flags a mock body that breaks the contract', async () => {
    mock.use(http.get(`${BASE}/pets/:id`, () => HttpResponse.json({ id: 'not-a-number' })));
    await core().api.GET('/pets/{id}', { params: { path: { id: 1 } } });
    await new Promise((r) => setTimeout(r, 10));
    expect(mock.violations.join('\n')).toMatch(/getPet 200: \/id must be integer/);
    expect(mock.violations.join('\n')).toMatch(/must have required property 'name'/);
    mock.violations.splice(0);
  });
});

describe('HTTP core protocol errors', () => {
  it('turns a 2xx body that is not JSON into a protocol error of the service', async () => {
    mock.use(
      http.get(
        `${BASE}/pets`,
        () => new HttpResponse('<html>console</html>', { headers: { 'content-type': 'application/json' } }),
      ),
    );
    const e = (await core()
      .api.GET('/pets')
      .catch((x: unknown) => x)) as LakekitError;
    expect(e).toBeInstanceOf(PetError);
    expect(e.kind).toBe('protocol');
    expect(e.message).toMatch(/GET \/pets answered with a body that is not valid JSON/);
    mock.violations.splice(0);
  });
});

describe('HTTP core hardening', () => {
  it('moves credentials in the base URL into basic auth and never prints them', async () => {
    mock.use(
      http.get('http://pets.test/api/pets', () =>
        HttpResponse.json({ error_code: 40001, message: 'no' }, { status: 400 }),
      ),
    );
    const c = createHttpCore<paths>(
      { baseUrl: 'http://ops:Sup3rSecretPw@pets.test/api', retry: false },
      profile,
    );
    expect(c.baseUrl).toBe('http://pets.test/api');
    const e = (await c.api.GET('/pets').catch((x: unknown) => x)) as LakekitError;
    expect(mock.requests[0]?.headers.get('authorization')).toBe(
      `Basic ${Buffer.from('ops:Sup3rSecretPw').toString('base64')}`,
    );
    expect(JSON.stringify(e.toJSON()) + e.message).not.toContain('Sup3rSecretPw');
    expect(() =>
      createHttpCore<paths>(
        { baseUrl: 'http://a:b@pets.test', auth: { type: 'bearer', token: 't0ken' } },
        profile,
      ),
    ).toThrow(/carries credentials and auth is set too/);
  });

  it('reports a body that stalls past the timeout as a typed timeout', async () => {
    // A real server (not msw) so that the stalled body is a real socket.
    const { createServer } = await import('node:http');
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('[{"id":1,');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      const c = createHttpCore<paths>(
        { baseUrl: `http://127.0.0.1:${port}`, timeoutMs: 150, retry: false },
        profile,
      );
      const e = (await c.api.GET('/pets').catch((x: unknown) => x)) as LakekitError;
      expect(e).toBeInstanceOf(PetError);
      expect(e.kind).toBe('timeout');
      expect(e.message).toMatch(/timed out while reading the answer/);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  it('times out a hung token endpoint and lets each caller stop waiting on its own signal', async () => {
    mock.use(
      http.post('http://auth.test/slow', async () => {
        await new Promise((r) => setTimeout(r, 400));
        return HttpResponse.json({ access_token: 'late', expires_in: 3600 });
      }),
      http.get(`${BASE}/pets`, () => HttpResponse.json([])),
    );
    const oauth = {
      type: 'oauth2-client-credentials',
      tokenUrl: 'http://auth.test/slow',
      clientId: 'c',
      clientSecret: 'csecret',
    } as const;
    const timed = (await core({ timeoutMs: 100, auth: oauth, retry: false })
      .api.GET('/pets')
      .catch((x: unknown) => x)) as LakekitError;
    expect(timed.kind).toBe('timeout');
    expect(timed.message).toMatch(/token request .* timed out after 100 ms/);

    const shared = core({ timeoutMs: 5000, auth: oauth });
    const ac = new AbortController();
    const a = shared.api.GET('/pets', { signal: ac.signal }).catch((x: unknown) => x);
    const b = shared.api.GET('/pets');
    setTimeout(() => ac.abort(), 50);
    expect(((await a) as LakekitError).kind).toBe('aborted');
    expect((await b).data).toEqual([]);
  });
});

describe('HTTP core DELETE retries', () => {
  it('treats 404 on a repeated DELETE as the success of the first attempt', async () => {
    let calls = 0;
    mock.use(
      http.delete(`${BASE}/pets/:id`, () => {
        calls++;
        return calls === 1
          ? HttpResponse.json({ error_code: 50301, message: 'busy' }, { status: 503 })
          : HttpResponse.json({ error_code: 40401, message: 'gone' }, { status: 404 });
      }),
    );
    const r = await core().api.DELETE('/pets/{id}', { params: { path: { id: 9 } } });
    expect(r.response.status).toBe(204);
    expect(calls).toBe(2);
    // A first-attempt 404 is still an error.
    calls = 1;
    await expect(
      core({ retry: false }).api.DELETE('/pets/{id}', { params: { path: { id: 9 } } }),
    ).rejects.toMatchObject({
      status: 404,
    });
  });
});
