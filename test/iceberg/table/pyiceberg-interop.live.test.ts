/**
 * Interoperability with PyIceberg on a local warehouse: a table written by lakekit (append,
 * upsert, delete, nested and logical types) is read by PyIceberg's own reader with identical rows
 * and schema. Needs only `LAKEKIT_PYTHON` (a python with pyiceberg[pyarrow]).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { eq, lt } from '../../../src/iceberg/table/expressions.js';
import { localFileIO } from '../../../src/iceberg/table/io.js';
import { IcebergTable } from '../../../src/iceberg/table/table.js';
import { schemaToJson } from '../../../src/iceberg/table/types.js';
import { describeLive, env, ROOT } from '../../support/live.js';
import { MemoryCatalog } from './memory-catalog.js';
import { rowsToJson, sortBy } from './normalize.js';
import { customerRow, customersOrder, customersSchema, customersSpec } from './scenario.js';

const dir = mkdtempSync(join(tmpdir(), 'lakekit-interop-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function pyRead(
  metadataFile: string,
  snapshotId?: bigint,
): { schema: unknown; rows: Record<string, unknown>[]; snapshots: { operation: string }[] } {
  const out = execFileSync(
    env('LAKEKIT_PYTHON'),
    [
      join(ROOT, 'scripts/fixtures/iceberg/read_table.py'),
      metadataFile,
      ...(snapshotId ? [snapshotId.toString()] : []),
    ],
    { encoding: 'utf8', maxBuffer: 64 << 20 },
  );
  return JSON.parse(out);
}

describeLive(['python'], 'PyIceberg reads tables lakekit wrote', () => {
  it('identical rows and schema after append, upsert and delete', { timeout: 120_000 }, async () => {
    const cat = MemoryCatalog.create(`file://${dir}`, customersSchema, customersSpec, customersOrder);
    const table = new IcebergTable(cat.metadata, localFileIO(), cat);
    const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);
    const first = await table.append(range(0, 300).map((i) => customerRow(i)));
    await table.upsert(
      range(280, 320).map((i) => customerRow(i, 2)),
      { keys: ['customer_id'] },
    );
    await table.delete(lt('customer_id', 25));
    await table.delete(eq('customer_id', 100), { mode: 'merge-on-read' });

    const py = pyRead(cat.metadataFile);
    expect(py.schema).toEqual(schemaToJson(customersSchema));
    expect(py.snapshots.map((s) => s.operation)).toEqual(['append', 'overwrite', 'overwrite', 'delete']);
    const ours = rowsToJson(await table.toArrow(), customersSchema.fields);
    expect(py.rows).toHaveLength(294);
    expect(sortBy(py.rows, 'customer_id')).toEqual(sortBy(ours, 'customer_id'));
    // Time travel in PyIceberg to lakekit's first snapshot.
    const old = pyRead(cat.metadataFile, first.snapshotId);
    expect(old.rows).toHaveLength(300);
  });
});
