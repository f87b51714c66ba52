import { createServer } from 'node:net';
import { HttpResponse, http } from 'msw';
import { describe, expect, it } from 'vitest';
import {
  AlertmanagerError,
  type AlertmanagerStatus,
  createAlertmanagerClient,
  type GettableAlert,
  type GettableSilence,
} from '../../src/alertmanager/index.js';
import { LakekitError } from '../../src/http/index.js';
import { contractServer } from '../support/contract.js';

const ROOT = 'http://alertmanager.test';
const BASE = `${ROOT}/api/v2`;
const mock = contractServer('alertmanager', BASE, { requireFullCoverage: true });
const client = () => createAlertmanagerClient({ baseUrl: ROOT, retry: { random: () => 0, baseDelayMs: 1 } });

const SILENCE_ID = '0b8d6e3a-5f1c-4f7e-9a64-2d1c7b3e9f10';
const T0 = '2026-11-25T10:00:00.000Z';

const status: AlertmanagerStatus = {
  cluster: { status: 'disabled', peers: [] },
  versionInfo: {
    version: '0.31.1',
    revision: 'unknown',
    branch: 'unknown',
    buildUser: 'unknown',
    buildDate: 'unknown',
    goVersion: 'go1.26.8',
  },
  config: { original: 'route:\n  receiver: default\n' },
  uptime: T0,
};

const alert = (alertname: string, state: 'active' | 'suppressed' = 'active'): GettableAlert => ({
  labels: { alertname, severity: 'warning' },
  annotations: { summary: 'disk almost full' },
  receivers: [{ name: 'warning' }],
  fingerprint: 'd240efc3896bf266',
  startsAt: T0,
  updatedAt: T0,
  endsAt: '2026-11-25T10:05:00.000Z',
  generatorURL: 'urn:lakekit',
  status: { state, silencedBy: [], inhibitedBy: [], mutedBy: [] },
});

const silence = (state: 'active' | 'expired' | 'pending', id = SILENCE_ID): GettableSilence => ({
  id,
  status: { state },
  updatedAt: T0,
  matchers: [{ name: 'alertname', value: 'DiskFull', isRegex: false, isEqual: true }],
  startsAt: T0,
  endsAt: '2026-11-25T11:00:00.000Z',
  createdBy: 'lakekit-test',
  comment: 'maintenance',
});

async function rejection(p: Promise<unknown>): Promise<AlertmanagerError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(AlertmanagerError);
  return e as AlertmanagerError;
}

describe('AlertmanagerClient against the v2 contract', () => {
  it('reads status and receivers, appending /api/v2 to the root URL once', async () => {
    mock.use(
      http.get(`${BASE}/status`, () => HttpResponse.json(status)),
      http.get(`${BASE}/receivers`, () =>
        HttpResponse.json([{ name: 'default' }, { name: 'critical' }, { name: 'warning' }]),
      ),
    );
    expect((await client().getStatus()).versionInfo.version).toBe('0.31.1');
    const withSuffix = createAlertmanagerClient({ baseUrl: `${BASE}/` });
    expect(withSuffix.baseUrl).toBe(BASE);
    expect((await withSuffix.listReceivers()).map((r) => r.name)).toEqual(['default', 'critical', 'warning']);
    expect(mock.requests.map((r) => r.path)).toEqual(['/status', '/receivers']);
  });

  it('lists alerts with repeated filter matchers (objects and strings), receiver regex and state flags', async () => {
    let query: URLSearchParams | undefined;
    mock.use(
      http.get(`${BASE}/alerts`, ({ request }) => {
        query = new URL(request.url).searchParams;
        return HttpResponse.json([alert('DiskFull')]);
      }),
    );
    const alerts = await client().listAlerts({
      filter: [
        { name: 'alertname', value: 'Disk"Full' },
        { name: 'severity', value: 'crit.*|warn.*', isRegex: true, isEqual: false },
        'team = "data"',
        { name: 'my.label', value: 'x' },
      ],
      receiver: /^warn/,
      silenced: false,
      inhibited: false,
      active: true,
      unprocessed: false,
    });
    expect(alerts[0]?.labels.alertname).toBe('DiskFull');
    expect(query?.getAll('filter')).toEqual([
      'alertname="Disk\\"Full"',
      'severity!~"crit.*|warn.*"',
      'team="data"',
      '"my.label"="x"',
    ]);
    expect(query?.get('receiver')).toBe('^warn');
    expect(query?.get('silenced')).toBe('false');
    expect(query?.get('inhibited')).toBe('false');
    expect(query?.get('active')).toBe('true');
    expect(query?.get('unprocessed')).toBe('false');
  });

  it('lists alert groups with the muted flag', async () => {
    let query: URLSearchParams | undefined;
    mock.use(
      http.get(`${BASE}/alerts/groups`, ({ request }) => {
        query = new URL(request.url).searchParams;
        return HttpResponse.json([
          {
            labels: { alertname: 'DiskFull', severity: 'warning' },
            receiver: { name: 'warning' },
            alerts: [alert('DiskFull')],
          },
        ]);
      }),
    );
    const groups = await client().listAlertGroups({ filter: 'alertname="DiskFull"', muted: false });
    expect(groups[0]?.receiver.name).toBe('warning');
    expect(query?.getAll('filter')).toEqual(['alertname="DiskFull"']);
    expect(query?.get('muted')).toBe('false');
  });

  it('posts alerts with startsAt now and the default generatorURL, keeping given fields', async () => {
    mock.use(http.post(`${BASE}/alerts`, () => new HttpResponse(null, { status: 200 })));
    const before = Date.now();
    await createAlertmanagerClient({ baseUrl: ROOT, generatorURL: 'http://lakekit.test/run/7' }).postAlerts([
      { labels: { alertname: 'A', severity: 'warning' }, annotations: { summary: 's' } },
      { labels: { alertname: 'B' }, startsAt: T0, generatorURL: 'http://prom.test/graph' },
    ]);
    const body = mock.requests[0]?.body as { startsAt: string; generatorURL: string; annotations?: object }[];
    expect(body).toHaveLength(2);
    const started = Date.parse(body[0]?.startsAt ?? '');
    expect(started).toBeGreaterThanOrEqual(before);
    expect(started).toBeLessThanOrEqual(Date.now());
    expect(body[0]?.generatorURL).toBe('http://lakekit.test/run/7');
    expect(body[0]?.annotations).toEqual({ summary: 's' });
    expect(body[1]?.startsAt).toBe(T0);
    expect(body[1]?.generatorURL).toBe('http://prom.test/graph');
    expect(body[0]).not.toHaveProperty('endsAt');
  });

  it('resolves an alert by re-posting its labels with endsAt in the past', async () => {
    mock.use(http.post(`${BASE}/alerts`, () => new HttpResponse(null, { status: 200 })));
    await client().resolveAlert({ alertname: 'A', severity: 'critical' });
    const [posted] = (mock.requests[0]?.body ?? []) as { labels: object; startsAt: string; endsAt: string }[];
    expect(posted?.labels).toEqual({ alertname: 'A', severity: 'critical' });
    expect(Date.parse(posted?.endsAt ?? '')).toBeLessThan(Date.now());
    expect(Date.parse(posted?.startsAt ?? '')).toBeLessThanOrEqual(Date.parse(posted?.endsAt ?? ''));
  });

  it('retries postAlerts on 503 because re-posting an alert is idempotent', async () => {
    let calls = 0;
    mock.use(
      http.post(`${BASE}/alerts`, () => {
        calls++;
        return calls === 1
          ? HttpResponse.json('busy', { status: 500 })
          : new HttpResponse(null, { status: 200 });
      }),
    );
    // 500 is not retriable: the error surfaces with the server's message.
    const e = await rejection(client().postAlerts([{ labels: { alertname: 'A' } }]));
    expect(e.status).toBe(500);
    expect(e.isServerError()).toBe(true);
    expect(e.message).toContain('busy');
    expect(calls).toBe(1);
    calls = 0;
    mock.use(
      http.post(`${BASE}/alerts`, () => {
        calls++;
        return calls < 3 ? new HttpResponse(null, { status: 503 }) : new HttpResponse(null, { status: 200 });
      }),
    );
    await client().postAlerts([{ labels: { alertname: 'A' } }]);
    expect(calls).toBe(3);
  });

  it('maps 400 string bodies and 422 validator bodies to AlertmanagerError', async () => {
    mock.use(
      http.post(`${BASE}/alerts`, () =>
        HttpResponse.json('at least one label pair required', { status: 400 }),
      ),
      http.get(`${BASE}/alerts`, () =>
        HttpResponse.json('error parsing regexp: missing closing ): `^(?:()$`', { status: 400 }),
      ),
      http.get(`${BASE}/alerts/groups`, () =>
        HttpResponse.json({ code: 601, message: 'active in query must be of type bool' }, { status: 422 }),
      ),
    );
    const bad = await rejection(client().postAlerts([{ labels: { alertname: 'A' } }]));
    expect(bad).toBeInstanceOf(LakekitError);
    expect(bad.status).toBe(400);
    expect(bad.isBadRequest()).toBe(true);
    expect(bad.kind).toBe('http');
    expect(bad.message).toContain('at least one label pair required');
    expect(bad.path).toBe('/api/v2/alerts');
    const regex = await rejection(client().listAlerts());
    expect(regex.message).toContain('error parsing regexp');
    const unprocessable = await rejection(client().listAlertGroups());
    expect(unprocessable.status).toBe(422);
    expect(unprocessable.code).toBe(601);
    expect(unprocessable.isBadRequest()).toBe(true);
  });

  it('lists silences by filter and narrows them by state on the client', async () => {
    let query: URLSearchParams | undefined;
    mock.use(
      http.get(`${BASE}/silences`, ({ request }) => {
        query = new URL(request.url).searchParams;
        return HttpResponse.json([
          silence('active'),
          silence('expired', '1c2d3e4f-0000-4000-8000-000000000001'),
          silence('pending', '1c2d3e4f-0000-4000-8000-000000000002'),
        ]);
      }),
    );
    const c = client();
    expect(await c.listSilences()).toHaveLength(3);
    const live = await c.listSilences({
      filter: { name: 'alertname', value: 'DiskFull' },
      state: ['active', 'pending'],
    });
    expect(live.map((s) => s.status.state)).toEqual(['active', 'pending']);
    expect(query?.getAll('filter')).toEqual(['alertname="DiskFull"']);
  });

  it('gets a silence, and a missing one is isSilenceNotFound', async () => {
    mock.use(
      http.get(`${BASE}/silence/:id`, ({ params }) =>
        params.id === SILENCE_ID
          ? HttpResponse.json(silence('active'))
          : new HttpResponse(null, { status: 404 }),
      ),
    );
    const c = client();
    expect((await c.getSilence(SILENCE_ID)).status.state).toBe('active');
    const e = await rejection(c.getSilence('0b8d6e3a-5f1c-4f7e-9a64-2d1c7b3e9f11'));
    expect(e.status).toBe(404);
    expect(e.isNotFound()).toBe(true);
    expect(e.isSilenceNotFound()).toBe(true);
  });

  it('creates a silence from a duration, sending explicit matcher flags, and returns its id', async () => {
    mock.use(http.post(`${BASE}/silences`, () => HttpResponse.json({ silenceID: SILENCE_ID })));
    const id = await client().createSilence({
      matchers: [{ name: 'alertname', value: 'DiskFull' }, 'severity=~"warn|crit"'],
      duration: '1h30m',
      createdBy: 'lakekit-test',
      comment: 'maintenance window',
    });
    expect(id).toBe(SILENCE_ID);
    const body = mock.requests[0]?.body as {
      matchers: unknown;
      startsAt: string;
      endsAt: string;
      id?: string;
    };
    expect(body.matchers).toEqual([
      { name: 'alertname', value: 'DiskFull', isRegex: false, isEqual: true },
      { name: 'severity', value: 'warn|crit', isRegex: true, isEqual: true },
    ]);
    expect(Date.parse(body.endsAt) - Date.parse(body.startsAt)).toBe(90 * 60_000);
    expect(body).not.toHaveProperty('id');
  });

  it('updates a silence by id; an unknown id is isSilenceNotFound', async () => {
    mock.use(http.post(`${BASE}/silences`, () => HttpResponse.json('silence not found', { status: 404 })));
    const startsAt = new Date(Date.now() + 60_000);
    const e = await rejection(
      client().createSilence({
        id: SILENCE_ID,
        matchers: ['alertname="DiskFull"'],
        startsAt,
        endsAt: new Date(startsAt.getTime() + 60_000),
        createdBy: 'lakekit-test',
        comment: '',
      }),
    );
    expect(e.isSilenceNotFound()).toBe(true);
    expect(e.message).toContain('silence not found');
    expect((mock.requests[0]?.body as { id?: string } | undefined)?.id).toBe(SILENCE_ID);
    // Creating is not idempotent, so a failed create is never re-sent.
    expect(mock.requests).toHaveLength(1);
  });

  it('expires a silence; an unknown one is isSilenceNotFound', async () => {
    mock.use(
      http.delete(`${BASE}/silence/:id`, ({ params }) =>
        params.id === SILENCE_ID
          ? new HttpResponse(null, { status: 200 })
          : new HttpResponse(null, { status: 404 }),
      ),
    );
    const c = client();
    await expect(c.expireSilence(SILENCE_ID)).resolves.toBeUndefined();
    const e = await rejection(c.expireSilence('0b8d6e3a-5f1c-4f7e-9a64-2d1c7b3e9f11'));
    expect(e.isSilenceNotFound()).toBe(true);
    expect(e.method).toBe('DELETE');
  });

  describe('rejects bad input before sending, naming the field', () => {
    const future = () => new Date(Date.now() + 3_600_000);
    const cases: [string, (c: ReturnType<typeof client>) => Promise<unknown>, string][] = [
      [
        'empty matchers',
        (c) => c.createSilence({ matchers: [], duration: 60_000, createdBy: 'me', comment: '' }),
        'matchers',
      ],
      [
        'an invalid regex',
        (c) =>
          c.createSilence({
            matchers: [
              { name: 'alertname', value: 'x' },
              { name: 'job', value: '(unclosed', isRegex: true },
            ],
            duration: 60_000,
            createdBy: 'me',
            comment: '',
          }),
        'matchers[1].value',
      ],
      [
        'a lookahead RE2 does not support',
        (c) =>
          c.createSilence({
            matchers: [{ name: 'job', value: 'a(?=b)', isRegex: true }],
            duration: 60_000,
            createdBy: 'me',
            comment: '',
          }),
        'matchers[0].value',
      ],
      [
        'an unparsable matcher string',
        (c) => c.createSilence({ matchers: ['alertname'], duration: 60_000, createdBy: 'me', comment: '' }),
        'matchers[0]',
      ],
      [
        'a matcher with an empty name',
        (c) =>
          c.createSilence({
            matchers: [{ name: '', value: 'x' }],
            duration: 60_000,
            createdBy: 'me',
            comment: '',
          }),
        'matchers[0].name',
      ],
      [
        'matchers that all match the empty string',
        (c) =>
          c.createSilence({
            matchers: [{ name: 'job', value: '.*', isRegex: true }],
            duration: 60_000,
            createdBy: 'me',
            comment: '',
          }),
        'matchers',
      ],
      [
        'an end before the start',
        (c) =>
          c.createSilence({
            matchers: ['alertname="A"'],
            startsAt: future(),
            endsAt: new Date(Date.now() + 60_000),
            createdBy: 'me',
            comment: '',
          }),
        'endsAt',
      ],
      [
        'an end in the past',
        (c) =>
          c.createSilence({
            matchers: ['alertname="A"'],
            startsAt: '2020-01-01T00:00:00Z',
            endsAt: '2020-01-01T01:00:00Z',
            createdBy: 'me',
            comment: '',
          }),
        'endsAt',
      ],
      [
        'both duration and endsAt',
        (c) =>
          c.createSilence({
            matchers: ['alertname="A"'],
            duration: 1000,
            endsAt: future(),
            createdBy: 'me',
            comment: '',
          }),
        'duration',
      ],
      [
        'a malformed duration',
        (c) =>
          c.createSilence({ matchers: ['alertname="A"'], duration: '1 hour', createdBy: 'me', comment: '' }),
        'duration',
      ],
      [
        'no createdBy',
        (c) => c.createSilence({ matchers: ['alertname="A"'], duration: 1000, createdBy: ' ', comment: '' }),
        'createdBy',
      ],
      ['a bad filter string', (c) => c.listAlerts({ filter: ['alertname=~"ok"', 'what?'] }), 'filter[1]'],
      [
        'a bad filter regex',
        (c) => c.listSilences({ filter: { name: 'a', value: '[', isRegex: true } }),
        'filter[0].value',
      ],
      ['a bad receiver regex', (c) => c.listAlertGroups({ receiver: '(' }), 'receiver'],
      ['a silence id that is not a UUID', (c) => c.expireSilence('../status'), 'id'],
      [
        'an alert without labels',
        (c) => c.postAlerts([{ labels: { alertname: 'A' } }, { labels: {} }]),
        'alerts[1].labels',
      ],
      [
        'an alert ending before it starts',
        (c) =>
          c.postAlerts([
            { labels: { alertname: 'A' }, startsAt: '2026-01-02T00:00:00Z', endsAt: '2026-01-01T00:00:00Z' },
          ]),
        'alerts[0].endsAt',
      ],
      ['no alerts', (c) => c.postAlerts([]), 'alerts'],
    ];
    for (const [what, call, field] of cases) {
      it(`${what} → validation error on ${field}`, async () => {
        const e = await rejection(call(client()));
        expect(e.kind).toBe('validation');
        expect(e.isBadRequest()).toBe(true);
        expect(e.field).toBe(field);
        expect(e.message).toContain(field.replace(/\[.*$/, ''));
        expect(mock.requests).toEqual([]);
      });
    }
  });

  it('reports an unreachable server as a network error without leaking credentials', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => resolve(p));
      });
    });
    const c = createAlertmanagerClient({
      baseUrl: `http://127.0.0.1:${port}`,
      auth: { type: 'basic', username: 'ops', password: 's3cret-pass' },
      retry: false,
    });
    const e = await rejection(c.getStatus());
    expect(e.kind).toBe('network');
    expect(e.isNetworkError()).toBe(true);
    expect(e.retriable).toBe(true);
    expect(e.message).toContain(`127.0.0.1:${port}`);
    expect(JSON.stringify(e.toJSON())).not.toContain('s3cret-pass');
    expect(e.message).not.toContain('s3cret-pass');
  });
});
