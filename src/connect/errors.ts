/**
 * The Kafka Connect error class and the service profile the HTTP core uses for Connect workers:
 * how to read `{ error_code, message }` bodies and which 409 answers are safe to repeat. Builders,
 * waits and the client all throw `ConnectError`, so callers catch one type and ask predicates.
 */
import type { ServiceProfile } from '../http/client.js';
import { LakekitError, type LakekitErrorInit } from '../http/errors.js';
import type { ConnectorStatus } from './types.js';

export interface ConnectErrorInit extends LakekitErrorInit {
  /** The option or config key that was wrong (validation errors). */
  field?: string;
  /** Per-field messages from the worker's validate endpoint. */
  fieldErrors?: Record<string, string[]>;
  /** The worker's stack trace of a FAILED connector or task, secrets scrubbed. */
  trace?: string;
  /** The last status seen by a wait (FAILED or timed out). */
  connectorStatus?: ConnectorStatus;
}

export class ConnectError extends LakekitError {
  override name = 'ConnectError';
  readonly field: string | undefined;
  readonly fieldErrors: Record<string, string[]> | undefined;
  readonly trace: string | undefined;
  readonly connectorStatus: ConnectorStatus | undefined;

  constructor(init: ConnectErrorInit) {
    super({ service: 'connect', ...init });
    this.field = init.field;
    this.fieldErrors = init.fieldErrors;
    this.trace = init.trace;
    this.connectorStatus = init.connectorStatus;
  }

  /** Unknown connector, task, plugin or logger (HTTP 404). */
  override isNotFound(): boolean {
    return this.status === 404;
  }
  /**
   * The worker could not serve the request because a rebalance or a concurrent config change was
   * under way (HTTP 409 with the runtime's "momentarily"/"rebalance"/"stale configuration" text).
   */
  isRebalanceInProgress(): boolean {
    return this.status === 409 && isRebalanceMessage(this.serverMessage());
  }
  /** `POST /connectors` for a name that is taken (HTTP 409 "Connector … already exists"). */
  isAlreadyExists(): boolean {
    return this.status === 409 && /already exists/i.test(this.serverMessage());
  }
  /**
   * The configuration was rejected: by the worker (HTTP 400, a refusal explained by per-field
   * `fieldErrors`, or the 500 older workers give for an unknown connector class) or by a lakekit
   * builder before sending (`kind: 'validation'`).
   */
  isBadConfig(): boolean {
    if (this.kind === 'validation' || this.status === 400) return true;
    if (this.fieldErrors && Object.keys(this.fieldErrors).length > 0) return true;
    return this.status === 500 && /failed to find any class that implements connector/i.test(this.message);
  }
  /** A wait saw the connector or one of its tasks in state FAILED. */
  isConnectorFailed(): boolean {
    return this.code === 'CONNECTOR_FAILED' || this.code === 'TASK_FAILED';
  }

  private serverMessage(): string {
    const body = this.body as { message?: unknown } | undefined;
    return typeof body?.message === 'string' ? body.message : this.message;
  }

  override toJSON(): Record<string, unknown> {
    return {
      ...super.toJSON(),
      ...(this.field ? { field: this.field } : {}),
      ...(this.fieldErrors ? { fieldErrors: this.fieldErrors } : {}),
    };
  }
}

// The runtime's wording (HerderRequestHandler / DistributedHerder): "Cannot complete request
// momentarily due to stale configuration …", "… because of a conflicting operation (e.g. worker
// rebalance)", "… no known leader URL, likely because a rebalance was underway", and the herder's
// "Request cannot be completed because a rebalance is expected".
function isRebalanceMessage(message: string): boolean {
  return /rebalance|stale config|momentarily/i.test(message);
}

function messageOf(body: unknown): string | undefined {
  const m = (body as { message?: unknown } | undefined)?.message;
  return typeof m === 'string' ? m : undefined;
}

export const connectProfile: ServiceProfile = {
  name: 'connect',
  createError: (init) => new ConnectError(init),
  parseErrorBody(body) {
    const code = (body as { error_code?: unknown } | undefined)?.error_code;
    const message = messageOf(body);
    return {
      ...(message !== undefined ? { message } : {}),
      ...(typeof code === 'number' ? { code } : {}),
    };
  },
  retriableResponse(status, body) {
    // A rebalance 409 is answered before the herder acts on the request, so even a POST may be
    // repeated; "already exists" and other conflicts are final.
    if (status === 409) return isRebalanceMessage(messageOf(body) ?? '') ? 'not-processed' : false;
    return false;
  },
};
