import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../../src/config/config.js';
import { CHECKS } from '../../../src/checks/registry.js';
import { runChecks, type CheckRun } from '../../../src/checks/run.js';
import { loadDocuments } from '../../../src/inventory/load.js';
import { load } from '../../engines/reach/support.js';
import { calicoPolicy, namespace, networkPolicy, pod } from './support.js';

// Which segmentation checks run on which policy kinds. A Calico-only snapshot gets every check that reads
// Calico policies. A snapshot without any policy gets the reachability checks, with every pod open. A
// skip names exactly the kinds that are missing.

const SEGMENTATION = CHECKS.filter((check) => check.meta.category === 'network-segmentation');
const NO_POLICY_KIND = 'no NetworkPolicy, CalicoNetworkPolicy or CalicoGlobalNetworkPolicy in the snapshot (the check needs at least one of these kinds)';
const NO_POD_SOURCE = 'no Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job or CronJob in the snapshot (the check needs at least one of these kinds)';

const pods = [
  namespace('shop'),
  namespace('ops'),
  pod('shop', 'db-0', { labels: { 'app.kubernetes.io/name': 'postgresql' }, image: 'docker.io/bitnami/postgresql:16.4.0', ports: [{ name: 'tcp-postgresql', containerPort: 5432 }], owner: { kind: 'StatefulSet', name: 'db' } }),
  pod('shop', 'api-1', { labels: { app: 'api' }, owner: { kind: 'Deployment', name: 'api' } }),
  pod('ops', 'debug', { labels: { app: 'debug' } }),
];

// Calico policies only, in projectcalico.org/v3 as `kubectl get networkpolicies.projectcalico.org -o yaml` prints them.
const calicoOnly = [
  ...pods,
  // An Allow rule without a source: every pod and every address may open 5432.
  calicoPolicy('NetworkPolicy', 'allow-pg', { selector: "app.kubernetes.io/name == 'postgresql'", types: ['Ingress'], ingress: [{ action: 'Allow', protocol: 'TCP', destination: { ports: [5432] } }] }, 'shop'),
  // A label typo: no pod has app=ghost.
  calicoPolicy('NetworkPolicy', 'ghost', { selector: "app == 'ghost'", types: ['Ingress'], ingress: [{ action: 'Allow', source: { selector: "app == 'api'" } }] }, 'shop'),
  // A rule whose source matches no pod and no address.
  calicoPolicy('NetworkPolicy', 'api-from-batch', { selector: "app == 'api'", types: ['Ingress'], ingress: [{ action: 'Allow', source: { selector: "app == 'batch'" } }] }, 'shop'),
];

function runs(documents: object[]): Map<string, CheckRun> {
  const { runs } = runChecks(SEGMENTATION, { inventory: load(documents).inventory, config: DEFAULT_CONFIG });
  return new Map(runs.map((run) => [run.checkId, run]));
}

function findingTitles(documents: object[], checkId: string): string[] {
  const { findings } = runChecks(SEGMENTATION, { inventory: load(documents).inventory, config: DEFAULT_CONFIG });
  return findings.filter((finding) => finding.checkId === checkId).map((finding) => finding.title);
}

describe('segmentation checks on Calico policies only', () => {
  it('runs every check that reads Calico policies', () => {
    const byId = runs(calicoOnly);
    for (const check of SEGMENTATION.filter((candidate) => candidate.meta.id !== 'policy-peers-or-instead-of-and')) {
      expect(byId.get(check.meta.id)?.status, check.meta.id).toBe('ran');
      expect(byId.get(check.meta.id)?.findings, check.meta.id).toBeGreaterThan(0);
    }
  });

  it('skips the Kubernetes-only check by name', () => {
    // A Calico rule has one source whose fields all apply together, so the OR-for-AND mistake has no Calico form.
    expect(runs(calicoOnly).get('policy-peers-or-instead-of-and')).toEqual({ checkId: 'policy-peers-or-instead-of-and', status: 'skipped', details: ['no NetworkPolicy in the snapshot'], findings: 0 });
  });

  it('reports the findings of the Calico policies', () => {
    expect(findingTitles(calicoOnly, 'policy-peer-admits-all')).toEqual(['Calico NetworkPolicy shop/allow-pg ingress rule 1 allows every pod and every address']);
    expect(findingTitles(calicoOnly, 'policy-selects-no-pods')).toEqual(['Calico NetworkPolicy shop/ghost selects no pods']);
    expect(findingTitles(calicoOnly, 'policy-rule-never-matches')).toEqual(['Calico NetworkPolicy shop/api-from-batch ingress rule 1 never matches']);
    expect(findingTitles(calicoOnly, 'datastore-reachable-beyond-clients')).toEqual([
      'StatefulSet shop/db (PostgreSQL) accepts TCP 5432 from 2 pods of 2 workloads in 2 namespaces and public addresses outside the cluster',
    ]);
    expect(findingTitles(calicoOnly, 'namespace-without-default-deny')).toEqual(['Namespace ops has no default deny for ingress or egress', 'Namespace shop has no default deny for ingress or egress']);
    expect(findingTitles(calicoOnly, 'datastore-namespace-internet-egress')).toEqual(['Namespace shop runs a datastore and 2 workloads there may reach the internet on every port']);
    expect(findingTitles(calicoOnly, 'pod-egress-to-instance-metadata')).toHaveLength(1);
  });

  it('says that Kubernetes NetworkPolicies were not in the snapshot', () => {
    const details = runs(calicoOnly).get('namespace-without-default-deny')?.details ?? [];
    expect(details).toContain(
      'the snapshot contains no Kubernetes NetworkPolicy, so only the Calico policies are evaluated; if the cluster has NetworkPolicies, which Calico also enforces, add them to the snapshot',
    );
  });

  it('says which Calico kind is missing where Calico enforces policy', () => {
    // A Kubernetes NetworkPolicy and a Calico GlobalNetworkPolicy, but no namespaced Calico policy.
    const documents = [...pods, networkPolicy('shop', 'p', { podSelector: {} }), calicoPolicy('GlobalNetworkPolicy', 'g', { selector: "app == 'none'", ingress: [{ action: 'Allow' }] })];
    const details = runs(documents).get('namespace-without-default-deny')?.details ?? [];
    expect(details).toContain('Calico enforces policy here (Calico policy resources in the snapshot), but the snapshot contains no CalicoNetworkPolicy; if the cluster has them, add them to the snapshot');
  });
});

describe('segmentation checks without any policy', () => {
  it('runs the reachability checks with every pod open', () => {
    const byId = runs(pods);
    for (const id of ['datastore-reachable-beyond-clients', 'namespace-without-default-deny', 'pod-egress-to-instance-metadata', 'datastore-namespace-internet-egress']) {
      expect(byId.get(id)?.status, id).toBe('ran');
      expect(byId.get(id)?.findings, id).toBeGreaterThan(0);
      expect(byId.get(id)?.details, id).toContain('the snapshot contains no NetworkPolicy, CalicoNetworkPolicy or CalicoGlobalNetworkPolicy, so no policy restricts any pod; if the cluster has policies, add them to the snapshot');
    }
  });

  it('names the missing policy input in each finding', () => {
    const { findings } = runChecks(SEGMENTATION, { inventory: load(pods).inventory, config: DEFAULT_CONFIG });
    expect(findings.length).toBeGreaterThan(0);
    for (const finding of findings) {
      expect(finding.evidence.map((item) => item.fact), finding.checkId).toContain(
        'The snapshot contains no NetworkPolicy, CalicoNetworkPolicy or CalicoGlobalNetworkPolicy, so no policy restricts any pod; if the cluster has policies, add them to the snapshot.',
      );
    }
  });

  it('skips the policy checks with the missing kinds', () => {
    const byId = runs(pods);
    for (const id of ['policy-peer-admits-all', 'policy-selects-no-pods', 'policy-rule-never-matches']) {
      expect(byId.get(id), id).toEqual({ checkId: id, status: 'skipped', details: [NO_POLICY_KIND], findings: 0 });
    }
    expect(byId.get('policy-peers-or-instead-of-and')?.details).toEqual(['no NetworkPolicy in the snapshot']);
  });

  it('skips every check without pods, workloads or policies', () => {
    const byId = runs([namespace('shop')]);
    for (const id of ['datastore-reachable-beyond-clients', 'namespace-without-default-deny', 'pod-egress-to-instance-metadata', 'datastore-namespace-internet-egress']) {
      expect(byId.get(id), id).toEqual({ checkId: id, status: 'skipped', details: [NO_POD_SOURCE], findings: 0 });
    }
    // Policies need Pods, not only workload templates, to tell that they select nothing.
    expect(byId.get('policy-selects-no-pods')?.details).toEqual(['no Pod in the snapshot', NO_POLICY_KIND]);
  });

  it('says which policy kind could not be collected', () => {
    // The manifest of `rampart collect` records a denied list call: NetworkPolicies are unknown, not absent.
    const manifest = {
      rampartManifest: 1,
      rampartVersion: '0.1.0',
      collectedAt: '2026-11-20T10:05:00.000Z',
      aws: null,
      kubernetes: { context: 'prod' },
      awsActions: [],
      kinds: [{ source: 'kubernetes', kind: 'NetworkPolicy', api: 'list networkpolicies.networking.k8s.io', status: 'forbidden', count: 0, files: [], error: '403 networkpolicies.networking.k8s.io is forbidden' }],
      files: [],
    };
    const { inventory } = loadDocuments({ 'rampart-manifest.json': [manifest], 'kubernetes/workloads.yaml': pods });
    const { runs: checkRuns } = runChecks(SEGMENTATION, { inventory, config: DEFAULT_CONFIG });
    const details = checkRuns.find((entry) => entry.checkId === 'namespace-without-default-deny')?.details ?? [];
    expect(details.slice(0, 2)).toEqual([
      'NetworkPolicy could not be collected (list networkpolicies.networking.k8s.io: forbidden), so the verdicts leave out any policies of that kind',
      'the snapshot contains no NetworkPolicy, CalicoNetworkPolicy or CalicoGlobalNetworkPolicy, so no policy restricts any pod; if the cluster has policies, add them to the snapshot',
    ]);
  });

  it('adds no notice once a policy kind is present', () => {
    const documents = [...pods, networkPolicy('shop', 'p', { podSelector: { matchLabels: { app: 'api' } } })];
    const details = runs(documents).get('namespace-without-default-deny')?.details ?? [];
    expect(details.filter((detail) => detail.startsWith('the snapshot contains no'))).toEqual([]);
  });
});
