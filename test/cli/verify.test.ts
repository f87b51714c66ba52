import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyService } from '../../src/cli/verify.js';

const BASE = 'http://am.verify.test';
const server = setupServer(
  http.get(`${BASE}/api/v2/status`, () =>
    HttpResponse.json({
      cluster: { status: 'disabled', peers: [] },
      versionInfo: {
        version: '0.31.1',
        revision: 'x',
        branch: 'HEAD',
        buildUser: 'u',
        buildDate: 'd',
        goVersion: 'go',
      },
      config: { original: 'route: {}' },
      uptime: '2026-11-25T12:00:00.000Z',
    }),
  ),
  http.get(`${BASE}/api/v2/receivers`, () => HttpResponse.json([{ name: 'default', surprise: true }])),
  http.get(`${BASE}/api/v2/alerts`, () => HttpResponse.json([{ labels: 'not-an-object' }])),
  http.get(`${BASE}/api/v2/alerts/groups`, () => new HttpResponse(null, { status: 404 })),
  http.get(`${BASE}/api/v2/silences`, () => HttpResponse.json([])),
);
beforeAll(() => server.listen());
afterAll(() => server.close());

describe('lakekit verify', () => {
  it('validates each safe operation and reports extra fields, invalid bodies, unsupported and skipped endpoints', async () => {
    const report = await verifyService('alertmanager', { baseUrl: BASE });
    const by = Object.fromEntries(report.operations.map((o) => [o.operationId, o]));
    expect(report.url).toBe(`${BASE}/api/v2`);
    expect(by.getStatus).toMatchObject({ outcome: 'valid', status: 200, extraFields: [] });
    expect(by.getReceivers).toMatchObject({ outcome: 'valid', extraFields: ['/0/surprise'] });
    expect(by.getAlerts?.outcome).toBe('invalid');
    expect(by.getAlertGroups).toMatchObject({ outcome: 'unsupported', status: 404 });
    expect(by.getSilence).toMatchObject({ outcome: 'skipped' });
    expect(by.getSilences).toMatchObject({ outcome: 'valid' });
    expect(report.ok).toBe(false);
    expect(report.operations.map((o) => o.operationId).sort()).toEqual(
      ['getAlertGroups', 'getAlerts', 'getReceivers', 'getSilence', 'getSilences', 'getStatus'].sort(),
    );
  });

  it('reports an unreachable server per operation instead of crashing', async () => {
    const report = await verifyService('alertmanager', {
      baseUrl: 'http://127.0.0.1:1',
      retry: false,
      timeoutMs: 2000,
    });
    expect(report.ok).toBe(false);
    expect(report.unreachable).toBe(true);
    const status = report.operations.find((o) => o.operationId === 'getStatus');
    expect(status).toMatchObject({ outcome: 'error', network: true });
    expect(status?.outcome === 'error' && status.message).toContain(
      'http://127.0.0.1:1/api/v2/status could not be reached',
    );
  });
});

describe('lakekit verify against the wrong server', () => {
  it('fails when nothing validated (every endpoint 404)', async () => {
    server.use(http.get(`${BASE}/wrong/*`, () => new HttpResponse(null, { status: 404 })));
    const report = await verifyService('alertmanager', { baseUrl: `${BASE}/wrong`, retry: false });
    expect(report.operations.every((o) => o.outcome === 'unsupported' || o.outcome === 'skipped')).toBe(true);
    expect(report.ok).toBe(false);
  });
});
