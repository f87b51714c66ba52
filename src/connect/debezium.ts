/**
 * Typed Debezium connector configurations: `postgresConnector`, `mysqlConnector` and
 * `mariadbConnector` turn a small options object into the flat string map a Connect worker takes,
 * with converters (JSON with or without schemas, Avro through a schema registry) and the usual
 * transforms (ExtractNewRecordState, topic routing). Mistakes that the worker would only report
 * at runtime (or never) are rejected here, before any request, as a `ConnectError` of kind
 * `validation` whose `field` names the option. Property names follow the Debezium 3.x
 * documentation (https://debezium.io/documentation/reference/stable/connectors/postgresql.html,
 * …/mysql.html, …/mariadb.html, …/transformations/event-flattening.html).
 */

import { ConnectError } from './errors.js';
import type { ConnectorConfig } from './types.js';

/** Where the connector reaches the database (as seen from the Connect worker). */
export interface DatabaseConnection {
  hostname: string;
  port: number;
  user: string;
  password: string;
  /** Database name (PostgreSQL `database.dbname`); for MySQL/MariaDB only used by URL parsing. */
  database?: string;
}

/** Key or value converter of the connector (overrides the worker's default). */
export type ConverterOptions =
  /** `JsonConverter`; `schemas: true` wraps each record as `{ schema, payload }`. Default false. */
  | { type: 'json'; schemas?: boolean }
  /** Avro through a schema registry: Confluent's `AvroConverter` (default) or Apicurio's. */
  | { type: 'avro'; registryUrl: string; flavor?: 'confluent' | 'apicurio' }
  /** `StringConverter`. */
  | { type: 'string' };

/** Debezium's ExtractNewRecordState: replaces the envelope with the row state. */
export interface UnwrapOptions {
  /** What happens to deletes and tombstones. Debezium's default is `tombstone`. */
  deleteTombstoneHandling?:
    | 'drop'
    | 'tombstone'
    | 'rewrite'
    | 'rewrite-with-tombstone'
    | 'delete-to-tombstone';
  /** Envelope/source fields copied into the row as `__<field>`, e.g. `['op', 'source.ts_ms']`. */
  addFields?: string[];
  /** Envelope/source fields copied into headers. */
  addHeaders?: string[];
}

/** Kafka's RegexRouter on the topic name, e.g. `{ regex: 'cdc\\.public\\.(.*)', replacement: 'pg.$1' }`. */
export interface TopicRouteOptions {
  regex: string;
  replacement: string;
}

export type DecimalHandlingMode = 'precise' | 'double' | 'string';
export type TimePrecisionMode = 'adaptive' | 'adaptive_time_microseconds' | 'connect' | 'isostring';

interface CommonOptions {
  /** Connection details, or a URL `postgres://user:pass@host:port/db` / `mysql://…` / `mariadb://…`. */
  connection: DatabaseConnection | string;
  /** Prefix of every topic the connector writes (`topic.prefix`); Kafka topic characters only. */
  topicPrefix: string;
  /** Tables to capture, as `schema.table` (PostgreSQL) or `database.table` (MySQL/MariaDB) patterns. */
  tableIncludeList?: string[];
  tableExcludeList?: string[];
  columnExcludeList?: string[];
  /** Emit heartbeats this often (ms); keeps offsets moving on quiet tables. 0 disables. */
  heartbeatIntervalMs?: number;
  decimalHandlingMode?: DecimalHandlingMode;
  timePrecisionMode?: TimePrecisionMode;
  /** Emit a tombstone after each delete (Debezium default true). */
  tombstonesOnDelete?: boolean;
  keyConverter?: ConverterOptions;
  valueConverter?: ConverterOptions;
  /** Flatten events to the row state (`true` for Debezium's defaults). */
  unwrap?: boolean | UnwrapOptions;
  /** Rename topics with a regex. */
  route?: TopicRouteOptions;
  /** Needed with `snapshotMode: 'custom'`: the name of the custom snapshotter. */
  snapshotModeCustomName?: string;
  /** Further connector properties, for anything not modelled here. May not repeat a key set above. */
  extra?: Record<string, string>;
}

export interface PostgresConnectorOptions extends CommonOptions {
  /** Logical decoding plugin. Default `pgoutput` (built into PostgreSQL 10+). */
  pluginName?: 'pgoutput' | 'decoderbufs';
  /** Replication slot (lower-case letters, digits, underscores; at most 63). Default `debezium`. */
  slotName?: string;
  /** Drop the slot when the connector stops (test set-ups). Default false. */
  slotDropOnStop?: boolean;
  /** Publication used with pgoutput. Default `dbz_publication`. */
  publicationName?: string;
  /**
   * How the publication is created. `all_tables` (Debezium's default) needs a superuser; `filtered`
   * works for a REPLICATION role that owns the included tables; `disabled` expects it to exist.
   * lakekit's default is `filtered`.
   */
  publicationAutocreateMode?: 'all_tables' | 'disabled' | 'filtered' | 'no_tables';
  snapshotMode?:
    | 'initial'
    | 'always'
    | 'initial_only'
    | 'no_data'
    | 'when_needed'
    | 'configuration_based'
    | 'custom';
  schemaIncludeList?: string[];
  schemaExcludeList?: string[];
  /** SQL run with each heartbeat (keeps the slot advancing when captured tables are idle). */
  heartbeatActionQuery?: string;
}

export interface BinlogConnectorOptions extends CommonOptions {
  /** Replication client id; unique in the cluster and different from the server's own `server_id`. */
  serverId: number;
  /** Where the connector keeps the DDL history it needs to restart. */
  schemaHistory: { topic: string; bootstrapServers: string | string[] };
  snapshotMode?:
    | 'initial'
    | 'always'
    | 'initial_only'
    | 'no_data'
    | 'when_needed'
    | 'recovery'
    | 'configuration_based'
    | 'custom';
  databaseIncludeList?: string[];
  databaseExcludeList?: string[];
  /** Publish DDL events on the `topicPrefix` topic (Debezium default true). */
  includeSchemaChanges?: boolean;
}

export const POSTGRES_CONNECTOR_CLASS = 'io.debezium.connector.postgresql.PostgresConnector';
export const MYSQL_CONNECTOR_CLASS = 'io.debezium.connector.mysql.MySqlConnector';
/** MariaDB needs its own connector: `MySqlConnector` 3.x fails against MariaDB 10.11. */
export const MARIADB_CONNECTOR_CLASS = 'io.debezium.connector.mariadb.MariaDbConnector';

function invalid(field: string, message: string): ConnectError {
  return new ConnectError({
    message: `invalid connector option ${field}: ${message}`,
    kind: 'validation',
    field,
  });
}

/** A Debezium PostgreSQL source connector configuration. */
export function postgresConnector(o: PostgresConnectorOptions): ConnectorConfig {
  const conn = resolveConnection(o.connection, ['postgres:', 'postgresql:']);
  if (!conn.database) throw invalid('connection.database', 'PostgreSQL needs the database name');
  const plugin = o.pluginName ?? 'pgoutput';
  if (o.slotName !== undefined && !/^[a-z0-9_]{1,63}$/.test(o.slotName)) {
    throw invalid(
      'slotName',
      `${JSON.stringify(o.slotName)}: replication slot names use only a-z, 0-9 and _ (at most 63)`,
    );
  }
  if (
    plugin !== 'pgoutput' &&
    (o.publicationName !== undefined || o.publicationAutocreateMode !== undefined)
  ) {
    throw invalid(
      o.publicationName !== undefined ? 'publicationName' : 'publicationAutocreateMode',
      `publications are only used with pluginName 'pgoutput', not '${plugin}'`,
    );
  }
  if (o.publicationName !== undefined && !/^[A-Za-z_][A-Za-z0-9_$]{0,62}$/.test(o.publicationName)) {
    throw invalid(
      'publicationName',
      `${JSON.stringify(o.publicationName)} is not a plain PostgreSQL identifier`,
    );
  }
  exclusive(o.schemaIncludeList, o.schemaExcludeList, 'schemaExcludeList', 'schemaIncludeList');
  const config: ConnectorConfig = {
    'connector.class': POSTGRES_CONNECTOR_CLASS,
    'database.hostname': conn.hostname,
    'database.port': String(conn.port),
    'database.user': conn.user,
    'database.password': conn.password,
    'database.dbname': conn.database,
    'plugin.name': plugin,
    ...(plugin === 'pgoutput'
      ? { 'publication.autocreate.mode': o.publicationAutocreateMode ?? 'filtered' }
      : {}),
    ...opt('publication.name', o.publicationName),
    ...opt('slot.name', o.slotName),
    ...opt('slot.drop.on.stop', o.slotDropOnStop),
    ...opt('snapshot.mode', o.snapshotMode),
    ...list('schema.include.list', o.schemaIncludeList),
    ...list('schema.exclude.list', o.schemaExcludeList),
    ...opt('heartbeat.action.query', o.heartbeatActionQuery),
  };
  if (o.heartbeatActionQuery !== undefined && !o.heartbeatIntervalMs) {
    throw invalid('heartbeatActionQuery', 'runs only with heartbeats: set heartbeatIntervalMs > 0');
  }
  return common(o, config);
}

/** A Debezium MySQL source connector configuration (for MySQL servers; use `mariadbConnector` for MariaDB). */
export function mysqlConnector(o: BinlogConnectorOptions): ConnectorConfig {
  if (typeof o.connection === 'string' && o.connection.startsWith('mariadb:')) {
    throw invalid(
      'connection',
      'a mariadb:// server needs mariadbConnector (MySqlConnector fails against MariaDB)',
    );
  }
  return binlog(o, MYSQL_CONNECTOR_CLASS);
}

/** A Debezium MariaDB source connector configuration (`MariaDbConnector`). */
export function mariadbConnector(o: BinlogConnectorOptions): ConnectorConfig {
  return binlog(o, MARIADB_CONNECTOR_CLASS);
}

function binlog(o: BinlogConnectorOptions, connectorClass: string): ConnectorConfig {
  const conn = resolveConnection(o.connection, ['mysql:', 'mariadb:']);
  // database.server.id is an unsigned 32-bit id; 0 is refused by the server for replicas.
  if (!Number.isInteger(o.serverId) || o.serverId < 1 || o.serverId > 4_294_967_295) {
    throw invalid('serverId', `must be an integer from 1 to 4294967295, got ${o.serverId}`);
  }
  if (!o.schemaHistory)
    throw invalid('schemaHistory', 'MySQL/MariaDB connectors need a schema history topic');
  checkTopic('schemaHistory.topic', o.schemaHistory.topic);
  const servers = Array.isArray(o.schemaHistory.bootstrapServers)
    ? o.schemaHistory.bootstrapServers.join(',')
    : o.schemaHistory.bootstrapServers;
  if (!servers || !/^[^\s,]+:\d+(,[^\s,]+:\d+)*$/.test(servers)) {
    throw invalid(
      'schemaHistory.bootstrapServers',
      `expected host:port[,host:port…], got ${JSON.stringify(servers)}`,
    );
  }
  exclusive(o.databaseIncludeList, o.databaseExcludeList, 'databaseExcludeList', 'databaseIncludeList');
  const config: ConnectorConfig = {
    'connector.class': connectorClass,
    'database.hostname': conn.hostname,
    'database.port': String(conn.port),
    'database.user': conn.user,
    'database.password': conn.password,
    'database.server.id': String(o.serverId),
    'schema.history.internal.kafka.topic': o.schemaHistory.topic,
    'schema.history.internal.kafka.bootstrap.servers': servers,
    ...opt('snapshot.mode', o.snapshotMode),
    // A database named in the URL narrows capture to it, unless the caller filters explicitly.
    ...list(
      'database.include.list',
      o.databaseIncludeList ??
        (conn.database && !o.databaseExcludeList?.length ? [conn.database] : undefined),
    ),
    ...list('database.exclude.list', o.databaseExcludeList),
    ...opt('include.schema.changes', o.includeSchemaChanges),
  };
  return common(o, config);
}

function common(o: CommonOptions, config: ConnectorConfig): ConnectorConfig {
  checkTopic('topicPrefix', o.topicPrefix);
  exclusive(o.tableIncludeList, o.tableExcludeList, 'tableExcludeList', 'tableIncludeList');
  for (const [field, tables] of [
    ['tableIncludeList', o.tableIncludeList],
    ['tableExcludeList', o.tableExcludeList],
  ] as const) {
    // Patterns are matched against the qualified name; a bare table name silently matches nothing.
    const bare = tables?.find((t) => !t.includes('.'));
    if (bare !== undefined)
      throw invalid(field, `${JSON.stringify(bare)} must be qualified (schema.table or database.table)`);
    for (const t of tables ?? []) checkRegex(field, t);
  }
  if (
    o.heartbeatIntervalMs !== undefined &&
    (!Number.isInteger(o.heartbeatIntervalMs) || o.heartbeatIntervalMs < 0)
  ) {
    throw invalid('heartbeatIntervalMs', `must be a non-negative integer, got ${o.heartbeatIntervalMs}`);
  }
  const snapshotMode = config['snapshot.mode'];
  if (snapshotMode === 'custom' && !o.snapshotModeCustomName) {
    throw invalid('snapshotModeCustomName', "snapshotMode 'custom' needs the snapshotter's name");
  }
  if (o.snapshotModeCustomName !== undefined && snapshotMode !== 'custom') {
    throw invalid('snapshotModeCustomName', "is only used with snapshotMode 'custom'");
  }
  Object.assign(config, {
    'topic.prefix': o.topicPrefix,
    ...opt('snapshot.mode.custom.name', o.snapshotModeCustomName),
    ...list('table.include.list', o.tableIncludeList),
    ...list('table.exclude.list', o.tableExcludeList),
    ...list('column.exclude.list', o.columnExcludeList),
    ...opt('heartbeat.interval.ms', o.heartbeatIntervalMs),
    ...opt('decimal.handling.mode', o.decimalHandlingMode),
    ...opt('time.precision.mode', o.timePrecisionMode),
    ...opt('tombstones.on.delete', o.tombstonesOnDelete),
    ...converter('key.converter', 'keyConverter', o.keyConverter),
    ...converter('value.converter', 'valueConverter', o.valueConverter),
    ...transforms(o),
  });
  for (const [key, value] of Object.entries(o.extra ?? {})) {
    if (key in config)
      throw invalid(`extra.${key}`, 'is already set by a typed option; use that option instead');
    if (typeof value !== 'string') throw invalid(`extra.${key}`, 'connector properties are strings');
    config[key] = value;
  }
  return config;
}

function transforms(o: CommonOptions): ConnectorConfig {
  const names: string[] = [];
  const out: ConnectorConfig = {};
  if (o.unwrap) {
    const u: UnwrapOptions = o.unwrap === true ? {} : o.unwrap;
    names.push('unwrap');
    out['transforms.unwrap.type'] = 'io.debezium.transforms.ExtractNewRecordState';
    Object.assign(out, opt('transforms.unwrap.delete.tombstone.handling.mode', u.deleteTombstoneHandling));
    Object.assign(out, list('transforms.unwrap.add.fields', u.addFields));
    Object.assign(out, list('transforms.unwrap.add.headers', u.addHeaders));
  }
  if (o.route) {
    checkRegex('route.regex', o.route.regex);
    if (!o.route.replacement) throw invalid('route.replacement', 'must be a non-empty topic name pattern');
    names.push('route');
    out['transforms.route.type'] = 'org.apache.kafka.connect.transforms.RegexRouter';
    out['transforms.route.regex'] = o.route.regex;
    out['transforms.route.replacement'] = o.route.replacement;
  }
  if (names.length) out.transforms = names.join(',');
  return out;
}

function converter(prefix: string, field: string, c: ConverterOptions | undefined): ConnectorConfig {
  if (!c) return {};
  switch (c.type) {
    case 'json':
      return {
        [prefix]: 'org.apache.kafka.connect.json.JsonConverter',
        [`${prefix}.schemas.enable`]: String(c.schemas ?? false),
      };
    case 'string':
      return { [prefix]: 'org.apache.kafka.connect.storage.StringConverter' };
    case 'avro': {
      if (!/^https?:\/\/[^\s]+$/.test(c.registryUrl ?? '')) {
        throw invalid(`${field}.registryUrl`, `must be an http(s) URL, got ${JSON.stringify(c.registryUrl)}`);
      }
      if ((c.flavor ?? 'confluent') === 'confluent') {
        return {
          [prefix]: 'io.confluent.connect.avro.AvroConverter',
          [`${prefix}.schema.registry.url`]: c.registryUrl,
        };
      }
      return {
        [prefix]: 'io.apicurio.registry.utils.converter.AvroConverter',
        [`${prefix}.apicurio.registry.url`]: c.registryUrl,
        [`${prefix}.apicurio.registry.auto-register`]: 'true',
        [`${prefix}.apicurio.registry.find-latest`]: 'true',
      };
    }
    default:
      throw invalid(field, `unknown converter type ${JSON.stringify((c as { type?: unknown }).type)}`);
  }
}

function resolveConnection(input: DatabaseConnection | string, schemes: string[]): DatabaseConnection {
  let c: DatabaseConnection;
  if (typeof input === 'string') {
    let url: URL;
    try {
      url = new URL(input);
    } catch {
      // Never echo the input: it holds the password.
      throw invalid('connection', 'is not a valid URL');
    }
    if (!schemes.includes(url.protocol)) {
      throw invalid('connection', `URL scheme ${url.protocol} is not one of ${schemes.join(', ')}`);
    }
    const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
    c = {
      hostname: url.hostname,
      port: Number(url.port || (url.protocol.startsWith('postgres') ? 5432 : 3306)),
      user: decodeURIComponent(url.username),
      password: decodeURIComponent(url.password),
      ...(database ? { database } : {}),
    };
  } else {
    c = input;
  }
  if (!c?.hostname) throw invalid('connection.hostname', 'is required');
  if (!Number.isInteger(c.port) || c.port < 1 || c.port > 65_535) {
    throw invalid('connection.port', `must be an integer from 1 to 65535, got ${c.port}`);
  }
  if (!c.user) throw invalid('connection.user', 'is required');
  if (typeof c.password !== 'string') throw invalid('connection.password', 'must be a string');
  return c;
}

function checkTopic(field: string, topic: string | undefined): void {
  if (!topic || topic.length > 249 || !/^[A-Za-z0-9._-]+$/.test(topic)) {
    throw invalid(
      field,
      `${JSON.stringify(topic)} is not a legal Kafka topic name (letters, digits, . _ -; at most 249)`,
    );
  }
}

function checkRegex(field: string, pattern: string): void {
  try {
    new RegExp(pattern);
  } catch (cause) {
    throw invalid(
      field,
      `${JSON.stringify(pattern)} is not a valid regular expression (${(cause as Error).message})`,
    );
  }
}

function exclusive(
  include: unknown[] | undefined,
  exclude: unknown[] | undefined,
  field: string,
  other: string,
): void {
  // Debezium refuses both lists at once; say so before the worker does.
  if (include?.length && exclude?.length) throw invalid(field, `cannot be combined with ${other}`);
}

function opt(key: string, value: string | number | boolean | undefined): ConnectorConfig {
  return value === undefined ? {} : { [key]: String(value) };
}

function list(key: string, values: string[] | undefined): ConnectorConfig {
  return values?.length ? { [key]: values.join(',') } : {};
}
