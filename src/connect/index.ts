/**
 * lakekit/connect — the Kafka Connect REST client (every operation of `specs/kafka-connect.yaml`),
 * connector lifecycle (upsert, waits, delete-and-wait, per-field validation), Debezium connector
 * config builders, and `ConnectError`.
 */
export {
  type CallSignal,
  type ConnectClientOptions,
  createConnectClient,
  KafkaConnectClient,
  type RestartOptions,
} from './client.js';
export {
  type BinlogConnectorOptions,
  type ConverterOptions,
  type DatabaseConnection,
  type DecimalHandlingMode,
  MARIADB_CONNECTOR_CLASS,
  MYSQL_CONNECTOR_CLASS,
  mariadbConnector,
  mysqlConnector,
  POSTGRES_CONNECTOR_CLASS,
  type PostgresConnectorOptions,
  postgresConnector,
  type TimePrecisionMode,
  type TopicRouteOptions,
  type UnwrapOptions,
} from './debezium.js';
export { ConnectError, type ConnectErrorInit, connectProfile } from './errors.js';
export type {
  ConfigValidation,
  DeleteConnectorOptions,
  UpsertResult,
  WaitForConnectorOptions,
} from './lifecycle.js';
export type * from './types.js';
