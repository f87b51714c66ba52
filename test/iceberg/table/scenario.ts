/** The customers table of the issue's scenarios: schema, spec, order and deterministic rows. */
import type { SortOrder } from '../../../src/iceberg/table/metadata.js';
import { buildPartitionSpec } from '../../../src/iceberg/table/metadata.js';
import { parseTransform } from '../../../src/iceberg/table/transforms.js';
import { makeSchema, optional, required, T } from '../../../src/iceberg/table/types.js';

export const customersSchema = makeSchema(
  [
    required(1, 'customer_id', 'long'),
    optional(2, 'name', 'string'),
    required(3, 'registration_date', 'date'),
    optional(4, 'updated_at', 'timestamp'),
    optional(5, 'created_at', 'timestamptz'),
    optional(6, 'balance', T.decimal(10, 2)),
    optional(7, 'active', 'boolean'),
    optional(8, 'score', 'double'),
    optional(9, 'payload', 'binary'),
    optional(10, 'ref', 'uuid'),
    optional(11, 'visits', 'int'),
    optional(12, 'address', T.struct([optional(13, 'city', 'string'), optional(14, 'zip', 'int')])),
    optional(15, 'tags', T.list(16, 'string')),
    optional(17, 'attrs', T.map(18, 'string', 19, 'long')),
  ],
  0,
  [1],
);

export const customersSpec = buildPartitionSpec(customersSchema, [
  { source: 'registration_date', transform: 'month' },
]);
export const customersOrder: SortOrder = {
  orderId: 1,
  fields: [
    { sourceId: 1, transform: parseTransform('identity'), direction: 'asc', nullOrder: 'nulls-first' },
  ],
};

const hex = (n: number) => n.toString(16).padStart(12, '0');

/** Row `i` as a caller would write it (ISO strings for dates/timestamps, strings for decimals). */
export function customerRow(i: number, version = 0): Record<string, unknown> {
  const day = (i * 11) % 365;
  const date = new Date(Date.UTC(2024, 0, 1) + day * 86_400_000).toISOString().slice(0, 10);
  return {
    customer_id: BigInt(i),
    name: i % 7 === 3 ? null : `customer-${i}${version ? `-v${version}` : ''}`,
    registration_date: date,
    updated_at: `2024-03-01T12:00:${String(i % 60).padStart(2, '0')}.${String(i).padStart(6, '0').slice(-6)}`,
    created_at: new Date(Date.UTC(2023, 11, 31, 23) + i * 60_000),
    balance: ((i * 137 - 500 + version) / 100).toFixed(2),
    active: i % 5 === 0 ? null : i % 2 === 0,
    score: i * 1.5 + version,
    payload: Uint8Array.of(i % 256, (i * 3) % 256),
    ref: `00000000-0000-4000-8000-${hex(i)}`,
    visits: i * 3,
    address: i % 6 === 0 ? null : { city: `city-${i % 4}`, zip: 10000 + i },
    tags: i % 4 === 0 ? null : [`t${i % 3}`, `u${i % 2}`],
    attrs: i % 3 ? { a: BigInt(i), b: null } : null,
  };
}
