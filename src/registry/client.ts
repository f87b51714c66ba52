/**
 * `SchemaRegistryClient`: the typed client of a Confluent-compatible Schema Registry, one method per
 * operation of `specs/schema-registry.yaml`, on the shared HTTP core (auth, timeouts, retries and
 * `SchemaRegistryError` come from there). It owns the three caches serializers rely on — id →
 * schema, (subject, schema) → id, (subject, version) → schema — each sharing one in-flight request
 * per key, and keeps them consistent when subjects or versions are deleted through it.
 */
import type { components, paths } from '../../generated/schema-registry.js';
import {
  createHttpCore,
  type HttpClientOptions,
  type HttpCore,
  type ServiceProfile,
} from '../http/client.js';
import { SingleFlightCache, WaiterAbortedError } from './cache.js';
import { parseRegistryErrorBody, SchemaRegistryError } from './errors.js';
import type {
  CompatibilityLevel,
  CompatibilityResult,
  RegisteredSchema,
  RegistryMode,
  SchemaInput,
  SchemaMetadata,
  SchemaReference,
  SchemaRegistryLookup,
  SchemaRuleSet,
  SchemaType,
} from './types.js';

type WireSchema = components['schemas']['Schema'];
type WireSchemaById = components['schemas']['SchemaString'];
type WireRequest = components['schemas']['RegisterSchemaRequest'];

/** The registry's configuration as read from `/config` (level named `compatibilityLevel`). */
export type RegistryConfig = components['schemas']['Config'];
/** A configuration change for `/config` (level named `compatibility`). */
export type RegistryConfigUpdate = components['schemas']['ConfigUpdateRequest'];
/** One item of `GET /schemas`; `id`/`subject`/`version` can be missing on some compatible servers. */
export type SchemaListEntry = Omit<RegisteredSchema, 'id'> & { id?: number };

export interface SchemaRegistryClientOptions extends HttpClientOptions {
  /** Entries kept per cache (id → schema, subject+schema → id, subject+version → schema). Default 10,000; 0 disables caching. */
  cacheCapacity?: number;
}

interface Signal {
  signal?: AbortSignal;
}

/** The media type Confluent documents as preferred; Apicurio's ccompat API accepts it too. */
const REGISTRY_MEDIA_TYPE = 'application/vnd.schemaregistry.v1+json';
const ACCEPT = `${REGISTRY_MEDIA_TYPE}, application/vnd.schemaregistry+json; q=0.9, application/json; q=0.5`;
const WITH_BODY = { 'content-type': REGISTRY_MEDIA_TYPE } as const;

export const registryProfile: ServiceProfile = {
  name: 'registry',
  createError: (init) => new SchemaRegistryError(init),
  parseErrorBody: parseRegistryErrorBody,
};

export function createSchemaRegistryClient(options: SchemaRegistryClientOptions): SchemaRegistryClient {
  return new SchemaRegistryClient(options);
}

export class SchemaRegistryClient implements SchemaRegistryLookup {
  private readonly core: HttpCore<paths>;
  private readonly byId: SingleFlightCache<string, RegisteredSchema>;
  private readonly idBySchema: SingleFlightCache<string, number>;
  private readonly byVersion: SingleFlightCache<string, RegisteredSchema>;

  constructor(options: SchemaRegistryClientOptions) {
    const { cacheCapacity, ...http } = options;
    this.core = createHttpCore<paths>(
      { ...http, headers: { accept: ACCEPT, ...http.headers } },
      registryProfile,
    );
    const capacity = cacheCapacity ?? 10_000;
    this.byId = new SingleFlightCache(capacity);
    this.idBySchema = new SingleFlightCache(capacity);
    this.byVersion = new SingleFlightCache(capacity);
  }

  /** Base URL the client talks to (without a trailing slash). */
  get baseUrl(): string {
    return this.core.baseUrl;
  }

  /** Forgets every cached schema, id and version. */
  clearCaches(): void {
    this.byId.clear();
    this.idBySchema.clear();
    this.byVersion.clear();
  }

  // ── root and schemas ────────────────────────────────────────────────────────────────────────

  /**
   * `GET /`: an empty JSON object on Confluent when the registry is up. Servers that serve
   * something else there (Apicurio's ccompat API answers its HTML console) get a `protocol` error
   * rather than a JSON parse failure.
   */
  async getRoot(opts: Signal = {}): Promise<Record<string, unknown>> {
    const { data, response } = await this.core.api.GET('/', { parseAs: 'text', ...sig(opts) });
    const text = data ?? '';
    try {
      const value: unknown = JSON.parse(text);
      if (value && typeof value === 'object' && !Array.isArray(value))
        return value as Record<string, unknown>;
    } catch {
      // reported below
    }
    const type = response.headers.get('content-type') ?? 'no content type';
    throw registryProfile.createError({
      message: `registry: GET / answered HTTP ${response.status} ${type}, not a JSON object (is the base URL the Confluent-compatible API?)`,
      kind: 'protocol',
      service: registryProfile.name,
      status: response.status,
      method: 'GET',
      path: '/',
    });
  }

  /** Schema formats the registry supports, e.g. `['JSON', 'PROTOBUF', 'AVRO']`. */
  async getSchemaTypes(opts: Signal = {}): Promise<string[]> {
    const { data } = await this.core.api.GET('/schemas/types', { ...sig(opts) });
    return data!;
  }

  /** `GET /schemas`: schemas of every subject, filtered and paged. */
  async listSchemas(
    opts: {
      subjectPrefix?: string;
      deleted?: boolean;
      latestOnly?: boolean;
      offset?: number;
      limit?: number;
    } & Signal = {},
  ): Promise<SchemaListEntry[]> {
    const { signal, ...query } = opts;
    const { data } = await this.core.api.GET('/schemas', {
      params: { query },
      ...sig({ signal }),
    });
    return data!.map((s) => fromWire(s));
  }

  /**
   * The schema with a global id. Cached per (subject, id) and shared between concurrent callers;
   * `format` or `fetchMaxId` change the answer, so those calls bypass the cache.
   */
  async getSchemaById(
    id: number,
    opts: { subject?: string; format?: string; fetchMaxId?: boolean } & Signal = {},
  ): Promise<RegisteredSchema & { maxId?: number }> {
    this.checkId(id);
    const { subject, format, fetchMaxId, signal } = opts;
    if (subject !== undefined) this.checkSubject(subject);
    const load = async (s?: AbortSignal) => {
      const { data } = await this.core.api.GET('/schemas/ids/{id}', {
        params: {
          path: { id },
          query: {
            ...(subject !== undefined ? { subject } : {}),
            ...(format !== undefined ? { format } : {}),
            ...(fetchMaxId !== undefined ? { fetchMaxId } : {}),
          },
        },
        ...sig({ signal: s }),
      });
      return fromWireById(id, data!);
    };
    if (format !== undefined || fetchMaxId !== undefined) return load(signal);
    return this.shared(this.byId, idKey(subject, id), load, signal);
  }

  /** Only the schema text of a global id (Avro/JSON Schema as JSON text, Protobuf as source). */
  async getRawSchemaById(
    id: number,
    opts: { subject?: string; format?: string } & Signal = {},
  ): Promise<string> {
    this.checkId(id);
    const { signal, ...query } = opts;
    const { data } = await this.core.api.GET('/schemas/ids/{id}/schema', {
      params: { path: { id }, query },
      parseAs: 'text',
      ...sig({ signal }),
    });
    return data!;
  }

  /** Subjects in which the global id is registered. */
  async getSubjectsBySchemaId(
    id: number,
    opts: { subject?: string; deleted?: boolean } & Signal = {},
  ): Promise<string[]> {
    this.checkId(id);
    const { signal, ...query } = opts;
    const { data } = await this.core.api.GET('/schemas/ids/{id}/subjects', {
      params: { path: { id }, query },
      ...sig({ signal }),
    });
    return data!;
  }

  /** (subject, version) pairs in which the global id is registered. */
  async getVersionsBySchemaId(
    id: number,
    opts: { subject?: string; deleted?: boolean } & Signal = {},
  ): Promise<{ subject: string; version: number }[]> {
    this.checkId(id);
    const { signal, ...query } = opts;
    const { data } = await this.core.api.GET('/schemas/ids/{id}/versions', {
      params: { path: { id }, query },
      ...sig({ signal }),
    });
    return data!;
  }

  // ── subjects ────────────────────────────────────────────────────────────────────────────────

  /** Subject names; `deleted` adds soft-deleted ones, `deletedOnly` lists only those. */
  async listSubjects(
    opts: { subjectPrefix?: string; deleted?: boolean; deletedOnly?: boolean } & Signal = {},
  ): Promise<string[]> {
    const { signal, ...query } = opts;
    const { data } = await this.core.api.GET('/subjects', { params: { query }, ...sig({ signal }) });
    return data!;
  }

  /** Version numbers of a subject. */
  async listVersions(
    subject: string,
    opts: { deleted?: boolean; deletedOnly?: boolean } & Signal = {},
  ): Promise<number[]> {
    this.checkSubject(subject);
    const { signal, ...query } = opts;
    const { data } = await this.core.api.GET('/subjects/{subject}/versions', {
      params: { path: { subject }, query },
      ...sig({ signal }),
    });
    return data!;
  }

  /**
   * Registers a schema under a subject and returns its global id. The server answers the same id
   * for the same schema, so the call is safe to retry and its result is cached per (subject,
   * normalize, schema type, references, metadata, rule set, schema text).
   */
  async registerSchema(
    subject: string,
    input: SchemaInput,
    opts: { normalize?: boolean } & Signal = {},
  ): Promise<{ id: number }> {
    this.checkSubject(subject);
    this.checkInput(input);
    const { normalize, signal } = opts;
    const id = await this.shared(
      this.idBySchema,
      schemaKey(subject, input, normalize === true),
      async (s) => {
        const { data } = await this.core.api.POST('/subjects/{subject}/versions', {
          params: { path: { subject }, query: normalize !== undefined ? { normalize } : {} },
          body: toWire(input),
          headers: WITH_BODY,
          fetch: this.core.call({ retrySafe: true }),
          ...sig({ signal: s }),
        });
        return data!.id;
      },
      signal,
    );
    return { id };
  }

  /**
   * Finds the version of `subject` that holds this schema (40401 no such subject, 40403 not
   * registered there). Not cached, but its answer fills the id and version caches.
   */
  async lookupSchema(
    subject: string,
    input: SchemaInput,
    opts: { normalize?: boolean; deleted?: boolean } & Signal = {},
  ): Promise<RegisteredSchema> {
    this.checkSubject(subject);
    this.checkInput(input);
    const { signal, ...query } = opts;
    const { data } = await this.core.api.POST('/subjects/{subject}', {
      params: { path: { subject }, query },
      body: toWire(input),
      headers: WITH_BODY,
      // A lookup changes nothing on the server.
      fetch: this.core.call({ retrySafe: true }),
      ...sig({ signal }),
    });
    const found = withId(fromWire(data!, subject), `lookup in ${subject}`);
    if (!query.deleted) this.remember(subject, found);
    return found;
  }

  /** The newest version of a subject (never cached: it changes as versions are added). */
  getLatestSchema(subject: string, opts: Signal = {}): Promise<RegisteredSchema> {
    return this.getSchemaVersion(subject, 'latest', opts);
  }

  /**
   * One version of a subject. Numeric versions are cached (a version's schema never changes) unless
   * `deleted` or `format` is given; `latest` is always fetched.
   */
  async getSchemaVersion(
    subject: string,
    version: number | 'latest',
    opts: { deleted?: boolean; format?: string } & Signal = {},
  ): Promise<RegisteredSchema> {
    this.checkSubject(subject);
    const v = this.versionParam(version);
    const { signal, ...query } = opts;
    const load = async (s?: AbortSignal) => {
      const { data } = await this.core.api.GET('/subjects/{subject}/versions/{version}', {
        params: { path: { subject, version: v }, query },
        ...sig({ signal: s }),
      });
      return withId(fromWire(data!, subject), `${subject} version ${v}`);
    };
    if (version === 'latest' || version === -1 || query.deleted !== undefined || query.format !== undefined) {
      const found = await load(signal);
      if (!query.deleted && query.format === undefined) this.remember(subject, found);
      return found;
    }
    const found = await this.shared(this.byVersion, versionKey(subject, version), load, signal);
    this.byId.set(idKey(subject, found.id), found);
    return found;
  }

  /** Only the schema text of one version. */
  async getRawSchemaByVersion(
    subject: string,
    version: number | 'latest',
    opts: { deleted?: boolean; format?: string } & Signal = {},
  ): Promise<string> {
    this.checkSubject(subject);
    const { signal, ...query } = opts;
    const { data } = await this.core.api.GET('/subjects/{subject}/versions/{version}/schema', {
      params: { path: { subject, version: this.versionParam(version) }, query },
      parseAs: 'text',
      ...sig({ signal }),
    });
    return data!;
  }

  /** Global ids of the schemas whose references point at this version. */
  async getReferencedBy(subject: string, version: number | 'latest', opts: Signal = {}): Promise<number[]> {
    this.checkSubject(subject);
    const { data } = await this.core.api.GET('/subjects/{subject}/versions/{version}/referencedby', {
      params: { path: { subject, version: this.versionParam(version) } },
      ...sig(opts),
    });
    return data!;
  }

  /**
   * Deletes a subject and answers the deleted version numbers. A soft delete hides it; a permanent
   * delete (`permanent: true`) removes it, and the registry only allows that after a soft delete —
   * `softFirst: true` does both steps, tolerating a subject that was already soft-deleted.
   */
  async deleteSubject(
    subject: string,
    opts: { permanent?: boolean; softFirst?: boolean } & Signal = {},
  ): Promise<number[]> {
    this.checkSubject(subject);
    const { permanent, softFirst, signal } = opts;
    if (softFirst && !permanent)
      throw this.core.invalid('deleteSubject: softFirst only makes sense with permanent: true');
    try {
      if (permanent && softFirst) {
        try {
          await this.deleteSubjectOnce(subject, false, signal);
        } catch (e) {
          if (!(e instanceof SchemaRegistryError && e.isSubjectSoftDeleted())) throw e;
        }
      }
      return await this.deleteSubjectOnce(subject, permanent === true, signal);
    } finally {
      this.forgetSubject(subject);
    }
  }

  /**
   * Deletes one version (soft, or `permanent` after a soft delete; `softFirst` does both) and
   * answers its number.
   */
  async deleteSchemaVersion(
    subject: string,
    version: number | 'latest',
    opts: { permanent?: boolean; softFirst?: boolean } & Signal = {},
  ): Promise<number> {
    this.checkSubject(subject);
    const v = this.versionParam(version);
    const { permanent, softFirst, signal } = opts;
    if (softFirst && !permanent)
      throw this.core.invalid('deleteSchemaVersion: softFirst only makes sense with permanent: true');
    const once = async (hard: boolean) => {
      const { data } = await this.core.api.DELETE('/subjects/{subject}/versions/{version}', {
        params: { path: { subject, version: v }, query: hard ? { permanent: true } : {} },
        ...sig({ signal }),
      });
      return data!;
    };
    try {
      if (permanent && softFirst) {
        try {
          await once(false);
        } catch (e) {
          if (!(e instanceof SchemaRegistryError && e.isSchemaVersionSoftDeleted())) throw e;
        }
      }
      return await once(permanent === true);
    } finally {
      // A re-registration after a delete must reach the server again (it creates a new version).
      this.forgetSubject(subject);
    }
  }

  // ── compatibility ───────────────────────────────────────────────────────────────────────────

  /**
   * Whether `input` may be registered under `subject`: against one version when `version` is given
   * (`latest` included), else against the versions the subject's compatibility level selects.
   * `verbose` asks the server for the reasons (some servers ignore it; `messages` is then empty).
   */
  async checkCompatibility(
    subject: string,
    input: SchemaInput,
    opts: { version?: number | 'latest'; verbose?: boolean; normalize?: boolean } & Signal = {},
  ): Promise<CompatibilityResult> {
    this.checkSubject(subject);
    this.checkInput(input);
    const { version, signal, ...query } = opts;
    const common = {
      body: toWire(input),
      headers: WITH_BODY,
      // A compatibility test changes nothing on the server.
      fetch: this.core.call({ retrySafe: true }),
      ...sig({ signal }),
    };
    const { data } =
      version === undefined
        ? await this.core.api.POST('/compatibility/subjects/{subject}/versions', {
            params: { path: { subject }, query },
            ...common,
          })
        : await this.core.api.POST('/compatibility/subjects/{subject}/versions/{version}', {
            params: { path: { subject, version: this.versionParam(version) }, query },
            ...common,
          });
    return { isCompatible: data!.is_compatible, messages: data!.messages ?? [] };
  }

  // ── config ──────────────────────────────────────────────────────────────────────────────────

  /**
   * The global config, or a subject's own (40408 when it has none, unless `defaultToGlobal`).
   */
  async getConfig(
    opts: { subject?: string; defaultToGlobal?: boolean } & Signal = {},
  ): Promise<RegistryConfig> {
    const { subject, defaultToGlobal, signal } = opts;
    if (subject === undefined) {
      const { data } = await this.core.api.GET('/config', { ...sig({ signal }) });
      return data!;
    }
    this.checkSubject(subject);
    const { data } = await this.core.api.GET('/config/{subject}', {
      params: { path: { subject }, query: defaultToGlobal !== undefined ? { defaultToGlobal } : {} },
      ...sig({ signal }),
    });
    return data!;
  }

  /** Changes the global config, or a subject's own; answers the config as accepted. */
  async updateConfig(
    update: RegistryConfigUpdate,
    opts: { subject?: string } & Signal = {},
  ): Promise<RegistryConfigUpdate> {
    const { subject, signal } = opts;
    if (subject === undefined) {
      const { data } = await this.core.api.PUT('/config', {
        body: update,
        headers: WITH_BODY,
        ...sig({ signal }),
      });
      return data!;
    }
    this.checkSubject(subject);
    const { data } = await this.core.api.PUT('/config/{subject}', {
      params: { path: { subject } },
      body: update,
      headers: WITH_BODY,
      ...sig({ signal }),
    });
    return data!;
  }

  /** Removes a subject's own config (or resets the global one); answers what was removed. */
  async deleteConfig(opts: { subject?: string } & Signal = {}): Promise<RegistryConfig> {
    const { subject, signal } = opts;
    if (subject === undefined) {
      const { data } = await this.core.api.DELETE('/config', { ...sig({ signal }) });
      return data!;
    }
    this.checkSubject(subject);
    const { data } = await this.core.api.DELETE('/config/{subject}', {
      params: { path: { subject } },
      ...sig({ signal }),
    });
    return data!;
  }

  /** The effective compatibility level: the subject's own, else the global one. */
  async getCompatibilityLevel(
    opts: { subject?: string } & Signal = {},
  ): Promise<CompatibilityLevel | undefined> {
    const config = await this.getConfig(
      opts.subject === undefined ? opts : { ...opts, defaultToGlobal: true },
    );
    return config.compatibilityLevel ?? undefined;
  }

  /** Sets the compatibility level globally or for one subject. */
  async setCompatibilityLevel(
    level: CompatibilityLevel,
    opts: { subject?: string } & Signal = {},
  ): Promise<CompatibilityLevel> {
    const accepted = await this.updateConfig({ compatibility: level }, opts);
    return accepted.compatibility ?? level;
  }

  // ── mode ────────────────────────────────────────────────────────────────────────────────────

  /** The global mode, or a subject's own (40409 when it has none, unless `defaultToGlobal`). */
  async getMode(opts: { subject?: string; defaultToGlobal?: boolean } & Signal = {}): Promise<RegistryMode> {
    const { subject, defaultToGlobal, signal } = opts;
    if (subject === undefined) {
      const { data } = await this.core.api.GET('/mode', { ...sig({ signal }) });
      return data!.mode;
    }
    this.checkSubject(subject);
    const { data } = await this.core.api.GET('/mode/{subject}', {
      params: { path: { subject }, query: defaultToGlobal !== undefined ? { defaultToGlobal } : {} },
      ...sig({ signal }),
    });
    return data!.mode;
  }

  /** Sets the mode globally or for one subject; `force` allows IMPORT on a non-empty registry. */
  async setMode(
    mode: RegistryMode,
    opts: { subject?: string; force?: boolean } & Signal = {},
  ): Promise<RegistryMode> {
    const { subject, force, signal } = opts;
    const query = force !== undefined ? { force } : {};
    if (subject === undefined) {
      const { data } = await this.core.api.PUT('/mode', {
        params: { query },
        body: { mode },
        headers: WITH_BODY,
        ...sig({ signal }),
      });
      return data!.mode;
    }
    this.checkSubject(subject);
    const { data } = await this.core.api.PUT('/mode/{subject}', {
      params: { path: { subject }, query },
      body: { mode },
      headers: WITH_BODY,
      ...sig({ signal }),
    });
    return data!.mode;
  }

  /** Removes a subject's own mode (or resets the global one); answers the mode that was removed. */
  async deleteMode(opts: { subject?: string } & Signal = {}): Promise<RegistryMode> {
    const { subject, signal } = opts;
    if (subject === undefined) {
      const { data } = await this.core.api.DELETE('/mode', { ...sig({ signal }) });
      return data!.mode;
    }
    this.checkSubject(subject);
    const { data } = await this.core.api.DELETE('/mode/{subject}', {
      params: { path: { subject } },
      ...sig({ signal }),
    });
    return data!.mode;
  }

  // ── contexts ────────────────────────────────────────────────────────────────────────────────

  /** Schema contexts; the default context is `.`. */
  async listContexts(opts: Signal = {}): Promise<string[]> {
    const { data } = await this.core.api.GET('/contexts', { ...sig(opts) });
    return data!;
  }

  // ── internals ───────────────────────────────────────────────────────────────────────────────

  private async deleteSubjectOnce(
    subject: string,
    permanent: boolean,
    signal?: AbortSignal,
  ): Promise<number[]> {
    const { data } = await this.core.api.DELETE('/subjects/{subject}', {
      params: { path: { subject }, query: permanent ? { permanent: true } : {} },
      ...sig({ signal }),
    });
    return data!;
  }

  /** Runs a cached load and turns a waiter's own abort into the registry's `aborted` error. */
  private async shared<V>(
    cache: SingleFlightCache<string, V>,
    key: string,
    load: (signal: AbortSignal) => Promise<V>,
    signal?: AbortSignal,
  ): Promise<V> {
    try {
      return await cache.getOrLoad(key, load, signal);
    } catch (e) {
      if (e instanceof WaiterAbortedError) {
        throw registryProfile.createError({
          message: 'registry: call aborted by the caller',
          kind: 'aborted',
          service: registryProfile.name,
          cause: signal?.reason,
        });
      }
      throw e;
    }
  }

  /** Fills the id and version caches from a server answer that named its subject and version. */
  private remember(subject: string, schema: RegisteredSchema): void {
    this.byId.set(idKey(subject, schema.id), schema);
    if (schema.version !== undefined) this.byVersion.set(versionKey(subject, schema.version), schema);
  }

  private forgetSubject(subject: string): void {
    const prefix = `${subject}\u0000`;
    this.idBySchema.deleteWhere((k) => k.startsWith(prefix));
    this.byVersion.deleteWhere((k) => k.startsWith(prefix));
    this.byId.deleteWhere((k) => k.startsWith(prefix));
  }

  private checkSubject(subject: string): void {
    if (typeof subject !== 'string' || subject.length === 0)
      throw this.core.invalid('registry: subject must be a non-empty string');
    // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what we reject
    if (/[\u0000-\u001f\u007f]/.test(subject))
      throw this.core.invalid(`registry: subject ${JSON.stringify(subject)} contains control characters`);
  }

  private checkId(id: number): void {
    if (!Number.isSafeInteger(id) || id < 0)
      throw this.core.invalid(`registry: schema id must be a non-negative integer, got ${String(id)}`);
  }

  private checkInput(input: SchemaInput): void {
    if (!input || typeof input.schema !== 'string' || input.schema.length === 0)
      throw this.core.invalid('registry: schema text must be a non-empty string');
  }

  private versionParam(version: number | 'latest'): string {
    if (version === 'latest') return 'latest';
    if (version === -1 || (Number.isSafeInteger(version) && version > 0)) return String(version);
    throw this.core.invalid(
      `registry: version must be a positive integer, -1 or 'latest', got ${String(version)}`,
    );
  }
}

function sig(opts: { signal?: AbortSignal | undefined }): { signal?: AbortSignal } {
  return opts.signal ? { signal: opts.signal } : {};
}

function idKey(subject: string | undefined, id: number): string {
  return `${subject ?? ''}\u0000${id}`;
}

function versionKey(subject: string, version: number): string {
  return `${subject}\u0000${version}`;
}

function schemaKey(subject: string, input: SchemaInput, normalize: boolean): string {
  return [
    subject,
    normalize ? 'n' : '-',
    input.schemaType ?? 'AVRO',
    JSON.stringify(input.references ?? []),
    JSON.stringify(input.metadata ?? null),
    JSON.stringify(input.ruleSet ?? null),
    input.schema,
  ].join('\u0000');
}

function toWire(input: SchemaInput): WireRequest {
  return {
    schema: input.schema,
    // Absent means AVRO on the wire; old servers reject an explicit AVRO less often than they
    // reject an unknown field, so it is left out.
    ...(input.schemaType && input.schemaType !== 'AVRO' ? { schemaType: input.schemaType } : {}),
    ...(input.references?.length ? { references: input.references } : {}),
    ...(input.metadata ? { metadata: input.metadata } : {}),
    ...(input.ruleSet ? { ruleSet: input.ruleSet } : {}),
  };
}

function extras(s: {
  guid?: string;
  metadata?: components['schemas']['Metadata'] | null;
  ruleSet?: components['schemas']['RuleSet'] | null;
}): { guid?: string; metadata?: SchemaMetadata; ruleSet?: SchemaRuleSet } {
  return {
    ...(s.guid !== undefined ? { guid: s.guid } : {}),
    ...(s.metadata ? { metadata: s.metadata } : {}),
    ...(s.ruleSet ? { ruleSet: s.ruleSet as SchemaRuleSet } : {}),
  };
}

function fromWire(s: WireSchema, subject?: string): SchemaListEntry {
  const out: SchemaListEntry = {
    ...(s.id !== undefined ? { id: s.id } : {}),
    schema: s.schema,
    schemaType: (s.schemaType ?? 'AVRO') as SchemaType,
    references: (s.references ?? []) as SchemaReference[],
    ...extras(s),
  };
  const subj = s.subject ?? subject;
  if (subj !== undefined) out.subject = subj;
  if (s.version !== undefined) out.version = s.version;
  return out;
}

/** A single-version answer must name its id; serializers cannot use a schema without one. */
function withId(entry: SchemaListEntry, what: string): RegisteredSchema {
  if (entry.id === undefined) {
    throw registryProfile.createError({
      message: `registry: ${what} answered a schema without an id`,
      kind: 'protocol',
      service: registryProfile.name,
    });
  }
  return entry as RegisteredSchema;
}

function fromWireById(id: number, s: WireSchemaById): RegisteredSchema & { maxId?: number } {
  return {
    id,
    schema: s.schema,
    schemaType: (s.schemaType ?? 'AVRO') as SchemaType,
    references: (s.references ?? []) as SchemaReference[],
    ...extras(s),
    ...(s.maxId !== undefined ? { maxId: s.maxId } : {}),
  };
}
