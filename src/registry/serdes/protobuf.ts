/**
 * Protobuf on protobufjs. A schema is one `.proto` file whose imports are its registry references
 * (reference name = import path); well-known types (`google/protobuf/*.proto`) that are not given
 * as references come from protobufjs's bundled copies, as Confluent's clients skip registering
 * them by default. Schema text may be `.proto` source or a base64 `FileDescriptorProto` (the form
 * Confluent's Python serializer registers). Field names are kept as written in the `.proto`
 * (`keepCase`), so plain objects use the same names as other languages' generated code.
 *
 * The message-index array locates the message in its file by declaration order: top-level message
 * index, then nested-message indexes (Confluent wire format). It is computed from the file's own
 * declarations, never from imported files that share the package. Like protoc (and so Confluent's
 * clients), it counts the synthetic entry type of each `map<…>` field among a message's nested
 * types, which protobufjs does not materialize.
 */
import protobuf from 'protobufjs';
import descriptorExt from 'protobufjs/ext/descriptor/index.js';
import { SerdeError } from './errors.js';
import type { FormatHandler, ResolvedDependency } from './format.js';
import { plainDecoder } from './protobuf-plain.js';
import { encodeMessageIndexes, HEADER_LENGTH, readMessageIndexes, writeHeader } from './wire.js';

type Root = protobuf.Root;
type Type = protobuf.Type;
type Namespace = protobuf.Namespace;

export interface ProtobufEncodeOptions {
  /**
   * Full name of the message type to write (`pkg.Outer.Inner`, leading dot optional). Default: the
   * first message declared in the file.
   */
  messageType?: string;
}

export interface ProtobufDecodeOptions {
  /**
   * How decoded messages become plain objects (protobufjs `IConversionOptions`). Default
   * `{ longs: String, enums: String }`: 64-bit integers as exact decimal strings, enums by name,
   * bytes as `Buffer`, and fields at their proto3 default left out, as on the wire. `false`
   * returns the protobufjs message itself (fastest; 64-bit integers as `Long`).
   */
  conversion?: protobuf.IConversionOptions | false;
}

export interface WriteTarget {
  type: Type;
  indexes: number[];
  /** The message-index array as written after the header. */
  indexBytes: Uint8Array;
}

export interface ProtobufCompiled {
  root: Root;
  /** Full name (no leading dot) → message-index path in the file. */
  indexesByName: Map<string, number[]>;
  /** Message-index path joined by ',' → type. */
  typesByPath: Map<string, Type>;
  /** Full name of the first message of the file, the default message type. */
  firstMessage: string | undefined;
  /** The message at index path `[0]`. */
  firstType: Type | undefined;
  /** Types by full name, with their precomputed index path (serializer side). */
  writeTargets: Map<string, WriteTarget>;
}

/** Reused by `encode` (synchronous, so never shared between two messages in flight). */
let scratchWriter = protobuf.Writer.create();
const headerScratch = new Uint8Array(HEADER_LENGTH);
const SCRATCH_MAX = 1024 * 1024;

const DEFAULT_CONVERSION: protobuf.IConversionOptions = { longs: String, enums: String };
const BASE64_RE = /^[A-Za-z0-9+/\r\n]+={0,2}\s*$/;
const fileDescriptor = (descriptorExt as unknown as { FileDescriptorProto: protobuf.Type })
  .FileDescriptorProto;

/**
 * A protobufjs buffer reader whose 64-bit integer reads give a `number` when the value is a safe
 * integer and protobufjs's `Long` only beyond. A `--cpu-prof` of decoding showed `Long` allocation
 * and `Long#toString` (the default `longs: String` conversion) at over a quarter of the time;
 * `toObject` turns a number into the same decimal string with `String`. Used only when the
 * conversion makes numbers and `Long`s alike (`longs` is `String`, `Number` or `BigInt`), so what
 * the caller gets does not change.
 */
type LongLike = protobuf.Long | number;
type Reader64 = protobuf.BufferReader &
  Record<'int64' | 'uint64' | 'sint64' | 'fixed64' | 'sfixed64', () => LongLike>;
const BaseReader = protobuf.Reader.prototype as unknown as Reader64;
/** Largest value of `Long.high` (signed, or unsigned for `uint64`) for which the value is safe. */
const SAFE_HIGH = 0x200000;

function safeNumber(v: LongLike, unsigned: boolean): LongLike {
  if (typeof v === 'number') return v;
  if (unsigned) return v.high >>> 0 < SAFE_HIGH ? (v.high >>> 0) * 2 ** 32 + (v.low >>> 0) : v;
  return v.high < SAFE_HIGH && v.high > -SAFE_HIGH ? v.high * 2 ** 32 + (v.low >>> 0) : v;
}

/**
 * A varint of at most 7 bytes (below 2^49, exact in a double) read straight into a number; -1
 * (with `pos` unchanged) for a longer or truncated one, which protobufjs's own reader then reads.
 */
function shortVarint(r: protobuf.Reader): number {
  const { buf, len } = r;
  let pos = r.pos;
  let value = 0;
  let scale = 1;
  for (let i = 0; i < 7 && pos < len; i++) {
    const b = buf[pos++] as number;
    value += (b & 0x7f) * scale;
    if (b < 0x80) {
      r.pos = pos;
      return value;
    }
    scale *= 128;
  }
  return -1;
}

class SafeLongReader extends protobuf.BufferReader {}
Object.assign(SafeLongReader.prototype, {
  int64(this: Reader64): LongLike {
    const v = shortVarint(this);
    return v >= 0 ? v : safeNumber(BaseReader.int64.call(this), false);
  },
  uint64(this: Reader64): LongLike {
    const v = shortVarint(this);
    return v >= 0 ? v : safeNumber(BaseReader.uint64.call(this), true);
  },
  sint64(this: Reader64): LongLike {
    const v = shortVarint(this);
    if (v >= 0) return v % 2 === 0 ? v / 2 : -(v + 1) / 2;
    return safeNumber(BaseReader.sint64.call(this), false);
  },
  fixed64(this: Reader64): LongLike {
    return safeNumber(BaseReader.fixed64.call(this), true);
  },
  sfixed64(this: Reader64): LongLike {
    return safeNumber(BaseReader.sfixed64.call(this), false);
  },
});

/** `{ longs: String, enums: String }` and nothing else: what `plainDecoder` produces. */
function isDefaultConversion(c: protobuf.IConversionOptions): boolean {
  if (c === DEFAULT_CONVERSION) return true;
  for (const key in c)
    if (key !== 'longs' && key !== 'enums' && c[key as keyof protobuf.IConversionOptions] !== undefined)
      return false;
  return (c.longs as unknown) === String && (c.enums as unknown) === String;
}

/** Whether a conversion turns numbers and `Long`s into the same output (see `SafeLongReader`). */
function numbersForLongs(conversion: protobuf.IConversionOptions): boolean {
  const longs = conversion.longs as unknown;
  return longs === String || longs === Number || longs === BigInt;
}

interface ParsedFile {
  /** The file on its own, for its declaration order. */
  alone: Root;
  pkg: string | undefined;
  imports: string[];
  /**
   * Nested-type names per scope (package or message full name), in descriptor order, map-entry
   * types included (as names no protobufjs type has). Undefined if it could not be read.
   */
  order: Map<string, string[]> | undefined;
  /** Adds this file's declarations into a shared root. */
  addTo(root: Root): void;
}

function invalid(what: string, e: unknown): SerdeError {
  return new SerdeError({
    reason: 'invalid-schema',
    message: `invalid Protobuf schema ${what}: ${(e as Error).message}`,
    cause: e,
  });
}

function parseFile(text: string, what: string): ParsedFile {
  try {
    if (!/[;{]/.test(text) && BASE64_RE.test(text)) {
      const fdp = fileDescriptor.decode(Buffer.from(text, 'base64')) as unknown as DescriptorFile;
      const alone = fromDescriptorUnresolved(fdp);
      const json = alone.toJSON().nested ?? {};
      return {
        alone,
        pkg: fdp.package || undefined,
        imports: fdp.dependency ?? [],
        order: descriptorOrder(fdp),
        addTo: (root) => {
          root.addJSON(json);
        },
      };
    }
    const parsed = protobuf.parse(text, new protobuf.Root(), { keepCase: true });
    return {
      alone: parsed.root,
      pkg: parsed.package,
      imports: [...(parsed.imports ?? []), ...(parsed.weakImports ?? [])],
      order: sourceOrder(text, parsed.package),
      addTo: (root) => {
        protobuf.parse(text, root, { keepCase: true });
      },
    };
  } catch (e) {
    throw invalid(what, e);
  }
}

/**
 * `Root.fromDescriptor` ends with `resolveAll()`, which fails for a file whose imports live in
 * other descriptors (each registry reference is its own file). The types are only needed
 * unresolved here (they are re-added to the shared root, which resolves once everything is in), so
 * resolution is skipped for this one synchronous call.
 */
function fromDescriptorUnresolved(fdp: unknown): Root {
  const proto = protobuf.Root.prototype as unknown as { resolveAll(): Root };
  const resolveAll = proto.resolveAll;
  proto.resolveAll = function (this: Root) {
    return this;
  };
  try {
    return (protobuf.Root as unknown as { fromDescriptor(d: unknown, o: unknown): Root }).fromDescriptor(
      { file: [fdp] },
      { keepCase: true },
    );
  } finally {
    proto.resolveAll = resolveAll;
  }
}

function messagesOf(ns: Namespace): Type[] {
  return ns.nestedArray.filter((n): n is Type => n instanceof protobuf.Type);
}

function fullName(t: protobuf.ReflectionObject): string {
  return t.fullName.replace(/^\./, '');
}

interface DescriptorMessage {
  name?: string;
  nestedType?: DescriptorMessage[];
}
interface DescriptorFile {
  package?: string;
  dependency?: string[];
  messageType?: DescriptorMessage[];
}

function descriptorOrder(fdp: DescriptorFile): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const walk = (scope: string, messages: DescriptorMessage[]): void => {
    out.set(
      scope,
      messages.map((m) => m.name ?? ''),
    );
    for (const m of messages) walk(scope ? `${scope}.${m.name}` : (m.name ?? ''), m.nestedType ?? []);
  };
  walk(fdp.package ?? '', fdp.messageType ?? []);
  return out;
}

/**
 * Nested-type order as protoc builds it from `.proto` source: messages (and proto2 groups) in
 * declaration order, with a synthetic entry type wherever a `map<…>` field is declared.
 * protobufjs keeps fields and nested types apart and so loses that interleaving; this scan of the
 * source (comments and strings removed) recovers it.
 */
function sourceOrder(text: string, pkg: string | undefined): Map<string, string[]> {
  const src = text
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/\/\/[^\n]*/g, ' ')
    .replace(/"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'/g, '""');
  const tokens = src.match(/[A-Za-z_][\w.]*|\S/g) ?? [];
  const root = pkg ?? '';
  const out = new Map<string, string[]>([[root, []]]);
  const stack: (string | null)[] = []; // message scopes by full name; null for other braces
  const current = (): string => {
    for (let k = stack.length - 1; k >= 0; k--) {
      const s = stack[k];
      if (s !== null && s !== undefined) return s;
    }
    return root;
  };
  const ident = (t: string | undefined): t is string => t !== undefined && /^[A-Za-z_]\w*$/.test(t);
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if ((t === 'message' || t === 'group') && ident(tokens[i + 1])) {
      // `message Name {` or `[label] group Name = N [options] {`
      let j = i + 2;
      if (t === 'message' && tokens[j] !== '{') continue;
      while (j < tokens.length && tokens[j] !== '{' && tokens[j] !== ';') j++;
      if (tokens[j] !== '{') continue;
      const name = tokens[i + 1] as string;
      const scope = current();
      const full = scope ? `${scope}.${name}` : name;
      out.get(scope)?.push(name);
      out.set(full, []);
      stack.push(full);
      i = j;
    } else if (t === 'map' && tokens[i + 1] === '<') {
      let j = i + 2;
      while (j < tokens.length && tokens[j] !== '>') j++;
      out.get(current())?.push(`\u0000${tokens[j + 1] ?? ''}Entry`);
      i = j + 1;
    } else if (t === '{') stack.push(null);
    else if (t === '}') stack.pop();
  }
  return out;
}

/** Walks the file's own declarations in order and records every message's index path. */
function indexFile(file: ParsedFile): Map<string, number[]> {
  const fromOrder = new Map<string, number[]>();
  const walkOrder = (scope: string, prefix: number[]): void => {
    file.order?.get(scope)?.forEach((name, i) => {
      const full = scope ? `${scope}.${name}` : name;
      const path = [...prefix, i];
      if (file.alone.lookup(full) instanceof protobuf.Type) fromOrder.set(full, path);
      walkOrder(full, path);
    });
  };
  walkOrder(file.pkg ?? '', []);

  // protobufjs's own order, right for every file without map fields and a check on the scan.
  const out = new Map<string, number[]>();
  const top = file.pkg ? file.alone.lookup(file.pkg) : file.alone;
  if (!(top instanceof protobuf.Namespace)) return out;
  const walk = (types: Type[], prefix: number[]): void => {
    types.forEach((t, i) => {
      const path = [...prefix, i];
      out.set(fullName(t), path);
      walk(messagesOf(t), path);
    });
  };
  walk(messagesOf(top), []);
  const sameMessages = fromOrder.size === out.size && [...out.keys()].every((k) => fromOrder.has(k));
  return sameMessages ? fromOrder : out;
}

function loadInto(
  root: Root,
  name: string,
  file: ParsedFile,
  files: Map<string, string>,
  loaded: Set<string>,
): void {
  if (loaded.has(name)) return;
  loaded.add(name);
  for (const imp of file.imports) {
    const text = files.get(imp);
    if (text !== undefined) {
      loadInto(root, imp, parseFile(text, `reference '${imp}'`), files, loaded);
      continue;
    }
    const bundled = protobuf.common.get(imp);
    if (bundled) {
      if (!loaded.has(imp)) {
        loaded.add(imp);
        root.addJSON(bundled.nested ?? {});
      }
      continue;
    }
    throw new SerdeError({
      reason: 'invalid-schema',
      message: `Protobuf schema imports '${imp}', which is neither a reference of the schema nor a bundled well-known type`,
    });
  }
  try {
    file.addTo(root);
  } catch (e) {
    throw invalid(`'${name}'`, e);
  }
}

/** A value that does not fit: its path segments (innermost last) and what is wrong. */
interface Problem {
  segments: (string | number)[];
  detail: string;
}

/**
 * Set by the checks when a value needs protobufjs's `fromObject` before encoding (an enum given by
 * name, a 64-bit integer or bytes given as a string); otherwise the plain object is encoded as is,
 * which skips a full copy. Reset by each `encode` call (synchronous, so never shared).
 */
let needsConversion = false;

/**
 * Checks a plain object against a message type before encoding: protobufjs's `fromObject`
 * silently coerces wrong values (a string into an int32 field becomes 0). Paths are assembled only
 * on failure, while the recursion unwinds, so valid values cost no string building.
 */
function checkMessage(type: Type, value: unknown): Problem | undefined {
  if (value instanceof protobuf.Message) return undefined;
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    return { segments: [], detail: `expected an object for message ${fullName(type)}` };
  const obj = value as Record<string, unknown>;
  const plan = checkPlans.get(type) ?? planFor(type);
  for (const key in obj) {
    const v = obj[key];
    const p = plan[key];
    if (p === undefined) return { segments: [key], detail: `no field '${key}' in message ${fullName(type)}` };
    if (v === undefined || v === null) continue;
    let bad: Problem | undefined;
    if (p.map) {
      if (typeof v !== 'object' || Array.isArray(v))
        return { segments: [key], detail: 'expected an object for a map field' };
      for (const k in v as Record<string, unknown>) {
        bad = checkValue(p, (v as Record<string, unknown>)[k]);
        if (bad) {
          bad.segments.unshift(key, k);
          return bad;
        }
      }
    } else if (p.repeated) {
      if (!Array.isArray(v)) return { segments: [key], detail: 'expected an array for a repeated field' };
      for (let i = 0; i < v.length; i++) {
        bad = checkValue(p, v[i]);
        if (bad) {
          bad.segments.unshift(key, i);
          return bad;
        }
      }
    } else {
      bad = checkValue(p, v);
      if (bad) {
        bad.segments.unshift(key);
        return bad;
      }
    }
  }
  return undefined;
}

/** What `checkValue` checks a field's values against, worked out once per field. */
enum Kind {
  Message,
  Enum,
  Int32,
  Int64,
  Float,
  Bool,
  String,
  Bytes,
  Any,
}
interface FieldPlan {
  field: protobuf.Field;
  kind: Kind;
  map: boolean;
  repeated: boolean;
}
const KIND_OF_TYPE: Record<string, Kind> = {
  int32: Kind.Int32,
  uint32: Kind.Int32,
  sint32: Kind.Int32,
  fixed32: Kind.Int32,
  sfixed32: Kind.Int32,
  int64: Kind.Int64,
  uint64: Kind.Int64,
  sint64: Kind.Int64,
  fixed64: Kind.Int64,
  sfixed64: Kind.Int64,
  double: Kind.Float,
  float: Kind.Float,
  bool: Kind.Bool,
  string: Kind.String,
  bytes: Kind.Bytes,
};

/**
 * Field plans by name, per message type (a prototype-less object, so a key such as `constructor`
 * is no field). A profile of encoding showed the per-value `instanceof` tests and type-name switch
 * of the checks at a quarter of the time; a plan does them once per field.
 */
const checkPlans = new WeakMap<Type, Record<string, FieldPlan>>();

function planFor(type: Type): Record<string, FieldPlan> {
  const plan = Object.create(null) as Record<string, FieldPlan>;
  for (const field of type.fieldsArray) {
    const rt = field.resolvedType;
    const kind =
      rt instanceof protobuf.Type
        ? Kind.Message
        : rt instanceof protobuf.Enum
          ? Kind.Enum
          : (KIND_OF_TYPE[field.type] ?? Kind.Any);
    plan[field.name] = { field, kind, map: field.map, repeated: field.repeated };
  }
  checkPlans.set(type, plan);
  return plan;
}

function checkValue(p: FieldPlan, v: unknown): Problem | undefined {
  let ok: boolean;
  switch (p.kind) {
    case Kind.Message:
      return checkMessage(p.field.resolvedType as Type, v);
    case Kind.Enum: {
      if (Number.isInteger(v)) return undefined;
      const rt = p.field.resolvedType as protobuf.Enum;
      if (typeof v === 'string' && v in rt.values) {
        needsConversion = true;
        return undefined;
      }
      return { segments: [], detail: `${JSON.stringify(v)} is not a value of enum ${fullName(rt)}` };
    }
    case Kind.Int32:
      ok = Number.isInteger(v);
      break;
    case Kind.Int64:
      if (Number.isSafeInteger(v)) ok = true;
      else if (typeof v === 'string') ok = needsConversion = /^-?\d+$/.test(v);
      else ok = typeof v === 'object' && v !== null && 'low' in v && 'high' in v;
      break;
    case Kind.Float:
      ok = typeof v === 'number';
      break;
    case Kind.Bool:
      ok = typeof v === 'boolean';
      break;
    case Kind.String:
      ok = typeof v === 'string';
      break;
    case Kind.Bytes:
      if (v instanceof Uint8Array) ok = true;
      else ok = needsConversion = typeof v === 'string';
      break;
    default:
      ok = true;
  }
  return ok
    ? undefined
    : { segments: [], detail: `${JSON.stringify(v) ?? String(v)} is not a valid ${p.field.type}` };
}

export const protobufHandler: FormatHandler<ProtobufCompiled, ProtobufEncodeOptions, ProtobufDecodeOptions> =
  {
    schemaType: 'PROTOBUF',

    compile(schema: string, dependencies: readonly ResolvedDependency[]): ProtobufCompiled {
      const main = parseFile(schema, 'text');
      const files = new Map(dependencies.map((d) => [d.name, d.schema]));
      const root = new protobuf.Root();
      loadInto(root, '<main>', main, files, new Set());
      try {
        root.resolveAll();
      } catch (e) {
        throw invalid('(resolving types)', e);
      }
      const indexesByName = indexFile(main);
      const typesByPath = new Map<string, Type>();
      const writeTargets = new Map<string, WriteTarget>();
      let firstMessage: string | undefined;
      for (const [name, indexes] of indexesByName) {
        const type = root.lookupType(name);
        typesByPath.set(indexes.join(','), type);
        writeTargets.set(name, { type, indexes, indexBytes: encodeMessageIndexes(indexes) });
        if (firstMessage === undefined) firstMessage = name;
      }
      return {
        root,
        indexesByName,
        typesByPath,
        firstMessage,
        firstType: typesByPath.get('0'),
        writeTargets,
      };
    },

    recordName(compiled, opts): string | undefined {
      return opts.messageType?.replace(/^\./, '') ?? compiled.firstMessage;
    },

    encode(compiled, schemaId, value, opts): Buffer {
      const name = opts.messageType?.replace(/^\./, '') ?? compiled.firstMessage;
      const target = name === undefined ? undefined : compiled.writeTargets.get(name);
      if (!target)
        throw new SerdeError({
          reason: 'invalid-options',
          schemaId,
          message: `message type '${name ?? '(none)'}' is not declared in Protobuf schema ${schemaId}`,
        });
      needsConversion = false;
      const bad = checkMessage(target.type, value);
      if (bad) {
        const path = `/${bad.segments.join('/')}`;
        throw new SerdeError({
          reason: 'value-mismatch',
          fieldPath: path,
          schemaId,
          message: `value does not match Protobuf message ${name} (schema ${schemaId}) at ${path}: ${bad.detail}`,
        });
      }
      // Header, message indexes and payload go into one reused writer, and `finish` copies them
      // into the message: one allocation and one copy per message (a separate payload buffer
      // would add a second of each).
      const header = headerScratch;
      writeHeader(header, schemaId); // checks the id; `raw` copies the bytes
      const w = scratchWriter;
      let out: Buffer;
      try {
        // Checked values with numbers for enums and 64-bit integers are already what the encoder
        // reads; only names and strings need protobufjs's conversion first.
        const msg =
          value instanceof protobuf.Message || !needsConversion
            ? (value as protobuf.Message)
            : target.type.fromObject(value as Record<string, unknown>);
        w.raw(header).raw(target.indexBytes);
        target.type.encode(msg, w);
        out = w.finish() as Buffer;
        w.reset();
      } catch (e) {
        scratchWriter = protobuf.Writer.create(); // the old one may hold a partial message
        throw new SerdeError({
          reason: 'value-mismatch',
          schemaId,
          message: `value cannot be encoded as Protobuf message ${name}: ${(e as Error).message}`,
          cause: e,
        });
      }
      // One huge message should not pin a huge buffer for the life of the process.
      if ((w as unknown as { buf: Uint8Array }).buf.length > SCRATCH_MAX)
        scratchWriter = protobuf.Writer.create();
      return out;
    },

    decode(compiled, bytes, offset, opts, _reader, schemaId): unknown {
      // The common `[0]` (one 0 byte) skips the general varint reader and the path look-up.
      if (bytes[offset] === 0 && compiled.firstType)
        return decodeMessage(compiled.firstType, schemaId, bytes, offset + 1, opts);
      const { indexes, next } = readMessageIndexes(bytes, offset);
      const type = compiled.typesByPath.get(indexes.join(','));
      if (!type)
        throw new SerdeError({
          reason: 'unknown-message-index',
          offset,
          schemaId,
          message: `message-index path [${indexes.join(', ')}] at offset ${offset} names no message in Protobuf schema ${schemaId}`,
        });
      return decodeMessage(type, schemaId, bytes, next, opts);
    },
  };

function decodeMessage(
  type: Type,
  schemaId: number,
  bytes: Uint8Array,
  offset: number,
  opts: ProtobufDecodeOptions,
): unknown {
  const conversion = opts.conversion === undefined ? DEFAULT_CONVERSION : opts.conversion;
  const plain = conversion !== false && isDefaultConversion(conversion) ? plainDecoder(type) : undefined;
  // The reader starts at the payload in the message's own buffer: no view is made, and positions
  // in protobufjs's errors are offsets in the message.
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const reader =
    conversion !== false && numbersForLongs(conversion)
      ? new SafeLongReader(buf)
      : new protobuf.BufferReader(buf);
  reader.pos = offset;
  let msg: protobuf.Message;
  try {
    if (plain) return plain(reader, undefined, 0);
    msg = type.decode(reader);
  } catch (e) {
    const m = /index out of range: (\d+) \+ (\d+) > (\d+)/.exec((e as Error).message);
    const truncated = m !== null || e instanceof RangeError;
    const at = m ? Number(m[1]) : offset;
    throw new SerdeError({
      reason: truncated ? 'truncated' : 'invalid-payload',
      offset: at,
      schemaId,
      message: `Protobuf payload of ${fullName(type)} (starting at offset ${offset}) cannot be decoded at offset ${at}: ${(e as Error).message}`,
      cause: e,
    });
  }
  return conversion === false ? msg : type.toObject(msg, conversion);
}
