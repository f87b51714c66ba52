/**
 * Validation of requests and responses against our own `specs/*.yaml` (OpenAPI 3.1, JSON Schema
 * 2020-12, checked with Ajv). Used by the msw contract tests, by the live tests and by
 * `lakekit verify`, so that neither a mock nor a real server can drift from the contract unnoticed.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { parse } from 'yaml';

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => void;
/** The package root: the nearest ancestor holding `specs/` (works from src/ and from dist/src/). */
function packageRoot(): string {
  let dir = import.meta.dirname;
  while (!existsSync(join(dir, 'specs', 'iceberg-rest.yaml')) && !existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return dir;
}
const ROOT = packageRoot();
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;

interface Operation {
  operationId?: string;
  requestBody?: { $ref?: string; required?: boolean; content?: Record<string, { schema?: unknown }> };
  responses?: Record<string, { $ref?: string; content?: Record<string, { schema?: unknown }> }>;
}

export interface OperationMatch {
  operationId: string;
  method: string;
  template: string;
  pathParams: Record<string, string>;
  operation: Operation;
  /** JSON pointer of the operation inside the spec. */
  pointer: string;
}

function escapePointer(s: string): string {
  return s.replaceAll('~', '~0').replaceAll('/', '~1');
}

export class SpecValidator {
  readonly name: string;
  readonly doc: {
    info: { version: string };
    paths: Record<string, Record<string, unknown>>;
    components?: Record<string, Record<string, unknown>>;
    servers?: { url: string }[];
  };
  private readonly ajv: Ajv2020;
  private readonly id: string;
  private readonly compiled = new Map<string, ValidateFunction>();
  private readonly routes: {
    method: string;
    template: string;
    regex: RegExp;
    names: string[];
    op: Operation;
  }[] = [];

  constructor(name: string) {
    this.name = name;
    // A bare name is a spec of ours; a path (with a slash) is a test fixture.
    const file = name.includes('/') ? join(ROOT, name) : join(ROOT, 'specs', `${name}.yaml`);
    this.doc = parse(readFileSync(file, 'utf8'));
    this.ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
    addFormats(this.ajv);
    // OpenAPI keywords that are not JSON Schema; strict:false ignores them, but declare them anyway.
    for (const k of ['example', 'xml', 'externalDocs', 'discriminator']) this.ajv.addKeyword(k);
    this.id = `lakekit:${name.replaceAll('/', '_')}`;
    this.ajv.addSchema({ $id: this.id, ...this.doc } as object);
    // A path parameter marked `x-lakekit-omit-when-empty` (Iceberg's `{prefix}`) may be left out
    // together with its slash, or span several segments as clients send it verbatim:
    // `/v1/{prefix}/namespaces` matches `/v1/namespaces`, `/v1/ws/namespaces`, `/v1/a/b/namespaces`.
    const omittable = new Set(
      Object.values((this.doc.components?.parameters ?? {}) as Record<string, Record<string, unknown>>)
        .filter((p) => p['x-lakekit-omit-when-empty'] === true && p.in === 'path')
        .map((p) => String(p.name)),
    );
    for (const [template, item] of Object.entries(this.doc.paths)) {
      const names: string[] = [];
      const pattern = template
        .replace(/[.*+?^$()|[\]\\]/g, '\\$&')
        .replace(/(\/?)\{([^}]+)\}/g, (_m, slash: string, n: string) => {
          names.push(n);
          return omittable.has(n) && slash ? '(?:/([^/]+(?:/[^/]+)*?))?' : `${slash}([^/]+)`;
        });
      for (const m of METHODS) {
        const op = item[m] as Operation | undefined;
        if (op)
          this.routes.push({
            method: m.toUpperCase(),
            template,
            regex: new RegExp(`^${pattern}$`),
            names,
            op,
          });
      }
    }
    // Most specific templates first: fewer parameters, then longer literal text.
    this.routes.sort(
      (a, b) =>
        a.names.length - b.names.length ||
        b.template.replace(/\{[^}]+\}/g, '').length - a.template.replace(/\{[^}]+\}/g, '').length,
    );
  }

  /** Every operationId in the spec. */
  operationIds(): string[] {
    return this.routes.map((r) => r.op.operationId ?? `${r.method} ${r.template}`).sort();
  }

  /** Matches a request path (after the server base path) to an operation. */
  match(method: string, path: string): OperationMatch | undefined {
    const m = method.toUpperCase();
    for (const r of this.routes) {
      if (r.method !== m) continue;
      const hit = r.regex.exec(path);
      if (!hit) continue;
      const pathParams: Record<string, string> = {};
      r.names.forEach((n, i) => {
        pathParams[n] = decodeURIComponent(hit[i + 1] ?? '');
      });
      return {
        operationId: r.op.operationId ?? `${r.method} ${r.template}`,
        method: m,
        template: r.template,
        pathParams,
        operation: r.op,
        pointer: `#/paths/${escapePointer(r.template)}/${m.toLowerCase()}`,
      };
    }
    return undefined;
  }

  /** The operation at an exact path template (e.g. `/v1/{prefix}/namespaces`), without matching a URL. */
  byTemplate(
    method: string,
    template: string,
    pathParams: Record<string, string> = {},
  ): OperationMatch | undefined {
    const m = method.toUpperCase();
    const r = this.routes.find((x) => x.method === m && x.template === template);
    if (!r) return undefined;
    return {
      operationId: r.op.operationId ?? `${r.method} ${r.template}`,
      method: m,
      template: r.template,
      pathParams,
      operation: r.op,
      pointer: `#/paths/${escapePointer(r.template)}/${m.toLowerCase()}`,
    };
  }

  private validator(pointer: string): ValidateFunction {
    let v = this.compiled.get(pointer);
    if (!v) {
      v = this.ajv.compile({ $ref: `${this.id}${pointer}` });
      this.compiled.set(pointer, v);
    }
    return v;
  }

  private resolve<T>(node: T): T {
    let n = node as { $ref?: string } | undefined;
    while (n?.$ref?.startsWith('#/')) {
      n = n.$ref
        .slice(2)
        .split('/')
        .map((p) => p.replaceAll('~1', '/').replaceAll('~0', '~'))
        .reduce<unknown>((acc, key) => (acc as Record<string, unknown>)?.[key], this.doc) as {
        $ref?: string;
      };
    }
    return n as T;
  }

  /** Problems with a request body; [] when it conforms (or the operation takes no JSON body). */
  validateRequest(match: OperationMatch, body: unknown, contentType: string | null): string[] {
    const rb = this.resolve(match.operation.requestBody);
    if (!rb) return body === undefined ? [] : [`${match.operationId}: the spec declares no request body`];
    if (body === undefined) return rb.required ? [`${match.operationId}: request body is required`] : [];
    const media = pickMedia(rb.content, contentType);
    if (!media) return [`${match.operationId}: request content-type ${contentType} is not in the spec`];
    const ptr = `${match.pointer}/requestBody${match.operation.requestBody?.$ref ? '' : ''}`;
    const schemaPtr = match.operation.requestBody?.$ref
      ? `${match.operation.requestBody.$ref.slice(1)}/content/${escapePointer(media)}/schema`
      : `${ptr}/content/${escapePointer(media)}/schema`;
    if (!rb.content?.[media]?.schema) return [];
    return this.run(
      schemaPtr.startsWith('#') ? schemaPtr : `#${schemaPtr}`,
      body,
      `${match.operationId} request`,
    );
  }

  /** Problems with a response; [] when status and body conform. */
  validateResponse(
    match: OperationMatch,
    status: number,
    body: unknown,
    contentType: string | null,
  ): string[] {
    const responses = match.operation.responses ?? {};
    const key =
      String(status) in responses
        ? String(status)
        : `${String(status)[0]}XX` in responses
          ? `${String(status)[0]}XX`
          : 'default';
    const raw = responses[key];
    if (!raw) return [`${match.operationId}: status ${status} is not documented`];
    const resp = this.resolve(raw);
    if (!resp.content || Object.keys(resp.content).length === 0) {
      return body === undefined || body === '' ? [] : [`${match.operationId}: ${status} documents no body`];
    }
    const media = pickMedia(resp.content, contentType);
    if (!media)
      return [`${match.operationId}: response content-type ${contentType} is not in the spec for ${status}`];
    if (!resp.content[media]?.schema) return [];
    const base = raw.$ref ? `#${raw.$ref.slice(1)}` : `${match.pointer}/responses/${key}`;
    return this.run(`${base}/content/${escapePointer(media)}/schema`, body, `${match.operationId} ${status}`);
  }

  private run(pointer: string, value: unknown, label: string): string[] {
    const v = this.validator(pointer);
    if (v(value)) return [];
    return (v.errors ?? []).map(
      (e) => `${label}: ${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`,
    );
  }
}

function pickMedia(
  content: Record<string, unknown> | undefined,
  contentType: string | null,
): string | undefined {
  if (!content) return undefined;
  const keys = Object.keys(content);
  const ct = (contentType ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  if (ct && keys.includes(ct)) return ct;
  if (!ct || ct.endsWith('json') || ct.includes('+json')) {
    return keys.find((k) => k === 'application/json') ?? keys.find((k) => k.endsWith('json')) ?? keys[0];
  }
  return (
    keys.find((k) => k === '*/*') ??
    (ct.startsWith('text/') ? keys.find((k) => k.startsWith('text/')) : undefined)
  );
}

const cache = new Map<string, SpecValidator>();
export function specValidator(name: string): SpecValidator {
  let v = cache.get(name);
  if (!v) {
    v = new SpecValidator(name);
    cache.set(name, v);
  }
  return v;
}
