/**
 * Installs what the services run from the package registries into the user-level download cache
 * (`~/.cache/lakekit`, `LAKEKIT_CACHE_DIR`), one directory per artifact keyed by its version (and by
 * a hash of the pom or requirements file that lists it), so a fresh clone reuses everything. An
 * entry counts only once it holds the `.lakekit-ok` marker; it is built under a lock file beside it
 * so two `stack:up` runs never install the same thing at once, and a killed install is redone.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { StackError } from './errors.js';
import { isAlive, processStartTicks, runCommand } from './proc.js';

/** Pinned versions; STACK-NOTES.md and stack/README.md say why these. */
export const VERSIONS = {
  versitygw: '1.8.0',
  alertmanager: '0.31.1',
  kafka: '4.4.0',
  iceberg: '1.11.0',
  apicurio: '3.3.3',
  apicurioJava17: '2.6.13.Final',
  debeziumPostgres: '3.6.1.Final',
  debeziumMysql: '3.6.1.Final',
  debeziumMariadb: '3.5.0.Final',
  apicurioConverter: '2.6.13.Final',
  mavenDependencyPlugin: '3.8.1',
} as const;

/**
 * Package root: the nearest ancestor holding `stack/kafka/pom.xml` (from `src/stack/` in the repo,
 * from `dist/src/stack/` when built), where `stack/` holds the poms and requirements.
 */
export const REPO_ROOT = (() => {
  let dir = import.meta.dirname;
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'stack', 'kafka', 'pom.xml'))) return dir;
    dir = dirname(dir);
  }
  return join(import.meta.dirname, '..', '..');
})();
export const STACK_FILES = join(REPO_ROOT, 'stack');

export function defaultCacheDir(): string {
  return (
    process.env.LAKEKIT_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'lakekit')
  );
}

export function shortHash(...parts: string[]): string {
  const h = createHash('sha256');
  for (const p of parts) h.update(p).update('\0');
  return h.digest('hex').slice(0, 10);
}

const MARKER = '.lakekit-ok';

/** Exclusive lock file holding the owner's pid; a lock left by a dead process is taken over. */
export async function withLock<T>(
  file: string,
  what: string,
  timeoutMs: number,
  fn: () => Promise<T>,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  const me = JSON.stringify({ pid: process.pid, startTicks: processStartTicks(process.pid) ?? '' });
  for (;;) {
    try {
      const fd = openSync(file, 'wx');
      writeFileSync(fd, me);
      closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let owner: { pid: number; startTicks: string } | undefined;
      try {
        owner = JSON.parse(readFileSync(file, 'utf8'));
      } catch {
        owner = undefined;
      }
      // An unreadable lock may be one being written this instant: only a dead owner is stale.
      if (owner && !isAlive(owner)) {
        rmSync(file, { force: true });
        continue;
      }
      if (Date.now() > until)
        throw new StackError({
          service: what,
          kind: 'wait-timeout',
          message: `waited ${Math.round(timeoutMs / 1000)} s for lock ${file} held by pid ${owner?.pid ?? '?'}`,
        });
      await sleep(250);
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(file, { force: true });
  }
}

export interface InstallContext {
  cacheDir: string;
  /** Log of install commands (Maven, go, pip) for this service. */
  logFile: string;
  signal?: AbortSignal;
  progress: (msg: string) => void;
}

/**
 * Ensures `cacheDir/key` is installed: if the marker is missing, runs `build(tmpDir)` and moves the
 * result into place. `inPlace` builds directly in the final directory (a virtualenv cannot move).
 */
export async function ensureCached(
  service: string,
  ctx: InstallContext,
  key: string,
  build: (dir: string) => Promise<void>,
  opts: { inPlace?: boolean; timeoutMs?: number } = {},
): Promise<string> {
  const dir = join(ctx.cacheDir, key);
  if (existsSync(join(dir, MARKER))) return dir;
  mkdirSync(ctx.cacheDir, { recursive: true });
  await withLock(`${dir}.lock`, service, opts.timeoutMs ?? 20 * 60_000, async () => {
    if (existsSync(join(dir, MARKER))) return;
    ctx.progress(`downloading ${key}`);
    const started = Date.now();
    const work = opts.inPlace ? dir : `${dir}.tmp-${process.pid}`;
    rmSync(work, { recursive: true, force: true });
    mkdirSync(work, { recursive: true });
    try {
      await build(work);
    } catch (err) {
      rmSync(work, { recursive: true, force: true });
      throw err;
    }
    writeFileSync(join(work, MARKER), `${new Date().toISOString()} ${Date.now() - started} ms\n`);
    if (!opts.inPlace) {
      rmSync(dir, { recursive: true, force: true });
      renameSync(work, dir);
    }
    ctx.progress(`installed ${key} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });
  return dir;
}

/** Finds an executable on PATH (no shell). */
export function which(cmd: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    const p = join(dir, cmd);
    if (dir && existsSync(p)) return p;
  }
  return undefined;
}

function requireTool(service: string, tool: string, hint: string, logFile: string): string {
  const p = which(tool);
  if (!p)
    throw new StackError({
      service,
      kind: 'validation',
      message: `\`${tool}\` not found on PATH; ${hint}`,
      logFile,
    });
  return p;
}

// ---------------------------------------------------------------- Go binaries

async function goInstall(
  service: string,
  ctx: InstallContext,
  key: string,
  bin: string,
  pkg: string,
  ldflags?: string,
) {
  const dir = await ensureCached(service, ctx, key, async (work) => {
    const go = requireTool(service, 'go', 'install Go ≥ 1.24 (https://go.dev/dl) to build it', ctx.logFile);
    const args = ['install'];
    if (ldflags) args.push('-ldflags', ldflags);
    args.push(pkg);
    await runCommand(service, go, args, {
      logFile: ctx.logFile,
      env: { GOBIN: work, CGO_ENABLED: '0' },
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    });
  });
  return join(dir, bin);
}

export function installVersitygw(ctx: InstallContext): Promise<string> {
  const v = VERSIONS.versitygw;
  return goInstall(
    's3',
    ctx,
    `versitygw-${v}`,
    'versitygw',
    `github.com/versity/versitygw/cmd/versitygw@v${v}`,
  );
}

export function installAlertmanager(ctx: InstallContext): Promise<string> {
  const v = VERSIONS.alertmanager;
  // 0.32+ do not `go install` (their web UI bundle is not in the module); the version string is
  // otherwise empty in `/api/v2/status`.
  return goInstall(
    'alertmanager',
    ctx,
    `alertmanager-${v}`,
    'alertmanager',
    `github.com/prometheus/alertmanager/cmd/alertmanager@v${v}`,
    `-X github.com/prometheus/common/version.Version=${v}`,
  );
}

// ---------------------------------------------------------------- Maven artifacts

function mvnArgs(ctx: InstallContext): string[] {
  return ['-q', '-B', `-Dmaven.repo.local=${join(ctx.cacheDir, 'm2')}`];
}
const DEP_PLUGIN = `org.apache.maven.plugins:maven-dependency-plugin:${VERSIONS.mavenDependencyPlugin}`;

async function mvnClasspath(
  service: string,
  ctx: InstallContext,
  name: string,
  pom: string,
): Promise<string[]> {
  const text = readFileSync(pom, 'utf8');
  const dir = await ensureCached(service, ctx, `${name}-${shortHash(text)}`, async (work) => {
    const mvn = requireTool(service, 'mvn', 'install Maven (apt-get install maven)', ctx.logFile);
    await runCommand(
      service,
      mvn,
      [
        ...mvnArgs(ctx),
        '-f',
        pom,
        `${DEP_PLUGIN}:copy-dependencies`,
        '-DincludeScope=runtime',
        `-DoutputDirectory=${join(work, 'lib')}`,
      ],
      { logFile: ctx.logFile, ...(ctx.signal ? { signal: ctx.signal } : {}) },
    );
  });
  // Sorted and explicit (not `lib/*`): an AppCDS archive only applies to the identical classpath.
  const lib = join(dir, 'lib');
  return readdirSync(lib)
    .filter((f) => f.endsWith('.jar'))
    .sort()
    .map((f) => join(lib, f));
}

export function installKafka(ctx: InstallContext, service = 'kafka'): Promise<string[]> {
  return mvnClasspath(service, ctx, `kafka-${VERSIONS.kafka}`, join(STACK_FILES, 'kafka', 'pom.xml'));
}

export function installIcebergRest(ctx: InstallContext): Promise<string[]> {
  return mvnClasspath(
    'iceberg',
    ctx,
    `iceberg-rest-${VERSIONS.iceberg}`,
    join(STACK_FILES, 'iceberg', 'pom.xml'),
  );
}

export async function installDebezium(ctx: InstallContext): Promise<string> {
  const key =
    `debezium-pg${VERSIONS.debeziumPostgres}-my${VERSIONS.debeziumMysql}-mdb${VERSIONS.debeziumMariadb}`.replaceAll(
      '.Final',
      '',
    );
  return ensureCached('connect', ctx, key, async (work) => {
    const mvn = requireTool('connect', 'mvn', 'install Maven (apt-get install maven)', ctx.logFile);
    const plugins = [
      `debezium-connector-postgres:${VERSIONS.debeziumPostgres}`,
      `debezium-connector-mysql:${VERSIONS.debeziumMysql}`,
      `debezium-connector-mariadb:${VERSIONS.debeziumMariadb}`,
    ];
    // Each `plugin` archive unpacks into its own folder: one Connect plugin per folder.
    for (const p of plugins)
      await runCommand(
        'connect',
        mvn,
        [
          ...mvnArgs(ctx),
          `${DEP_PLUGIN}:unpack`,
          `-Dartifact=io.debezium:${p}:tar.gz:plugin`,
          `-DoutputDirectory=${work}`,
        ],
        { logFile: ctx.logFile, ...(ctx.signal ? { signal: ctx.signal } : {}) },
      );
  });
}

/**
 * Apicurio's Connect converters as one plugin folder (`<entry>/apicurio-converter/`) for the
 * worker's `plugin.path`. The jars carry no ServiceLoader manifests, which a worker with
 * `plugin.discovery=service_load` needs to see a converter at all: Kafka's own
 * `ConnectPluginPath sync-manifests` (in kafka-tools, on the worker's classpath) adds them as a shim
 * jar inside the folder, once, at install time.
 */
export async function installApicurioConverter(
  ctx: InstallContext,
  java: string,
  kafkaClasspath: readonly string[],
): Promise<string> {
  const pom = join(STACK_FILES, 'apicurio-converter', 'pom.xml');
  const key = `apicurio-converter-${VERSIONS.apicurioConverter.replace('.Final', '')}-${shortHash(readFileSync(pom, 'utf8'))}`;
  return ensureCached('connect', ctx, key, async (work) => {
    const mvn = requireTool('connect', 'mvn', 'install Maven (apt-get install maven)', ctx.logFile);
    const folder = join(work, 'apicurio-converter');
    const signal = ctx.signal ? { signal: ctx.signal } : {};
    await runCommand(
      'connect',
      mvn,
      [
        ...mvnArgs(ctx),
        '-f',
        pom,
        `${DEP_PLUGIN}:copy-dependencies`,
        '-DincludeScope=runtime',
        `-DoutputDirectory=${folder}`,
      ],
      { logFile: ctx.logFile, ...signal },
    );
    await runCommand(
      'connect',
      java,
      [
        '-cp',
        kafkaClasspath.join(':'),
        'org.apache.kafka.tools.ConnectPluginPath',
        'sync-manifests',
        '--plugin-location',
        folder,
      ],
      { logFile: ctx.logFile, ...signal },
    );
  });
}

/** Apicurio's ready-made Quarkus distribution; `java17` selects the 2.6 line that runs on Java 17. */
export async function installApicurio(ctx: InstallContext, java17: boolean): Promise<string> {
  const v = java17 ? VERSIONS.apicurioJava17 : VERSIONS.apicurio;
  return ensureCached('registry', ctx, `apicurio-${v}`, async (work) => {
    const mvn = requireTool('registry', 'mvn', 'install Maven (apt-get install maven)', ctx.logFile);
    await runCommand(
      'registry',
      mvn,
      [
        ...mvnArgs(ctx),
        `${DEP_PLUGIN}:copy`,
        `-Dartifact=io.apicurio:apicurio-registry-app:${v}:tar.gz:all`,
        `-DoutputDirectory=${work}`,
      ],
      { logFile: ctx.logFile, ...(ctx.signal ? { signal: ctx.signal } : {}) },
    );
    const tarball = readdirSync(work).find((f) => f.endsWith('.tar.gz'));
    if (!tarball)
      throw new StackError({ service: 'registry', message: 'Maven fetched no tar.gz', logFile: ctx.logFile });
    await runCommand('registry', 'tar', ['-xzf', join(work, tarball), '-C', work], { logFile: ctx.logFile });
    rmSync(join(work, tarball));
  });
}

// ---------------------------------------------------------------- Python

export function findPython(logFile: string): { bin: string; version: string } {
  const candidates = [process.env.LAKEKIT_PYTHON_BIN, 'python3.11', 'python3.12', 'python3'].filter(
    (c): c is string => !!c,
  );
  for (const c of candidates) {
    try {
      const version = execFileSync(c, ['-c', 'import sys; print("%d.%d" % sys.version_info[:2])'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim();
      const [maj, min] = version.split('.').map(Number);
      if (maj === 3 && (min ?? 0) >= 10) return { bin: c, version };
    } catch {
      // not this one
    }
  }
  throw new StackError({
    service: 'python',
    kind: 'validation',
    message:
      'no Python ≥ 3.10 found (tried LAKEKIT_PYTHON_BIN, python3.11, python3.12, python3); install python3 and python3-venv',
    logFile,
  });
}

/** The virtualenv with the reference clients, keyed by Python version and requirements hash. */
export async function installPythonVenv(ctx: InstallContext): Promise<string> {
  const reqFile = join(STACK_FILES, 'python', 'requirements.txt');
  const py = findPython(ctx.logFile);
  const key = `python-${py.version}-${shortHash(readFileSync(reqFile, 'utf8'))}`;
  const dir = await ensureCached(
    'python',
    ctx,
    key,
    async (work) => {
      await runCommand('python', py.bin, ['-m', 'venv', work], { logFile: ctx.logFile });
      await runCommand(
        'python',
        join(work, 'bin', 'pip'),
        ['install', '-q', '--disable-pip-version-check', '-r', reqFile],
        { logFile: ctx.logFile, ...(ctx.signal ? { signal: ctx.signal } : {}) },
      );
    },
    { inPlace: true },
  );
  return join(dir, 'bin', 'python');
}

/** Adds the heavy Spark group (delta-spark + pyspark) to the same virtualenv. */
export async function installPythonSpark(ctx: InstallContext, python: string): Promise<void> {
  const reqFile = join(STACK_FILES, 'python', 'requirements-spark.txt');
  const venv = join(python, '..', '..');
  const marker = join(venv, `.spark-${shortHash(readFileSync(reqFile, 'utf8'))}`);
  if (existsSync(marker)) return;
  await withLock(`${venv}.spark.lock`, 'python-spark', 30 * 60_000, async () => {
    if (existsSync(marker)) return;
    ctx.progress('installing delta-spark + pyspark');
    await runCommand(
      'python-spark',
      join(venv, 'bin', 'pip'),
      ['install', '-q', '--disable-pip-version-check', '-r', reqFile],
      { logFile: ctx.logFile, ...(ctx.signal ? { signal: ctx.signal } : {}) },
    );
    writeFileSync(marker, new Date().toISOString());
  });
}
