import { describe, expect, it } from 'vitest';
import { createConnectClient, postgresConnector } from '../../src/connect/index.js';

describe('KafkaConnectClient secret registration', () => {
  it('registers values of secret-looking keys and nothing else', () => {
    const c = createConnectClient({ baseUrl: 'http://connect.test:8083', secrets: ['preset-secret'] });
    c.rememberSecrets({
      'database.password': 'db-pass-1',
      'value.converter.basic.auth.user.info': 'reg:reg-pass',
      'producer.override.sasl.jaas.config':
        'org.apache.kafka.common.security.plain.PlainLoginModule required;',
      'ssl.keystore.password': 'ks-pass',
      'database.user': 'cdc',
      'topic.prefix': 'lk1',
      'heartbeat.interval.ms': null,
    });
    expect([...c.core.secrets].sort()).toEqual(
      [
        'db-pass-1',
        'ks-pass',
        'org.apache.kafka.common.security.plain.PlainLoginModule required;',
        'preset-secret',
        'reg:reg-pass',
      ].sort(),
    );
  });

  it('learns the password of a built connector config before any request, and scrubs it from validation errors', () => {
    const c = createConnectClient({ baseUrl: 'http://connect.test:8083' });
    const config = postgresConnector({
      connection: 'postgres://cdc:Sup3r-Secret@127.0.0.1:5432/cdc',
      topicPrefix: 'lk1',
    });
    c.rememberSecrets(config);
    expect(c.core.secrets).toContain('Sup3r-Secret');
    const e = c.invalid('bad value Sup3r-Secret for database.port', 'database.port');
    expect(e.message).not.toContain('Sup3r-Secret');
    expect(e.field).toBe('database.port');
  });
});
