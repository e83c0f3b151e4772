import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { DEFAULT_CONFIG } from '../../../src/config/config.js';
import { loadSnapshotFolder } from '../../../src/inventory/load.js';
import { EXAMPLE } from '../../support/corpora.js';
import type { NetworkPolicyFix } from '../../../src/checks/fixes/network-policy.js';
import { datastoreReachableBeyondClients } from '../../../src/checks/network-segmentation/datastore-reachable-beyond-clients.js';
import { renderNetworkPolicyFix } from '../../../src/remediation/network-policy.js';
import { load } from '../../engines/reach/support.js';
import { namespace, networkPolicy, pod, run, service } from './support.js';

const postgres = pod('shop', 'db-0', { labels: { 'app.kubernetes.io/name': 'postgresql', 'app.kubernetes.io/instance': 'shop' }, image: 'docker.io/bitnami/postgresql:16.4.0', ports: [{ name: 'tcp-postgresql', containerPort: 5432 }], owner: { kind: 'StatefulSet', name: 'db' } });
const api = pod('shop', 'api-1', { labels: { app: 'api' }, env: [{ name: 'DATABASE_URL', value: 'postgres://app:secret@db.shop.svc.cluster.local:5432/app' }], owner: { kind: 'Deployment', name: 'api' } });
const worker = pod('shop', 'worker-1', { labels: { app: 'worker' }, owner: { kind: 'Deployment', name: 'worker' } });
const stranger = pod('ops', 'debug', { labels: { app: 'debug' } });
const base = [namespace('shop'), namespace('ops'), postgres, api, worker, stranger, service('shop', 'db', { 'app.kubernetes.io/name': 'postgresql' }, 5432)];
const anySource = networkPolicy('shop', 'db', { podSelector: { matchLabels: { 'app.kubernetes.io/name': 'postgresql' } }, ingress: [{ ports: [{ port: 5432 }] }] });

describe('datastore-reachable-beyond-clients', () => {
  it('reports a datastore open to any source with counts and paths', () => {
    const { findings } = run(datastoreReachableBeyondClients, [...base, anySource]);
    expect(findings).toHaveLength(1);
    const finding = findings[0]!;
    expect(finding.severity).toBe('high');
    expect(finding.title).toBe('StatefulSet shop/db (PostgreSQL) accepts TCP 5432 from 2 pods of 2 workloads in 2 namespaces and public addresses outside the cluster');
    expect(finding.problem).toContain('By namespace: ops (1 pod), shop (1 pod).');
    expect(finding.evidence.map((item) => item.fact)).toContain('Deployment shop/api is a client: env DATABASE_URL of container main names Service shop/db.');
    expect(finding.paths?.[0]?.source).toBe('ops/debug');
    expect(finding.paths?.[0]?.hops[1]?.decision).toBe('allow');
    expect(finding.paths?.[0]?.hops[1]?.detail).toContain('allowed by NetworkPolicy shop/db ingress rule 1');
  });

  it('states the only inferred client in a sentence', () => {
    const { findings } = run(datastoreReachableBeyondClients, [...base, anySource]);
    expect(findings[0]?.problem).toBe(
      'StatefulSet shop/db runs PostgreSQL and, under the policies in force, accepts TCP 5432 from 2 pods of 2 workloads in 2 namespaces and public addresses outside the cluster, while its only inferred client is Deployment shop/api. By namespace: ops (1 pod), shop (1 pod).',
    );
  });

  it('lists several inferred clients in a sentence', () => {
    const reportingWorker = pod('shop', 'worker-1', { labels: { app: 'worker' }, env: [{ name: 'PGHOST', value: 'db.shop.svc.cluster.local' }], owner: { kind: 'Deployment', name: 'worker' } });
    const documents = [namespace('shop'), namespace('ops'), postgres, api, reportingWorker, stranger, service('shop', 'db', { 'app.kubernetes.io/name': 'postgresql' }, 5432), anySource];
    const { findings } = run(datastoreReachableBeyondClients, documents);
    expect(findings[0]?.problem).toContain(', while its inferred clients are Deployment shop/api and Deployment shop/worker. By namespace: ops (1 pod).');
    expect(findings[0]?.title).toBe('StatefulSet shop/db (PostgreSQL) accepts TCP 5432 from 1 pod of 1 workload in 1 namespace and public addresses outside the cluster');
  });

  it('says when no client could be inferred', () => {
    const { findings } = run(datastoreReachableBeyondClients, [namespace('shop'), postgres, worker, anySource]);
    expect(findings[0]?.problem).toContain(', while no client could be inferred. By namespace: shop (1 pod).');
  });

  it('counts one losing workload in the singular', () => {
    const documents = [namespace('shop'), postgres, api, worker, service('shop', 'db', { 'app.kubernetes.io/name': 'postgresql' }, 5432), anySource];
    const fix = run(datastoreReachableBeyondClients, documents).findings[0]?.fixes?.[0] as NetworkPolicyFix;
    const [policy] = renderNetworkPolicyFix(fix, load(documents).inventory);
    expect(policy?.verification).toContain('- sources that lose access: 1 workload in 1 namespace: shop (1); for example Deployment/shop/worker\n');
  });

  it('gives related workloads their source', () => {
    const release = { 'app.kubernetes.io/instance': 'shop' };
    const backup = pod('shop', 'backup-1', { labels: { app: 'backup', ...release }, owner: { kind: 'CronJob', name: 'backup' } });
    const { findings } = run(datastoreReachableBeyondClients, [...base, backup, anySource]);
    const related = findings[0]?.evidence.find((item) => item.fact.startsWith('CronJob shop/backup is related'));
    expect(related?.source).toEqual({ file: 'snapshot.yaml', document: 7, path: '$' });
  });

  it('never copies env values into findings', () => {
    const { findings } = run(datastoreReachableBeyondClients, [...base, anySource]);
    expect(JSON.stringify(findings)).not.toContain('secret');
  });

  it('reports nothing when only the clients can connect', () => {
    const onlyApi = networkPolicy('shop', 'db', { podSelector: { matchLabels: { 'app.kubernetes.io/name': 'postgresql' } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'api' } } }], ports: [{ port: 5432 }] }] });
    expect(run(datastoreReachableBeyondClients, [...base, onlyApi]).findings).toEqual([]);
  });

  it('emits a verified policy that admits only the client', () => {
    const documents = [...base, anySource];
    const { findings } = run(datastoreReachableBeyondClients, documents);
    const fix = findings[0]?.fixes?.[0] as NetworkPolicyFix;
    expect(fix.clients.map((client) => client.name)).toEqual(['api']);
    expect(fix.replaces).toEqual([{ kind: 'NetworkPolicy', namespace: 'shop', name: 'db' }]);
    const remediations = renderNetworkPolicyFix(fix, load(documents).inventory);
    const policy = remediations.find((remediation) => remediation.format === 'yaml')!;
    expect(policy.content).toContain('app: api');
    expect(policy.content).not.toContain('app: worker');
    expect(policy.verification).toContain('clients that keep access: Deployment/shop/api');
    expect(policy.verification).toMatch(/sources that lose access: 2 workloads in 2 namespaces/);
    expect(policy.safety).toBe('fix');
    expect(remediations.find((remediation) => remediation.format === 'kubectl')?.content).toContain('kubectl delete networkpolicy --namespace shop db');
  });

  it('gives a template when no client can be inferred', () => {
    const lonely = [namespace('shop'), postgres, worker, anySource];
    const fix = run(datastoreReachableBeyondClients, lonely).findings[0]?.fixes?.[0] as NetworkPolicyFix;
    expect(fix.basis).toBe('none');
    const [template] = renderNetworkPolicyFix(fix, load(lonely).inventory);
    expect(template?.title).toContain('template');
    expect(template?.content).toContain('Rampart found no client');
    expect(template?.safety).toBe('suggestion');
  });

  it('detects datastores in pod-less manifests', () => {
    const statefulSet = { apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'cache', namespace: 'shop' }, spec: { selector: { matchLabels: { app: 'cache' } }, template: { metadata: { labels: { app: 'cache' } }, spec: { containers: [{ name: 'redis', image: 'redis:7.2', ports: [{ containerPort: 6379 }] }] } } } };
    const { findings } = run(datastoreReachableBeyondClients, [namespace('shop'), statefulSet, networkPolicy('shop', 'other', { podSelector: { matchLabels: { app: 'x' } } })]);
    expect(findings[0]?.title).toContain('StatefulSet shop/cache (Redis or Valkey) accepts TCP 6379');
  });
});

describe.skipIf(!existsSync(EXAMPLE))('datastore-reachable-beyond-clients on the example cluster', () => {
  it('reports the PostgreSQL, MongoDB and MinIO exposure with a verified fix', async () => {
    const { inventory } = await loadSnapshotFolder(EXAMPLE);
    const { findings } = datastoreReachableBeyondClients.run({ inventory, config: DEFAULT_CONFIG });
    const byWorkload = new Map(findings.map((finding) => [`${finding.resources[0]?.namespace}/${finding.resources[0]?.name}`, finding]));
    for (const name of ['hie-prod-34/hie-prod-34-postgresql', 'hie-prod-34/hie-prod-34-minio', 'hutch/hutch-mongodb', 'spicedb/spicedb-postgresql']) {
      const finding = byWorkload.get(name);
      expect(finding, name).toBeDefined();
      expect(finding?.problem).toMatch(/accepts TCP \d+ from \d+ pods of \d+ workloads in \d+ namespaces/);
      expect(finding?.paths?.length).toBeGreaterThan(0);
    }

    const postgres = byWorkload.get('hie-prod-34/hie-prod-34-postgresql')!;
    const fix = postgres.fixes?.[0] as NetworkPolicyFix;
    expect(fix.clients.map((client) => client.name)).toEqual(['hie-prod-34-ffcloud-service']);
    const [policy] = renderNetworkPolicyFix(fix, inventory);
    const document = parse(policy!.content) as { spec: { ingress: Array<{ from: unknown[]; ports: unknown[] }> } };
    expect(document.spec.ingress).toEqual([{ from: [{ podSelector: { matchLabels: { app: 'hie-prod-34-ffcloud-service' } } }], ports: [{ port: 5432, protocol: 'TCP' }] }]);
    expect(policy!.verification).toContain('clients that keep access: Deployment/hie-prod-34/hie-prod-34-ffcloud-service');
    expect(policy!.verification).not.toContain('other sources that still have access');
    expect(policy!.verification).toContain('addresses outside the pods lose access');
  });
});
