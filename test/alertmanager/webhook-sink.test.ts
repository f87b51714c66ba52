import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import {
  AlertmanagerError,
  startWebhookSink,
  type WebhookPayload,
  type WebhookSink,
} from '../../src/alertmanager/index.js';

const payload = (
  receiver: string,
  alertname: string,
  status: 'firing' | 'resolved' = 'firing',
): WebhookPayload => ({
  version: '4',
  groupKey: `{}/{severity="warning"}:{alertname="${alertname}"}`,
  truncatedAlerts: 0,
  status,
  receiver,
  groupLabels: { alertname },
  commonLabels: { alertname, severity: 'warning' },
  commonAnnotations: {},
  externalURL: 'http://am.test:9093',
  alerts: [
    {
      status,
      labels: { alertname, severity: 'warning' },
      annotations: { summary: 'disk' },
      startsAt: '2026-11-25T10:00:00Z',
      endsAt: status === 'resolved' ? '2026-11-25T10:01:00Z' : '0001-01-01T00:00:00Z',
      generatorURL: 'urn:lakekit',
      fingerprint: 'd240efc3896bf266',
    },
  ],
});

async function post(url: string, body: unknown, raw = false): Promise<{ status: number; text: string }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: raw ? String(body) : JSON.stringify(body),
  });
  return { status: res.status, text: await res.text() };
}

const sinks: WebhookSink[] = [];
async function sink(): Promise<WebhookSink> {
  const s = await startWebhookSink({ port: 0 });
  sinks.push(s);
  return s;
}
afterEach(async () => {
  await Promise.all(sinks.splice(0).map((s) => s.close()));
});

describe('webhook sink', () => {
  it('listens on an ephemeral loopback port and records payloads with their path', async () => {
    const s = await sink();
    expect(s.port).toBeGreaterThan(0);
    expect(s.url).toBe(`http://127.0.0.1:${s.port}`);
    expect(s.urlFor('critical')).toBe(`${s.url}/hook/critical`);
    expect((await post(s.urlFor('warning'), payload('warning', 'DiskFull'))).status).toBe(200);
    expect((await post(`${s.url}/any/other/path?x=1`, payload('default', 'Other'))).status).toBe(200);
    const all = s.notifications();
    expect(all.map((n) => [n.path, n.receiver])).toEqual([
      ['/hook/warning', 'warning'],
      ['/any/other/path', 'default'],
    ]);
    expect(all[0]?.alerts[0]?.labels.alertname).toBe('DiskFull');
    expect(all[0]?.receivedAt).toBeInstanceOf(Date);
  });

  it('filters by receiver, alertname, status, path and predicate', async () => {
    const s = await sink();
    await post(s.urlFor('warning'), payload('warning', 'A'));
    await post(s.urlFor('critical'), payload('critical', 'B'));
    await post(s.urlFor('warning'), payload('warning', 'A', 'resolved'));
    expect(s.notifications({ receiver: 'warning' })).toHaveLength(2);
    expect(s.notifications({ alertname: 'B' }).map((n) => n.receiver)).toEqual(['critical']);
    expect(s.notifications({ alertname: 'A', status: 'resolved' })).toHaveLength(1);
    expect(s.notifications({ path: '/hook/critical' })).toHaveLength(1);
    expect(s.notifications({ where: (n) => n.alerts.length > 1 })).toHaveLength(0);
    s.clear();
    expect(s.notifications()).toEqual([]);
  });

  it('waits for a matching notification, returning one already received at once', async () => {
    const s = await sink();
    await post(s.urlFor('warning'), payload('warning', 'Early'));
    const early = await s.waitForNotification({ alertname: 'Early', timeout: 50 });
    expect(early.receiver).toBe('warning');

    const waiting = s.waitForNotification({
      receiver: 'critical',
      alertname: 'Late',
      status: 'firing',
      timeout: 5000,
    });
    await post(s.urlFor('critical'), payload('critical', 'Other'));
    await post(s.urlFor('warning'), payload('warning', 'Late'));
    setTimeout(() => void post(s.urlFor('critical'), payload('critical', 'Late')), 30);
    const late = await waiting;
    expect(late.receiver).toBe('critical');
    expect(late.alerts[0]?.labels.alertname).toBe('Late');
  });

  it('times out with a wait-timeout error listing what did arrive, and honours abort', async () => {
    const s = await sink();
    await post(s.urlFor('warning'), payload('warning', 'Seen'));
    const started = Date.now();
    const e = await s.waitForNotification({ receiver: 'critical', timeout: 100 }).catch((x: unknown) => x);
    expect(Date.now() - started).toBeGreaterThanOrEqual(90);
    expect(e).toBeInstanceOf(AlertmanagerError);
    expect((e as AlertmanagerError).isWaitTimeout()).toBe(true);
    expect((e as AlertmanagerError).message).toContain('receiver="critical"');
    expect((e as AlertmanagerError).message).toContain('warning/firing/Seen');

    const ac = new AbortController();
    const aborted = s
      .waitForNotification({ alertname: 'Never', timeout: 5000, signal: ac.signal })
      .catch((x: unknown) => x);
    ac.abort();
    expect(((await aborted) as AlertmanagerError).isAborted()).toBe(true);
  });

  it('answers 400 to malformed JSON and to payloads missing required fields, and keeps running', async () => {
    const s = await sink();
    const broken = await post(s.urlFor('x'), '{"version": "4",', true);
    expect(broken.status).toBe(400);
    expect(broken.text).toContain('malformed JSON');
    const { receiver: _r, ...noReceiver } = payload('warning', 'A');
    const missing = await post(s.urlFor('x'), noReceiver);
    expect(missing.status).toBe(400);
    expect(missing.text).toContain('receiver');
    const badAlert = payload('warning', 'A');
    delete (badAlert.alerts[0] as Partial<WebhookPayload['alerts'][0]>).labels;
    const alertProblem = await post(s.urlFor('x'), badAlert);
    expect(alertProblem.status).toBe(400);
    expect(alertProblem.text).toContain('alerts[0].labels');
    expect((await post(s.urlFor('x'), [payload('warning', 'A')])).status).toBe(400);
    expect((await fetch(s.urlFor('x'))).status).toBe(405);
    expect(s.notifications()).toEqual([]);
    expect((await post(s.urlFor('warning'), payload('warning', 'Good'))).status).toBe(200);
    expect(s.notifications().map((n) => n.alerts[0]?.labels.alertname)).toEqual(['Good']);
  });

  it('rejects bodies over the size limit with 413', async () => {
    const s = await startWebhookSink({ maxBodyBytes: 1024 });
    sinks.push(s);
    const big = payload('warning', 'Big');
    big.commonAnnotations = { description: 'x'.repeat(4000) };
    expect((await post(s.urlFor('warning'), big)).status).toBe(413);
    expect((await post(s.urlFor('warning'), payload('warning', 'Small'))).status).toBe(200);
  });

  it('closes idempotently, drops keep-alive connections, fails pending waits and frees the port', async () => {
    const s = await startWebhookSink();
    // A keep-alive connection left open, as Alertmanager's HTTP client does.
    const { socketClosed } = await new Promise<{ socketClosed: Promise<void> }>((resolve, reject) => {
      const req = request(
        s.urlFor('warning'),
        { method: 'POST', headers: { 'content-type': 'application/json', connection: 'keep-alive' } },
        (res) => {
          res.resume();
          // Wrapped in an object: resolving with the promise itself would wait for the close.
          res.on('end', () =>
            resolve({ socketClosed: new Promise<void>((done) => req.socket?.once('close', () => done())) }),
          );
        },
      );
      req.on('error', reject);
      req.end(JSON.stringify(payload('warning', 'KeepAlive')));
    });
    expect(s.notifications({ alertname: 'KeepAlive' })).toHaveLength(1);
    const pending = s.waitForNotification({ alertname: 'Never', timeout: 60_000 }).catch((x: unknown) => x);
    const started = Date.now();
    await Promise.all([s.close(), s.close()]);
    await s.close();
    await socketClosed;
    // Far below the server keep-alive timeout (5 s): the connection was closed, not left to expire.
    expect(Date.now() - started).toBeLessThan(1000);
    const e = (await pending) as AlertmanagerError;
    expect(e).toBeInstanceOf(AlertmanagerError);
    expect(e.isAborted()).toBe(true);
    await expect(fetch(s.urlFor('warning'), { method: 'POST', body: '{}' })).rejects.toThrow();
    // The port is free again: a new sink can take it.
    const again = await startWebhookSink({ port: s.port });
    expect(again.port).toBe(s.port);
    await again.close();
  });

  it('fails to start when the port is taken', async () => {
    const s = await sink();
    await expect(startWebhookSink({ port: s.port })).rejects.toThrow(/EADDRINUSE/);
  });
});
