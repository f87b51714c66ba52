// Type-checks the README's examples against the real API (tsc runs over test/), and runs the
// parts that need no server, so the README cannot silently drift from the library.
import { describe, expect, it } from 'vitest';
import { createAlertmanagerClient, startWebhookSink } from '../../src/alertmanager/index.js';
import { createConnectClient, postgresConnector } from '../../src/connect/index.js';
import { openDeltaTable } from '../../src/delta/index.js';
import {
  createIcebergCatalog,
  createIcebergTable,
  eq,
  makeSchema,
  optional,
  required,
} from '../../src/iceberg/index.js';
import {
  createSchemaRegistryClient,
  deserializer,
  SchemaRegistryError,
  serializer,
} from '../../src/registry/index.js';
import { startStack } from '../../src/stack/index.js';

// Never called: compiled only, to keep the README honest about names and shapes.
export async function readmeExamples(orderSchema: object, breakingChange: object) {
  const catalog = createIcebergCatalog({ baseUrl: 'http://127.0.0.1:19101', warehouse: 's3://warehouse/' });
  await catalog.createNamespace(['sales']);
  const s3 = {
    endpoint: 'http://127.0.0.1:19100',
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'lakekit', secretAccessKey: 'lakekit-secret-key' },
  };
  const orders = await createIcebergTable(catalog, ['sales'], 'orders', {
    schema: makeSchema([required(1, 'id', 'long'), optional(2, 'status', 'string')], 0, [1]),
    s3,
  });
  await orders.append([
    { id: 1n, status: 'new' },
    { id: 2n, status: 'paid' },
  ]);
  await orders.upsert([{ id: 2n, status: 'shipped' }], { keys: ['id'] });
  await orders.toArrow({ filter: eq('status', 'shipped') });

  const table = await openDeltaTable('s3://lakekit/tables/customers', { s3 });
  await (await table.snapshot({ version: 3 })).toArrow({ columns: ['id', 'name'] });
  await table.readChanges({ startingVersion: 1 });

  const client = createSchemaRegistryClient({ baseUrl: 'http://127.0.0.1:19102/apis/ccompat/v7' });
  const ser = serializer('AVRO', { client, schema: JSON.stringify(orderSchema) });
  const bytes = await ser.serialize('orders', { id: 1, amount: '12.50' });
  await deserializer('AVRO', { client }).deserialize('orders', bytes);
  try {
    await client.registerSchema('orders-value', { schema: JSON.stringify(breakingChange) });
  } catch (e) {
    if (e instanceof SchemaRegistryError && e.isIncompatible()) console.log('rejected:', e.message);
  }

  const connect = createConnectClient({ baseUrl: 'http://127.0.0.1:19106' });
  await connect.upsertConnector(
    'customers',
    postgresConnector({
      connection: 'postgres://lakekit:lakekit@127.0.0.1:19107/cdc',
      topicPrefix: 'shop',
      tableIncludeList: ['public.customers'],
      decimalHandlingMode: 'string',
    }),
  );
  await connect.waitForConnectorRunning('customers', { timeoutMs: 60_000 });

  const stack = await startStack({ services: ['iceberg'], reuse: true });
  console.log(stack.iceberg.url, stack.s3.endpoint);
  await stack.stop();
}

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
