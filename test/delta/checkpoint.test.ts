/**
 * Parquet checkpoints as other writers lay them out: dictionary or plain strings, compressed or
 * not, data page v1 or v2, several row groups, metaData/protocol rows after the adds, tombstones,
 * deletion vectors and files without statistics. The reader projects columns, decodes `add.stats`
 * lazily and keeps adds columnar; every variant must give the same snapshot. The raw-bytes reader
 * (raw-columns.ts) takes most of these layouts: INT64 / BOOLEAN columns with nulls, plain or
 * dictionary encoded, and MAP columns with null values, empty and null maps, are checked per row.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  Bool,
  Field,
  Int32,
  Int64,
  List,
  Map_,
  Struct,
  Table,
  tableToIPC,
  Utf8,
  vectorFromArray,
} from 'apache-arrow';
import {
  Compression,
  Encoding,
  Table as WasmTable,
  WriterPropertiesBuilder,
  WriterVersion,
  writeParquet,
} from 'parquet-wasm/node';
import { afterAll, describe, expect, it } from 'vitest';
import { DeltaError, openDeltaTable } from '../../src/delta/index.js';
import { createLocalStore, type ObjectStore, StorageError } from '../../src/storage/index.js';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) if (!process.env.KEEP) rmSync(d, { recursive: true, force: true });
});

const N = 3000;
const str = (name: string, nullable = true): Field<Utf8> => new Field(name, new Utf8(), nullable);
const stringMap = (name: string): Field =>
  new Field(
    name,
    new Map_(
      new Field(
        'key_value',
        new Struct<{ key: Utf8; value: Utf8 }>([str('key', false), str('value')]),
        false,
      ),
    ),
    true,
  );
const dvType = new Struct([
  str('storageType', false),
  str('pathOrInlineDv', false),
  new Field('offset', new Int32(), true),
  new Field('sizeInBytes', new Int32(), false),
  new Field('cardinality', new Int64(), false),
]);
const addType = new Struct([
  str('path', false),
  stringMap('partitionValues'),
  new Field('size', new Int64(), false),
  new Field('modificationTime', new Int64(), false),
  new Field('dataChange', new Bool(), false),
  str('stats'),
  stringMap('tags'),
  new Field('deletionVector', dvType, true),
  new Field('baseRowId', new Int64(), true),
]);
const metaType = new Struct([
  str('id', false),
  new Field('format', new Struct([str('provider', false)]), false),
  str('schemaString', false),
  new Field('partitionColumns', new List(new Field('element', new Utf8(), false)), false),
  stringMap('configuration'),
]);
const protocolType = new Struct([
  new Field('minReaderVersion', new Int32(), false),
  new Field('minWriterVersion', new Int32(), false),
]);
const removeType = new Struct([str('path', false), new Field('dataChange', new Bool(), false)]);

const SCHEMA = JSON.stringify({
  type: 'struct',
  fields: [
    { name: 'id', type: 'long', nullable: true, metadata: {} },
    { name: 'part', type: 'string', nullable: true, metadata: {} },
  ],
});

/** One non-ASCII path: its batch takes the per-row decoding, the others the latin1 one. */
const pathOf = (i: number): string =>
  `part=p${i % 7}/f-${String(i).padStart(6, '0')}${i === 5 ? '-é' : ''}.parquet`;
const statsOf = (i: number): string | null =>
  i % 10 === 3
    ? null
    : `{"numRecords":${10 + (i % 5)},"minValues":{"id":${i * 10}},"maxValues":{"id":${i * 10 + 9}},"nullCount":{"id":0}}`;
/** Partition values: mostly `part`, some null, some maps without the key (an empty map). */
const partOf = (i: number): string | null => (i % 11 === 4 || i % 13 === 6 ? null : `p${i % 7}`);
const partMapOf = (i: number): Map<string, string | null> =>
  i % 13 === 6 ? new Map() : new Map([['part', partOf(i)]]);
/** Tags: null for most rows, empty for some, two entries (one null value) for others. */
const tagsOf = (i: number): Record<string, string | null> | null =>
  i % 9 === 2 ? { k: `t${i}`, n: null } : i % 9 === 5 ? {} : null;
const baseRowIdOf = (i: number): number | null => (i % 4 === 0 ? null : i * 100 + 2 ** 40);
const modTimeOf = (i: number): number => 1_700_000_000_000 + (i % 50) * 1000;
const dataChangeOf = (i: number): boolean => i % 3 !== 0;
const dvOf = (i: number) =>
  i % 500 === 7
    ? {
        storageType: 'u',
        pathOrInlineDv: `ab^-aqEH.-t@S}K{vb[*k${i % 10}`,
        offset: 1,
        sizeInBytes: 36,
        cardinality: 2n,
      }
    : null;

/** Checkpoint rows: adds, then tombstones, then protocol and metaData (not first on purpose). */
function checkpointTable(): Table {
  const rows = N + 10 + 2;
  const add: unknown[] = [];
  const remove: unknown[] = [];
  const metaData: unknown[] = [];
  const protocol: unknown[] = [];
  for (let r = 0; r < rows; r++) {
    add.push(
      r < N
        ? {
            path: pathOf(r),
            partitionValues: partMapOf(r),
            size: BigInt(1000 + r),
            modificationTime: BigInt(modTimeOf(r)),
            dataChange: dataChangeOf(r),
            stats: statsOf(r),
            tags: tagsOf(r) && new Map(Object.entries(tagsOf(r)!)),
            deletionVector: dvOf(r),
            baseRowId: baseRowIdOf(r) === null ? null : BigInt(baseRowIdOf(r)!),
          }
        : null,
    );
    remove.push(r >= N && r < N + 10 ? { path: `old-${r}.parquet`, dataChange: true } : null);
    protocol.push(r === N + 10 ? { minReaderVersion: 3, minWriterVersion: 7 } : null);
    metaData.push(
      r === N + 11
        ? {
            id: 'tid',
            format: { provider: 'parquet' },
            schemaString: SCHEMA,
            partitionColumns: ['part'],
            configuration: new Map([
              ['delta.appendOnly', 'false'],
              ['unset', null],
            ]),
          }
        : null,
    );
  }
  return new Table({
    add: vectorFromArray(add, addType),
    remove: vectorFromArray(remove, removeType),
    metaData: vectorFromArray(metaData, metaType),
    protocol: vectorFromArray(protocol, protocolType),
  });
}

function writeTable(props: WriterPropertiesBuilder): string {
  const dir = mkdtempSync(join(tmpdir(), 'lakekit-delta-cp-'));
  dirs.push(dir);
  const log = join(dir, '_delta_log');
  mkdirSync(log);
  const wasm = WasmTable.fromIPCStream(tableToIPC(checkpointTable(), 'stream'));
  writeFileSync(join(log, `${'0'.padStart(20, '0')}.checkpoint.parquet`), writeParquet(wasm, props.build()));
  // Commit 0 is what the checkpoint replaces; commit 1 removes two checkpoint files (one by its
  // deletion vector key) and adds one.
  writeFileSync(join(log, `${'0'.padStart(20, '0')}.json`), '{"commitInfo":{"timestamp":1}}\n');
  const commit1 = [
    { remove: { path: pathOf(1), dataChange: true } },
    { remove: { path: pathOf(507), dataChange: true, deletionVector: dvOf(507) } },
    // Same path as a DV file but without its DV: a different file key, removes nothing.
    { remove: { path: pathOf(1007), dataChange: true } },
    {
      add: {
        path: 'part=p0/new.parquet',
        partitionValues: { part: 'p0' },
        size: 5,
        modificationTime: 2,
        dataChange: true,
        stats: '{"numRecords":1,"minValues":{"id":-5},"maxValues":{"id":-5},"nullCount":{"id":0}}',
      },
    },
  ];
  writeFileSync(
    join(log, `${'1'.padStart(20, '0')}.json`),
    `${commit1.map((a) => JSON.stringify(a, (_k, v) => (typeof v === 'bigint' ? Number(v) : v))).join('\n')}\n`,
  );
  return dir;
}

const variants: Array<[string, () => WriterPropertiesBuilder]> = [
  ['dictionary, snappy, page v1', () => new WriterPropertiesBuilder().setCompression(Compression.SNAPPY)],
  [
    'plain strings, uncompressed, page v1, small pages, row groups',
    () =>
      new WriterPropertiesBuilder()
        .setDictionaryEnabled(false)
        .setCompression(Compression.UNCOMPRESSED)
        .setDataPageSizeLimit(4096)
        .setMaxRowGroupSize(1100),
  ],
  [
    'plain strings, snappy, page v2',
    () =>
      new WriterPropertiesBuilder()
        .setDictionaryEnabled(false)
        .setEncoding(Encoding.PLAIN)
        .setCompression(Compression.SNAPPY)
        .setWriterVersion(WriterVersion.V2)
        .setDataPageSizeLimit(4096),
  ],
  [
    'dictionary falling back to plain within a chunk',
    () => new WriterPropertiesBuilder().setDictionaryPageSizeLimit(2048).setDataPageSizeLimit(4096),
  ],
  [
    'delta byte arrays, page v2, row groups (statistics decoded eagerly)',
    () =>
      new WriterPropertiesBuilder()
        .setDictionaryEnabled(false)
        .setWriterVersion(WriterVersion.V2)
        .setMaxRowGroupSize(1100),
  ],
  [
    'dictionary, gzip, page v2',
    () =>
      new WriterPropertiesBuilder()
        .setCompression(Compression.GZIP)
        .setWriterVersion(WriterVersion.V2)
        .setDataPageSizeLimit(8192),
  ],
  ['zstd', () => new WriterPropertiesBuilder().setCompression(Compression.ZSTD)],
  [
    'lz4 (no synchronous decompressor: statistics decoded eagerly)',
    () => new WriterPropertiesBuilder().setCompression(Compression.LZ4_RAW),
  ],
];

describe('Parquet checkpoint layouts', () => {
  for (const [name, props] of variants) {
    it(`${name}: files, partition values, statistics, deletion vectors, reconciliation`, async () => {
      const snap = await (await openDeltaTable(writeTable(props()))).snapshot();
      expect(snap.version).toBe(1);
      expect(snap.protocol.minReaderVersion).toBe(3);
      expect([...snap.partitionColumns]).toEqual(['part']);
      // Rare actions are read at their rows only (raw or parquet-wasm): the same objects either way.
      expect(snap.metadata).toEqual({
        id: 'tid',
        format: { provider: 'parquet' },
        schemaString: SCHEMA,
        partitionColumns: ['part'],
        configuration: { 'delta.appendOnly': 'false' },
      });
      expect(snap.protocol).toEqual({ minReaderVersion: 3, minWriterVersion: 7 });
      const files = snap.files();
      const expected = new Set<string>();
      for (let i = 0; i < N; i++) if (i !== 1 && i !== 507) expected.add(pathOf(i));
      expected.add('part=p0/new.parquet');
      expect(files.length).toBe(expected.size);
      expect(new Set(files.map((f) => f.path))).toEqual(expected);
      const byPath = new Map(files.map((f) => [f.path, f]));
      for (const i of [0, 2, 3, 5, 13, 999, 1007, 2222, N - 1]) {
        const f = byPath.get(pathOf(i))!;
        expect(f.add.stats ?? null).toBe(statsOf(i));
        expect(f.stats?.numRecords).toBe(statsOf(i) ? 10 + (i % 5) : undefined);
        expect(f.stats?.maxValues.id).toBe(statsOf(i) ? i * 10 + 9 : undefined);
        expect(f.size).toBe(1000 + i);
        expect(f.key).toBe(pathOf(i));
        const dv = dvOf(i);
        expect(f.deletionVector).toEqual(dv ? { ...dv, cardinality: 2 } : undefined);
      }
      // Every row's fixed-width and map fields (raw decoding: nulls, dictionary, page boundaries).
      for (let i = 0; i < N; i++) {
        if (i === 1 || i === 507) continue;
        const f = byPath.get(pathOf(i))!;
        const where = `row ${i}`;
        expect(f.size, where).toBe(1000 + i);
        expect(f.modificationTime, where).toBe(modTimeOf(i));
        expect(f.dataChange, where).toBe(dataChangeOf(i));
        expect(f.add.baseRowId ?? null, where).toBe(baseRowIdOf(i));
        expect(f.add.partitionValues, where).toEqual(i % 13 === 6 ? {} : { part: partOf(i) });
        expect(f.partitionValues, where).toEqual({ part: partOf(i) });
        expect(f.tags ?? null, where).toEqual(tagsOf(i));
      }
      // Data skipping reads the lazily decoded statistics: files without stats are kept.
      const kept = snap.files({ filter: [['id', '<', 100]] }).map((f) => f.path);
      const want = [...expected].filter((p) => {
        if (p === 'part=p0/new.parquet') return true;
        const i = Number(/f-(\d+)/.exec(p)![1]);
        return statsOf(i) === null || i * 10 < 100;
      });
      expect(kept.sort()).toEqual(want.sort());
    });

    it(`${name}: number and boolean fields read first after other fields, last row first, and of superseded files`, async () => {
      const table = await openDeltaTable(writeTable(props()));
      // Version 0: the files commit 1 removes are still there; their fields are the first read.
      const old = (await table.snapshot({ version: 0 })).files();
      expect(old.length).toBe(N);
      const oldByPath = new Map(old.map((f) => [f.path, f]));
      for (const i of [507, 1]) {
        const f = oldByPath.get(pathOf(i))!;
        expect(f.dataChange).toBe(dataChangeOf(i));
        expect(f.add.baseRowId ?? null).toBe(baseRowIdOf(i));
        expect(f.size).toBe(1000 + i);
        expect(f.modificationTime).toBe(modTimeOf(i));
      }
      // Version 1, read in another order: other fields of every file first, then the number
      // columns, first decoded at the last row, every row checked from the last.
      const files = (await table.snapshot({ version: 1 })).files();
      const rows = files
        .filter((f) => f.path !== 'part=p0/new.parquet')
        .map((f) => ({ f, i: Number(/f-(\d+)/.exec(f.path)![1]) }));
      expect(rows.length).toBe(N - 2);
      for (const { f, i } of rows) {
        expect(f.partitionValues).toEqual({ part: partOf(i) });
        expect(f.add.stats ?? null).toBe(statsOf(i));
      }
      for (const { f, i } of rows.reverse()) {
        const where = `row ${i}`;
        expect(f.add.baseRowId ?? null, where).toBe(baseRowIdOf(i));
        expect(f.modificationTime, where).toBe(modTimeOf(i));
        expect(f.add.dataChange, where).toBe(dataChangeOf(i));
        expect(f.size, where).toBe(1000 + i);
        // What the add serialises to (CheckpointAdd.toJSON) reads the same columns.
        expect(JSON.parse(JSON.stringify(f.add)), where).toMatchObject({
          path: pathOf(i),
          size: 1000 + i,
          modificationTime: modTimeOf(i),
          dataChange: dataChangeOf(i),
        });
      }
      const added = files.find((f) => f.path === 'part=p0/new.parquet')!;
      expect([added.size, added.modificationTime, added.dataChange]).toEqual([5, 2, true]);
    });
  }
});

describe('checkpoint read failures', () => {
  it('a storage failure (503) while reading a checkpoint is the store’s error, not a corrupt checkpoint', async () => {
    const local = createLocalStore(writeTable(new WriterPropertiesBuilder()));
    const failing: ObjectStore = Object.assign(Object.create(local) as ObjectStore, {
      get: (key: string, opts?: Parameters<ObjectStore['get']>[1]) =>
        key.endsWith('.checkpoint.parquet') && opts?.range
          ? Promise.reject(
              new StorageError({
                message: 'S3 answered 503 SlowDown',
                kind: 'http',
                status: 503,
                retriable: true,
                store: 'file:///x',
                key,
                operation: 'get',
              }),
            )
          : local.get(key, opts),
    });
    const err = await (await openDeltaTable(failing)).snapshot().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StorageError);
    expect(err).not.toBeInstanceOf(DeltaError);
    expect((err as StorageError).status).toBe(503);
  });
});
