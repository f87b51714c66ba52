import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { endpointsFrom, loadVariables, parseEnvFile } from '../../src/cli/config.js';
import { table } from '../../src/cli/output.js';

describe('CLI configuration', () => {
  it('parses env files with comments, export and quotes', () => {
    expect(parseEnvFile('# c\nexport A=1\nB="two words"\nC=\'x=y\'\nnot a line\n')).toEqual({
      A: '1',
      B: 'two words',
      C: 'x=y',
    });
  });

  it('lets LAKEKIT_* variables win over the env file and ignores others', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lk-cfg-'));
    const file = join(dir, 'env');
    writeFileSync(file, 'LAKEKIT_CONNECT_URL=http://file:1\nLAKEKIT_PG_URL=postgres://a@b/c\n');
    const v = loadVariables(file, { LAKEKIT_CONNECT_URL: 'http://env:2', HOME: '/root' });
    expect(v).toEqual({ LAKEKIT_CONNECT_URL: 'http://env:2', LAKEKIT_PG_URL: 'postgres://a@b/c' });
  });

  it('builds typed endpoints only for configured services', () => {
    const e = endpointsFrom({
      LAKEKIT_KAFKA_BROKERS: '127.0.0.1:9092, 127.0.0.1:9093',
      LAKEKIT_ALERTMANAGER_URL: 'http://am',
      LAKEKIT_WEBHOOK_SINK_PORT: '9099',
    });
    expect(e.kafka?.brokers).toEqual(['127.0.0.1:9092', '127.0.0.1:9093']);
    expect(e.alertmanager).toEqual({ url: 'http://am', webhookSinkPort: 9099 });
    expect(e.s3).toBeUndefined();
    expect(e.iceberg).toBeUndefined();
  });

  it('renders aligned tables', () => {
    expect(
      table([
        { a: 'x', bb: 1 },
        { a: 'long', bb: undefined },
      ]),
    ).toBe('a     bb\n----  --\nx     1\nlong\n');
  });
});
