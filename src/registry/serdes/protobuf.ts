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
import {
  HEADER_LENGTH,
  messageIndexesLength,
  readMessageIndexes,
  writeHeader,
  writeMessageIndexes,
} from './wire.js';

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
  writeTargets: Map<string, { type: Type; indexes: number[] }>;
}

const DEFAULT_CONVERSION: protobuf.IConversionOptions = { longs: String, enums: String };
const BASE64_RE = /^[A-Za-z0-9+/\r\n]+={0,2}\s*$/;
const fileDescriptor = (descriptorExt as unknown as { FileDescriptorProto: protobuf.Type })
  .FileDescriptorProto;

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
  const fields = type.fields;
  for (const key in obj) {
    const v = obj[key];
    const field = fields[key];
    if (!field) return { segments: [key], detail: `no field '${key}' in message ${fullName(type)}` };
    if (v === undefined || v === null) continue;
    let bad: Problem | undefined;
    if (field.map) {
      if (typeof v !== 'object' || Array.isArray(v))
        return { segments: [key], detail: 'expected an object for a map field' };
      for (const k in v as Record<string, unknown>) {
        bad = checkValue(field, (v as Record<string, unknown>)[k]);
        if (bad) {
          bad.segments.unshift(key, k);
          return bad;
        }
      }
    } else if (field.repeated) {
      if (!Array.isArray(v)) return { segments: [key], detail: 'expected an array for a repeated field' };
      for (let i = 0; i < v.length; i++) {
        bad = checkValue(field, v[i]);
        if (bad) {
          bad.segments.unshift(key, i);
          return bad;
        }
      }
    } else {
      bad = checkValue(field, v);
      if (bad) {
        bad.segments.unshift(key);
        return bad;
      }
    }
  }
  return undefined;
}

function checkValue(field: protobuf.Field, v: unknown): Problem | undefined {
  const rt = field.resolvedType;
  if (rt instanceof protobuf.Type) return checkMessage(rt, v);
  if (rt instanceof protobuf.Enum) {
    if (Number.isInteger(v)) return undefined;
    if (typeof v === 'string' && v in rt.values) {
      needsConversion = true;
      return undefined;
    }
    return { segments: [], detail: `${JSON.stringify(v)} is not a value of enum ${fullName(rt)}` };
  }
  let ok: boolean;
  switch (field.type) {
    case 'int32':
    case 'uint32':
    case 'sint32':
    case 'fixed32':
    case 'sfixed32':
      ok = Number.isInteger(v);
      break;
    case 'int64':
    case 'uint64':
    case 'sint64':
    case 'fixed64':
    case 'sfixed64':
      if (Number.isSafeInteger(v)) ok = true;
      else if (typeof v === 'string') ok = needsConversion = /^-?\d+$/.test(v);
      else ok = typeof v === 'object' && v !== null && 'low' in v && 'high' in v;
      break;
    case 'double':
    case 'float':
      ok = typeof v === 'number';
      break;
    case 'bool':
      ok = typeof v === 'boolean';
      break;
    case 'string':
      ok = typeof v === 'string';
      break;
    case 'bytes':
      if (v instanceof Uint8Array) ok = true;
      else ok = needsConversion = typeof v === 'string';
      break;
    default:
      ok = true;
  }
  return ok
    ? undefined
    : { segments: [], detail: `${JSON.stringify(v) ?? String(v)} is not a valid ${field.type}` };
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
      const writeTargets = new Map<string, { type: Type; indexes: number[] }>();
      let firstMessage: string | undefined;
      for (const [name, indexes] of indexesByName) {
        const type = root.lookupType(name);
        typesByPath.set(indexes.join(','), type);
        writeTargets.set(name, { type, indexes });
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
      let payload: Uint8Array;
      try {
        // Checked values with numbers for enums and 64-bit integers are already what the encoder
        // reads; only names and strings need protobufjs's conversion first.
        const msg =
          value instanceof protobuf.Message || !needsConversion
            ? (value as protobuf.Message)
            : target.type.fromObject(value as Record<string, unknown>);
        payload = target.type.encode(msg).finish();
      } catch (e) {
        throw new SerdeError({
          reason: 'value-mismatch',
          schemaId,
          message: `value cannot be encoded as Protobuf message ${name}: ${(e as Error).message}`,
          cause: e,
        });
      }
      const idxLen = messageIndexesLength(target.indexes);
      const out = Buffer.allocUnsafe(HEADER_LENGTH + idxLen + payload.length);
      writeHeader(out, schemaId);
      writeMessageIndexes(out, HEADER_LENGTH, target.indexes);
      out.set(payload, HEADER_LENGTH + idxLen);
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
  let msg: protobuf.Message;
  try {
    msg = type.decode(bytes.subarray(offset));
  } catch (e) {
    const m = /index out of range: (\d+) \+ (\d+) > (\d+)/.exec((e as Error).message);
    const truncated = m !== null || e instanceof RangeError;
    const at = m ? offset + Number(m[1]) : offset;
    throw new SerdeError({
      reason: truncated ? 'truncated' : 'invalid-payload',
      offset: at,
      schemaId,
      message: `Protobuf payload of ${fullName(type)} (starting at offset ${offset}) cannot be decoded at offset ${at}: ${(e as Error).message}`,
      cause: e,
    });
  }
  return opts.conversion === false ? msg : type.toObject(msg, opts.conversion ?? DEFAULT_CONVERSION);
}
