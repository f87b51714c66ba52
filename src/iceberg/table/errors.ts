/**
 * How the table layer raises errors: every failure is an `IcebergError` (src/iceberg/errors.ts,
 * DESIGN.md §2) whose message names the file or column at fault, with `code` saying why
 * (`UnknownColumn`, `MalformedMetadata`, `NotAvro`, `MalformedParquet`, `SchemaMismatch`, …).
 * This factory is the only place the table layer builds errors.
 */
import type { LakekitErrorKind } from '../../http/errors.js';
import { IcebergError } from '../errors.js';

/** Kinds the table layer raises: bad caller input, or files/metadata that break the spec. */
export type TableErrorKind = Extract<LakekitErrorKind, 'validation' | 'protocol'>;

export interface TableErrorInit {
  /** Machine-readable reason, e.g. `UnknownColumn`, `MalformedMetadata`, `CommitConflict`. */
  code: string;
  cause?: unknown;
}

/** Builds an error of the Iceberg service. */
export function tableError(kind: TableErrorKind, message: string, init: TableErrorInit): IcebergError {
  return new IcebergError({
    message,
    kind,
    service: 'iceberg',
    code: init.code,
    ...(init.cause === undefined ? {} : { cause: init.cause }),
  });
}

/** Caller input the table layer refuses (unknown column, data not matching the schema, …). */
export function validationError(code: string, message: string, cause?: unknown): IcebergError {
  return tableError('validation', message, { code, cause });
}

/** A metadata, manifest or data file that does not follow the Iceberg spec. */
export function protocolError(code: string, message: string, cause?: unknown): IcebergError {
  return tableError('protocol', message, { code, cause });
}
