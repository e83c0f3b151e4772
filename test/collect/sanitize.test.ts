import { describe, expect, it } from 'vitest';
import { commandDigest, isCommandDigest, reduceEnvValue, serviceHostsIn } from '../../src/collect/sanitize.js';

// Values as they appear in real pod specs: connection strings with credentials, plain settings, URLs.
const ENV_VALUES = [
  'postgresql://app:EXAMPLE-NOT-A-REAL-PASSWORD@hie-prod-34-postgresql.hie-prod-34.svc.cluster.local:5432/hie',
  'mongodb://root:secret@mongo-0.mongo.data.svc:27017,mongo-1.mongo.data.svc:27017/admin',
  'http://redis:6379/0',
  'https://minio.storage.svc.cluster.local:9000',
  'redis.cache.svc',
  'http://localhost:8080',
  'https://api.example.org/v1',
  'info',
  '',
  'amqp://guest:guest@rabbitmq:5672',
];

describe('reduceEnvValue', () => {
  it.each(ENV_VALUES)('keeps the Service hosts of %j', (value) => {
    expect(serviceHostsIn(reduceEnvValue(value))).toEqual(serviceHostsIn(value));
  });

  it('drops credentials from a connection string', () => {
    const reduced = reduceEnvValue(ENV_VALUES[0] as string);
    expect(reduced).toBe('hie-prod-34-postgresql.hie-prod-34.svc');
    expect(reduced).not.toContain('EXAMPLE-NOT-A-REAL-PASSWORD');
  });

  it('writes a bare URL host as a URL', () => {
    expect(reduceEnvValue('amqp://guest:guest@rabbitmq:5672')).toBe('http://rabbitmq');
  });

  it('empties a value without Service hosts', () => {
    expect(reduceEnvValue('https://api.example.org/v1')).toBe('');
    expect(reduceEnvValue('s3cr3t-token')).toBe('');
  });

  it('keeps every qualified host of a list', () => {
    expect(reduceEnvValue(ENV_VALUES[1] as string)).toBe('mongo.data.svc');
    expect(serviceHostsIn('a.x.svc b.y.svc.cluster.local')).toEqual(['a.x', 'b.y']);
  });
});

describe('commandDigest', () => {
  it('digests a command to 16 hex digits', () => {
    const digest = commandDigest(['sh', '-c', 'pg_isready -U app --password=EXAMPLE']);
    expect(digest).toHaveLength(1);
    expect(digest[0]).toMatch(/^sha256:[0-9a-f]{16}$/);
    expect(digest[0]).not.toContain('EXAMPLE');
  });

  it('returns a digest unchanged', () => {
    const once = commandDigest(['/usr/bin/check-status', '-l']);
    expect(commandDigest(once)).toEqual(once);
    expect(isCommandDigest(once)).toBe(true);
  });

  it('tells different commands apart', () => {
    expect(commandDigest(['a', 'b'])).not.toEqual(commandDigest(['a b']));
  });

  it('does not take a command for a digest', () => {
    expect(isCommandDigest(['sha256:abc'])).toBe(false);
    expect(isCommandDigest(['sha256:0123456789abcdef', 'x'])).toBe(false);
  });
});
