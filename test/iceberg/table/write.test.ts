import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eq, gtEq, lt } from '../../../src/iceberg/table/expressions.js';
import { localFileIO } from '../../../src/iceberg/table/io.js';
import { readManifest, readManifestList } from '../../../src/iceberg/table/manifest.js';
import { decodeParquet } from '../../../src/iceberg/table/read.js';
import { IcebergTable } from '../../../src/iceberg/table/table.js';
import { deserializeValue } from '../../../src/iceberg/table/values.js';
import { MemoryCatalog } from './memory-catalog.js';
import { rowsToJson } from './normalize.js';
import { customerRow, customersOrder, customersSchema, customersSpec } from './scenario.js';

let dir: string;
let cat: MemoryCatalog;
let table: IcebergTable;
const io = localFileIO();

function filesUnder(d: string): string[] {
  const out: string[] = [];
  const walk = (p: string) => {
    for (const f of readdirSync(p)) {
      const q = join(p, f);
      if (statSync(q).isDirectory()) walk(q);
      else out.push(q);
    }
  };
  walk(d);
  return out;
}
const dataFiles = () => filesUnder(join(dir, 'data')).length;
const ids = async (t: IcebergTable, opts = {}) =>
  rowsToJson(await t.toArrow({ ...opts, columns: ['customer_id'] }), [customersSchema.fields[0]!])
    .map((r) => r.customer_id as number)
    .sort((a, b) => a - b);
const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'lakekit-iceberg-'));
  cat = MemoryCatalog.create(`file://${dir}`, customersSchema, customersSpec, customersOrder);
  table = new IcebergTable(cat.metadata, io, cat, 'test.customers');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('append and read back', () => {
  it('writes 1000 rows partitioned by month and reads every value back exactly', async () => {
    const rows = range(0, 1000).map((i) => customerRow(i));
    const snap = await table.append(rows);
    expect(snap.summary.operation).toBe('append');
    expect(snap.summary['added-records']).toBe('1000');
    expect(dataFiles()).toBe(12); // one file per month of 2024
    const t = await table.toArrow();
    expect(t.numRows).toBe(1000);
    expect(t.schema.fields.map((f) => `${f.name}:${f.type}`).slice(0, 11)).toEqual([
      'customer_id:Int64',
      'name:LargeUtf8',
      'registration_date:Date32<DAY>',
      'updated_at:Timestamp<MICROSECOND>',
      'created_at:Timestamp<MICROSECOND, UTC>',
      'balance:Decimal[10e+2]',
      'active:Bool',
      'score:Float64',
      'payload:LargeBinary',
      'ref:FixedSizeBinary[16]',
      'visits:Int32',
    ]);
    const got = rowsToJson(t, customersSchema.fields).sort(
      (a, b) => (a.customer_id as number) - (b.customer_id as number),
    );
    const r7 = got[7]!;
    expect(r7).toMatchObject({
      customer_id: 7,
      name: 'customer-7',
      registration_date: '2024-03-18',
      updated_at: '2024-03-01T12:00:07.000007',
      created_at: '2023-12-31T23:07:00+00:00',
      balance: '4.59',
      active: false,
      score: 10.5,
      payload: `b64:${Buffer.from([7, 21]).toString('base64')}`,
      ref: '00000000-0000-4000-8000-000000000007',
      visits: 21,
      address: { city: 'city-3', zip: 10007 },
      tags: ['t1', 'u1'],
      attrs: [
        ['a', 7],
        ['b', null],
      ],
    });
    expect(got[3]!.name).toBeNull();
    expect(got[0]!.address).toBeNull();
  });

  it('writes manifests with partition summaries and column bounds in single-value form', async () => {
    await table.append(range(0, 100).map((i) => customerRow(i)));
    const snap = table.currentSnapshot()!;
    const list = readManifestList(await io.read(snap.manifestList), snap.manifestList);
    expect(list).toHaveLength(1);
    const m = list[0]!;
    expect(m.addedFilesCount).toBe(dataFiles());
    expect(m.addedRowsCount).toBe(100);
    expect(m.partitions?.[0]?.containsNull).toBe(false);
    // month(2024-01) = 648 … month(2024-12) = 659
    expect(deserializeValue('int', m.partitions![0]!.lowerBound!)).toBe(648);
    const entries = readManifest(await io.read(m.manifestPath), m, customersSpec, customersSchema);
    const total = entries.reduce((s, e) => s + e.dataFile.recordCount, 0);
    expect(total).toBe(100);
    for (const e of entries) {
      expect(e.sequenceNumber).toBe(1);
      expect(e.dataFile.valueCounts?.get(1)).toBe(e.dataFile.recordCount);
      expect(e.dataFile.nullValueCounts?.get(2)).toBeGreaterThanOrEqual(0);
      const lo = deserializeValue('long', e.dataFile.lowerBounds!.get(1)!) as bigint;
      const hi = deserializeValue('long', e.dataFile.upperBounds!.get(1)!) as bigint;
      expect(lo <= hi).toBe(true);
    }
    // The Parquet files carry the field ids.
    const pq = decodeParquet(await io.read(entries[0]!.dataFile.filePath), 'f');
    expect(pq.schema.fields.map((f) => f.metadata.get('PARQUET:field_id'))).toEqual(
      customersSchema.fields.map((f) => String(f.id)),
    );
  });
});

describe('the issue scenarios 2–6 on a local table', () => {
  it('append 1000, upsert 100, append 500, delete customer_id < 50, time travel, tags, incremental', async () => {
    const s1 = await table.append(range(0, 1000).map((i) => customerRow(i)));
    // Upsert: 50 existing keys (950–999) changed, 50 new keys (1000–1049).
    const up = await table.upsert(
      range(950, 1050).map((i) => customerRow(i, 1)),
      { keys: ['customer_id'] },
    );
    expect(up).toMatchObject({ updated: 50, inserted: 50 });
    const afterUpsert = await ids(table);
    expect(afterUpsert).toEqual(range(0, 1050));
    const changed = rowsToJson(
      await table.toArrow({ filter: eq('customer_id', 960) }),
      customersSchema.fields,
    );
    expect(changed).toHaveLength(1);
    expect(changed[0]!.score).toBe(960 * 1.5 + 1);
    const s3 = await table.append(range(2000, 2500).map((i) => customerRow(i)));
    const del = await table.delete(lt('customer_id', 50));
    expect(del.deletedRows).toBe(50);
    expect(await ids(table)).toEqual([...range(50, 1050), ...range(2000, 2500)]);

    // Snapshots: operation, parent chain, timestamps.
    const snaps = table.snapshots();
    expect(snaps.map((s) => s.summary.operation)).toEqual(['append', 'overwrite', 'append', 'overwrite']);
    for (const [i, s] of snaps.slice(1).entries()) expect(s.parentSnapshotId).toBe(snaps[i]!.snapshotId);
    expect(snaps.map((s) => Number(s.summary['total-records']))).toEqual([1000, 1050, 1550, 1500]);
    // Time travel by id and by timestamp.
    expect(await ids(table, { snapshotId: s1.snapshotId })).toEqual(range(0, 1000));
    expect((await table.toArrow({ asOf: s3.timestampMs, columns: ['customer_id'] })).numRows).toBe(1550);
    // Tags and branches.
    await table.createTag('before-delete', s3.snapshotId);
    await table.createBranch('audit');
    expect((await table.toArrow({ ref: 'before-delete', columns: ['customer_id'] })).numRows).toBe(1550);
    expect(table.metadata.refs.audit?.type).toBe('branch');
    await table.removeRef('audit');
    expect(table.metadata.refs.audit).toBeUndefined();
    // Incremental: only the rows appended between s1 and s3 by append snapshots.
    const inc = rowsToJson(
      await table.readAppended(s1.snapshotId, s3.snapshotId, { columns: ['customer_id'] }),
      [customersSchema.fields[0]!],
    );
    expect(inc.map((r) => r.customer_id).sort((a, b) => (a as number) - (b as number))).toEqual(
      range(2000, 2500),
    );
    // Inspect tables.
    expect(table.inspect.snapshots().numRows).toBe(4);
    expect((await table.inspect.files()).numRows).toBeGreaterThan(0);
    const parts = await table.inspect.partitions();
    expect(
      parts
        .getChild('record_count')!
        .toArray()
        .reduce((a: number, b: number) => a + b, 0),
    ).toBe(1500);
    expect(table.describe().spec).toEqual(['month(registration_date) as registration_date_month']);
  });

  it('overwrite by filter replaces only matching rows', async () => {
    await table.append(range(0, 100).map((i) => customerRow(i)));
    await table.overwrite(
      range(0, 5).map((i) => customerRow(i + 500)),
      gtEq('customer_id', 90),
    );
    expect(await ids(table)).toEqual([...range(0, 90), ...range(500, 505)]);
  });
});

describe('commit conflicts and failures', () => {
  it('retries a 409 and leaves no orphan files', async () => {
    cat.failNext = ['conflict'];
    await table.append(range(0, 10).map((i) => customerRow(i)));
    expect(await ids(table)).toEqual(range(0, 10));
    const snap = table.currentSnapshot()!;
    const listed = readManifestList(await io.read(snap.manifestList), snap.manifestList);
    const metaFiles = filesUnder(join(dir, 'metadata')).filter((f) => f.endsWith('.avro'));
    expect(metaFiles.sort()).toEqual(
      [snap.manifestList, ...listed.map((m) => m.manifestPath)].map((p) => p.replace('file://', '')).sort(),
    );
  });

  it('rebases on a concurrent append and keeps both', async () => {
    const other = new IcebergTable(cat.metadata, io, cat);
    let once = true;
    cat.beforeCommit = async () => {
      if (!once) return;
      once = false;
      delete cat.beforeCommit;
      await other.append(range(100, 110).map((i) => customerRow(i)));
    };
    await table.append(range(0, 10).map((i) => customerRow(i)));
    expect(await ids(table)).toEqual([...range(0, 10), ...range(100, 110)]);
  });

  it('gives up after max attempts with a typed error, table unchanged, files removed', async () => {
    await table.append([customerRow(1)]);
    const before = filesUnder(dir)
      .filter((f) => !f.endsWith('.json'))
      .sort();
    cat.failNext = ['conflict', 'conflict', 'conflict'];
    const err = await table
      .append([customerRow(2)], { retry: { maxAttempts: 3, baseDelayMs: 1 } })
      .catch((e) => e);
    expect(err.isCommitFailed()).toBe(true);
    expect(err.attempts).toBe(3);
    expect(
      filesUnder(dir)
        .filter((f) => !f.endsWith('.json'))
        .sort(),
    ).toEqual(before);
    expect(await ids(table)).toEqual([1]);
  });

  it('never deletes files when the commit state is unknown', async () => {
    cat.failNext = ['unknown'];
    const err = await table.append([customerRow(3)]).catch((e) => e);
    expect(err.isCommitStateUnknown()).toBe(true);
    expect(dataFiles()).toBe(1);
    expect(filesUnder(join(dir, 'metadata')).filter((f) => f.endsWith('.avro')).length).toBe(2);
  });

  it('treats an unknown commit state as success when the snapshot did land', async () => {
    cat.failNext = ['unknown-after-apply'];
    const snap = await table.append([customerRow(4)]);
    expect(table.currentSnapshot()?.snapshotId).toBe(snap.snapshotId);
    expect(await ids(table)).toEqual([4]);
  });

  it('a failed upload fails the append, even one still in flight while the rest is staged; nothing is left behind', async () => {
    // Data files upload while the manifests are staged: each case fails one write while others
    // are still in flight (delayed), so cleanup must wait for those before deleting.
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const faulty = (fail: (loc: string) => boolean, slow: (loc: string) => boolean): typeof io => ({
      ...io,
      async write(loc, bytes, opts) {
        if (slow(loc)) await sleep(60);
        if (fail(loc)) throw new Error(`injected write failure ${loc}`);
        return io.write(loc, bytes, opts);
      },
    });
    const isData = (l: string) => l.includes('/data/');
    const isList = (l: string) => /\/snap-[^/]+\.avro$/.test(l);
    for (const [fail, slow] of [
      [isData, isData], // a slow data upload fails after the manifests were written
      [isList, isData], // the manifest list fails while the data uploads are still under way
    ] as const) {
      const t = new IcebergTable(cat.metadata, faulty(fail, slow), cat, 'test.customers');
      const err = await t.append(range(0, 50).map((i) => customerRow(i))).catch((e) => e);
      expect(String(err)).toMatch(/injected write failure/);
      await sleep(100); // anything still in flight would land by now
      expect(filesUnder(dir).filter((f) => !f.endsWith('.json'))).toEqual([]);
      expect(cat.commits).toBe(0);
      expect(t.currentSnapshot()).toBeUndefined();
    }
  });

  it('cleans up on a non-retriable commit error', async () => {
    cat.failNext = ['server'];
    await expect(table.append([customerRow(3)])).rejects.toThrow(/injected bad request/);
    expect(dataFiles()).toBe(0);
  });
});

describe('bad input is a typed error naming the column or file, nothing committed', () => {
  it('rejects rows that do not match the schema', async () => {
    await expect(table.append([{ ...customerRow(1), visits: 'many' }])).rejects.toThrow(/visits/);
    await expect(table.append([{ ...customerRow(1), customer_id: null }])).rejects.toThrow(
      /customer_id is required/,
    );
    await expect(table.append([{ ...customerRow(1), extra: 1 }])).rejects.toThrow(/"extra"/);
    expect(cat.commits).toBe(0);
    expect(() => readdirSync(join(dir, 'data'))).toThrow();
  });
  it('rejects a filter on an unknown column before writing', async () => {
    await table.append([customerRow(1)]);
    await expect(table.delete(lt('nope', 3))).rejects.toMatchObject({
      code: 'UnknownColumn',
      kind: 'validation',
    });
    expect(cat.commits).toBe(1);
  });
  it('names a non-Avro manifest list and a truncated Parquet file', async () => {
    await table.append([customerRow(1)]);
    const snap = table.currentSnapshot()!;
    writeFileSync(snap.manifestList.replace('file://', ''), 'not avro at all');
    await expect(table.toArrow()).rejects.toMatchObject({
      code: 'NotAvro',
      message: expect.stringContaining(snap.manifestList),
    });
  });
  it('names a truncated Parquet file', async () => {
    await table.append([customerRow(1)]);
    const f = filesUnder(join(dir, 'data'))[0]!;
    const bytes = await io.read(f);
    writeFileSync(f, bytes.subarray(0, bytes.length - 20));
    await expect(table.toArrow()).rejects.toMatchObject({
      code: 'MalformedParquet',
      message: expect.stringContaining(f),
    });
  });
});

describe('maintenance', () => {
  it('expireSnapshots drops old snapshots and the files only they used', async () => {
    await table.append(range(0, 10).map((i) => customerRow(i)));
    await table.delete(lt('customer_id', 10)); // removes every file of the first snapshot
    await table.append(range(20, 25).map((i) => customerRow(i)));
    const before = dataFiles();
    const expired = await table.expireSnapshots({ olderThanMs: Date.now() + 1, retainLast: 1 });
    expect(expired).toHaveLength(2);
    expect(table.snapshots()).toHaveLength(1);
    expect(dataFiles()).toBeLessThan(before);
    expect(await ids(table)).toEqual(range(20, 25));
  });
});

describe('file metrics', () => {
  it('bounds and counts from the column buffers equal the per-value ones (struct children take that path)', async () => {
    const { computeMetrics, toTableBatch } = await import('../../../src/iceberg/table/write.js');
    const { makeSchema, optional } = await import('../../../src/iceberg/table/types.js');
    const prims = (base: number) => [
      optional(base + 1, 'l', 'long'),
      optional(base + 2, 'd', 'double'),
      optional(base + 3, 's', 'string'),
      optional(base + 4, 'day', 'date'),
      optional(base + 5, 'ts', 'timestamptz'),
      optional(base + 6, 'b', 'binary'),
      optional(base + 7, 'i', 'int'),
      optional(base + 8, 'f', 'float'),
    ];
    const schema = makeSchema([...prims(0), optional(100, 'nested', { type: 'struct', fields: prims(100) })]);
    const strings = ['b', '\uffff', '😀', 'a', null, 'zz', 'é'];
    const vals = (i: number) => ({
      l: i % 5 === 0 ? null : BigInt((i * 7919) % 101) - 50n,
      d: i % 6 === 0 ? Number.NaN : i % 4 === 0 ? null : i === 3 ? -0 : ((i * 37) % 11) - 5.5,
      s: strings[i % strings.length],
      day: i % 3 === 0 ? null : (i * 13) % 400,
      ts: BigInt(i) * 1_000_003n - 7n,
      b: i % 4 === 1 ? null : Uint8Array.of(i % 3, 255 - i, 0),
      i: ((i * 31) % 17) - 8,
      f: i % 9 === 0 ? Number.NaN : Math.fround(i / 3),
    });
    const rows = Array.from({ length: 40 }, (_, i) => ({ ...vals(i), nested: vals(i) }));
    const m = computeMetrics(await toTableBatch(rows, schema), schema);
    for (const f of prims(0)) {
      const id = f.id;
      const nid = id + 100;
      expect(m.nullValueCounts.get(id), f.name).toBe(m.nullValueCounts.get(nid));
      expect(m.valueCounts.get(id), f.name).toBe(m.valueCounts.get(nid));
      expect(m.nanValueCounts.get(id), f.name).toBe(m.nanValueCounts.get(nid));
      expect(m.lowerBounds.get(id), f.name).toEqual(m.lowerBounds.get(nid));
      expect(m.upperBounds.get(id), f.name).toEqual(m.upperBounds.get(nid));
      expect(m.lowerBounds.get(id), f.name).toBeDefined();
    }
    // Code-point order: U+1F600 sorts after U+FFFF (UTF-16 `<` says the opposite).
    expect(deserializeValue('string', m.upperBounds.get(3)!)).toBe('😀');
    expect(m.nanValueCounts.get(2)).toBeGreaterThan(0);
  });
});
