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

const API_KEY = 'EXAMPLE-NOT-A-REAL-API-KEY';
const requireKey = {
  selector: { matchLabels: { app: 'app' } },
  action: 'ALLOW',
  rules: [
    {
      from: [{ source: { requestPrincipals: ['https://issuer.example.org/*'] } }],
      when: [
        { key: 'request.headers[x-api-key]', values: [API_KEY, `${API_KEY}-2`] },
        { key: 'request.auth.claims[groups]', notValues: ['contractors'] },
        { key: 'source.namespace', values: ['ingress-nginx'] },
        { key: 'destination.port', notValues: ['15020'] },
      ],
    },
    { to: [{ operation: { ports: ['8080'] } }] },
  ],
};

const authorizationPolicy = {
  apiVersion: 'security.istio.io/v1',
  kind: 'AuthorizationPolicy',
  metadata: { name: 'require-api-key', namespace: 'hie-prod-34', annotations: { 'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({ spec: requireKey }) } },
  spec: requireKey,
};

// Every field of a discovery.k8s.io/v1 EndpointSlice, with one endpoint that is not ready.
const endpointSlice = {
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: { name: 'app-x7k2p', namespace: 'hie-prod-34', labels: { 'kubernetes.io/service-name': 'app', 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io' } },
  addressType: 'IPv4',
  endpoints: [
    {
      addresses: ['192.168.42.17'],
      conditions: { ready: true, serving: true, terminating: false },
      hostname: 'app-0',
      nodeName: 'ip-10-65-9-141.eu-west-2.compute.internal',
      zone: 'eu-west-2b',
      hints: { forZones: [{ name: 'eu-west-2b' }] },
      targetRef: { kind: 'Pod', name: 'app-0', namespace: 'hie-prod-34', uid: 'b3f1c7d2-6a4e-4b9f-8c1d-2e7a9f0b5c31', resourceVersion: '45100022' },
    },
    { addresses: ['192.168.42.18'], conditions: { ready: false, serving: false, terminating: true }, targetRef: { kind: 'Pod', name: 'app-1', namespace: 'hie-prod-34' } },
  ],
  ports: [{ name: 'http', port: 8080, protocol: 'TCP', appProtocol: 'http' }],
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

  it('replaces request condition values as the inventory does', () => {
    const sanitized = sanitizeObject(authorizationPolicy) as { metadata: { annotations?: unknown }; spec: typeof requireKey };
    expect(JSON.stringify(sanitized)).not.toContain(API_KEY);
    expect(sanitized.metadata.annotations).toEqual({});
    expect(sanitized.spec.rules[0]?.when).toEqual([
      { key: 'request.headers[x-api-key]', values: ['(removed)', '(removed)'] },
      { key: 'request.auth.claims[groups]', notValues: ['(removed)'] },
      { key: 'source.namespace', values: ['ingress-nginx'] },
      { key: 'destination.port', notValues: ['15020'] },
    ]);
    expect(sanitized.spec.rules[0]?.from).toEqual(requireKey.rules[0]?.from);
    expect(sanitized.spec.rules[1]).toEqual(requireKey.rules[1]);
  });

  it('keeps the EndpointSlice fields the inventory reads', () => {
    const sanitized = sanitizeObject(endpointSlice);
    expect(sanitized).toEqual({
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: endpointSlice.metadata,
      addressType: 'IPv4',
      endpoints: [
        { addresses: ['192.168.42.17'], conditions: { ready: true, serving: true, terminating: false }, targetRef: { kind: 'Pod', name: 'app-0', namespace: 'hie-prod-34' } },
        { addresses: ['192.168.42.18'], conditions: { ready: false, serving: false, terminating: true }, targetRef: { kind: 'Pod', name: 'app-1', namespace: 'hie-prod-34' } },
      ],
      ports: [{ name: 'http', port: 8080, protocol: 'TCP' }],
    });
  });

  it('keeps malformed EndpointSlice entries for the inventory to report', () => {
    const malformed = { ...endpointSlice, endpoints: ['192.168.42.17', null], ports: 'http' };
    const sanitized = sanitizeObject(malformed);
    expect(sanitized.endpoints).toEqual(['192.168.42.17', null]);
    expect(sanitized.ports).toBe('http');
  });

  // The point of reducing rather than deleting: the inventory builds the same model from both forms. A
  // field that the EndpointSlice schema starts to read and the reduction drops fails here.
  it('gives the inventory the same model as the original', () => {
    const objects = [pod, deployment, cronJob, authorizationPolicy, endpointSlice];
    const original = loadDocuments({ 'k.json': objects });
    const reduced = loadDocuments({ 'k.json': objects.map(sanitizeObject) });
    expect(original.problems).toEqual([]);
    expect(reduced.problems).toEqual(original.problems);
    expect(reduced.inventory.data.pods).toEqual(original.inventory.data.pods);
    expect(reduced.inventory.data.deployments).toEqual(original.inventory.data.deployments);
    expect(reduced.inventory.data.cronJobs).toEqual(original.inventory.data.cronJobs);
    expect(reduced.inventory.data.authorizationPolicies).toHaveLength(1);
    expect(reduced.inventory.data.authorizationPolicies).toEqual(original.inventory.data.authorizationPolicies);
    expect(reduced.inventory.data.endpointSlices).toHaveLength(1);
    expect(reduced.inventory.data.endpointSlices).toEqual(original.inventory.data.endpointSlices);
  });
});
