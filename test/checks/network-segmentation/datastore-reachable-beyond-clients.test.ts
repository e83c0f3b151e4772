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
import { calicoPolicy, namespace, networkPolicy, pod, run, service } from './support.js';

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

  it('never deletes policies for a template', () => {
    // NetworkPolicy shop/db admits everyone, and nothing shows who the clients are: deleting it for a
    // template that admits nobody would cut every source, so the fix replaces nothing.
    const lonely = [namespace('shop'), postgres, worker, anySource];
    const fix = run(datastoreReachableBeyondClients, lonely).findings[0]?.fixes?.[0] as NetworkPolicyFix;
    expect(fix.replaces).toEqual([]);
    // The renderer ignores replaces for a template even when a producer sets it.
    const remediations = renderNetworkPolicyFix({ ...fix, replaces: [{ kind: 'NetworkPolicy', namespace: 'shop', name: 'db' }] }, load(lonely).inventory);
    const kubectl = remediations.find((remediation) => remediation.format === 'kubectl');
    expect(kubectl?.title).toBe('Fill in the NetworkPolicy template, then apply it after review');
    expect(kubectl?.content).toBe(
      [
        '# db-allow-clients.yaml admits nobody as written: first add an ingress rule for each client on TCP 5432.',
        '# Check the filled-in policy against the sources the verification lists, then apply it:',
        'kubectl apply -f db-allow-clients.yaml',
        '# NetworkPolicies add up: sources that other policies admit keep their access, so narrow or delete those',
        '# policies once the clients are known (the verification lists who keeps access through them).',
      ].join('\n'),
    );
    expect(remediations.map((remediation) => remediation.content).join('\n')).not.toContain('kubectl delete');
    expect(remediations.every((remediation) => remediation.safety === 'suggestion')).toBe(true);
  });

  it('names who a template keeps out when applied unchanged', () => {
    // No policy selects the database, so the template alone would isolate it and cut every source.
    const open = [namespace('shop'), namespace('ops'), postgres, worker, stranger];
    const fix = run(datastoreReachableBeyondClients, open).findings[0]?.fixes?.[0] as NetworkPolicyFix;
    expect(fix.basis).toBe('none');
    const [template] = renderNetworkPolicyFix(fix, load(open).inventory);
    expect(template?.verification).toBe(
      [
        'Re-ran the reachability engine with this template applied unchanged, admitting nobody, and the policies in force left in place, on TCP 5432 of shop/db:',
        '- sources that would LOSE access if it were applied unchanged: 2 workloads in 2 namespaces: ops (1), shop (1); for example Deployment/shop/worker, Pod/ops/debug',
        '- addresses outside the pods would LOSE access',
        '- add every client that needs access before applying it',
      ].join('\n'),
    );
  });

  it('names who keeps access past a template', () => {
    // NetworkPolicy shop/db admits everyone and stays, so the template alone changes nothing.
    const lonely = [namespace('shop'), postgres, worker, anySource];
    const fix = run(datastoreReachableBeyondClients, lonely).findings[0]?.fixes?.[0] as NetworkPolicyFix;
    const [template] = renderNetworkPolicyFix(fix, load(lonely).inventory);
    expect(template?.verification).toContain('- no source would lose access, because the policies in force keep admitting every source that reaches it now\n');
    expect(template?.verification).toContain('- sources that would keep access through the policies in force, which the template does not change: 1 workload in 1 namespace: shop (1); for example Deployment/shop/worker\n');
    expect(template?.verification).toContain('- addresses outside the pods that would keep access: ');
  });

  it('counts a workload a policy names as a client', () => {
    // The database's only ingress rule admits app=api by label on the named port, and api's own egress
    // policy targets the database: least privilege already, though no env value names the Service.
    const db = pod('shop', 'db-0', { labels: { app: 'db' }, image: 'postgres:16', ports: [{ name: 'pg', containerPort: 5432 }, { name: 'metrics', containerPort: 9187 }] });
    const plainApi = pod('shop', 'api-1', { labels: { app: 'api' } });
    const documents = [
      namespace('shop'),
      namespace('ops'),
      db,
      plainApi,
      worker,
      stranger,
      service('shop', 'postgres', { app: 'db' }, 5432),
      networkPolicy('shop', 'default-deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] }),
      networkPolicy('shop', 'allow-api-to-db', { podSelector: { matchLabels: { app: 'db' } }, policyTypes: ['Ingress'], ingress: [{ from: [{ podSelector: { matchLabels: { app: 'api' } } }], ports: [{ port: 'pg', protocol: 'TCP' }] }] }),
      networkPolicy('shop', 'api-egress', { podSelector: { matchLabels: { app: 'api' } }, policyTypes: ['Egress'], egress: [{ to: [{ podSelector: { matchLabels: { app: 'db' } } }], ports: [{ port: 5432 }] }] }),
    ];
    expect(run(datastoreReachableBeyondClients, documents).findings).toEqual([]);
  });

  it('keeps a named client and reports the rest', () => {
    // Rule 1 names app=api; rule 2 admits every namespace, so the worker and ops/debug are beyond the clients.
    const byLabel = networkPolicy('shop', 'db', {
      podSelector: { matchLabels: { 'app.kubernetes.io/name': 'postgresql' } },
      ingress: [{ from: [{ podSelector: { matchLabels: { app: 'api' } } }], ports: [{ port: 5432 }] }, { from: [{ namespaceSelector: {} }], ports: [{ port: 5432 }] }],
    });
    const plainApi = pod('shop', 'api-1', { labels: { app: 'api' }, owner: { kind: 'Deployment', name: 'api' } });
    const documents = [namespace('shop'), namespace('ops'), postgres, plainApi, worker, stranger, byLabel];
    const finding = run(datastoreReachableBeyondClients, documents).findings[0];
    expect(finding?.problem).toContain('accepts TCP 5432 from 2 pods of 2 workloads in 2 namespaces, while its only inferred client is Deployment shop/api.');
    expect(finding?.evidence.map((item) => item.fact)).toContain('Deployment shop/api is a client: NetworkPolicy shop/db ingress rule 1 names it by its labels (from podSelector app=api in namespace shop on TCP 5432).');
    const fix = finding?.fixes?.[0] as NetworkPolicyFix;
    expect(fix.basis).toBe('policies');
    expect(fix.clients.map((client) => client.name)).toEqual(['api']);
    expect(fix.replaces).toEqual([{ kind: 'NetworkPolicy', namespace: 'shop', name: 'db' }]);
    const [policy] = renderNetworkPolicyFix(fix, load(documents).inventory);
    expect(policy?.verification).toContain('- clients that keep access: Deployment/shop/api\n');
    expect(policy?.safety).toBe('fix');
  });

  it('does not count rules that admit groups as naming clients', () => {
    // podSelector {} admits every pod of the namespace, namespaceSelector alone every pod of the namespaces
    // it selects, and a podSelector next to namespaceSelector {} the labelled pods of every namespace.
    const groups: object[] = [
      { from: [{ podSelector: {} }] },
      { from: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'shop' } } }] },
      { from: [{ namespaceSelector: {}, podSelector: { matchLabels: { app: 'worker' } } }] },
      { from: [{ podSelector: { matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['debug'] }] } }] },
    ];
    for (const rule of groups) {
      const policy = networkPolicy('shop', 'db', { podSelector: { matchLabels: { 'app.kubernetes.io/name': 'postgresql' } }, ingress: [{ ...rule, ports: [{ port: 5432 }] }] });
      const finding = run(datastoreReachableBeyondClients, [namespace('shop'), postgres, worker, policy]).findings[0];
      expect(finding?.problem, JSON.stringify(rule)).toContain('while no client could be inferred');
    }
  });

  it('counts Calico rules that name workloads', () => {
    const calicoDb = (source: object, kind: 'NetworkPolicy' | 'GlobalNetworkPolicy' = 'NetworkPolicy') =>
      calicoPolicy(kind, 'db', { selector: "app.kubernetes.io/name == 'postgresql'", types: ['Ingress'], ingress: [{ action: 'Allow', protocol: 'TCP', source, destination: { ports: [5432] } }] }, kind === 'NetworkPolicy' ? 'shop' : undefined);
    const inferred = (policy: object) => {
      const finding = run(datastoreReachableBeyondClients, [namespace('shop'), namespace('ops'), postgres, worker, stranger, policy]).findings[0];
      return (finding?.fixes?.[0] as NetworkPolicyFix | undefined)?.basis ?? 'no finding';
    };
    // Named: a selector by label value in the policy's namespace, or with a namespaceSelector by value.
    expect(inferred(calicoDb({ selector: "app == 'worker'" }))).toBe('no finding');
    expect(inferred(calicoDb({ selector: "app in {'worker', 'batch'} && !has(quarantine)" }))).toBe('no finding');
    expect(inferred(calicoDb({ selector: "app == 'debug'", namespaceSelector: "projectcalico.org/name == 'ops'" }, 'GlobalNetworkPolicy'))).toBe('no finding');
    // Groups: a negation, has(), an OR with all(), a bare namespaceSelector, and a GlobalNetworkPolicy
    // selector without namespaceSelector, which matches that label in every namespace.
    for (const source of [{ selector: "app != 'debug'" }, { selector: 'has(app)' }, { selector: "app == 'worker' || all()" }, { namespaceSelector: "projectcalico.org/name == 'shop'" }]) {
      expect(inferred(calicoDb(source)), JSON.stringify(source)).toBe('none');
    }
    expect(inferred(calicoDb({ selector: "app == 'debug'" }, 'GlobalNetworkPolicy'))).toBe('none');
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
