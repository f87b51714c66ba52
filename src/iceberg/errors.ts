/**
 * The Iceberg REST catalog's error family. Catalog answers carry
 * `{ error: { message, type, code } }`, where `type` is the server's exception class name
 * (`NoSuchTableException`, `CommitFailedException`, …); that name becomes `IcebergError.code` and
 * the predicates below read it first, falling back to the HTTP status for servers (or proxies)
 * that answer without the body. Commit outcomes get special care: a 409 is a failed commit (safe to
 * refresh and re-apply), while 500/502/504 on a commit mean the state is unknown and must never be
 * treated as failed.
 */
import { LakekitError, type LakekitErrorInit, type ServiceProfile } from '../http/index.js';

/** Exception names the Iceberg REST spec and its servers use in `error.type`. */
export const ICEBERG_ERROR_TYPES = [
  'BadRequestException',
  'IllegalArgumentException',
  'ValidationException',
  'NotAuthorizedException',
  'ForbiddenException',
  'AuthenticationTimeoutException',
  'NoSuchNamespaceException',
  'NoSuchTableException',
  'NoSuchViewException',
  'NoSuchIcebergTableException',
  'NoSuchPlanIdException',
  'NoSuchPlanTaskException',
  'AlreadyExistsException',
  'NamespaceNotEmptyException',
  'CommitFailedException',
  'CommitStateUnknownException',
  'UnprocessableEntityException',
  'UnsupportedOperationException',
  'ServiceUnavailableException',
  'SlowDownException',
  'ServiceFailureException',
  'InternalServerError',
] as const;
export type IcebergErrorType = (typeof ICEBERG_ERROR_TYPES)[number];

/** Statuses after which a commit's outcome is unknown (upstream spec, updateTable responses). */
const COMMIT_UNKNOWN_STATUS: ReadonlySet<number> = new Set([500, 502, 504]);

export interface IcebergErrorInit extends LakekitErrorInit {
  /** True when the failed request was a table/view/transaction commit. */
  commit?: boolean;
}

export class IcebergError extends LakekitError {
  override name = 'IcebergError';
  /** Whether the failed request was a commit (table update, view replace, transaction). */
  readonly commit: boolean;

  constructor(init: IcebergErrorInit) {
    super(init);
    this.commit = init.commit ?? false;
  }

  /** The server's exception name (`error.type`), when it sent one. */
  get type(): string | undefined {
    return typeof this.code === 'string' ? this.code : undefined;
  }

  private is(type: IcebergErrorType): boolean {
    return this.code === type;
  }

  /** The namespace does not exist. */
  isNoSuchNamespace(): boolean {
    return this.is('NoSuchNamespaceException');
  }
  /** The table does not exist (`NoSuchTableException`, or `NoSuchIcebergTableException`). */
  isNoSuchTable(): boolean {
    return this.is('NoSuchTableException') || this.is('NoSuchIcebergTableException');
  }
  /** The view does not exist. */
  isNoSuchView(): boolean {
    return this.is('NoSuchViewException');
  }
  /** The scan plan or plan task is unknown. */
  isNoSuchPlan(): boolean {
    return this.is('NoSuchPlanIdException') || this.is('NoSuchPlanTaskException');
  }
  /** The namespace, table or view already exists. */
  isAlreadyExists(): boolean {
    return this.is('AlreadyExistsException');
  }
  /** The namespace still holds tables or views. */
  isNamespaceNotEmpty(): boolean {
    return this.is('NamespaceNotEmptyException');
  }
  /**
   * A commit requirement did not hold (HTTP 409 on a commit). Nothing was applied: refresh the
   * metadata, re-apply the change and commit again.
   */
  isCommitFailed(): boolean {
    if (this.isCommitStateUnknown()) return false;
    return this.is('CommitFailedException') || (this.commit && this.status === 409);
  }
  /**
   * The commit may or may not have been applied (`CommitStateUnknownException`, or HTTP 500, 502 or
   * 504 on a commit, or a commit whose answer never arrived). Never treat this as a failure and
   * never resend blindly: reload the table and check whether the change is there.
   */
  isCommitStateUnknown(): boolean {
    if (this.is('CommitStateUnknownException')) return true;
    if (!this.commit) return false;
    if (this.status !== undefined) return COMMIT_UNKNOWN_STATUS.has(this.status);
    // The request may have reached the server before the connection broke or the timer fired.
    return this.kind === 'network' || this.kind === 'timeout';
  }
  /** Credentials are missing, invalid, expired or not enough (401, 403, 419). */
  override isUnauthorized(): boolean {
    return (
      super.isUnauthorized() ||
      this.status === 419 ||
      this.is('NotAuthorizedException') ||
      this.is('ForbiddenException') ||
      this.is('AuthenticationTimeoutException')
    );
  }
  /** The server does not support this operation (406 `UnsupportedOperationException`). */
  isUnsupported(): boolean {
    return this.status === 406 || this.is('UnsupportedOperationException');
  }
  /** The request was malformed or failed validation (400, 422, or caught before sending). */
  override isBadRequest(): boolean {
    return (
      super.isBadRequest() ||
      this.is('BadRequestException') ||
      this.is('IllegalArgumentException') ||
      this.is('ValidationException') ||
      this.is('UnprocessableEntityException')
    );
  }
  /** The service is overloaded or not ready (503). */
  isServiceUnavailable(): boolean {
    return this.status === 503 || this.is('ServiceUnavailableException') || this.is('SlowDownException');
  }
  /** Any "does not exist" answer: namespace, table, view or plan. */
  override isNotFound(): boolean {
    return (
      super.isNotFound() ||
      this.isNoSuchNamespace() ||
      this.isNoSuchTable() ||
      this.isNoSuchView() ||
      this.isNoSuchPlan()
    );
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), commit: this.commit };
  }
}

/** Narrowing helper for `catch (e)` blocks. */
export function isIcebergError(value: unknown): value is IcebergError {
  return value instanceof IcebergError;
}

/** Pulls `{ message, code: type }` out of an Iceberg error body (or an OAuth2 error body). */
export function parseIcebergErrorBody(body: unknown): { message?: string; code?: string | number } {
  if (!body || typeof body !== 'object') return {};
  const b = body as { error?: unknown; error_description?: unknown };
  if (b.error && typeof b.error === 'object') {
    const e = b.error as { message?: unknown; type?: unknown; code?: unknown };
    return {
      ...(typeof e.message === 'string' ? { message: e.message } : {}),
      ...(typeof e.type === 'string' && e.type
        ? { code: e.type }
        : typeof e.code === 'number'
          ? { code: e.code }
          : {}),
    };
  }
  // RFC 6749 §5.2 errors from the token endpoint: `{ error: "invalid_client", error_description }`.
  if (typeof b.error === 'string') {
    return {
      code: b.error,
      ...(typeof b.error_description === 'string' ? { message: b.error_description } : {}),
    };
  }
  return {};
}

/**
 * Whether a request is a commit: POST to a table or view itself, or to the transaction endpoint.
 * Paths arrive redacted and percent-decoded from the core, so only the shape is checked.
 */
export function isCommitRequest(method: string | undefined, path: string | undefined): boolean {
  if (method?.toUpperCase() !== 'POST' || !path) return false;
  const p = path.split('?')[0] ?? '';
  return (
    /\/v1\/(?:.+\/)?transactions\/commit$/.test(p) || /\/namespaces\/.+\/(?:tables|views)\/[^/]+$/.test(p)
  );
}

/** The HTTP core profile of the Iceberg REST catalog. */
export const icebergProfile: ServiceProfile = {
  name: 'iceberg',
  createError: (init) => new IcebergError({ ...init, commit: isCommitRequest(init.method, init.path) }),
  parseErrorBody: parseIcebergErrorBody,
};
