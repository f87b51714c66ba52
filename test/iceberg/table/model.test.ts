import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  parseTableMetadata,
  schemaOf,
  snapshotAsOf,
  snapshotByRef,
  specOf,
  stringifyJson,
  tableMetadataFromJson,
  tableMetadataToJson,
} from '../../../src/iceberg/table/metadata.js';
import { hashLong, murmur3x86_32 } from '../../../src/iceberg/table/murmur3.js';
import { applyTransform, parseTransform, toHumanString } from '../../../src/iceberg/table/transforms.js';
import { schemaToJson, typeFromJson } from '../../../src/iceberg/table/types.js';
import { deserializeValue, serializeValue, toInternal } from '../../../src/iceberg/table/values.js';
import { expected, FIXTURES, latestMetadataFile } from './fixtures.js';

const enc = new TextEncoder();

describe('murmur3_x86_32 (spec Appendix B)', () => {
  it('matches the hash values the spec documents', () => {
    // Appendix B, "Hash results": int/long 34, string "iceberg", bytes 00 01 02 03, uuid.
    expect(hashLong(34)).toBe(2017239379);
    expect(murmur3x86_32(enc.encode('iceberg'))).toBe(1210000089);
    expect(murmur3x86_32(Uint8Array.of(0, 1, 2, 3))).toBe(-188683207);
    expect(murmur3x86_32(serializeValue('uuid', 'f79c3e09-677c-4bbd-a479-3f349cb785e7'))).toBe(1488055340);
    // decimal 14.20 → unscaled 1420 as minimal big-endian bytes
    expect(murmur3x86_32(serializeValue('decimal(9, 2)', 1420n))).toBe(-500754589);
    // date 2017-11-16 = day 17486; timestamp 2017-11-16T22:31:08 in µs
    expect(hashLong(17486)).toBe(-653330422);
    expect(hashLong(1510871468000000n)).toBe(-2047944441);
  });
});

describe('transforms against PyIceberg', () => {
  const cases = JSON.parse(readFileSync(join(FIXTURES, 'transforms.json'), 'utf8')) as {
    transform: string;
    type: string;
    value: unknown;
    result: unknown;
    human: string;
  }[];
  it('has cases', () => expect(cases.length).toBeGreaterThan(100));
  for (const c of cases) {
    it(`${c.transform}(${c.type} ${JSON.stringify(c.value)}) = ${JSON.stringify(c.result)}`, () => {
      const t = parseTransform(c.transform);
      let v: unknown = c.value;
      if (typeof v === 'string' && v.startsWith('b64:'))
        v = new Uint8Array(Buffer.from(v.slice(4), 'base64'));
      else if (c.type === 'long' || c.type.startsWith('timestamp')) v = BigInt(v as string);
      const internal = toInternal(c.type, v, 'col');
      const out = applyTransform(t, c.type, internal);
      let want: unknown = c.result;
      if (c.type.startsWith('decimal') && c.transform.startsWith('truncate'))
        want = toInternal(c.type, c.result, 'col');
      else if (c.type === 'long' && c.transform.startsWith('truncate')) want = BigInt(c.result as number);
      expect(out).toEqual(want);
      expect(toHumanString(t, c.type, out)).toBe(c.human);
    });
  }
});

describe('single-value serialisation (spec Appendix D)', () => {
  it('round-trips every primitive', () => {
    const cases: [string, unknown][] = [
      ['boolean', true],
      ['int', -7],
      ['long', -(2n ** 40n)],
      ['float', 1.5],
      ['double', -2.25],
      ['date', '2024-02-29'],
      ['time', '12:34:56.789012'],
      ['timestamp', '2024-01-02T03:04:05.123456'],
      ['timestamptz', '2024-01-02T03:04:05.123456+00:00'],
      ['timestamp_ns', '2024-01-02T03:04:05.123456789'],
      ['string', 'héllo ✓'],
      ['uuid', 'f79c3e09-677c-4bbd-a479-3f349cb785e7'],
      ['binary', Uint8Array.of(1, 2, 255)],
      ['fixed[3]', Uint8Array.of(9, 8, 7)],
      ['decimal(10, 2)', '-123.45'],
      ['decimal(38, 0)', '99999999999999999999999999999999999999'],
    ];
    for (const [t, lit] of cases) {
      const v = toInternal(t, lit, 'c');
      expect(deserializeValue(t, serializeValue(t, v)), t).toEqual(v);
    }
  });
  it('uses minimal two-complement bytes for decimals and little-endian for numbers', () => {
    expect([...serializeValue('decimal(9, 2)', -1n)]).toEqual([0xff]);
    expect([...serializeValue('decimal(9, 2)', 128n)]).toEqual([0x00, 0x80]);
    expect([...serializeValue('int', 1)]).toEqual([1, 0, 0, 0]);
    expect(toInternal('timestamp', '1970-01-01T00:00:01.000001', 'c')).toBe(1_000_001n);
  });
  it('rejects literals that do not fit, naming the column', () => {
    expect(() => toInternal('int', 2 ** 40, 'visits')).toThrow(/visits/);
    expect(() => toInternal('decimal(4, 2)', '123.45', 'price')).toThrow(/price/);
  });
});

describe('table metadata', () => {
  const exp = expected('customers');
  const text = readFileSync(latestMetadataFile('customers'), 'utf8');
  const md = parseTableMetadata(text, 'customers.metadata.json');

  it('reads a PyIceberg v2 table: schema, spec, sort order, snapshots and refs', () => {
    expect(md.formatVersion).toBe(2);
    expect(md.tableUuid).toBe(exp.table_uuid);
    expect(schemaToJson(schemaOf(md))).toEqual(exp.schema);
    expect(specOf(md).fields.map((f) => [f.sourceId, f.fieldId, f.name])).toEqual(
      (exp.spec.fields as Record<string, unknown>[]).map((f) => [f['source-id'], f['field-id'], f.name]),
    );
    expect(md.currentSnapshotId?.toString()).toBe(exp.current_snapshot_id);
    expect(md.snapshots.map((s) => s.snapshotId.toString())).toEqual(exp.snapshots.map((s) => s.snapshot_id));
    expect(md.snapshots.map((s) => s.summary.operation)).toEqual(exp.snapshots.map((s) => s.operation));
    expect(Object.fromEntries(Object.entries(md.refs).map(([k, r]) => [k, r.snapshotId.toString()]))).toEqual(
      exp.refs,
    );
    expect(snapshotByRef(md, 'first-two').snapshotId.toString()).toBe(exp.snapshots[1]?.snapshot_id);
    const s2 = exp.snapshots[2]!;
    expect(snapshotAsOf(md, s2.timestamp_ms).snapshotId.toString()).toBe(s2.snapshot_id);
  });

  it('keeps 64-bit snapshot ids exact through a write/read round trip', () => {
    const again = tableMetadataFromJson(
      JSON.parse(JSON.stringify(JSON.parse(stringifyJson(tableMetadataToJson(md))))),
    );
    // Through plain JSON.parse precision is lost, so the lossless parser must be used:
    const lossless = parseTableMetadata(stringifyJson(tableMetadataToJson(md)));
    expect(lossless.snapshots.map((s) => s.snapshotId)).toEqual(md.snapshots.map((s) => s.snapshotId));
    expect(again.snapshots.length).toBe(md.snapshots.length);
  });

  it('writes v1 metadata with the legacy schema and partition-spec fields', () => {
    const v1 = parseTableMetadata(readFileSync(latestMetadataFile('v1'), 'utf8'));
    expect(v1.formatVersion).toBe(1);
    const j = tableMetadataToJson(v1);
    expect(j.schema).toBeDefined();
    expect(j['partition-spec']).toEqual([
      { 'source-id': 2, 'field-id': 1000, name: 's', transform: 'identity' },
      { 'source-id': 3, 'field-id': 1001, name: 'd_year', transform: 'year' },
    ]);
    expect(j['last-sequence-number']).toBeUndefined();
  });

  it('rejects malformed JSON, unknown versions, unknown types and transforms with the file named', () => {
    expect(() => parseTableMetadata('{"format-version": 2,', 'bad.metadata.json')).toThrow(
      /bad\.metadata\.json: not valid JSON/,
    );
    const j = JSON.parse(text);
    expect(() => tableMetadataFromJson({ ...j, 'format-version': 9 }, 'x.json')).toThrow(/format-version 9/);
    const badType = structuredClone(j);
    badType.schemas[0].fields[0].type = 'variant';
    expect(() => tableMetadataFromJson(badType, 'y.json')).toThrow(/y\.json.*variant/);
    const badTransform = structuredClone(j);
    badTransform['partition-specs'][0].fields[0].transform = 'zorder[3]';
    expect(() => tableMetadataFromJson(badTransform, 'z.json')).toThrow(/z\.json.*zorder/);
    expect(() => tableMetadataFromJson({ ...j, 'encryption-keys': [{ 'key-id': 'k' }] }, 'e.json')).toThrow(
      /encryption/,
    );
  });

  it('parses nested types with their ids', () => {
    const t = typeFromJson(
      {
        type: 'map',
        'key-id': 5,
        key: 'string',
        'value-id': 6,
        value: { type: 'list', 'element-id': 7, element: 'decimal(10,2)', 'element-required': true },
        'value-required': false,
      },
      't',
    );
    expect(t).toEqual({
      type: 'map',
      keyId: 5,
      key: 'string',
      valueId: 6,
      value: { type: 'list', elementId: 7, element: 'decimal(10, 2)', elementRequired: true },
      valueRequired: false,
    });
  });
});
