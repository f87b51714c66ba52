/**
 * Side-by-side benchmark of the Iceberg table layer against PyIceberg (issue 4, "Performance"):
 * append 1000 rows, plan a scan over 10,000 data files, and read a 200,000-row table, each timed
 * as the best of three runs in both implementations on the same local tables, printing lakekit
 * time, PyIceberg time and the ratio. Not a test.
 *
 * Run: cd /work/main && source scripts/node-env.sh && LAKEKIT_PYTHON=… npx tsx bench/iceberg.ts
 * (LAKEKIT_PYTHON: a python with pyiceberg[pyarrow,sql-sqlite]; default the dev venv).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { localFileIO } from '../src/iceberg/table/io.js';
import { EntryStatus, FileContent, writeManifest } from '../src/iceberg/table/manifest.js';
import { buildPartitionSpec } from '../src/iceberg/table/metadata.js';
import { createIcebergTable, IcebergTable } from '../src/iceberg/table/table.js';
import { makeSchema, optional, required } from '../src/iceberg/table/types.js';
import { serializeValue } from '../src/iceberg/table/values.js';
import { MemoryCatalog } from '../test/iceberg/table/memory-catalog.js';

const python = process.env.LAKEKIT_PYTHON ?? join(homedir(), '.cache/lakekit/dev-venv-iceberg/bin/python');
const root = mkdtempSync(join(tmpdir(), 'lakekit-bench-'));
const io = localFileIO();
const schema = makeSchema([
  required(1, 'id', 'long'),
  optional(2, 'name', 'string'),
  optional(3, 'day', 'date'),
  optional(4, 'score', 'double'),
]);
const row = (i: number) => ({
  id: BigInt(i),
  name: `n${i}`,
  day: new Date(Date.UTC(2024, 0, 1) + (i % 300) * 86_400_000).toISOString().slice(0, 10),
  score: i * 0.5,
});

async function best(fn: () => Promise<unknown>, n = 3): Promise<number> {
  let min = Number.POSITIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    min = Math.min(min, performance.now() - t0);
  }
  return min / 1000;
}

function newTable(name: string, spec = buildPartitionSpec(schema, [])) {
  const cat = MemoryCatalog.create(`file://${join(root, name)}`, schema, spec);
  return { cat, table: new IcebergTable(cat.metadata, io, cat) };
}

async function main() {
  // 1. Append 1000 rows (unpartitioned, like the PyIceberg side).
  const appendT = newTable('append');
  const rows = Array.from({ length: 1000 }, (_, i) => row(i));
  await appendT.table.append(rows); // warm-up (wasm compile)
  const append = await best(() => appendT.table.append(rows));

  // 2. Planning over 10,000 data files: one snapshot whose manifests list 10k (fake) files.
  const planT = newTable('plan', buildPartitionSpec(schema, [{ source: 'day', transform: 'day' }]));
  const files = Array.from({ length: 10_000 }, (_, i) => ({
    status: EntryStatus.Added,
    snapshotId: 1n,
    sequenceNumber: 1,
    fileSequenceNumber: 1,
    dataFile: {
      content: FileContent.Data,
      filePath: `file://${join(root, 'plan', 'data', `f${i}.parquet`)}`,
      fileFormat: 'PARQUET',
      partition: [19_723 + (i % 300)],
      specId: 0,
      recordCount: 100,
      fileSizeInBytes: 4096,
      valueCounts: new Map([[1, 100]]),
      nullValueCounts: new Map([[1, 0]]),
      lowerBounds: new Map([[1, serializeValue('long', BigInt(i * 100))]]),
      upperBounds: new Map([[1, serializeValue('long', BigInt(i * 100 + 99))]]),
    },
  }));
  // Commit through the normal path with a real append, then swap in big manifests by appending
  // the synthetic entries as ten manifests of 1000 files each.
  const md0 = planT.cat.metadata;
  const manifests = [];
  for (let m = 0; m < 10; m++) {
    const bytes = writeManifest(2, files.slice(m * 1000, (m + 1) * 1000), md0.partitionSpecs[0]!, schema);
    const path = `file://${join(root, 'plan', 'metadata', `m${m}.avro`)}`;
    await io.write(path, bytes);
    manifests.push({ path, length: bytes.byteLength });
  }
  const { writeManifestList } = await import('../src/iceberg/table/manifest.js');
  const listPath = `file://${join(root, 'plan', 'metadata', 'snap-1.avro')}`;
  await io.write(
    listPath,
    writeManifestList(
      2,
      manifests.map((m) => ({
        manifestPath: m.path,
        manifestLength: m.length,
        partitionSpecId: 0,
        content: 0 as const,
        sequenceNumber: 1,
        minSequenceNumber: 1,
        addedSnapshotId: 1n,
        addedFilesCount: 1000,
        existingFilesCount: 0,
        deletedFilesCount: 0,
        addedRowsCount: 100_000,
        existingRowsCount: 0,
        deletedRowsCount: 0,
      })),
      { snapshotId: 1n, sequenceNumber: 1 },
    ),
  );
  await planT.cat.commit({
    requirements: [],
    updates: [
      {
        action: 'add-snapshot',
        snapshot: {
          'snapshot-id': 1n,
          'sequence-number': 1,
          'timestamp-ms': Date.now(),
          'manifest-list': listPath,
          summary: { operation: 'append' },
        },
      },
      { action: 'set-snapshot-ref', 'ref-name': 'main', type: 'branch', 'snapshot-id': 1n },
    ],
  });
  const planTable = new IcebergTable(planT.cat.metadata, io, planT.cat);
  let planned = 0;
  const plan = await best(async () => {
    planned = (await planTable.planFiles()).tasks.length;
  });

  // 3. Full read of 200,000 rows in 4 files.
  const readT = newTable('read');
  for (let f = 0; f < 4; f++)
    await readT.table.append(Array.from({ length: 50_000 }, (_, i) => row(f * 50_000 + i)));
  let readRows = 0;
  const read = await best(async () => {
    readRows = (await readT.table.toArrow()).numRows;
  });

  const py = JSON.parse(
    execFileSync(
      python,
      [
        join(import.meta.dirname, '..', 'scripts/fixtures/iceberg/bench_pyiceberg.py'),
        root,
        planT.cat.metadataFile,
        readT.cat.metadataFile,
      ],
      {
        encoding: 'utf8',
      },
    ),
  ) as { append_s: number; plan_s: number; plan_files: number; read_s: number; read_rows: number };

  const line = (what: string, ours: number, theirs: number) =>
    console.log(
      `${what.padEnd(34)} lakekit ${ours.toFixed(3)} s   PyIceberg ${theirs.toFixed(3)} s   ratio (PyIceberg/lakekit) ${(theirs / ours).toFixed(2)}×`,
    );
  console.log('local warehouse (file:), best of 3:');
  line('append 1000 rows', append, py.append_s);
  line(`plan ${planned} files (py ${py.plan_files})`, plan, py.plan_s);
  line(`read ${readRows} rows (py ${py.read_rows})`, read, py.read_s);
  await liveStack(line);
}

/** The same append through the live REST catalog and S3, when `.stack/env` is there. */
async function liveStack(line: (what: string, ours: number, theirs: number) => void) {
  const envFile = join(import.meta.dirname, '..', '.stack', 'env');
  if (!existsSync(envFile)) return console.log('live stack: not running (.stack/env missing), skipped');
  const env: Record<string, string> = {};
  for (const l of readFileSync(envFile, 'utf8').split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(l);
    if (m) env[m[1] as string] = m[2] as string;
  }
  const { createIcebergCatalog } = await import('../src/iceberg/catalog.js');
  const catalog = createIcebergCatalog({
    baseUrl: env.LAKEKIT_ICEBERG_URL as string,
    warehouse: env.LAKEKIT_ICEBERG_WAREHOUSE as string,
  });
  const ns = `lk_bench_${Date.now().toString(36)}`;
  await catalog.createNamespace(ns);
  try {
    const s3 = {
      endpoint: env.LAKEKIT_S3_ENDPOINT as string,
      region: env.LAKEKIT_S3_REGION as string,
      forcePathStyle: true,
      credentials: {
        accessKeyId: env.LAKEKIT_S3_ACCESS_KEY as string,
        secretAccessKey: env.LAKEKIT_S3_SECRET_KEY as string,
      },
    };
    const t = await createIcebergTable(catalog, ns, 'lk_append', { schema, s3 });
    const rows = Array.from({ length: 1000 }, (_, i) => row(i));
    await t.append(rows);
    const append = await best(() => t.append(rows));
    const t0 = performance.now();
    const n = (await t.toArrow()).numRows;
    const read = (performance.now() - t0) / 1000;
    const py = JSON.parse(
      execFileSync(
        env.LAKEKIT_PYTHON ?? python,
        [join(import.meta.dirname, '..', 'scripts/fixtures/iceberg/bench_pyiceberg.py'), 'rest', ns],
        {
          encoding: 'utf8',
          env: { ...process.env, ...env },
        },
      ),
    ) as { append_s: number; read_s: number; read_rows: number };
    console.log('live stack (REST catalog + S3):');
    line('append 1000 rows (best of 3)', append, py.append_s);
    line(`read ${n} rows (py ${py.read_rows}), single run`, read, py.read_s);
    await catalog.dropTable({ namespace: ns, name: 'lk_append' }, { purge: true });
  } finally {
    await catalog.dropNamespace(ns).catch(() => undefined);
  }
}

try {
  await main();
} finally {
  rmSync(root, { recursive: true, force: true });
}
