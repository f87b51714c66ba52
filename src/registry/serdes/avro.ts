/**
 * Avro on avsc: schema compilation with named-type references (each referenced schema is parsed
 * first into a shared avsc registry, as Confluent's `AvroSchema` does), the logical types avsc
 * leaves to its users, and reader/writer schema resolution on decode.
 *
 * Value representation of the logical types (on encode and decode):
 *   - `decimal` (on `bytes` or `fixed`): a `string` in plain notation with exactly `scale`
 *     fraction digits, e.g. `"-1234.50"` for scale 2. Exact: no floating point on the way. Encode
 *     also accepts a `number` (converted with `String`, so only where that is exact) and fewer
 *     fraction digits than `scale` (padded); more digits than `scale` or `precision` is an error,
 *     never a silent rounding. Bytes are the big-endian two's-complement unscaled value, minimal
 *     for `bytes`, sign-extended to the size for `fixed` (Avro specification).
 *   - `uuid` (on `string`): the canonical `string`.
 *   - `date` (on `int`): a `Date` at UTC midnight (encode rejects a `Date` that is not).
 *   - `timestamp-millis` (on `long`): a `Date`.
 *   - `time-millis`, `time-micros`, `timestamp-micros`, `local-timestamp-millis`,
 *     `local-timestamp-micros`: the underlying `number` (ms/µs after midnight or epoch). A `Date`
 *     cannot hold microseconds and a local timestamp has no zone, so a number is the honest value;
 *     values are exact up to 2^53 (year 2255 in µs).
 *   - plain `long` (and the longs under the logical types above): a `number` while it is a safe
 *     integer (|v| ≤ 2^53 − 1), a `bigint` beyond, so every int64 round-trips exactly; encode takes
 *     either. (avsc's own long stops at 2^53 − 2 and refuses larger values.)
 */
import avro from 'avsc';
import { SerdeError } from './errors.js';
import type { FormatHandler, ResolvedDependency } from './format.js';
import { asciiString, SHORT_STRING } from './text.js';
import { HEADER_LENGTH, writeHeader } from './wire.js';

type AvscType = avro.Type;
type AvscResolver = ReturnType<AvscType['createResolver']>;

const { LogicalType } = avro.types;

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

/** avsc's byte cursor, the part of it the long and string types below use. */
interface Tap {
  buf: Buffer;
  pos: number;
  readLong(): number;
  writeLong(n: number): void;
  /** Marks the tap as past its end, avsc's signal for a truncated or corrupt payload. */
  _invalidate(): void;
}

/** |v| below this: avsc's own varint arithmetic on doubles is exact (zig-zag value < 2^53). */
const FAST_LIMIT = 2 ** 52;

function readBigLong(tap: Tap): number | bigint {
  const { buf } = tap;
  let n = 0n;
  let shift = 0n;
  for (;;) {
    // Past the end: leave pos beyond the buffer, which avsc reports as truncated.
    if (tap.pos >= buf.length) {
      tap.pos = buf.length + 1;
      return 0;
    }
    const b = buf[tap.pos++] as number;
    n |= BigInt(b & 0x7f) << shift;
    shift += 7n;
    if ((b & 0x80) === 0) break;
  }
  const v = n & 1n ? -((n + 1n) >> 1n) : n >> 1n;
  return v <= MAX_SAFE && v >= -MAX_SAFE ? Number(v) : v;
}

function writeBigLong(tap: Tap, v: bigint): void {
  // Writing past the end of tap.buf is dropped by the typed array; avsc sees pos beyond the end,
  // grows its buffer and writes again (its own protocol for every type).
  let z = v >= 0n ? v << 1n : (-v << 1n) - 1n;
  while (z >= 0x80n) {
    tap.buf[tap.pos++] = Number(z & 0x7fn) | 0x80;
    z >>= 7n;
  }
  tap.buf[tap.pos++] = Number(z);
}

function isLong(v: unknown): v is number | bigint {
  return (
    (typeof v === 'number' && Number.isSafeInteger(v)) ||
    (typeof v === 'bigint' && v >= INT64_MIN && v <= INT64_MAX)
  );
}

/**
 * avsc long with exact int64 values (see the module comment); registered as `long` in every
 * schema. Values of magnitude below 2^52 take avsc's own code path, so the common case costs
 * nothing extra; only larger ones go through bigint.
 */
class ExactLongType extends avro.types.LongType {
  _check(val: unknown, _flags: unknown, hook?: (v: unknown, t: unknown) => void): boolean {
    const ok = isLong(val);
    if (!ok && hook) hook(val, this);
    return ok;
  }
  _read(tap: Tap): number | bigint {
    const start = tap.pos;
    const n = tap.readLong();
    if (n < FAST_LIMIT && n > -FAST_LIMIT) return n;
    tap.pos = start;
    return readBigLong(tap);
  }
  _write(tap: Tap, val: unknown): void {
    if (typeof val === 'number' && val < FAST_LIMIT && val > -FAST_LIMIT && Number.isInteger(val))
      tap.writeLong(val);
    else if (isLong(val)) writeBigLong(tap, BigInt(val));
    else throw new Error(`invalid "long": ${typeof val === 'bigint' ? `${val}n` : JSON.stringify(val)}`);
  }
}
const EXACT_LONG = new ExactLongType();

/**
 * Reads a length-prefixed Avro string like avsc's `Tap.readString`, with short ASCII strings
 * decoded in JavaScript (`text.ts`): a `--cpu-prof` of Avro decoding showed `utf8Slice` (its JS
 * wrapper and the native call) at over a third of the time for records of short strings.
 * Everything else is decoded by Node's `utf8Slice` as avsc does, so invalid UTF-8 still becomes
 * U+FFFD the same way. Truncation is signalled the avsc way: a negative length invalidates the
 * tap, a string running past the end leaves `pos` beyond it.
 */
function readString(tap: Tap): string | undefined {
  const len = tap.readLong();
  if (len < 0) {
    tap._invalidate();
    return '';
  }
  const { buf } = tap;
  const start = tap.pos;
  const end = start + len;
  tap.pos = end;
  if (end > buf.length) return undefined;
  if (len <= SHORT_STRING) {
    const ascii = asciiString(buf, start, end);
    if (ascii !== undefined) return ascii;
  }
  return buf.toString('utf8', start, end);
}

/**
 * Writes a short ASCII string like avsc's `Tap.writeString`, without its `Buffer.byteLength`
 * (a native call per string, the largest item of an Avro encode profile): for ASCII the byte
 * length is the string length. Returns false, with nothing written, for other strings.
 */
function writeShortAscii(tap: Tap, s: string): boolean {
  const n = s.length;
  if (n > SHORT_STRING) return false;
  const start = tap.pos;
  tap.writeLong(n);
  const { buf } = tap;
  let pos = tap.pos;
  // Past the end of `buf` the writes are dropped and `pos` ends beyond it: avsc then grows its
  // buffer and encodes again (its protocol for every type).
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) {
      tap.pos = start;
      return false;
    }
    buf[pos++] = c;
  }
  tap.pos = pos;
  return true;
}

interface AvscInternals {
  _write(tap: Tap, val: unknown): void;
}
const avscStringWrite = (avro.types.StringType.prototype as unknown as AvscInternals)._write;
const avscMapWrite = (avro.types.MapType.prototype as unknown as AvscInternals)._write;

/** avsc string with the faster read and write above; registered as `string` in every schema. */
class ShortStringType extends avro.types.StringType {
  _read(tap: Tap): string | undefined {
    return readString(tap);
  }
  _write(tap: Tap, val: unknown): void {
    if (typeof val !== 'string' || !writeShortAscii(tap, val)) avscStringWrite.call(this, tap, val);
  }
}
const SHORT_STRING_TYPE = new ShortStringType();

/** avsc map whose keys are read and written with the faster functions above (avsc does its own). */
class ShortKeyMapType extends avro.types.MapType {
  _write(tap: Tap, val: unknown): void {
    if (!val || typeof val !== 'object' || Array.isArray(val)) {
      avscMapWrite.call(this, tap, val); // throws avsc's error
      return;
    }
    const values = this.valuesType as AvscInternals;
    const obj = val as Record<string, unknown>;
    const keys = Object.keys(obj);
    if (keys.length) {
      tap.writeLong(keys.length);
      for (const key of keys) {
        if (!writeShortAscii(tap, key)) (tap as Tap & { writeString(s: string): void }).writeString(key);
        values._write(tap, obj[key]);
      }
    }
    tap.writeLong(0);
  }

  _read(tap: Tap): Record<string, unknown> {
    const values = this.valuesType as { _read(tap: Tap): unknown };
    const out: Record<string, unknown> = {};
    for (;;) {
      // Blocks: a count, negative when followed by the block's byte size (Avro specification).
      let n = tap.readLong();
      if (n === 0) return out;
      if (n < 0) {
        n = -n;
        tap.readLong();
      }
      while (n-- > 0) {
        const key = readString(tap) as string;
        // `out[key] =` with key `__proto__` would set the object's prototype instead.
        if (key === '__proto__')
          Object.defineProperty(out, key, { value: values._read(tap), enumerable: true, writable: true });
        else out[key] = values._read(tap);
        // A corrupt count must not spin over a buffer already read past its end.
        if (tap.pos > tap.buf.length) return out;
      }
    }
  }
}
const isLongType = (t: AvscType): boolean => avro.Type.isType(t, 'long', 'abstract:long');
const DAY_MS = 86_400_000;

class DateLogicalType extends LogicalType {
  protected override _fromValue(days: number): Date {
    return new Date(days * DAY_MS);
  }
  protected override _toValue(value: unknown): number | undefined {
    if (!(value instanceof Date)) return undefined;
    const ms = value.getTime();
    return Number.isInteger(ms / DAY_MS) ? ms / DAY_MS : undefined;
  }
  protected override _resolve(writer: AvscType): ((v: unknown) => unknown) | undefined {
    if (writer instanceof DateLogicalType) return (v) => v;
    if (avro.Type.isType(writer, 'int')) return (v) => this._fromValue(v as number);
    return undefined;
  }
}

class TimestampMillisLogicalType extends LogicalType {
  protected override _fromValue(ms: number | bigint): Date {
    return new Date(Number(ms));
  }
  protected override _toValue(value: unknown): number | undefined {
    return value instanceof Date && !Number.isNaN(value.getTime()) ? value.getTime() : undefined;
  }
  protected override _resolve(writer: AvscType): ((v: unknown) => unknown) | undefined {
    if (writer instanceof TimestampMillisLogicalType) return (v) => v;
    if (isLongType(writer) || avro.Type.isType(writer, 'int')) return (v) => this._fromValue(v as number);
    return undefined;
  }
}

const UUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

class UuidLogicalType extends LogicalType {
  protected override _fromValue(s: string): string {
    return s;
  }
  protected override _toValue(value: unknown): string | undefined {
    return typeof value === 'string' && UUID_RE.test(value) ? value : undefined;
  }
  protected override _resolve(writer: AvscType): ((v: unknown) => unknown) | undefined {
    if (writer instanceof UuidLogicalType || avro.Type.isType(writer, 'string')) return (v) => v;
    return undefined;
  }
}

const DECIMAL_RE = /^([+-]?)(\d+)(?:\.(\d+))?$/;

class DecimalLogicalType extends LogicalType {
  readonly precision: number;
  readonly scale: number;
  /** Byte size of the underlying `fixed`, or undefined for `bytes`. */
  readonly fixedSize: number | undefined;

  constructor(schema: avro.Schema, opts?: unknown) {
    super(schema, opts);
    const s = schema as { precision?: unknown; scale?: unknown; size?: unknown };
    const precision = s.precision;
    const scale = s.scale ?? 0;
    if (typeof precision !== 'number' || !Number.isInteger(precision) || precision < 1)
      throw new Error(`decimal needs a positive integer precision, got ${JSON.stringify(precision)}`);
    if (typeof scale !== 'number' || !Number.isInteger(scale) || scale < 0 || scale > precision)
      throw new Error(`decimal scale must be an integer in [0, precision], got ${JSON.stringify(scale)}`);
    this.precision = precision;
    this.scale = scale;
    this.fixedSize = avro.Type.isType(this.underlyingType, 'fixed')
      ? (this.underlyingType as unknown as { size: number }).size
      : undefined;
  }

  protected override _fromValue(buf: Buffer): string {
    let unscaled = 0n;
    for (const b of buf) unscaled = (unscaled << 8n) | BigInt(b);
    if (buf.length > 0 && (buf[0] as number) & 0x80) unscaled -= 1n << BigInt(buf.length * 8);
    const negative = unscaled < 0n;
    let digits = (negative ? -unscaled : unscaled).toString();
    if (this.scale > 0) {
      digits = digits.padStart(this.scale + 1, '0');
      digits = `${digits.slice(0, -this.scale)}.${digits.slice(-this.scale)}`;
    }
    return negative ? `-${digits}` : digits;
  }

  protected override _toValue(value: unknown): Buffer | undefined {
    const text = typeof value === 'number' && Number.isFinite(value) ? String(value) : value;
    if (typeof text !== 'string') return undefined;
    const m = DECIMAL_RE.exec(text);
    if (!m) return undefined;
    const fraction = m[3] ?? '';
    if (fraction.length > this.scale) return undefined;
    const intDigits = (m[2] as string).replace(/^0+(?=\d)/, '');
    let unscaled = BigInt(intDigits + fraction.padEnd(this.scale, '0'));
    if (unscaled.toString().length > this.precision && unscaled !== 0n) return undefined;
    if (m[1] === '-') unscaled = -unscaled;
    return this.toTwosComplement(unscaled);
  }

  private toTwosComplement(unscaled: bigint): Buffer | undefined {
    // Minimal big-endian two's complement (Java BigInteger.toByteArray): enough bytes that the
    // top bit of the first byte carries the sign.
    let size = 1;
    while (unscaled >= 1n << BigInt(size * 8 - 1) || unscaled < -(1n << BigInt(size * 8 - 1))) size++;
    if (this.fixedSize !== undefined) {
      if (size > this.fixedSize) return undefined;
      size = this.fixedSize;
    }
    const out = Buffer.alloc(size);
    let v = unscaled < 0n ? (1n << BigInt(size * 8)) + unscaled : unscaled;
    for (let i = size - 1; i >= 0; i--) {
      out[i] = Number(v & 0xffn);
      v >>= 8n;
    }
    return out;
  }

  protected override _resolve(writer: AvscType): ((v: unknown) => unknown) | undefined {
    if (writer instanceof DecimalLogicalType && writer.scale === this.scale) return (v) => v;
    return undefined;
  }
}

const LOGICAL_TYPES = {
  date: DateLogicalType,
  'timestamp-millis': TimestampMillisLogicalType,
  uuid: UuidLogicalType,
  decimal: DecimalLogicalType,
} as unknown as Record<string, new (schema: avro.Schema, opts?: unknown) => avro.types.LogicalType>;

export interface AvroCompiled {
  type: AvscType;
  /** Resolvers from writer types, keyed by the writer's compiled object (reader side only). */
  resolvers: WeakMap<AvscType, AvscResolver | null>;
}

/** Avro-specific serializer options: none yet beyond the common ones. */
export type AvroEncodeOptions = object;
/** Avro-specific deserializer options (the reader schema is handled by `serde.ts`). */
export type AvroDecodeOptions = object;

function parseSchemaText(text: string, what: string): avro.Schema {
  try {
    return JSON.parse(text) as avro.Schema;
  } catch (e) {
    // A bare primitive name ("string") is valid Avro schema text but not JSON.
    if (/^\s*[A-Za-z_][A-Za-z0-9_.]*\s*$/.test(text)) return text.trim() as avro.Schema;
    throw new SerdeError({
      reason: 'invalid-schema',
      message: `invalid Avro schema ${what}: not JSON (${(e as Error).message})`,
      cause: e,
    });
  }
}

/**
 * Writers such as Kafka Connect's AvroConverter spell longs as objects (`{"type":"long",
 * "connect.name":…}`), Java-generated schemas strings as `{"type":"string","avro.java.string":…}`;
 * avsc builds its own long (2^53-limited) and string for those instead of looking up the name in
 * the registry. Plain object longs and strings become the names, so they get the types above
 * (the extra properties are not part of the schema's canonical form).
 */
function exactLongs(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(exactLongs);
  if (!node || typeof node !== 'object') return node;
  const o = node as Record<string, unknown>;
  // A record field (`{name, type: 'long'}`) has a name; a type object never does.
  if ((o.type === 'long' || o.type === 'string') && o.logicalType === undefined && !('name' in o))
    return o.type;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) out[k] = k === 'default' || k === 'symbols' ? v : exactLongs(v);
  return out;
}

/** Maps without a logical type get `ShortKeyMapType` (avsc has no registry name for maps). */
function mapHook(schema: avro.Schema, opts: avro.ForSchemaOptions): AvscType | undefined {
  const s = schema as { type?: unknown; logicalType?: unknown };
  if (typeof s === 'object' && s !== null && s.type === 'map' && s.logicalType === undefined)
    return new ShortKeyMapType(schema, opts);
  return undefined;
}

function forSchema(schema: avro.Schema, registry: Record<string, AvscType>, what: string): AvscType {
  try {
    return avro.Type.forSchema(
      exactLongs(schema) as avro.Schema,
      {
        registry,
        logicalTypes: LOGICAL_TYPES,
        typeHook: mapHook,
        // Unions stay unwrapped (`null | string`) unless two branches could take the same value.
        wrapUnions: 'auto',
      } as Partial<avro.ForSchemaOptions>,
    );
  } catch (e) {
    throw new SerdeError({
      reason: 'invalid-schema',
      message: `invalid Avro schema ${what}: ${(e as Error).message}`,
      cause: e,
    });
  }
}

/** avsc reports paths as arrays of field names and indexes; we print JSON-pointer style. */
function firstInvalidPath(type: AvscType, value: unknown): { path: string; detail: string } | undefined {
  let found: { path: string; detail: string } | undefined;
  type.isValid(value, {
    errorHook: (path: string[], v: unknown, t: AvscType) => {
      if (found) return;
      const shown = v instanceof Date ? v.toISOString() : typeof v === 'bigint' ? `${v}n` : JSON.stringify(v);
      const tname = t.name ?? (t as { _logicalTypeName?: string })._logicalTypeName ?? t.typeName;
      found = { path: `/${path.join('/')}`, detail: `${shown ?? String(v)} is not a valid ${tname}` };
    },
  });
  return found;
}

/** Reused by `encode` (synchronous, so never shared between two messages in flight). */
const SCRATCH_SIZE = 16 * 1024;
const SCRATCH_MAX = 1024 * 1024;
let scratch = Buffer.allocUnsafe(SCRATCH_SIZE);

export const avroHandler: FormatHandler<AvroCompiled, AvroEncodeOptions, AvroDecodeOptions> = {
  schemaType: 'AVRO',

  compile(schema: string, dependencies: readonly ResolvedDependency[]): AvroCompiled {
    const registry: Record<string, AvscType> = { long: EXACT_LONG, string: SHORT_STRING_TYPE };
    for (const dep of dependencies)
      forSchema(parseSchemaText(dep.schema, `reference '${dep.name}'`), registry, `reference '${dep.name}'`);
    return { type: forSchema(parseSchemaText(schema, 'text'), registry, 'text'), resolvers: new WeakMap() };
  },

  recordName(compiled: AvroCompiled): string | undefined {
    return compiled.type.name;
  },

  encode(compiled: AvroCompiled, schemaId: number, value: unknown): Buffer {
    let end: number;
    try {
      // Encode straight after the header in a reused scratch buffer, then copy once into the
      // result: one allocation per message (avsc's toBuffer would add a second).
      for (;;) {
        end = compiled.type.encode(value, scratch, HEADER_LENGTH);
        if (end >= 0) break;
        scratch = Buffer.allocUnsafe(Math.max(scratch.length * 2, scratch.length - end + HEADER_LENGTH));
      }
    } catch (e) {
      // avsc's own message has no path; find it only on this slow path so valid records pay nothing.
      const bad = firstInvalidPath(compiled.type, value);
      throw new SerdeError({
        reason: 'value-mismatch',
        ...(bad ? { fieldPath: bad.path } : {}),
        schemaId,
        message: bad
          ? `value does not match Avro schema ${schemaId} at ${bad.path}: ${bad.detail}`
          : `value does not match Avro schema ${schemaId}: ${(e as Error).message}`,
        cause: e,
      });
    }
    writeHeader(scratch, schemaId);
    const out = Buffer.allocUnsafe(end);
    scratch.copy(out, 0, 0, end);
    // One huge record should not pin a huge scratch buffer for the life of the process.
    if (scratch.length > SCRATCH_MAX) scratch = Buffer.allocUnsafe(SCRATCH_SIZE);
    return out;
  },

  decode(writer, bytes, offset, _opts, reader): unknown {
    // avsc reads from an offset: no view of the payload is made for a Buffer (the usual input).
    const buf = Buffer.isBuffer(bytes)
      ? bytes
      : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let type = writer.type;
    let resolver: AvscResolver | undefined;
    if (reader) {
      type = reader.type;
      let r = reader.resolvers.get(writer.type);
      if (r === undefined) {
        try {
          r = reader.type.equals(writer.type) ? null : reader.type.createResolver(writer.type);
        } catch (e) {
          throw new SerdeError({
            reason: 'invalid-schema',
            message: `reader schema cannot read writer schema: ${(e as Error).message}`,
            cause: e,
          });
        }
        reader.resolvers.set(writer.type, r);
      }
      resolver = r ?? undefined;
    }
    let result: { value: unknown; offset: number };
    try {
      result = type.decode(buf, offset, resolver);
    } catch (e) {
      throw new SerdeError({
        reason: 'invalid-payload',
        offset,
        message: `Avro payload starting at offset ${offset} cannot be decoded: ${(e as Error).message}`,
        cause: e,
      });
    }
    // avsc signals a payload that ends early with a negative offset instead of throwing.
    if (result.offset < 0)
      throw new SerdeError({
        reason: 'truncated',
        offset: bytes.length,
        message: `truncated Avro payload: the record needs more than the ${buf.length - offset} bytes after offset ${offset}`,
      });
    if (result.offset !== buf.length)
      throw new SerdeError({
        reason: 'invalid-payload',
        offset: result.offset,
        message: `${buf.length - result.offset} trailing bytes after the Avro record at offset ${result.offset}`,
      });
    return result.value;
  },
};
