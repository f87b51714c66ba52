/**
 * Parquet → Arrow decode of a 1,000,000-row file: lakekit's decoder path (parquet-wasm →
 * apache-arrow `tableFromIPC`, as `decodeParquet`/`decodeParquetColumns` in src/iceberg/table/read.ts)
 * vs pyarrow `pq.read_table` on the same file, all five columns and a three-column projection,
 * with hyparquet (pure JS, columnar arrays rather than Arrow) measured beside them. Each
 * repetition reads the file from disk (page cache warm) and decodes it; the answer's row and
 * column counts must agree across implementations. The file is written once by pyarrow from a
 * seeded generator into ~/.cache/lakekit/bench/ (row groups of 131,072 rows, Snappy).
 *
 *   cd /work/main && source scripts/node-env.sh && node --expose-gc --import tsx bench/parquet.ts [--json]
 */

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { parquetRead } from 'hyparquet';
import { ParquetFile } from 'parquet-wasm';
import { decodeParquet, decodeParquetColumns } from '../src/iceberg/table/read.js';
import {
  type BenchResult,
  CACHE_DIR,
  inProcess,
  pythonPath,
  result,
  type Sampled,
  sideBySide,
  startPython,
} from './harness.js';

const ROWS = 1_000_000;
const SEED = 20_261_125;
const PROJECTION = ['id', 'amount', 'ts'];
/** Issue 4: "full read throughput within 1.5× of PyIceberg+pyarrow" — the decode is most of it. */
const GOAL = 1.5;

/** Seeded rows written by pyarrow (no numpy in the stack's venv: the stdlib PRNG). */
const GENERATE = `
import os, random, sys, datetime
import pyarrow as pa, pyarrow.parquet as pq
path, n, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rnd = random.Random(seed)
base = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
vocab = [f'customer-{rnd.getrandbits(40):010x}' for _ in range(50_000)]
table = pa.table({
    'id': pa.array(range(n), pa.int64()),
    'name': pa.array([vocab[rnd.randrange(50_000)] if rnd.random() > 0.02 else None for _ in range(n)], pa.string()),
    'amount': pa.array([round(rnd.gauss(100, 40), 2) for _ in range(n)], pa.float64()),
    'ts': pa.array([base + datetime.timedelta(microseconds=rnd.randrange(365 * 86_400_000_000)) for _ in range(n)], pa.timestamp('us', tz='UTC')),
    'active': pa.array([rnd.random() < 0.5 for _ in range(n)], pa.bool_()),
})
tmp = path + '.tmp'
pq.write_table(table, tmp, row_group_size=131_072, compression='snappy')
os.replace(tmp, path)
`;

const PEER = `
import pyarrow.parquet as pq
def read(path, columns=None):
    t = pq.read_table(path, columns=columns)
    return [t.num_rows, t.num_columns]
`;

/** The benchmark file, written on first use. */
export function parquetFile(): string {
  const path = join(CACHE_DIR, `decode-${ROWS}-seed${SEED}.parquet`);
  if (existsSync(path)) return path;
  const python = pythonPath();
  if (!python) throw new Error('no Python with pyarrow to write the benchmark file (LAKEKIT_PYTHON)');
  mkdirSync(CACHE_DIR, { recursive: true });
  process.stderr.write(`writing ${path} with pyarrow (once) …\n`);
  execFileSync(python, ['-c', GENERATE, path, String(ROWS), String(SEED)], { stdio: 'inherit' });
  return path;
}

/**
 * lakekit's path as it is: `decodeParquet` for all columns (parquet-wasm's synchronous
 * `readParquet`); for the projection, `decodeParquetColumns` with the column names, which
 * `readTask` in src/iceberg/table/read.ts uses once it has mapped the projected field ids to the
 * file's column names (parquet-wasm's asynchronous `ParquetFile.read`, since the synchronous
 * `readParquet` ignores `columns`).
 */
async function lakekitDecode(path: string, columns?: string[]): Promise<[number, number]> {
  const bytes = await readFile(path);
  const t = columns ? await decodeParquetColumns(bytes, path, columns) : decodeParquet(bytes, path);
  return [t.numRows, t.numCols];
}

/** parquet-wasm's async `ParquetFile.read`, which does honour `columns` and `batchSize`. */
async function parquetFileDecode(path: string, columns?: string[]): Promise<[number, number]> {
  const bytes = await readFile(path);
  const file = await ParquetFile.fromFile(new Blob([bytes]));
  try {
    const t = tableFromIPC(
      (await file.read({ batchSize: 65_536, ...(columns ? { columns } : {}) })).intoIPCStream(),
    );
    return [t.numRows, t.numCols];
  } finally {
    file.free();
  }
}

async function hyparquetDecode(path: string, columns?: string[]): Promise<[number, number]> {
  const bytes = await readFile(path);
  const file = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const names = new Set<string>();
  let rows = 0;
  let first: string | undefined;
  await parquetRead({
    file,
    ...(columns ? { columns } : {}),
    onChunk: (c) => {
      names.add(c.columnName);
      first ??= c.columnName;
      if (c.columnName === first) rows += c.rowEnd - c.rowStart;
    },
  });
  return [rows, names.size];
}

export async function parquetCases(opts: { reps?: number } = {}): Promise<BenchResult[]> {
  const reps = opts.reps ?? 7;
  const path = parquetFile();
  const py = await startPython(PEER);
  const results: BenchResult[] = [];
  const note = `pyarrow in Python ${py.version}, timed inside Python (start-up ${py.startupMs.toFixed(0)} ms and \`import pyarrow\` ${py.setupMs.toFixed(0)} ms not included); each rep reads the file and decodes`;
  try {
    // Projection first: parquet-wasm's WebAssembly memory only grows, so the larger read second
    // keeps the smaller one's peak RSS honest.
    for (const [label, columns] of [
      ['3-column projection', PROJECTION],
      ['all 5 columns', undefined],
    ] as const) {
      const cols = columns ? [...columns] : undefined;
      const [lk, pa] = (await sideBySide(
        [
          inProcess('lakekit (parquet-wasm)', () => lakekitDecode(path, cols)),
          py.contender('pyarrow', 'read', [path, cols ?? null]),
        ],
        { reps, warmup: 1 },
      )) as [Sampled, Sampled];
      // The alternatives each in their own RSS window after, fewer reps (hyparquet is the slow one).
      const alt = { reps: Math.max(1, Math.floor(reps / 2)), warmup: 0 };
      const [pf] = (await sideBySide([inProcess('pf', () => parquetFileDecode(path, cols))], alt)) as [
        Sampled,
      ];
      const [hy] = (await sideBySide([inProcess('hyparquet', () => hyparquetDecode(path, cols))], alt)) as [
        Sampled,
      ];
      results.push(
        result(`Parquet → Arrow, ${ROWS.toLocaleString('en-US')} rows, ${label}`, lk, pa, {
          goalMax: GOAL,
          goalText: `≤ ${GOAL}× pyarrow (issue 4 read goal)`,
          alternatives: [
            {
              name: 'parquet-wasm async ParquetFile.read (options honoured)',
              min: pf.min,
              median: pf.median,
              rssMB: pf.rssMB,
            },
            {
              name: 'hyparquet 1.31 (JS arrays, not Arrow)',
              min: hy.min,
              median: hy.median,
              rssMB: hy.rssMB,
            },
          ],
          note,
        }),
      );
    }
  } finally {
    await py.close();
  }
  return results;
}

if (import.meta.filename === process.argv[1]) {
  const results = await parquetCases();
  if (process.argv.includes('--json')) console.log(JSON.stringify(results));
  else
    for (const r of results)
      console.log(
        `${r.case}: lakekit ${r.lakekit.min.toFixed(0)}/${r.lakekit.median?.toFixed(0)} ms (${r.lakekit.rssMB?.toFixed(0)} MB), pyarrow ${r.peer.min.toFixed(0)}/${r.peer.median?.toFixed(0)} ms (${r.peer.rssMB?.toFixed(0)} MB), ratio ${r.ratio.toFixed(2)}×; ${r.alternatives?.map((a) => `${a.name} ${a.min.toFixed(0)} ms (${a.rssMB?.toFixed(0)} MB)`).join('; ')}`,
      );
}
