import { describe, expect, it } from 'vitest';
import {
  ConnectError,
  MARIADB_CONNECTOR_CLASS,
  mariadbConnector,
  mysqlConnector,
  type PostgresConnectorOptions,
  postgresConnector,
} from '../../src/connect/index.js';

const pg: PostgresConnectorOptions = {
  connection: 'postgres://cdc:pa%40ss-w0rd@127.0.0.1:55432/cdc',
  topicPrefix: 'lk1',
  tableIncludeList: ['public.customers'],
};

function rejection(fn: () => unknown): ConnectError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ConnectError);
    return e as ConnectError;
  }
  throw new Error('expected the builder to reject its options');
}

describe('postgresConnector', () => {
  it('builds a pgoutput config from a URL with filtered publication by default', () => {
    const c = postgresConnector({
      ...pg,
      slotName: 'lk_slot_1',
      publicationName: 'lk_pub_1',
      snapshotMode: 'initial',
      heartbeatIntervalMs: 1000,
      decimalHandlingMode: 'string',
      timePrecisionMode: 'connect',
      tombstonesOnDelete: true,
      valueConverter: { type: 'json', schemas: false },
      keyConverter: { type: 'json', schemas: true },
    });
    expect(c).toEqual({
      'connector.class': 'io.debezium.connector.postgresql.PostgresConnector',
      'database.hostname': '127.0.0.1',
      'database.port': '55432',
      'database.user': 'cdc',
      'database.password': 'pa@ss-w0rd',
      'database.dbname': 'cdc',
      'plugin.name': 'pgoutput',
      'publication.autocreate.mode': 'filtered',
      'publication.name': 'lk_pub_1',
      'slot.name': 'lk_slot_1',
      'snapshot.mode': 'initial',
      'topic.prefix': 'lk1',
      'table.include.list': 'public.customers',
      'heartbeat.interval.ms': '1000',
      'decimal.handling.mode': 'string',
      'time.precision.mode': 'connect',
      'tombstones.on.delete': 'true',
      'key.converter': 'org.apache.kafka.connect.json.JsonConverter',
      'key.converter.schemas.enable': 'true',
      'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
      'value.converter.schemas.enable': 'false',
    });
  });

  it('adds ExtractNewRecordState and RegexRouter transforms in order, and Avro converters', () => {
    const c = postgresConnector({
      ...pg,
      unwrap: { deleteTombstoneHandling: 'rewrite', addFields: ['op', 'source.ts_ms'] },
      route: { regex: 'lk1\\.public\\.(.*)', replacement: 'pg.$1' },
      valueConverter: { type: 'avro', registryUrl: 'http://127.0.0.1:8081/apis/ccompat/v7' },
      keyConverter: {
        type: 'avro',
        registryUrl: 'http://127.0.0.1:8081/apis/registry/v2',
        flavor: 'apicurio',
      },
    });
    expect(c.transforms).toBe('unwrap,route');
    expect(c['transforms.unwrap.type']).toBe('io.debezium.transforms.ExtractNewRecordState');
    expect(c['transforms.unwrap.delete.tombstone.handling.mode']).toBe('rewrite');
    expect(c['transforms.unwrap.add.fields']).toBe('op,source.ts_ms');
    expect(c['transforms.route.type']).toBe('org.apache.kafka.connect.transforms.RegexRouter');
    expect(c['transforms.route.replacement']).toBe('pg.$1');
    expect(c['value.converter']).toBe('io.confluent.connect.avro.AvroConverter');
    expect(c['value.converter.schema.registry.url']).toBe('http://127.0.0.1:8081/apis/ccompat/v7');
    expect(c['key.converter']).toBe('io.apicurio.registry.utils.converter.AvroConverter');
    expect(c['key.converter.apicurio.registry.url']).toBe('http://127.0.0.1:8081/apis/registry/v2');
  });

  it.each([
    [{ slotName: 'Bad-Slot' }, 'slotName'],
    [{ pluginName: 'decoderbufs', publicationAutocreateMode: 'filtered' }, 'publicationAutocreateMode'],
    [{ publicationName: 'pub; drop table x' }, 'publicationName'],
    [{ tableExcludeList: ['public.orders'] }, 'tableExcludeList'],
    [{ tableIncludeList: ['customers'] }, 'tableIncludeList'],
    [{ tableIncludeList: ['public.(customers'] }, 'tableIncludeList'],
    [{ topicPrefix: 'has space' }, 'topicPrefix'],
    [{ heartbeatIntervalMs: -5 }, 'heartbeatIntervalMs'],
    [{ heartbeatActionQuery: 'UPDATE hb SET ts = now()' }, 'heartbeatActionQuery'],
    [{ snapshotMode: 'custom' }, 'snapshotModeCustomName'],
    [{ valueConverter: { type: 'avro', registryUrl: 'localhost:8081' } }, 'valueConverter.registryUrl'],
    [{ route: { regex: '(', replacement: 'x' } }, 'route.regex'],
    [{ extra: { 'topic.prefix': 'other' } }, 'extra.topic.prefix'],
    [{ connection: 'mysql://u:p@h:1/db' }, 'connection'],
    [{ connection: 'postgres://u:p@h:1/' }, 'connection.database'],
    [
      { connection: { hostname: 'h', port: 70000, user: 'u', password: 'p', database: 'd' } },
      'connection.port',
    ],
  ] as [Partial<PostgresConnectorOptions>, string][])('rejects %j naming %s', (patch, field) => {
    const e = rejection(() => postgresConnector({ ...pg, ...patch }));
    expect(e.kind).toBe('validation');
    expect(e.isBadConfig()).toBe(true);
    expect(e.field).toBe(field);
    expect(e.message).toContain(field);
  });

  it('never echoes a connection URL (it holds the password)', () => {
    const e = rejection(() => postgresConnector({ ...pg, connection: 'postgres://u:hunter2-secret@[bad/x' }));
    expect(e.field).toBe('connection');
    expect(e.message).not.toContain('hunter2-secret');
  });
});

describe('mysqlConnector / mariadbConnector', () => {
  const base = {
    connection: 'mariadb://cdc:maria-pw@127.0.0.1:53306/cdc',
    topicPrefix: 'lkm',
    serverId: 5401,
    schemaHistory: { topic: 'lkm.schema-history', bootstrapServers: ['127.0.0.1:59092'] },
    tableIncludeList: ['cdc.customers'],
  };

  it('uses MariaDbConnector with server id, schema history and the URL database as include list', () => {
    const c = mariadbConnector({ ...base, snapshotMode: 'initial', includeSchemaChanges: false });
    expect(c).toMatchObject({
      'connector.class': MARIADB_CONNECTOR_CLASS,
      'database.hostname': '127.0.0.1',
      'database.port': '53306',
      'database.user': 'cdc',
      'database.password': 'maria-pw',
      'database.server.id': '5401',
      'schema.history.internal.kafka.topic': 'lkm.schema-history',
      'schema.history.internal.kafka.bootstrap.servers': '127.0.0.1:59092',
      'database.include.list': 'cdc',
      'table.include.list': 'cdc.customers',
      'snapshot.mode': 'initial',
      'include.schema.changes': 'false',
      'topic.prefix': 'lkm',
    });
    expect(c['database.dbname']).toBeUndefined();
    const excluding = mariadbConnector({ ...base, databaseExcludeList: ['mysql'] });
    expect(excluding['database.exclude.list']).toBe('mysql');
    expect(excluding['database.include.list']).toBeUndefined();
  });

  it('refuses MySqlConnector for a mariadb:// URL and checks server id and schema history', () => {
    expect(rejection(() => mysqlConnector(base)).field).toBe('connection');
    expect(
      mysqlConnector({ ...base, connection: 'mysql://cdc:pw@127.0.0.1:3306/cdc' })['connector.class'],
    ).toBe('io.debezium.connector.mysql.MySqlConnector');
    expect(rejection(() => mariadbConnector({ ...base, serverId: 0 })).field).toBe('serverId');
    expect(rejection(() => mariadbConnector({ ...base, serverId: 1.5 })).field).toBe('serverId');
    expect(
      rejection(() =>
        mariadbConnector({ ...base, schemaHistory: { topic: 'h', bootstrapServers: 'localhost' } }),
      ).field,
    ).toBe('schemaHistory.bootstrapServers');
    expect(
      rejection(() =>
        mariadbConnector({ ...base, schemaHistory: { topic: 'bad topic', bootstrapServers: '127.0.0.1:1' } }),
      ).field,
    ).toBe('schemaHistory.topic');
    expect(
      rejection(() =>
        mariadbConnector({ ...base, databaseIncludeList: ['cdc'], databaseExcludeList: ['mysql'] }),
      ).field,
    ).toBe('databaseExcludeList');
  });
});
