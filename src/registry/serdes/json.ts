/**
 * JSON Schema on ajv. The dialect follows the schema's `$schema`: 2020-12 and 2019-09 get ajv's
 * classes for them, anything else (including no `$schema`, Confluent's default) is draft-07.
 * Referenced schemas are added to the same ajv instance under their reference name, which is the
 * `$ref` URL the referring schema uses. Payloads are UTF-8 `JSON.stringify` output: compact, keys in
 * object order, which is what Confluent's Java (Jackson), Go (`encoding/json`) and Python (orjson
 * or compact `json.dumps`) serializers write for the same object.
 */
import { Ajv, type AnySchemaObject, type ErrorObject, type Options, type ValidateFunction } from 'ajv';
import { Ajv2019 } from 'ajv/dist/2019.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import formatsModule from 'ajv-formats';
import { SerdeError } from './errors.js';
import type { FormatHandler, ResolvedDependency } from './format.js';
import { HEADER_LENGTH, writeHeader } from './wire.js';

type FormatsPlugin = (ajv: Ajv, opts?: unknown) => Ajv;
// ajv-formats is CommonJS with `exports.default`; under NodeNext the default import is the module.
const addFormats: FormatsPlugin =
  (formatsModule as unknown as { default?: FormatsPlugin }).default ??
  (formatsModule as unknown as FormatsPlugin);

export interface JsonEncodeOptions {
  /** Validate each value against the schema before writing it. Default true. */
  validate?: boolean;
}
export interface JsonDecodeOptions {
  /** Validate each decoded value against the writer schema. Default false. */
  validate?: boolean;
}

export interface JsonCompiled {
  schema: AnySchemaObject;
  validate: ValidateFunction;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function parseJson(text: string, what: string): AnySchemaObject {
  try {
    const v = JSON.parse(text) as unknown;
    if (typeof v === 'boolean') return v as unknown as AnySchemaObject;
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object or boolean');
    return v as AnySchemaObject;
  } catch (e) {
    throw new SerdeError({
      reason: 'invalid-schema',
      message: `invalid JSON Schema ${what}: ${(e as Error).message}`,
      cause: e,
    });
  }
}

function ajvFor(schema: AnySchemaObject): Ajv {
  const dialect = typeof schema.$schema === 'string' ? schema.$schema : '';
  // strict off: Confluent schemas carry extra keywords (`connect.type`, `javaType`, …).
  const opts: Options = { strict: false, allErrors: false, allowUnionTypes: true };
  const ajv = dialect.includes('2020-12')
    ? new Ajv2020(opts)
    : dialect.includes('2019-09')
      ? new Ajv2019(opts)
      : new Ajv(opts);
  addFormats(ajv);
  return ajv;
}

/** JSON-pointer path of the offending field, including the missing/extra property itself. */
export function errorFieldPath(err: ErrorObject): string {
  const p = err.params as {
    missingProperty?: string;
    additionalProperty?: string;
    unevaluatedProperty?: string;
  };
  const leaf = p.missingProperty ?? p.additionalProperty ?? p.unevaluatedProperty;
  const base = err.instancePath === '' ? '' : err.instancePath;
  return leaf === undefined ? base || '/' : `${base}/${leaf.replace(/~/g, '~0').replace(/\//g, '~1')}`;
}

function mismatch(
  compiled: JsonCompiled,
  schemaId: number | undefined,
  offset: number | undefined,
): SerdeError {
  const err = compiled.validate.errors?.[0];
  const path = err ? errorFieldPath(err) : '/';
  return new SerdeError({
    reason: 'value-mismatch',
    fieldPath: path,
    ...(schemaId === undefined ? {} : { schemaId }),
    ...(offset === undefined ? {} : { offset }),
    message: `value does not match JSON Schema${schemaId === undefined ? '' : ` ${schemaId}`} at ${path}: ${err?.message ?? 'invalid'}${err?.keyword ? ` (${err.keyword})` : ''}`,
  });
}

export const jsonHandler: FormatHandler<JsonCompiled, JsonEncodeOptions, JsonDecodeOptions> = {
  schemaType: 'JSON',

  compile(schema: string, dependencies: readonly ResolvedDependency[]): JsonCompiled {
    const root = parseJson(schema, 'text');
    const ajv = ajvFor(root);
    try {
      for (const dep of dependencies)
        ajv.addSchema(parseJson(dep.schema, `reference '${dep.name}'`), dep.name);
      return { schema: root, validate: ajv.compile(root) };
    } catch (e) {
      if (e instanceof SerdeError) throw e;
      throw new SerdeError({
        reason: 'invalid-schema',
        message: `invalid JSON Schema: ${(e as Error).message}`,
        cause: e,
      });
    }
  },

  recordName(compiled: JsonCompiled): string | undefined {
    return typeof compiled.schema.title === 'string' ? compiled.schema.title : undefined;
  },

  encode(compiled, schemaId, value, opts): Buffer {
    if (opts.validate !== false && !compiled.validate(value)) throw mismatch(compiled, schemaId, undefined);
    let text: string | undefined;
    try {
      text = JSON.stringify(value);
    } catch (e) {
      throw new SerdeError({
        reason: 'value-mismatch',
        schemaId,
        message: `value cannot be written as JSON: ${(e as Error).message}`,
        cause: e,
      });
    }
    if (text === undefined)
      throw new SerdeError({
        reason: 'value-mismatch',
        fieldPath: '/',
        schemaId,
        message: 'value has no JSON form',
      });
    const len = Buffer.byteLength(text, 'utf8');
    const out = Buffer.allocUnsafe(HEADER_LENGTH + len);
    writeHeader(out, schemaId);
    out.write(text, HEADER_LENGTH, 'utf8');
    return out;
  },

  decode(writer, bytes, offset, opts): unknown {
    const body = bytes.subarray(offset);
    let text: string;
    try {
      text = utf8.decode(body);
    } catch (e) {
      throw new SerdeError({
        reason: 'invalid-payload',
        offset,
        message: `JSON payload at offset ${offset} is not valid UTF-8`,
        cause: e,
      });
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      const msg = (e as Error).message;
      const pos = /position (\d+)/.exec(msg);
      const at = pos ? offset + Buffer.byteLength(text.slice(0, Number(pos[1])), 'utf8') : bytes.length;
      throw new SerdeError({
        reason: text.trim() === '' ? 'truncated' : 'invalid-payload',
        offset: at,
        message: `JSON payload cannot be parsed (error at offset ${at}): ${msg}`,
        cause: e,
      });
    }
    if (opts.validate === true && !writer.validate(value)) throw mismatch(writer, undefined, offset);
    return value;
  },
};
