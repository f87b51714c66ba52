import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { eq, gtEq, isNull, lt } from '../../../src/iceberg/table/expressions.js';
import { parseTableMetadata, schemaOf, type TableMetadata } from '../../../src/iceberg/table/metadata.js';
import { planToArrow, projectedColumns } from '../../../src/iceberg/table/read.js';
import { planAppendedFiles, planFiles } from '../../../src/iceberg/table/scan.js';
import { expected, fixtureIO, latestMetadataFile } from './fixtures.js';
import { rowsToJson, sortBy } from './normalize.js';

function load(name: string): TableMetadata {
  const f = latestMetadataFile(name);
  return parseTableMetadata(readFileSync(f, 'utf8'), f);
}

describe('reading PyIceberg tables', () => {
  for (const name of ['customers', 'evolved', 'v1']) {
    const exp = expected(name);
    const md = load(name);
    const key = name === 'customers' ? 'customer_id' : name === 'evolved' ? 'id' : 'k';

    it(`${name}: current snapshot rows equal PyIceberg's`, async () => {
      const plan = await planFiles(md, fixtureIO);
      const t = await planToArrow(fixtureIO, plan);
      expect(t.numRows).toBe(exp.current_rows.length);
      const rows = rowsToJson(t, schemaOf(md).fields);
      const want = exp.current_rows;
      if (name === 'v1') expect(rows.sort(cmpJson)).toEqual([...want].sort(cmpJson));
      else expect(sortBy(rows, key)).toEqual(sortBy(want, key));
    });

    it(`${name}: every snapshot reads as PyIceberg read it (time travel by id)`, async () => {
      for (const s of exp.snapshots) {
        const plan = await planFiles(md, fixtureIO, { snapshotId: BigInt(s.snapshot_id) });
        const t = await planToArrow(fixtureIO, plan);
        const rows = rowsToJson(t, plan.schema.fields);
        expect(rows.length, `snapshot ${s.snapshot_id}`).toBe(s.rows.length);
        expect(rows.sort(cmpJson)).toEqual([...s.rows].sort(cmpJson));
      }
    });
  }

  it('plans the same data files as PyIceberg', async () => {
    const md = load('customers');
    const plan = await planFiles(md, fixtureIO);
    const exp = expected('customers');
    expect(
      plan.tasks
        .map((t) => t.file.filePath.replace('file:///tmp/lakekit-iceberg-fixtures/warehouse', 'file://'))
        .sort(),
    ).toEqual(exp.data_files.map((f) => f.replace(/^file:\/\//, 'file://')).sort());
  });

  it('prunes by partition (month of registration_date) and by column stats, and filters residual rows', async () => {
    const md = load('customers');
    const all = await planFiles(md, fixtureIO);
    const march = await planFiles(md, fixtureIO, { filter: eq('registration_date', '2024-03-12') });
    expect(march.tasks.length).toBeGreaterThan(0);
    expect(march.tasks.length).toBeLessThan(all.tasks.length);
    const t = await planToArrow(fixtureIO, march);
    const want = expected('customers').current_rows.filter((r) => r.registration_date === '2024-03-12');
    expect(t.numRows).toBe(want.length);
    // Stats pruning: no file holds customer_id ≥ 10_000.
    const none = await planFiles(md, fixtureIO, { filter: gtEq('customer_id', 10_000) });
    expect(none.tasks).toHaveLength(0);
    expect(none.metrics.filesSkipped).toBe(none.metrics.files);
    const nulls = await planToArrow(fixtureIO, await planFiles(md, fixtureIO, { filter: isNull('name') }), {
      columns: ['customer_id', 'name'],
    });
    expect(nulls.numRows).toBe(expected('customers').current_rows.filter((r) => r.name === null).length);
    expect(nulls.schema.fields.map((f) => f.name)).toEqual(['customer_id', 'name']);
  });

  it('time travel by ref and timestamp', async () => {
    const md = load('customers');
    const exp = expected('customers');
    const tag = await planToArrow(fixtureIO, await planFiles(md, fixtureIO, { ref: 'first-two' }));
    expect(tag.numRows).toBe(exp.snapshots[1]?.rows.length);
    const s0 = exp.snapshots[0]!;
    const asOf = await planToArrow(fixtureIO, await planFiles(md, fixtureIO, { asOf: s0.timestamp_ms }));
    expect(asOf.numRows).toBe(s0.rows.length);
  });

  it('incremental read returns only rows appended between two snapshots', async () => {
    const md = load('customers');
    const exp = expected('customers');
    const [s0, s1] = exp.snapshots;
    const plan = await planAppendedFiles(md, fixtureIO, BigInt(s0!.snapshot_id), BigInt(s1!.snapshot_id));
    const t = await planToArrow(fixtureIO, plan, { columns: ['customer_id'] });
    const ids = rowsToJson(t, [schemaOf(md).fields[0]!]).map((r) => r.customer_id);
    expect(ids.sort((a, b) => (a as number) - (b as number))).toEqual(
      Array.from({ length: 20 }, (_, i) => 40 + i),
    );
  });

  it('evolved table: renamed, dropped, widened and added columns read by field id across both specs', async () => {
    const md = load('evolved');
    // id widened int→long; old files hold int32, new ones int64, with ids ≥ 2^40.
    const plan = await planFiles(md, fixtureIO, { filter: lt('id', 5) });
    const t = await planToArrow(fixtureIO, plan);
    const rows = sortBy(rowsToJson(t, schemaOf(md).fields), 'id');
    expect(rows.map((r) => r.id)).toEqual([0, 1, 2, 3, 4]);
    expect(rows[0]).toEqual({ ts: '2024-01-01T00:00:00', id: 0, label: 'n0', price: 0, extra: null });
    expect(t.schema.fields.map((f) => `${f.name}:${f.type}`)).toEqual([
      'ts:Timestamp<MICROSECOND>',
      'id:Int64',
      'label:LargeUtf8',
      'price:Float64',
      'extra:Int64',
    ]);
    // A filter on the new-spec partition column (bucket of id) prunes new files only.
    const big = await planFiles(md, fixtureIO, { filter: eq('id', 2 ** 40 + 3) });
    const bigRows = await planToArrow(fixtureIO, big);
    expect(bigRows.numRows).toBe(1);
    expect(big.tasks.length).toBeLessThan((await planFiles(md, fixtureIO)).tasks.length);
  });

  it('evolved table: a projected read finds a renamed column in old files by field id and decodes only it', async () => {
    const md = load('evolved');
    const plan = await planFiles(md, fixtureIO);
    const t = await planToArrow(fixtureIO, plan, { columns: ['label', 'id'] });
    expect(t.schema.fields.map((f) => `${f.name}:${f.type}`)).toEqual(['label:LargeUtf8', 'id:Int64']);
    const want = expected('evolved').current_rows.map((r) => ({ label: r.label, id: r.id }));
    const fields = schemaOf(md).fields;
    const got = rowsToJson(t, [fields[2]!, fields[1]!]);
    expect(sortBy(got, 'id')).toEqual(sortBy(want, 'id'));
    // The first-schema files (PyIceberg-written) call field 2 `name`: the projection names it so,
    // and leaves out price, ts and the dropped `obsolete` column.
    const old = plan.tasks.find((x) => x.file.filePath.includes('name_trunc='));
    expect(old).toBeDefined();
    const bytes = await fixtureIO.read(old!.file.filePath);
    expect(projectedColumns(bytes, new Set([2, 1]))).toEqual(['id', 'name']);
    expect(projectedColumns(bytes, new Set([6]))).toBeUndefined(); // added later: not in the file
    expect(projectedColumns(bytes, new Set([1, 2, 3, 4, 5]))).toBeUndefined(); // all: full decode
  });

  it('evolved table: a filter on price (widened float→double) plans over old 4-byte float bounds', async () => {
    const md = load('evolved');
    const plan = await planFiles(md, fixtureIO, { filter: lt('price', 1) });
    const t = await planToArrow(fixtureIO, plan);
    const want = expected('evolved').current_rows.filter((r) => (r.price as number) < 1);
    expect(want.length).toBeGreaterThan(0);
    expect(sortBy(rowsToJson(t, schemaOf(md).fields), 'id')).toEqual(sortBy(want, 'id'));
  });

  it('a projected read with a filter on an unselected column still filters by it', async () => {
    const md = load('evolved');
    const plan = await planFiles(md, fixtureIO, { filter: lt('id', 5) });
    const t = await planToArrow(fixtureIO, plan, { columns: ['label'] });
    expect(t.schema.fields.map((f) => f.name)).toEqual(['label']);
    const want = expected('evolved')
      .current_rows.filter((r) => (r.id as number) < 5)
      .map((r) => r.label)
      .sort();
    const got = rowsToJson(t, [schemaOf(md).fields[2]!]).map((r) => r.label);
    expect(want.length).toBeGreaterThan(0);
    expect(want.length).toBeLessThan(expected('evolved').current_rows.length);
    expect(got.sort()).toEqual(want);
  });

  it('rejects a filter on an unknown column, naming it', async () => {
    await expect(planFiles(load('customers'), fixtureIO, { filter: eq('nope', 1) })).rejects.toThrow(
      /unknown column "nope"/,
    );
  });
});

/** Key-order-independent JSON text (the expected files were written with sorted keys). */
function stable(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stable).join(',')}]`;
  if (v && typeof v === 'object')
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stable((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v);
}
function cmpJson(a: unknown, b: unknown): number {
  const x = stable(a);
  const y = stable(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
