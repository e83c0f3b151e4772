import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { computeMatrix, detectCni, explainConnection, formatRange, parseCidr, PROTOCOL, ReachModel, type PodEndpoint } from '../../../src/engines/reach/index.js';
import { loadDocuments } from '../../../src/inventory/load.js';
import { calicoPolicy, calicoProfile, load, namespace, networkPolicy, pod, allowed, endpoint } from './support.js';

// Calico Profiles as Calico applies them to Kubernetes pods. The facts pinned here come from Calico's
// source: libcalico-go's pod conversion (a pod's endpoint lists kns.<namespace>, then
// ksa.<namespace>.<serviceaccount>), its namespace and service account conversion (the generated profiles
// and their pcns./pcsa. labels), its rule conversion (namespaceSelector and service account selectors
// match those prefixed labels), Felix's label inheritance index (endpoint labels win, then profiles in
// order) and Felix's endpoint chains (profiles in order, then drop).

function model(documents: object[]): ReachModel {
  return new ReachModel(load(documents).inventory);
}


function labelsOf(reach: ReachModel, reference: string): Record<string, string> {
  const found = endpoint(reach, reference);
  if (found.kind !== 'pod') throw new Error(`${reference} is not a pod`);
  return reach.classOf(found.pod).calicoLabels;
}

const allowAll = { ingress: [{ action: 'Allow' }], egress: [{ action: 'Allow' }] };

const base = [
  namespace('shop', { team: 'shop' }),
  namespace('ops', { team: 'ops' }),
  pod('shop', 'db', { labels: { app: 'db' }, ports: [{ name: 'pg', containerPort: 5432 }], ip: '10.0.0.10' }),
  pod('shop', 'web', { labels: { app: 'web' }, serviceAccountName: 'web-sa', ip: '10.0.0.11' }),
  pod('shop', 'cache', { labels: { app: 'cache' }, ip: '10.0.0.12' }),
  pod('ops', 'tool', { labels: { app: 'tool' }, ip: '10.0.1.12' }),
];

/** Allows ingress to db only from endpoints the selector matches, in any namespace. */
function dbFrom(selector: string): object {
  return calicoPolicy('GlobalNetworkPolicy', 'db-from', { selector: "app == 'db'", ingress: [{ action: 'Allow', source: { selector } }] });
}

// `calicoctl get profiles -o yaml` on the Kubernetes datastore: the generated kns and ksa profiles and the
// default-allow profile Calico uses for host endpoints.
const CALICOCTL_PROFILES = `apiVersion: projectcalico.org/v3
items:
- apiVersion: projectcalico.org/v3
  kind: Profile
  metadata:
    creationTimestamp: "2024-05-02T09:12:40Z"
    name: kns.shop
    resourceVersion: 2041/
    uid: 0b7c3d4e-5f60-4a71-8b92-a3b4c5d6e7f8
  spec:
    egress:
    - action: Allow
      destination: {}
      source: {}
    ingress:
    - action: Allow
      destination: {}
      source: {}
    labelsToApply:
      pcns.kubernetes.io/metadata.name: shop
      pcns.projectcalico.org/name: shop
      pcns.team: shop
- apiVersion: projectcalico.org/v3
  kind: Profile
  metadata:
    creationTimestamp: "2024-05-02T09:12:41Z"
    name: ksa.shop.web-sa
    resourceVersion: /2207
    uid: 1c8d4e5f-6071-4b82-9ca3-b4c5d6e7f809
  spec:
    labelsToApply:
      pcsa.projectcalico.org/name: web-sa
- apiVersion: projectcalico.org/v3
  kind: Profile
  metadata:
    creationTimestamp: null
    name: projectcalico-default-allow
    resourceVersion: "1"
  spec:
    egress:
    - action: Allow
      destination: {}
      source: {}
    ingress:
    - action: Allow
      destination: {}
      source: {}
kind: ProfileList
metadata:
  resourceVersion: 2041/2207
`;

// `kubectl get profiles.crd.projectcalico.org -o json`.
const KUBECTL_CRD_PROFILES = `{
  "apiVersion": "v1",
  "items": [
    {
      "apiVersion": "crd.projectcalico.org/v1",
      "kind": "Profile",
      "metadata": { "name": "kns.ops", "resourceVersion": "3310", "uid": "2d9e5f60-7182-4c93-8db4-c5d6e7f8091a" },
      "spec": { "egress": [{ "action": "Allow" }], "labelsToApply": { "pcns.projectcalico.org/name": "ops", "stage": "dev" } }
    }
  ],
  "kind": "List",
  "metadata": { "resourceVersion": "" }
}`;

describe('Calico Profile loading', () => {
  it('reads calicoctl ProfileList output', () => {
    const result = loadDocuments({ 'calico-profiles.yaml': [parse(CALICOCTL_PROFILES)] });

    expect(result.problems).toEqual([]);
    expect(result.ignored).toEqual([]);
    expect(result.inventory.has('CalicoProfile')).toBe(true);
    expect(result.inventory.data.calicoProfiles.map((profile) => profile.metadata.name)).toEqual(['kns.shop', 'ksa.shop.web-sa', 'projectcalico-default-allow']);
    expect(result.inventory.data.calicoProfiles[0]?.spec?.labelsToApply).toEqual({ 'pcns.kubernetes.io/metadata.name': 'shop', 'pcns.projectcalico.org/name': 'shop', 'pcns.team': 'shop' });
    expect(result.inventory.data.calicoProfiles[0]?.source).toEqual({ file: 'calico-profiles.yaml', path: '$.items[0]' });
  });

  it('reads kubectl output of crd.projectcalico.org/v1 Profiles', () => {
    const result = loadDocuments({ 'profiles.json': [JSON.parse(KUBECTL_CRD_PROFILES)] });

    expect(result.problems).toEqual([]);
    expect(result.inventory.data.calicoProfiles.map((profile) => `${profile.apiVersion} ${profile.kind} ${profile.metadata.name}`)).toEqual(['crd.projectcalico.org/v1 Profile kns.ops']);
    expect(detectCni(result.inventory)).toEqual({ name: 'calico', evidence: 'Calico policy resources in the snapshot' });
  });

  it('generated profiles change no answer', () => {
    const documents = [...base, dbFrom("app == 'web'")];
    const without = model(documents);
    const withProfiles = model([...documents, ...(parse(CALICOCTL_PROFILES) as { items: object[] }).items]);

    for (const [from, to] of [['shop/web', 'shop/db'], ['ops/tool', 'shop/db'], ['shop/db', 'ops/tool'], ['ops/tool', '198.51.100.7']] as const) {
      expect(allowed(withProfiles, from, to, 5432), `${from} → ${to}`).toBe(allowed(without, from, to, 5432));
    }
    expect(withProfiles.assumptions.join(' ')).toContain('the snapshot has Calico Profiles but not kns.ops');
  });
});

describe('Calico Profile labels', () => {
  it('labelsToApply labels the profile\'s pods', () => {
    const reach = model([...base, calicoProfile('kns.ops', { labelsToApply: { stage: 'dev' }, ...allowAll }), dbFrom("stage == 'dev'")]);

    expect(allowed(reach, 'ops/tool', 'shop/db', 5432)).toBe(true);
    expect(allowed(reach, 'shop/web', 'shop/db', 5432)).toBe(false);
    expect(allowed(model([...base, dbFrom("stage == 'dev'")]), 'ops/tool', 'shop/db', 5432)).toBe(false);
  });

  it("the pod's own label wins over the profile's", () => {
    const pods = base.map((document) => ((document as { metadata: { name: string } }).metadata.name === 'web' ? pod('shop', 'web', { labels: { app: 'web', stage: 'prod' }, serviceAccountName: 'web-sa', ip: '10.0.0.11' }) : document));
    const reach = model([...pods, calicoProfile('kns.shop', { labelsToApply: { stage: 'dev' }, ...allowAll }), dbFrom("stage == 'dev'")]);

    expect(labelsOf(reach, 'shop/web').stage).toBe('prod');
    expect(allowed(reach, 'shop/web', 'shop/db', 5432)).toBe(false);
    expect(allowed(reach, 'shop/cache', 'shop/db', 5432)).toBe(true);
  });

  it("the namespace profile's label wins over the service account profile's", () => {
    const profiles = [calicoProfile('kns.shop', { labelsToApply: { stage: 'dev' }, ...allowAll }), calicoProfile('ksa.shop.web-sa', { labelsToApply: { stage: 'test', role: 'front' } })];
    const reach = model([...base, ...profiles, dbFrom("stage == 'dev' && role == 'front'")]);

    expect(labelsOf(reach, 'shop/web')).toMatchObject({ stage: 'dev', role: 'front' });
    expect(allowed(reach, 'shop/web', 'shop/db', 5432)).toBe(true);
    // cache runs as the default service account, whose profile does not apply role.
    expect(allowed(reach, 'shop/cache', 'shop/db', 5432)).toBe(false);
    expect(allowed(model([...base, ...profiles, dbFrom("stage == 'test'")]), 'shop/web', 'shop/db', 5432)).toBe(false);
  });

  it('namespace selectors read pcns. labels', () => {
    const fromOps = calicoPolicy('GlobalNetworkPolicy', 'db-from-ops', { selector: "app == 'db'", ingress: [{ action: 'Allow', source: { namespaceSelector: "team == 'ops'" } }] });
    const fromPlatform = calicoPolicy('GlobalNetworkPolicy', 'db-from-ops', { selector: "app == 'db'", ingress: [{ action: 'Allow', source: { namespaceSelector: "team == 'platform'" } }] });
    const relabelled = calicoProfile('kns.ops', { labelsToApply: { 'pcns.team': 'platform', 'pcns.projectcalico.org/name': 'ops' }, ...allowAll });

    // Without Profiles, the generated kns profile carries the Namespace's labels.
    expect(allowed(model([...base, fromOps]), 'ops/tool', 'shop/db', 5432)).toBe(true);
    expect(allowed(model([...base, relabelled, fromOps]), 'ops/tool', 'shop/db', 5432)).toBe(false);
    expect(allowed(model([...base, relabelled, fromPlatform]), 'ops/tool', 'shop/db', 5432)).toBe(true);
  });

  it('pod pcns. label overrides the namespace', () => {
    const pods = [...base.filter((document) => (document as { metadata: { name: string } }).metadata.name !== 'tool'), pod('ops', 'tool', { labels: { app: 'tool', 'pcns.team': 'shop' }, ip: '10.0.1.12' })];
    const fromShop = calicoPolicy('GlobalNetworkPolicy', 'db-from-shop', { selector: "app == 'db'", ingress: [{ action: 'Allow', source: { namespaceSelector: "team == 'shop'" } }] });

    expect(allowed(model([...pods, fromShop]), 'ops/tool', 'shop/db', 5432)).toBe(true);
  });

  it('selectors see generated pcns. labels', () => {
    const reach = model([...base, dbFrom("pcns.team == 'ops'")]);

    expect(allowed(reach, 'ops/tool', 'shop/db', 5432)).toBe(true);
    expect(allowed(reach, 'shop/web', 'shop/db', 5432)).toBe(false);
  });

  it('service account selectors read pcsa. labels', () => {
    const policy = calicoPolicy('GlobalNetworkPolicy', 'db-from-frontends', { selector: "app == 'db'", ingress: [{ action: 'Allow', source: { serviceAccounts: { selector: "role == 'frontend'" } } }] });
    const reach = model([...base, calicoProfile('ksa.shop.web-sa', { labelsToApply: { 'pcsa.role': 'frontend', 'pcsa.projectcalico.org/name': 'web-sa' } }), policy]);

    expect(allowed(reach, 'shop/web', 'shop/db', 5432)).toBe(true);
    expect(allowed(reach, 'ops/tool', 'shop/db', 5432)).toBe(false);
    expect(reach.notModelled.join(' ')).not.toContain('ServiceAccount labels');
    expect(model([...base, policy]).notModelled.join(' ')).toContain('reads ServiceAccount labels (role)');
  });

  it('host-network pods have no profiles', () => {
    // A host-network pod has no workload endpoint, so no profile labels it or decides for it.
    const agent = pod('ops', 'agent', { labels: { app: 'agent' }, ip: '10.0.9.1', hostNetwork: true, nodeName: 'node-1' });
    const reach = model([...base, agent, calicoProfile('kns.ops', { labelsToApply: { stage: 'dev' } })]);
    const agentClass = reach.classOf(reach.pod('ops', 'agent') as PodEndpoint);

    expect(agentClass.calicoLabels.stage).toBeUndefined();
    expect(agentClass.profiles).toEqual([]);
    expect(reach.profilesOf(agentClass)).toBeUndefined();
    expect(labelsOf(reach, 'ops/tool').stage).toBe('dev');
    expect(allowed(reach, 'ops/agent', 'shop/db', 5432)).toBe(true);
  });

});

// Under Calico, libcalico-go converts each Kubernetes NetworkPolicy into a Calico NetworkPolicy
// (lib/backend/k8s/conversion, k8sSelectorToCalico): podSelector becomes a Calico selector (with
// `projectcalico.org/orchestrator == 'k8s'`), a peer's namespaceSelector the rule's namespaceSelector.
// Felix evaluates them on the workload endpoint's labels merged with its profiles' labelsToApply, the
// namespaceSelector on the namespace profile's `pcns.` labels. Other CNIs match the pod's own labels and
// the Namespace's.
describe('Kubernetes NetworkPolicy selectors under Calico', () => {
  // The Amazon VPC CNI's node agent, which makes the CNI found in the snapshot aws-vpc-cni.
  const awsNode = pod('kube-system', 'aws-node-7xk2p', { labels: { 'k8s-app': 'aws-node' }, image: '602401143452.dkr.ecr.eu-west-2.amazonaws.com/amazon-k8s-cni:v1.19.2', hostNetwork: true, nodeName: 'node-1', ip: '10.0.9.1' });
  const shopZone = calicoProfile('kns.shop', { labelsToApply: { zone: 'eu', 'pcns.team': 'shop', 'pcns.kubernetes.io/metadata.name': 'shop', 'pcns.projectcalico.org/name': 'shop' }, ...allowAll });
  // The user's snapshot: a policy that selects the pods of zone eu, which only the namespace profile applies.
  const zoneIngress = networkPolicy('shop', 'zone-eu-ingress', { podSelector: { matchLabels: { zone: 'eu' } }, policyTypes: ['Ingress'], ingress: [{ from: [{ podSelector: { matchLabels: { app: 'web' } } }] }] });

  it('finds Calico for these tests', () => {
    expect(detectCni(load([...base, shopZone]).inventory).name).toBe('calico');
    expect(detectCni(load([...base, shopZone, awsNode]).inventory).name).toBe('aws-vpc-cni');
  });

  it('podSelector selects by profile labels', () => {
    const reach = model([...base, shopZone, zoneIngress]);
    const verdict = explainConnection(reach, endpoint(reach, 'shop/cache'), endpoint(reach, 'shop/db'), PROTOCOL.TCP, 5432);

    expect(verdict.allowed).toBe(false);
    expect(verdict.ingress).toMatchObject({ decidedBy: 'end-of-tier', tier: 'default', selectingPolicies: [{ kind: 'NetworkPolicy', name: 'zone-eu-ingress' }] });
    expect(verdict.notModelled).toEqual([]);
    expect(allowed(reach, 'shop/web', 'shop/db', 5432)).toBe(true);
    expect(allowed(reach, 'ops/tool', 'shop/db', 5432)).toBe(false);
  });

  it('podSelector sees only pod labels with another CNI', () => {
    const reach = model([...base, awsNode, shopZone, zoneIngress]);

    expect(allowed(reach, 'shop/cache', 'shop/db', 5432)).toBe(true);
    expect(reach.notModelled).toContain(
      "Calico Profiles kns.shop (zone) apply labels that Calico matches Kubernetes NetworkPolicy pod selectors against where it enforces them; the CNI found is not Calico, so Kubernetes NetworkPolicies are evaluated on the pods' own labels",
    );
    expect(model([...base, shopZone, zoneIngress]).notModelled.join(' ')).not.toContain('Kubernetes NetworkPolicy pod selectors');
  });

  it("the pod's own label wins over the profile's", () => {
    const pods = base.map((document) => ((document as { metadata: { name: string } }).metadata.name === 'cache' ? pod('shop', 'cache', { labels: { app: 'cache', zone: 'us' }, ip: '10.0.0.12' }) : document));
    const reach = model([...pods, shopZone, zoneIngress]);

    expect(allowed(reach, 'shop/cache', 'shop/db', 5432)).toBe(false);
    expect(allowed(reach, 'shop/db', 'shop/cache', 80)).toBe(true);
  });

  it('peer podSelector matches by profile labels', () => {
    const frontends = calicoProfile('ksa.shop.web-sa', { labelsToApply: { 'pcsa.projectcalico.org/name': 'web-sa', role: 'frontend' } });
    const fromFrontends = networkPolicy('shop', 'db-from-frontends', { podSelector: { matchLabels: { app: 'db' } }, ingress: [{ from: [{ podSelector: { matchExpressions: [{ key: 'role', operator: 'In', values: ['frontend'] }] } }] }] });
    const reach = model([...base, frontends, fromFrontends]);

    expect(allowed(reach, 'shop/web', 'shop/db', 5432)).toBe(true);
    expect(allowed(reach, 'shop/cache', 'shop/db', 5432)).toBe(false);
    expect(allowed(model([...base, awsNode, frontends, fromFrontends]), 'shop/web', 'shop/db', 5432)).toBe(false);
  });

  it("namespaceSelector matches the namespace profile's labels", () => {
    const relabelled = calicoProfile('kns.ops', { labelsToApply: { 'pcns.team': 'platform', 'pcns.projectcalico.org/name': 'ops' }, ...allowAll });
    const fromTeam = (team: string) => networkPolicy('shop', 'db-from-team', { podSelector: { matchLabels: { app: 'db' } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { team } } }] }] });

    expect(allowed(model([...base, relabelled, fromTeam('platform')]), 'ops/tool', 'shop/db', 5432)).toBe(true);
    expect(allowed(model([...base, relabelled, fromTeam('ops')]), 'ops/tool', 'shop/db', 5432)).toBe(false);
    // Without the Profile, Calico's generated one carries the Namespace's labels.
    expect(allowed(model([...base, fromTeam('ops')]), 'ops/tool', 'shop/db', 5432)).toBe(true);
    // With another CNI the Namespace's own labels decide.
    expect(allowed(model([...base, awsNode, relabelled, fromTeam('platform')]), 'ops/tool', 'shop/db', 5432)).toBe(false);
    expect(allowed(model([...base, awsNode, relabelled, fromTeam('ops')]), 'ops/tool', 'shop/db', 5432)).toBe(true);
  });
});

describe('Calico Profile rules', () => {
  it('no Profiles allows the undecided', () => {
    const reach = model(base);

    expect(allowed(reach, 'ops/tool', 'shop/db', 5432)).toBe(true);
    expect(explainConnection(reach, endpoint(reach, 'ops/tool'), endpoint(reach, 'shop/db'), PROTOCOL.TCP, 5432).ingress.decidedBy).toBe('no-policy');
    expect(reach.assumptions.join(' ')).not.toContain('Profiles');
  });

  it('profile without rules drops the direction', () => {
    // The profile decides nothing for ingress, the generated ksa profile neither, and the end of the profiles drops it.
    const reach = model([...base, calicoProfile('kns.shop', { egress: [{ action: 'Allow' }] })]);

    expect(allowed(reach, 'ops/tool', 'shop/db', 5432)).toBe(false);
    expect(allowed(reach, '198.51.100.7', 'shop/db', 5432)).toBe(false);
    expect(allowed(reach, 'shop/db', 'ops/tool', 8080)).toBe(true);
  });

  it('first matching profile rule decides', () => {
    const reach = model([...base, calicoProfile('kns.shop', { ingress: [{ action: 'Deny', source: { selector: "app == 'tool'" } }, { action: 'Allow' }], egress: [{ action: 'Allow' }] })]);

    expect(allowed(reach, 'ops/tool', 'shop/db', 5432)).toBe(false);
    expect(allowed(reach, 'shop/web', 'shop/db', 5432)).toBe(true);
  });

  it('unmatched traffic reaches the next profile', () => {
    const namespaceProfile = calicoProfile('kns.shop', { ingress: [{ action: 'Allow', protocol: 'TCP', source: { selector: "app == 'tool'" }, destination: { ports: [5432] } }], egress: [{ action: 'Allow' }] });
    const reach = model([...base, namespaceProfile, calicoProfile('ksa.shop.default', { ingress: [{ action: 'Allow', protocol: 'UDP' }] })]);

    expect(allowed(reach, 'ops/tool', 'shop/db', 5432)).toBe(true);
    expect(allowed(reach, 'ops/tool', 'shop/db', 22)).toBe(false);
    expect(allowed(reach, 'ops/tool', 'shop/db', 53, PROTOCOL.UDP)).toBe(true);
    expect(allowed(reach, 'shop/web', 'shop/db', 5432)).toBe(false);
  });

  it('Deny in an earlier profile is final', () => {
    const reach = model([...base, calicoProfile('kns.shop', { ingress: [{ action: 'Deny', protocol: 'UDP' }], egress: [{ action: 'Allow' }] }), calicoProfile('ksa.shop.default', { ingress: [{ action: 'Allow' }] })]);

    expect(allowed(reach, 'ops/tool', 'shop/db', 53, PROTOCOL.UDP)).toBe(false);
    expect(allowed(reach, 'ops/tool', 'shop/db', 5432)).toBe(true);
  });

  it('Pass leaves the profile for the next one', () => {
    const namespaceProfile = calicoProfile('kns.shop', { ingress: [{ action: 'Pass', source: { selector: "app == 'tool'" } }, { action: 'Allow' }], egress: [{ action: 'Allow' }] });
    const reach = model([...base, namespaceProfile]);

    // The generated ksa profile has no rules, so the end of the profiles drops what kns.shop passed.
    expect(allowed(reach, 'ops/tool', 'shop/db', 5432)).toBe(false);
    expect(allowed(reach, 'shop/web', 'shop/db', 5432)).toBe(true);
    expect(allowed(model([...base, namespaceProfile, calicoProfile('ksa.shop.default', { ingress: [{ action: 'Allow' }] })]), 'ops/tool', 'shop/db', 5432)).toBe(true);
    expect(reach.notModelled.join(' ')).toContain('Calico Profile kns.shop ingress rule 1 has action Pass');
  });

  it('Log does not decide', () => {
    const reach = model([...base, calicoProfile('kns.shop', { ingress: [{ action: 'Log' }, { action: 'Deny', source: { selector: "app == 'tool'" } }, { action: 'Allow' }], egress: [{ action: 'Allow' }] })]);

    expect(allowed(reach, 'ops/tool', 'shop/db', 5432)).toBe(false);
    expect(allowed(reach, 'shop/web', 'shop/db', 5432)).toBe(true);
  });

  it('profiles decide only after the tiers', () => {
    const denyIngress = calicoProfile('kns.shop', { egress: [{ action: 'Allow' }] });
    const dbFromTool = calicoPolicy('NetworkPolicy', 'db-from-tool', { selector: "app == 'db'", ingress: [{ action: 'Allow', source: { namespaceSelector: 'all()', selector: "app == 'tool'" } }] }, 'shop');
    const reach = model([...base, denyIngress, dbFromTool]);

    expect(allowed(reach, 'ops/tool', 'shop/db', 5432)).toBe(true);
    expect(allowed(reach, 'shop/web', 'shop/db', 5432)).toBe(false);
    expect(allowed(reach, 'ops/tool', 'shop/cache', 6379)).toBe(false);

    // The end of a tier drops before the profiles are reached, even when they would allow.
    expect(allowed(model([...base, calicoProfile('kns.shop', allowAll), dbFromTool]), 'shop/web', 'shop/db', 5432)).toBe(false);

    // A tier that passes everything on leaves the decision to the profiles.
    const passAll = calicoPolicy('GlobalNetworkPolicy', 'security.pass-all', { tier: 'security', selector: 'all()', ingress: [{ action: 'Pass' }] });
    const denyTool = calicoProfile('kns.shop', { ingress: [{ action: 'Deny', source: { selector: "app == 'tool'" } }, { action: 'Allow' }], egress: [{ action: 'Allow' }] });
    const passed = model([...base, passAll, denyTool]);
    expect(allowed(passed, 'ops/tool', 'shop/db', 5432)).toBe(false);
    expect(allowed(passed, 'shop/web', 'shop/db', 5432)).toBe(true);
  });

  it('missing kns profile keeps allow-all', () => {
    const reach = model([...base, calicoProfile('kns.ops', {})]);

    expect(allowed(reach, 'shop/web', 'shop/db', 5432)).toBe(true);
    expect(allowed(reach, 'shop/db', 'ops/tool', 8080)).toBe(false);
    expect(reach.assumptions).toContain(
      'the snapshot has Calico Profiles but not kns.shop, ksa.ops.default, ksa.shop.default, ksa.shop.web-sa; for those, the profiles Calico generates are assumed (kns: allow all ingress and egress, with the Namespace\'s labels; ksa: no rules, with the service account\'s name)',
    );
  });

  it('profile nets split external addresses', () => {
    const reach = model([...base, calicoProfile('kns.shop', { ingress: [{ action: 'Allow' }], egress: [{ action: 'Allow', destination: { nets: ['203.0.113.0/24'] } }] })]);
    const web = parseCidr('203.0.113.0/24');

    expect(reach.externalPieces('egress')).toContainEqual(web);
    expect(allowed(reach, 'shop/db', '203.0.113.5', 443)).toBe(true);
    expect(allowed(reach, 'shop/db', '198.51.100.7', 443)).toBe(false);
    expect(allowed(reach, 'ops/tool', '198.51.100.7', 443)).toBe(true);
  });

  it('profile IPv6 nets list IPv6 ranges', () => {
    const reach = model([...base, calicoProfile('kns.shop', { ingress: [{ action: 'Allow' }], egress: [{ action: 'Allow', destination: { nets: ['2001:db8::/32'] } }] })]);
    const external = computeMatrix(reach).filter((entry) => entry.source.kind === 'workload' && entry.source.workload.name === 'db' && entry.destination.kind === 'external');

    expect(external.map((entry) => (entry.destination.kind === 'external' ? formatRange(entry.destination.range) : ''))).toEqual(['2001:db8::-2001:db8:ffff:ffff:ffff:ffff:ffff:ffff']);
    expect(computeMatrix(model(base)).some((entry) => entry.destination.kind === 'external' && entry.destination.range.family === 6)).toBe(false);
  });
});

describe('Calico Profile verdicts', () => {
  it('name the deciding profile rule', () => {
    const reach = model([...base, calicoProfile('kns.shop', { ingress: [{ action: 'Deny', source: { selector: "app == 'tool'" } }, { action: 'Allow' }], egress: [{ action: 'Allow' }] })]);
    const verdict = explainConnection(reach, endpoint(reach, 'ops/tool'), endpoint(reach, 'shop/db'), PROTOCOL.TCP, 5432);

    expect(verdict.allowed).toBe(false);
    expect(verdict.ingress).toMatchObject({ decidedBy: 'profile-rule', allowed: false, rule: 1, action: 'Deny', profile: { name: 'kns.shop', source: { file: 'snapshot.yaml', document: 6, path: '$' } } });
    expect(verdict.ingress.sentence).toBe(`no policy selects the destination, so its profiles decide; denied by Calico Profile kns.shop, ingress rule 1 (Deny from selector "app == 'tool'").`);
    expect(verdict.egress.decidedBy).toBe('no-policy');
  });

  it('say when no profile allows', () => {
    const reach = model([...base, calicoProfile('kns.shop', { egress: [{ action: 'Allow' }] })]);
    const verdict = explainConnection(reach, endpoint(reach, 'ops/tool'), endpoint(reach, 'shop/db'), PROTOCOL.TCP, 5432);

    expect(verdict.ingress).toMatchObject({ decidedBy: 'end-of-profiles', allowed: false, profiles: [{ name: 'kns.shop' }, { name: 'ksa.shop.default' }] });
    expect(verdict.ingress.sentence).toContain('denied: no rule of Calico Profiles kns.shop, ksa.shop.default allows TCP 5432');
  });

  it('say when the generated namespace profile allows', () => {
    const reach = model([...base, calicoProfile('ksa.shop.default', { labelsToApply: { 'pcsa.projectcalico.org/name': 'default' } })]);
    const verdict = explainConnection(reach, endpoint(reach, 'ops/tool'), endpoint(reach, 'shop/db'), PROTOCOL.TCP, 5432);

    expect(verdict.ingress).toMatchObject({ decidedBy: 'profile-rule', allowed: true, profile: { name: 'kns.shop' } });
    expect(verdict.ingress.profile?.source).toBeUndefined();
    expect(verdict.ingress.sentence).toContain('allowed by Calico Profile kns.shop, which Calico generates and the snapshot does not hold');
  });
});
