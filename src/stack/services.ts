/**
 * How each stack service is installed, configured, launched, probed and bootstrapped. Every
 * server listens on 127.0.0.1 only (except the Iceberg catalog, which has no host option), keeps its
 * data under `<stateDir>/<service>/` and logs to `<stateDir>/logs/<service>.log`. JVMs run with small
 * heaps, SerialGC and C1 only, and with an AppCDS archive from the previous run when there is one:
 * on this 2-core machine class loading dominates start time (STACK-NOTES.md).
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { Socket } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Ports, ServiceName } from './catalog.js';
import { StackError } from './errors.js';
import {
  findPython,
  type InstallContext,
  installAlertmanager,
  installApicurio,
  installApicurioConverter,
  installDebezium,
  installIcebergRest,
  installKafka,
  installPythonSpark,
  installPythonVenv,
  installVersitygw,
  shortHash,
  VERSIONS,
  which,
} from './install.js';
import { type LaunchSpec, runCommand } from './proc.js';

const execFileP = promisify(execFile);

/** Fixed development credentials: loopback-only servers, never production. */
export const CREDENTIALS = {
  s3AccessKey: 'lakekit',
  s3SecretKey: 'lakekit-secret-key',
  s3Region: 'us-east-1',
  s3Bucket: 'lakekit',
  warehouseBucket: 'warehouse',
  sqlUser: 'lakekit',
  sqlPassword: 'lakekit',
  sqlDatabase: 'cdc',
} as const;

/** Plugins the Connect worker must list before it counts as ready. */
export const DEBEZIUM_PLUGINS = [
  'io.debezium.connector.postgresql.PostgresConnector',
  'io.debezium.connector.mysql.MySqlConnector',
  'io.debezium.connector.mariadb.MariaDbConnector',
] as const;

export interface ServiceContext {
  stateDir: string;
  cacheDir: string;
  ports: Ports;
  /** `<stateDir>/<service>`: the service's data and config. */
  dir: string;
  logFile: string;
  install: InstallContext;
  signal?: AbortSignal;
}

export interface ServiceDef {
  name: ServiceName;
  /**
   * Launch while the dependencies are still starting (ready still waits for them): the Iceberg
   * catalog opens its SQLite file at boot and touches S3 only when a table is written.
   */
  launchBeforeDependencies?: boolean;
  /** Deadline from launch to ready. */
  readyTimeoutMs: number;
  /** Seconds SIGTERM gets before SIGKILL (JVMs writing a CDS archive need a few). */
  stopTimeoutMs: number;
  /** Downloads into the cache; returns what `launch` needs. */
  install(ctx: ServiceContext): Promise<Artifacts>;
  /** Creates data directories and config files (idempotent; runs before every launch). */
  prepare?(ctx: ServiceContext, a: Artifacts): Promise<void>;
  /** The long-running process; absent for install-only services (python). */
  launch?(ctx: ServiceContext, a: Artifacts): LaunchSpec;
  /** One readiness probe; true when the service answers as it should. */
  probe(ctx: ServiceContext): Promise<boolean>;
  /** First-use setup once ready (buckets, users, databases); idempotent. */
  bootstrap?(ctx: ServiceContext, a: Artifacts): Promise<void>;
  /** What the status table shows. */
  url(ports: Ports, stateDir: string): string;
}

export type Artifacts = Record<string, string | string[]>;

// ---------------------------------------------------------------- Java

interface Jvm {
  java: string;
  major: number;
}

function jvmAt(home: string): Jvm | undefined {
  const java = join(home, 'bin', 'java');
  if (!existsSync(java)) return undefined;
  try {
    const release = readFileSync(join(home, 'release'), 'utf8');
    const m = /JAVA_VERSION="(\d+)/.exec(release);
    if (m) return { java, major: Number(m[1]) };
  } catch {
    // no release file: ask the binary
  }
  try {
    const out = execFileSync(java, ['-version'], { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
    return { java, major: Number(/version "(\d+)/.exec(out)?.[1] ?? 0) };
  } catch (err) {
    const text = String((err as { stderr?: string }).stderr ?? '');
    const m = /version "(\d+)/.exec(text);
    return m ? { java, major: Number(m[1]) } : undefined;
  }
}

function pathJvm(): Jvm | undefined {
  if (process.env.JAVA_HOME) {
    const j = jvmAt(process.env.JAVA_HOME);
    if (j) return j;
  }
  const onPath = which('java');
  if (!onPath) return undefined;
  const r = spawnVersion(onPath);
  return r === undefined ? undefined : { java: onPath, major: r };
}

function spawnVersion(java: string): number | undefined {
  // `-XshowSettings` prints to stderr, also on success.
  const r = spawnSync(java, ['-XshowSettings:properties', '-version'], { encoding: 'utf8' });
  const m = /java\.specification\.version = (\d+)/.exec(`${r.stderr ?? ''}${r.stdout ?? ''}`);
  return m ? Number(m[1]) : undefined;
}

/** Java ≥ 17 for Kafka, Connect, Debezium and the Iceberg catalog. */
export function java17(service: string, logFile: string): Jvm {
  const j = pathJvm();
  if (!j || j.major < 17)
    throw new StackError({
      service,
      kind: 'validation',
      message: `needs Java ≥ 17 (found ${j ? j.major : 'none'} via JAVA_HOME/PATH); apt-get install openjdk-17-jre-headless`,
      logFile,
    });
  return j;
}

/** Java ≥ 21 for Apicurio 3, if the machine has one: LAKEKIT_JAVA21_HOME, Temurin 25, any ≥ 21. */
export function java21(): Jvm | undefined {
  // `none` forces the Java 17 fallback (Apicurio 2.6), e.g. to test it on a machine with Java 25.
  if (process.env.LAKEKIT_JAVA21_HOME === 'none') return undefined;
  const homes = [process.env.LAKEKIT_JAVA21_HOME, '/usr/lib/jvm/temurin-25-jdk-amd64'];
  try {
    homes.push(...readdirSync('/usr/lib/jvm').map((d) => join('/usr/lib/jvm', d)));
  } catch {
    // no /usr/lib/jvm
  }
  for (const h of homes) {
    if (!h) continue;
    const j = jvmAt(h);
    if (j && j.major >= 21) return j;
  }
  const p = pathJvm();
  return p && p.major >= 21 ? p : undefined;
}

/**
 * JVM flags for a small, fast-starting server. The AppCDS archive is keyed by JDK and classpath;
 * Java 17 writes it when the first run exits (SIGTERM), Java ≥ 19 creates and refreshes it itself.
 */
function jvmFlags(
  ctx: ServiceContext,
  jvm: Jvm,
  name: string,
  heapMb: number,
  classpathKey: string,
  /** C2 as well as C1: for servers that every test call goes through (slower start, less CPU per request). */
  fullJit = false,
): string[] {
  const cdsDir = join(ctx.cacheDir, 'cds');
  mkdirSync(cdsDir, { recursive: true });
  const archive = join(cdsDir, `${name}-${jvm.major}-${shortHash(jvm.java, classpathKey)}.jsa`);
  const cds =
    jvm.major >= 19
      ? ['-XX:+AutoCreateSharedArchive', `-XX:SharedArchiveFile=${archive}`]
      : existsSync(archive)
        ? [`-XX:SharedArchiveFile=${archive}`]
        : [`-XX:ArchiveClassesAtExit=${archive}`];
  return [
    `-Xmx${heapMb}m`,
    '-XX:+UseSerialGC',
    ...(fullJit ? [] : ['-XX:TieredStopAtLevel=1']),
    '-Xshare:auto',
    // A stale or foreign archive only produces a warning; keep it out of the log noise.
    '-Xlog:cds=off',
    '-Xlog:cds+dynamic=off',
    '-Djava.awt.headless=true',
    '-Djava.net.preferIPv4Stack=true',
    ...cds,
  ];
}

async function httpOk(url: string, accept?: (status: number) => boolean): Promise<boolean> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    await res.arrayBuffer();
    return accept ? accept(res.status) : res.ok;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------- S3: versitygw

const s3: ServiceDef = {
  name: 's3',
  readyTimeoutMs: 30_000,
  stopTimeoutMs: 5_000,
  async install(ctx) {
    return { bin: await installVersitygw(ctx.install) };
  },
  async prepare(ctx) {
    mkdirSync(join(ctx.dir, 'data'), { recursive: true });
  },
  launch(ctx, a) {
    return {
      command: a.bin as string,
      // --quiet: otherwise every request is logged.
      args: ['--port', `127.0.0.1:${ctx.ports.s3}`, '--quiet', 'posix', join(ctx.dir, 'data')],
      env: { ROOT_ACCESS_KEY: CREDENTIALS.s3AccessKey, ROOT_SECRET_KEY: CREDENTIALS.s3SecretKey },
    };
  },
  probe: (ctx) => httpOk(`http://127.0.0.1:${ctx.ports.s3}/`, () => true),
  async bootstrap(ctx) {
    const { S3Client, CreateBucketCommand, HeadBucketCommand } = await import('@aws-sdk/client-s3');
    const client = new S3Client({
      endpoint: `http://127.0.0.1:${ctx.ports.s3}`,
      region: CREDENTIALS.s3Region,
      forcePathStyle: true,
      credentials: { accessKeyId: CREDENTIALS.s3AccessKey, secretAccessKey: CREDENTIALS.s3SecretKey },
    });
    try {
      for (const Bucket of [CREDENTIALS.s3Bucket, CREDENTIALS.warehouseBucket]) {
        try {
          await client.send(new HeadBucketCommand({ Bucket }));
        } catch {
          await client.send(new CreateBucketCommand({ Bucket }));
        }
      }
    } finally {
      client.destroy();
    }
  },
  url: (p) => `http://127.0.0.1:${p.s3}`,
};

// ---------------------------------------------------------------- Iceberg REST catalog

const iceberg: ServiceDef = {
  name: 'iceberg',
  launchBeforeDependencies: true,
  readyTimeoutMs: 120_000,
  stopTimeoutMs: 60_000,
  async install(ctx) {
    const jvm = java17('iceberg', ctx.logFile);
    return { java: jvm.java, major: String(jvm.major), cp: await installIcebergRest(ctx.install) };
  },
  async prepare(ctx) {
    mkdirSync(ctx.dir, { recursive: true });
  },
  launch(ctx, a) {
    const cp = (a.cp as string[]).join(':');
    const jvm = { java: a.java as string, major: Number(a.major) };
    return {
      command: jvm.java,
      args: [
        ...jvmFlags(ctx, jvm, 'iceberg', 192, cp),
        // At INFO the server logs every catalog property, S3 secret included.
        '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn',
        '-cp',
        cp,
        'org.apache.iceberg.rest.RESTCatalogServer',
      ],
      // Configuration is environment only: CATALOG_ prefix, `__` → `-`, `_` → `.`.
      env: {
        CATALOG_REST_PORT: String(ctx.ports.iceberg),
        CATALOG_WAREHOUSE: `s3://${CREDENTIALS.warehouseBucket}/`,
        CATALOG_URI: `jdbc:sqlite:${join(ctx.dir, 'catalog.db')}`,
        CATALOG_JDBC_USER: 'lakekit',
        CATALOG_JDBC_PASSWORD: 'lakekit',
        CATALOG_IO__IMPL: 'org.apache.iceberg.aws.s3.S3FileIO',
        CATALOG_S3_ENDPOINT: `http://127.0.0.1:${ctx.ports.s3}`,
        CATALOG_S3_PATH__STYLE__ACCESS: 'true',
        CATALOG_S3_ACCESS__KEY__ID: CREDENTIALS.s3AccessKey,
        CATALOG_S3_SECRET__ACCESS__KEY: CREDENTIALS.s3SecretKey,
        CATALOG_CLIENT_REGION: CREDENTIALS.s3Region,
        CATALOG_INCLUDE__CREDENTIALS: 'true',
        AWS_REGION: CREDENTIALS.s3Region,
      },
    };
  },
  probe: (ctx) => httpOk(`http://127.0.0.1:${ctx.ports.iceberg}/v1/config`),
  url: (p) => `http://127.0.0.1:${p.iceberg}`,
};

// ---------------------------------------------------------------- Schema Registry: Apicurio

const registry: ServiceDef = {
  name: 'registry',
  readyTimeoutMs: 150_000,
  stopTimeoutMs: 60_000,
  async install(ctx) {
    const j21 = java21();
    // Apicurio 3 needs Java ≥ 21; the 2.6 line is the fallback that runs on 17.
    const jvm = j21 ?? java17('registry', ctx.logFile);
    const dir = await installApicurio(ctx.install, !j21);
    return { java: jvm.java, major: String(jvm.major), dir, generation: j21 ? '3' : '2' };
  },
  async prepare(ctx) {
    mkdirSync(ctx.dir, { recursive: true });
  },
  launch(ctx, a) {
    const dir = a.dir as string;
    const v3 = a.generation === '3';
    const jar = v3 ? join(dir, 'quarkus-run.jar') : findRunnerJar(dir);
    const jvm = { java: a.java as string, major: Number(a.major) };
    const p = ctx.ports;
    return {
      command: jvm.java,
      args: [
        // A long-running server that every registration goes through: C2 as well as C1. Measured with
        // interleaved runs (stack/README.md "Schema Registry throughput"): 12–40% less registry CPU
        // per registration once warm, start-up about the same.
        ...jvmFlags(ctx, jvm, `registry${a.generation}`, 256, jar, true),
        '-Dquarkus.http.host=127.0.0.1',
        `-Dquarkus.http.port=${p.registry}`,
        // Without these, health and metrics bind 0.0.0.0:9000 (disabling has no effect at run time).
        '-Dquarkus.management.host=127.0.0.1',
        `-Dquarkus.management.port=${p.registryManagement}`,
        // A fresh registry reports NONE yet checks as BACKWARD; make the setting explicit.
        v3
          ? '-Dapicurio.rules.global.compatibility=BACKWARD'
          : '-Dregistry.rules.global.compatibility=BACKWARD',
        // Every request is otherwise logged at INFO: an access line (its category is
        // io.quarkus.http.access-log, so switching the log off is the reliable way), an audit line and,
        // per registration, "Incrementing total schemas counter" from the storage metrics.
        '-Dquarkus.http.access-log.enabled=false',
        '-Dquarkus.log.category."io.apicurio.registry.logging.audit".level=WARN',
        '-Dquarkus.log.category."io.apicurio.registry.storage.metrics".level=WARN',
        '-jar',
        jar,
      ],
      cwd: v3 ? dir : join(jar, '..'),
    };
  },
  async probe(ctx) {
    const p = ctx.ports;
    const health =
      (await httpOk(`http://127.0.0.1:${p.registryManagement}/health/ready`)) ||
      (await httpOk(`http://127.0.0.1:${p.registry}/health/ready`));
    return health && (await httpOk(`http://127.0.0.1:${p.registry}/apis/ccompat/v7/subjects`));
  },
  async bootstrap(ctx) {
    // Apicurio 2.6 reports NONE despite its default-rule property: store the level explicitly.
    const url = `http://127.0.0.1:${ctx.ports.registry}/apis/ccompat/v7/config`;
    const current = (await (await fetch(url)).json()) as { compatibilityLevel?: string };
    if (current.compatibilityLevel === 'BACKWARD') return;
    const res = await fetch(url, {
      method: 'PUT',
      headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
      body: JSON.stringify({ compatibility: 'BACKWARD' }),
    });
    if (!res.ok)
      throw new StackError({
        service: 'registry',
        message: `PUT /config BACKWARD answered ${res.status}`,
        logFile: ctx.logFile,
      });
  },
  url: (p) => `http://127.0.0.1:${p.registry}/apis/ccompat/v7`,
};

function findRunnerJar(dir: string): string {
  const stack = [dir];
  while (stack.length > 0) {
    const d = stack.pop()!;
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) stack.push(p);
      else if (e.name === 'quarkus-run.jar' || e.name.endsWith('-runner.jar')) return p;
    }
  }
  throw new StackError({ service: 'registry', message: `no runner jar under ${dir}` });
}

// ---------------------------------------------------------------- Kafka (KRaft) and Connect

function log4j2(file: string, level = 'INFO'): void {
  writeFileSync(
    file,
    [
      'status = warn',
      'appender.out.type = Console',
      'appender.out.name = STDOUT',
      'appender.out.layout.type = PatternLayout',
      'appender.out.layout.pattern = [%d] %p %m (%c)%n',
      `rootLogger.level = ${level}`,
      'rootLogger.appenderRef.out.ref = STDOUT',
      // Connect's reflections and Kafka's request logger are loud and useless here.
      'logger.reflections.name = org.reflections',
      'logger.reflections.level = ERROR',
      'logger.request.name = kafka.request.logger',
      'logger.request.level = WARN',
      '',
    ].join('\n'),
  );
}

function props(file: string, entries: Record<string, string | number>): void {
  writeFileSync(
    file,
    `${Object.entries(entries)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n')}\n`,
  );
}

const kafka: ServiceDef = {
  name: 'kafka',
  readyTimeoutMs: 120_000,
  stopTimeoutMs: 60_000,
  async install(ctx) {
    const jvm = java17('kafka', ctx.logFile);
    return { java: jvm.java, major: String(jvm.major), cp: await installKafka(ctx.install) };
  },
  async prepare(ctx, a) {
    const p = ctx.ports;
    const data = join(ctx.dir, 'data');
    mkdirSync(data, { recursive: true });
    props(join(ctx.dir, 'server.properties'), {
      'process.roles': 'broker,controller',
      'node.id': 1,
      listeners: `PLAINTEXT://127.0.0.1:${p.kafka},CONTROLLER://127.0.0.1:${p.kafkaController}`,
      'advertised.listeners': `PLAINTEXT://127.0.0.1:${p.kafka}`,
      'controller.listener.names': 'CONTROLLER',
      'inter.broker.listener.name': 'PLAINTEXT',
      'listener.security.protocol.map': 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
      'controller.quorum.bootstrap.servers': `127.0.0.1:${p.kafkaController}`,
      'log.dirs': data,
      'num.partitions': 1,
      'default.replication.factor': 1,
      'min.insync.replicas': 1,
      'offsets.topic.replication.factor': 1,
      'offsets.topic.num.partitions': 5,
      'transaction.state.log.replication.factor': 1,
      'transaction.state.log.min.isr': 1,
      'share.coordinator.state.topic.replication.factor': 1,
      'share.coordinator.state.topic.min.isr': 1,
      'auto.create.topics.enable': 'true',
      'delete.topic.enable': 'true',
      'group.initial.rebalance.delay.ms': 0,
      // The default 128 MiB is allocated on the heap at start: small heaps die in the cleaner.
      'log.cleaner.dedupe.buffer.size': 8 * 1024 * 1024,
      'log.retention.hours': 24,
      'num.network.threads': 2,
      'num.io.threads': 2,
    });
    log4j2(join(ctx.dir, 'log4j2.properties'));
    if (!existsSync(join(data, 'meta.properties'))) {
      // A KRaft log directory must be formatted once with a cluster id (base64url of 16 bytes).
      let id = '';
      while (!/^[A-Za-z0-9_]/.test(id))
        id = (await import('node:crypto')).randomBytes(16).toString('base64url');
      await runCommand(
        'kafka',
        a.java as string,
        [
          '-Xmx128m',
          `-Dlog4j2.configurationFile=${join(ctx.dir, 'log4j2.properties')}`,
          '-cp',
          (a.cp as string[]).join(':'),
          'kafka.tools.StorageTool',
          'format',
          '-t',
          id,
          '-c',
          join(ctx.dir, 'server.properties'),
          '--standalone',
        ],
        { logFile: ctx.logFile },
      );
    }
  },
  launch(ctx, a) {
    const cp = (a.cp as string[]).join(':');
    const jvm = { java: a.java as string, major: Number(a.major) };
    return {
      command: jvm.java,
      args: [
        ...jvmFlags(ctx, jvm, 'kafka', 192, cp),
        `-Dlog4j2.configurationFile=${join(ctx.dir, 'log4j2.properties')}`,
        '-cp',
        cp,
        'kafka.Kafka',
        join(ctx.dir, 'server.properties'),
      ],
    };
  },
  probe: (ctx) => kafkaApiVersionsOk(ctx.ports.kafka),
  url: (p) => `127.0.0.1:${p.kafka}`,
};

/**
 * Readiness of the broker: an ApiVersions request (key 18, version 0, which every broker answers,
 * unlike the Metadata versions Kafka 4 removed) must come back with error code 0. Raw bytes rather
 * than kafkajs: the probe runs every 250 ms and kafkajs warns about negative timers on Node ≥ 23.
 */
export function kafkaApiVersionsOk(port: number, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const clientId = Buffer.from('lakekit-stack-probe');
    const body = Buffer.alloc(2 + 2 + 4 + 2 + clientId.length);
    body.writeInt16BE(18, 0);
    body.writeInt16BE(0, 2);
    body.writeInt32BE(7, 4);
    body.writeInt16BE(clientId.length, 8);
    clientId.copy(body, 10);
    const frame = Buffer.concat([Buffer.alloc(4), body]);
    frame.writeInt32BE(body.length, 0);
    const sock = new Socket();
    let got = Buffer.alloc(0);
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('error', () => done(false));
    sock.on('data', (chunk) => {
      got = Buffer.concat([got, chunk]);
      // size(4) correlation id(4) error code(2)
      if (got.length >= 10) done(got.readInt32BE(4) === 7 && got.readInt16BE(8) === 0);
    });
    sock.connect(port, '127.0.0.1', () => sock.write(frame));
  });
}

const connect: ServiceDef = {
  name: 'connect',
  readyTimeoutMs: 150_000,
  stopTimeoutMs: 60_000,
  async install(ctx) {
    const jvm = java17('connect', ctx.logFile);
    const [cp, plugins] = await Promise.all([
      installKafka(ctx.install, 'connect'),
      installDebezium(ctx.install),
    ]);
    // Avro CDC through the stack's registry needs a converter the worker can load (Apicurio's).
    const converters = await installApicurioConverter(ctx.install, jvm.java, cp);
    return { java: jvm.java, major: String(jvm.major), cp, plugins, converters };
  },
  async prepare(ctx, a) {
    const p = ctx.ports;
    mkdirSync(ctx.dir, { recursive: true });
    props(join(ctx.dir, 'connect.properties'), {
      'bootstrap.servers': `127.0.0.1:${p.kafka}`,
      'group.id': 'lakekit-connect',
      'key.converter': 'org.apache.kafka.connect.json.JsonConverter',
      'value.converter': 'org.apache.kafka.connect.json.JsonConverter',
      'key.converter.schemas.enable': 'false',
      'value.converter.schemas.enable': 'false',
      'config.storage.topic': '_lakekit_connect_configs',
      'offset.storage.topic': '_lakekit_connect_offsets',
      'status.storage.topic': '_lakekit_connect_status',
      'config.storage.replication.factor': 1,
      'offset.storage.replication.factor': 1,
      'status.storage.replication.factor': 1,
      'offset.storage.partitions': 5,
      'status.storage.partitions': 1,
      'offset.flush.interval.ms': 1000,
      listeners: `http://127.0.0.1:${p.connect}`,
      'rest.advertised.host.name': '127.0.0.1',
      'rest.advertised.port': p.connect,
      'plugin.path': [a.plugins as string, a.converters as string].join(','),
      // The default scans every jar by reflection: plugins listed after ~34 s instead of ~9 s.
      'plugin.discovery': 'service_load',
      'connector.client.config.override.policy': 'All',
      'topic.creation.enable': 'true',
    });
    log4j2(join(ctx.dir, 'log4j2.properties'));
  },
  launch(ctx, a) {
    const cp = (a.cp as string[]).join(':');
    const jvm = { java: a.java as string, major: Number(a.major) };
    return {
      command: jvm.java,
      args: [
        ...jvmFlags(ctx, jvm, 'connect', 256, cp),
        `-Dlog4j2.configurationFile=${join(ctx.dir, 'log4j2.properties')}`,
        '-cp',
        cp,
        'org.apache.kafka.connect.cli.ConnectDistributed',
        join(ctx.dir, 'connect.properties'),
      ],
    };
  },
  async probe(ctx) {
    try {
      const res = await fetch(`http://127.0.0.1:${ctx.ports.connect}/connector-plugins`, {
        signal: AbortSignal.timeout(3000),
      });
      if (!res.ok) return false;
      const classes = ((await res.json()) as { class: string }[]).map((p) => p.class);
      return DEBEZIUM_PLUGINS.every((c) => classes.includes(c));
    } catch {
      return false;
    }
  },
  url: (p) => `http://127.0.0.1:${p.connect}`,
};

// ---------------------------------------------------------------- PostgreSQL

function osUser(name: string): { uid: number; gid: number } | undefined {
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${name}:`));
  if (!line) return undefined;
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

/** Installs a Debian package once when a binary is missing (root only, as on CI machines). */
/** What `find` answers, installing the Debian package `pkg` first when it answers nothing. */
async function findOrAptInstall<T>(
  service: string,
  pkg: string,
  find: () => T | undefined,
  logFile: string,
  missing: string,
): Promise<T> {
  const found = find();
  if (found) return found;
  await aptInstall(service, pkg, logFile);
  const installed = find();
  if (!installed) throw new StackError({ service, message: missing, logFile });
  return installed;
}

async function aptInstall(service: string, pkg: string, logFile: string): Promise<void> {
  if (process.getuid?.() !== 0 || !which('apt-get'))
    throw new StackError({
      service,
      kind: 'validation',
      message: `needs the Debian package ${pkg}; run apt-get install ${pkg}`,
      logFile,
    });
  await runCommand(service, 'apt-get', ['update', '-q'], { logFile });
  await runCommand(service, 'apt-get', ['install', '-y', '-q', '--no-install-recommends', pkg], {
    logFile,
    env: { DEBIAN_FRONTEND: 'noninteractive' },
  });
}

function chownTree(path: string, uid: number, gid: number): void {
  const st = statSync(path);
  if (st.uid !== uid || st.gid !== gid) chownSync(path, uid, gid);
  if (st.isDirectory()) for (const e of readdirSync(path)) chownTree(join(path, e), uid, gid);
}

function pgBinDir(): string | undefined {
  for (const d of ['/usr/lib/postgresql/15/bin', '/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/17/bin'])
    if (existsSync(join(d, 'postgres'))) return d;
  const p = which('postgres');
  return p ? join(p, '..') : undefined;
}

const postgres: ServiceDef = {
  name: 'postgres',
  readyTimeoutMs: 60_000,
  stopTimeoutMs: 60_000,
  async install(ctx) {
    const bin = await findOrAptInstall(
      'postgres',
      'postgresql',
      pgBinDir,
      ctx.logFile,
      'postgres binaries not found',
    );
    return { bin };
  },
  async prepare(ctx, a) {
    const user = osUser('postgres');
    if (!user)
      throw new StackError({
        service: 'postgres',
        message: 'no `postgres` OS user (PostgreSQL refuses to run as root)',
        logFile: ctx.logFile,
      });
    mkdirSync(ctx.dir, { recursive: true });
    // The server runs as `postgres`: it must be able to traverse the state dir (mkdtemp makes it
    // 0700) and own everything under its own directory, including a data dir created by root.
    const stateMode = statSync(ctx.stateDir).mode;
    if ((stateMode & 0o001) === 0) chmodSync(ctx.stateDir, (stateMode & 0o7777) | 0o001);
    chownTree(ctx.dir, user.uid, user.gid);
    const data = join(ctx.dir, 'data');
    if (!existsSync(join(data, 'PG_VERSION')))
      await runCommand(
        'postgres',
        join(a.bin as string, 'initdb'),
        ['-D', data, '-A', 'trust', '-E', 'UTF8', '--locale=C.UTF-8', '-U', 'postgres'],
        { logFile: ctx.logFile, uid: user.uid, gid: user.gid, cwd: ctx.dir },
      );
    // Passwords are checked over TCP (so a test of a wrong password means something, as in any
    // real deployment); the stack itself administers through the Unix socket in its own directory.
    const hba = join(data, 'pg_hba.conf');
    writeFileSync(
      hba,
      [
        '# Written by lakekit stack on every start.',
        'local   all          all                  trust',
        'local   replication  all                  trust',
        'host    all          all   127.0.0.1/32   scram-sha-256',
        'host    replication  all   127.0.0.1/32   scram-sha-256',
        '',
      ].join('\n'),
    );
    chownSync(hba, user.uid, user.gid);
  },
  launch(ctx, a) {
    const user = osUser('postgres')!;
    const setting = (k: string, v: string | number) => ['-c', `${k}=${v}`];
    return {
      command: join(a.bin as string, 'postgres'),
      args: [
        '-D',
        join(ctx.dir, 'data'),
        ...setting('listen_addresses', '127.0.0.1'),
        ...setting('port', ctx.ports.postgres),
        ...setting('unix_socket_directories', ctx.dir),
        ...setting('wal_level', 'logical'),
        ...setting('max_replication_slots', 32),
        ...setting('max_wal_senders', 32),
        ...setting('max_connections', 200),
        // Development speed-ups: data may be lost on a machine crash, never on a clean stop.
        ...setting('fsync', 'off'),
        ...setting('synchronous_commit', 'off'),
        ...setting('full_page_writes', 'off'),
        ...setting('shared_buffers', '64MB'),
      ],
      uid: user.uid,
      gid: user.gid,
      cwd: ctx.dir,
      // SIGTERM is "smart" shutdown and waits for every client; SIGINT is "fast".
      stopSignal: 'SIGINT',
    };
  },
  async probe(ctx) {
    const pg = (await import('pg')).default;
    const client = new pg.Client({
      host: ctx.dir,
      port: ctx.ports.postgres,
      user: 'postgres',
      database: 'postgres',
      connectionTimeoutMillis: 1500,
    });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.query('SELECT 1');
      return true;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => {});
    }
  },
  async bootstrap(ctx) {
    const pg = (await import('pg')).default;
    const client = new pg.Client({
      host: ctx.dir,
      port: ctx.ports.postgres,
      user: 'postgres',
      database: 'postgres',
    });
    await client.connect();
    try {
      const { user, password, db } = {
        user: CREDENTIALS.sqlUser,
        password: CREDENTIALS.sqlPassword,
        db: CREDENTIALS.sqlDatabase,
      };
      const role = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [user]);
      if (role.rowCount === 0)
        await client.query(`CREATE ROLE ${user} WITH LOGIN REPLICATION CREATEDB PASSWORD '${password}'`);
      const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [db]);
      if (exists.rowCount === 0) await client.query(`CREATE DATABASE ${db} OWNER ${user}`);
    } finally {
      await client.end();
    }
  },
  url: (p) => `postgres://${CREDENTIALS.sqlUser}@127.0.0.1:${p.postgres}/${CREDENTIALS.sqlDatabase}`,
};

// ---------------------------------------------------------------- MariaDB

function mariadbBins(): { server: string; installDb: string; client: string; admin: string } | undefined {
  const server = ['/usr/sbin/mariadbd', which('mariadbd')].find((p): p is string => !!p && existsSync(p));
  const installDb = which('mariadb-install-db');
  const client = which('mariadb');
  const admin = which('mariadb-admin');
  return server && installDb && client && admin ? { server, installDb, client, admin } : undefined;
}

function myCnf(ctx: ServiceContext): string {
  return join(ctx.dir, 'my.cnf');
}

const mariadb: ServiceDef = {
  name: 'mariadb',
  readyTimeoutMs: 60_000,
  stopTimeoutMs: 20_000,
  async install(ctx) {
    const bins = await findOrAptInstall(
      'mariadb',
      'mariadb-server',
      mariadbBins,
      ctx.logFile,
      'mariadbd not found after install',
    );
    return { ...bins };
  },
  async prepare(ctx, a) {
    const data = join(ctx.dir, 'data');
    mkdirSync(ctx.dir, { recursive: true });
    writeFileSync(
      myCnf(ctx),
      [
        '[mariadbd]',
        `datadir=${data}`,
        `socket=${join(ctx.dir, 'mariadb.sock')}`,
        `pid-file=${join(ctx.dir, 'mariadb.pid')}`,
        `port=${ctx.ports.mariadb}`,
        'bind-address=127.0.0.1',
        'skip-name-resolve',
        // Debezium reads the binlog: row events with full before/after images, and a server id.
        'server_id=1',
        'log_bin=mariadb-bin',
        'binlog_format=ROW',
        'binlog_row_image=FULL',
        'expire_logs_days=1',
        'innodb_buffer_pool_size=64M',
        'innodb_log_file_size=32M',
        'innodb_flush_log_at_trx_commit=2',
        'performance_schema=OFF',
        'max_connections=200',
        '',
        '[client]',
        `socket=${join(ctx.dir, 'mariadb.sock')}`,
        'user=root',
        '',
      ].join('\n'),
    );
    if (!existsSync(join(data, 'mysql')))
      await runCommand(
        'mariadb',
        a.installDb as string,
        [`--defaults-file=${myCnf(ctx)}`, '--user=root', '--skip-test-db', `--datadir=${data}`],
        { logFile: ctx.logFile },
      );
  },
  launch(ctx, a) {
    return { command: a.server as string, args: [`--defaults-file=${myCnf(ctx)}`, '--user=root'] };
  },
  async probe(ctx) {
    const admin = which('mariadb-admin');
    if (!admin) return false;
    try {
      await execFileP(admin, [`--defaults-file=${myCnf(ctx)}`, '--connect-timeout=2', 'ping'], {
        timeout: 4000,
      });
      return true;
    } catch {
      return false;
    }
  },
  async bootstrap(ctx, a) {
    const { sqlUser: u, sqlPassword: pw, sqlDatabase: db } = CREDENTIALS;
    const sql = ['%', 'localhost']
      .flatMap((host) => [
        `CREATE USER IF NOT EXISTS '${u}'@'${host}' IDENTIFIED BY '${pw}';`,
        `GRANT ALL PRIVILEGES ON \`${db}\`.* TO '${u}'@'${host}';`,
        // Isolated per-test databases are named lk_…; the user may create and drop them.
        `GRANT ALL PRIVILEGES ON \`lk\\_%\`.* TO '${u}'@'${host}';`,
        `GRANT SELECT, RELOAD, SHOW DATABASES, REPLICATION SLAVE, REPLICATION CLIENT, LOCK TABLES ON *.* TO '${u}'@'${host}';`,
      ])
      .join('\n');
    await runCommand('mariadb', a.client as string, [`--defaults-file=${myCnf(ctx)}`], {
      logFile: ctx.logFile,
      input: `CREATE DATABASE IF NOT EXISTS \`${db}\`;\n${sql}\nFLUSH PRIVILEGES;\n`,
    });
  },
  url: (p) => `mysql://${CREDENTIALS.sqlUser}@127.0.0.1:${p.mariadb}/${CREDENTIALS.sqlDatabase}`,
};

// ---------------------------------------------------------------- Alertmanager

/**
 * The routing contract other tests assert against: three receivers, each a webhook to the sink port,
 * routes by severity, critical inhibits warning with the same alertname.
 */
export function alertmanagerConfig(sinkPort: number): string {
  const receiver = (name: string) =>
    [
      `  - name: ${name}`,
      '    webhook_configs:',
      `      - url: http://127.0.0.1:${sinkPort}/hook/${name}`,
      '        send_resolved: true',
    ].join('\n');
  return [
    'route:',
    '  receiver: default',
    "  group_by: ['alertname', 'severity']",
    '  group_wait: 1s',
    '  group_interval: 2s',
    '  repeat_interval: 1h',
    '  routes:',
    '    - matchers: [\'severity="critical"\']',
    '      receiver: critical',
    '    - matchers: [\'severity="warning"\']',
    '      receiver: warning',
    'receivers:',
    receiver('default'),
    receiver('critical'),
    receiver('warning'),
    'inhibit_rules:',
    '  - source_matchers: [\'severity="critical"\']',
    '    target_matchers: [\'severity="warning"\']',
    "    equal: ['alertname']",
    '',
  ].join('\n');
}

const alertmanager: ServiceDef = {
  name: 'alertmanager',
  readyTimeoutMs: 30_000,
  stopTimeoutMs: 5_000,
  async install(ctx) {
    return { bin: await installAlertmanager(ctx.install) };
  },
  async prepare(ctx) {
    mkdirSync(join(ctx.dir, 'data'), { recursive: true });
    writeFileSync(join(ctx.dir, 'alertmanager.yml'), alertmanagerConfig(ctx.ports.webhookSink));
  },
  launch(ctx, a) {
    return {
      command: a.bin as string,
      args: [
        `--config.file=${join(ctx.dir, 'alertmanager.yml')}`,
        `--storage.path=${join(ctx.dir, 'data')}`,
        `--web.listen-address=127.0.0.1:${ctx.ports.alertmanager}`,
        // Empty: no gossip cluster (it would bind 0.0.0.0:9094).
        '--cluster.listen-address=',
      ],
    };
  },
  probe: (ctx) => httpOk(`http://127.0.0.1:${ctx.ports.alertmanager}/-/ready`),
  url: (p) => `http://127.0.0.1:${p.alertmanager}`,
};

// ---------------------------------------------------------------- Python reference clients

const PYTHON_CHECK = 'import pyiceberg, deltalake, pyarrow, confluent_kafka, fastavro; print("ok")';

async function pythonImports(py: string, code: string, logFile: string): Promise<void> {
  try {
    const { stdout } = await execFileP(py, ['-c', code], { timeout: 120_000 });
    if (stdout.includes('ok')) return;
  } catch (err) {
    throw new StackError({
      service: 'python',
      message: `the virtualenv cannot import its clients: ${(err as Error).message}`,
      logFile,
      cause: err,
    });
  }
}

/**
 * Install-only: the imports are checked once after install; the readiness probe then only checks
 * that the interpreter is there, since importing pyarrow takes seconds (and `reuse` must be fast).
 */
const python: ServiceDef = {
  name: 'python',
  readyTimeoutMs: 60_000,
  stopTimeoutMs: 0,
  async install(ctx) {
    findPython(ctx.logFile);
    const py = await installPythonVenv(ctx.install);
    await pythonImports(py, PYTHON_CHECK, ctx.logFile);
    return { python: py };
  },
  probe: async (ctx) => {
    const py = pythonPath(ctx.stateDir);
    return py !== undefined && existsSync(py);
  },
  url: (_p, stateDir) => pythonPath(stateDir) ?? '',
};

const pythonSpark: ServiceDef = {
  name: 'python-spark',
  readyTimeoutMs: 120_000,
  stopTimeoutMs: 0,
  async install(ctx) {
    const py = await installPythonVenv(ctx.install);
    await installPythonSpark(ctx.install, py);
    await pythonImports(py, 'import pyspark, delta; print("ok")', ctx.logFile);
    return { python: py };
  },
  probe: async (ctx) => {
    const py = pythonPath(ctx.stateDir);
    return py !== undefined && existsSync(py);
  },
  url: (_p, stateDir) => pythonPath(stateDir) ?? '',
};

/** The virtualenv python recorded by the last `python` install for this state dir. */
export function pythonPath(stateDir: string): string | undefined {
  try {
    return JSON.parse(readFileSync(join(stateDir, 'python', 'installed.json'), 'utf8')).python as string;
  } catch {
    return undefined;
  }
}

export const SERVICES: Record<ServiceName, ServiceDef> = {
  s3,
  iceberg,
  registry,
  kafka,
  connect,
  postgres,
  mariadb,
  alertmanager,
  python,
  'python-spark': pythonSpark,
};

export { VERSIONS };
