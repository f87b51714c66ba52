/**
 * lakekit/http — the shared HTTP core: client factory, auth union, retry policy and the error
 * family every service client uses. Most users only need the error classes and `Auth`.
 */
export { type Auth, type AuthProvider, createAuthProvider } from './auth.js';
export {
  type CallOptions,
  createHttpCore,
  type HttpClientOptions,
  type HttpCore,
  type HttpLogEvent,
  type ServiceProfile,
  unwrap,
} from './client.js';
export {
  type ErrorFactory,
  isLakekitError,
  LakekitError,
  type LakekitErrorInit,
  type LakekitErrorKind,
} from './errors.js';
export { REDACTED, redactHeaders, redactUrl, scrubSecrets } from './redact.js';
export { backoffDelay, parseRetryAfter, type RetryInfo, type RetryOptions } from './retry.js';
