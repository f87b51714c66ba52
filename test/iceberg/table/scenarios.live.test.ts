/**
 * The eight Iceberg scenarios against the real stack (RESTCatalogServer + S3), plus
 * PyIceberg reading what lakekit wrote through the same catalog. Each run uses a unique namespace
 * and drops its tables (with purge) at the end.
 */
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createIcebergCatalog, type IcebergRestCatalog } from '../../../src/iceberg/catalog.js';
import { eq, gtEq, lt } from '../../../src/iceberg/table/expressions.js';
import { createIcebergTable, type IcebergTable, loadIcebergTable } from '../../../src/iceberg/table/table.js';
import { schemaToJson } from '../../../src/iceberg/table/types.js';
import { describeLive, env, liveEnv, liveS3, ROOT, uniqueName } from '../../support/live.js';
import { rowsToJson, sortBy } from './normalize.js';
import { customerRow, customersSchema } from './scenario.js';

const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);

describeLive(['iceberg', 's3', 'python'], 'Iceberg table scenarios on the live stack', () => {
  let catalog: IcebergRestCatalog;
  let table: IcebergTable;
  const ns = uniqueName('lk_tbl');
  const s3 = liveS3;
  const ids = async (opts = {}) =>
    rowsToJson(await table.toArrow({ ...opts, columns: ['customer_id'] }), [table.schema().fields[0]!])
      .map((r) => r.customer_id as number)
      .sort((a, b) => a - b);
  const pyRead = (ident: string, snapshotId?: bigint) =>
    JSON.parse(
      execFileSync(
        env('LAKEKIT_PYTHON'),
        [
          `${ROOT}/scripts/fixtures/iceberg/read_table.py`,
          'rest',
          ident,
          ...(snapshotId ? [snapshotId.toString()] : []),
        ],
        { encoding: 'utf8', env: { ...process.env, ...liveEnv }, maxBuffer: 64 << 20 },
      ),
    ) as {
      schema: Record<string, unknown>;
      rows: Record<string, unknown>[];
      snapshots: { operation: string }[];
    };

  beforeAll(async () => {
    catalog = createIcebergCatalog({
      baseUrl: env('LAKEKIT_ICEBERG_URL'),
      warehouse: env('LAKEKIT_ICEBERG_WAREHOUSE'),
    });
    await catalog.createNamespace(ns);
  });
  afterAll(async () => {
    for (const t of ['customers', 'evolving', 'from_pyiceberg'])
      await catalog?.dropTable({ namespace: ns, name: t }, { purge: true }).catch(() => {});
    await catalog?.dropNamespace(ns).catch(() => {});
  });

  it('1: creates a table with every type, month partitioning and a sort order, and loads it back', async () => {
    table = await createIcebergTable(catalog, ns, 'customers', {
      schema: customersSchema,
      partitionBy: [{ source: 'registration_date', transform: 'month' }],
      sortBy: [{ source: 'customer_id' }],
      s3: s3(),
    });
    const loaded = await loadIcebergTable(catalog, { namespace: ns, name: 'customers' }, { s3: s3() });
    const strip = (s: Record<string, unknown>) =>
      JSON.stringify(s, (k, v) => (k.endsWith('id') || k.endsWith('-id') ? undefined : v));
    expect(strip(schemaToJson(loaded.schema()))).toBe(strip(schemaToJson(customersSchema)));
    expect(loaded.describe()).toEqual({
      spec: ['month(registration_date) as registration_date_month'],
      sortOrder: ['identity(customer_id) asc nulls-first'],
    });
    table = loaded;
  });

  it('2: appends 1000 rows and reads them back exactly', async () => {
    await table.append(range(0, 1000).map((i) => customerRow(i)));
    const t = await table.toArrow();
    expect(t.numRows).toBe(1000);
    const rows = sortBy(rowsToJson(t, table.schema().fields), 'customer_id');
    expect(rows[7]).toMatchObject({
      customer_id: 7,
      name: 'customer-7',
      registration_date: '2024-03-18',
      balance: '4.59',
    });
  });

  it('3: upserts 100 rows by customer_id without duplicates', async () => {
    const r = await table.upsert(
      range(950, 1050).map((i) => customerRow(i, 1)),
      { keys: ['customer_id'] },
    );
    expect(r).toMatchObject({ updated: 50, inserted: 50 });
    expect(await ids()).toEqual(range(0, 1050));
  });

  it('4: appends 500 more and deletes customer_id < 50', async () => {
    await table.append(range(2000, 2500).map((i) => customerRow(i)));
    const d = await table.delete(lt('customer_id', 50));
    expect(d.deletedRows).toBe(50);
    expect(await ids()).toEqual([...range(50, 1050), ...range(2000, 2500)]);
  });

  it('5: lists snapshots, time-travels by id and timestamp, creates and removes refs', async () => {
    await table.refresh();
    const snaps = table.snapshots();
    expect(snaps.map((s) => s.summary.operation)).toEqual(['append', 'overwrite', 'append', 'overwrite']);
    for (const [i, s] of snaps.slice(1).entries()) expect(s.parentSnapshotId).toBe(snaps[i]!.snapshotId);
    expect(await ids({ snapshotId: snaps[0]!.snapshotId })).toEqual(range(0, 1000));
    expect((await table.toArrow({ asOf: snaps[2]!.timestampMs, columns: ['customer_id'] })).numRows).toBe(
      1550,
    );
    await table.createTag('v1', snaps[0]!.snapshotId);
    await table.createBranch('audit');
    expect((await table.toArrow({ ref: 'v1', columns: ['customer_id'] })).numRows).toBe(1000);
    await table.removeRef('audit');
    expect(Object.keys(table.metadata.refs).sort()).toEqual(['main', 'v1']);
  });

  it('6: reads only the rows appended between two snapshots', async () => {
    const [s0, , s2] = table.snapshots();
    const t = await table.readAppended(s0!.snapshotId, s2!.snapshotId, { columns: ['customer_id'] });
    expect(t.numRows).toBe(500);
  });

  it('PyIceberg reads the lakekit table identically', async () => {
    const py = pyRead(`${ns}.customers`);
    expect(py.schema).toEqual(schemaToJson(table.schema()));
    const ours = rowsToJson(await table.toArrow(), table.schema().fields);
    expect(sortBy(py.rows, 'customer_id')).toEqual(sortBy(ours, 'customer_id'));
  });

  it('7 and 8: schema and partition evolution; old files read by id, planning prunes across specs', async () => {
    const evo = await createIcebergTable(catalog, ns, 'evolving', {
      schema: customersSchema,
      partitionBy: [{ source: 'registration_date', transform: 'month' }],
      s3: s3(),
    });
    await evo.append(range(0, 50).map((i) => customerRow(i)));
    await evo.updateSchema({
      add: [{ name: 'tier', type: 'string' }],
      rename: { name: 'full_name' },
      drop: ['payload'],
      widen: { visits: 'long' },
      order: ['visits', 'customer_id'],
    });
    await evo.updateSpec([{ source: 'customer_id', transform: 'bucket[8]' }]);
    await evo.append(
      range(100, 120).map((i) => {
        const { name, payload, ...rest } = customerRow(i);
        void payload;
        return { ...rest, full_name: name, tier: 'gold', visits: BigInt(i) };
      }),
    );
    const t = await evo.toArrow();
    expect(t.numRows).toBe(70);
    expect(t.schema.fields.slice(0, 2).map((f) => `${f.name}:${f.type}`)).toEqual([
      'visits:Int64',
      'customer_id:Int64',
    ]);
    const old = rowsToJson(await evo.toArrow({ filter: eq('customer_id', 7) }), evo.schema().fields)[0]!;
    expect(old).toMatchObject({ customer_id: 7, full_name: 'customer-7', visits: 21, tier: null });
    const plan = await evo.planFiles({ filter: eq('customer_id', 110) });
    expect(plan.tasks.length).toBe(1);
    const march = await evo.planFiles({ filter: gtEq('registration_date', '2024-12-01') });
    expect(march.tasks.every((x) => x.file.specId === 1 || x.file.partition[0] === 659)).toBe(true);
    const py = pyRead(`${ns}.evolving`);
    expect(py.rows).toHaveLength(70);
  });

  it('reads a table PyIceberg wrote (appends, overwrite, delete, schema evolution) identically', async () => {
    const out = execFileSync(
      env('LAKEKIT_PYTHON'),
      [`${ROOT}/scripts/fixtures/iceberg/write_rest_table.py`, ns, 'from_pyiceberg'],
      { encoding: 'utf8', env: { ...process.env, ...liveEnv }, maxBuffer: 64 << 20 },
    );
    const py = JSON.parse(out) as {
      schema: Record<string, unknown>;
      snapshots: string[];
      rows: Record<string, unknown>[];
    };
    const t = await loadIcebergTable(catalog, { namespace: ns, name: 'from_pyiceberg' }, { s3: s3() });
    // PyIceberg always writes identifier-field-ids; lakekit (like Java) omits an empty list.
    expect({ 'identifier-field-ids': [], ...schemaToJson(t.schema()) }).toEqual(py.schema);
    expect(t.snapshots().map((s) => s.summary.operation)).toEqual(py.snapshots);
    const ours = rowsToJson(await t.toArrow(), t.schema().fields);
    expect(ours).toHaveLength(py.rows.length);
    expect(sortBy(ours, 'id')).toEqual(sortBy(py.rows, 'id'));
  });
});
