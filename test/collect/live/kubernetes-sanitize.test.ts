import { describe, expect, it } from 'vitest';
import { sanitizeObject } from '../../../src/collect/live/kubernetes-sanitize.js';
import { loadDocuments } from '../../../src/inventory/load.js';

const PASSWORD = 'EXAMPLE-NOT-A-REAL-PASSWORD';

const container = {
  name: 'app',
  image: 'registry.example.org/app:1.4.2',
  command: ['/bin/app', `--db-password=${PASSWORD}`],
  args: ['--token', PASSWORD],
  env: [
    { name: 'DATABASE_URL', value: `postgresql://app:${PASSWORD}@hie-prod-34-postgresql.hie-prod-34.svc.cluster.local:5432/hie` },
    { name: 'CACHE_URL', value: 'redis://redis:6379' },
    { name: 'LOG_LEVEL', value: 'info' },
    { name: 'API_TOKEN', valueFrom: { secretKeyRef: { name: 'app-secrets', key: 'token' } } },
    { name: 'EMPTY' },
  ],
  livenessProbe: { exec: { command: ['sh', '-c', `pg_isready --password=${PASSWORD}`] }, periodSeconds: 10 },
  readinessProbe: { httpGet: { path: '/ready', port: 8080 } },
  lifecycle: { preStop: { exec: { command: ['sh', '-c', `curl -u admin:${PASSWORD} http://localhost/drain`] } } },
  ports: [{ containerPort: 8080, protocol: 'TCP' }],
};

const lastApplied = { 'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({ spec: { containers: [container] } }), 'meta.helm.sh/release-name': 'app' };

const pod = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'app-0', namespace: 'hie-prod-34', annotations: lastApplied, managedFields: [{ manager: 'kubectl', operation: 'Apply' }] },
  spec: { containers: [container], initContainers: [{ ...container, name: 'migrate' }] },
};

const deployment = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'app', namespace: 'hie-prod-34', annotations: lastApplied },
  spec: { selector: { matchLabels: { app: 'app' } }, template: { metadata: { labels: { app: 'app' } }, spec: { containers: [container] } } },
};

const cronJob = {
  apiVersion: 'batch/v1',
  kind: 'CronJob',
  metadata: { name: 'backup', namespace: 'hie-prod-34' },
  spec: { schedule: '0 2 * * *', jobTemplate: { spec: { template: { spec: { containers: [container], restartPolicy: 'OnFailure' } } } } },
};

describe('sanitizeObject', () => {
  it('leaves no credential in a pod, deployment or cron job', () => {
    for (const object of [pod, deployment, cronJob]) expect(JSON.stringify(sanitizeObject(object))).not.toContain(PASSWORD);
  });

  it('drops managed fields and the last applied configuration', () => {
    const metadata = sanitizeObject(pod).metadata as Record<string, unknown>;
    expect(metadata.managedFields).toBeUndefined();
    expect(metadata.annotations).toEqual({ 'meta.helm.sh/release-name': 'app' });
  });

  it('reduces env values to Service hosts and keeps references', () => {
    const spec = sanitizeObject(pod).spec as { containers: Array<{ env: unknown[] }> };
    expect(spec.containers[0]?.env).toEqual([
      { name: 'DATABASE_URL', value: 'hie-prod-34-postgresql.hie-prod-34.svc' },
      { name: 'CACHE_URL', value: 'http://redis' },
      { name: 'LOG_LEVEL', value: '' },
      { name: 'API_TOKEN', valueFrom: { secretKeyRef: { name: 'app-secrets', key: 'token' } } },
      { name: 'EMPTY' },
    ]);
  });

  it('drops command and args, digests exec commands', () => {
    const spec = sanitizeObject(deployment).spec as { template: { spec: { containers: Array<Record<string, any>> } } };
    const sanitized = spec.template.spec.containers[0] as Record<string, any>;
    expect(sanitized.command).toBeUndefined();
    expect(sanitized.args).toBeUndefined();
    expect(sanitized.livenessProbe.exec.command).toEqual([expect.stringMatching(/^sha256:[0-9a-f]{16}$/)]);
    expect(sanitized.lifecycle.preStop.exec.command).toEqual([expect.stringMatching(/^sha256:[0-9a-f]{16}$/)]);
    expect(sanitized.readinessProbe).toEqual(container.readinessProbe);
  });

  it('does not change the object it is given', () => {
    const before = JSON.stringify(pod);
    sanitizeObject(pod);
    expect(JSON.stringify(pod)).toBe(before);
  });

  it('leaves other kinds unchanged apart from metadata', () => {
    const service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's', namespace: 'n', annotations: lastApplied }, spec: { ports: [{ port: 80 }] } };
    expect(sanitizeObject(service)).toEqual({ ...service, metadata: { name: 's', namespace: 'n', annotations: { 'meta.helm.sh/release-name': 'app' } } });
  });

  // The point of reducing rather than deleting: the inventory builds the same model from both forms.
  it('gives the inventory the same model as the original', () => {
    const original = loadDocuments({ 'k.json': [pod, deployment, cronJob] });
    const reduced = loadDocuments({ 'k.json': [pod, deployment, cronJob].map(sanitizeObject) });
    expect(reduced.problems).toEqual(original.problems);
    expect(reduced.inventory.data.pods).toEqual(original.inventory.data.pods);
    expect(reduced.inventory.data.deployments).toEqual(original.inventory.data.deployments);
    expect(reduced.inventory.data.cronJobs).toEqual(original.inventory.data.cronJobs);
  });
});
