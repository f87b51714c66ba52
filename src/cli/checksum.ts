/**
 * Order-independent content checksums for `lakekit counts --checksum`: both sides of a CDC flow
 * (a Postgres/MySQL table and its Iceberg/Delta copy) are reduced to the same number when, and only
 * when, they hold the same multiset of rows over the chosen columns. Each row is rendered in one
 * canonical text form (so `numeric(10,2)` 1.50 from Postgres and decimal "1.5" from Parquet agree),
 * hashed with SHA-256, and the first 64 bits are summed modulo 2^64 — a sum, not an XOR, so that
 * duplicated rows change the result instead of cancelling out.
 *
 * Values whose engines disagree on representation are rendered from their meaning, by column kind:
 * dates as days since 1970-01-01, times as microseconds since midnight, timestamps (with or without a
 * zone) as microseconds since the epoch (a zone-less timestamp read as UTC wall time, which is how
 * Parquet, Arrow, Iceberg and Delta store it), and 32-bit floats as the float32 value. The source
 * side parses the database's text; the lakehouse side reads the raw Arrow buffers (Arrow's own
 * getters round timestamps to milliseconds, which would hide a microsecond difference). A Debezium
 * event stores dates, times and timestamps as exactly these integers, so a table written from
 * Debezium's raw values checksums equal to its source too.
 */
import { createHash } from 'node:crypto';
import { type Data, type DataType, makeVector, TimeUnit, Type, type Vector } from 'apache-arrow';

const MASK = (1n << 64n) - 1n;

/** How a column's values are rendered; `value` = by the JS value alone (`canonicalValue`). */
export type ColumnKind = 'value' | 'date' | 'time' | 'timestamp' | 'float32';

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

/**
 * Days since 1970-01-01 of a proleptic Gregorian date (astronomical year: 1 BC is year 0), or
 * undefined for a date that does not exist (MySQL's `0000-00-00`, `2024-02-30`): such text is kept
 * as it is instead of being rolled over into a real day.
 */
function epochDay(year: number, month: number, day: number): number | undefined {
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  if (d.getUTCFullYear() !== year || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== day)
    return undefined;
  return Math.round(d.getTime() / 86_400_000);
}

const DATE_TEXT = /^(\d{4,})-(\d{2})-(\d{2})( BC)?$/;
const TIME_TEXT = /^(-)?(\d{2,}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?$/;
const TIMESTAMP_TEXT =
  /^(\d{4,})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}(?::?\d{2}(?::?\d{2})?)?)?( BC)?$/;

/**
 * `n / 10^k` microseconds as exact decimal text: sign, whole part, and a fraction only when there
 * is one (digits past the microsecond survive, so nanosecond values never collide).
 */
function exactMicros(n: bigint, k: number): string {
  const d = 10n ** BigInt(k);
  const a = n < 0n ? -n : n;
  const frac = k ? (a % d).toString().padStart(k, '0').replace(/0+$/, '') : '';
  return `${n < 0n ? '-' : ''}${a / d}${frac ? `.${frac}` : ''}`;
}

/** Nanoseconds of a fractional-seconds text (`.5` → 500000000). */
function fractionNanos(frac: string | undefined): bigint {
  return BigInt((frac ?? '').padEnd(9, '0'));
}

function offsetSeconds(zone: string | undefined): number {
  if (!zone || zone === 'Z') return 0;
  const sign = zone.startsWith('-') ? -1 : 1;
  const digits = zone.slice(1).replace(/:/g, '');
  const h = Number(digits.slice(0, 2));
  const m = Number(digits.slice(2, 4) || 0);
  const s = Number(digits.slice(4, 6) || 0);
  return sign * (h * 3600 + m * 60 + s);
}

/**
 * Canonical text of a database value of `kind`, given as the driver's text (or number for floats).
 * Text that does not parse (`infinity`, MySQL's zero dates) is kept as it is: it can only equal
 * the same text on the other side.
 */
export function canonicalOf(kind: ColumnKind, value: unknown): string {
  if (value === null || value === undefined) return '\\N';
  switch (kind) {
    case 'float32': {
      const n = typeof value === 'number' ? value : Number(value);
      return Number.isNaN(n) ? 'NaN' : canonicalValue(Math.fround(n));
    }
    case 'date': {
      const m = DATE_TEXT.exec(String(value));
      if (!m) return String(value);
      const y = Number(m[1]);
      const day = epochDay(m[4] ? 1 - y : y, Number(m[2]), Number(m[3]));
      return day === undefined ? String(value) : String(day);
    }
    case 'time': {
      const m = TIME_TEXT.exec(String(value));
      if (!m) return String(value);
      const secs = BigInt(m[2]!) * 3600n + BigInt(m[3]!) * 60n + BigInt(m[4]!);
      const ns = secs * 1_000_000_000n + fractionNanos(m[5]);
      return exactMicros(m[1] ? -ns : ns, 3);
    }
    case 'timestamp': {
      const m = TIMESTAMP_TEXT.exec(String(value));
      if (!m) return String(value);
      const y = Number(m[1]);
      const days = epochDay(m[9] ? 1 - y : y, Number(m[2]), Number(m[3]));
      if (days === undefined) return String(value);
      const day = BigInt(days);
      const secs = BigInt(Number(m[4]) * 3600 + Number(m[5]) * 60 + Number(m[6]) - offsetSeconds(m[8]));
      return exactMicros((day * 86_400n + secs) * 1_000_000_000n + fractionNanos(m[7]), 3);
    }
    default:
      return canonicalValue(value);
  }
}

/** Accumulates rows into a count and a 64-bit order-independent hash. */
export class RowChecksum {
  private sum = 0n;
  count = 0;
  private kinds: ColumnKind[];

  constructor(
    private readonly columns: readonly string[],
    kinds: Readonly<Record<string, ColumnKind>> = {},
  ) {
    this.kinds = columns.map((c) => kinds[c] ?? 'value');
  }

  /** Sets how columns are rendered, once their types are known (before the first row). */
  setKinds(kinds: Readonly<Record<string, ColumnKind>>): void {
    this.kinds = this.columns.map((c) => kinds[c] ?? 'value');
  }

  add(row: Record<string, unknown>): void {
    this.addCanonical(this.columns.map((c, i) => canonicalOf(this.kinds[i]!, row[c])));
  }

  /** Adds a row already rendered in canonical text, one entry per column. */
  addCanonical(values: readonly string[]): void {
    const digest = createHash('sha256').update(values.join('\u001f')).digest();
    this.sum = (this.sum + digest.readBigUInt64BE(0)) & MASK;
    this.count++;
  }

  /** 16 hex digits. */
  get hex(): string {
    return this.sum.toString(16).padStart(16, '0');
  }
}

/** Renders row `i` of one Arrow column in canonical text. */
type Renderer = (i: number) => string;

/** Why an Arrow type cannot be checksummed, or undefined when it can. */
export function arrowUncanonical(type: DataType): string | undefined {
  switch (type.typeId) {
    case Type.Int:
    case Type.Utf8:
    case Type.LargeUtf8:
    case Type.Bool:
    case Type.Null:
    case Type.Binary:
    case Type.LargeBinary:
    case Type.FixedSizeBinary:
    case Type.Date:
    case Type.Time:
    case Type.Timestamp:
    case Type.Decimal:
      return undefined;
    case Type.Float:
      return String(type) === 'Float16' ? String(type) : undefined;
    case Type.Dictionary: {
      // Dictionary values are rendered by their JS value: only types whose JS value is exact.
      const values = (type as unknown as { dictionary: DataType }).dictionary;
      const exact = [Type.Int, Type.Utf8, Type.LargeUtf8, Type.Bool, Type.Binary, Type.LargeBinary];
      return exact.includes(values.typeId) ? undefined : `dictionary of ${String(values)}`;
    }
    default:
      return String(type);
  }
}

const UNIT_TO_MICROS: Record<number, bigint> = {
  [TimeUnit.SECOND]: 1_000_000n,
  [TimeUnit.MILLISECOND]: 1000n,
  [TimeUnit.MICROSECOND]: 1n,
};

/** `n` units of `unit` as canonical microseconds. */
function microsText(n: bigint, unit: TimeUnit): string {
  return unit === TimeUnit.NANOSECOND ? exactMicros(n, 3) : (n * UNIT_TO_MICROS[unit]!).toString();
}

/** A 128/256-bit two's-complement decimal (little-endian 32-bit words) as canonical text. */
function decimalText(words: Uint32Array, at: number, stride: number, scale: number): string {
  let v = 0n;
  for (let w = stride - 1; w >= 0; w--) v = (v << 32n) | BigInt(words[at + w]!);
  if (words[at + stride - 1]! & 0x8000_0000) v -= 1n << BigInt(32 * stride);
  const neg = v < 0n;
  const digits = (neg ? -v : v).toString().padStart(scale + 1, '0');
  const text = scale ? `${digits.slice(0, -scale)}.${digits.slice(-scale)}` : digits;
  return canonicalDecimal(`${neg ? '-' : ''}${text}`);
}

function chunkRenderer(data: Data): Renderer {
  const type = data.type as DataType & { unit?: TimeUnit; scale?: number; bitWidth?: number };
  const valid = (i: number) => data.getValid(i);
  const values = data.values as ArrayLike<number | bigint>;
  const num = (i: number) => BigInt(values[i] as number | bigint);
  switch (type.typeId) {
    case Type.Date:
      // DateDay holds days; DateMillisecond holds milliseconds since the epoch.
      return type.unit === 0
        ? (i) => (valid(i) ? String(values[i]) : '\\N')
        : (i) => (valid(i) ? String(num(i) / 86_400_000n) : '\\N');
    case Type.Time:
    case Type.Timestamp:
      return (i) => (valid(i) ? microsText(num(i), type.unit as TimeUnit) : '\\N');
    case Type.Decimal: {
      const stride = (type.bitWidth ?? 128) / 32;
      const words = data.values as Uint32Array;
      return (i) => (valid(i) ? decimalText(words, i * stride, stride, type.scale ?? 0) : '\\N');
    }
    case Type.Float:
      return (i) => (valid(i) ? canonicalValue(Number(values[i])) : '\\N');
    default: {
      const vector = makeVector(data);
      return (i) => canonicalValue(vector.get(i));
    }
  }
}

/**
 * Adds every row of `columns` of an Arrow table or record batch to `sum`, rendering each column
 * from its Arrow type. Throws (naming the columns) when a column's type has no canonical form.
 */
export function addArrowRows(
  sum: RowChecksum,
  batch: { numRows: number; getChild(name: string): Vector | null },
  columns: readonly string[],
  onUncanonical: (bad: string[]) => Error,
): void {
  const vectors = columns.map((c) => batch.getChild(c));
  const bad = columns.flatMap((c, k) => {
    const why = vectors[k] ? arrowUncanonical(vectors[k].type) : undefined;
    return why ? [`${c} (${why})`] : [];
  });
  if (bad.length) throw onUncanonical(bad);
  const missing: Renderer = () => '\\N';
  // Walk chunk by chunk in step: the columns of one table may be chunked at different rows.
  const cursors = vectors.map((v) => ({
    chunks: v?.data ?? [],
    chunk: -1,
    end: 0,
    base: 0,
    render: missing,
  }));
  for (let row = 0; row < batch.numRows; row++) {
    const out = new Array<string>(columns.length);
    for (let k = 0; k < cursors.length; k++) {
      const c = cursors[k]!;
      while (row >= c.end && c.chunk + 1 < c.chunks.length) {
        c.chunk++;
        c.base = c.end;
        c.end += c.chunks[c.chunk]!.length;
        c.render = chunkRenderer(c.chunks[c.chunk]!);
      }
      out[k] = row < c.end ? c.render(row - c.base) : '\\N';
    }
    sum.addCanonical(out);
  }
}
