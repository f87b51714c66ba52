import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/cli/output.js';
import { parseSqlTableUrl } from '../../src/cli/sources.js';

describe('source table URLs', () => {
  it('splits postgres database, schema and table and keeps credentials for the connection only', () => {
    const r = parseSqlTableUrl('postgres://u:secret@127.0.0.1:5432/cdc.inventory.customers');
    expect(r).toEqual({
      kind: 'postgres',
      connection: 'postgres://u:secret@127.0.0.1:5432/cdc',
      database: 'cdc',
      schema: 'inventory',
      table: 'customers',
    });
  });

  it('accepts mysql database.table', () => {
    const r = parseSqlTableUrl('mysql://u:p@127.0.0.1:3306/cdc.orders');
    expect(r.kind).toBe('mysql');
    expect(r.table).toBe('orders');
    expect(r.schema).toBeUndefined();
  });

  it('rejects bad input with a usage error that hides the password', () => {
    expect(() => parseSqlTableUrl('postgres://u:hunter22@h/cdc')).toThrow(UsageError);
    expect(() => parseSqlTableUrl('redis://h/cdc.t')).toThrow(/unsupported source redis:/);
    expect(() => parseSqlTableUrl('mysql://h/cdc.a.b')).toThrow(/too many name parts/);
    expect(() => parseSqlTableUrl('postgres://h/cdc.t;drop')).toThrow(/database.table/);
    try {
      parseSqlTableUrl('postgres://u:hunter22@h/nodots');
    } catch (e) {
      expect((e as Error).message).not.toContain('hunter22');
    }
  });
});
