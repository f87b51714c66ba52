/**
 * `SchemaRegistryError`, the one error class of the Schema Registry client, and the mapping of the
 * registry's own `error_code` values (Confluent API reference, "Errors") to predicates. `code` is
 * the numeric `error_code` of the answer body when the server sent one.
 */
import { LakekitError, type LakekitErrorInit } from '../http/errors.js';

/** Confluent Schema Registry error codes (the `error_code` field of an error body). */
export const RegistryErrorCode = {
  SubjectNotFound: 40401,
  VersionNotFound: 40402,
  SchemaNotFound: 40403,
  SubjectSoftDeleted: 40404,
  SubjectNotSoftDeleted: 40405,
  SchemaVersionSoftDeleted: 40406,
  SchemaVersionNotSoftDeleted: 40407,
  SubjectCompatibilityNotConfigured: 40408,
  SubjectModeNotConfigured: 40409,
  IncompatibleSchema: 409,
  InvalidSchema: 42201,
  InvalidVersion: 42202,
  InvalidCompatibilityLevel: 42203,
  InvalidMode: 42204,
  OperationNotPermitted: 42205,
  ReferenceExists: 42206,
  StoreError: 50001,
  OperationTimeout: 50002,
  RequestForwardingFailed: 50003,
} as const;

export class SchemaRegistryError extends LakekitError {
  override name = 'SchemaRegistryError';

  constructor(init: LakekitErrorInit) {
    super({ ...init, service: init.service ?? 'registry' });
  }

  private is(code: number): boolean {
    return this.code === code;
  }

  /** 40401: the subject does not exist (or is soft-deleted and `deleted` was not asked for). */
  isSubjectNotFound(): boolean {
    return this.is(RegistryErrorCode.SubjectNotFound);
  }
  /** 40402: the subject has no such version. */
  isVersionNotFound(): boolean {
    return this.is(RegistryErrorCode.VersionNotFound);
  }
  /** 40403: no schema with this id, or the schema is not registered under the subject. */
  isSchemaNotFound(): boolean {
    return this.is(RegistryErrorCode.SchemaNotFound);
  }
  /** 40404: the subject was soft-deleted. */
  isSubjectSoftDeleted(): boolean {
    return this.is(RegistryErrorCode.SubjectSoftDeleted);
  }
  /** 40405: a permanent delete was asked for a subject that is not soft-deleted yet. */
  isSubjectNotSoftDeleted(): boolean {
    return this.is(RegistryErrorCode.SubjectNotSoftDeleted);
  }
  /** 40406: the schema version was soft-deleted. */
  isSchemaVersionSoftDeleted(): boolean {
    return this.is(RegistryErrorCode.SchemaVersionSoftDeleted);
  }
  /** 40407: a permanent delete was asked for a version that is not soft-deleted yet. */
  isSchemaVersionNotSoftDeleted(): boolean {
    return this.is(RegistryErrorCode.SchemaVersionNotSoftDeleted);
  }
  /** 40408: the subject has no compatibility level of its own. */
  isSubjectCompatibilityNotConfigured(): boolean {
    return this.is(RegistryErrorCode.SubjectCompatibilityNotConfigured);
  }
  /** 40409: the subject has no mode of its own. */
  isSubjectModeNotConfigured(): boolean {
    return this.is(RegistryErrorCode.SubjectModeNotConfigured);
  }
  /**
   * 409: the schema is incompatible with the subject's earlier versions. Only an error code 409 (or
   * a bare HTTP 409 without a code) counts: some servers also answer HTTP 409 for a delete in the
   * wrong state, with a 404xx code.
   */
  isIncompatible(): boolean {
    return this.is(RegistryErrorCode.IncompatibleSchema) || (this.status === 409 && this.code === undefined);
  }
  /** 42201: the schema text or schema type is invalid. */
  isInvalidSchema(): boolean {
    return this.is(RegistryErrorCode.InvalidSchema);
  }
  /** 42202: the version is not a positive integer or `latest`. */
  isInvalidVersion(): boolean {
    return this.is(RegistryErrorCode.InvalidVersion);
  }
  /** 42203: unknown compatibility level. */
  isInvalidCompatibilityLevel(): boolean {
    return this.is(RegistryErrorCode.InvalidCompatibilityLevel);
  }
  /** 42204: unknown mode. */
  isInvalidMode(): boolean {
    return this.is(RegistryErrorCode.InvalidMode);
  }
  /** 42205: the operation is not permitted (e.g. writes in READONLY mode, IMPORT without force). */
  isOperationNotPermitted(): boolean {
    return this.is(RegistryErrorCode.OperationNotPermitted);
  }
  /** 42206: the version is still referenced by other schemas and cannot be deleted. */
  isReferenceExists(): boolean {
    return this.is(RegistryErrorCode.ReferenceExists);
  }
  /** 50001: the registry's backing store failed. */
  isStoreError(): boolean {
    return this.is(RegistryErrorCode.StoreError);
  }
  /** 50002: the operation timed out inside the registry. */
  isOperationTimeout(): boolean {
    return this.is(RegistryErrorCode.OperationTimeout);
  }
  /** 50003: forwarding the request to the leader instance failed. */
  isRequestForwardingFailed(): boolean {
    return this.is(RegistryErrorCode.RequestForwardingFailed);
  }
}

/** Reads `{ error_code, message }`; the code stays numeric so predicates compare numbers. */
export function parseRegistryErrorBody(body: unknown): { message?: string; code?: number } {
  if (!body || typeof body !== 'object') return {};
  const b = body as { error_code?: unknown; message?: unknown };
  const code =
    typeof b.error_code === 'number'
      ? b.error_code
      : typeof b.error_code === 'string' && /^\d+$/.test(b.error_code)
        ? Number(b.error_code)
        : undefined;
  return {
    ...(typeof b.message === 'string' ? { message: b.message } : {}),
    ...(code !== undefined ? { code } : {}),
  };
}
