/**
 * Connector lifecycle on top of `KafkaConnectClient`: idempotent upsert with a diff, waits for a
 * target state that fail fast on FAILED (carrying the worker's trace) and time out with the last
 * status seen, delete-and-wait, and per-field validation. These are state polls, not HTTP retries:
 * every request inside them still goes through the core's one retry policy.
 */
import { redactUrl, scrubSecrets } from '../http/redact.js';
import { sleep } from '../http/retry.js';
import type { CallSignal, KafkaConnectClient } from './client.js';
import { ConnectError } from './errors.js';
import type { ConfigInfos, ConnectorConfig, ConnectorStatus, State } from './types.js';

export interface UpsertResult {
  /** The connector did not exist and was created. */
  created: boolean;
  /** Config keys added, removed or changed (sorted); empty when the call was a no-op. */
  changed: string[];
}

export interface WaitForConnectorOptions extends CallSignal {
  /** Give up after this long. Default 60 s. */
  timeoutMs?: number;
  /** Pause between status polls. Default 500 ms. */
  pollMs?: number;
  /** Tasks that must be in the target state for RUNNING to count (a just-started connector reports none). Default 1. */
  minTasks?: number;
  /**
   * Keep polling through FAILED for this long. Right after a restart the worker can still report
   * the old FAILED state until the status topic catches up. Default 0 (fail at once).
   */
  failedGraceMs?: number;
}

export interface DeleteConnectorOptions extends CallSignal {
  /** Wait until the worker no longer knows the connector. Default true. */
  wait?: boolean;
  /** Deadline for that wait. Default 30 s. */
  timeoutMs?: number;
  /** An unknown connector is not an error. Default false. */
  ignoreMissing?: boolean;
}

export interface ConfigValidation {
  valid: boolean;
  errorCount: number;
  /** Messages by config key, only for keys with errors. */
  errors: Record<string, string[]>;
  /** The worker's full answer (definitions, recommended values, groups). */
  raw: ConfigInfos;
}

export async function upsertConnector(
  client: KafkaConnectClient,
  name: string,
  config: ConnectorConfig,
  opts: CallSignal = {},
): Promise<UpsertResult> {
  client.rememberSecrets(config);
  const existing = await client.findConnectorConfig(name, opts);
  // The worker stores the connector name inside its config; it is not something the caller changes.
  const desired: ConnectorConfig = { ...config, name };
  const changed = diffKeys(existing ?? {}, desired);
  if (existing && changed.length === 0) return { created: false, changed: [] };
  try {
    const { created } = await client.putConnectorConfig(name, desired, opts);
    return { created, changed };
  } catch (e) {
    throw await explainRejectedConfig(client, name, desired, e, opts);
  }
}

/**
 * When the worker refuses a config, ask its validate endpoint which keys are wrong. Besides a
 * clearer message this works around Connect 4.4 with Debezium 3.x, where the PUT answers HTTP 500
 * (a NullPointerException on a config key without a value) instead of listing the errors.
 */
async function explainRejectedConfig(
  client: KafkaConnectClient,
  name: string,
  config: ConnectorConfig,
  error: unknown,
  opts: CallSignal,
): Promise<unknown> {
  if (!(error instanceof ConnectError)) return error;
  const npeOnValidation = error.status === 500 && /ConfigValueInfo|configValue\(\)/.test(error.message);
  if (error.status !== 400 && !npeOnValidation) return error;
  let validation: ConfigValidation;
  try {
    validation = await validateConnectorConfig(client, config, opts);
  } catch {
    return error;
  }
  if (validation.valid) return error;
  const summary = Object.entries(validation.errors)
    .map(([key, messages]) => `${key}: ${messages.join('; ')}`)
    .join(' | ');
  return new ConnectError({
    message: scrubSecrets(
      `connect: connector ${name}: configuration rejected by the worker: ${summary}`,
      client.core.secrets,
    ),
    kind: 'http',
    ...(error.status !== undefined ? { status: error.status } : {}),
    ...(error.code !== undefined ? { code: error.code } : {}),
    ...(error.method ? { method: error.method } : {}),
    ...(error.path ? { path: error.path } : {}),
    body: error.body,
    fieldErrors: validation.errors,
    cause: error,
  });
}

function diffKeys(before: ConnectorConfig, after: ConnectorConfig): string[] {
  const keys = new Set([...Object.keys(before), ...Object.keys(after)]);
  keys.delete('name');
  return [...keys].filter((k) => before[k] !== after[k]).sort();
}

export function waitForConnectorRunning(
  client: KafkaConnectClient,
  name: string,
  opts: WaitForConnectorOptions = {},
): Promise<ConnectorStatus> {
  return waitForConnectorState(client, name, 'RUNNING', opts);
}

export async function waitForConnectorState(
  client: KafkaConnectClient,
  name: string,
  target: State,
  opts: WaitForConnectorOptions = {},
): Promise<ConnectorStatus> {
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const pollMs = opts.pollMs ?? 500;
  const minTasks = target === 'RUNNING' ? (opts.minTasks ?? 1) : 0;
  const started = Date.now();
  const deadline = started + timeoutMs;
  const failFrom = started + (opts.failedGraceMs ?? 0);
  let last: ConnectorStatus | undefined;
  for (;;) {
    try {
      last = await client.getConnectorStatus(name, opts);
    } catch (e) {
      // Right after creation the worker may not have written a status yet.
      if (!(e instanceof ConnectError && e.isNotFound())) throw e;
    }
    if (last) {
      if (target !== 'FAILED' && Date.now() >= failFrom) throwIfFailed(client, name, last);
      if (reached(last, target, minTasks)) return last;
    }
    const remaining = deadline - Date.now();
    if (remaining <= 0) {
      throw new ConnectError({
        message: `connector ${name} did not reach ${target} within ${timeoutMs} ms; last status: ${describe(last)}`,
        kind: 'wait-timeout',
        retriable: true,
        ...(last ? { connectorStatus: last } : {}),
      });
    }
    try {
      await sleep(Math.min(pollMs, remaining), opts.signal);
    } catch (cause) {
      throw new ConnectError({
        message: `waiting for connector ${name} to reach ${target} was aborted; last status: ${describe(last)}`,
        kind: 'aborted',
        cause,
        ...(last ? { connectorStatus: last } : {}),
      });
    }
  }
}

function reached(status: ConnectorStatus, target: State, minTasks: number): boolean {
  return (
    status.connector.state === target &&
    status.tasks.length >= minTasks &&
    status.tasks.every((t) => t.state === target)
  );
}

function throwIfFailed(client: KafkaConnectClient, name: string, status: ConnectorStatus): void {
  const secrets = client.core.secrets;
  const failedTask = status.tasks.find((t) => t.state === 'FAILED');
  const failed =
    status.connector.state === 'FAILED'
      ? {
          what: 'connector',
          worker: status.connector.worker_id,
          trace: status.connector.trace,
          code: 'CONNECTOR_FAILED',
        }
      : failedTask
        ? {
            what: `task ${failedTask.id}`,
            worker: failedTask.worker_id,
            trace: failedTask.trace,
            code: 'TASK_FAILED',
          }
        : undefined;
  if (!failed) return;
  const trace = failed.trace ? scrubSecrets(failed.trace, secrets) : undefined;
  // The first line of a Java trace is the exception and its message: the part a caller needs to see.
  const headline = trace?.split('\n').find((l) => l.trim() !== '') ?? 'no trace reported';
  throw new ConnectError({
    message: scrubSecrets(
      `connector ${name}: ${failed.what} FAILED on worker ${failed.worker}: ${headline}`,
      secrets,
    ),
    kind: 'http',
    code: failed.code,
    retriable: false,
    ...(trace ? { trace } : {}),
    connectorStatus: scrubStatus(status, secrets),
  });
}

function scrubStatus(status: ConnectorStatus, secrets: readonly string[]): ConnectorStatus {
  const scrub = <T extends { trace?: string }>(s: T): T =>
    s.trace === undefined ? s : { ...s, trace: scrubSecrets(s.trace, secrets) };
  return { ...status, connector: scrub(status.connector), tasks: status.tasks.map(scrub) };
}

function describe(status: ConnectorStatus | undefined): string {
  if (!status) return 'none (no status reported)';
  const tasks = status.tasks.map((t) => `${t.id}=${t.state}`).join(', ');
  return `connector ${status.connector.state}, tasks [${tasks}]`;
}

export async function deleteConnectorAndWait(
  client: KafkaConnectClient,
  name: string,
  opts: DeleteConnectorOptions = {},
): Promise<void> {
  const existed = await client.sendDeleteConnector(name, {
    ...(opts.signal ? { signal: opts.signal } : {}),
    acceptMissing: opts.ignoreMissing === true,
  });
  if (!existed || opts.wait === false) return;
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  for (let delay = 100; ; delay = Math.min(delay * 2, 1000)) {
    if (!(await client.connectorExists(name, opts))) return;
    if (Date.now() + delay > deadline) {
      throw new ConnectError({
        message: `connector ${name} was still present ${timeoutMs} ms after DELETE`,
        kind: 'wait-timeout',
        retriable: true,
        path: redactUrl(`${client.core.baseUrl}/connectors/${encodeURIComponent(name)}`, true),
      });
    }
    try {
      await sleep(delay, opts.signal);
    } catch (cause) {
      throw new ConnectError({
        message: `waiting for connector ${name} to be deleted was aborted`,
        kind: 'aborted',
        cause,
      });
    }
  }
}

export async function validateConnectorConfig(
  client: KafkaConnectClient,
  config: ConnectorConfig,
  opts: CallSignal & { plugin?: string; name?: string } = {},
): Promise<ConfigValidation> {
  // The worker reports a missing `name` as an error, yet the name travels in the URL of a PUT, not
  // in the config: supply one so the answer is about the connector's own keys.
  const named = config.name ? config : { ...config, name: opts.name ?? 'lakekit-validation' };
  const raw = await client.validatePluginConfig(named, opts);
  const errors: Record<string, string[]> = {};
  for (const c of raw.configs) {
    if (c.value && c.value.errors.length > 0)
      errors[c.value.name] = c.value.errors.map((m) => scrubSecrets(m, client.core.secrets));
  }
  return { valid: raw.error_count === 0, errorCount: raw.error_count, errors, raw };
}
