import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeData, RecordBatch, Struct } from 'apache-arrow';
import { afterEach, describe, expect, it } from 'vitest';
import { buildColumn, schemaToArrow } from '../../../src/iceberg/table/arrow.js';
import { localFileIO } from '../../../src/iceberg/table/io.js';
import {
  type DataFile,
  EntryStatus,
  FileContent,
  readManifestList,
  writeManifest,
  writeManifestList,
} from '../../../src/iceberg/table/manifest.js';
import { IcebergTable } from '../../../src/iceberg/table/table.js';
import { makeSchema, type NestedField, optional, required } from '../../../src/iceberg/table/types.js';
import { encodeParquet } from '../../../src/iceberg/table/write.js';
import { MemoryCatalog } from './memory-catalog.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const io = localFileIO();
const schema = makeSchema([required(1, 'id', 'long'), optional(2, 'name', 'string')]);

function batchOf(fields: NestedField[], cols: unknown[][]): RecordBatch {
  const s = schemaToArrow({ fields });
  const children = fields.map((f, i) => buildColumn(f, cols[i] as unknown[]));
  return new RecordBatch(
    s,
    makeData({ type: new Struct(s.fields), length: cols[0]!.length, nullCount: 0, children }),
  );
}

async function deleteFile(
  path: string,
  content: FileContent,
  batch: RecordBatch,
  equalityIds?: number[],
): Promise<DataFile> {
  const bytes = encodeParquet(batch);
  await io.write(path, bytes);
  return {
    content,
    filePath: path,
    fileFormat: 'PARQUET',
    partition: [],
    specId: 0,
    recordCount: batch.numRows,
    fileSizeInBytes: bytes.byteLength,
    ...(equalityIds ? { equalityIds } : {}),
  };
}

describe('row-level deletes (merge-on-read files written by other engines)', () => {
  it('applies position deletes (seq ≥ data) and equality deletes (seq > data only)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lakekit-del-'));
    dirs.push(dir);
    const cat = MemoryCatalog.create(`file://${dir}`, schema);
    const table = new IcebergTable(cat.metadata, io, cat);
    await table.append(Array.from({ length: 10 }, (_, i) => ({ id: BigInt(i), name: `n${i}` })));
    const dataPath = (await table.planFiles()).tasks[0]!.file.filePath;

    // Position deletes for rows 1 and 3 (reserved field ids 2147483546/2147483545), plus a row of
    // another file that must not matter; equality delete of id = 5.
    const pos = await deleteFile(
      `file://${dir}/data/pos-1.parquet`,
      FileContent.PositionDeletes,
      batchOf(
        [required(2147483546, 'file_path', 'string'), required(2147483545, 'pos', 'long')],
        [
          [dataPath, dataPath, 'file:///elsewhere.parquet'],
          [1n, 3n, 0n],
        ],
      ),
    );
    const eqDel = await deleteFile(
      `file://${dir}/data/eq-1.parquet`,
      FileContent.EqualityDeletes,
      batchOf([required(1, 'id', 'long')], [[5n]]),
      [1],
    );
    const seq = 2;
    const snapId = 777n;
    const entries = [pos, eqDel].map((f) => ({
      status: EntryStatus.Added,
      snapshotId: snapId,
      sequenceNumber: seq,
      fileSequenceNumber: seq,
      dataFile: f,
    }));
    const spec = cat.metadata.partitionSpecs[0]!;
    const mBytes = writeManifest(2, entries, spec, schema, 'deletes');
    const mPath = `file://${dir}/metadata/deletes-m0.avro`;
    await io.write(mPath, mBytes);
    const parent = table.currentSnapshot()!;
    const parentManifests = readManifestList(await io.read(parent.manifestList), parent.manifestList);
    const listPath = `file://${dir}/metadata/snap-777.avro`;
    await io.write(
      listPath,
      writeManifestList(
        2,
        [
          ...parentManifests,
          {
            manifestPath: mPath,
            manifestLength: mBytes.byteLength,
            partitionSpecId: 0,
            content: 1,
            sequenceNumber: seq,
            minSequenceNumber: seq,
            addedSnapshotId: snapId,
            addedFilesCount: 2,
            existingFilesCount: 0,
            deletedFilesCount: 0,
            addedRowsCount: 4,
            existingRowsCount: 0,
            deletedRowsCount: 0,
          },
        ],
        { snapshotId: snapId, parentSnapshotId: parent.snapshotId, sequenceNumber: seq },
      ),
    );
    await cat.commit({
      requirements: [],
      updates: [
        {
          action: 'add-snapshot',
          snapshot: {
            'snapshot-id': snapId,
            'parent-snapshot-id': parent.snapshotId,
            'sequence-number': seq,
            'timestamp-ms': Date.now(),
            'manifest-list': listPath,
            summary: { operation: 'delete' },
          },
        },
        { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': snapId },
      ],
    });
    await table.refresh();
    const ids = async () =>
      Array.from(
        (await table.toArrow({ columns: ['id'] })).getChild('id')!.toArray() as BigInt64Array,
        Number,
      ).sort((a, b) => a - b);
    expect(await ids()).toEqual([0, 2, 4, 6, 7, 8, 9]);
    const plan = await table.planFiles();
    expect(plan.tasks[0]!.deletes.map((d) => d.file.content).sort()).toEqual([1, 2]);

    // A later data file with id 5 (seq 3) is not affected by the older equality delete.
    await table.append([{ id: 5n, name: 'again' }]);
    expect(await ids()).toEqual([0, 2, 4, 5, 6, 7, 8, 9]);
    // Copy-on-write delete on top of delete files rewrites the file with the deletes applied.
    await table.delete({ op: 'in', column: 'id', values: [0, 9] });
    expect(await ids()).toEqual([2, 4, 5, 6, 7, 8]);
  });

  it('writes merge-on-read position deletes (v2) that later reads apply', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lakekit-mor-'));
    dirs.push(dir);
    const cat = MemoryCatalog.create(`file://${dir}`, schema);
    const table = new IcebergTable(cat.metadata, io, cat);
    await table.append(Array.from({ length: 10 }, (_, i) => ({ id: BigInt(i), name: `n${i}` })));
    await table.append([{ id: 100n, name: 'solo' }]);
    const before = (await table.planFiles()).tasks.map((t) => t.file.filePath).sort();
    const r = await table.delete(
      {
        op: 'or',
        left: { op: 'in', column: 'id', values: [2, 4] },
        right: { op: 'eq', column: 'id', value: 100 },
      },
      { mode: 'merge-on-read' },
    );
    expect(r.deletedRows).toBe(3);
    expect(r.snapshot?.summary).toMatchObject({
      operation: 'delete',
      'added-position-deletes': '2',
      'deleted-data-files': '1',
    });
    const ids = async () =>
      Array.from(
        (await table.toArrow({ columns: ['id'] })).getChild('id')!.toArray() as BigInt64Array,
        Number,
      ).sort((a, b) => a - b);
    expect(await ids()).toEqual([0, 1, 3, 5, 6, 7, 8, 9]);
    const plan = await table.planFiles();
    // The 10-row file stays (with a position delete file); the fully deleted 1-row file is dropped.
    expect(plan.tasks.map((t) => t.file.filePath)).toEqual(
      before.filter((p) => plan.tasks.some((t) => t.file.filePath === p)),
    );
    expect(plan.tasks).toHaveLength(1);
    expect(plan.tasks[0]!.deletes.map((d) => d.file.content)).toEqual([FileContent.PositionDeletes]);
    await expect(
      new IcebergTable(
        MemoryCatalog.create(`file://${dir}/v1`, schema, undefined, undefined, 1).metadata,
        io,
        cat,
      ).delete({ op: 'eq', column: 'id', value: 1 }, { mode: 'merge-on-read' }),
    ).rejects.toThrow(/format version 2/);
  });
});
