/** The `.stack/env` contract: endpoints → variables → file → variables → endpoints, losslessly. */
import { describe, expect, it } from 'vitest';
import { SERVICE_NAMES } from '../../src/stack/catalog.js';
import { endpointsFor, formatEnvFile, fromEnv, parseEnvFile, toEnv } from '../../src/stack/endpoints.js';
import { alertmanagerConfig } from '../../src/stack/services.js';
import { SERVICE_VARS } from '../support/live.js';

const ports = {
  s3: 1,
  iceberg: 2,
  registry: 3,
  registryManagement: 4,
  kafka: 5,
  kafkaController: 6,
  connect: 7,
  postgres: 8,
  mariadb: 9,
  alertmanager: 10,
  webhookSink: 11,
};

describe('env file', () => {
  it('round-trips every endpoint through the file', () => {
    const endpoints = endpointsFor(SERVICE_NAMES, ports, '/venv/bin/python');
    const text = formatEnvFile(toEnv(endpoints));
    expect(fromEnv(parseEnvFile(text))).toEqual(endpoints);
  });
  it('writes exactly the variables the live tests read', () => {
    const env = toEnv(endpointsFor(SERVICE_NAMES, ports, '/venv/bin/python'));
    expect(Object.keys(env).sort()).toEqual(Object.values(SERVICE_VARS).flat().sort());
    expect(env.LAKEKIT_PG_URL).toBe('postgres://lakekit:lakekit@127.0.0.1:8/cdc');
    expect(env.LAKEKIT_MYSQL_URL).toBe('mysql://lakekit:lakekit@127.0.0.1:9/cdc');
    expect(env.LAKEKIT_REGISTRY_URL).toBe('http://127.0.0.1:3/apis/ccompat/v7');
    expect(env.LAKEKIT_ICEBERG_WAREHOUSE).toBe('s3://warehouse/');
    expect(env.LAKEKIT_KAFKA_BROKERS).toBe('127.0.0.1:5');
  });
  it('leaves out services that are not running', () => {
    const env = toEnv(endpointsFor(['s3', 'iceberg'], ports));
    expect(Object.keys(env)).not.toContain('LAKEKIT_KAFKA_BROKERS');
    expect(env.LAKEKIT_ICEBERG_URL).toBe('http://127.0.0.1:2');
  });
  it('parses export lines, quotes and comments', () => {
    expect(parseEnvFile('# c\nexport A_B="x y"\nC=\'z\'\nnot a var\n')).toEqual({ A_B: 'x y', C: 'z' });
  });
});

describe('alertmanager config', () => {
  it('routes by severity to webhooks on the sink port with the inhibit rule', () => {
    const yml = alertmanagerConfig(4242);
    for (const r of ['default', 'critical', 'warning'])
      expect(yml).toContain(`url: http://127.0.0.1:4242/hook/${r}`);
    expect(yml.match(/send_resolved: true/g)).toHaveLength(3);
    expect(yml).toContain("group_by: ['alertname', 'severity']");
    expect(yml).toContain('matchers: [\'severity="critical"\']\n      receiver: critical');
    expect(yml).toContain('source_matchers: [\'severity="critical"\']');
    expect(yml).toContain("equal: ['alertname']");
  });
});
