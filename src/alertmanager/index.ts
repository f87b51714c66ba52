/**
 * lakekit/alertmanager — a typed client for the Alertmanager v2 API (alerts, groups, silences,
 * receivers, status), matcher helpers, and a webhook sink for asserting where notifications go.
 */
export {
  type AlertGroup,
  type AlertGroupQuery,
  type AlertInput,
  AlertmanagerClient,
  type AlertmanagerClientOptions,
  type AlertmanagerStatus,
  type AlertQuery,
  type AlertState,
  createAlertmanagerClient,
  type GettableAlert,
  type GettableSilence,
  type LabelSet,
  type PostableAlert,
  type PostableSilence,
  type Receiver,
  type RequestOptions,
  type SilenceInput,
  type SilenceQuery,
  type SilenceState,
} from './client.js';
export { AlertmanagerError, type AlertmanagerErrorInit, isAlertmanagerError } from './errors.js';
export {
  formatMatcher,
  type Matcher,
  type MatcherInput,
  parseMatcher,
  type WireMatcher,
} from './matchers.js';
export {
  type NotificationFilter,
  startWebhookSink,
  type WaitOptions,
  type WebhookAlert,
  type WebhookNotification,
  type WebhookPayload,
  type WebhookSink,
  type WebhookSinkOptions,
  webhookPayloadProblem,
} from './webhook-sink.js';
