import { afterAll, describe, expect, it } from 'vitest';
import { openDeltaTable } from '../../src/delta/index.js';
import { cleanupScratch, expectedOf, normalizeRows, prepareFixture, sortRows } from './fixtures.js';

afterAll(cleanupScratch);

describe('data skipping and filtered reads', () => {
  it('partition filters skip files and keep exactly the matching rows', async () => {
    const expected = expectedOf('rs-partitioned').snapshots[1]!;
    const snap = await (await openDeltaTable(prepareFixture('rs-partitioned'))).snapshot();
    const files = snap.files({ filter: [['region', '=', 'eu']] });
    expect(files.map((f) => f.key).sort()).toEqual(expected.files.filter((f) => f.startsWith('region=eu/')));
    expect(files.every((f) => f.partitionValues.region === 'eu')).toBe(true);
    const rows = normalizeRows(await snap.toArrow({ filter: [['year', '>=', 2025]] }));
    expect(rows).toEqual(sortRows(expected.rows.filter((r) => Number(r.year) >= 2025)));
  });

  it('null partition values are typed nulls and match "is null"', async () => {
    const expected = expectedOf('rs-partitioned').snapshots[1]!;
    const snap = await (await openDeltaTable(prepareFixture('rs-partitioned'))).snapshot();
    const nullFiles = snap.files({ filter: [['region', 'is null']] });
    expect(nullFiles.length).toBe(
      expected.files.filter((f) => f.includes('__HIVE_DEFAULT_PARTITION__')).length,
    );
    expect(
      nullFiles.every((f) => f.partitionValues.region === null && typeof f.partitionValues.year === 'number'),
    ).toBe(true);
    const rows = normalizeRows(await snap.toArrow({ filter: [['region', 'is null']] }));
    expect(rows).toEqual(sortRows(expected.rows.filter((r) => r.region === null)));
  });

  it('min/max statistics skip files that cannot match, without losing rows', async () => {
    const expected = expectedOf('rs-checkpoint').snapshots[5]!;
    const snap = await (await openDeltaTable(prepareFixture('rs-checkpoint'))).snapshot();
    const all = snap.files();
    const kept = snap.files({ filter: [['id', '>', 40]] });
    expect(kept.length).toBeLessThan(all.length);
    for (const f of all) expect(f.stats?.numRecords).toBeGreaterThan(0);
    const rows = normalizeRows(await snap.toArrow({ filter: [['id', '>', 40]], columns: ['id', 'name'] }));
    expect(rows).toEqual(
      sortRows(expected.rows.filter((r) => Number(r.id) > 40).map((r) => ({ id: r.id, name: r.name }))),
    );
  });

  it('column projection returns the requested columns in order, deletion vectors applied', async () => {
    const expected = expectedOf('spark-deletion-vectors');
    const last = expected.snapshots.at(-1)!;
    const snap = await (await openDeltaTable(prepareFixture('spark-deletion-vectors'))).snapshot();
    expect(snap.files().some((f) => f.deletionVector?.storageType === 'u')).toBe(true);
    const table = await snap.toArrow({ columns: ['name', 'id'] });
    expect(table.schema.fields.map((f) => f.name)).toEqual(['name', 'id']);
    expect(normalizeRows(table)).toEqual(sortRows(last.rows.map((r) => ({ name: r.name, id: r.id }))));
  });

  it('batches() streams the same rows as toArrow()', async () => {
    const snap = await (await openDeltaTable(prepareFixture('spark-column-mapping-name'))).snapshot();
    let n = 0;
    for await (const b of snap.batches()) n += b.numRows;
    expect(n).toBe((await snap.toArrow()).numRows);
    expect(n).toBe(expectedOf('spark-column-mapping-name').snapshots.at(-1)!.rows.length);
  });
});
