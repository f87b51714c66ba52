/**
 * Errors of the stack runner (`lakekit/stack`). Every failure to install, start or reach a local
 * service is a `StackError` that names the service, its log file and the last lines of that log,
 * because "the registry did not start" is useless without the JVM's own last words.
 */
import { LakekitError, type LakekitErrorKind } from '../http/errors.js';

export interface StackErrorInit {
  message: string;
  /** The stack service concerned (`kafka`, `postgres`, …); `stack` for whole-stack problems. */
  service: string;
  kind?: LakekitErrorKind;
  /** Absolute path of the service's log file, when it has one. */
  logFile?: string;
  /** Last lines of that log (already read, so the message survives a purge). */
  logTail?: string;
  cause?: unknown;
}

export class StackError extends LakekitError {
  override name = 'StackError';
  readonly logFile: string | undefined;
  readonly logTail: string | undefined;

  constructor(init: StackErrorInit) {
    const parts = [`[${init.service}] ${init.message}`];
    if (init.logFile) parts.push(`log: ${init.logFile}`);
    if (init.logTail?.trim()) parts.push(`last log lines:\n${indent(init.logTail.trimEnd())}`);
    super({
      message: parts.join('\n'),
      kind: init.kind ?? 'protocol',
      service: init.service,
      cause: init.cause,
    });
    this.logFile = init.logFile;
    this.logTail = init.logTail;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), logFile: this.logFile, logTail: this.logTail };
  }
}

/** A service name that the stack does not know; `validNames` lists the ones it does. */
export class UnknownServiceError extends StackError {
  override name = 'UnknownServiceError';
  readonly unknown: string[];
  readonly validNames: readonly string[];

  constructor(unknown: string[], validNames: readonly string[]) {
    super({
      service: 'stack',
      kind: 'validation',
      message: `unknown service${unknown.length > 1 ? 's' : ''} ${unknown.map((u) => `"${u}"`).join(', ')}; valid names: ${validNames.join(', ')}`,
    });
    this.unknown = unknown;
    this.validNames = validNames;
  }
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
}
