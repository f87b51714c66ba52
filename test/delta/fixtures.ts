/**
 * Test support for the Delta fixtures in test/fixtures/delta/ (written by real writers, see
 * scripts/fixtures/delta/generate.py): copying a table to a scratch directory with its commit
 * files' modification times restored from the writer's own commit timestamps (git checkouts lose
 * mtimes, and mtime is the protocol's commit timestamp), and normalizing Arrow rows into the same
 * JSON form the generator used for the writer's answers.
 */
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DataType, type Table, Type, type Vector } from 'apache-arrow';
import { ROOT } from '../support/live.js';

export const FIXTURES = join(ROOT, 'test', 'fixtures', 'delta');

export interface ExpectedSnapshot {
  version: number;
  files: string[];
  rows: Record<string, unknown>[];
  schemaFields: string[];
  partitionColumns?: string[];
}
export interface Expected {
  writer: string;
  latest: number;
  snapshots: ExpectedSnapshot[];
  commitTimestamps?: Record<string, number>;
  /** Delta Spark tables: the commit files' modification times when written (ms). */
  commitFileMtimes?: Record<string, number>;
  versionAtTimestamp?: Record<string, number>;
  cdf?: Record<string, Record<string, unknown>[]>;
}

export function fixtureNames(): string[] {
  return readdirSync(FIXTURES, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(FIXTURES, d.name, 'expected.json')))
    .map((d) => d.name)
    .sort();
}

export function expectedOf(name: string): Expected {
  return JSON.parse(readFileSync(join(FIXTURES, name, 'expected.json'), 'utf8')) as Expected;
}

const scratch: string[] = [];
export function cleanupScratch(): void {
  for (const d of scratch.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** Copy of a fixture table whose commit files carry their commitInfo timestamps as mtimes. */
export function prepareFixture(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `lakekit-delta-${name}-`));
  scratch.push(dir);
  cpSync(join(FIXTURES, name), dir, { recursive: true });
  restoreCommitTimes(dir, expectedOf(name).commitFileMtimes);
  return dir;
}

/**
 * Sets each commit file's mtime to what the writer left: the recorded file mtimes for Spark
 * tables, else the commit's own `commitInfo.timestamp` (what delta-rs reports as commit time).
 */
export function restoreCommitTimes(dir: string, mtimes?: Record<string, number>): void {
  const log = join(dir, '_delta_log');
  for (const f of readdirSync(log)) {
    if (!/^\d{20}\.json$/.test(f)) continue;
    const recorded = mtimes?.[String(Number(f.slice(0, 20)))];
    if (recorded !== undefined) {
      utimesSync(join(log, f), recorded / 1000, recorded / 1000);
      continue;
    }
    const first = readFileSync(join(log, f), 'utf8')
      .split('\n')
      .find((l) => l.includes('"commitInfo"'));
    const ts = first
      ? (JSON.parse(first) as { commitInfo?: { timestamp?: number } }).commitInfo?.timestamp
      : undefined;
    if (typeof ts === 'number') utimesSync(join(log, f), ts / 1000, ts / 1000);
  }
}

function rawAt(vec: Vector, i: number): { data: import('apache-arrow').Data; index: number } {
  let idx = i;
  for (const d of vec.data) {
    // arrow-js slices fixed-width value buffers along with the Data, so values are indexed without `offset`.
    if (idx < d.length) return { data: d, index: idx };
    idx -= d.length;
  }
  throw new Error(`row ${i} out of range`);
}

function normCell(vec: Vector, i: number): unknown {
  if (!vec.isValid(i)) return null;
  const t = vec.type as DataType;
  switch (t.typeId) {
    case Type.Timestamp: {
      const { data, index } = rawAt(vec, i);
      const unit = (t as unknown as { unit: number }).unit;
      const raw = (data.values as BigInt64Array)[index]!;
      const micros =
        unit === 3 ? raw / 1000n : unit === 2 ? raw : unit === 1 ? raw * 1000n : raw * 1_000_000n;
      return Number(micros);
    }
    case Type.Date:
      return new Date(vec.get(i) as number).toISOString().slice(0, 10);
    case Type.Decimal: {
      const { data, index } = rawAt(vec, i);
      const words = data.values as Uint32Array;
      let v = 0n;
      for (let w = 3; w >= 0; w--) v = (v << 32n) | BigInt(words[index * 4 + w]!);
      v = BigInt.asIntN(128, v);
      const scale = (t as unknown as { scale: number }).scale;
      const neg = v < 0n;
      const digits = (neg ? -v : v).toString().padStart(scale + 1, '0');
      return `${neg ? '-' : ''}${scale ? `${digits.slice(0, -scale)}.${digits.slice(-scale)}` : digits}`;
    }
    case Type.Binary:
    case Type.LargeBinary:
      return Buffer.from(vec.get(i) as Uint8Array).toString('hex');
  }
  const v = vec.get(i) as unknown;
  if (typeof v === 'bigint') return Number(v);
  if (v && typeof v === 'object' && 'toJSON' in v)
    return JSON.parse(JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? Number(x) : x)));
  return v;
}

export function canonical(row: Record<string, unknown>): string {
  return JSON.stringify(
    Object.keys(row)
      .sort()
      .map((k) => [k, row[k]]),
  );
}

/** Rows of an Arrow table as JSON-able objects, sorted canonically. */
export function normalizeRows(table: Table): Record<string, unknown>[] {
  const cols = table.schema.fields.map((f, idx) => [f.name, table.getChildAt(idx)!] as const);
  const rows: Record<string, unknown>[] = [];
  for (let i = 0; i < table.numRows; i++) {
    const r: Record<string, unknown> = {};
    for (const [name, vec] of cols) r[name] = normCell(vec, i);
    rows.push(r);
  }
  return sortRows(rows);
}

export function sortRows(rows: Record<string, unknown>[]): Record<string, unknown>[] {
  return rows
    .map((r) => [canonical(r), r] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([, r]) => r);
}
