// The README's examples, compiled by `npm run typecheck` (tsconfig includes test/) so the README
// cannot drift from the library's names and shapes. Never run: they need a live stack.
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
