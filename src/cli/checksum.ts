/**
 * Order-independent content checksums for `lakekit counts --checksum`: both sides of a CDC flow
 * (a Postgres/MySQL table and its Iceberg/Delta copy) are reduced to the same number when, and only
 * when, they hold the same multiset of rows over the chosen columns. Each row is rendered in one
 * canonical text form (so `numeric(10,2)` 1.50 from Postgres and decimal "1.5" from Parquet agree),
 * hashed with SHA-256, and the first 64 bits are summed modulo 2^64 — a sum, not an XOR, so that
 * duplicated rows change the result instead of cancelling out.
 */
import { createHash } from 'node:crypto';

const MASK = (1n << 64n) - 1n;

/** Canonical text of one value; equal values from different engines render identically. */
export function canonicalValue(value: unknown): string {
  if (value === null || value === undefined) return '\\N';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') {
    if (Number.isInteger(value)) return value.toString();
    if (Number.isNaN(value)) return 'NaN';
    return canonicalDecimal(String(value));
  }
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return `\\x${Buffer.from(value).toString('hex')}`;
  if (typeof value === 'string') {
    if (/^-?\d+\.\d+$/.test(value)) return canonicalDecimal(value);
    return value;
  }
  if (Array.isArray(value)) return `[${value.map(canonicalValue).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0,
    );
    return `{${entries.map(([k, v]) => `${k}:${canonicalValue(v)}`).join(',')}}`;
  }
  return String(value);
}

/** `1.50` → `1.5`, `2.000` → `2`, `-0.0` → `0`. */
function canonicalDecimal(text: string): string {
  if (!text.includes('.')) return text;
  let t = text.replace(/0+$/, '').replace(/\.$/, '');
  if (t === '-0' || t === '') t = '0';
  return t;
}

/** Accumulates rows into a count and a 64-bit order-independent hash. */
export class RowChecksum {
  private sum = 0n;
  count = 0;

  constructor(private readonly columns: readonly string[]) {}

  add(row: Record<string, unknown>): void {
    const text = this.columns.map((c) => canonicalValue(row[c])).join('\u001f');
    const digest = createHash('sha256').update(text).digest();
    this.sum = (this.sum + digest.readBigUInt64BE(0)) & MASK;
    this.count++;
  }

  /** 16 hex digits. */
  get hex(): string {
    return this.sum.toString(16).padStart(16, '0');
  }
}
