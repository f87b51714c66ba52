import { HttpResponse, http } from 'msw';
import { describe, expect, it } from 'vitest';
import { ConnectError, type ConnectorStatus, createConnectClient } from '../../src/connect/index.js';
import type { HttpClientOptions } from '../../src/http/index.js';
import { contractServer } from '../support/contract.js';

const BASE = 'http://connect.test:8083';
const mock = contractServer('kafka-connect', BASE, { requireFullCoverage: true });
const client = (o: Partial<HttpClientOptions> = {}) =>
  createConnectClient({ baseUrl: BASE, retry: { random: () => 0, baseDelayMs: 1 }, ...o });

const NAME = 'pg-customers';
const PG_CLASS = 'io.debezium.connector.postgresql.PostgresConnector';
const config = {
  'connector.class': PG_CLASS,
  'database.hostname': '127.0.0.1',
  'database.password': 'pg-s3cret-pw',
  'topic.prefix': 'cdc',
};
const info = (cfg: Record<string, string> = config) => ({
  name: NAME,
  config: { ...cfg, name: NAME },
  tasks: [{ connector: NAME, task: 0 }],
  type: 'source',
});
const status = (connector: string, tasks: string[], trace?: string): ConnectorStatus => ({
  name: NAME,
  connector: { state: connector as ConnectorStatus['connector']['state'], worker_id: '127.0.0.1:8083' },
  tasks: tasks.map((state, id) => ({
    id,
    state: state as ConnectorStatus['connector']['state'],
    worker_id: '127.0.0.1:8083',
    ...(state === 'FAILED' && trace ? { trace } : {}),
  })),
  type: 'source',
});
const err = (status: number, message: string) =>
  HttpResponse.json({ error_code: status, message }, { status });
const empty = (status: number) => new HttpResponse(null, { status });

describe('KafkaConnectClient against the contract', () => {
  it('reads worker info and health (503 starting is an answer, not an error)', async () => {
    mock.use(
      http.get(`${BASE}/`, () =>
        HttpResponse.json({ version: '4.4.0', commit: 'abc123', kafka_cluster_id: 'q1Sh-9_ISia' }),
      ),
      http.get(`${BASE}/health`, () =>
        HttpResponse.json({ status: 'starting', message: 'Worker is still starting up.' }, { status: 503 }),
      ),
    );
    const c = client();
    expect(await c.serverInfo()).toEqual({
      version: '4.4.0',
      commit: 'abc123',
      kafka_cluster_id: 'q1Sh-9_ISia',
    });
    expect(await c.health()).toEqual({
      status: 'starting',
      message: 'Worker is still starting up.',
      httpStatus: 503,
    });
  });

  it('lists connectors plain and expanded (repeated expand parameter, map form)', async () => {
    mock.use(
      http.get(`${BASE}/connectors`, ({ request }) => {
        const expand = new URL(request.url).searchParams.getAll('expand');
        if (expand.length === 0) return HttpResponse.json([NAME]);
        return HttpResponse.json({
          [NAME]: {
            ...(expand.includes('status') ? { status: status('RUNNING', ['RUNNING']) } : {}),
            ...(expand.includes('info') ? { info: info() } : {}),
          },
        });
      }),
    );
    const c = client();
    expect(await c.listConnectors()).toEqual([NAME]);
    const both = await c.listConnectorsExpanded();
    expect(mock.requests.at(-1)?.path).toBe('/connectors');
    expect(both[NAME]?.status?.connector.state).toBe('RUNNING');
    expect(both[NAME]?.info?.tasks).toEqual([{ connector: NAME, task: 0 }]);
    const onlyStatus = await c.listConnectorsExpanded({ status: true });
    expect(onlyStatus[NAME]?.info).toBeUndefined();
    await expect(c.listConnectorsExpanded({})).rejects.toMatchObject({ kind: 'validation', field: 'expand' });
  });

  it('creates with initial_state, reads, and maps "already exists" 409 without retrying', async () => {
    let posts = 0;
    mock.use(
      http.post(`${BASE}/connectors`, async ({ request }) => {
        posts++;
        const body = (await request.json()) as { name: string; initial_state?: string };
        if (posts > 1) return err(409, `Connector ${body.name} already exists`);
        expect(body.initial_state).toBe('PAUSED');
        return HttpResponse.json(info(), { status: 201, headers: { location: `/connectors/${NAME}` } });
      }),
      http.get(`${BASE}/connectors/:name`, () => HttpResponse.json(info())),
      http.get(`${BASE}/connectors/:name/config`, () => HttpResponse.json({ ...config, name: NAME })),
    );
    const c = client();
    expect((await c.createConnector(NAME, config, { initialState: 'PAUSED' })).type).toBe('source');
    const e = (await c.createConnector(NAME, config).catch((x: unknown) => x)) as ConnectError;
    expect(e).toBeInstanceOf(ConnectError);
    expect(e.isAlreadyExists()).toBe(true);
    expect(e.isRebalanceInProgress()).toBe(false);
    expect(e.isConflict()).toBe(true);
    expect(e.attempts).toBe(1);
    expect(posts).toBe(2);
    expect((await c.getConnector(NAME)).name).toBe(NAME);
    expect(await c.getConnectorConfig(NAME)).toMatchObject({ 'topic.prefix': 'cdc', name: NAME });
  });

  it('retries a POST that met a rebalance 409, then succeeds', async () => {
    let posts = 0;
    const retried: number[] = [];
    mock.use(
      http.post(`${BASE}/connectors`, () => {
        posts++;
        return posts < 3
          ? err(
              409,
              'Cannot complete request momentarily due to stale configuration (typically caused by a concurrent config change)',
            )
          : HttpResponse.json(info(), { status: 201 });
      }),
    );
    const c = client({
      retry: { random: () => 0, baseDelayMs: 1, onRetry: (i) => retried.push(i.status ?? 0) },
    });
    expect((await c.createConnector(NAME, config)).name).toBe(NAME);
    expect(posts).toBe(3);
    expect(retried).toEqual([409, 409]);
  });

  it('gives up on an endless rebalance with a retriable error that says so', async () => {
    mock.use(
      http.put(`${BASE}/connectors/:name/pause`, () =>
        err(409, 'Cannot complete request because of a conflicting operation (e.g. worker rebalance)'),
      ),
    );
    const e = (await client({ retry: { random: () => 0, baseDelayMs: 1, maxAttempts: 3 } })
      .pauseConnector(NAME)
      .catch((x: unknown) => x)) as ConnectError;
    expect(e.isRebalanceInProgress()).toBe(true);
    expect(e.retriable).toBe(true);
    expect(e.attempts).toBe(3);
  });

  it('PUT config tells created (201) from updated (200); PATCH merges', async () => {
    let exists = false;
    mock.use(
      http.put(`${BASE}/connectors/:name/config`, async ({ request }) => {
        const body = (await request.json()) as Record<string, string>;
        const created = !exists;
        exists = true;
        return HttpResponse.json(info(body), { status: created ? 201 : 200 });
      }),
      http.patch(`${BASE}/connectors/:name/config`, async ({ request }) => {
        const patch = (await request.json()) as Record<string, string | null>;
        expect(patch).toEqual({ 'snapshot.mode': 'no_data', 'heartbeat.interval.ms': null });
        return HttpResponse.json(info({ ...config, 'snapshot.mode': 'no_data' }));
      }),
    );
    const c = client();
    expect((await c.putConnectorConfig(NAME, config)).created).toBe(true);
    expect((await c.putConnectorConfig(NAME, config)).created).toBe(false);
    const patched = await c.patchConnectorConfig(NAME, {
      'snapshot.mode': 'no_data',
      'heartbeat.interval.ms': null,
    });
    expect(patched.config['snapshot.mode']).toBe('no_data');
    await expect(c.putConnectorConfig(NAME, { ...config, name: 'other' })).rejects.toMatchObject({
      kind: 'validation',
      field: 'name',
    });
    await expect(c.putConnectorConfig(' bad', config)).rejects.toMatchObject({
      kind: 'validation',
      field: 'name',
    });
  });

  it('restarts: 202 with status when includeTasks/onlyFailed, 204 legacy; task restart and status', async () => {
    mock.use(
      http.post(`${BASE}/connectors/:name/restart`, ({ request }) => {
        const q = new URL(request.url).searchParams;
        if (q.get('includeTasks') !== 'true' && q.get('onlyFailed') !== 'true') return empty(204);
        expect(q.get('onlyFailed')).toBe('true');
        return HttpResponse.json(status('RUNNING', ['RESTARTING']), { status: 202 });
      }),
      http.post(`${BASE}/connectors/:name/tasks/:task/restart`, ({ params }) => {
        expect(params.task).toBe('0');
        return empty(204);
      }),
      http.get(`${BASE}/connectors/:name/tasks/:task/status`, () =>
        HttpResponse.json({ id: 0, state: 'RUNNING', worker_id: '127.0.0.1:8083' }),
      ),
      http.get(`${BASE}/connectors/:name/tasks`, () =>
        HttpResponse.json([
          { id: { connector: NAME, task: 0 }, config: { 'task.class': 'x.PostgresConnectorTask' } },
        ]),
      ),
    );
    const c = client();
    const restarted = await c.restartConnector(NAME, { includeTasks: true, onlyFailed: true });
    expect(restarted?.tasks[0]?.state).toBe('RESTARTING');
    expect(await c.restartConnector(NAME)).toBeUndefined();
    await c.restartTask(NAME, 0);
    expect((await c.getTaskStatus(NAME, 0)).state).toBe('RUNNING');
    expect((await c.listTasks(NAME))[0]?.id.task).toBe(0);
    await expect(c.restartTask(NAME, -1)).rejects.toMatchObject({ kind: 'validation', field: 'task' });
  });

  it('pause, resume, stop, topics and topic reset', async () => {
    const seen: string[] = [];
    const mark = (what: string, code: number) => {
      seen.push(what);
      return empty(code);
    };
    mock.use(
      http.put(`${BASE}/connectors/:name/pause`, () => mark('pause', 202)),
      http.put(`${BASE}/connectors/:name/resume`, () => mark('resume', 202)),
      http.put(`${BASE}/connectors/:name/stop`, () => mark('stop', 204)),
      http.get(`${BASE}/connectors/:name/topics`, () =>
        HttpResponse.json({ [NAME]: { topics: ['cdc.public.customers'] } }),
      ),
      http.put(`${BASE}/connectors/:name/topics/reset`, () => mark('reset', 202)),
    );
    const c = client();
    await c.pauseConnector(NAME);
    await c.resumeConnector(NAME);
    await c.stopConnector(NAME);
    expect(await c.getConnectorTopics(NAME)).toEqual(['cdc.public.customers']);
    await c.resetConnectorTopics(NAME);
    expect(seen).toEqual(['pause', 'resume', 'stop', 'reset']);
  });

  it('reads, alters and resets offsets; 400 when not stopped is a bad-request error', async () => {
    const offsets = [{ partition: { server: 'cdc' }, offset: { lsn: 24023128, txId: 555 } }];
    let stopped = false;
    mock.use(
      http.get(`${BASE}/connectors/:name/offsets`, () => HttpResponse.json({ offsets })),
      http.patch(`${BASE}/connectors/:name/offsets`, async ({ request }) => {
        expect(await request.json()).toEqual({ offsets });
        return stopped
          ? HttpResponse.json({ message: 'The offsets for this connector have been altered successfully' })
          : err(400, 'Connectors must be in the STOPPED state before their offsets can be modified.');
      }),
      http.delete(`${BASE}/connectors/:name/offsets`, () =>
        HttpResponse.json({ message: 'The offsets for this connector have been reset successfully' }),
      ),
    );
    const c = client();
    expect(await c.getConnectorOffsets(NAME)).toEqual(offsets);
    const e = (await c.alterConnectorOffsets(NAME, offsets).catch((x: unknown) => x)) as ConnectError;
    expect(e.status).toBe(400);
    expect(e.isBadRequest()).toBe(true);
    expect(e.message).toContain('STOPPED');
    stopped = true;
    expect(await c.alterConnectorOffsets(NAME, offsets)).toMatch(/altered/);
    expect(await c.resetConnectorOffsets(NAME)).toMatch(/reset/);
    await expect(c.alterConnectorOffsets(NAME, [])).rejects.toMatchObject({ kind: 'validation' });
  });

  it('lists plugins, reads config defs, validates per field', async () => {
    mock.use(
      http.get(`${BASE}/connector-plugins`, ({ request }) => {
        const all = new URL(request.url).searchParams.get('connectorsOnly') === 'false';
        return HttpResponse.json([
          { class: PG_CLASS, type: 'source', version: '3.6.1.Final' },
          ...(all
            ? [{ class: 'org.apache.kafka.connect.json.JsonConverter', type: 'converter', version: '4.4.0' }]
            : []),
        ]);
      }),
      http.get(`${BASE}/connector-plugins/:plugin/config`, () =>
        HttpResponse.json([
          {
            name: 'database.hostname',
            type: 'STRING',
            required: true,
            default_value: null,
            importance: 'HIGH',
            documentation: 'Resolvable hostname or IP address of the database server.',
            group: 'Connection',
            order_in_group: 2,
            width: 'MEDIUM',
            display_name: 'Hostname',
            dependents: [],
          },
        ]),
      ),
      http.put(`${BASE}/connector-plugins/:plugin/config/validate`, async ({ request, params }) => {
        expect(params.plugin).toBe(PG_CLASS);
        const body = (await request.json()) as Record<string, string>;
        const bad = !body['topic.prefix'];
        return HttpResponse.json({
          name: PG_CLASS,
          error_count: bad ? 1 : 0,
          groups: ['Common', 'Connection'],
          configs: [
            {
              definition: {
                name: 'topic.prefix',
                type: 'STRING',
                required: true,
                default_value: null,
                importance: 'HIGH',
                documentation: 'Topic prefix',
                group: 'Common',
                order_in_group: 1,
                width: 'MEDIUM',
                display_name: 'Topic prefix',
                dependents: [],
              },
              value: {
                name: 'topic.prefix',
                value: body['topic.prefix'] ?? null,
                recommended_values: [],
                errors: bad ? ["The 'topic.prefix' value is invalid: A value is required"] : [],
                visible: true,
              },
            },
            {
              definition: {
                name: 'internal.legacy.snapshot.max.threads',
                type: 'BOOLEAN',
                required: false,
                default_value: 'false',
                importance: 'LOW',
                documentation: 'internal',
                group: 'Connector',
                order_in_group: 13,
                width: 'SHORT',
                display_name: 'internal',
                dependents: [],
              },
              value: null,
            },
          ],
        });
      }),
    );
    const c = client();
    expect((await c.listConnectorPlugins()).map((p) => p.class)).toEqual([PG_CLASS]);
    expect(await c.listConnectorPlugins({ connectorsOnly: false })).toHaveLength(2);
    expect((await c.getPluginConfigDef(PG_CLASS))[0]?.name).toBe('database.hostname');
    const ok = await c.validateConfig(config);
    expect(ok).toMatchObject({ valid: true, errorCount: 0, errors: {} });
    const { 'topic.prefix': _drop, ...noPrefix } = config;
    const bad = await c.validateConfig(noPrefix);
    expect(bad.valid).toBe(false);
    expect(bad.errors).toEqual({
      'topic.prefix': ["The 'topic.prefix' value is invalid: A value is required"],
    });
    await expect(c.validateConfig({ 'topic.prefix': 'x' })).rejects.toMatchObject({
      kind: 'validation',
      field: 'connector.class',
    });
  });

  it('admin loggers: list, get, set for the worker (200 list) and the cluster (204)', async () => {
    mock.use(
      http.get(`${BASE}/admin/loggers`, () =>
        HttpResponse.json({ root: { level: 'INFO', last_modified: null } }),
      ),
      http.get(`${BASE}/admin/loggers/:logger`, ({ params }) =>
        params.logger === 'io.debezium'
          ? HttpResponse.json({ level: 'DEBUG', last_modified: 1764072000000 })
          : err(404, `Logger ${String(params.logger)} not found.`),
      ),
      http.put(`${BASE}/admin/loggers/:logger`, async ({ request }) => {
        expect(await request.json()).toEqual({ level: 'DEBUG' });
        return new URL(request.url).searchParams.get('scope') === 'cluster'
          ? empty(204)
          : HttpResponse.json(['io.debezium', 'io.debezium.connector.postgresql']);
      }),
    );
    const c = client();
    expect((await c.listLoggers()).root?.level).toBe('INFO');
    expect((await c.getLogger('io.debezium')).level).toBe('DEBUG');
    const missing = (await c.getLogger('nope').catch((x: unknown) => x)) as ConnectError;
    expect(missing.isNotFound()).toBe(true);
    expect(await c.setLoggerLevel('io.debezium', 'DEBUG')).toEqual([
      'io.debezium',
      'io.debezium.connector.postgresql',
    ]);
    expect(await c.setLoggerLevel('io.debezium', 'DEBUG', { scope: 'cluster' })).toEqual([]);
  });

  it('maps 404 to isNotFound with the worker message, and 400 bad config to isBadConfig without the password', async () => {
    mock.use(
      http.get(`${BASE}/connectors/:name/status`, ({ params }) =>
        err(404, `No status found for connector ${String(params.name)}`),
      ),
      http.put(`${BASE}/connectors/:name/config`, () =>
        err(
          400,
          'Connector configuration is invalid and contains the following 1 error(s):\nInvalid value pg-s3cret-pw for configuration database.port\n',
        ),
      ),
    );
    const c = client();
    const nf = (await c.getConnectorStatus('ghost').catch((x: unknown) => x)) as ConnectError;
    expect(nf.isNotFound()).toBe(true);
    expect(nf.message).toContain('No status found for connector ghost');
    expect(nf.path).toBe('/connectors/ghost/status');
    const bad = (await c.putConnectorConfig(NAME, config).catch((x: unknown) => x)) as ConnectError;
    expect(bad.isBadConfig()).toBe(true);
    expect(bad.message).toContain('Invalid value *** for configuration database.port');
    expect(bad.message).not.toContain('pg-s3cret-pw');
    expect(JSON.stringify(bad.body)).not.toContain('pg-s3cret-pw');
    expect(JSON.stringify(bad)).not.toContain('pg-s3cret-pw');
  });

  it('times out a hanging worker with kind timeout', async () => {
    mock.use(
      http.get(`${BASE}/connectors`, async () => {
        await new Promise((r) => setTimeout(r, 400));
        return HttpResponse.json([]);
      }),
    );
    const e = (await client({ timeoutMs: 40, retry: false })
      .listConnectors()
      .catch((x: unknown) => x)) as ConnectError;
    expect(e).toBeInstanceOf(ConnectError);
    expect(e.kind).toBe('timeout');
    expect(e.isTimeout()).toBe(true);
  });

  it('reports an unreachable worker as a network error naming the URL', async () => {
    const c = createConnectClient({ baseUrl: 'http://127.0.0.1:1', retry: { maxAttempts: 1 } });
    const e = (await c.serverInfo().catch((x: unknown) => x)) as ConnectError;
    expect(e).toBeInstanceOf(ConnectError);
    expect(e.isNetworkError()).toBe(true);
    expect(e.message).toContain('127.0.0.1:1');
  });
});

describe('connector lifecycle against the contract', () => {
  it('upsertConnector creates, is a no-op when equal, and reports changed keys', async () => {
    let stored: Record<string, string> | undefined;
    let puts = 0;
    mock.use(
      http.get(`${BASE}/connectors/:name/config`, () =>
        stored ? HttpResponse.json(stored) : err(404, `Connector ${NAME} not found`),
      ),
      http.put(`${BASE}/connectors/:name/config`, async ({ request }) => {
        puts++;
        const created = stored === undefined;
        stored = (await request.json()) as Record<string, string>;
        return HttpResponse.json(info(stored), { status: created ? 201 : 200 });
      }),
    );
    const c = client();
    const first = await c.upsertConnector(NAME, config);
    expect(first.created).toBe(true);
    expect(first.changed).toEqual(Object.keys(config).sort());
    expect(stored?.name).toBe(NAME);
    const again = await c.upsertConnector(NAME, config);
    expect(again).toEqual({ created: false, changed: [] });
    expect(puts).toBe(1);
    const { 'database.hostname': _h, ...rest } = config;
    const changed = await c.upsertConnector(NAME, {
      ...rest,
      'topic.prefix': 'cdc2',
      'snapshot.mode': 'no_data',
    });
    expect(changed).toEqual({
      created: false,
      changed: ['database.hostname', 'snapshot.mode', 'topic.prefix'],
    });
    expect(puts).toBe(2);
  });

  it('upsertConnector explains a refused config per field, even when the worker answers 500', async () => {
    mock.use(
      http.get(`${BASE}/connectors/:name/config`, () => err(404, `Connector ${NAME} not found`)),
      // Connect 4.4 + Debezium 3.x: the PUT trips over a config key without a value.
      http.put(`${BASE}/connectors/:name/config`, () =>
        err(
          500,
          'Cannot invoke "org.apache.kafka.connect.runtime.rest.entities.ConfigValueInfo.errors()" because the return value of "org.apache.kafka.connect.runtime.rest.entities.ConfigInfo.configValue()" is null',
        ),
      ),
      http.put(`${BASE}/connector-plugins/:plugin/config/validate`, () =>
        HttpResponse.json({
          name: PG_CLASS,
          error_count: 1,
          groups: ['Common'],
          configs: [
            {
              definition: {
                name: 'snapshot.mode',
                type: 'STRING',
                required: false,
                default_value: 'initial',
                importance: 'LOW',
                documentation: 'Snapshot mode',
                group: 'Connector',
                order_in_group: 1,
                width: 'SHORT',
                display_name: 'Snapshot mode',
                dependents: [],
              },
              value: {
                name: 'snapshot.mode',
                value: null,
                recommended_values: ['initial', 'no_data'],
                errors: ["The 'snapshot.mode' value is invalid: Value must be one of initial, no_data"],
                visible: true,
              },
            },
          ],
        }),
      ),
    );
    const e = (await client()
      .upsertConnector(NAME, { ...config, 'snapshot.mode': 'sometimes' })
      .catch((x: unknown) => x)) as ConnectError;
    expect(e).toBeInstanceOf(ConnectError);
    expect(e.status).toBe(500);
    expect(e.isBadConfig()).toBe(true);
    expect(e.fieldErrors).toEqual({
      'snapshot.mode': ["The 'snapshot.mode' value is invalid: Value must be one of initial, no_data"],
    });
    expect(e.message).toContain('snapshot.mode: The');
    expect(e.message).not.toContain('pg-s3cret-pw');
  });

  it('waitForConnectorRunning polls through 404 and UNASSIGNED until connector and tasks run', async () => {
    const answers = [
      () => err(404, `No status found for connector ${NAME}`),
      () => HttpResponse.json(status('UNASSIGNED', [])),
      () => HttpResponse.json(status('RUNNING', [])),
      () => HttpResponse.json(status('RUNNING', ['RUNNING'])),
    ];
    let i = 0;
    mock.use(
      http.get(`${BASE}/connectors/:name/status`, () =>
        (answers[Math.min(i++, answers.length - 1)] ?? answers[0]!)(),
      ),
    );
    const s = await client().waitForConnectorRunning(NAME, { pollMs: 5, timeoutMs: 2000 });
    expect(s.tasks[0]?.state).toBe('RUNNING');
    expect(i).toBe(4);
  });

  it('waitForConnectorRunning throws at once on a FAILED task with the worker trace, password scrubbed', async () => {
    const trace =
      'io.debezium.DebeziumException: Couldn\'t obtain encoding for database cdc\n\tat io.debezium.connector.postgresql.PostgresConnectorTask.start(PostgresConnectorTask.java:80)\nCaused by: org.postgresql.util.PSQLException: FATAL: password authentication failed for user "cdc" (tried pg-s3cret-pw)';
    let polls = 0;
    mock.use(
      http.put(`${BASE}/connectors/:name/config`, () => HttpResponse.json(info(), { status: 201 })),
      http.get(`${BASE}/connectors/:name/config`, () => err(404, `Connector ${NAME} not found`)),
      http.get(`${BASE}/connectors/:name/status`, () => {
        polls++;
        return HttpResponse.json(status('RUNNING', ['FAILED'], trace));
      }),
    );
    const c = client();
    await c.upsertConnector(NAME, config);
    const e = (await c.waitForConnectorRunning(NAME, { pollMs: 5 }).catch((x: unknown) => x)) as ConnectError;
    expect(e).toBeInstanceOf(ConnectError);
    expect(e.isConnectorFailed()).toBe(true);
    expect(e.code).toBe('TASK_FAILED');
    expect(e.message).toContain("Couldn't obtain encoding for database cdc");
    expect(e.trace).toContain('password authentication failed');
    expect(e.trace).not.toContain('pg-s3cret-pw');
    expect(JSON.stringify(e.connectorStatus)).not.toContain('pg-s3cret-pw');
    expect(polls).toBe(1);
  });

  it('waitForConnectorRunning with failedGraceMs polls past a stale FAILED left over from before a restart', async () => {
    let i = 0;
    mock.use(
      http.get(`${BASE}/connectors/:name/status`, () =>
        HttpResponse.json(
          i++ < 2 ? status('RUNNING', ['FAILED'], 'old trace') : status('RUNNING', ['RUNNING']),
        ),
      ),
    );
    const s = await client().waitForConnectorRunning(NAME, { pollMs: 5, failedGraceMs: 1000 });
    expect(s.tasks[0]?.state).toBe('RUNNING');
    expect(i).toBe(3);
  });

  it('waitForConnectorRunning times out with the last status; waitForConnectorState honours abort', async () => {
    mock.use(
      http.get(`${BASE}/connectors/:name/status`, () => HttpResponse.json(status('RUNNING', ['PAUSED']))),
    );
    const c = client();
    const e = (await c
      .waitForConnectorRunning(NAME, { pollMs: 10, timeoutMs: 60 })
      .catch((x: unknown) => x)) as ConnectError;
    expect(e.kind).toBe('wait-timeout');
    expect(e.isTimeout()).toBe(true);
    expect(e.message).toContain('connector RUNNING, tasks [0=PAUSED]');
    expect(e.connectorStatus?.tasks[0]?.state).toBe('PAUSED');
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 30);
    const a = (await c
      .waitForConnectorState(NAME, 'STOPPED', { pollMs: 10, timeoutMs: 5000, signal: ac.signal })
      .catch((x: unknown) => x)) as ConnectError;
    expect(a.isAborted()).toBe(true);
  });

  it('deleteConnector waits until the worker no longer knows it; ignoreMissing tolerates 404', async () => {
    let gets = 0;
    let deleted = false;
    mock.use(
      http.delete(`${BASE}/connectors/:name`, ({ params }) => {
        if (params.name !== NAME) return err(404, `Connector ${String(params.name)} not found`);
        deleted = true;
        return empty(204);
      }),
      http.get(`${BASE}/connectors/:name`, () => {
        gets++;
        return deleted && gets > 2 ? err(404, `Connector ${NAME} not found`) : HttpResponse.json(info());
      }),
    );
    const c = client();
    await c.deleteConnector(NAME, { timeoutMs: 5000 });
    expect(gets).toBe(3);
    await c.deleteConnector('ghost', { ignoreMissing: true });
    const e = (await c.deleteConnector('ghost').catch((x: unknown) => x)) as ConnectError;
    expect(e.isNotFound()).toBe(true);
  });
});
