/**
 * The catalogue of stack services: their names, what each needs started first, the ports they take
 * (fixed offsets from one base, so URLs are predictable and a second stack can move them all at
 * once), and the resolution of a requested subset into a start order. Pure data and functions, no
 * I/O, so it is unit-tested on its own.
 */
import { UnknownServiceError } from './errors.js';

/** Services the stack can run. `python` and `python-spark` install clients only, no process. */
export const SERVICE_NAMES = [
  's3',
  'iceberg',
  'registry',
  'kafka',
  'connect',
  'postgres',
  'mariadb',
  'alertmanager',
  'python',
  'python-spark',
] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

/** Group names accepted wherever service names are. `all` leaves out the heavy Spark extra. */
export const SERVICE_GROUPS: Record<string, readonly ServiceName[]> = {
  all: ['s3', 'iceberg', 'registry', 'kafka', 'connect', 'postgres', 'mariadb', 'alertmanager', 'python'],
  cdc: ['kafka', 'connect', 'registry', 'postgres', 'mariadb'],
  mysql: ['mariadb'],
  delta: ['s3', 'python'],
};

/** What must be ready before a service starts. Only hard runtime dependencies are listed. */
export const DEPENDENCIES: Record<ServiceName, readonly ServiceName[]> = {
  s3: [],
  // The catalog's S3FileIO writes metadata into the warehouse bucket, which must exist first.
  iceberg: ['s3'],
  registry: [],
  kafka: [],
  // Connect keeps its config, offsets and status in Kafka topics; the databases are only needed by
  // connectors a test creates later, so they are not dependencies of the worker.
  connect: ['kafka'],
  postgres: [],
  mariadb: [],
  alertmanager: [],
  python: [],
  'python-spark': ['python'],
};

/** Port offsets from the port base. */
export const PORT_OFFSETS = {
  s3: 0,
  iceberg: 1,
  registry: 2,
  registryManagement: 3,
  kafka: 4,
  kafkaController: 5,
  connect: 6,
  postgres: 7,
  mariadb: 8,
  alertmanager: 9,
  webhookSink: 10,
} as const;
export type PortName = keyof typeof PORT_OFFSETS;
export type Ports = Record<PortName, number>;

export const DEFAULT_PORT_BASE = 19100;

export function portsFrom(base: number): Ports {
  const out = {} as Ports;
  for (const [k, off] of Object.entries(PORT_OFFSETS)) out[k as PortName] = base + off;
  return out;
}

export function isServiceName(name: string): name is ServiceName {
  return (SERVICE_NAMES as readonly string[]).includes(name);
}

/**
 * Expands groups, adds dependencies transitively and returns the services in a valid start order
 * (dependencies first, otherwise catalogue order). An empty request means `all`.
 * @throws UnknownServiceError listing the valid names.
 */
export function resolveServices(requested: readonly string[]): ServiceName[] {
  const names = requested.length === 0 ? ['all'] : requested;
  const unknown = names.filter((n) => !isServiceName(n) && !(n in SERVICE_GROUPS));
  if (unknown.length > 0)
    throw new UnknownServiceError(unknown, [...SERVICE_NAMES, ...Object.keys(SERVICE_GROUPS)]);
  const wanted = new Set<ServiceName>();
  const add = (s: ServiceName): void => {
    if (wanted.has(s)) return;
    wanted.add(s);
    for (const d of DEPENDENCIES[s]) add(d);
  };
  for (const n of names) for (const s of isServiceName(n) ? [n] : (SERVICE_GROUPS[n] ?? [])) add(s);
  const ordered: ServiceName[] = [];
  const visit = (s: ServiceName): void => {
    if (ordered.includes(s)) return;
    for (const d of DEPENDENCIES[s]) visit(d);
    ordered.push(s);
  };
  for (const s of SERVICE_NAMES) if (wanted.has(s)) visit(s);
  return ordered;
}
