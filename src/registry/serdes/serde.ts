/**
 * `serializer(format, options)` and `deserializer(format, options)`: the format-neutral part of the
 * serdes. It picks the subject (name strategy), finds the schema id (auto-register, look up, latest
 * version or a fixed id), resolves schema references through the registry, compiles each schema
 * once per id (one compilation in flight per id, even under concurrent calls) and frames payloads
 * in the Confluent wire format. Nothing is returned or written when any step fails: encoding builds
 * the whole message in a fresh buffer only after the value was checked.
 */
import type {
  RegisteredSchema,
  SchemaInput,
  SchemaReference,
  SchemaRegistryLookup,
  SchemaType,
} from '../types.js';
import { type AvroCompiled, type AvroDecodeOptions, type AvroEncodeOptions, avroHandler } from './avro.js';
import { SerdeError } from './errors.js';
import type { FormatHandler, ResolvedDependency } from './format.js';
import { type JsonCompiled, type JsonDecodeOptions, type JsonEncodeOptions, jsonHandler } from './json.js';
import {
  type ProtobufCompiled,
  type ProtobufDecodeOptions,
  type ProtobufEncodeOptions,
  protobufHandler,
} from './protobuf.js';
import { type SubjectNameStrategy, subjectName } from './subject.js';
import { readHeader } from './wire.js';

/** Format names accepted by `serializer`/`deserializer` (the registry's `schemaType` values). */
export type SerdeFormat = SchemaType;

export interface CallOptions {
  signal?: AbortSignal;
}

export interface SerializerCommonOptions {
  client: SchemaRegistryLookup;
  /** Serializing message keys (`<topic>-key` subjects) rather than values. Default false. */
  isKey?: boolean;
  /** Default `'topic'`. */
  subjectNameStrategy?: SubjectNameStrategy;
  /**
   * The writer schema (text, or text with type and references). Needed for `autoRegister` and for
   * look-up; optional with `useLatest` / `useSchemaId`, where the registry's schema is used.
   */
  schema?: string | SchemaInput;
  /** Record name for record strategies when no local schema gives one. */
  recordName?: string;
  /**
   * Register the schema under the subject on first use (Confluent `auto.register.schemas`).
   * Default true when `schema` is given and neither `useLatest` nor `useSchemaId` is set. When
   * false, the schema must already be registered and is looked up.
   */
  autoRegister?: boolean;
  /** Write with the subject's latest version (Confluent `use.latest.version`). Read once, then cached. */
  useLatest?: boolean;
  /** Write with this schema id (Confluent `use.schema.id`). */
  useSchemaId?: number;
  /** Ask the registry to normalize the schema on register/look-up. */
  normalize?: boolean;
}

export type AvroSerializerOptions = SerializerCommonOptions & AvroEncodeOptions;
export type JsonSerializerOptions = SerializerCommonOptions & JsonEncodeOptions;
export type ProtobufSerializerOptions = SerializerCommonOptions & ProtobufEncodeOptions;

export interface DeserializerCommonOptions {
  client: SchemaRegistryLookup;
  /** Passed to `getSchemaById` as the subject hint (needed for registry contexts). */
  subject?: string;
}
export type AvroDeserializerOptions = DeserializerCommonOptions &
  AvroDecodeOptions & {
    /**
     * Reader schema: decoded values are resolved from the writer schema to this one (Avro schema
     * resolution: added fields take defaults, removed fields are skipped, promotions apply).
     */
    readerSchema?: string | SchemaInput;
  };
export type JsonDeserializerOptions = DeserializerCommonOptions & JsonDecodeOptions;
export type ProtobufDeserializerOptions = DeserializerCommonOptions & ProtobufDecodeOptions;

export interface Serializer<T = unknown> {
  readonly format: SerdeFormat;
  /** The whole Kafka message value (or key): magic byte, schema id, [message indexes], payload. */
  serialize(topic: string, value: T, opts?: CallOptions): Promise<Buffer>;
}

export interface Deserializer<T = unknown> {
  readonly format: SerdeFormat;
  deserialize(topic: string, bytes: Uint8Array, opts?: CallOptions): Promise<T>;
  /** Schema id of a message, without decoding it. */
  schemaIdOf(bytes: Uint8Array): number;
}

// biome-ignore lint/suspicious/noExplicitAny: handlers differ in their compiled type.
type AnyHandler = FormatHandler<any, any, any>;

const HANDLERS: Record<SerdeFormat, AnyHandler> = {
  AVRO: avroHandler,
  JSON: jsonHandler,
  PROTOBUF: protobufHandler,
};

function handlerFor(format: SerdeFormat): AnyHandler {
  const h = HANDLERS[format];
  if (!h)
    throw new SerdeError({ reason: 'invalid-options', message: `unknown serde format '${String(format)}'` });
  return h;
}

function toInput(schema: string | SchemaInput, format: SerdeFormat): SchemaInput {
  const input = typeof schema === 'string' ? { schema } : schema;
  if (input.schemaType !== undefined && input.schemaType !== format)
    throw new SerdeError({
      reason: 'invalid-options',
      message: `schema is of type ${input.schemaType} but the serde format is ${format}`,
    });
  // AVRO is the registry's default type and is omitted on the wire, like Confluent's clients do.
  return format === 'AVRO' ? input : { ...input, schemaType: format };
}

/**
 * Fetches referenced schemas, depth-first so each dependency precedes the schemas that use it;
 * a schema reachable along two paths is fetched and listed once.
 */
async function resolveDependencies(
  client: SchemaRegistryLookup,
  references: readonly SchemaReference[] | undefined,
  signal: AbortSignal | undefined,
): Promise<ResolvedDependency[]> {
  const out: ResolvedDependency[] = [];
  const seen = new Set<string>();
  const visit = async (refs: readonly SchemaReference[], chain: string[]): Promise<void> => {
    for (const ref of refs) {
      const key = `${ref.subject}\u0000${ref.version}`;
      if (seen.has(key)) continue;
      if (chain.includes(key))
        throw new SerdeError({
          reason: 'invalid-schema',
          message: `schema references form a cycle through ${ref.subject} v${ref.version}`,
        });
      const dep = await client.getSchemaVersion(ref.subject, ref.version, signal ? { signal } : {});
      await visit(dep.references ?? [], [...chain, key]);
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ name: ref.name, subject: ref.subject, version: ref.version, schema: dep.schema });
    }
  };
  await visit(references ?? [], []);
  return out;
}

function isNotFound(e: unknown): boolean {
  const err = e as { status?: unknown; code?: unknown } | null;
  return err !== null && typeof err === 'object' && (err.status === 404 || err.code === 40403);
}

/** One promise per key: concurrent callers share one fetch/compile; failures are not cached. */
class SingleFlight<K, V> {
  private readonly map = new Map<K, Promise<V>>();
  get(key: K, make: () => Promise<V>): Promise<V> {
    let p = this.map.get(key);
    if (!p) {
      p = make();
      this.map.set(key, p);
      p.catch(() => this.map.delete(key));
    }
    return p;
  }
}

interface WriteTarget<C> {
  id: number;
  compiled: C;
}

class SerializerImpl<C> implements Serializer {
  readonly format: SerdeFormat;
  private readonly handler: AnyHandler;
  private readonly opts: SerializerCommonOptions;
  private readonly input: SchemaInput | undefined;
  private readonly targets = new SingleFlight<string, WriteTarget<C>>();
  /** Resolved targets by subject. */
  private readonly ready = new Map<string, WriteTarget<C>>();
  /** Resolved targets by topic, where the strategy makes the subject depend on the topic only. */
  private readonly readyByTopic = new Map<string, WriteTarget<C>>();
  private local: Promise<C> | undefined;
  private readonly isKey: boolean;
  private readonly strategy: SubjectNameStrategy;

  constructor(format: SerdeFormat, opts: SerializerCommonOptions) {
    this.format = format;
    this.handler = handlerFor(format);
    this.opts = opts;
    this.input = opts.schema === undefined ? undefined : toInput(opts.schema, format);
    this.isKey = opts.isKey ?? false;
    this.strategy = opts.subjectNameStrategy ?? 'topic';
    const modes = [
      opts.useLatest === true,
      opts.useSchemaId !== undefined,
      opts.autoRegister === true,
    ].filter(Boolean).length;
    if (modes > 1)
      throw new SerdeError({
        reason: 'invalid-options',
        message: 'choose one of autoRegister, useLatest and useSchemaId',
      });
    if (!this.input && !opts.useLatest && opts.useSchemaId === undefined)
      throw new SerdeError({
        reason: 'invalid-options',
        message: 'a serializer needs a schema unless it uses useLatest or useSchemaId',
      });
  }

  private compileLocal(signal: AbortSignal | undefined): Promise<C> {
    if (!this.local) {
      const input = this.input as SchemaInput;
      this.local = resolveDependencies(this.opts.client, input.references, signal).then(
        (deps) => this.handler.compile(input.schema, deps, this.opts) as C,
      );
      this.local.catch(() => {
        this.local = undefined;
      });
    }
    return this.local;
  }

  private async compileRegistered(reg: RegisteredSchema, signal: AbortSignal | undefined): Promise<C> {
    if ((reg.schemaType ?? 'AVRO') !== this.format)
      throw new SerdeError({
        reason: 'schema-type-mismatch',
        schemaId: reg.id,
        message: `schema ${reg.id} is ${reg.schemaType}, not ${this.format}`,
      });
    const deps = await resolveDependencies(this.opts.client, reg.references, signal);
    return this.handler.compile(reg.schema, deps, this.opts) as C;
  }

  private async subjectFor(topic: string, signal: AbortSignal | undefined): Promise<string> {
    if (this.strategy === 'topic')
      return subjectName('topic', { topic, isKey: this.isKey, recordName: undefined });
    let recordName = this.opts.recordName;
    if (recordName === undefined && this.input)
      recordName = this.handler.recordName(await this.compileLocal(signal), this.opts);
    return subjectName(this.strategy, { topic, isKey: this.isKey, recordName });
  }

  private async resolveTarget(subject: string, signal: AbortSignal | undefined): Promise<WriteTarget<C>> {
    const { client, normalize } = this.opts;
    const callOpts = { ...(normalize === undefined ? {} : { normalize }), ...(signal ? { signal } : {}) };
    if (this.opts.useSchemaId !== undefined) {
      const id = this.opts.useSchemaId;
      const reg = await client.getSchemaById(id, { subject, ...(signal ? { signal } : {}) });
      return { id, compiled: await this.compileRegistered({ ...reg, id }, signal) };
    }
    if (this.opts.useLatest) {
      const reg = await client.getLatestSchema(subject, signal ? { signal } : {});
      return { id: reg.id, compiled: await this.compileRegistered(reg, signal) };
    }
    const input = this.input as SchemaInput;
    // Compile before registering: an invalid schema or reference fails here, not in the registry.
    const compiled = await this.compileLocal(signal);
    if (this.opts.autoRegister !== false) {
      const { id } = await client.registerSchema(subject, input, callOpts);
      return { id, compiled };
    }
    const reg = await client.lookupSchema(subject, input, callOpts);
    return { id: reg.id, compiled };
  }

  serialize(topic: string, value: unknown, opts?: CallOptions): Promise<Buffer> {
    // Steady state (built-in strategies): no awaits, one map look-up by topic.
    const ready = this.readyByTopic.get(topic);
    if (ready) {
      try {
        return Promise.resolve(this.handler.encode(ready.compiled, ready.id, value, this.opts));
      } catch (e) {
        return Promise.reject(e);
      }
    }
    return this.serializeSlow(topic, value, opts?.signal);
  }

  private async serializeSlow(
    topic: string,
    value: unknown,
    signal: AbortSignal | undefined,
  ): Promise<Buffer> {
    const subject = await this.subjectFor(topic, signal);
    let target = this.ready.get(subject);
    if (!target) {
      target = await this.targets.get(subject, () => this.resolveTarget(subject, signal));
      this.ready.set(subject, target);
    }
    // Built-in strategies take the record name from options or the local schema, never from the
    // value: the subject depends on the topic alone. A custom function might not.
    if (typeof this.strategy !== 'function') this.readyByTopic.set(topic, target);
    return this.handler.encode(target.compiled, target.id, value, this.opts);
  }
}

class DeserializerImpl<C> implements Deserializer {
  readonly format: SerdeFormat;
  private readonly handler: AnyHandler;
  private readonly opts: DeserializerCommonOptions & { readerSchema?: string | SchemaInput };
  private readonly writers = new SingleFlight<number, C>();
  private readonly ready = new Map<number, C>();
  private reader: Promise<C> | undefined;
  private readerReady: C | undefined;

  constructor(
    format: SerdeFormat,
    opts: DeserializerCommonOptions & { readerSchema?: string | SchemaInput },
  ) {
    this.format = format;
    this.handler = handlerFor(format);
    this.opts = opts;
    if (opts.readerSchema !== undefined && format !== 'AVRO')
      throw new SerdeError({
        reason: 'invalid-options',
        message: `readerSchema applies to AVRO only (got ${format})`,
      });
  }

  schemaIdOf(bytes: Uint8Array): number {
    return readHeader(bytes).schemaId;
  }

  private async fetchWriter(id: number, signal: AbortSignal | undefined): Promise<C> {
    let reg: RegisteredSchema;
    try {
      reg = await this.opts.client.getSchemaById(id, {
        ...(this.opts.subject === undefined ? {} : { subject: this.opts.subject }),
        ...(signal ? { signal } : {}),
      });
    } catch (e) {
      if (!isNotFound(e)) throw e;
      throw new SerdeError({
        reason: 'unknown-schema-id',
        offset: 1,
        schemaId: id,
        message: `unknown schema id ${id} (bytes 1-4 of the message): the registry has no such schema`,
        cause: e,
      });
    }
    if ((reg.schemaType ?? 'AVRO') !== this.format)
      throw new SerdeError({
        reason: 'schema-type-mismatch',
        offset: 1,
        schemaId: id,
        message: `schema id ${id} (bytes 1-4) is a ${reg.schemaType} schema; this deserializer reads ${this.format}`,
      });
    const deps = await resolveDependencies(this.opts.client, reg.references, signal);
    return this.handler.compile(reg.schema, deps, this.opts) as C;
  }

  private readerSchema(signal: AbortSignal | undefined): Promise<C> | undefined {
    const rs = this.opts.readerSchema;
    if (rs === undefined) return undefined;
    if (!this.reader) {
      const input = toInput(rs, this.format);
      this.reader = resolveDependencies(this.opts.client, input.references, signal).then(
        (deps) => this.handler.compile(input.schema, deps, this.opts) as C,
      );
      this.reader.catch(() => {
        this.reader = undefined;
      });
    }
    return this.reader;
  }

  deserialize(topic: string, bytes: Uint8Array, opts?: CallOptions): Promise<unknown> {
    // Steady state: schema compiled (and reader ready, if any): decode without awaits.
    try {
      const { schemaId, payloadOffset } = readHeader(bytes);
      const writer = this.ready.get(schemaId);
      if (writer !== undefined && (this.opts.readerSchema === undefined || this.readerReady !== undefined))
        return Promise.resolve(
          this.handler.decode(writer, bytes, payloadOffset, this.opts, this.readerReady, schemaId),
        );
    } catch (e) {
      return Promise.reject(e);
    }
    return this.deserializeSlow(topic, bytes, opts);
  }

  private async deserializeSlow(_topic: string, bytes: Uint8Array, opts?: CallOptions): Promise<unknown> {
    const { schemaId, payloadOffset } = readHeader(bytes);
    let writer = this.ready.get(schemaId);
    if (writer === undefined) {
      writer = await this.writers.get(schemaId, () => this.fetchWriter(schemaId, opts?.signal));
      this.ready.set(schemaId, writer);
    }
    const reader = this.opts.readerSchema === undefined ? undefined : await this.readerSchema(opts?.signal);
    this.readerReady = reader;
    return this.handler.decode(writer, bytes, payloadOffset, this.opts, reader, schemaId);
  }
}

/**
 * A serializer for one format. Values are plain JavaScript values in the representation the
 * format documents (see `avro.ts` for Avro logical types); Protobuf also takes protobufjs messages.
 */
export function serializer<T = unknown>(format: 'AVRO', opts: AvroSerializerOptions): Serializer<T>;
export function serializer<T = unknown>(format: 'JSON', opts: JsonSerializerOptions): Serializer<T>;
export function serializer<T = unknown>(format: 'PROTOBUF', opts: ProtobufSerializerOptions): Serializer<T>;
export function serializer<T = unknown>(
  format: SerdeFormat,
  opts: AvroSerializerOptions | JsonSerializerOptions | ProtobufSerializerOptions,
): Serializer<T>;
export function serializer<T = unknown>(format: SerdeFormat, opts: SerializerCommonOptions): Serializer<T> {
  return new SerializerImpl<unknown>(format, opts) as Serializer<T>;
}

/** A deserializer for one format; it reads any schema id of that format from the registry. */
export function deserializer<T = unknown>(format: 'AVRO', opts: AvroDeserializerOptions): Deserializer<T>;
export function deserializer<T = unknown>(format: 'JSON', opts: JsonDeserializerOptions): Deserializer<T>;
export function deserializer<T = unknown>(
  format: 'PROTOBUF',
  opts: ProtobufDeserializerOptions,
): Deserializer<T>;
export function deserializer<T = unknown>(
  format: SerdeFormat,
  opts: AvroDeserializerOptions | JsonDeserializerOptions | ProtobufDeserializerOptions,
): Deserializer<T>;
export function deserializer<T = unknown>(
  format: SerdeFormat,
  opts: DeserializerCommonOptions & { readerSchema?: string | SchemaInput },
): Deserializer<T> {
  return new DeserializerImpl<unknown>(format, opts) as Deserializer<T>;
}

export type { AvroCompiled, JsonCompiled, ProtobufCompiled };
