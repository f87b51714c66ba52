/**
 * Conjunctive filters on logical columns and their two uses: data skipping (deciding from partition
 * values and per-file statistics that a file cannot hold a matching row — always conservative) and
 * exact row filtering of what was read. Values are compared in one normal form per Delta type:
 * integers as bigint/number, dates as days since the epoch, timestamps as microseconds.
 */
import { DeltaError } from './errors.js';
import { type DeltaDataType, parseTimestampMicros } from './schema.js';

export type FilterValue = string | number | bigint | boolean | Date | null;
export type FilterOp = '=' | '!=' | '<' | '<=' | '>' | '>=' | 'in' | 'not in' | 'is null' | 'is not null';
/** `[column, op, value]`; `in`/`not in` take an array; `is null`/`is not null` take none. */
export type Predicate = readonly [column: string, op: FilterOp, value?: FilterValue | readonly FilterValue[]];
/** All predicates must hold (AND). */
export type Filter = readonly Predicate[];

export type Comparable = number | bigint | string | boolean;

/** Normal form of a user's (or a stats) value for a column of Delta type `t`. */
export function normalizeValue(v: unknown, t: DeltaDataType, column: string): Comparable | null {
  if (v === null || v === undefined) return null;
  const bad = (): never => {
    throw new DeltaError({
      code: 'InvalidArgument',
      message: `filter value ${String(v)} does not fit column "${column}" of type ${JSON.stringify(t)}`,
    });
  };
  if (t === 'date') {
    if (v instanceof Date) return Math.floor(v.getTime() / 86_400_000);
    if (typeof v === 'string') {
      const ms = Date.parse(`${v.slice(0, 10)}T00:00:00Z`);
      return Number.isNaN(ms) ? bad() : ms / 86_400_000;
    }
    if (typeof v === 'number') return v;
    return bad();
  }
  if (t === 'timestamp' || t === 'timestamp_ntz') {
    if (v instanceof Date) return BigInt(v.getTime()) * 1000n;
    if (typeof v === 'bigint') return v;
    if (typeof v === 'number') return BigInt(Math.round(v));
    if (typeof v === 'string') {
      try {
        return parseTimestampMicros(v);
      } catch {
        return bad();
      }
    }
    return bad();
  }
  if (typeof v === 'string' || typeof v === 'number' || typeof v === 'bigint' || typeof v === 'boolean')
    return v;
  return bad();
}

export function compare(a: Comparable, b: Comparable): number {
  if (typeof a === 'bigint' || typeof b === 'bigint') {
    if (typeof a === 'string' || typeof b === 'string')
      return String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0;
    const x = typeof a === 'bigint' ? a : Number.isInteger(a) ? BigInt(a as number) : undefined;
    const y = typeof b === 'bigint' ? b : Number.isInteger(b) ? BigInt(b as number) : undefined;
    if (x !== undefined && y !== undefined) return x < y ? -1 : x > y ? 1 : 0;
    const nx = Number(a);
    const ny = Number(b);
    return nx < ny ? -1 : nx > ny ? 1 : 0;
  }
  if (typeof a === 'boolean' || typeof b === 'boolean') return Number(a) - Number(b);
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Exact evaluation of one predicate on one (normalized) value, SQL semantics: null never matches a comparison. */
export function evaluate(
  value: Comparable | null,
  op: FilterOp,
  operand: Comparable | null | (Comparable | null)[],
): boolean {
  if (op === 'is null') return value === null;
  if (op === 'is not null') return value !== null;
  if (value === null) return false;
  if (op === 'in' || op === 'not in') {
    const list = operand as (Comparable | null)[];
    const hit = list.some((x) => x !== null && compare(value, x) === 0);
    return op === 'in' ? hit : !hit && !list.includes(null);
  }
  if (operand === null || Array.isArray(operand)) return false;
  const c = compare(value, operand as Comparable);
  switch (op) {
    case '=':
      return c === 0;
    case '!=':
      return c !== 0;
    case '<':
      return c < 0;
    case '<=':
      return c <= 0;
    case '>':
      return c > 0;
    case '>=':
      return c >= 0;
  }
  return false;
}

export interface ColumnStats {
  min?: Comparable | null | undefined;
  max?: Comparable | null | undefined;
  nullCount?: number;
  numRecords?: number;
}

/** False only when the statistics prove no row can satisfy the predicate. */
export function statsMayMatch(
  s: ColumnStats,
  op: FilterOp,
  operand: Comparable | null | (Comparable | null)[],
): boolean {
  const { min, max, nullCount, numRecords } = s;
  if (op === 'is null') return nullCount === undefined || nullCount > 0;
  if (op === 'is not null')
    return nullCount === undefined || numRecords === undefined || nullCount < numRecords;
  if (numRecords !== undefined && nullCount !== undefined && numRecords > 0 && nullCount === numRecords)
    return false;
  const hasMin = min !== undefined && min !== null;
  const hasMax = max !== undefined && max !== null;
  if (op === 'in') {
    const list = (operand as (Comparable | null)[]).filter((x): x is Comparable => x !== null);
    return list.some((x) => (!hasMin || compare(x, min) >= 0) && (!hasMax || compare(x, max) <= 0));
  }
  if (operand === null || Array.isArray(operand)) return op === '!=' || op === 'not in';
  const v = operand as Comparable;
  switch (op) {
    case '=':
      return (!hasMin || compare(v, min) >= 0) && (!hasMax || compare(v, max) <= 0);
    case '<':
      return !hasMin || compare(min, v) < 0;
    case '<=':
      return !hasMin || compare(min, v) <= 0;
    case '>':
      return !hasMax || compare(max, v) > 0;
    case '>=':
      return !hasMax || compare(max, v) >= 0;
    default:
      return true;
  }
}
