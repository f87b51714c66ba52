import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import {
  type AlertmanagerClient,
  AlertmanagerError,
  createAlertmanagerClient,
  type LabelSet,
  startWebhookSink,
  type WebhookSink,
} from '../../src/alertmanager/index.js';
import { liveContract } from '../support/contract.js';
import { describeLive, env, uniqueName } from '../support/live.js';

// Routing, inhibition, silences and resolution against a real Alertmanager 0.31.1 loaded with the
// configuration in test/alertmanager/README.md (group_wait 1s, group_interval 2s).
describeLive(['alertmanager'], 'Alertmanager routing and notifications (live)', () => {
  // describe.skip still collects this body, so variables are read in beforeAll, not here.
  let contract: ReturnType<typeof liveContract>;
  let am: AlertmanagerClient;
  let sink: WebhookSink;
  const fired: LabelSet[] = [];
  const silences: string[] = [];
  const latencies: Record<string, number> = {};

  /** Polls until `check` returns a value (test-side waiting; clients never loop). */
  async function eventually<T>(
    what: string,
    check: () => Promise<T | undefined>,
    timeoutMs = 8000,
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = await check();
      if (v !== undefined) return v;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await sleep(100);
    }
  }

  async function fire(labels: LabelSet): Promise<number> {
    fired.push(labels);
    const at = Date.now();
    await am.postAlerts([{ labels, annotations: { summary: `lakekit live test ${labels.alertname}` } }]);
    return at;
  }

  beforeAll(async () => {
    const baseUrl = env('LAKEKIT_ALERTMANAGER_URL');
    const apiUrl = `${baseUrl.replace(/\/+$/, '').replace(/\/api\/v2$/, '')}/api/v2`;
    contract = liveContract('alertmanager', apiUrl);
    am = createAlertmanagerClient({ baseUrl, middleware: [contract.middleware] });
    sink = await startWebhookSink({ port: Number(env('LAKEKIT_WEBHOOK_SINK_PORT')) });
  });

  afterEach(() => {
    expect(contract.violations.splice(0), 'answers that break specs/alertmanager.yaml').toEqual([]);
  });

  afterAll(async () => {
    for (const id of silences) await am?.expireSilence(id).catch(() => undefined);
    for (const labels of fired) await am?.resolveAlert(labels).catch(() => undefined);
    await sink?.close();
    console.log(`alertmanager live: notification latency (ms) ${JSON.stringify(latencies)}`);
    console.log(
      `alertmanager live: operations exercised ${[...(contract?.covered ?? [])].sort().join(', ')}`,
    );
  });

  it('lists the receivers of the configuration contract and reports its status', async () => {
    const receivers = await am.listReceivers();
    expect(receivers.map((r) => r.name).sort()).toEqual(['critical', 'default', 'warning']);
    const status = await am.getStatus();
    expect(status.versionInfo.version).toMatch(/^0\.31\./);
    expect(status.cluster.status).toBe('disabled');
    expect(status.config.original).toContain('group_wait: 1s');
    // Webhook URLs count as secrets and come back as `<secret>`, so only the routing is compared.
    expect(status.config.original).toContain('group_interval: 2s');
    expect(status.config.original).toMatch(/inhibit_rules:[\s\S]*alertname/);
  });

  it('routes a warning to the warning receiver only', async () => {
    const alertname = uniqueName('lk_warn');
    const at = await fire({ alertname, severity: 'warning' });
    const n = await sink.waitForNotification({ alertname, status: 'firing', timeout: 10_000 });
    latencies.warningFiring = n.receivedAt.getTime() - at;
    expect(n.receiver).toBe('warning');
    expect(n.path).toBe('/hook/warning');
    expect(n.version).toBe('4');
    expect(n.groupLabels).toEqual({ alertname, severity: 'warning' });
    expect(n.alerts[0]?.annotations.summary).toContain(alertname);
    expect(n.alerts[0]?.generatorURL).toBe('urn:lakekit');

    const [alert] = await am.listAlerts({ filter: { name: 'alertname', value: alertname } });
    expect(alert?.receivers.map((r) => r.name)).toEqual(['warning']);
    expect(alert?.status.state).toBe('active');
    const groups = await am.listAlertGroups({ filter: `alertname="${alertname}"`, receiver: '^warning$' });
    expect(groups.map((g) => g.receiver.name)).toEqual(['warning']);

    // A second group interval passes without any other receiver hearing of it.
    await sleep(2500);
    expect(sink.notifications({ alertname }).map((x) => x.receiver)).toEqual(['warning']);
  });

  it('routes a critical to the critical receiver', async () => {
    const alertname = uniqueName('lk_crit');
    const at = await fire({ alertname, severity: 'critical' });
    const n = await sink.waitForNotification({ alertname, status: 'firing', timeout: 10_000 });
    latencies.criticalFiring = n.receivedAt.getTime() - at;
    expect(n.receiver).toBe('critical');
    expect(n.path).toBe('/hook/critical');
    expect(n.commonLabels).toMatchObject({ alertname, severity: 'critical' });
  });

  it('inhibits a warning while a critical with the same alertname fires', async () => {
    const alertname = uniqueName('lk_inhibit');
    fired.push({ alertname, severity: 'critical' }, { alertname, severity: 'warning' });
    await am.postAlerts([
      { labels: { alertname, severity: 'critical' } },
      { labels: { alertname, severity: 'warning' } },
    ]);
    const warning = await eventually('the warning to show as inhibited', async () => {
      const [a] = await am.listAlerts({ filter: [`alertname="${alertname}"`, 'severity="warning"'] });
      return a && a.status.inhibitedBy.length > 0 ? a : undefined;
    });
    expect(warning.status.state).toBe('suppressed');
    expect(warning.status.silencedBy).toEqual([]);
    const [critical] = await am.listAlerts({ filter: [`alertname="${alertname}"`, 'severity="critical"'] });
    expect(critical?.status.state).toBe('active');
    expect(warning.status.inhibitedBy).toEqual([critical?.fingerprint]);

    const notInhibited = await am.listAlerts({
      filter: { name: 'alertname', value: alertname },
      inhibited: false,
    });
    expect(notInhibited.map((a) => a.labels.severity)).toEqual(['critical']);

    const n = await sink.waitForNotification({ alertname, receiver: 'critical', timeout: 10_000 });
    expect(n.status).toBe('firing');
    await sleep(2500);
    expect(sink.notifications({ alertname, receiver: 'warning' })).toEqual([]);
  });

  it('silences an alert, then delivers it after the silence expires', async () => {
    const alertname = uniqueName('lk_silence');
    const id = await am.createSilence({
      matchers: [{ name: 'alertname', value: alertname }],
      duration: '10m',
      createdBy: 'lakekit live test',
      comment: 'silence test',
    });
    silences.push(id);
    const listed = await am.listSilences({ filter: `alertname="${alertname}"` });
    expect(listed.map((s) => [s.id, s.status.state])).toEqual([[id, 'active']]);
    expect(listed[0]?.matchers).toEqual([
      { name: 'alertname', value: alertname, isRegex: false, isEqual: true },
    ]);

    await fire({ alertname, severity: 'warning' });
    const silenced = await eventually('the alert to show as silenced', async () => {
      const [a] = await am.listAlerts({ filter: `alertname="${alertname}"` });
      return a?.status.silencedBy.includes(id) ? a : undefined;
    });
    expect(silenced.status.state).toBe('suppressed');
    expect(await am.listAlerts({ filter: `alertname="${alertname}"`, silenced: false })).toEqual([]);
    await sleep(3000);
    expect(sink.notifications({ alertname })).toEqual([]);

    const expiredAt = Date.now();
    await am.expireSilence(id);
    expect((await am.getSilence(id)).status.state).toBe('expired');
    expect((await am.listSilences({ filter: `alertname="${alertname}"`, state: 'active' })).length).toBe(0);
    const n = await sink.waitForNotification({ alertname, status: 'firing', timeout: 10_000 });
    latencies.afterSilenceExpired = n.receivedAt.getTime() - expiredAt;
    expect(n.receiver).toBe('warning');
    // Expiring again is not an error.
    await am.expireSilence(id);
  });

  it('sends a resolved notification when an alert is re-posted with endsAt in the past', async () => {
    const alertname = uniqueName('lk_resolve');
    const labels = { alertname, severity: 'critical' };
    await fire(labels);
    await sink.waitForNotification({ alertname, status: 'firing', timeout: 10_000 });
    const resolvedAt = Date.now();
    await am.resolveAlert(labels);
    const n = await sink.waitForNotification({ alertname, status: 'resolved', timeout: 10_000 });
    latencies.resolved = n.receivedAt.getTime() - resolvedAt;
    expect(n.receiver).toBe('critical');
    expect(n.alerts[0]?.status).toBe('resolved');
    expect(Date.parse(n.alerts[0]?.endsAt ?? '')).toBeLessThanOrEqual(resolvedAt);
  });

  it('answers 404 for an unknown silence and 400 for a regex only RE2 refuses', async () => {
    const unknown = '00000000-0000-4000-8000-000000000000';
    const missing = (await am.getSilence(unknown).catch((e: unknown) => e)) as AlertmanagerError;
    expect(missing).toBeInstanceOf(AlertmanagerError);
    expect(missing.isSilenceNotFound()).toBe(true);
    const gone = (await am.expireSilence(unknown).catch((e: unknown) => e)) as AlertmanagerError;
    expect(gone.isSilenceNotFound()).toBe(true);
    // JavaScript reads `\Z` as a plain Z; Go's RE2 rejects it, so this one reaches the server.
    const bad = (await am
      .listAlerts({ filter: { name: 'alertname', value: '\\Z', isRegex: true } })
      .catch((e: unknown) => e)) as AlertmanagerError;
    expect(bad).toBeInstanceOf(AlertmanagerError);
    expect(bad.status).toBe(400);
    expect(bad.message).toContain('error parsing regexp');
  });
});
