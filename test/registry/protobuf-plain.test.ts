/**
 * The one-pass Protobuf decoder (`protobuf-plain.ts`, the default `conversion`) against protobufjs's
 * own `decode` + `toObject`: on seeded random wire data (every scalar type, implicit and explicit
 * presence, enums with unknown values, nested and self-referencing messages, packed and unpacked
 * repeated fields, maps of every key kind with absent keys/values, oneofs, duplicated fields,
 * unknown fields and wrong wire types, 64-bit values past 2^53) both must give the same object, and
 * on truncated input the same typed error.
 */
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../bench/harness.js';
import { deserializer, encodeMessageIndexes, SerdeError } from '../../src/registry/serdes/index.js';
import { plainDecoder } from '../../src/registry/serdes/protobuf-plain.js';
import { FakeRegistry } from '../fixtures/registry/fake-registry.js';

const PROTO3 = `syntax = "proto3";
package t;
message All {
  enum Color { RED = 0; GREEN = 1; BLUE = 2; }
  message Inner { string s = 1; int64 n = 2; repeated Inner kids = 3; Color c = 4; map<string, Inner> m = 5; }
  double d = 1; float f = 2; int32 i32 = 3; uint32 u32 = 4; sint32 s32 = 5; fixed32 f32 = 6;
  sfixed32 sf32 = 7; int64 i64 = 8; uint64 u64 = 9; sint64 s64 = 10; fixed64 f64 = 11;
  sfixed64 sf64 = 12; bool b = 13; string s = 14; bytes by = 15; Color color = 16; Inner inner = 17;
  optional int64 oi64 = 18; optional string os = 19; optional Color ocolor = 20; optional double od = 41;
  repeated int32 ri32 = 21; repeated int64 ri64 = 22; repeated Color rcolor = 23; repeated string rs = 24;
  repeated bytes rby = 25; repeated Inner rinner = 26; repeated double rd = 27; repeated sint64 rs64 = 28;
  repeated fixed64 rf64 = 29; repeated bool rb = 30; repeated uint64 ru64 = 42 [packed = false];
  map<string, string> mss = 31; map<int64, Inner> mli = 32; map<bool, Color> mbc = 33;
  map<sint32, bytes> msb = 34; map<uint64, uint64> muu = 35; map<fixed64, sfixed64> mff = 36;
  oneof choice { string cs = 37; Inner ci = 38; int64 cl = 39; }
  All self = 40;
}
message Empty {}
`;

// proto2: closed enums and a required field send these types through protobufjs's own path.
const PROTO2 = `syntax = "proto2";
package u;
message Closed {
  enum E { A = 1; B = 2; }
  optional E e = 1 [default = B];
  optional int32 x = 2 [default = 7];
  required string name = 3;
  repeated E es = 4;
}`;

const WIRE: Record<string, number> = {
  double: 1,
  float: 5,
  int32: 0,
  uint32: 0,
  sint32: 0,
  fixed32: 5,
  sfixed32: 5,
  int64: 0,
  uint64: 0,
  sint64: 0,
  fixed64: 1,
  sfixed64: 1,
  bool: 0,
  string: 2,
  bytes: 2,
};

const SAMPLES: Record<string, unknown[]> = {
  double: [0, -0, 1.5, -2.25, Number.NaN, Number.POSITIVE_INFINITY, 1e300],
  float: [0, 1.5, -3, Number.NEGATIVE_INFINITY],
  int32: [0, 1, -1, 2147483647, -2147483648, 300],
  uint32: [0, 1, 4294967295, 128],
  sint32: [0, -1, 1, -2147483648, 2147483647],
  fixed32: [0, 1, 4294967295],
  sfixed32: [0, -1, 2147483647],
  int64: [
    0,
    1,
    -1,
    1_000_000,
    '9007199254740991',
    '9007199254740993',
    '-9223372036854775808',
    '9223372036854775807',
  ],
  uint64: [0, 1, 300, '9007199254740992', '18446744073709551615'],
  sint64: [0, -1, 1, '-9007199254740993', '9223372036854775807', '-9223372036854775808'],
  fixed64: [0, 5, '18446744073709551615', '9007199254740993'],
  sfixed64: [0, -5, '-9223372036854775808', '9007199254740991'],
  bool: [false, true],
  string: ['', 'a', 'héllo wörld', 'x'.repeat(90), '__proto__', '😀 emoji'],
  bytes: [new Uint8Array(0), new Uint8Array([0, 255, 1]), new Uint8Array(70).fill(7)],
};

const LONG_KEYS = new Set(['int64', 'uint64', 'sint64', 'fixed64', 'sfixed64']);

class Gen {
  /**
   * @param keyedLongMaps always write the key of 64-bit-keyed map entries. protobufjs alone keeps
   *   an absent key (the number 0) and an explicit 0 (a `Long`) apart, and its `toObject` then picks
   *   one by key order rather than the last on the wire; lakekit reads both as 0, last one wins.
   */
  constructor(
    private readonly r: () => number,
    private readonly keyedLongMaps = false,
  ) {}
  int(n: number): number {
    return Math.floor(this.r() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)] as T;
  }
  scalar(w: protobuf.Writer, type: string): void {
    (w as unknown as Record<string, (v: unknown) => void>)[type]?.call(w, this.pick(SAMPLES[type] ?? [0]));
  }
  enumValue(): number {
    return this.pick([0, 1, 2, 7, -1]);
  }
  /** Any well-formed value of a wire type (for unknown fields and wrong wire types). */
  anyOfWire(w: protobuf.Writer, wire: number): void {
    if (wire === 0) w.uint64(this.pick([0, 1, 300, '18446744073709551615']) as number);
    else if (wire === 1) w.fixed64(7);
    else if (wire === 5) w.fixed32(9);
    else w.bytes(new Uint8Array([1, 2, 3]));
  }
  value(w: protobuf.Writer, f: protobuf.Field, type: string, depth: number): void {
    if (f.resolvedType instanceof protobuf.Type) w.bytes(this.message(f.resolvedType, depth + 1));
    else if (f.resolvedType instanceof protobuf.Enum) w.int32(this.enumValue());
    else this.scalar(w, type);
  }
  wireOf(f: protobuf.Field, type: string): number {
    return f.resolvedType instanceof protobuf.Type
      ? 2
      : f.resolvedType instanceof protobuf.Enum
        ? 0
        : (WIRE[type] as number);
  }
  message(type: protobuf.Type, depth = 0): Uint8Array {
    const w = protobuf.Writer.create();
    const n = depth > 3 ? 0 : this.int(10);
    for (let k = 0; k < n; k++) {
      const roll = this.r();
      if (roll < 0.07) {
        const wire = this.pick([0, 1, 2, 5]);
        w.uint32(((900 + this.int(50)) << 3) | wire);
        this.anyOfWire(w, wire);
        continue;
      }
      const f = this.pick(type.fieldsArray).resolve();
      const t = f.type;
      const wire = this.wireOf(f, t);
      if (roll < 0.12) {
        const wrong = this.pick([0, 1, 2, 5].filter((x) => x !== wire));
        w.uint32((f.id << 3) | wrong);
        this.anyOfWire(w, wrong);
        continue;
      }
      if (f instanceof protobuf.MapField) {
        const e = protobuf.Writer.create();
        if (this.r() < 0.85 || (this.keyedLongMaps && LONG_KEYS.has(f.keyType))) {
          e.uint32((1 << 3) | (WIRE[f.keyType] as number));
          this.scalar(e, f.keyType);
        }
        if (this.r() < 0.85) {
          e.uint32((2 << 3) | wire);
          this.value(e, f, t, depth);
        }
        if (this.r() < 0.1) {
          e.uint32((5 << 3) | 0);
          e.uint32(1);
        }
        w.uint32((f.id << 3) | 2).bytes(e.finish());
      } else if (f.repeated && wire !== 2 && this.r() < 0.5) {
        w.uint32((f.id << 3) | 2).fork();
        for (let j = this.int(4); j >= 0; j--) this.value(w, f, t, depth);
        w.ldelim();
      } else {
        w.uint32((f.id << 3) | wire);
        this.value(w, f, t, depth);
      }
    }
    return w.finish();
  }
}

function frame(id: number, indexes: number[], payload: Uint8Array): Buffer {
  const head = Buffer.from([0, (id >>> 24) & 255, (id >>> 16) & 255, (id >>> 8) & 255, id & 255]);
  return Buffer.concat([head, encodeMessageIndexes(indexes), payload]);
}

async function outcome(p: Promise<unknown>): Promise<{ ok: unknown } | { err: Record<string, unknown> }> {
  try {
    return { ok: await p };
  } catch (e) {
    expect(e).toBeInstanceOf(SerdeError);
    const s = e as SerdeError;
    return { err: { reason: s.reason, offset: s.offset, message: s.message } };
  }
}

async function setup(schema: string) {
  const reg = new FakeRegistry();
  const { id } = await reg.registerSchema('t-value', { schema, schemaType: 'PROTOBUF' });
  const root = protobuf.parse(schema, { keepCase: true }).root.resolveAll() as protobuf.Root;
  return {
    id,
    root,
    fast: deserializer('PROTOBUF', { client: reg }),
    // Any option beyond longs/enums sends decoding through protobufjs's decode + toObject.
    slow: deserializer('PROTOBUF', {
      client: reg,
      conversion: { longs: String, enums: String, arrays: false },
    }),
  };
}

describe('one-pass Protobuf decoding (default conversion)', () => {
  it('takes the one-pass path for proto3 types and protobufjs for proto2 closed enums and required fields', async () => {
    const { root } = await setup(PROTO3);
    expect(plainDecoder(root.lookupType('t.All'))).toBeTypeOf('function');
    expect(plainDecoder(root.lookupType('t.Empty'))).toBeTypeOf('function');
    const p2 = protobuf.parse(PROTO2, { keepCase: true }).root.resolveAll() as protobuf.Root;
    expect(plainDecoder(p2.lookupType('u.Closed'))).toBeUndefined();
  });

  it('gives what protobufjs decode + toObject give, on random wire data', async () => {
    const { id, root, fast, slow } = await setup(PROTO3);
    const all = root.lookupType('t.All');
    const gen = new Gen(seededRandom(20261125));
    let compared = 0;
    for (let i = 0; i < 600; i++) {
      const payload = gen.message(all);
      const bytes = frame(id, [0], payload);
      const a = await outcome(fast.deserialize('t', bytes));
      const b = await outcome(slow.deserialize('t', bytes));
      expect(a, `message ${i}: ${Buffer.from(payload).toString('hex')}`).toStrictEqual(b);
      if ('ok' in a) compared++;
    }
    expect(compared).toBeGreaterThan(500);
  });

  it('gives what protobufjs alone gives (its Long values, formatted by Long), on random wire data', async () => {
    const { id, root, fast } = await setup(PROTO3);
    const all = root.lookupType('t.All');
    const gen = new Gen(seededRandom(99), true);
    for (let i = 0; i < 400; i++) {
      const payload = gen.message(all);
      const ours = await outcome(fast.deserialize('t', frame(id, [0], payload)));
      let ref: unknown;
      try {
        ref = { ok: all.toObject(all.decode(payload), { longs: String, enums: String }) };
      } catch {
        ref = 'error';
      }
      expect(
        'ok' in ours ? ours : 'error',
        `message ${i}: ${Buffer.from(payload).toString('hex')}`,
      ).toStrictEqual(ref);
    }
  });

  it('reads a 64-bit map key given as 0 and one left out as the same key, the last one winning', async () => {
    const { id, fast } = await setup(PROTO3);
    const w = protobuf.Writer.create();
    w.uint32((35 << 3) | 2)
      .fork()
      .uint32(16)
      .uint64(1)
      .ldelim(); // key absent: 0
    w.uint32((35 << 3) | 2)
      .fork()
      .uint32(8)
      .uint64(0)
      .uint32(16)
      .uint64(2)
      .ldelim(); // key 0
    w.uint32((35 << 3) | 2)
      .fork()
      .uint32(16)
      .uint64(3)
      .ldelim(); // key absent again
    expect(await fast.deserialize('t', frame(id, [0], w.finish()))).toStrictEqual({ muu: { '0': '3' } });
  });

  it('fails like protobufjs on truncated and corrupt payloads (same reason, offset and message)', async () => {
    const { id, root, fast, slow } = await setup(PROTO3);
    const all = root.lookupType('t.All');
    const gen = new Gen(seededRandom(7));
    let failures = 0;
    for (let i = 0; i < 300; i++) {
      const payload = gen.message(all);
      if (payload.length < 2) continue;
      const cut = payload.subarray(0, 1 + gen.int(payload.length - 1));
      const corrupt = Uint8Array.from(payload);
      corrupt[gen.int(corrupt.length)] = gen.int(256);
      for (const p of [cut, corrupt]) {
        const bytes = frame(id, [0], p);
        const a = await outcome(fast.deserialize('t', bytes));
        const b = await outcome(slow.deserialize('t', bytes));
        expect(a, `message ${i}: ${Buffer.from(p).toString('hex')}`).toStrictEqual(b);
        if ('err' in a) failures++;
      }
    }
    expect(failures).toBeGreaterThan(50);
  });

  it('keeps values exact: 64-bit integers as decimal strings, unknown enum numbers as numbers', async () => {
    const { id, fast } = await setup(PROTO3);
    const w = protobuf.Writer.create();
    w.uint32((8 << 3) | 0).int64('-9223372036854775808');
    w.uint32((9 << 3) | 0).uint64('18446744073709551615');
    w.uint32((10 << 3) | 0).sint64('9007199254740993');
    w.uint32((16 << 3) | 0).int32(7);
    w.uint32((35 << 3) | 2)
      .fork()
      .uint32(8)
      .uint64('18446744073709551615')
      .uint32(16)
      .uint64(3)
      .ldelim();
    const out = await fast.deserialize('t', frame(id, [0], w.finish()));
    expect(out).toStrictEqual({
      i64: '-9223372036854775808',
      u64: '18446744073709551615',
      s64: '9007199254740993',
      color: 7,
      muu: { '18446744073709551615': '3' },
    });
  });

  it('keeps the last oneof member and merges a message field given twice', async () => {
    const { id, fast } = await setup(PROTO3);
    const inner = (s: string, n: number) =>
      protobuf.Writer.create().uint32(10).string(s).uint32(16).int64(n).finish();
    const w = protobuf.Writer.create();
    w.uint32((37 << 3) | 2).string('first');
    w.uint32((38 << 3) | 2).bytes(inner('x', 1));
    w.uint32((17 << 3) | 2).bytes(inner('a', 5));
    w.uint32((17 << 3) | 2).bytes(protobuf.Writer.create().uint32(10).string('b').finish());
    const out = await fast.deserialize('t', frame(id, [0], w.finish()));
    expect(out).toStrictEqual({ ci: { s: 'x', n: '1' }, inner: { s: 'b', n: '5' } });
  });

  it('decodes proto2 types (protobufjs path) with defaults left out and closed enums checked', async () => {
    const { id, fast, root } = await setup(PROTO2);
    const t = root.lookupType('u.Closed');
    const payload = t.encode(t.fromObject({ e: 'A', name: 'n', es: ['B', 'A'] })).finish();
    expect(await fast.deserialize('t', frame(id, [0], payload))).toStrictEqual({
      e: 'A',
      name: 'n',
      es: ['B', 'A'],
    });
  });
});
