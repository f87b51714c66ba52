/**
 * `lakekit verify <service> --url …`: contract checks against a live server. Every safe (GET)
 * operation of the service's spec is called through the HTTP core, with path parameters filled in
 * from what earlier answers revealed (the first namespace, subject, connector, silence…) or from
 * `--param name=value`; each answer is validated against `specs/`, fields the spec does not know
 * are listed, and endpoints the server lacks (404/405/501 on a path with no parameters) are
 * reported as unsupported. Nothing is created or changed on the server.
 */
import { type SpecValidator, specValidator } from '../contract/spec-validator.js';
import { createHttpCore, type HttpClientOptions } from '../http/client.js';
import { LakekitError } from '../http/errors.js';

export const VERIFY_SPECS = {
  iceberg: 'iceberg-rest',
  registry: 'schema-registry',
  connect: 'kafka-connect',
  alertmanager: 'alertmanager',
} as const;
export type VerifyService = keyof typeof VERIFY_SPECS;

export type OperationOutcome =
  | { operationId: string; path: string; outcome: 'valid'; status: number; extraFields: string[] }
  | {
      operationId: string;
      path: string;
      outcome: 'invalid';
      status: number;
      problems: string[];
      extraFields: string[];
    }
  | { operationId: string; path: string; outcome: 'unsupported'; status: number }
  | {
      operationId: string;
      path: string;
      outcome: 'error';
      status?: number;
      message: string;
      network?: boolean;
    }
  | { operationId: string; path: string; outcome: 'skipped'; reason: string };

export interface VerifyReport {
  service: VerifyService;
  spec: string;
  specVersion: string;
  url: string;
  operations: OperationOutcome[];
  /** true when every called operation validated and nothing was invalid. */
  ok: boolean;
  /** true when no operation got an answer at all (connection refused, timeouts). */
  unreachable: boolean;
}

type Json = unknown;
type Discover = (
  get: (path: string) => Promise<Json>,
  params: Record<string, string>,
) => Promise<string | undefined>;

const first = <T>(v: unknown, pick: (x: T) => unknown): string | undefined => {
  const arr = Array.isArray(v) ? (v as T[]) : [];
  const got = arr.length ? pick(arr[0] as T) : undefined;
  return got === undefined || got === null ? undefined : String(got);
};

/** How each service's path parameters are found on a live server, in dependency order. */
const DISCOVERY: Record<VerifyService, Record<string, Discover>> = {
  iceberg: {
    prefix: async (get) => {
      const cfg = (await get('/v1/config')) as {
        overrides?: Record<string, string>;
        defaults?: Record<string, string>;
      };
      return cfg.overrides?.prefix ?? cfg.defaults?.prefix ?? '';
    },
    namespace: async (get, p) =>
      first<string[]>(
        ((await get(`/v1/${p.prefix}/namespaces`.replace('//', '/'))) as { namespaces?: unknown }).namespaces,
        (n) => n.join('\u001f'),
      ),
    table: async (get, p) =>
      first<{ name: string }>(
        (
          (await get(
            `/v1/${p.prefix}/namespaces/${encodeURIComponent(p.namespace ?? '')}/tables`.replace('//', '/'),
          )) as {
            identifiers?: unknown;
          }
        ).identifiers,
        (t) => t.name,
      ),
    view: async (get, p) =>
      first<{ name: string }>(
        (
          (await get(
            `/v1/${p.prefix}/namespaces/${encodeURIComponent(p.namespace ?? '')}/views`.replace('//', '/'),
          )) as {
            identifiers?: unknown;
          }
        ).identifiers,
        (t) => t.name,
      ),
  },
  registry: {
    subject: async (get) => first<string>(await get('/subjects'), (s) => s),
    version: async () => 'latest',
    id: async (get, p) =>
      p.subject
        ? String(
            ((await get(`/subjects/${encodeURIComponent(p.subject)}/versions/latest`)) as { id?: number }).id,
          )
        : undefined,
  },
  connect: {
    connector: async (get) => first<string>(await get('/connectors'), (s) => s),
    task: async () => '0',
    plugin: async (get) => first<{ class: string }>(await get('/connector-plugins'), (p) => p.class),
    logger: async () => 'root',
  },
  alertmanager: {
    silenceID: async (get) => first<{ id: string }>(await get('/silences'), (s) => s.id),
  },
};

/** Names of fields present in `value` that the schema at `pointer` does not declare. */
export function extraFields(spec: SpecValidator, schema: unknown, value: unknown, at = ''): string[] {
  const s = resolveRef(spec, schema) as Record<string, unknown> | undefined;
  if (!s || value === null || typeof value !== 'object') return [];
  if (Array.isArray(value)) {
    return s.items ? value.slice(0, 5).flatMap((v, i) => extraFields(spec, s.items, v, `${at}/${i}`)) : [];
  }
  const parts = [
    s,
    ...((s.allOf as unknown[]) ?? []).map((x) => resolveRef(spec, x) as Record<string, unknown>),
  ];
  const props: Record<string, unknown> = Object.assign(
    {},
    ...parts.map((p) => (p?.properties as object) ?? {}),
  );
  if (
    Object.keys(props).length === 0 ||
    parts.some((p) => p?.additionalProperties && p.additionalProperties !== false)
  ) {
    return [];
  }
  const out: string[] = [];
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (!(k in props)) out.push(`${at}/${k}`);
    else out.push(...extraFields(spec, props[k], v, `${at}/${k}`));
  }
  return out;
}

function resolveRef(spec: SpecValidator, node: unknown): unknown {
  let n = node as { $ref?: string } | undefined;
  for (let i = 0; i < 20 && n?.$ref?.startsWith('#/'); i++) {
    n = n.$ref
      .slice(2)
      .split('/')
      .reduce<unknown>(
        (acc, key) => (acc as Record<string, unknown>)?.[key.replaceAll('~1', '/').replaceAll('~0', '~')],
        spec.doc,
      ) as {
      $ref?: string;
    };
  }
  return n;
}

export async function verifyService(
  service: VerifyService,
  options: HttpClientOptions & { params?: Record<string, string> },
): Promise<VerifyReport> {
  const specName = VERIFY_SPECS[service];
  const spec = specValidator(specName);
  // A spec whose server URL is a path (Alertmanager's `/api/v2`) is appended to a bare host URL.
  const basePath = spec.doc.servers?.[0]?.url.startsWith('/')
    ? spec.doc.servers[0].url.replace(/\/+$/, '')
    : '';
  const root = options.baseUrl.replace(/\/+$/, '');
  const baseUrl = basePath && !root.endsWith(basePath) ? `${root}${basePath}` : root;
  const core = createHttpCore<Record<string, never>>(
    { ...options, baseUrl, retry: options.retry ?? { maxAttempts: 2 } },
    { name: service, createError: (init) => new LakekitError(init) },
  );
  const raw = core.api as unknown as {
    GET(path: string, init: object): Promise<{ data?: unknown; error?: unknown; response: Response }>;
  };
  const get = async (path: string): Promise<unknown> => {
    const r = await raw.GET(path, {});
    return r.data;
  };
  const params: Record<string, string> = { ...options.params };
  for (const [name, discover] of Object.entries(DISCOVERY[service])) {
    if (params[name] !== undefined) continue;
    const v = await discover(get, params).catch(() => undefined);
    if (v !== undefined) params[name] = v;
  }

  const operations: OperationOutcome[] = [];
  for (const [template, item] of Object.entries(spec.doc.paths)) {
    const op = (item as Record<string, { operationId?: string }>).get;
    if (!op) continue;
    const operationId = op.operationId ?? `GET ${template}`;
    const names = [...template.matchAll(/\{([^}]+)\}/g)].map((m) => m[1] ?? '');
    const missing = names.filter((n) => params[n] === undefined);
    if (missing.length) {
      operations.push({
        operationId,
        path: template,
        outcome: 'skipped',
        reason: `needs ${missing.join(', ')} (none found on the server; pass --param)`,
      });
      continue;
    }
    const path = names
      .reduce(
        (p, n) =>
          p.replace(`{${n}}`, n === 'prefix' ? (params[n] ?? '') : encodeURIComponent(params[n] ?? '')),
        template,
      )
      .replace(/\/\/+/g, '/');
    try {
      const r = await raw.GET(path, { fetch: core.call({ acceptStatus: [404, 405, 501] }) });
      const status = r.response.status;
      if (status === 404 || status === 405 || status === 501) {
        operations.push(
          names.length === 0 || status !== 404
            ? { operationId, path, outcome: 'unsupported', status }
            : {
                operationId,
                path,
                outcome: 'error',
                status,
                message: 'not found (the discovered resource vanished?)',
              },
        );
        continue;
      }
      const m = spec.byTemplate('GET', template, params);
      const problems = m
        ? spec.validateResponse(m, status, r.data, r.response.headers.get('content-type'))
        : [`${path}: no operation matches`];
      const responses = (
        item as Record<
          string,
          { responses?: Record<string, { content?: Record<string, { schema?: unknown }> }> }
        >
      ).get?.responses;
      const schema =
        responses?.[String(status)]?.content?.['application/json']?.schema ??
        firstJsonSchema(responses?.[String(status)]?.content);
      const extras = extraFields(spec, schema, r.data);
      operations.push(
        problems.length
          ? { operationId, path, outcome: 'invalid', status, problems, extraFields: extras }
          : { operationId, path, outcome: 'valid', status, extraFields: extras },
      );
    } catch (e) {
      const err = e as LakekitError;
      operations.push({
        operationId,
        path,
        outcome: 'error',
        ...(err.status ? { status: err.status } : {}),
        message: err.message,
        network: err.kind === 'network' || err.kind === 'timeout',
      });
    }
  }
  const called = operations.filter((o) => o.outcome !== 'skipped');
  return {
    service,
    spec: `specs/${specName}.yaml`,
    specVersion: spec.doc.info.version,
    url: core.baseUrl,
    operations,
    // At least one answer must have validated: a URL that answers 404 everywhere is the wrong server.
    ok:
      operations.some((o) => o.outcome === 'valid') &&
      operations.every((o) => o.outcome !== 'invalid' && o.outcome !== 'error'),
    unreachable: called.length > 0 && called.every((o) => o.outcome === 'error' && o.network === true),
  };
}

function firstJsonSchema(content: Record<string, { schema?: unknown }> | undefined): unknown {
  if (!content) return undefined;
  const key = Object.keys(content).find((k) => k.includes('json'));
  return key ? content[key]?.schema : undefined;
}
