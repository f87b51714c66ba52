/**
 * The Alertmanager v2 client: one method per operation of `specs/alertmanager.yaml`, built on the
 * shared HTTP core, plus the input checks and defaults that make it pleasant to drive from tests
 * and tools — alerts get `startsAt`/`generatorURL` when missing, silences are given as a duration
 * or a time range, matchers as objects or strings, and bad input fails before any request with a
 * validation `AlertmanagerError` naming the field.
 */
import type { components, paths } from '../../generated/alertmanager.js';
import { createHttpCore, type HttpClientOptions, type HttpCore } from '../http/index.js';
import { AlertmanagerError, type AlertmanagerErrorInit, parseAlertmanagerErrorBody } from './errors.js';
import {
  checkMatcher,
  compileRe2,
  formatMatcher,
  type InputProblem,
  type MatcherInput,
  matchesEmpty,
  type WireMatcher,
} from './matchers.js';

type Schemas = components['schemas'];
export type AlertmanagerStatus = Schemas['alertmanagerStatus'];
export type Receiver = Schemas['receiver'];
export type GettableAlert = Schemas['gettableAlert'];
export type PostableAlert = Schemas['postableAlert'];
export type AlertGroup = Schemas['alertGroup'];
export type GettableSilence = Schemas['gettableSilence'];
export type PostableSilence = Schemas['postableSilence'];
export type SilenceState = Schemas['silenceStatus']['state'];
export type AlertState = Schemas['alertStatus']['state'];
export type LabelSet = Record<string, string>;

export interface AlertmanagerClientOptions extends HttpClientOptions {
  /**
   * `generatorURL` given to posted alerts that have none (Alertmanager shows it as the alert's
   * source link). Default `urn:lakekit`.
   */
  generatorURL?: string;
}

/** Per-call options. */
export interface RequestOptions {
  signal?: AbortSignal;
}

/** An alert to post. `startsAt` defaults to now (or to `endsAt` when that is earlier). */
export interface AlertInput {
  labels: LabelSet;
  annotations?: LabelSet;
  startsAt?: Date | string;
  /** Leave unset for a firing alert (the server then resolves it after `resolve_timeout`). */
  endsAt?: Date | string;
  generatorURL?: string;
}

export interface AlertQuery {
  /** Matchers every returned alert must satisfy (AND), as objects or strings. */
  filter?: MatcherInput | MatcherInput[];
  /** Regular expression (RE2) the receiver name must match. */
  receiver?: string | RegExp;
  /** Include silenced alerts (default true). */
  silenced?: boolean;
  /** Include inhibited alerts (default true). */
  inhibited?: boolean;
  /** Include active alerts (default true); false leaves only suppressed ones. */
  active?: boolean;
  /** Include alerts not yet processed (default true). */
  unprocessed?: boolean;
}

export interface AlertGroupQuery extends Omit<AlertQuery, 'unprocessed'> {
  /** Include groups whose alerts are all muted (default true). */
  muted?: boolean;
}

export interface SilenceQuery {
  /** Matchers a silence's own matchers must satisfy, as objects or strings. */
  filter?: MatcherInput | MatcherInput[];
  /** Keep only silences in these states (filtered here; the 0.31 API has no such parameter). */
  state?: SilenceState | SilenceState[];
}

export interface SilenceInput {
  /** Update this silence instead of creating one. */
  id?: string;
  /** At least one; at least one of them must not match the empty string. */
  matchers: MatcherInput[];
  /** Length of the silence: milliseconds, or a Go-style duration such as `90s`, `30m`, `1h30m`. */
  duration?: number | string;
  /** Default now. */
  startsAt?: Date | string;
  /** Give either this or `duration`. Must be after `startsAt` and in the future. */
  endsAt?: Date | string;
  createdBy: string;
  comment: string;
}

const API_PATH = '/api/v2';
const DEFAULT_GENERATOR_URL = 'urn:lakekit';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DURATION_PART = /(\d+(?:\.\d+)?)(ms|h|m|s)/g;
const DURATION_UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 };

export class AlertmanagerClient {
  private readonly core: HttpCore<paths>;
  private readonly generatorURL: string;

  constructor(options: AlertmanagerClientOptions) {
    const { generatorURL, ...http } = options;
    const root = (options.baseUrl ?? '').replace(/\/+$/, '');
    this.core = createHttpCore<paths>(
      { ...http, baseUrl: root.endsWith(API_PATH) ? root : `${root}${API_PATH}` },
      {
        name: 'alertmanager',
        createError: (init) => new AlertmanagerError(init),
        parseErrorBody: parseAlertmanagerErrorBody,
      },
    );
    this.generatorURL = generatorURL ?? DEFAULT_GENERATOR_URL;
  }

  /** Base URL of the v2 API this client talks to (ends in `/api/v2`). */
  get baseUrl(): string {
    return this.core.baseUrl;
  }

  /** Cluster state, version and the loaded configuration (`config.original`, as YAML). */
  async getStatus(options: RequestOptions = {}): Promise<AlertmanagerStatus> {
    const { data } = await this.core.api.GET('/status', { ...signalOf(options) });
    return data!;
  }

  /** The configured receivers, by name. */
  async listReceivers(options: RequestOptions = {}): Promise<Receiver[]> {
    const { data } = await this.core.api.GET('/receivers', { ...signalOf(options) });
    return data!;
  }

  /** Alerts currently held by Alertmanager, filtered on the server. */
  async listAlerts(query: AlertQuery = {}, options: RequestOptions = {}): Promise<GettableAlert[]> {
    const { data } = await this.core.api.GET('/alerts', {
      params: {
        query: {
          ...this.alertFilters(query),
          ...(query.unprocessed !== undefined ? { unprocessed: query.unprocessed } : {}),
        },
      },
      ...signalOf(options),
    });
    return data!;
  }

  /** Alerts grouped as the routing tree groups them, each group with its receiver. */
  async listAlertGroups(query: AlertGroupQuery = {}, options: RequestOptions = {}): Promise<AlertGroup[]> {
    const { data } = await this.core.api.GET('/alerts/groups', {
      params: {
        query: {
          ...this.alertFilters(query),
          ...(query.muted !== undefined ? { muted: query.muted } : {}),
        },
      },
      ...signalOf(options),
    });
    return data!;
  }

  /**
   * Posts alerts (creates them, or updates the ones with the same label set). Missing `startsAt`
   * becomes now and missing `generatorURL` the client's default. Safe to repeat, so it is retried.
   */
  async postAlerts(alerts: AlertInput[], options: RequestOptions = {}): Promise<void> {
    const body = this.toPostable(alerts, 'alerts');
    await this.core.api.POST('/alerts', {
      body,
      fetch: this.core.call({ retrySafe: true }),
      ...signalOf(options),
    });
  }

  /**
   * Resolves the alert with exactly these labels by re-posting it with `endsAt` in the past; with
   * `send_resolved` the receivers then get a `resolved` notification at the next group interval.
   */
  async resolveAlert(
    labels: LabelSet,
    options: RequestOptions & { annotations?: LabelSet; generatorURL?: string } = {},
  ): Promise<void> {
    const endsAt = new Date(Date.now() - 1000);
    await this.postAlerts(
      [
        {
          labels,
          endsAt,
          ...(options.annotations ? { annotations: options.annotations } : {}),
          ...(options.generatorURL ? { generatorURL: options.generatorURL } : {}),
        },
      ],
      options,
    );
  }

  /** Silences in every state (expired ones are kept by the server for a retention period). */
  async listSilences(query: SilenceQuery = {}, options: RequestOptions = {}): Promise<GettableSilence[]> {
    const filter = this.filterStrings(query.filter, 'filter');
    const { data } = await this.core.api.GET('/silences', {
      params: { query: filter.length ? { filter } : {} },
      ...signalOf(options),
    });
    const states = query.state === undefined ? undefined : ([] as SilenceState[]).concat(query.state);
    return states ? data!.filter((s) => states.includes(s.status.state)) : data!;
  }

  /** One silence by id; a missing one throws an error with `isSilenceNotFound()`. */
  async getSilence(id: string, options: RequestOptions = {}): Promise<GettableSilence> {
    const { data } = await this.core.api.GET('/silence/{silenceID}', {
      params: { path: { silenceID: this.silenceId(id) } },
      ...signalOf(options),
    });
    return data!;
  }

  /**
   * Creates a silence (or updates the one named by `input.id`) and returns its id. Checked before
   * sending: non-empty matchers of which one does not match the empty string, valid regular
   * expressions, a duration or an end after the start and in the future, and a `createdBy`.
   */
  async createSilence(input: SilenceInput, options: RequestOptions = {}): Promise<string> {
    const body = this.toPostableSilence(input);
    const { data } = await this.core.api.POST('/silences', { body, ...signalOf(options) });
    return data!.silenceID;
  }

  /** Expires a silence now. Expiring an already expired silence succeeds; an unknown id is a 404. */
  async expireSilence(id: string, options: RequestOptions = {}): Promise<void> {
    await this.core.api.DELETE('/silence/{silenceID}', {
      params: { path: { silenceID: this.silenceId(id) } },
      ...signalOf(options),
    });
  }

  private invalid(problem: InputProblem): never {
    const extra: Partial<AlertmanagerErrorInit> = { field: problem.field };
    throw this.core.invalid(`alertmanager: ${problem.problem}`, extra);
  }

  private silenceId(id: string): string {
    if (typeof id !== 'string' || !UUID.test(id)) {
      this.invalid({ field: 'id', problem: `silence id ${JSON.stringify(id)} is not a UUID` });
    }
    return id;
  }

  private matchers(inputs: MatcherInput | MatcherInput[] | undefined, field: string): WireMatcher[] {
    const list = inputs === undefined ? [] : Array.isArray(inputs) ? inputs : [inputs];
    return list.map((input, i) => {
      const checked = checkMatcher(input, `${field}[${i}]`);
      if ('problem' in checked) this.invalid(checked);
      return checked;
    });
  }

  private filterStrings(inputs: MatcherInput | MatcherInput[] | undefined, field: string): string[] {
    return this.matchers(inputs, field).map(formatMatcher);
  }

  private alertFilters(query: AlertGroupQuery) {
    const filter = this.filterStrings(query.filter, 'filter');
    let receiver: string | undefined;
    if (query.receiver !== undefined) {
      receiver = typeof query.receiver === 'string' ? query.receiver : query.receiver.source;
      const re = compileRe2(receiver);
      if (typeof re === 'string') {
        this.invalid({
          field: 'receiver',
          problem: `receiver ${JSON.stringify(receiver)} is not a valid regular expression: ${re}`,
        });
      }
    }
    return {
      ...(filter.length ? { filter } : {}),
      ...(receiver !== undefined ? { receiver } : {}),
      ...(query.silenced !== undefined ? { silenced: query.silenced } : {}),
      ...(query.inhibited !== undefined ? { inhibited: query.inhibited } : {}),
      ...(query.active !== undefined ? { active: query.active } : {}),
    };
  }

  private toPostable(alerts: AlertInput[], field: string): PostableAlert[] {
    if (!Array.isArray(alerts) || alerts.length === 0) {
      this.invalid({ field, problem: `${field} must be a non-empty array of alerts` });
    }
    const now = Date.now();
    return alerts.map((a, i) => {
      const at = `${field}[${i}]`;
      const labels = a?.labels;
      if (!labels || typeof labels !== 'object' || Object.keys(labels).length === 0) {
        this.invalid({ field: `${at}.labels`, problem: `${at}.labels must have at least one label` });
      }
      for (const [name, value] of Object.entries(labels)) {
        if (name === '' || typeof value !== 'string') {
          this.invalid({
            field: `${at}.labels`,
            problem: `${at}.labels must map non-empty names to strings`,
          });
        }
      }
      const endsAt = a.endsAt === undefined ? undefined : this.time(a.endsAt, `${at}.endsAt`);
      const startsAt =
        a.startsAt === undefined
          ? new Date(Math.min(now, endsAt?.getTime() ?? now))
          : this.time(a.startsAt, `${at}.startsAt`);
      if (endsAt && endsAt < startsAt) {
        this.invalid({ field: `${at}.endsAt`, problem: `${at}.endsAt is before its startsAt` });
      }
      return {
        labels,
        ...(a.annotations ? { annotations: a.annotations } : {}),
        startsAt: startsAt.toISOString(),
        ...(endsAt ? { endsAt: endsAt.toISOString() } : {}),
        generatorURL: a.generatorURL ?? this.generatorURL,
      };
    });
  }

  private toPostableSilence(input: SilenceInput): PostableSilence {
    if (!input || typeof input !== 'object')
      this.invalid({ field: 'silence', problem: 'a silence is required' });
    if (input.id !== undefined) this.silenceId(input.id);
    if (!Array.isArray(input.matchers) || input.matchers.length === 0) {
      this.invalid({ field: 'matchers', problem: 'matchers must contain at least one matcher' });
    }
    const matchers = this.matchers(input.matchers, 'matchers');
    if (matchers.every(matchesEmpty)) {
      // The server refuses such a silence: it would silence every alert lacking the labels.
      this.invalid({
        field: 'matchers',
        problem:
          'matchers: at least one matcher must not match the empty string (it would silence every alert lacking those labels)',
      });
    }
    if (typeof input.createdBy !== 'string' || input.createdBy.trim() === '') {
      this.invalid({ field: 'createdBy', problem: 'createdBy must be a non-empty string' });
    }
    if (typeof input.comment !== 'string') {
      this.invalid({ field: 'comment', problem: 'comment must be a string' });
    }
    const startsAt = input.startsAt === undefined ? new Date() : this.time(input.startsAt, 'startsAt');
    let endsAt: Date;
    if (input.duration !== undefined && input.endsAt !== undefined) {
      this.invalid({ field: 'duration', problem: 'give either duration or endsAt, not both' });
    } else if (input.duration !== undefined) {
      endsAt = new Date(startsAt.getTime() + this.durationMs(input.duration));
    } else if (input.endsAt !== undefined) {
      endsAt = this.time(input.endsAt, 'endsAt');
    } else {
      this.invalid({ field: 'endsAt', problem: 'a silence needs a duration or an endsAt' });
    }
    if (endsAt! <= startsAt) {
      this.invalid({
        field: 'endsAt',
        problem: `endsAt ${endsAt!.toISOString()} must be after startsAt ${startsAt.toISOString()}`,
      });
    }
    if (endsAt!.getTime() <= Date.now()) {
      this.invalid({ field: 'endsAt', problem: `endsAt ${endsAt!.toISOString()} is in the past` });
    }
    return {
      ...(input.id !== undefined ? { id: input.id } : {}),
      matchers,
      startsAt: startsAt.toISOString(),
      endsAt: endsAt!.toISOString(),
      createdBy: input.createdBy,
      comment: input.comment,
    };
  }

  private time(value: Date | string, field: string): Date {
    const d = value instanceof Date ? value : new Date(value);
    if (Number.isNaN(d.getTime())) {
      this.invalid({ field, problem: `${field} ${JSON.stringify(value)} is not a valid date` });
    }
    return d;
  }

  private durationMs(value: number | string): number {
    let ms = Number.NaN;
    if (typeof value === 'number') {
      ms = value;
    } else if (typeof value === 'string' && /^(\d+(\.\d+)?(ms|h|m|s))+$/.test(value)) {
      ms = 0;
      for (const [, n, unit] of value.matchAll(DURATION_PART))
        ms += Number(n) * (DURATION_UNIT_MS[unit ?? ''] ?? 0);
    }
    if (!Number.isFinite(ms) || ms <= 0) {
      this.invalid({
        field: 'duration',
        problem: `duration ${JSON.stringify(value)} must be a positive number of ms or a duration like "30m" or "1h30m"`,
      });
    }
    return ms;
  }
}

function signalOf(options: RequestOptions): { signal?: AbortSignal } {
  return options.signal ? { signal: options.signal } : {};
}

export function createAlertmanagerClient(options: AlertmanagerClientOptions): AlertmanagerClient {
  return new AlertmanagerClient(options);
}
