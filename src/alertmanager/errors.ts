/**
 * The Alertmanager error family: `AlertmanagerError` for every failure of the v2 client and the
 * webhook sink, with predicates for the answers callers branch on. Alertmanager's handlers answer
 * 400/500 with a bare JSON string and its request validator answers 422 with `{code, message}`;
 * `parseAlertmanagerErrorBody` reads both.
 */
import { LakekitError, type LakekitErrorInit } from '../http/index.js';

export interface AlertmanagerErrorInit extends LakekitErrorInit {
  /** For validation errors: the input field that was wrong, e.g. `matchers[1].value`. */
  field?: string;
}

export class AlertmanagerError extends LakekitError {
  override name = 'AlertmanagerError';
  /** For validation errors: the input field that was wrong, e.g. `matchers[1].value`. */
  readonly field: string | undefined;

  constructor(init: AlertmanagerErrorInit) {
    super({ ...init, service: init.service ?? 'alertmanager' });
    this.field = init.field;
  }

  /** 404 from `/silence/{id}` or from updating a silence by id: no silence has that id. */
  isSilenceNotFound(): boolean {
    return this.status === 404 && /\/silences?(\/|$|\?)/.test(this.path ?? '');
  }

  /** A wait of the webhook sink gave up before a matching notification arrived. */
  isWaitTimeout(): boolean {
    return this.kind === 'wait-timeout';
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), ...(this.field !== undefined ? { field: this.field } : {}) };
  }
}

export function isAlertmanagerError(value: unknown): value is AlertmanagerError {
  return value instanceof AlertmanagerError;
}

/** Server message and code from an Alertmanager error body (JSON string, or go-openapi `{code, message}`). */
export function parseAlertmanagerErrorBody(body: unknown): { message?: string; code?: string | number } {
  if (typeof body === 'string') return body.trim() ? { message: body.trim().slice(0, 500) } : {};
  if (body && typeof body === 'object') {
    const b = body as { code?: unknown; message?: unknown };
    return {
      ...(typeof b.message === 'string' ? { message: b.message.slice(0, 500) } : {}),
      ...(typeof b.code === 'number' || typeof b.code === 'string' ? { code: b.code } : {}),
    };
  }
  return {};
}
