/**
 * Values of Iceberg primitive types in memory, and their binary single-value serialisation (spec
 * Appendix D, used for manifest lower/upper bounds). In-memory forms: boolean → boolean;
 * int/date (days) → number; long/time (µs)/timestamp(tz) (µs)/timestamp(tz)_ns (ns) → bigint;
 * float/double → number; decimal → bigint unscaled value; string/uuid → string; binary/fixed →
 * Uint8Array. Caller literals (ISO strings, Dates, numbers) are coerced with `toInternal`.
 */
import { validationError } from './errors.js';
import { decimalParams, fixedLength, type PrimitiveType } from './types.js';

export type IcebergValue = boolean | number | bigint | string | Uint8Array;

const enc = new TextEncoder();
const dec = new TextDecoder('utf-8', { fatal: true });
const MS_PER_DAY = 86_400_000;

const LONG_LIKE = new Set(['long', 'time', 'timestamp', 'timestamptz', 'timestamp_ns', 'timestamptz_ns']);

export function isNanos(t: PrimitiveType): boolean {
  return t === 'timestamp_ns' || t === 'timestamptz_ns';
}

function parseIsoToMicros(s: string, nanos: boolean, what: string): bigint {
  // Split off sub-millisecond digits, since Date keeps only milliseconds.
  const m =
    /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2})?)(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?$/.exec(
      s.trim(),
    );
  if (!m) throw validationError('InvalidLiteral', `${what}: cannot read ${JSON.stringify(s)} as a timestamp`);
  const base = Date.parse(`${m[1]}T${m[2] ?? '00:00:00'}${m[4] ?? 'Z'}`);
  if (Number.isNaN(base))
    throw validationError('InvalidLiteral', `${what}: invalid timestamp ${JSON.stringify(s)}`);
  const frac = (m[3] ?? '').padEnd(9, '0');
  const subNanos = BigInt(frac);
  const total = BigInt(base) * 1_000_000n + subNanos;
  return nanos ? total : total / 1000n;
}

/** Unscaled value of a decimal literal at the given scale; rounds nothing (extra digits are an error). */
export function decimalToUnscaled(v: number | string | bigint, scale: number, what: string): bigint {
  if (typeof v === 'bigint') return v * 10n ** BigInt(scale);
  const s = typeof v === 'number' ? v.toFixed(scale) : v.trim();
  const m = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(s);
  if (!m || (m[2] === '' && (m[3] ?? '') === ''))
    throw validationError('InvalidLiteral', `${what}: cannot read ${JSON.stringify(v)} as a decimal`);
  const frac = m[3] ?? '';
  if (frac.length > scale && /[1-9]/.test(frac.slice(scale)))
    throw validationError('InvalidLiteral', `${what}: ${s} has more than ${scale} fraction digits`);
  const digits = (m[2] || '0') + frac.slice(0, scale).padEnd(scale, '0');
  const u = BigInt(digits);
  return m[1] === '-' ? -u : u;
}

export function unscaledToDecimalString(u: bigint, scale: number): string {
  const neg = u < 0n;
  const s = (neg ? -u : u).toString().padStart(scale + 1, '0');
  const body = scale === 0 ? s : `${s.slice(0, s.length - scale)}.${s.slice(s.length - scale)}`;
  return neg ? `-${body}` : body;
}

/** `f79c3e09-677c-4bbd-a479-3f349cb785e7` ↔ 16 bytes, big-endian (spec Appendix D). */
export function uuidToBytes(u: string): Uint8Array {
  const hex = u.replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex))
    throw validationError('InvalidLiteral', `not a UUID: ${JSON.stringify(u)}`);
  const out = new Uint8Array(16);
  for (let i = 0; i < 16; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}
export function bytesToUuid(b: Uint8Array): string {
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * Coerces a caller literal to the in-memory form of `type`. `what` names the column in errors.
 * Accepts: numbers/bigints for numeric types, ISO strings or `Date` for date/time types, strings or
 * numbers for decimals, strings for uuid, Uint8Array for binary/fixed.
 */
export function toInternal(type: PrimitiveType, v: unknown, what: string): IcebergValue {
  const bad = () =>
    validationError('InvalidLiteral', `${what}: value ${describe(v)} does not fit type ${type}`);
  if (type === 'boolean') {
    if (typeof v === 'boolean') return v;
    throw bad();
  }
  if (type === 'int') {
    const n = typeof v === 'bigint' ? Number(v) : v;
    if (typeof n === 'number' && Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31) return n;
    throw bad();
  }
  if (type === 'float' || type === 'double') {
    if (typeof v === 'number') return type === 'float' ? Math.fround(v) : v;
    if (typeof v === 'bigint') return Number(v);
    throw bad();
  }
  if (type === 'date') {
    if (typeof v === 'number' && Number.isInteger(v)) return v;
    if (v instanceof Date) return Math.floor(v.getTime() / MS_PER_DAY);
    if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v)) {
      const ms = Date.parse(`${v}T00:00:00Z`);
      if (!Number.isNaN(ms)) return ms / MS_PER_DAY;
    }
    throw bad();
  }
  if (LONG_LIKE.has(type)) {
    if (typeof v === 'bigint') return v;
    if (typeof v === 'number' && Number.isInteger(v)) return BigInt(v);
    if (type === 'long') throw bad();
    if (type === 'time' && typeof v === 'string') {
      const m = /^(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?$/.exec(v);
      if (!m) throw bad();
      const sec = Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3] ?? 0);
      return BigInt(sec) * 1_000_000n + BigInt((m[4] ?? '').padEnd(6, '0'));
    }
    if (v instanceof Date) {
      const ms = BigInt(v.getTime());
      return isNanos(type) ? ms * 1_000_000n : ms * 1000n;
    }
    if (typeof v === 'string') return parseIsoToMicros(v, isNanos(type), what);
    throw bad();
  }
  if (type === 'string') {
    if (typeof v === 'string') return v;
    throw bad();
  }
  if (type === 'uuid') {
    if (typeof v === 'string') return bytesToUuid(uuidToBytes(v));
    if (v instanceof Uint8Array && v.length === 16) return bytesToUuid(v);
    throw bad();
  }
  if (type === 'binary') {
    if (v instanceof Uint8Array) return v;
    throw bad();
  }
  const len = fixedLength(type);
  if (len !== undefined) {
    if (v instanceof Uint8Array && v.length === len) return v;
    throw bad();
  }
  const d = decimalParams(type);
  if (d) {
    if (typeof v === 'number' || typeof v === 'string' || typeof v === 'bigint') {
      const u = decimalToUnscaled(v, d.scale, what);
      if ((u < 0n ? -u : u) >= 10n ** BigInt(d.precision)) throw bad();
      return u;
    }
    throw bad();
  }
  throw validationError('UnsupportedType', `${what}: literals of type ${type} are not supported`);
}

export function describe(v: unknown): string {
  if (typeof v === 'bigint') return `${v}n`;
  if (v instanceof Uint8Array) return `0x${Array.from(v, (b) => b.toString(16).padStart(2, '0')).join('')}`;
  if (typeof v === 'string') return JSON.stringify(v);
  return String(v);
}

/** Total order within one type: numbers/bigints numerically, strings by code point, bytes unsigned. */
export function compareValues(a: IcebergValue, b: IcebergValue): number {
  if (a instanceof Uint8Array && b instanceof Uint8Array) {
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number);
    return a.length - b.length;
  }
  if (typeof a === 'string' && typeof b === 'string') {
    if (a === b) return 0;
    // Code-point order (equals UTF-8 byte order), unlike `<` which compares UTF-16 units.
    const ia = a[Symbol.iterator]();
    const ib = b[Symbol.iterator]();
    for (;;) {
      const x = ia.next();
      const y = ib.next();
      if (x.done) return y.done ? 0 : -1;
      if (y.done) return 1;
      const d = (x.value.codePointAt(0) as number) - (y.value.codePointAt(0) as number);
      if (d !== 0) return d;
    }
  }
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  if ((typeof a === 'number' || typeof a === 'bigint') && (typeof b === 'number' || typeof b === 'bigint'))
    return a < b ? -1 : a > b ? 1 : 0;
  throw validationError('IncomparableValues', `cannot compare ${describe(a)} with ${describe(b)}`);
}

export function valuesEqual(a: IcebergValue, b: IcebergValue): boolean {
  return compareValues(a, b) === 0;
}

function minimalTwosComplement(u: bigint): Uint8Array {
  const bytes: number[] = [];
  let v = u;
  // Emit little-endian until the remaining value is all sign bits and the sign bit is right.
  for (;;) {
    const b = Number(v & 0xffn);
    bytes.push(b);
    v >>= 8n;
    if ((v === 0n && (b & 0x80) === 0) || (v === -1n && (b & 0x80) !== 0)) break;
  }
  return Uint8Array.from(bytes.reverse());
}

/** Spec Appendix D single-value serialisation. */
export function serializeValue(type: PrimitiveType, v: IcebergValue): Uint8Array {
  const dv = (n: number) => {
    const b = new Uint8Array(n);
    return [b, new DataView(b.buffer)] as const;
  };
  switch (type) {
    case 'boolean':
      return Uint8Array.of(v ? 1 : 0);
    case 'int':
    case 'date': {
      const [b, d] = dv(4);
      d.setInt32(0, Number(v), true);
      return b;
    }
    case 'float': {
      const [b, d] = dv(4);
      d.setFloat32(0, Number(v), true);
      return b;
    }
    case 'double': {
      const [b, d] = dv(8);
      d.setFloat64(0, Number(v), true);
      return b;
    }
    case 'string':
      return enc.encode(v as string);
    case 'uuid':
      return uuidToBytes(v as string);
    case 'binary':
      return v as Uint8Array;
  }
  if (LONG_LIKE.has(type)) {
    const [b, d] = dv(8);
    d.setBigInt64(0, BigInt(v as bigint), true);
    return b;
  }
  if (fixedLength(type) !== undefined) return v as Uint8Array;
  if (decimalParams(type)) return minimalTwosComplement(v as bigint);
  throw validationError('UnsupportedType', `cannot serialise a value of type ${type}`);
}

export function deserializeValue(type: PrimitiveType, b: Uint8Array): IcebergValue {
  const d = new DataView(b.buffer, b.byteOffset, b.byteLength);
  switch (type) {
    case 'boolean':
      return b[0] !== 0;
    case 'int':
    case 'date':
      return d.getInt32(0, true);
    case 'float':
      return d.getFloat32(0, true);
    case 'double':
      // A column promoted from float to double keeps the 4-byte bounds its old files were written with.
      return b.byteLength === 4 ? d.getFloat32(0, true) : d.getFloat64(0, true);
    case 'string':
      return dec.decode(b);
    case 'uuid':
      return bytesToUuid(b);
    case 'binary':
      return b;
  }
  if (LONG_LIKE.has(type)) {
    // v1 tables may have upgraded an int column to long: 4-byte bounds are still valid.
    return b.byteLength === 4 ? BigInt(d.getInt32(0, true)) : d.getBigInt64(0, true);
  }
  if (fixedLength(type) !== undefined) return b;
  if (decimalParams(type)) {
    let u = 0n;
    for (const x of b) u = (u << 8n) | BigInt(x);
    if (b.length > 0 && ((b[0] as number) & 0x80) !== 0) u -= 1n << BigInt(8 * b.length);
    return u;
  }
  throw validationError('UnsupportedType', `cannot read a value of type ${type}`);
}

/** JSON single-value form (spec Appendix D, used for defaults and partition values in JSON). */
export function valueToJson(type: PrimitiveType, v: IcebergValue): unknown {
  const d = decimalParams(type);
  if (d) return unscaledToDecimalString(v as bigint, d.scale);
  if (type === 'date') return new Date((v as number) * MS_PER_DAY).toISOString().slice(0, 10);
  if (type === 'long') return Number(v);
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Uint8Array) return Array.from(v, (x) => x.toString(16).padStart(2, '0')).join('');
  return v;
}

/** Human-readable form for printing filters and partitions. */
export function formatValue(type: PrimitiveType, v: IcebergValue): string {
  if (type === 'timestamp' || type === 'timestamptz') {
    const us = v as bigint;
    const ms = Number(us / 1000n);
    const iso = new Date(ms).toISOString().replace('Z', '');
    return `${iso}${(((us % 1000n) + 1000n) % 1000n).toString().padStart(3, '0')}${type === 'timestamptz' ? '+00:00' : ''}`;
  }
  const j = valueToJson(type, v);
  return typeof j === 'string' ? j : String(j);
}
