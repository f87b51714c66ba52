/**
 * Protobuf bytes straight to plain objects, in one pass, for the default conversion
 * (`{ longs: String, enums: String }`).
 *
 * Why this exists: protobufjs decodes into message instances and `toObject` then copies every
 * message into a plain object. A `--cpu-prof` of the deserializer showed that second pass (with a
 * `Long` allocated and formatted per 64-bit field) at about two thirds of the decode time. The
 * functions generated here build the plain object while reading, and produce what
 * `type.toObject(type.decode(bytes), { longs: String, enums: String })` produces (key order
 * aside: keys come in wire order, which is field-number order for every conforming encoder).
 *
 * Only the assembly is ours: every value is read by protobufjs's own `Reader` (varints, strings
 * with the file's UTF-8 validation, floats, packed arrays, skipping unknown fields), so errors and
 * bounds checks are protobufjs's. The field rules mirror protobufjs's generated decoder: wire-type
 * mismatches are skipped as unknown fields, implicit-presence fields holding their default are
 * left out (a later default clears an earlier value), message fields seen twice are merged,
 * repeated fields accept packed and unpacked encodings, a oneof keeps its last member, map entries
 * take the key's and value's defaults when absent, and the recursion limit applies.
 *
 * A message type takes this path only if every type it reaches is plain proto2/proto3: types with
 * required fields, groups, closed enums, extensions or a protobufjs wrapper (`Any`…) are decoded
 * by protobufjs and converted with `toObject` as before (`plainDecoder` returns undefined).
 * `protobuf-plain.test.ts` compares both paths on generated messages.
 */
import protobuf from 'protobufjs';
import { asciiString, SHORT_STRING } from './text.js';

type Type = protobuf.Type;
type Field = protobuf.Field;
/** A generated decoder: reader, length (undefined: to the end), depth, object to merge into. */
export type PlainDecoder = (r: protobuf.Reader, l: number | undefined, q: number, g?: object) => object;

interface FieldFeatures {
  _features?: { utf8_validation?: string; enum_type?: string };
}

const { types, util } = protobuf as unknown as {
  types: {
    basic: Record<string, number | undefined>;
    defaults: Record<string, unknown>;
    long: Record<string, number | undefined>;
    mapKey: Record<string, number | undefined>;
    packed: Record<string, number | undefined>;
  };
  util: { Long: { prototype: { toString(): string } } | null; emptyArray: readonly unknown[] } & Record<
    string,
    unknown
  >;
};
const wrappers = (protobuf as unknown as { wrappers: Record<string, unknown> }).wrappers;
const ReaderProto = protobuf.Reader.prototype as unknown as Record<string, unknown>;

/** A 64-bit value as read (a number, or a `Long` past 2^53) to its decimal string. */
function longString(v: unknown): string {
  if (typeof v === 'number') return String(v);
  if (util.Long) return util.Long.prototype.toString.call(v);
  return String(v);
}

function enumName(valuesById: Record<number, string>, v: number): string | number {
  const name = valuesById[v];
  return name === undefined ? v : name;
}

/**
 * A string field: short ASCII strings are read here (`text.ts`; a length byte and the bytes, no
 * UTF-8 decoder), everything else by protobufjs (`stringVerify` checks UTF-8 where the file asks
 * for it, as protobufjs's decoder does). Either way the reader ends after the string.
 */
function readString(r: protobuf.Reader, verify: boolean): string {
  const { buf, pos } = r;
  if (pos < r.len) {
    const n = buf[pos] as number; // a length below 128 is its own one-byte varint
    const end = pos + 1 + n;
    if (n <= SHORT_STRING && end <= r.len) {
      const s = asciiString(buf, pos + 1, end);
      if (s !== undefined) {
        r.pos = end;
        return s;
      }
    }
  }
  return verify ? r.stringVerify() : r.string();
}

/** `__proto__` as a map key becomes an own property, as protobufjs does. */
function setKey(obj: Record<string, unknown>, k: string, v: unknown): void {
  if (k === '__proto__')
    Object.defineProperty(obj, k, { enumerable: true, configurable: true, writable: true });
  obj[k] = v;
}

const isEnum = (f: Field): boolean => f.resolvedType instanceof protobuf.Enum;
const isMessage = (f: Field): boolean => f.resolvedType instanceof protobuf.Type;
const features = (x: unknown) => (x as FieldFeatures)._features ?? {};

function eligibleField(f: Field): boolean {
  f.resolve();
  const ff = f as Field & { delimited?: boolean; declaringField?: unknown; extend?: string };
  if (f.required || ff.delimited || ff.extend !== undefined || ff.declaringField) return false;
  if (f.name === '__proto__') return false;
  if (isEnum(f) && features(f.resolvedType).enum_type === 'CLOSED') return false;
  const t = isEnum(f) ? 'int32' : f.type;
  if (!isMessage(f) && types.basic[t] === undefined) return false;
  if (f.repeated && types.packed[t] !== undefined && typeof ReaderProto[`${t}s`] !== 'function') return false;
  if (f instanceof protobuf.MapField && types.mapKey[f.keyType] === undefined) return false;
  return true;
}

/** Every type reachable from `root` (itself included) if all are eligible, else undefined. */
function reachable(root: Type): Type[] | undefined {
  const seen = new Set<Type>();
  const stack = [root];
  while (stack.length) {
    const t = stack.pop() as Type;
    if (seen.has(t)) continue;
    seen.add(t);
    if (wrappers[t.fullName] !== undefined) return undefined;
    for (const f of t.fieldsArray) {
      if (!eligibleField(f)) return undefined;
      if (isMessage(f)) stack.push(f.resolvedType as Type);
    }
  }
  return [...seen];
}

const js = (v: unknown): string => JSON.stringify(v);

/** Source of one type's decoder. `D[i]`: decoder of field i's message type; `E[i]`: its enum ids. */
function source(type: Type): string {
  const lines: string[] = [];
  const w = (s: string) => lines.push(s);
  w('if(q>R.recursionLimit)throw Error("max depth exceeded")');
  w('var c,v,k,s0');
  w('if(l===undefined)c=r.len');
  w('else{c=r.pos+l;if(c>r.len)throw RangeError("index out of range");l=r.len;r.len=c}');
  w('var d=g||{}');
  w('while(r.pos<c){');
  w('var t=r.tag()');
  const fields = type.fieldsArray;
  if (fields.length) w('var u=t&7;switch(t>>>=3){');
  fields.forEach((f, i) => {
    const t = isEnum(f) ? 'int32' : f.type;
    const ref = `d[${js(f.name)}]`;
    const verify = features(f).utf8_validation === 'VERIFY';
    const read = (ty: string) => (ty === 'string' ? `RS(r,${verify})` : `r.${ty}()`);
    const conv = (x: string, ty: string, en: boolean) =>
      en ? `EN(E[${i}],${x})` : types.long[ty] !== undefined ? `L(${x})` : x;
    w(`case ${f.id}:{`);
    if (f instanceof protobuf.MapField) {
      const kt = f.keyType;
      const vMsg = isMessage(f);
      w('if(u!==2)break');
      w(`if(${ref}===undefined)${ref}={}`);
      w('var c2=r.size()+r.pos;if(c2>r.len)throw RangeError("index out of range");r.len=c2');
      w(`k=${types.defaults[kt] !== undefined ? js(types.defaults[kt]) : 'null'}`);
      if (vMsg) w('v=null');
      else if (t === 'bytes') w('v=util.emptyArray');
      else w(`v=${js(types.defaults[t])}`);
      w('while(r.pos<c2){var t2=r.tag();u=t2&7;switch(t2>>>=3){');
      w(`case 1:if(u!==${types.mapKey[kt]})break;k=${read(kt)};continue`);
      w(`case 2:if(u!==${vMsg ? 2 : types.basic[t]})break;`);
      w(vMsg ? `v=D[${i}](r,r.size(),q+1,v||undefined)` : `v=${read(t)}`);
      w('continue}r.skipType(u,q,t2)}');
      w('if(r.pos!==c2)throw RangeError("index out of range");r.len=c');
      const key = types.long[kt] !== undefined ? 'L(k)' : 'k';
      const val = vMsg ? 'v||{}' : conv('v', t, isEnum(f));
      w(kt === 'string' ? `SK(${ref},k,${val})` : `${ref}[${key}]=${val}`);
    } else if (f.repeated) {
      const en = isEnum(f);
      if (types.packed[t] !== undefined) {
        w('if(u===2){');
        w(`if(!(${ref}&&${ref}.length))${ref}=[]`);
        if (en || types.long[t] !== undefined) {
          w(`s0=${ref}.length;r.${t}s(${ref})`);
          w(`for(;s0<${ref}.length;++s0)${ref}[s0]=${conv(`${ref}[s0]`, t, en)}`);
        } else w(`r.${t}s(${ref})`);
        w('continue}');
      }
      w(`if(u!==${isMessage(f) ? 2 : types.basic[t]})break`);
      w(`if(!(${ref}&&${ref}.length))${ref}=[]`);
      w(isMessage(f) ? `${ref}.push(D[${i}](r,r.size(),q+1))` : `${ref}.push(${conv(read(t), t, en)})`);
    } else if (isMessage(f)) {
      w('if(u!==2)break');
      w(`${ref}=D[${i}](r,r.size(),q+1,${ref})`);
    } else {
      w(`if(u!==${types.basic[t]})break`);
      if (f.hasPresence) w(`${ref}=${conv(read(t), t, isEnum(f))}`);
      else {
        let test: string;
        if (isEnum(f) && f.typeDefault !== 0) test = `(v=${read(t)})!==${js(f.typeDefault)}`;
        else if (t === 'string' || t === 'bytes') test = `(v=${read(t)}).length`;
        else if (types.long[t] !== undefined) test = `typeof(v=${read(t)})==="object"?v.low||v.high:v!==0`;
        else if (t === 'double' || t === 'float') test = `!Object.is(v=${read(t)},0)`;
        else test = `v=${read(t)}`;
        w(`if(${test})${ref}=${conv('v', t, isEnum(f))}`);
        w(`else if(${ref}!==undefined)delete ${ref}`);
      }
    }
    // A oneof keeps its last member (protobufjs's oneof setter deletes the others).
    const oneof = f.partOf;
    if (oneof)
      for (const other of oneof.fieldsArray)
        if (other !== f) w(`if(d[${js(other.name)}]!==undefined)delete d[${js(other.name)}]`);
    w('continue}');
  });
  if (fields.length) w('}');
  w(`r.skipType(${fields.length ? 'u' : 't&7'},q,t)`);
  w('}');
  w('if(l!==undefined){if(r.pos!==c)throw RangeError("index out of range");r.len=l}');
  w('return d');
  return lines.join('\n');
}

const cache = new WeakMap<Type, PlainDecoder | null>();

/**
 * The one-pass decoder of `type` (see the module comment), or undefined when a type it reaches
 * needs protobufjs's own decode and `toObject`. Built once per type.
 */
export function plainDecoder(type: Type): PlainDecoder | undefined {
  const known = cache.get(type);
  if (known !== undefined) return known ?? undefined;
  const all = reachable(type);
  if (!all) {
    cache.set(type, null);
    return undefined;
  }
  const made = new Map<Type, { fn: PlainDecoder; D: PlainDecoder[] }>();
  for (const t of all) {
    if (cache.get(t)) continue; // built with an earlier root, its references already filled
    const D: PlainDecoder[] = [];
    const E = t.fieldsArray.map((f) =>
      isEnum(f) ? (f.resolvedType as protobuf.Enum).valuesById : undefined,
    );
    const fn = new Function(
      'R',
      'L',
      'EN',
      'SK',
      'RS',
      'util',
      'D',
      'E',
      `return function(r,l,q,g){\n${source(t)}\n}`,
    )(protobuf.Reader, longString, enumName, setKey, readString, util, D, E) as PlainDecoder;
    made.set(t, { fn, D });
  }
  const fnOf = (t: Type): PlainDecoder => (made.get(t)?.fn ?? cache.get(t)) as PlainDecoder;
  for (const [t, { fn, D }] of made) {
    t.fieldsArray.forEach((f, i) => {
      if (isMessage(f)) D[i] = fnOf(f.resolvedType as Type);
    });
    cache.set(t, fn);
  }
  return fnOf(type);
}
