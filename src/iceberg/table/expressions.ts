/**
 * Filter expressions (the Iceberg expression API): built with `and/or/not/eq/…`, printed with
 * `String(expr)`, bound to a schema (unknown columns and ill-typed literals are typed errors naming
 * the column), projected through partition transforms (inclusive projection, spec "Scan Planning"),
 * and evaluated three ways: against a manifest's partition summaries, against a data file's column
 * stats (lower/upper bounds, null/NaN counts), and against rows. Null semantics are SQL's: a
 * comparison with null is unknown and does not match, so `notEq` does not match nulls either.
 */
import { validationError } from './errors.js';
import type { DataFile, FieldSummary } from './manifest.js';
import { type PartitionSpec, partitionType } from './metadata.js';
import { applyTransform, type Transform } from './transforms.js';
import { findField, isPrimitive, type PrimitiveType, type Schema } from './types.js';
import {
  compareValues,
  describe,
  deserializeValue,
  formatValue,
  type IcebergValue,
  toInternal,
  valuesEqual,
} from './values.js';

export type UnaryOp = 'isNull' | 'notNull' | 'isNaN' | 'notNaN';
export type LiteralOp = 'eq' | 'notEq' | 'lt' | 'ltEq' | 'gt' | 'gtEq' | 'startsWith' | 'notStartsWith';
export type SetOp = 'in' | 'notIn';

/** An unbound expression: columns by name, literals as the caller gave them. */
export type Expression =
  | { op: 'true' }
  | { op: 'false' }
  | { op: 'and' | 'or'; left: Expression; right: Expression }
  | { op: 'not'; child: Expression }
  | { op: UnaryOp; column: string }
  | { op: LiteralOp; column: string; value: unknown }
  | { op: SetOp; column: string; values: unknown[] };

const SYMBOL: Record<LiteralOp, string> = {
  eq: '=',
  notEq: '!=',
  lt: '<',
  ltEq: '<=',
  gt: '>',
  gtEq: '>=',
  startsWith: 'starts with',
  notStartsWith: 'not starts with',
};

function lit(v: unknown): string {
  if (v instanceof Date) return `'${v.toISOString()}'`;
  if (typeof v === 'string') return `'${v.replace(/'/g, "''")}'`;
  return describe(v);
}

/** SQL-like text of an expression, e.g. `(customer_id < 50 and name is not null)`. */
export function exprToString(e: Expression): string {
  switch (e.op) {
    case 'true':
    case 'false':
      return e.op;
    case 'and':
    case 'or':
      return `(${exprToString(e.left)} ${e.op} ${exprToString(e.right)})`;
    case 'not':
      return `not(${exprToString(e.child)})`;
    case 'isNull':
      return `${e.column} is null`;
    case 'notNull':
      return `${e.column} is not null`;
    case 'isNaN':
      return `is_nan(${e.column})`;
    case 'notNaN':
      return `not_nan(${e.column})`;
    case 'in':
    case 'notIn':
      return `${e.column} ${e.op === 'in' ? 'in' : 'not in'} (${e.values.map(lit).join(', ')})`;
    default:
      return `${e.column} ${SYMBOL[e.op]} ${lit(e.value)}`;
  }
}

function mk<E extends Expression>(e: E): E {
  Object.defineProperty(e, 'toString', { value: () => exprToString(e), enumerable: false });
  return e;
}

export const alwaysTrue = (): Expression => mk({ op: 'true' });
export const alwaysFalse = (): Expression => mk({ op: 'false' });
export function and(...es: Expression[]): Expression {
  if (es.length === 0) return alwaysTrue();
  return es.reduce((l, r) => mk({ op: 'and', left: l, right: r }));
}
export function or(...es: Expression[]): Expression {
  if (es.length === 0) return alwaysFalse();
  return es.reduce((l, r) => mk({ op: 'or', left: l, right: r }));
}
export const not = (child: Expression): Expression => mk({ op: 'not', child });
export const isNull = (column: string): Expression => mk({ op: 'isNull', column });
export const notNull = (column: string): Expression => mk({ op: 'notNull', column });
export const isNaNOf = (column: string): Expression => mk({ op: 'isNaN', column });
/** `isNaN` shadows the global of that name, so the builder is exported under both names. */
export { isNaNOf as isNaN };
export const notNaN = (column: string): Expression => mk({ op: 'notNaN', column });
export const eq = (column: string, value: unknown): Expression => mk({ op: 'eq', column, value });
export const notEq = (column: string, value: unknown): Expression => mk({ op: 'notEq', column, value });
export const lt = (column: string, value: unknown): Expression => mk({ op: 'lt', column, value });
export const ltEq = (column: string, value: unknown): Expression => mk({ op: 'ltEq', column, value });
export const gt = (column: string, value: unknown): Expression => mk({ op: 'gt', column, value });
export const gtEq = (column: string, value: unknown): Expression => mk({ op: 'gtEq', column, value });
export const startsWith = (column: string, value: string): Expression =>
  mk({ op: 'startsWith', column, value });
export const notStartsWith = (column: string, value: string): Expression =>
  mk({ op: 'notStartsWith', column, value });
export const isIn = (column: string, values: unknown[]): Expression => mk({ op: 'in', column, values });
export const notIn = (column: string, values: unknown[]): Expression => mk({ op: 'notIn', column, values });
/** `in` is a reserved word in JS, so the builder is also exported under this name. */
export { isIn as in_ };

// ---------------------------------------------------------------------------------------------
// Bound expressions: columns resolved to field ids, literals coerced to the column type.

export interface BoundRef {
  fieldId: number;
  name: string;
  type: PrimitiveType;
  /** True when the column sits inside a list or map: bounds then describe elements, not rows. */
  repeated: boolean;
}
export type Bound =
  | { op: 'true' }
  | { op: 'false' }
  | { op: 'and' | 'or'; left: Bound; right: Bound }
  | { op: 'not'; child: Bound }
  | { op: UnaryOp; ref: BoundRef }
  | { op: LiteralOp; ref: BoundRef; value: IcebergValue }
  | { op: SetOp; ref: BoundRef; values: IcebergValue[] };

/** Binds to a schema; throws `UnknownColumn` naming the column, or `InvalidLiteral` naming it. */
export function bind(e: Expression, schema: Schema, caseSensitive = true): Bound {
  switch (e.op) {
    case 'true':
    case 'false':
      return { op: e.op };
    case 'and':
    case 'or':
      return {
        op: e.op,
        left: bind(e.left, schema, caseSensitive),
        right: bind(e.right, schema, caseSensitive),
      };
    case 'not':
      return { op: 'not', child: bind(e.child, schema, caseSensitive) };
  }
  const f = findField(schema, e.column, caseSensitive);
  if (!f)
    throw validationError(
      'UnknownColumn',
      `filter ${exprToString(e)} references unknown column ${JSON.stringify(e.column)} (columns: ${schema.fields.map((x) => x.name).join(', ')})`,
    );
  if (!isPrimitive(f.field.type))
    throw validationError('InvalidFilter', `filter ${exprToString(e)}: column ${f.path} is not a primitive`);
  const ref: BoundRef = { fieldId: f.field.id, name: f.path, type: f.field.type, repeated: f.repeated };
  switch (e.op) {
    case 'isNull':
    case 'notNull':
      // A required column is never null: fold now, as Java does.
      if (f.field.required) return { op: e.op === 'isNull' ? 'false' : 'true' };
      return { op: e.op, ref };
    case 'isNaN':
    case 'notNaN':
      if (ref.type !== 'float' && ref.type !== 'double')
        throw validationError(
          'InvalidFilter',
          `filter ${exprToString(e)}: column ${f.path} (${ref.type}) cannot be NaN`,
        );
      return { op: e.op, ref };
    case 'in':
    case 'notIn':
      return { op: e.op, ref, values: e.values.map((v) => toInternal(ref.type, v, f.path)) };
    case 'startsWith':
    case 'notStartsWith':
      if (ref.type !== 'string')
        throw validationError(
          'InvalidFilter',
          `filter ${exprToString(e)}: column ${f.path} (${ref.type}) is not a string`,
        );
      return { op: e.op, ref, value: toInternal(ref.type, e.value, f.path) };
    default:
      return { op: e.op, ref, value: toInternal(ref.type, e.value, f.path) };
  }
}

const NEGATE: Record<string, string> = {
  isNull: 'notNull',
  notNull: 'isNull',
  isNaN: 'notNaN',
  notNaN: 'isNaN',
  eq: 'notEq',
  notEq: 'eq',
  lt: 'gtEq',
  gtEq: 'lt',
  gt: 'ltEq',
  ltEq: 'gt',
  startsWith: 'notStartsWith',
  notStartsWith: 'startsWith',
  in: 'notIn',
  notIn: 'in',
  true: 'false',
  false: 'true',
};

/** Pushes `not` down to the predicates (De Morgan), so evaluators never see it. */
export function rewriteNot(b: Bound, negate = false): Bound {
  switch (b.op) {
    case 'not':
      return rewriteNot(b.child, !negate);
    case 'and':
    case 'or': {
      const op = negate ? (b.op === 'and' ? 'or' : 'and') : b.op;
      return { op, left: rewriteNot(b.left, negate), right: rewriteNot(b.right, negate) };
    }
    default:
      return negate ? ({ ...b, op: NEGATE[b.op] } as Bound) : b;
  }
}

function simplify(op: 'and' | 'or', l: Bound, r: Bound): Bound {
  if (op === 'and') {
    if (l.op === 'false' || r.op === 'false') return { op: 'false' };
    if (l.op === 'true') return r;
    if (r.op === 'true') return l;
  } else {
    if (l.op === 'true' || r.op === 'true') return { op: 'true' };
    if (l.op === 'false') return r;
    if (r.op === 'false') return l;
  }
  return { op, left: l, right: r };
}

// ---------------------------------------------------------------------------------------------
// Row evaluation.

const isNaNValue = (v: IcebergValue | null): boolean => typeof v === 'number' && Number.isNaN(v);

/** Evaluates on one row; `get` returns a column's in-memory value by field id (null when absent). */
export function evalRow(b: Bound, get: (fieldId: number) => IcebergValue | null): boolean {
  switch (b.op) {
    case 'true':
      return true;
    case 'false':
      return false;
    case 'and':
      return evalRow(b.left, get) && evalRow(b.right, get);
    case 'or':
      return evalRow(b.left, get) || evalRow(b.right, get);
    case 'not':
      return evalRow(rewriteNot(b), get);
  }
  const v = get(b.ref.fieldId);
  switch (b.op) {
    case 'isNull':
      return v === null;
    case 'notNull':
      return v !== null;
    case 'isNaN':
      return isNaNValue(v);
    case 'notNaN':
      return v !== null && !isNaNValue(v);
  }
  if (v === null) return false;
  switch (b.op) {
    case 'in':
      return b.values.some((x) => valuesEqual(v, x));
    case 'notIn':
      return !b.values.some((x) => valuesEqual(v, x));
    case 'startsWith':
      return (v as string).startsWith(b.value as string);
    case 'notStartsWith':
      return !(v as string).startsWith(b.value as string);
  }
  if (isNaNValue(v) || isNaNValue(b.value)) return b.op === 'notEq';
  const c = compareValues(v, b.value);
  switch (b.op) {
    case 'eq':
      return c === 0;
    case 'notEq':
      return c !== 0;
    case 'lt':
      return c < 0;
    case 'ltEq':
      return c <= 0;
    case 'gt':
      return c > 0;
    case 'gtEq':
      return c >= 0;
  }
}

// ---------------------------------------------------------------------------------------------
// Inclusive projection through partition transforms (spec "Scan Planning").

/** Predicate on a partition field: same shapes as Bound, with `ref.fieldId` = partition field id. */
function projectPredicate(
  b: Exclude<Bound, { op: 'true' | 'false' | 'and' | 'or' | 'not' }>,
  t: Transform,
  partRef: BoundRef,
): Bound {
  const T = { op: 'true' } as const;
  if (t.kind === 'void') return T;
  const src = b.ref.type;
  const ap = (v: IcebergValue) => applyTransform(t, src, v) as IcebergValue;
  switch (b.op) {
    case 'isNull':
    case 'notNull':
      return { op: b.op, ref: partRef };
    case 'isNaN':
    case 'notNaN':
      return t.kind === 'identity' ? { op: b.op, ref: partRef } : T;
  }
  if (t.kind === 'identity') return { ...b, ref: partRef } as Bound;
  if (t.kind === 'bucket') {
    if (b.op === 'eq') return { op: 'eq', ref: partRef, value: ap(b.value) };
    if (b.op === 'in') return { op: 'in', ref: partRef, values: b.values.map(ap) };
    return T;
  }
  if (b.op === 'in') return { op: 'in', ref: partRef, values: b.values.map(ap) };
  if (b.op === 'notIn' || b.op === 'notEq' || b.op === 'notStartsWith') return T;
  if (!('value' in b)) return T;
  if (b.op === 'startsWith') {
    if (t.kind !== 'truncate') return T;
    const p = b.value as string;
    return Array.from(p).length <= t.width
      ? { op: 'startsWith', ref: partRef, value: p }
      : { op: 'eq', ref: partRef, value: ap(p) };
  }
  // Order-preserving transforms (truncate, year, month, day, hour): shift strict bounds by one
  // unit of the source before transforming (Java's ProjectionUtil), except for strings/binary.
  const discrete = typeof b.value === 'number' || typeof b.value === 'bigint';
  const step = (v: IcebergValue, d: 1 | -1): IcebergValue =>
    typeof v === 'bigint' ? v + BigInt(d) : (v as number) + d;
  switch (b.op) {
    case 'eq':
      return { op: 'eq', ref: partRef, value: ap(b.value) };
    case 'lt':
      return { op: 'ltEq', ref: partRef, value: ap(discrete ? step(b.value, -1) : b.value) };
    case 'ltEq':
      return { op: 'ltEq', ref: partRef, value: ap(b.value) };
    case 'gt':
      return { op: 'gtEq', ref: partRef, value: ap(discrete ? step(b.value, 1) : b.value) };
    case 'gtEq':
      return { op: 'gtEq', ref: partRef, value: ap(b.value) };
  }
  return T;
}

/**
 * Projects a bound row filter onto a partition spec: the result matches every partition that may
 * hold a matching row. Partition refs use the partition field id and its position in the tuple.
 */
export function projectInclusive(b: Bound, spec: PartitionSpec, schema: Schema): Bound {
  const ptypes = partitionType(spec, schema);
  const go = (x: Bound): Bound => {
    switch (x.op) {
      case 'true':
      case 'false':
        return x;
      case 'and':
      case 'or':
        return simplify(x.op, go(x.left), go(x.right));
      case 'not':
        return go(rewriteNot(x));
    }
    let out: Bound = { op: 'true' };
    ptypes.forEach(({ field, type }, pos) => {
      if (field.sourceId !== x.ref.fieldId) return;
      const partRef: BoundRef = { fieldId: pos, name: field.name, type, repeated: false };
      out = simplify('and', out, projectPredicate(x, field.transform, partRef));
    });
    return out;
  };
  return go(rewriteNot(b));
}

/** Evaluates a projected filter on a data file's partition tuple (refs are tuple positions). */
export function evalPartition(projected: Bound, partition: (IcebergValue | null)[]): boolean {
  return evalRow(projected, (pos) => partition[pos] ?? null);
}

// ---------------------------------------------------------------------------------------------
// Manifest pruning by partition field summaries.

/** A predicate of a bound filter (anything but true/false/and/or/not). */
type BoundPredicate = Exclude<Bound, { op: 'true' | 'false' | 'and' | 'or' | 'not' }>;

/**
 * Inclusive evaluation of a bound filter: `and`/`or`/`not` combined as usual (`not` pushed down
 * first), each predicate answered by `leaf` (may the data hold a match?).
 */
function mightMatch(b: Bound, leaf: (x: BoundPredicate) => boolean): boolean {
  const go = (x: Bound): boolean => {
    switch (x.op) {
      case 'true':
        return true;
      case 'false':
        return false;
      case 'and':
        return go(x.left) && go(x.right);
      case 'or':
        return go(x.left) || go(x.right);
      case 'not':
        return go(rewriteNot(x));
    }
    return leaf(x);
  };
  return go(b);
}

/** Whether a manifest may contain matching files, from its partition summaries. */
export function manifestMightMatch(projected: Bound, summaries: FieldSummary[] | undefined): boolean {
  if (!summaries) return true;
  return mightMatch(projected, (x) => {
    const s = summaries[x.ref.fieldId];
    if (!s) return true;
    const lower = s.lowerBound ? deserializeValue(x.ref.type, s.lowerBound) : undefined;
    const upper = s.upperBound ? deserializeValue(x.ref.type, s.upperBound) : undefined;
    switch (x.op) {
      case 'isNull':
        return s.containsNull;
      case 'notNull':
        // No bounds and nulls present: every value is null.
        return !(s.containsNull && lower === undefined && s.containsNan !== true);
      case 'isNaN':
        return s.containsNan !== false;
      case 'notNaN':
        return true;
    }
    return boundsMightMatch(x, lower, upper, lower === undefined && upper === undefined && s.containsNull);
  });
}

function boundsMightMatch(
  x: Extract<Bound, { ref: BoundRef }>,
  lower: IcebergValue | undefined,
  upper: IcebergValue | undefined,
  allNull: boolean,
): boolean {
  if (allNull && x.op !== 'isNull' && x.op !== 'notNull') return false;
  // NaN bounds from old writers carry no ordering information.
  const lo = lower !== undefined && !isNaNValue(lower) ? lower : undefined;
  const hi = upper !== undefined && !isNaNValue(upper) ? upper : undefined;
  switch (x.op) {
    case 'lt':
      return lo === undefined || compareValues(lo, x.value) < 0;
    case 'ltEq':
      return lo === undefined || compareValues(lo, x.value) <= 0;
    case 'gt':
      return hi === undefined || compareValues(hi, x.value) > 0;
    case 'gtEq':
      return hi === undefined || compareValues(hi, x.value) >= 0;
    case 'eq':
      return (
        (lo === undefined || compareValues(lo, x.value) <= 0) &&
        (hi === undefined || compareValues(hi, x.value) >= 0)
      );
    case 'in':
      return x.values.some(
        (v) =>
          (lo === undefined || compareValues(lo, v) <= 0) && (hi === undefined || compareValues(hi, v) >= 0),
      );
    case 'startsWith': {
      const p = x.value as string;
      const n = Array.from(p).length;
      const cut = (s: string) => Array.from(s).slice(0, n).join('');
      if (lo !== undefined && compareValues(cut(lo as string), p) > 0) return false;
      if (hi !== undefined && compareValues(cut(hi as string), p) < 0) return false;
      return true;
    }
    case 'notStartsWith': {
      // Only prunable when every value shares the prefix: both bounds start with it and are equal length-wise.
      if (lo !== undefined && hi !== undefined) {
        const p = x.value as string;
        if ((lo as string).startsWith(p) && (hi as string).startsWith(p)) return false;
      }
      return true;
    }
    default:
      return true;
  }
}

// ---------------------------------------------------------------------------------------------
// Data file pruning by column metrics (Java's InclusiveMetricsEvaluator).

/** Whether a data file may hold matching rows, from its value/null/NaN counts and bounds. */
export function fileMightMatch(b: Bound, file: DataFile): boolean {
  return mightMatch(b, (x) => {
    if (file.recordCount === 0) return false;
    const id = x.ref.fieldId;
    const valueCount = file.valueCounts?.get(id);
    const nullCount = file.nullValueCounts?.get(id);
    const nanCount = file.nanValueCounts?.get(id);
    const allNull = valueCount !== undefined && nullCount !== undefined && valueCount === nullCount;
    switch (x.op) {
      case 'isNull':
        return nullCount === undefined || nullCount > 0;
      case 'notNull':
        return !allNull;
      case 'isNaN':
        return nanCount === undefined || nanCount > 0;
      case 'notNaN':
        return !(nanCount !== undefined && valueCount !== undefined && nanCount === valueCount);
    }
    // Bounds of a repeated field describe its elements, not rows; only null checks are safe.
    if (x.ref.repeated) return true;
    if (allNull) return false;
    const lb = file.lowerBounds?.get(id);
    const ub = file.upperBounds?.get(id);
    const lower = lb ? deserializeValue(x.ref.type, lb) : undefined;
    // Truncated string/binary bounds (Java/PyIceberg keep 16 characters, upper one incremented)
    // still bound the values, so they are used as they are.
    const upper = ub ? deserializeValue(x.ref.type, ub) : undefined;
    return boundsMightMatch(x, lower, upper, false);
  });
}

/** Field ids a bound expression reads (to know which columns a residual filter needs). */
export function referencedFieldIds(b: Bound, out = new Set<number>()): Set<number> {
  switch (b.op) {
    case 'true':
    case 'false':
      return out;
    case 'and':
    case 'or':
      referencedFieldIds(b.left, out);
      referencedFieldIds(b.right, out);
      return out;
    case 'not':
      return referencedFieldIds(b.child, out);
    default:
      out.add(b.ref.fieldId);
      return out;
  }
}

/** Text of a bound expression, with literals in their human form. */
export function boundToString(b: Bound): string {
  switch (b.op) {
    case 'true':
    case 'false':
      return b.op;
    case 'and':
    case 'or':
      return `(${boundToString(b.left)} ${b.op} ${boundToString(b.right)})`;
    case 'not':
      return `not(${boundToString(b.child)})`;
    case 'isNull':
      return `${b.ref.name} is null`;
    case 'notNull':
      return `${b.ref.name} is not null`;
    case 'isNaN':
      return `is_nan(${b.ref.name})`;
    case 'notNaN':
      return `not_nan(${b.ref.name})`;
    case 'in':
    case 'notIn':
      return `${b.ref.name} ${b.op === 'in' ? 'in' : 'not in'} (${b.values.map((v) => formatValue(b.ref.type, v)).join(', ')})`;
    default:
      return `${b.ref.name} ${SYMBOL[b.op]} ${formatValue(b.ref.type, b.value)}`;
  }
}
