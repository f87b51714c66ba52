/**
 * `KafkaConnectClient`: one method per operation of `specs/kafka-connect.yaml`, built on the shared
 * HTTP core (which retries, times out and throws `ConnectError`), plus the connector lifecycle
 * (upsert, wait for RUNNING, delete and wait, validate per field) from lifecycle.ts. Config values
 * under secret-looking keys (`database.password`, `*.secret`, JAAS configs) are registered with the
 * core as they pass through, so they are scrubbed from every error and log line.
 */
import type { paths } from '../../generated/kafka-connect.js';
import { createHttpCore, type HttpClientOptions, type HttpCore } from '../http/client.js';
import { scrubSecrets } from '../http/redact.js';
import { ConnectError, connectProfile } from './errors.js';
import {
  type ConfigValidation,
  type DeleteConnectorOptions,
  deleteConnectorAndWait,
  type UpsertResult,
  upsertConnector,
  validateConnectorConfig,
  type WaitForConnectorOptions,
  waitForConnectorRunning,
  waitForConnectorState,
} from './lifecycle.js';
import type {
  ConfigInfos,
  ConfigKeyInfo,
  ConnectorConfig,
  ConnectorConfigPatch,
  ConnectorInfo,
  ConnectorOffset,
  ConnectorStatus,
  ExpandedConnectors,
  InitialState,
  LoggerLevel,
  PluginInfo,
  ServerInfo,
  State,
  TaskInfo,
  TaskState,
  WorkerStatus,
} from './types.js';

export type ConnectClientOptions = HttpClientOptions;

/** Common per-call options. */
export interface CallSignal {
  signal?: AbortSignal;
}

export interface RestartOptions extends CallSignal {
  /** Restart the tasks too. */
  includeTasks?: boolean;
  /** Restart only instances that are FAILED. */
  onlyFailed?: boolean;
}

// Keys whose values are credentials in Connect, Debezium, converter and client configs.
const SECRET_KEY = /(password|passwd|secret|token|jaas\.config|user\.info|credentials?)$/i;

export function createConnectClient(options: ConnectClientOptions): KafkaConnectClient {
  return new KafkaConnectClient(options);
}

export class KafkaConnectClient {
  /** The HTTP core; exposed for middleware-level access, not needed for normal use. */
  readonly core: HttpCore<paths>;
  private readonly secretValues: string[];

  constructor(options: ConnectClientOptions) {
    this.secretValues = [...(options.secrets ?? [])];
    // The core reads `secrets` on every failure, so values registered later are scrubbed too.
    this.core = createHttpCore<paths>({ ...options, secrets: this.secretValues }, connectProfile);
  }

  /** Registers the values of secret-looking keys of a config so they never appear in errors or logs. */
  rememberSecrets(config: Record<string, string | null | undefined>): void {
    for (const [key, value] of Object.entries(config)) {
      if (typeof value === 'string' && value.length > 0 && SECRET_KEY.test(key)) this.addSecret(value);
    }
  }

  /** Registers one secret string (e.g. a password that appears inside a connection URL). */
  addSecret(value: string): void {
    if (value && !this.secretValues.includes(value)) this.secretValues.push(value);
  }

  /** Builds a `ConnectError` of kind `validation` (bad input caught before sending). */
  invalid(message: string, field?: string): ConnectError {
    return new ConnectError({
      message: `connect: ${scrubSecrets(message, this.core.secrets)}`,
      kind: 'validation',
      ...(field ? { field } : {}),
    });
  }

  // ---- worker ----

  /** `GET /`: worker version, commit and Kafka cluster id. */
  async serverInfo(opts: CallSignal = {}): Promise<ServerInfo> {
    const { data } = await this.core.api.GET('/', { ...sig(opts) });
    return data!;
  }

  /**
   * `GET /health`: `healthy`, `starting` (HTTP 503) or `unhealthy` (HTTP 500). Those two statuses
   * are answers here, not errors.
   */
  async health(opts: CallSignal = {}): Promise<WorkerStatus & { httpStatus: number }> {
    const { data, error, response } = await this.core.api.GET('/health', {
      ...sig(opts),
      fetch: this.core.call({ acceptStatus: [500, 503] }),
    });
    return { ...((data ?? error) as WorkerStatus), httpStatus: response.status };
  }

  // ---- connectors ----

  /** `GET /connectors`: names of the active connectors. */
  async listConnectors(opts: CallSignal = {}): Promise<string[]> {
    const { data } = await this.core.api.GET('/connectors', { ...sig(opts) });
    return data as string[];
  }

  /** `GET /connectors?expand=status&expand=info`: each connector's status and/or info by name. */
  async listConnectorsExpanded(
    expand: { status?: boolean; info?: boolean } = { status: true, info: true },
    opts: CallSignal = {},
  ): Promise<ExpandedConnectors> {
    const list: ('status' | 'info')[] = [];
    if (expand.status) list.push('status');
    if (expand.info) list.push('info');
    if (list.length === 0) throw this.invalid('listConnectorsExpanded needs status and/or info', 'expand');
    const { data } = await this.core.api.GET('/connectors', {
      params: { query: { expand: list } },
      ...sig(opts),
    });
    return data as ExpandedConnectors;
  }

  /** `POST /connectors`: fails with `isAlreadyExists()` when the name is taken. Prefer `upsertConnector`. */
  async createConnector(
    name: string,
    config: ConnectorConfig,
    opts: CallSignal & { initialState?: InitialState } = {},
  ): Promise<ConnectorInfo> {
    this.checkName(name);
    this.rememberSecrets(config);
    const { data } = await this.core.api.POST('/connectors', {
      body: { name, config, ...(opts.initialState ? { initial_state: opts.initialState } : {}) },
      ...sig(opts),
    });
    return data!;
  }

  /** `GET /connectors/{name}`: config, tasks and type. */
  async getConnector(name: string, opts: CallSignal = {}): Promise<ConnectorInfo> {
    const { data } = await this.core.api.GET('/connectors/{connector}', {
      params: this.path(name),
      ...sig(opts),
    });
    return data!;
  }

  /** Whether a connector with this name exists (404 is an answer here). */
  async connectorExists(name: string, opts: CallSignal = {}): Promise<boolean> {
    const { response } = await this.core.api.GET('/connectors/{connector}', {
      params: this.path(name),
      ...sig(opts),
      fetch: this.core.call({ acceptStatus: [404] }),
    });
    return response.status !== 404;
  }

  /** `GET /connectors/{name}/config`. */
  async getConnectorConfig(name: string, opts: CallSignal = {}): Promise<ConnectorConfig> {
    const { data } = await this.core.api.GET('/connectors/{connector}/config', {
      params: this.path(name),
      ...sig(opts),
    });
    return data!;
  }

  /** The stored config, or `undefined` when no connector has this name (404 is an answer here). */
  async findConnectorConfig(name: string, opts: CallSignal = {}): Promise<ConnectorConfig | undefined> {
    const { data, response } = await this.core.api.GET('/connectors/{connector}/config', {
      params: this.path(name),
      ...sig(opts),
      fetch: this.core.call({ acceptStatus: [404] }),
    });
    return response.status === 404 ? undefined : data;
  }

  /** `PUT /connectors/{name}/config`: creates (201) or replaces (200) the configuration. */
  async putConnectorConfig(
    name: string,
    config: ConnectorConfig,
    opts: CallSignal = {},
  ): Promise<{ created: boolean; info: ConnectorInfo }> {
    this.checkName(name);
    this.rememberSecrets(config);
    if (config.name !== undefined && config.name !== name) {
      throw this.invalid(
        `config.name ${JSON.stringify(config.name)} differs from the connector name ${JSON.stringify(name)}`,
        'name',
      );
    }
    const { data, response } = await this.core.api.PUT('/connectors/{connector}/config', {
      params: this.path(name),
      body: config,
      ...sig(opts),
    });
    return { created: response.status === 201, info: data! };
  }

  /** `PATCH /connectors/{name}/config`: merges keys; `null` removes one (Kafka 3.9+). */
  async patchConnectorConfig(
    name: string,
    patch: ConnectorConfigPatch,
    opts: CallSignal = {},
  ): Promise<ConnectorInfo> {
    this.rememberSecrets(patch);
    const { data } = await this.core.api.PATCH('/connectors/{connector}/config', {
      params: this.path(name),
      body: patch,
      ...sig(opts),
      // Applying the same patch twice gives the same config.
      fetch: this.core.call({ retrySafe: true }),
    });
    return data!;
  }

  /** `GET /connectors/{name}/status`: connector and task states, with the trace when FAILED. */
  async getConnectorStatus(name: string, opts: CallSignal = {}): Promise<ConnectorStatus> {
    const { data } = await this.core.api.GET('/connectors/{connector}/status', {
      params: this.path(name),
      ...sig(opts),
    });
    return data!;
  }

  /**
   * `POST /connectors/{name}/restart`. With `includeTasks` or `onlyFailed` the worker answers 202
   * and the status showing what it marked RESTARTING; with neither (the legacy form) 204 and
   * `undefined`.
   */
  async restartConnector(name: string, opts: RestartOptions = {}): Promise<ConnectorStatus | undefined> {
    const query = {
      ...(opts.includeTasks !== undefined ? { includeTasks: opts.includeTasks } : {}),
      ...(opts.onlyFailed !== undefined ? { onlyFailed: opts.onlyFailed } : {}),
    };
    const { data, response } = await this.core.api.POST('/connectors/{connector}/restart', {
      params: { ...this.path(name), query },
      ...sig(opts),
      // A restart asks for a state, so repeating it after a lost answer is harmless.
      fetch: this.core.call({ retrySafe: true }),
    });
    return response.status === 204 ? undefined : data;
  }

  /** `PUT /connectors/{name}/pause` (asynchronous: poll the status for PAUSED). */
  async pauseConnector(name: string, opts: CallSignal = {}): Promise<void> {
    await this.core.api.PUT('/connectors/{connector}/pause', { params: this.path(name), ...sig(opts) });
  }

  /** `PUT /connectors/{name}/resume` (asynchronous: poll the status for RUNNING). */
  async resumeConnector(name: string, opts: CallSignal = {}): Promise<void> {
    await this.core.api.PUT('/connectors/{connector}/resume', { params: this.path(name), ...sig(opts) });
  }

  /** `PUT /connectors/{name}/stop`: shuts the tasks down; offsets can only be changed when STOPPED. */
  async stopConnector(name: string, opts: CallSignal = {}): Promise<void> {
    await this.core.api.PUT('/connectors/{connector}/stop', { params: this.path(name), ...sig(opts) });
  }

  /**
   * `DELETE /connectors/{name}`. With `wait`, resolves only once the worker no longer lists it.
   * With `ignoreMissing`, an unknown connector is not an error.
   */
  async deleteConnector(name: string, opts: DeleteConnectorOptions = {}): Promise<void> {
    return deleteConnectorAndWait(this, name, opts);
  }

  /** The bare `DELETE /connectors/{name}`; returns false when the connector did not exist and `acceptMissing`. */
  async sendDeleteConnector(
    name: string,
    opts: CallSignal & { acceptMissing?: boolean } = {},
  ): Promise<boolean> {
    const { response } = await this.core.api.DELETE('/connectors/{connector}', {
      params: this.path(name),
      ...sig(opts),
      ...(opts.acceptMissing ? { fetch: this.core.call({ acceptStatus: [404] }) } : {}),
    });
    return response.status !== 404;
  }

  /** `GET /connectors/{name}/topics`: topics the connector has used since creation or the last reset. */
  async getConnectorTopics(name: string, opts: CallSignal = {}): Promise<string[]> {
    const { data } = await this.core.api.GET('/connectors/{connector}/topics', {
      params: this.path(name),
      ...sig(opts),
    });
    return data?.[name]?.topics ?? [];
  }

  /** `PUT /connectors/{name}/topics/reset`. */
  async resetConnectorTopics(name: string, opts: CallSignal = {}): Promise<void> {
    await this.core.api.PUT('/connectors/{connector}/topics/reset', {
      params: this.path(name),
      ...sig(opts),
    });
  }

  /** `GET /connectors/{name}/offsets`. */
  async getConnectorOffsets(name: string, opts: CallSignal = {}): Promise<ConnectorOffset[]> {
    const { data } = await this.core.api.GET('/connectors/{connector}/offsets', {
      params: this.path(name),
      ...sig(opts),
    });
    return data!.offsets;
  }

  /** `PATCH /connectors/{name}/offsets` (connector must be STOPPED); a `null` offset resets that partition. */
  async alterConnectorOffsets(
    name: string,
    offsets: ConnectorOffset[],
    opts: CallSignal = {},
  ): Promise<string> {
    if (offsets.length === 0)
      throw this.invalid('alterConnectorOffsets needs at least one offset', 'offsets');
    const { data } = await this.core.api.PATCH('/connectors/{connector}/offsets', {
      params: this.path(name),
      body: { offsets },
      ...sig(opts),
      // Setting offsets to given values is idempotent.
      fetch: this.core.call({ retrySafe: true }),
    });
    return data!.message;
  }

  /** `DELETE /connectors/{name}/offsets` (connector must be STOPPED). */
  async resetConnectorOffsets(name: string, opts: CallSignal = {}): Promise<string> {
    const { data } = await this.core.api.DELETE('/connectors/{connector}/offsets', {
      params: this.path(name),
      ...sig(opts),
    });
    return data!.message;
  }

  // ---- tasks ----

  /** `GET /connectors/{name}/tasks`: task ids with their configs. */
  async listTasks(name: string, opts: CallSignal = {}): Promise<TaskInfo[]> {
    const { data } = await this.core.api.GET('/connectors/{connector}/tasks', {
      params: this.path(name),
      ...sig(opts),
    });
    return data!;
  }

  /** `GET /connectors/{name}/tasks/{task}/status`. */
  async getTaskStatus(name: string, task: number, opts: CallSignal = {}): Promise<TaskState> {
    const { data } = await this.core.api.GET('/connectors/{connector}/tasks/{task}/status', {
      params: this.taskPath(name, task),
      ...sig(opts),
    });
    return data!;
  }

  /** `POST /connectors/{name}/tasks/{task}/restart`. */
  async restartTask(name: string, task: number, opts: CallSignal = {}): Promise<void> {
    await this.core.api.POST('/connectors/{connector}/tasks/{task}/restart', {
      params: this.taskPath(name, task),
      ...sig(opts),
      fetch: this.core.call({ retrySafe: true }),
    });
  }

  // ---- plugins ----

  /** `GET /connector-plugins`; `connectorsOnly: false` lists converters, transforms, predicates too. */
  async listConnectorPlugins(opts: CallSignal & { connectorsOnly?: boolean } = {}): Promise<PluginInfo[]> {
    const { data } = await this.core.api.GET('/connector-plugins', {
      params: { query: opts.connectorsOnly === undefined ? {} : { connectorsOnly: opts.connectorsOnly } },
      ...sig(opts),
    });
    return data!;
  }

  /** `GET /connector-plugins/{plugin}/config`: the plugin's config definition. */
  async getPluginConfigDef(
    plugin: string,
    opts: CallSignal & { version?: string } = {},
  ): Promise<ConfigKeyInfo[]> {
    const { data } = await this.core.api.GET('/connector-plugins/{plugin}/config', {
      params: { path: { plugin }, query: opts.version ? { version: opts.version } : {} },
      ...sig(opts),
    });
    return data!;
  }

  /**
   * `PUT /connector-plugins/{plugin}/config/validate`: the worker's raw answer. `plugin` defaults to
   * the config's `connector.class`. See `validateConfig` for the per-field view.
   */
  async validatePluginConfig(
    config: ConnectorConfig,
    opts: CallSignal & { plugin?: string } = {},
  ): Promise<ConfigInfos> {
    this.rememberSecrets(config);
    const plugin = opts.plugin ?? config['connector.class'];
    if (!plugin)
      throw this.invalid(
        'validation needs connector.class in the config or a plugin name',
        'connector.class',
      );
    const { data } = await this.core.api.PUT('/connector-plugins/{plugin}/config/validate', {
      params: { path: { plugin } },
      body: config,
      ...sig(opts),
    });
    return data!;
  }

  // ---- loggers ----

  /** `GET /admin/loggers`: loggers with an explicitly set level. */
  async listLoggers(opts: CallSignal = {}): Promise<Record<string, LoggerLevel>> {
    const { data } = await this.core.api.GET('/admin/loggers', { ...sig(opts) });
    return data!;
  }

  /** `GET /admin/loggers/{logger}`. */
  async getLogger(logger: string, opts: CallSignal = {}): Promise<LoggerLevel> {
    const { data } = await this.core.api.GET('/admin/loggers/{logger}', {
      params: { path: { logger } },
      ...sig(opts),
    });
    return data!;
  }

  /**
   * `PUT /admin/loggers/{logger}`: on this worker (returns the loggers changed) or, with
   * `scope: 'cluster'`, on every worker (returns `[]`; the change is applied asynchronously).
   */
  async setLoggerLevel(
    logger: string,
    level: string,
    opts: CallSignal & { scope?: 'worker' | 'cluster' } = {},
  ): Promise<string[]> {
    const { data, response } = await this.core.api.PUT('/admin/loggers/{logger}', {
      params: { path: { logger }, query: opts.scope ? { scope: opts.scope } : {} },
      body: { level },
      ...sig(opts),
    });
    return response.status === 204 ? [] : (data ?? []);
  }

  // ---- lifecycle (lifecycle.ts) ----

  /**
   * Idempotent create-or-update through `PUT /connectors/{name}/config`. Nothing is sent when the
   * stored config already equals `config`; `changed` lists the keys added, removed or changed.
   */
  upsertConnector(name: string, config: ConnectorConfig, opts: CallSignal = {}): Promise<UpsertResult> {
    return upsertConnector(this, name, config, opts);
  }

  /**
   * Polls the status until the connector and all its tasks are RUNNING. Throws at once with the
   * worker's trace when one of them is FAILED, and with the last status when the timeout elapses.
   */
  waitForConnectorRunning(name: string, opts: WaitForConnectorOptions = {}): Promise<ConnectorStatus> {
    return waitForConnectorRunning(this, name, opts);
  }

  /** Polls the status until the connector (and, unless stopped, its tasks) reach `state`. */
  waitForConnectorState(
    name: string,
    state: State,
    opts: WaitForConnectorOptions = {},
  ): Promise<ConnectorStatus> {
    return waitForConnectorState(this, name, state, opts);
  }

  /**
   * Validates with the worker and returns the errors by config key (empty when valid). A config
   * without `name` is validated as `opts.name` (default `lakekit-validation`).
   */
  validateConfig(
    config: ConnectorConfig,
    opts: CallSignal & { plugin?: string; name?: string } = {},
  ): Promise<ConfigValidation> {
    return validateConnectorConfig(this, config, opts);
  }

  private checkName(name: string): void {
    // The worker trims names and rejects control characters; a slash cannot be addressed by path later.
    if (!name || name.trim() !== name || /[\p{Cc}/]/u.test(name)) {
      throw this.invalid(
        `connector name ${JSON.stringify(name)} must be non-empty, without leading or trailing spaces, '/' or control characters`,
        'name',
      );
    }
  }

  private path(connector: string) {
    return { path: { connector } };
  }

  private taskPath(connector: string, task: number) {
    if (!Number.isInteger(task) || task < 0)
      throw this.invalid(`task id must be a non-negative integer, got ${task}`, 'task');
    return { path: { connector, task } };
  }
}

function sig(opts: CallSignal): { signal?: AbortSignal } {
  return opts.signal ? { signal: opts.signal } : {};
}
