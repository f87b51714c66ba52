/**
 * lakekit/stack — the real lakehouse services (S3, Iceberg REST catalog, Schema Registry, Kafka,
 * Kafka Connect + Debezium, PostgreSQL, MariaDB, Alertmanager, Python reference clients) started on
 * loopback without Docker: `startStack()` for code, `npm run stack:*` for people, and
 * `lakekit/stack/vitest` for test suites.
 */
export {
  DEFAULT_PORT_BASE,
  DEPENDENCIES,
  resolveServices,
  SERVICE_GROUPS,
  SERVICE_NAMES,
  type ServiceName,
} from './catalog.js';
export {
  type AlertmanagerEndpoint,
  type ConnectEndpoint,
  fromEnv,
  type IcebergEndpoint,
  type KafkaEndpoint,
  type PythonEndpoint,
  type RegistryEndpoint,
  type S3Endpoint,
  type SqlEndpoint,
  type StackEndpoints,
  toEnv,
} from './endpoints.js';
export { StackError, UnknownServiceError } from './errors.js';
export { createIsolation, type Isolation, isolationId } from './isolate.js';
export {
  type KilledService,
  type KillServiceOptions,
  killService,
  restartService,
  runningProcess,
  type StartedService,
  type StartServiceOptions,
  startService,
} from './restart.js';
export { alertmanagerConfig, CREDENTIALS, VERSIONS } from './services.js';
export {
  defaultStateDir,
  formatStatusTable,
  type ServiceState,
  type ServiceStatus,
  Stack,
  type StartStackOptions,
  stackStatus,
  startStack,
  stopStack,
} from './stack.js';
