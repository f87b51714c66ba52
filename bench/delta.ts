/**
 * Side-by-side benchmark of the Delta reader against delta-rs (the `deltalake` Python package),
 * measured in one run on the same tables and printed as ratios (issue 5's performance goals):
 *   1. snapshot load (+ file list) of a table whose checkpoint holds 1,000,000 add actions plus
 *      100 JSON commits, vs `DeltaTable(path).file_uris()`; peak RSS beside each time. `files()`
 *      makes paths on demand, so a second lakekit row also reads every path, as file_uris() does;
 *   2. the same actions replayed from JSON only (no checkpoint), to show what the checkpoint buys;
 *   3. Change Data Feed read of 10,000+ changes vs `DeltaTable.load_cdf()`.
 * Every measurement runs in a fresh process so peak memory is that of the one operation.
 * Tables are built once by scripts/fixtures/delta/bench_tables.py under LAKEKIT_BENCH_DIR.
 *
 *   npx tsx bench/delta.ts            # LAKEKIT_PYTHON or ~/.cache/lakekit/dev-venv-delta/bin/python
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDeltaTable } from '../src/delta/index.js';

interface Measurement {
  ms: number;
  /** CPU time (user + system, all threads) of the operation; delta-rs rows leave it out. */
  cpuMs?: number;
  count: number;
  maxRssMb: number;
}

const ROOT = join(import.meta.dirname, '..');
const DIR = process.env.LAKEKIT_BENCH_DIR ?? join(tmpdir(), 'lakekit-bench-delta');
const PYTHON =
  process.env.LAKEKIT_PYTHON ?? join(homedir(), '.cache', 'lakekit', 'dev-venv-delta', 'bin', 'python');
const ADDS = Number(process.env.LAKEKIT_BENCH_ADDS ?? 1_000_000);

async function measureInProcess(kind: string, path: string): Promise<Measurement> {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const table = await openDeltaTable(path);
  let count: number;
  if (kind === 'snapshot') {
    const snap = await table.snapshot();
    count = snap.files().length;
  } else if (kind === 'paths') {
    // Like delta-rs' file_uris(): every file's path as a string (files() makes them on demand).
    const snap = await table.snapshot();
    let chars = 0;
    for (const f of snap.files()) chars += f.path.length;
    count = chars > 0 ? snap.files().length : 0;
  } else {
    const changes = await table.readChanges({ startingVersion: 0 });
    count = changes.numRows;
  }
  const cpu = process.cpuUsage(c0);
  return {
    ms: performance.now() - t0,
    cpuMs: (cpu.user + cpu.system) / 1000,
    count,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
  };
}

function lakekit(kind: string, path: string): Measurement {
  const out = execFileSync(
    process.execPath,
    [...process.execArgv, import.meta.filename, '--measure', kind, path],
    {
      encoding: 'utf8',
      maxBuffer: 1 << 20,
    },
  );
  return JSON.parse(out.trim().split('\n').at(-1)!) as Measurement;
}

function deltaRs(kind: string, path: string): Measurement {
  const script = `
import json, resource, sys, time
from deltalake import DeltaTable
import pyarrow as pa
t = time.perf_counter()
dt = DeltaTable(sys.argv[2])
if sys.argv[1] == 'snapshot':
    n = len(dt.file_uris())
else:
    n = pa.table(dt.load_cdf(starting_version=0)).num_rows
ms = (time.perf_counter() - t) * 1000
print(json.dumps({"ms": ms, "count": n, "maxRssMb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
`;
  const out = execFileSync(PYTHON, ['-c', script, kind, path], { encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').at(-1)!) as Measurement;
}

function row(label: string, m: Measurement): string {
  const cpu = m.cpuMs === undefined ? ''.padStart(14) : `${m.cpuMs.toFixed(0).padStart(7)} ms CPU`;
  return `${label.padEnd(44)} ${m.ms.toFixed(0).padStart(8)} ms ${cpu}  ${m.maxRssMb.toFixed(0).padStart(6)} MB peak  (${m.count} items)`;
}

async function main(): Promise<void> {
  if (process.argv[2] === '--measure') {
    console.log(JSON.stringify(await measureInProcess(process.argv[3]!, process.argv[4]!)));
    return;
  }
  if (!existsSync(PYTHON)) throw new Error(`no Python with deltalake at ${PYTHON} (set LAKEKIT_PYTHON)`);
  if (!existsSync(join(DIR, 'cdf', '_delta_log'))) {
    console.log(`building benchmark tables in ${DIR} (once; minutes) …`);
    execFileSync(PYTHON, [join(ROOT, 'scripts', 'fixtures', 'delta', 'bench_tables.py'), DIR, String(ADDS)], {
      stdio: 'inherit',
    });
  }
  const checkpointed = join(DIR, 'checkpointed');
  const jsonOnly = join(DIR, 'json-only');
  const cdf = join(DIR, 'cdf');

  const rsSnap = deltaRs('snapshot', checkpointed);
  const lkSnap = lakekit('snapshot', checkpointed);
  const lkPaths = lakekit('paths', checkpointed);
  const lkJson = lakekit('snapshot', jsonOnly);
  const rsCdf = deltaRs('cdf', cdf);
  const lkCdf = lakekit('cdf', cdf);
  if (lkSnap.count !== rsSnap.count || lkPaths.count !== rsSnap.count)
    throw new Error(`file counts differ: lakekit ${lkSnap.count}, delta-rs ${rsSnap.count}`);
  if (lkCdf.count !== rsCdf.count)
    throw new Error(`CDF row counts differ: lakekit ${lkCdf.count}, delta-rs ${rsCdf.count}`);

  console.log(row('delta-rs snapshot + file_uris (checkpoint)', rsSnap));
  console.log(row('lakekit snapshot + files() (checkpoint)', lkSnap));
  console.log(row('lakekit snapshot + files() + paths (checkpoint)', lkPaths));
  console.log(row('lakekit snapshot + files() (JSON replay only)', lkJson));
  console.log(row('delta-rs load_cdf', rsCdf));
  console.log(row('lakekit readChanges', lkCdf));
  console.log(`snapshot: lakekit/delta-rs = ${(lkSnap.ms / rsSnap.ms).toFixed(2)}x (goal <= 1.5x)`);
  console.log(`snapshot + paths: lakekit/delta-rs = ${(lkPaths.ms / rsSnap.ms).toFixed(2)}x`);
  console.log(`snapshot: JSON replay/checkpoint = ${(lkJson.ms / lkSnap.ms).toFixed(2)}x (goal >= 10x)`);
  console.log(
    `snapshot CPU: JSON replay/checkpoint = ${((lkJson.cpuMs ?? 0) / (lkSnap.cpuMs ?? 1)).toFixed(2)}x`,
  );
  console.log(`CDF: lakekit/delta-rs = ${(lkCdf.ms / rsCdf.ms).toFixed(2)}x (goal <= 1.5x)`);
}

await main();
