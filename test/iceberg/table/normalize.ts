/**
 * Turns lakekit's Arrow output into the JSON form the fixture generator wrote from PyIceberg's
 * `to_pylist()` (Python isoformat for dates and times, decimals as strings, bytes as `b64:`), so
 * rows can be compared exactly.
 */
import type { Table, Vector } from 'apache-arrow';
import { valueReader } from '../../../src/iceberg/table/arrow.js';
import {
  decimalParams,
  type IcebergType,
  isPrimitive,
  type NestedField,
} from '../../../src/iceberg/table/types.js';
import { type IcebergValue, unscaledToDecimalString } from '../../../src/iceberg/table/values.js';

function pyIsoTime(us: bigint): string {
  const s = Number(us / 1_000_000n);
  const frac = Number(us % 1_000_000n);
  const hh = String(Math.floor(s / 3600)).padStart(2, '0');
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, '0');
  const ss = String(s % 60).padStart(2, '0');
  return `${hh}:${mm}:${ss}${frac ? `.${String(frac).padStart(6, '0')}` : ''}`;
}
function pyIsoTs(us: bigint, tz: boolean): string {
  const days = us >= 0n ? us / 86_400_000_000n : -((-us + 86_400_000_000n - 1n) / 86_400_000_000n);
  const rem = us - days * 86_400_000_000n;
  const date = new Date(Number(days) * 86_400_000).toISOString().slice(0, 10);
  return `${date}T${pyIsoTime(rem)}${tz ? '+00:00' : ''}`;
}

export function primitiveToJson(t: string, v: IcebergValue | null): unknown {
  if (v === null) return null;
  const d = decimalParams(t);
  if (d) return unscaledToDecimalString(v as bigint, d.scale);
  switch (t) {
    case 'date':
      return new Date((v as number) * 86_400_000).toISOString().slice(0, 10);
    case 'timestamp':
      return pyIsoTs(v as bigint, false);
    case 'timestamptz':
      return pyIsoTs(v as bigint, true);
    case 'time':
      return pyIsoTime(v as bigint);
    case 'long':
      return Number(v);
    case 'float':
    case 'double':
      return Number.isNaN(v) ? 'NaN' : v;
  }
  if (v instanceof Uint8Array) return `b64:${Buffer.from(v).toString('base64')}`;
  return v;
}

function nestedToJson(t: IcebergType, v: unknown): unknown {
  if (v === null || v === undefined) return null;
  if (isPrimitive(t)) {
    if (typeof v === 'bigint') return primitiveToJson(t, v);
    if (v instanceof Uint8Array) return primitiveToJson(t, v);
    return v;
  }
  if (t.type === 'struct') {
    const o: Record<string, unknown> = {};
    for (const f of t.fields) o[f.name] = nestedToJson(f.type, (v as Record<string, unknown>)[f.name]);
    return o;
  }
  if (t.type === 'list') return [...(v as Iterable<unknown>)].map((x) => nestedToJson(t.element, x));
  const out: unknown[] = [];
  for (const e of v as Iterable<unknown>) {
    const [k, x] = Array.isArray(e) ? e : [(e as { key: unknown }).key, (e as { value: unknown }).value];
    out.push([nestedToJson(t.key, k), nestedToJson(t.value, x)]);
  }
  return out;
}

/** Rows of `table` in PyIceberg's JSON form, for columns `fields`. */
export function rowsToJson(table: Table, fields: NestedField[]): Record<string, unknown>[] {
  const cols = fields.map((f) => {
    const vec = table.getChild(f.name) as Vector;
    if (isPrimitive(f.type)) {
      const r = valueReader(vec, f.type);
      const t = f.type;
      return (i: number) => primitiveToJson(t, r(i));
    }
    return (i: number) => nestedToJson(f.type, vec.get(i));
  });
  const rows: Record<string, unknown>[] = [];
  for (let i = 0; i < table.numRows; i++) {
    const o: Record<string, unknown> = {};
    fields.forEach((f, k) => {
      o[f.name] = (cols[k] as (i: number) => unknown)(i);
    });
    rows.push(o);
  }
  return rows;
}

/** Sorts rows by a key column for order-independent comparison. */
export function sortBy<T extends Record<string, unknown>>(rows: T[], key: string): T[] {
  return [...rows].sort((a, b) => {
    const x = a[key] as number | string;
    const y = b[key] as number | string;
    return x < y ? -1 : x > y ? 1 : 0;
  });
}
