// Runs the README's Alertmanager example parts that need no server; the other examples are
// type-checked in readme-examples.ts.
import { describe, expect, it } from 'vitest';
import { createAlertmanagerClient, startWebhookSink } from '../../src/alertmanager/index.js';

describe('README examples', () => {
  it('the Alertmanager example runs against a sink (no server needed for the sink part)', async () => {
    const sink = await startWebhookSink({ port: 0 });
    const am = createAlertmanagerClient({ baseUrl: 'http://127.0.0.1:1', retry: false });
    await expect(
      am.postAlerts([{ labels: { alertname: 'LagHigh', severity: 'warning' } }]),
    ).rejects.toMatchObject({
      kind: 'network',
    });
    await fetch(`${sink.url}/hook/warning`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        version: '4',
        groupKey: 'g',
        truncatedAlerts: 0,
        status: 'firing',
        receiver: 'warning',
        groupLabels: {},
        commonLabels: { alertname: 'LagHigh' },
        commonAnnotations: {},
        externalURL: 'http://am',
        alerts: [
          {
            status: 'firing',
            labels: { alertname: 'LagHigh', severity: 'warning' },
            annotations: {},
            startsAt: new Date().toISOString(),
            endsAt: '0001-01-01T00:00:00Z',
            generatorURL: 'urn:x',
            fingerprint: 'f',
          },
        ],
      }),
    });
    const n = await sink.waitForNotification({ receiver: 'warning', alertname: 'LagHigh', timeout: 5_000 });
    expect(n.receiver).toBe('warning');
    await sink.close();
  });
});
