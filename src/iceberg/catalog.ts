/**
 * The typed client of an Iceberg REST catalog (`specs/iceberg-rest.yaml`): configuration
 * negotiation, namespaces, tables, commits, multi-table transactions, metrics, credentials,
 * server-side scan planning and views. It owns the catalog's protocol rules — the `{prefix}` from
 * `/v1/config`, namespace encoding with the unit separator, pagination, lossless 64-bit ids,
 * idempotency keys — and leaves retries, auth, timeouts and error building to the HTTP core.
 */
import type { paths } from '../../generated/iceberg-rest.js';
import { type Auth, createHttpCore, type HttpClientOptions, type HttpCore } from '../http/index.js';
import type {
  CatalogConfig,
  CommitTableRequest,
  CommitTableResponse,
  CommitViewRequest,
  CreateNamespaceResponse,
  CreateTableRequest,
  CreateViewRequest,
  FetchPlanningResult,
  FetchScanTasksResult,
  GetNamespaceResponse,
  LoadCredentialsResponse,
  LoadTableResult,
  LoadViewResult,
  Namespace,
  NamespaceInput,
  PlanTableScanRequest,
  PlanTableScanResult,
  RemoteSignRequest,
  RemoteSignResult,
  ReportMetricsRequest,
  TableIdentifier,
  TableIdentifierInput,
  TableRequirement,
  TableUpdate,
  UpdateNamespacePropertiesResponse,
  ViewRequirement,
  ViewUpdate,
} from './catalog-types.js';
import { IcebergError, icebergProfile } from './errors.js';

/** Access mechanisms a client may ask the catalog to delegate (`X-Iceberg-Access-Delegation`). */
export type AccessDelegation = 'vended-credentials' | 'remote-signing';

export interface IcebergCatalogOptions extends Omit<HttpClientOptions, 'auth'> {
  /** The catalog URI, e.g. `http://127.0.0.1:8181` (paths `/v1/...` are appended). */
  baseUrl: string;
  /** Warehouse location or name sent to `GET /v1/config`. */
  warehouse?: string;
  /** Use this prefix instead of the one config returns (`''` forces none). */
  prefix?: string;
  /**
   * OAuth2 client credentials as `client-id:client-secret`; the token comes from
   * `oauth2ServerUri` (default `<baseUrl>/v1/oauth/tokens`) and is refreshed on expiry and on 401.
   */
  credential?: string;
  /** Token endpoint for `credential`; default `<baseUrl>/v1/oauth/tokens`. */
  oauth2ServerUri?: string;
  /** OAuth2 scope for `credential`. Default `catalog`, as Java and PyIceberg send. */
  scope?: string;
  /** A fixed bearer token (ignored when `credential` or `auth` is given). */
  token?: string;
  /** Any other authentication; wins over `credential` and `token`. */
  auth?: Auth;
  /** Ask for delegated storage access on table loads, creates and scan plans. */
  accessDelegation?: readonly AccessDelegation[];
}

/** The outcome of `GET /v1/config` merged with the client's own settings. */
export interface ResolvedCatalogConfig {
  /** Properties in effect: server defaults, then the client's, then server overrides. */
  readonly properties: Readonly<Record<string, string>>;
  /** Path prefix in use; `''` means paths have no prefix segment (`/v1/namespaces`). */
  readonly prefix: string;
  /** Separator joining namespace levels in paths, decoded (default the unit separator U+001F). */
  readonly namespaceSeparator: string;
  /** `"METHOD /v1/{prefix}/..."` operations the server says it supports, when it says. */
  readonly endpoints: readonly string[] | undefined;
  /** Whether the server honours `Idempotency-Key` (it advertised `idempotency-key-lifetime`). */
  readonly idempotencyKeys: boolean;
  /** The raw answer. */
  readonly server: CatalogConfig;
}

/** Every call accepts an AbortSignal. */
export interface CallSignal {
  signal?: AbortSignal;
}

export interface PageOptions extends CallSignal {
  /** Token from a previous page's `nextPageToken`. */
  pageToken?: string;
  /** Upper bound of results per page (servers that do not paginate ignore it). */
  pageSize?: number;
}

export interface NamespacePage {
  namespaces: Namespace[];
  /** Present when more pages follow. */
  nextPageToken?: string;
}

export interface TableIdentifierPage {
  identifiers: TableIdentifier[];
  /** Present when more pages follow. */
  nextPageToken?: string;
}

export interface LoadTableOptions extends CallSignal {
  /** `all` (default) returns every valid snapshot; `refs` only those referenced by branches and tags. */
  snapshots?: 'all' | 'refs';
  /** Views through which the table is loaded, outermost first (`referenced-by`). */
  referencedBy?: readonly TableIdentifierInput[];
}

export type LoadTableIfChangedResult =
  | { changed: false }
  | { changed: true; result: LoadTableResult; etag: string | undefined };

export interface TableCommit {
  requirements: TableRequirement[];
  updates: TableUpdate[];
}

export interface ViewCommit {
  requirements?: ViewRequirement[];
  updates: ViewUpdate[];
}

export interface TransactionTableChange extends TableCommit {
  identifier: TableIdentifierInput;
}

const UNIT_SEPARATOR = '\u001f';

/**
 * Replaces `{name}` path segments with their percent-encoded values. The prefix is special: an empty
 * prefix removes its whole segment (clients call `/v1/namespaces`, never `/v1//namespaces`) and a
 * prefix made of several segments keeps its slashes, as Java and PyIceberg send it.
 */
function serializeCatalogPath(url: string, params: Record<string, unknown>): string {
  return url.replace(/\/\{([^}]+)\}/g, (_m, name: string) => {
    const raw = params[name];
    const value = raw === undefined || raw === null ? '' : String(raw);
    if (name === 'prefix') {
      return value ? `/${value.split('/').filter(Boolean).map(encodeURIComponent).join('/')}` : '';
    }
    return `/${encodeURIComponent(value)}`;
  });
}

type JsonReviverContext = { source?: string };

/**
 * JSON.parse that keeps integers beyond 2^53 exact as `bigint` (snapshot ids are random 63-bit
 * numbers; rounding one breaks `assert-ref-snapshot-id` and parent links).
 */
export function parseCatalogJson<T>(text: string | undefined): T {
  if (!text) return undefined as T;
  return JSON.parse(text, function revive(this: unknown, _key: string, value: unknown) {
    // biome-ignore lint/complexity/noArguments: the reviver's third argument (source text access) is not in the TS lib yet
    const context = arguments[2] as JsonReviverContext | undefined;
    if (typeof value === 'number' && !Number.isSafeInteger(value) && context?.source) {
      if (/^-?\d+$/.test(context.source)) return BigInt(context.source);
    }
    return value;
  }) as T;
}

type RawJsonFn = (text: string) => unknown;

/** JSON.stringify that writes `bigint` values as plain JSON numbers. */
export function stringifyCatalogJson(value: unknown): string {
  const rawJSON = (JSON as unknown as { rawJSON?: RawJsonFn }).rawJSON;
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v !== 'bigint') return v;
    // Node >= 21 has JSON.rawJSON; without it a bigint is still written exactly via a marker swap.
    return rawJSON ? rawJSON(v.toString()) : `__lakekit_bigint__${v.toString()}`;
  }).replace(/"__lakekit_bigint__(-?\d+)"/g, '$1');
}

/** A UUIDv7 (RFC 9562): 48-bit Unix milliseconds, then random bits; what `Idempotency-Key` wants. */
export function uuidv7(now: number = Date.now()): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let ms = now;
  for (let i = 5; i >= 0; i--) {
    bytes[i] = ms % 256;
    ms = Math.floor(ms / 256);
  }
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x70;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function decodeSeparator(value: string | undefined): string {
  if (!value) return UNIT_SEPARATOR;
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

export class IcebergRestCatalog {
  /** The HTTP core (exposed for the table layer's own catalog-adjacent calls and for tests). */
  readonly core: HttpCore<paths>;
  private readonly options: IcebergCatalogOptions;
  private resolved: ResolvedCatalogConfig | undefined;
  private inflight: Promise<ResolvedCatalogConfig> | undefined;

  constructor(options: IcebergCatalogOptions) {
    this.options = options;
    const { warehouse, prefix, credential, oauth2ServerUri, scope, token, accessDelegation, auth, ...http } =
      options;
    const base = (options.baseUrl ?? '').replace(/\/+$/, '');
    let resolvedAuth: Auth | undefined = auth;
    if (!resolvedAuth && credential !== undefined) {
      const colon = credential.indexOf(':');
      if (colon <= 0 || colon === credential.length - 1) {
        throw new IcebergError({
          message: 'iceberg: credential must be "client-id:client-secret"',
          kind: 'validation',
          service: 'iceberg',
        });
      }
      resolvedAuth = {
        type: 'oauth2-client-credentials',
        tokenUrl: oauth2ServerUri ?? `${base}/v1/oauth/tokens`,
        clientId: credential.slice(0, colon),
        clientSecret: credential.slice(colon + 1),
        scope: scope ?? 'catalog',
      };
    } else if (!resolvedAuth && token !== undefined) {
      resolvedAuth = { type: 'bearer', token };
    }
    this.core = createHttpCore<paths>(
      { ...http, ...(resolvedAuth ? { auth: resolvedAuth } : {}), baseUrl: options.baseUrl },
      icebergProfile,
    );
  }

  // --- configuration -------------------------------------------------------------------------

  /**
   * Negotiates configuration with `GET /v1/config` once (concurrent callers share the request; a
   * failure is not cached) and returns the merged result. Every catalog call awaits this first,
   * because the `prefix` it returns is part of every path.
   */
  async config(options: CallSignal = {}): Promise<ResolvedCatalogConfig> {
    if (this.resolved) return this.resolved;
    if (!this.inflight) {
      this.inflight = this.fetchConfig(options.signal).finally(() => {
        this.inflight = undefined;
      });
    }
    this.resolved = await this.inflight;
    return this.resolved;
  }

  private async fetchConfig(signal: AbortSignal | undefined): Promise<ResolvedCatalogConfig> {
    const { warehouse } = this.options;
    const { data } = await this.core.api.GET('/v1/config', {
      params: { query: warehouse !== undefined ? { warehouse } : {} },
      ...(signal ? { signal } : {}),
    });
    const server = data!;
    const mine: Record<string, string> = {};
    if (warehouse !== undefined) mine.warehouse = warehouse;
    const properties = { ...(server.defaults ?? {}), ...mine, ...(server.overrides ?? {}) };
    const prefix = this.options.prefix ?? properties.prefix ?? '';
    return {
      properties,
      prefix: prefix.replace(/^\/+|\/+$/g, ''),
      namespaceSeparator: decodeSeparator(properties['namespace-separator']),
      endpoints: server.endpoints,
      idempotencyKeys: typeof server['idempotency-key-lifetime'] === 'string',
      server,
    };
  }

  // --- namespaces ----------------------------------------------------------------------------

  /** One page of namespaces, top-level or under `parent`. */
  async listNamespaces(parent?: NamespaceInput, options: PageOptions = {}): Promise<NamespacePage> {
    const cfg = await this.config(options);
    const query: { parent?: string; pageToken?: string; pageSize?: number } = {};
    const parentLevels = parent === undefined ? [] : this.namespaceLevels(parent);
    if (parentLevels.length > 0) query.parent = joinNamespace(cfg, parentLevels);
    if (options.pageToken !== undefined) query.pageToken = options.pageToken;
    if (options.pageSize !== undefined) query.pageSize = options.pageSize;
    const { data } = await this.core.api.GET('/v1/{prefix}/namespaces', {
      params: { path: { prefix: cfg.prefix }, query },
      pathSerializer: serializeCatalogPath,
      ...signalOf(options),
    });
    return pageOf(data?.namespaces ?? [], data?.['next-page-token'], 'namespaces');
  }

  /** Every namespace (top-level or under `parent`), following `next-page-token` across pages. */
  iterateNamespaces(
    parent?: NamespaceInput,
    options: Omit<PageOptions, 'pageToken'> = {},
  ): AsyncIterable<Namespace> {
    return this.paginate((pageToken) =>
      this.listNamespaces(parent, { ...options, pageToken }).then((p) => ({
        items: p.namespaces,
        next: p.nextPageToken,
      })),
    );
  }

  async createNamespace(
    namespace: NamespaceInput,
    properties: Record<string, string> = {},
    options: CallSignal = {},
  ): Promise<CreateNamespaceResponse> {
    const cfg = await this.config(options);
    const { data } = await this.core.api.POST('/v1/{prefix}/namespaces', {
      params: { path: { prefix: cfg.prefix } },
      body: { namespace: this.requireNamespace(namespace), properties },
      pathSerializer: serializeCatalogPath,
      ...this.mutation(cfg),
      ...signalOf(options),
    });
    return data!;
  }

  /** The namespace and its properties (`properties` is null on servers without namespace properties). */
  async loadNamespace(namespace: NamespaceInput, options: CallSignal = {}): Promise<GetNamespaceResponse> {
    const cfg = await this.config(options);
    const { data } = await this.core.api.GET('/v1/{prefix}/namespaces/{namespace}', {
      params: { path: this.namespacePath(cfg, namespace) },
      pathSerializer: serializeCatalogPath,
      ...signalOf(options),
    });
    return data!;
  }

  async namespaceExists(namespace: NamespaceInput, options: CallSignal = {}): Promise<boolean> {
    const cfg = await this.config(options);
    const { response } = await this.core.api.HEAD('/v1/{prefix}/namespaces/{namespace}', {
      params: { path: this.namespacePath(cfg, namespace) },
      pathSerializer: serializeCatalogPath,
      fetch: this.core.call({ acceptStatus: [404] }),
      ...signalOf(options),
    });
    return response.status !== 404;
  }

  /** Drops an empty namespace; a namespace with tables or views fails with `isNamespaceNotEmpty()`. */
  async dropNamespace(namespace: NamespaceInput, options: CallSignal = {}): Promise<void> {
    const cfg = await this.config(options);
    await this.core.api.DELETE('/v1/{prefix}/namespaces/{namespace}', {
      params: { path: this.namespacePath(cfg, namespace) },
      pathSerializer: serializeCatalogPath,
      ...this.idempotencyHeader(cfg),
      ...signalOf(options),
    });
  }

  async updateNamespaceProperties(
    namespace: NamespaceInput,
    change: { updates?: Record<string, string>; removals?: string[] },
    options: CallSignal = {},
  ): Promise<UpdateNamespacePropertiesResponse> {
    const cfg = await this.config(options);
    const { data } = await this.core.api.POST('/v1/{prefix}/namespaces/{namespace}/properties', {
      params: { path: this.namespacePath(cfg, namespace) },
      body: {
        ...(change.updates ? { updates: change.updates } : {}),
        ...(change.removals ? { removals: change.removals } : {}),
      },
      pathSerializer: serializeCatalogPath,
      ...this.mutation(cfg),
      ...signalOf(options),
    });
    return data!;
  }

  // --- tables --------------------------------------------------------------------------------

  async listTables(namespace: NamespaceInput, options: PageOptions = {}): Promise<TableIdentifierPage> {
    const cfg = await this.config(options);
    const { data } = await this.core.api.GET('/v1/{prefix}/namespaces/{namespace}/tables', {
      params: { path: this.namespacePath(cfg, namespace), query: pageQuery(options) },
      pathSerializer: serializeCatalogPath,
      ...signalOf(options),
    });
    return pageOf(data?.identifiers ?? [], data?.['next-page-token'], 'identifiers');
  }

  /** Every table of a namespace across pages. */
  iterateTables(
    namespace: NamespaceInput,
    options: Omit<PageOptions, 'pageToken'> = {},
  ): AsyncIterable<TableIdentifier> {
    return this.paginate((pageToken) =>
      this.listTables(namespace, { ...options, pageToken }).then((p) => ({
        items: p.identifiers,
        next: p.nextPageToken,
      })),
    );
  }

  /** Creates a table and returns its first metadata. */
  async createTable(
    namespace: NamespaceInput,
    request: Omit<CreateTableRequest, 'stage-create'>,
    options: CallSignal = {},
  ): Promise<LoadTableResult> {
    return this.postCreateTable(namespace, { ...request, 'stage-create': false }, options);
  }

  /**
   * Prepares a table without creating it: the answer's metadata is what the table would start with;
   * the table exists once `commitTable(…, { requirements: [{ type: 'assert-create' }], updates })`
   * succeeds (create-table transactions).
   */
  async stageCreateTable(
    namespace: NamespaceInput,
    request: Omit<CreateTableRequest, 'stage-create'>,
    options: CallSignal = {},
  ): Promise<LoadTableResult> {
    return this.postCreateTable(namespace, { ...request, 'stage-create': true }, options);
  }

  private async postCreateTable(
    namespace: NamespaceInput,
    request: CreateTableRequest,
    options: CallSignal,
  ): Promise<LoadTableResult> {
    if (!request.name) throw this.core.invalid('iceberg: createTable needs a table name');
    const cfg = await this.config(options);
    const spec = request['partition-spec'];
    // `spec-id` is optional in the REST spec but Java's parser (RESTCatalogServer 1.11) rejects a
    // spec without it; the first spec of a new table is always 0.
    const body: CreateTableRequest =
      spec && spec['spec-id'] === undefined
        ? { ...request, 'partition-spec': { ...spec, 'spec-id': 0 } }
        : request;
    const { data } = await this.core.api.POST('/v1/{prefix}/namespaces/{namespace}/tables', {
      params: { path: this.namespacePath(cfg, namespace) },
      body,
      ...this.lossless(),
      ...this.mutation(cfg, true),
      ...signalOf(options),
    });
    return parseCatalogJson<LoadTableResult>(data);
  }

  /** Loads a table: metadata, metadata location, table config and storage credentials. */
  async loadTable(
    identifier: TableIdentifierInput,
    options: LoadTableOptions = {},
  ): Promise<LoadTableResult> {
    const cfg = await this.config(options);
    const { data } = await this.core.api.GET('/v1/{prefix}/namespaces/{namespace}/tables/{table}', {
      params: { path: this.tablePath(cfg, identifier), query: this.loadQuery(cfg, options) },
      ...this.delegationHeaders(),
      ...this.lossless(),
      ...signalOf(options),
    });
    return parseCatalogJson<LoadTableResult>(data);
  }

  /**
   * Loads a table unless its metadata still matches `etag` (from a previous answer's `ETag`), in
   * which case a server that supports ETags answers 304 and this returns `{ changed: false }`.
   */
  async loadTableIfChanged(
    identifier: TableIdentifierInput,
    etag: string | undefined,
    options: LoadTableOptions = {},
  ): Promise<LoadTableIfChangedResult> {
    const cfg = await this.config(options);
    const { data, response } = await this.core.api.GET('/v1/{prefix}/namespaces/{namespace}/tables/{table}', {
      params: {
        path: this.tablePath(cfg, identifier),
        query: this.loadQuery(cfg, options),
        ...(etag ? { header: { 'If-None-Match': etag } } : {}),
      },
      ...this.delegationHeaders(),
      ...this.lossless(),
      fetch: this.core.call({ acceptStatus: [304] }),
      ...signalOf(options),
    });
    if (response.status === 304) return { changed: false };
    return {
      changed: true,
      result: parseCatalogJson<LoadTableResult>(data as string | undefined),
      etag: response.headers.get('etag') ?? undefined,
    };
  }

  async tableExists(identifier: TableIdentifierInput, options: CallSignal = {}): Promise<boolean> {
    const cfg = await this.config(options);
    const { response } = await this.core.api.HEAD('/v1/{prefix}/namespaces/{namespace}/tables/{table}', {
      params: { path: this.tablePath(cfg, identifier) },
      pathSerializer: serializeCatalogPath,
      fetch: this.core.call({ acceptStatus: [404] }),
      ...signalOf(options),
    });
    return response.status !== 404;
  }

  /** Registers an existing metadata file as a table (`overwrite` replaces an existing table's pointer). */
  async registerTable(
    identifier: TableIdentifierInput,
    metadataLocation: string,
    options: CallSignal & { overwrite?: boolean } = {},
  ): Promise<LoadTableResult> {
    const cfg = await this.config(options);
    const id = this.identifier(identifier);
    const { data } = await this.core.api.POST('/v1/{prefix}/namespaces/{namespace}/register', {
      params: { path: this.namespacePath(cfg, id.namespace) },
      body: {
        name: id.name,
        'metadata-location': metadataLocation,
        ...(options.overwrite !== undefined ? { overwrite: options.overwrite } : {}),
      },
      ...this.lossless(),
      ...this.mutation(cfg, true),
      ...signalOf(options),
    });
    return parseCatalogJson<LoadTableResult>(data);
  }

  /** Drops a table; `purge` asks the server to delete its data and metadata files too. */
  async dropTable(
    identifier: TableIdentifierInput,
    options: CallSignal & { purge?: boolean } = {},
  ): Promise<void> {
    const cfg = await this.config(options);
    await this.core.api.DELETE('/v1/{prefix}/namespaces/{namespace}/tables/{table}', {
      params: {
        path: this.tablePath(cfg, identifier),
        query: options.purge !== undefined ? { purgeRequested: options.purge } : {},
      },
      pathSerializer: serializeCatalogPath,
      ...this.idempotencyHeader(cfg),
      ...signalOf(options),
    });
  }

  async renameTable(
    from: TableIdentifierInput,
    to: TableIdentifierInput,
    options: CallSignal = {},
  ): Promise<void> {
    const cfg = await this.config(options);
    await this.core.api.POST('/v1/{prefix}/tables/rename', {
      params: { path: { prefix: cfg.prefix } },
      body: { source: this.identifier(from), destination: this.identifier(to) },
      pathSerializer: serializeCatalogPath,
      ...this.mutation(cfg),
      ...signalOf(options),
    });
  }

  /**
   * Commits requirements and updates to one table. Never repeated by the client: a 409 is
   * `isCommitFailed()` (refresh and re-apply), a 500/502/504 or a lost answer is
   * `isCommitStateUnknown()` (reload and check; never treat as failed).
   */
  async commitTable(
    identifier: TableIdentifierInput,
    commit: TableCommit,
    options: CallSignal = {},
  ): Promise<CommitTableResponse> {
    const cfg = await this.config(options);
    const id = this.identifier(identifier);
    const body: CommitTableRequest = {
      identifier: id,
      requirements: commit.requirements,
      updates: commit.updates,
    };
    const { data } = await this.core.api.POST('/v1/{prefix}/namespaces/{namespace}/tables/{table}', {
      params: { path: this.tablePath(cfg, id) },
      body,
      ...this.lossless(),
      ...this.idempotencyHeader(cfg),
      ...signalOf(options),
    });
    return parseCatalogJson<CommitTableResponse>(data);
  }

  /** Commits changes to several tables atomically (all or none). Same failure rules as `commitTable`. */
  async commitTransaction(
    changes: readonly TransactionTableChange[],
    options: CallSignal = {},
  ): Promise<void> {
    if (changes.length === 0)
      throw this.core.invalid('iceberg: commitTransaction needs at least one table change');
    const cfg = await this.config(options);
    await this.core.api.POST('/v1/{prefix}/transactions/commit', {
      params: { path: { prefix: cfg.prefix } },
      body: {
        'table-changes': changes.map((c) => ({
          identifier: this.identifier(c.identifier),
          requirements: c.requirements,
          updates: c.updates,
        })),
      },
      pathSerializer: serializeCatalogPath,
      bodySerializer: stringifyCatalogJson,
      ...this.idempotencyHeader(cfg),
      ...signalOf(options),
    });
  }

  /** Sends a scan or commit report (`report-type` `scan-report` / `commit-report`). */
  async reportMetrics(
    identifier: TableIdentifierInput,
    report: ReportMetricsRequest,
    options: CallSignal = {},
  ): Promise<void> {
    const cfg = await this.config(options);
    await this.core.api.POST('/v1/{prefix}/namespaces/{namespace}/tables/{table}/metrics', {
      params: { path: this.tablePath(cfg, identifier) },
      body: report,
      pathSerializer: serializeCatalogPath,
      bodySerializer: stringifyCatalogJson,
      // A report changes nothing but the server's statistics; sending it twice is harmless.
      fetch: this.core.call({ retrySafe: true }),
      ...signalOf(options),
    });
  }

  /** Vended storage credentials for a table (optionally for the files of one scan plan). */
  async loadCredentials(
    identifier: TableIdentifierInput,
    options: CallSignal & { planId?: string; referencedBy?: readonly TableIdentifierInput[] } = {},
  ): Promise<LoadCredentialsResponse> {
    const cfg = await this.config(options);
    const query: { planId?: string; 'referenced-by'?: string } = {};
    if (options.planId !== undefined) query.planId = options.planId;
    if (options.referencedBy?.length) query['referenced-by'] = this.referencedBy(cfg, options.referencedBy);
    const { data } = await this.core.api.GET(
      '/v1/{prefix}/namespaces/{namespace}/tables/{table}/credentials',
      {
        params: { path: this.tablePath(cfg, identifier), query },
        pathSerializer: serializeCatalogPath,
        ...signalOf(options),
      },
    );
    return data!;
  }

  // --- server-side scan planning -------------------------------------------------------------

  /** Submits a scan for server-side planning; the answer is completed, submitted, cancelled or failed. */
  async planTableScan(
    identifier: TableIdentifierInput,
    request: PlanTableScanRequest,
    options: CallSignal = {},
  ): Promise<PlanTableScanResult> {
    const cfg = await this.config(options);
    const { data } = await this.core.api.POST('/v1/{prefix}/namespaces/{namespace}/tables/{table}/plan', {
      params: { path: this.tablePath(cfg, identifier) },
      body: request,
      ...this.lossless(),
      ...this.mutation(cfg, true),
      ...signalOf(options),
    });
    return parseCatalogJson<PlanTableScanResult>(data);
  }

  /** Polls a submitted plan (one call; the caller decides how long to wait between polls). */
  async fetchPlanningResult(
    identifier: TableIdentifierInput,
    planId: string,
    options: CallSignal = {},
  ): Promise<FetchPlanningResult> {
    const cfg = await this.config(options);
    const { data } = await this.core.api.GET(
      '/v1/{prefix}/namespaces/{namespace}/tables/{table}/plan/{plan-id}',
      {
        params: { path: { ...this.tablePath(cfg, identifier), 'plan-id': planId } },
        ...this.delegationHeaders(),
        ...this.lossless(),
        ...signalOf(options),
      },
    );
    return parseCatalogJson<FetchPlanningResult>(data);
  }

  async cancelPlanning(
    identifier: TableIdentifierInput,
    planId: string,
    options: CallSignal = {},
  ): Promise<void> {
    const cfg = await this.config(options);
    await this.core.api.DELETE('/v1/{prefix}/namespaces/{namespace}/tables/{table}/plan/{plan-id}', {
      params: { path: { ...this.tablePath(cfg, identifier), 'plan-id': planId } },
      pathSerializer: serializeCatalogPath,
      ...this.idempotencyHeader(cfg),
      ...signalOf(options),
    });
  }

  /** Exchanges one opaque plan task for file scan tasks. */
  async fetchScanTasks(
    identifier: TableIdentifierInput,
    planTask: string,
    options: CallSignal = {},
  ): Promise<FetchScanTasksResult> {
    const cfg = await this.config(options);
    const { data } = await this.core.api.POST('/v1/{prefix}/namespaces/{namespace}/tables/{table}/tasks', {
      params: { path: this.tablePath(cfg, identifier) },
      body: { 'plan-task': planTask },
      ...this.lossless(),
      // Fetching tasks reads planning state; repeating it returns the same tasks.
      fetch: this.core.call({ retrySafe: true }),
      ...signalOf(options),
    });
    return parseCatalogJson<FetchScanTasksResult>(data);
  }

  /** Asks the catalog to sign a storage request (remote signing). */
  async signRequest(
    identifier: TableIdentifierInput,
    request: RemoteSignRequest,
    options: CallSignal = {},
  ): Promise<RemoteSignResult> {
    const cfg = await this.config(options);
    const { data } = await this.core.api.POST('/v1/{prefix}/namespaces/{namespace}/tables/{table}/sign', {
      params: { path: this.tablePath(cfg, identifier) },
      body: request,
      pathSerializer: serializeCatalogPath,
      // Signing has no side effect on the catalog.
      fetch: this.core.call({ retrySafe: true }),
      ...signalOf(options),
    });
    return data!;
  }

  // --- views ---------------------------------------------------------------------------------

  async listViews(namespace: NamespaceInput, options: PageOptions = {}): Promise<TableIdentifierPage> {
    const cfg = await this.config(options);
    const { data } = await this.core.api.GET('/v1/{prefix}/namespaces/{namespace}/views', {
      params: { path: this.namespacePath(cfg, namespace), query: pageQuery(options) },
      pathSerializer: serializeCatalogPath,
      ...signalOf(options),
    });
    return pageOf(data?.identifiers ?? [], data?.['next-page-token'], 'identifiers');
  }

  iterateViews(
    namespace: NamespaceInput,
    options: Omit<PageOptions, 'pageToken'> = {},
  ): AsyncIterable<TableIdentifier> {
    return this.paginate((pageToken) =>
      this.listViews(namespace, { ...options, pageToken }).then((p) => ({
        items: p.identifiers,
        next: p.nextPageToken,
      })),
    );
  }

  async createView(
    namespace: NamespaceInput,
    request: CreateViewRequest,
    options: CallSignal = {},
  ): Promise<LoadViewResult> {
    const cfg = await this.config(options);
    const { data } = await this.core.api.POST('/v1/{prefix}/namespaces/{namespace}/views', {
      params: { path: this.namespacePath(cfg, namespace) },
      body: request,
      ...this.lossless(),
      ...this.mutation(cfg),
      ...signalOf(options),
    });
    return parseCatalogJson<LoadViewResult>(data);
  }

  async loadView(
    identifier: TableIdentifierInput,
    options: CallSignal & { referencedBy?: readonly TableIdentifierInput[] } = {},
  ): Promise<LoadViewResult> {
    const cfg = await this.config(options);
    const { data } = await this.core.api.GET('/v1/{prefix}/namespaces/{namespace}/views/{view}', {
      params: {
        path: this.viewPath(cfg, identifier),
        query: options.referencedBy?.length
          ? { 'referenced-by': this.referencedBy(cfg, options.referencedBy) }
          : {},
      },
      ...this.lossless(),
      ...signalOf(options),
    });
    return parseCatalogJson<LoadViewResult>(data);
  }

  /** Commits requirements and updates to a view (same failure rules as `commitTable`). */
  async replaceView(
    identifier: TableIdentifierInput,
    commit: ViewCommit,
    options: CallSignal = {},
  ): Promise<LoadViewResult> {
    const cfg = await this.config(options);
    const id = this.identifier(identifier);
    const body: CommitViewRequest = {
      identifier: id,
      ...(commit.requirements ? { requirements: commit.requirements } : {}),
      updates: commit.updates,
    };
    const { data } = await this.core.api.POST('/v1/{prefix}/namespaces/{namespace}/views/{view}', {
      params: { path: this.viewPath(cfg, id) },
      body,
      ...this.lossless(),
      ...this.idempotencyHeader(cfg),
      ...signalOf(options),
    });
    return parseCatalogJson<LoadViewResult>(data);
  }

  async dropView(identifier: TableIdentifierInput, options: CallSignal = {}): Promise<void> {
    const cfg = await this.config(options);
    await this.core.api.DELETE('/v1/{prefix}/namespaces/{namespace}/views/{view}', {
      params: { path: this.viewPath(cfg, identifier) },
      pathSerializer: serializeCatalogPath,
      ...this.idempotencyHeader(cfg),
      ...signalOf(options),
    });
  }

  async viewExists(identifier: TableIdentifierInput, options: CallSignal = {}): Promise<boolean> {
    const cfg = await this.config(options);
    const { response } = await this.core.api.HEAD('/v1/{prefix}/namespaces/{namespace}/views/{view}', {
      params: { path: this.viewPath(cfg, identifier) },
      pathSerializer: serializeCatalogPath,
      fetch: this.core.call({ acceptStatus: [404] }),
      ...signalOf(options),
    });
    return response.status !== 404;
  }

  async renameView(
    from: TableIdentifierInput,
    to: TableIdentifierInput,
    options: CallSignal = {},
  ): Promise<void> {
    const cfg = await this.config(options);
    await this.core.api.POST('/v1/{prefix}/views/rename', {
      params: { path: { prefix: cfg.prefix } },
      body: { source: this.identifier(from), destination: this.identifier(to) },
      pathSerializer: serializeCatalogPath,
      ...this.mutation(cfg),
      ...signalOf(options),
    });
  }

  async registerView(
    identifier: TableIdentifierInput,
    metadataLocation: string,
    options: CallSignal = {},
  ): Promise<LoadViewResult> {
    const cfg = await this.config(options);
    const id = this.identifier(identifier);
    const { data } = await this.core.api.POST('/v1/{prefix}/namespaces/{namespace}/register-view', {
      params: { path: this.namespacePath(cfg, id.namespace) },
      body: { name: id.name, 'metadata-location': metadataLocation },
      ...this.lossless(),
      ...this.mutation(cfg),
      ...signalOf(options),
    });
    return parseCatalogJson<LoadViewResult>(data);
  }

  // --- identifiers and request pieces --------------------------------------------------------

  /**
   * Splits a namespace given as levels or as a dotted string; rejects empty levels. A level that
   * itself contains a dot must be passed in the array form.
   */
  namespaceLevels(namespace: NamespaceInput): string[] {
    const levels =
      typeof namespace === 'string' ? (namespace === '' ? [] : namespace.split('.')) : [...namespace];
    if (levels.some((l) => typeof l !== 'string' || l === '')) {
      throw this.core.invalid(`iceberg: namespace ${JSON.stringify(namespace)} has an empty level`);
    }
    return levels;
  }

  /** Normalizes a table or view identifier; a string's last dotted part is the name. */
  identifier(identifier: TableIdentifierInput): TableIdentifier {
    if (typeof identifier === 'string') {
      const parts = identifier.split('.');
      const name = parts.pop() ?? '';
      if (parts.length === 0 || !name) {
        throw this.core.invalid(
          `iceberg: identifier ${JSON.stringify(identifier)} must be "namespace.name" (namespace levels dotted)`,
        );
      }
      return { namespace: this.requireNamespace(parts), name };
    }
    if (!identifier.name) throw this.core.invalid('iceberg: identifier has an empty name');
    return { namespace: this.requireNamespace(identifier.namespace), name: identifier.name };
  }

  private requireNamespace(namespace: NamespaceInput): string[] {
    const levels = this.namespaceLevels(namespace);
    if (levels.length === 0) throw this.core.invalid('iceberg: namespace must have at least one level');
    return levels;
  }

  private namespacePath(cfg: ResolvedCatalogConfig, namespace: NamespaceInput) {
    return { prefix: cfg.prefix, namespace: joinNamespace(cfg, this.requireNamespace(namespace)) };
  }

  private tablePath(cfg: ResolvedCatalogConfig, identifier: TableIdentifierInput) {
    const id = this.identifier(identifier);
    return { ...this.namespacePath(cfg, id.namespace), table: id.name };
  }

  private viewPath(cfg: ResolvedCatalogConfig, identifier: TableIdentifierInput) {
    const id = this.identifier(identifier);
    return { ...this.namespacePath(cfg, id.namespace), view: id.name };
  }

  /** `referenced-by`: each view as namespace levels and name joined by the separator, commas between. */
  private referencedBy(cfg: ResolvedCatalogConfig, views: readonly TableIdentifierInput[]): string {
    return views
      .map((v) => {
        const id = this.identifier(v);
        return joinNamespace(cfg, [...id.namespace, id.name.replaceAll(',', '%2C')]);
      })
      .join(',');
  }

  private loadQuery(cfg: ResolvedCatalogConfig, options: LoadTableOptions) {
    const query: { snapshots?: 'all' | 'refs'; 'referenced-by'?: string } = {};
    if (options.snapshots) query.snapshots = options.snapshots;
    if (options.referencedBy?.length) query['referenced-by'] = this.referencedBy(cfg, options.referencedBy);
    return query;
  }

  private delegationHeaders(): { headers?: Record<string, string> } {
    const d = this.options.accessDelegation;
    return d?.length ? { headers: { 'X-Iceberg-Access-Delegation': d.join(',') } } : {};
  }

  /** Path and body serializers plus a text body, so 64-bit ids survive (see parseCatalogJson). */
  private lossless() {
    return {
      pathSerializer: serializeCatalogPath,
      bodySerializer: stringifyCatalogJson,
      parseAs: 'text' as const,
    };
  }

  /**
   * An `Idempotency-Key` when the server supports them (config advertised
   * `idempotency-key-lifetime`). The core reuses the request's headers on every attempt, so
   * retries carry the same key, as the spec requires. Used alone for commits and drops, which the
   * core never repeats after a 5xx (commit state unknown) or repeats anyway (DELETE).
   */
  private idempotencyHeader(cfg: ResolvedCatalogConfig): { headers?: Record<string, string> } {
    return cfg.idempotencyKeys ? { headers: { 'Idempotency-Key': uuidv7() } } : {};
  }

  /**
   * Headers and fetch for a non-commit POST: with server-side idempotency it is safe to repeat
   * after a 502/503/504 or a lost answer (the server replays the first final answer); without,
   * the core does not repeat it. `delegation` adds the access-delegation header.
   */
  private mutation(
    cfg: ResolvedCatalogConfig,
    delegation = false,
  ): { headers?: Record<string, string>; fetch?: (input: Request) => Promise<Response> } {
    const headers = {
      ...(delegation ? this.delegationHeaders().headers : {}),
      ...this.idempotencyHeader(cfg).headers,
    };
    return {
      ...(Object.keys(headers).length ? { headers } : {}),
      ...(cfg.idempotencyKeys ? { fetch: this.core.call({ retrySafe: true }) } : {}),
    };
  }

  private paginate<T>(
    page: (pageToken: string) => Promise<{ items: T[]; next: string | undefined }>,
  ): AsyncIterable<T> {
    return {
      async *[Symbol.asyncIterator]() {
        // An empty pageToken asks a paginating server for the first page (REST spec, PageToken).
        let token = '';
        const seen = new Set<string>();
        for (;;) {
          const { items, next } = await page(token);
          yield* items;
          if (next === undefined) return;
          if (seen.has(next)) {
            throw new IcebergError({
              message: `iceberg: the catalog returned page token ${JSON.stringify(next)} twice; stopping`,
              kind: 'protocol',
              service: 'iceberg',
            });
          }
          seen.add(next);
          token = next;
        }
      },
    };
  }
}

/**
 * Joins namespace levels for a path or query. The advertised separator is used unless a level
 * contains it (RESTCatalogServer 1.11 advertises `.`); then the unit separator, which the REST spec
 * obliges every server to accept in addition to the advertised one.
 */
function joinNamespace(cfg: ResolvedCatalogConfig, levels: readonly string[]): string {
  const sep = levels.some((l) => l.includes(cfg.namespaceSeparator))
    ? UNIT_SEPARATOR
    : cfg.namespaceSeparator;
  return levels.join(sep);
}

function signalOf(options: CallSignal): { signal?: AbortSignal } {
  return options.signal ? { signal: options.signal } : {};
}

function pageQuery(options: PageOptions): { pageToken?: string; pageSize?: number } {
  return {
    ...(options.pageToken !== undefined ? { pageToken: options.pageToken } : {}),
    ...(options.pageSize !== undefined ? { pageSize: options.pageSize } : {}),
  };
}

function pageOf<K extends string, T>(
  items: T[],
  next: string | null | undefined,
  key: K,
): { [P in K]: T[] } & { nextPageToken?: string } {
  const page = { [key]: items } as { [P in K]: T[] } & { nextPageToken?: string };
  if (typeof next === 'string' && next !== '') page.nextPageToken = next;
  return page;
}

/** Creates a catalog client; configuration is negotiated lazily on the first call. */
export function createIcebergCatalog(options: IcebergCatalogOptions): IcebergRestCatalog {
  return new IcebergRestCatalog(options);
}
