/**
 * Partition transforms (spec "Partition Transforms"): identity, bucket[N], truncate[W], year,
 * month, day, hour and void — parsing their string form, which source types each accepts, their
 * result types, applying them to in-memory values (see values.ts) and their human form (the
 * partition path text Java and PyIceberg print, e.g. `2017-11` for month).
 */
import { validationError } from './errors.js';
import { hashLong, murmur3x86_32 } from './murmur3.js';
import { decimalParams, fixedLength, type IcebergType, type PrimitiveType } from './types.js';
import { formatValue, type IcebergValue, serializeValue } from './values.js';

export type Transform =
  | { kind: 'identity' }
  | { kind: 'bucket'; n: number }
  | { kind: 'truncate'; width: number }
  | { kind: 'year' }
  | { kind: 'month' }
  | { kind: 'day' }
  | { kind: 'hour' }
  | { kind: 'void' };

export function parseTransform(s: string): Transform {
  const t = s.trim();
  switch (t) {
    case 'identity':
    case 'year':
    case 'month':
    case 'day':
    case 'hour':
    case 'void':
      return { kind: t };
  }
  const b = /^bucket\[(\d+)\]$/.exec(t);
  if (b && Number(b[1]) > 0) return { kind: 'bucket', n: Number(b[1]) };
  const w = /^truncate\[(\d+)\]$/.exec(t);
  if (w && Number(w[1]) > 0) return { kind: 'truncate', width: Number(w[1]) };
  // Spec: writers must not commit files with a partition spec that contains an unknown transform.
  throw validationError('UnknownTransform', `unknown partition transform ${JSON.stringify(s)}`);
}

export function transformToString(t: Transform): string {
  if (t.kind === 'bucket') return `bucket[${t.n}]`;
  if (t.kind === 'truncate') return `truncate[${t.width}]`;
  return t.kind;
}

const DATE_LIKE = new Set(['date', 'timestamp', 'timestamptz', 'timestamp_ns', 'timestamptz_ns']);
const TS = new Set(['timestamp', 'timestamptz', 'timestamp_ns', 'timestamptz_ns']);

/** Whether `t` may be applied to a column of type `source` (spec transform table). */
export function canTransform(t: Transform, source: IcebergType): boolean {
  if (typeof source !== 'string') return false;
  switch (t.kind) {
    case 'identity':
      return true;
    case 'void':
      return true;
    case 'bucket':
      return (
        ['int', 'long', 'date', 'time', 'string', 'uuid', 'binary'].includes(source) ||
        TS.has(source) ||
        decimalParams(source) !== undefined ||
        fixedLength(source) !== undefined
      );
    case 'truncate':
      return ['int', 'long', 'string', 'binary'].includes(source) || decimalParams(source) !== undefined;
    case 'year':
    case 'month':
    case 'day':
      return DATE_LIKE.has(source);
    case 'hour':
      return TS.has(source);
  }
}

/** Result type of `t` on `source` (spec: bucket/year/month/hour → int, day → date). */
export function resultType(t: Transform, source: PrimitiveType): PrimitiveType {
  switch (t.kind) {
    case 'identity':
    case 'truncate':
    case 'void':
      return source;
    case 'bucket':
    case 'year':
    case 'month':
    case 'hour':
      return 'int';
    case 'day':
      return 'date';
  }
}

/** Bucket hash per spec Appendix B (timestamp_ns hashes its value in microseconds). */
export function bucketHash(source: PrimitiveType, v: IcebergValue): number {
  if (source === 'int' || source === 'long' || source === 'date' || source === 'time')
    return hashLong(v as bigint);
  if (source === 'timestamp' || source === 'timestamptz') return hashLong(v as bigint);
  if (source === 'timestamp_ns' || source === 'timestamptz_ns') return hashLong(floorDiv(v as bigint, 1000n));
  return murmur3x86_32(serializeValue(source, v));
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}
function floorMod(a: bigint, b: bigint): bigint {
  return ((a % b) + b) % b;
}

const US_PER_HOUR = 3_600_000_000n;
const US_PER_DAY = 86_400_000_000n;

/** Micros (or days for `date`) since the epoch → days since the epoch. */
function toDays(source: PrimitiveType, v: IcebergValue): number {
  if (source === 'date') return v as number;
  const us = source.endsWith('_ns') ? floorDiv(v as bigint, 1000n) : (v as bigint);
  return Number(floorDiv(us, US_PER_DAY));
}

function civil(days: number): { y: number; m: number; d: number } {
  const dt = new Date(days * 86_400_000);
  return { y: dt.getUTCFullYear(), m: dt.getUTCMonth() + 1, d: dt.getUTCDate() };
}

/** Applies a transform; null stays null (and void always gives null). */
export function applyTransform(
  t: Transform,
  source: PrimitiveType,
  v: IcebergValue | null,
): IcebergValue | null {
  if (v === null || t.kind === 'void') return null;
  switch (t.kind) {
    case 'identity':
      return v;
    case 'bucket':
      return (bucketHash(source, v) & 0x7fffffff) % t.n;
    case 'truncate': {
      if (source === 'int') {
        const n = v as number;
        return n - (((n % t.width) + t.width) % t.width);
      }
      if (source === 'long' || decimalParams(source)) {
        const n = v as bigint;
        return n - floorMod(n, BigInt(t.width));
      }
      if (source === 'string')
        return Array.from(v as string)
          .slice(0, t.width)
          .join('');
      return (v as Uint8Array).slice(0, t.width);
    }
    case 'year':
      return civil(toDays(source, v)).y - 1970;
    case 'month': {
      const c = civil(toDays(source, v));
      return (c.y - 1970) * 12 + (c.m - 1);
    }
    case 'day':
      return toDays(source, v);
    case 'hour': {
      const us = source.endsWith('_ns') ? floorDiv(v as bigint, 1000n) : (v as bigint);
      return Number(floorDiv(us, US_PER_HOUR));
    }
  }
}

/** Human form of a partition value, as it appears in partition paths. */
export function toHumanString(t: Transform, source: PrimitiveType, v: IcebergValue | null): string {
  if (v === null) return 'null';
  switch (t.kind) {
    case 'year':
      return String(1970 + (v as number));
    case 'month': {
      const m = v as number;
      const y = 1970 + Math.floor(m / 12);
      return `${y}-${String((((m % 12) + 12) % 12) + 1).padStart(2, '0')}`;
    }
    case 'day': {
      const c = civil(v as number);
      return `${c.y}-${String(c.m).padStart(2, '0')}-${String(c.d).padStart(2, '0')}`;
    }
    case 'hour': {
      const h = v as number;
      const c = civil(Math.floor(h / 24));
      return `${c.y}-${String(c.m).padStart(2, '0')}-${String(c.d).padStart(2, '0')}-${String(((h % 24) + 24) % 24).padStart(2, '0')}`;
    }
    case 'bucket':
      return String(v);
    default:
      return formatValue(source, v);
  }
}

/** Default partition field name (PyIceberg/Java): `id_bucket`, `ts_month`, `name_trunc`, … */
export function defaultPartitionName(t: Transform, sourceName: string): string {
  switch (t.kind) {
    case 'identity':
      return sourceName;
    case 'bucket':
      return `${sourceName}_bucket`;
    case 'truncate':
      return `${sourceName}_trunc`;
    case 'void':
      return `${sourceName}_null`;
    default:
      return `${sourceName}_${t.kind}`;
  }
}

/** Whether the transform keeps order (so range predicates project through it). */
export function preservesOrder(t: Transform): boolean {
  return t.kind !== 'bucket' && t.kind !== 'void';
}
