import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { eq, gtEq } from '../../../src/iceberg/table/expressions.js';
import { localFileIO } from '../../../src/iceberg/table/io.js';
import { buildPartitionSpec } from '../../../src/iceberg/table/metadata.js';
import { IcebergTable } from '../../../src/iceberg/table/table.js';
import { makeSchema, optional, required } from '../../../src/iceberg/table/types.js';
import { MemoryCatalog } from './memory-catalog.js';
import { rowsToJson, sortBy } from './normalize.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function fresh() {
  const dir = mkdtempSync(join(tmpdir(), 'lakekit-evo-'));
  dirs.push(dir);
  const schema = makeSchema([
    required(1, 'id', 'int'),
    optional(2, 'name', 'string'),
    optional(3, 'price', 'float'),
    optional(4, 'day', 'date'),
    optional(5, 'obsolete', 'string'),
  ]);
  const cat = MemoryCatalog.create(
    `file://${dir}`,
    schema,
    buildPartitionSpec(schema, [{ source: 'name', transform: 'truncate[1]' }]),
  );
  return { cat, table: new IcebergTable(cat.metadata, localFileIO(), cat) };
}

describe('schema evolution (scenario 7)', () => {
  it('add, rename, drop, widen and reorder; old files read by field id', async () => {
    const { table } = fresh();
    await table.append(
      Array.from({ length: 6 }, (_, i) => ({
        id: i,
        name: `n${i}`,
        price: i / 2,
        day: `2024-01-0${i + 1}`,
        obsolete: 'x',
      })),
    );
    const s = await table.updateSchema({
      add: [{ name: 'extra', type: 'long' }],
      rename: { name: 'label' },
      drop: ['obsolete'],
      widen: { id: 'long', price: 'double' },
      order: ['day', 'id'],
    });
    expect(s.fields.map((f) => `${f.id}:${f.name}:${f.type}`)).toEqual([
      '4:day:date',
      '1:id:long',
      '2:label:string',
      '3:price:double',
      '6:extra:long',
    ]);
    await table.append([{ id: 2n ** 40n, label: 'new', price: 0.1, day: '2024-02-01', extra: 7n }]);
    const t = await table.toArrow();
    expect(t.schema.fields.map((f) => `${f.name}:${f.type}`)).toEqual([
      'day:Date32<DAY>',
      'id:Int64',
      'label:LargeUtf8',
      'price:Float64',
      'extra:Int64',
    ]);
    const rows = sortBy(rowsToJson(t, s.fields), 'id');
    expect(rows[0]).toEqual({ day: '2024-01-01', id: 0, label: 'n0', price: 0, extra: null });
    expect(rows[5]).toEqual({ day: '2024-01-06', id: 5, label: 'n5', price: 2.5, extra: null });
    expect(rows[6]).toEqual({ day: '2024-02-01', id: 2 ** 40, label: 'new', price: 0.1, extra: 7 });
    // Filters bind to the new names; the old partition spec (truncate of `name`) still prunes.
    const plan = await table.planFiles({ filter: eq('label', 'n3') });
    expect(plan.tasks).toHaveLength(1);
    expect((await table.toArrow({ filter: eq('label', 'n3') })).numRows).toBe(1);
    await expect(table.updateSchema({ widen: { label: 'long' } })).rejects.toThrow(/cannot be widened/);
    await expect(table.updateSchema({ drop: ['nope'] })).rejects.toThrow(/"nope"/);
  });
});

describe('partition evolution (scenario 8)', () => {
  it('planning prunes across the old and the new spec', async () => {
    const { table } = fresh();
    await table.append(
      Array.from({ length: 9 }, (_, i) => ({ id: i, name: `${'abc'[i % 3]}${i}`, day: `2024-01-0${i + 1}` })),
    );
    const spec = await table.updateSpec([
      { source: 'day', transform: 'day' },
      { source: 'id', transform: 'bucket[4]' },
    ]);
    expect(spec.specId).toBe(1);
    expect(spec.fields.map((f) => [f.name, f.fieldId])).toEqual([
      ['day_day', 1001],
      ['id_bucket', 1002],
    ]);
    await table.append(
      Array.from({ length: 9 }, (_, i) => ({ id: 100 + i, name: `z${i}`, day: `2024-03-0${i + 1}` })),
    );
    const all = await table.planFiles();
    expect(new Set(all.tasks.map((t) => t.file.specId))).toEqual(new Set([0, 1]));
    // day filter: old-spec files cannot prune by day (no partition on it) but column stats can.
    const march = await table.planFiles({ filter: gtEq('day', '2024-03-05') });
    expect(march.tasks.every((t) => t.file.specId === 1)).toBe(true);
    expect(march.tasks.length).toBe(5);
    const rows = await table.toArrow({ filter: gtEq('day', '2024-03-05') });
    expect(rows.numRows).toBe(5);
    // name filter: prunes old-spec files by truncate[1], new-spec files by stats.
    const a = await table.planFiles({ filter: eq('name', 'a3') });
    expect(a.tasks).toHaveLength(1);
    expect(a.tasks[0]!.file.specId).toBe(0);
  });
});
