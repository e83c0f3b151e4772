import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { explainConnection, hasDefaultDeny, PROTOCOL, ReachModel } from '../../../src/engines/reach/index.js';
import { loadDocuments } from '../../../src/inventory/load.js';
import { allowed, calicoPolicy, calicoTier, endpoint, load, namespace, networkPolicy, pod } from './support.js';

// Calico Tier objects, as the Tier resource (projectcalico.org/v3 TierSpec) and Felix's policy sorter
// (felix/calc/policy_sorter.go, TierLess) define them. The facts pinned here:
// - tiers run by spec.order, smallest first; a tier without an order runs after every tier with one, and
//   tiers of equal order run in name order;
// - a tier that policies name but that has no Tier object runs after every tier that has one;
// - spec.defaultAction decides what a tier's policies select but no rule decides: Deny (the default, and
//   what Felix does for any value but Pass) drops it, Pass hands it to the next tier;
// - Calico creates kube-admin (order 1000, Pass), default (1,000,000, Deny) and kube-baseline
//   (10,000,000, Pass) itself, and its CRD validation fixes those values.

function model(documents: object[]): ReachModel {
  return new ReachModel(load(documents).inventory);
}

const pods = [
  namespace('app'),
  pod('app', 'bad-1', { labels: { app: 'bad', quarantine: 'true' }, ip: '10.0.2.1' }),
  pod('app', 'backend-1', { labels: { app: 'backend' }, ip: '10.0.2.2', ports: [{ name: 'http', containerPort: 8080 }] }),
  pod('app', 'web-1', { labels: { app: 'web' }, ip: '10.0.2.3' }),
  pod('app', 'other-1', { labels: { app: 'other' }, ip: '10.0.2.4' }),
];

// The user's snapshot: a quarantine tier that denies quarantined sources and passes the rest, and a
// debugging tier that allows TCP 9999 to every pod.
const quarantine = calicoPolicy('GlobalNetworkPolicy', 'zz-first.quarantine', { tier: 'zz-first', order: 10, selector: 'all()', types: ['Ingress'], ingress: [{ action: 'Deny', source: { selector: "quarantine == 'true'" } }, { action: 'Pass' }] });
const allowDebug = calicoPolicy('GlobalNetworkPolicy', 'aa-second.allow-debug', { tier: 'aa-second', order: 10, selector: 'all()', types: ['Ingress'], ingress: [{ action: 'Allow', protocol: 'TCP', destination: { ports: [9999] } }, { action: 'Pass' }] });

/** A Kubernetes policy in the default tier that admits only app=web to the backend. */
const backendFromWeb = networkPolicy('app', 'backend-from-web', { podSelector: { matchLabels: { app: 'backend' } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'web' } } }] }] });

/** Explains bad-1 (or another pod) to backend-1 on a TCP port. */
function explain(reach: ReachModel, from: string, port: number) {
  return explainConnection(reach, endpoint(reach, from), endpoint(reach, 'app/backend-1'), PROTOCOL.TCP, port);
}

describe('Calico tier order', () => {
  it('orders tiers by spec.order, not by name', () => {
    const reach = model([...pods, quarantine, allowDebug, calicoTier('zz-first', { order: 10 }), calicoTier('aa-second', { order: 200 }), calicoTier('default', { order: 1_000_000, defaultAction: 'Deny' })]);
    const verdict = explain(reach, 'app/bad-1', 9999);

    expect(verdict.allowed).toBe(false);
    expect(verdict.ingress.sentence).toBe('denied by Calico GlobalNetworkPolicy zz-first.quarantine ingress rule 1 (Deny from selector "quarantine == \'true\'").');
    expect(verdict.assumptions.join(' ')).not.toContain('tier');
    expect(allowed(reach, 'app/web-1', 'app/backend-1', 9999)).toBe(true);
  });

  it('guesses name order without Tiers', () => {
    const reach = model([...pods, quarantine, allowDebug]);
    const verdict = explain(reach, 'app/bad-1', 9999);

    expect(verdict.allowed).toBe(true);
    expect(verdict.ingress.policy?.name).toBe('aa-second.allow-debug');
    expect(verdict.assumptions).toContain(
      "the snapshot has no Calico Tier objects, so the order of tiers aa-second, zz-first is not known; they are evaluated in name order before the default tier, and what their policies select but do not decide is denied (defaultAction Deny, Calico's default)",
    );
  });

  it('runs a late tier after default', () => {
    const tiers = (order: number) => [calicoTier('zz-first', { order: 10 }), calicoTier('aa-second', { order })];
    const late = model([...pods, quarantine, allowDebug, backendFromWeb, ...tiers(2_000_000)]);
    const verdict = explain(late, 'app/other-1', 9999);

    // The Kubernetes policy in the default tier (order 1,000,000) denies before aa-second allows.
    expect(verdict.allowed).toBe(false);
    expect(verdict.ingress).toMatchObject({ decidedBy: 'end-of-tier', action: 'Deny', tier: 'default', passedBy: [{ tier: 'zz-first', by: 'rule' }] });
    expect(verdict.ingress.sentence).toBe(
      "denied: NetworkPolicy app/backend-from-web selects the destination for ingress in tier default and no rule of it matches TCP 9999 after tier zz-first (Calico GlobalNetworkPolicy zz-first.quarantine ingress rule 2: Pass from anywhere) passed it on, so the tier's defaultAction Deny drops it.",
    );
    expect(allowed(late, 'app/web-1', 'app/backend-1', 9999)).toBe(true);
    expect(allowed(model([...pods, quarantine, allowDebug, backendFromWeb, ...tiers(200)]), 'app/other-1', 'app/backend-1', 9999)).toBe(true);
  });

  it('runs an unordered tier last', () => {
    const denyAll = calicoPolicy('GlobalNetworkPolicy', 'unordered.deny', { tier: 'unordered', selector: "app == 'backend'", types: ['Ingress'], ingress: [{ action: 'Deny' }] });
    const allowAll = calicoPolicy('GlobalNetworkPolicy', 'ordered.allow', { tier: 'ordered', selector: "app == 'backend'", types: ['Ingress'], ingress: [{ action: 'Allow' }] });
    // Order 20,000,000 is after kube-baseline, and still before a tier without an order.
    const reach = model([...pods, denyAll, allowAll, calicoTier('unordered'), calicoTier('ordered', { order: 20_000_000 })]);

    expect(allowed(reach, 'app/other-1', 'app/backend-1', 80)).toBe(true);
    expect(allowed(model([...pods, denyAll, allowAll, calicoTier('unordered', { order: 1 }), calicoTier('ordered', { order: 20_000_000 })]), 'app/other-1', 'app/backend-1', 80)).toBe(false);
  });

  it('runs tiers of equal order in name order', () => {
    const policy = (tier: string, action: string) => calicoPolicy('GlobalNetworkPolicy', `${tier}.backend`, { tier, selector: "app == 'backend'", types: ['Ingress'], ingress: [{ action }] });
    const tiers = [calicoTier('alpha', { order: 100 }), calicoTier('beta', { order: 100 })];

    expect(allowed(model([...pods, ...tiers, policy('alpha', 'Allow'), policy('beta', 'Deny')]), 'app/other-1', 'app/backend-1', 80)).toBe(true);
    expect(allowed(model([...pods, ...tiers, policy('alpha', 'Deny'), policy('beta', 'Allow')]), 'app/other-1', 'app/backend-1', 80)).toBe(false);
  });

  it('runs a tier without object last', () => {
    const reach = model([...pods, quarantine, allowDebug, backendFromWeb, calicoTier('zz-first', { order: 10 })]);

    // aa-second has no Tier object, so it runs after the default tier, whose end denies first.
    expect(allowed(reach, 'app/other-1', 'app/backend-1', 9999)).toBe(false);
    expect(allowed(reach, 'app/web-1', 'app/backend-1', 9999)).toBe(true);
    expect(reach.assumptions).toContain(
      'the snapshot has Calico Tier objects but none for tier aa-second; as Felix does for a tier without a Tier object, it is evaluated after every tier that has one, in name order, and what its policies select but do not decide is denied',
    );
    expect(reach.assumptions.join(' ')).not.toContain('zz-first');
    // Without any Tier object the guess puts aa-second before the default tier.
    expect(allowed(model([...pods, quarantine, allowDebug, backendFromWeb]), 'app/other-1', 'app/backend-1', 9999)).toBe(true);
  });

  it('puts a missing object after unordered', () => {
    const denyDebug = calicoPolicy('GlobalNetworkPolicy', 'late.deny-debug', { tier: 'late', selector: 'all()', types: ['Ingress'], ingress: [{ action: 'Deny', protocol: 'TCP', destination: { ports: [9999] } }, { action: 'Pass' }] });
    // late has a Tier object without an order, aa-second none; name order alone would put aa-second first.
    const reach = model([...pods, allowDebug, denyDebug, calicoTier('late')]);

    expect(explain(reach, 'app/other-1', 9999).ingress).toMatchObject({ decidedBy: 'rule', action: 'Deny', policy: { name: 'late.deny-debug' } });
    expect(allowed(reach, 'app/other-1', 'app/backend-1', 9999)).toBe(false);
  });

  it('keeps built-in tier values', () => {
    const adminDeniesBad = calicoPolicy('GlobalNetworkPolicy', 'kube-admin.backend', { tier: 'kube-admin', selector: "app == 'backend'", types: ['Ingress'], ingress: [{ action: 'Deny', source: { selector: "app == 'bad'" } }] });
    const baselineDenies = calicoPolicy('GlobalNetworkPolicy', 'kube-baseline.backend', { tier: 'kube-baseline', selector: "app == 'backend'", types: ['Ingress'], ingress: [{ action: 'Deny' }] });
    const defaultAllowsOther = calicoPolicy('GlobalNetworkPolicy', 'default.backend', { selector: "app == 'backend'", types: ['Ingress'], ingress: [{ action: 'Allow', source: { selector: "app == 'other'" } }, { action: 'Pass' }] });
    const reach = model([...pods, adminDeniesBad, baselineDenies, defaultAllowsOther]);

    // kube-admin (order 1000) denies bad and passes the rest by its defaultAction Pass.
    expect(allowed(reach, 'app/bad-1', 'app/backend-1', 80)).toBe(false);
    // The default tier allows other; kube-baseline (order 10,000,000) comes later and denies what default passes.
    expect(allowed(reach, 'app/other-1', 'app/backend-1', 80)).toBe(true);
    expect(allowed(reach, 'app/web-1', 'app/backend-1', 80)).toBe(false);
    expect(explain(reach, 'app/web-1', 80).ingress).toMatchObject({
      decidedBy: 'rule',
      policy: { name: 'kube-baseline.backend', tier: 'kube-baseline' },
      passedBy: [
        { tier: 'kube-admin', by: 'default-action' },
        { tier: 'default', by: 'rule' },
      ],
    });
    expect(reach.assumptions.join(' ')).not.toContain('tier');
  });
});

describe('Calico tier defaultAction', () => {
  // Allow rules only, which the engine evaluates as a union, and a Deny rule, which it evaluates in order.
  const webOnly = calicoPolicy('GlobalNetworkPolicy', 'security.backend-web', { tier: 'security', order: 10, selector: "app == 'backend'", types: ['Ingress'], ingress: [{ action: 'Allow', source: { selector: "app == 'web'" } }] });
  const noQuarantine = calicoPolicy('GlobalNetworkPolicy', 'security.no-quarantine', { tier: 'security', order: 20, selector: "app == 'backend'", types: ['Ingress'], ingress: [{ action: 'Deny', source: { selector: "quarantine == 'true'" } }, { action: 'Allow', protocol: 'TCP', destination: { ports: [8443] } }] });
  const otherOnly = networkPolicy('app', 'backend-from-other', { podSelector: { matchLabels: { app: 'backend' } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'other' } } }] }] });

  it('defaultAction Pass passes undecided traffic', () => {
    const reach = model([...pods, webOnly, otherOnly, calicoTier('security', { order: 100, defaultAction: 'Pass' })]);
    const verdict = explain(reach, 'app/other-1', 80);

    expect(allowed(reach, 'app/web-1', 'app/backend-1', 80)).toBe(true);
    expect(allowed(reach, 'app/other-1', 'app/backend-1', 80)).toBe(true);
    expect(allowed(reach, 'app/bad-1', 'app/backend-1', 80)).toBe(false);
    expect(verdict.allowed).toBe(true);
    expect(verdict.ingress).toMatchObject({ decidedBy: 'rule', policy: { name: 'backend-from-other', tier: 'default' }, passedBy: [{ tier: 'security', by: 'default-action' }] });
    expect(verdict.ingress.sentence).toContain('after tier security (no rule matched, and its defaultAction is Pass) passed it on.');
    // bad-1 passes security too, and the Kubernetes policy in the default tier denies it.
    expect(explain(reach, 'app/bad-1', 80).ingress).toMatchObject({ decidedBy: 'end-of-tier', action: 'Deny', tier: 'default' });
  });

  it('defaultAction Deny or unset denies', () => {
    for (const spec of [{ order: 100, defaultAction: 'Deny' }, { order: 100 }]) {
      const reach = model([...pods, webOnly, otherOnly, calicoTier('security', spec)]);
      const verdict = explain(reach, 'app/other-1', 80);

      expect(verdict.allowed).toBe(false);
      expect(verdict.ingress).toMatchObject({ decidedBy: 'end-of-tier', action: 'Deny', tier: 'security', selectingPolicies: [{ name: 'security.backend-web' }] });
      expect(verdict.ingress.sentence).toBe(
        "denied: Calico GlobalNetworkPolicy security.backend-web selects the destination for ingress in tier security and no rule of it matches TCP 80, so the tier's defaultAction Deny drops it.",
      );
      expect(allowed(reach, 'app/web-1', 'app/backend-1', 80)).toBe(true);
    }
  });

  it('lets rules decide before defaultAction Pass', () => {
    const reach = model([...pods, webOnly, noQuarantine, otherOnly, calicoTier('security', { order: 100, defaultAction: 'Pass' })]);

    expect(explain(reach, 'app/bad-1', 8443).ingress).toMatchObject({ decidedBy: 'rule', action: 'Deny', policy: { name: 'security.no-quarantine' } });
    expect(explain(reach, 'app/web-1', 8443).ingress).toMatchObject({ decidedBy: 'rule', action: 'Allow', policy: { name: 'security.backend-web' } });
    // other-1 on 8443 is allowed by the security tier; on 80 it passes to the default tier.
    expect(explain(reach, 'app/other-1', 8443).ingress).toMatchObject({ decidedBy: 'rule', action: 'Allow', policy: { name: 'security.no-quarantine' } });
    expect(explain(reach, 'app/other-1', 80).ingress).toMatchObject({ decidedBy: 'rule', policy: { name: 'backend-from-other' } });
  });

  it('agrees with the connection sets', () => {
    // With webOnly alone the security tier contains Allow rules only, which the connection sets take as a union.
    for (const policies of [[webOnly], [webOnly, noQuarantine]]) {
      for (const defaultAction of ['Pass', 'Deny']) {
        const reach = model([...pods, ...policies, otherOnly, calicoTier('security', { order: 100, defaultAction })]);
        for (const source of ['app/bad-1', 'app/web-1', 'app/other-1', '192.0.2.10']) {
          for (const port of [80, 8443, 9999]) {
            const verdict = explainConnection(reach, endpoint(reach, source), endpoint(reach, 'app/backend-1'), PROTOCOL.TCP, port);
            expect(verdict.allowed, `${policies.length} ${defaultAction} ${source} ${port}`).toBe(allowed(reach, source, 'app/backend-1', port));
          }
        }
      }
    }
  });

  it('reports an invalid defaultAction', () => {
    const reach = model([...pods, webOnly, calicoTier('security', { order: 100, defaultAction: 'Allow' })]);

    expect(allowed(reach, 'app/other-1', 'app/backend-1', 80)).toBe(false);
    expect(reach.notModelled).toContain(
      'Calico Tier security has defaultAction "Allow", which Calico accepts only as Deny or Pass; Felix denies at the end of a tier unless the action is Pass, so it is evaluated as Deny',
    );
    expect(model([...pods, calicoTier('security', { defaultAction: 'Allow' })]).notModelled.join(' ')).not.toContain('Calico Tier');
  });

  it('default deny needs a denying tier', () => {
    const denyAll = calicoPolicy('GlobalNetworkPolicy', 'security.deny-all', { tier: 'security', selector: 'all()', types: ['Ingress'] });
    const denyAllRule = calicoPolicy('GlobalNetworkPolicy', 'security.deny-all', { tier: 'security', selector: 'all()', types: ['Ingress'], ingress: [{ action: 'Deny' }] });

    expect(hasDefaultDeny(model([...pods, denyAll, calicoTier('security', { order: 100 })]), 'app', 'ingress')).toBe(true);
    expect(hasDefaultDeny(model([...pods, denyAll, calicoTier('security', { order: 100, defaultAction: 'Pass' })]), 'app', 'ingress')).toBe(false);
    expect(hasDefaultDeny(model([...pods, denyAllRule, calicoTier('security', { order: 100, defaultAction: 'Pass' })]), 'app', 'ingress')).toBe(true);
  });
});

describe('Calico Tier input', () => {
  const kubectlList = `apiVersion: v1
items:
- apiVersion: projectcalico.org/v3
  kind: Tier
  metadata:
    creationTimestamp: "2026-01-10T10:00:00Z"
    name: default
    resourceVersion: "812"
    uid: 5e0c1a2b-3c4d-4e5f-8a6b-7c8d9e0f1a2b
  spec:
    defaultAction: Deny
    order: 1000000
- apiVersion: projectcalico.org/v3
  kind: Tier
  metadata:
    creationTimestamp: "2026-01-10T10:00:00Z"
    name: security
    resourceVersion: "9120"
    uid: 6f1d2b3c-4d5e-4f60-9b7c-8d9e0f1a2b3c
  spec:
    defaultAction: Pass
    order: 100
kind: List
metadata:
  resourceVersion: ""
`;

  // calicoctl prints a typed list; on the Kubernetes datastore without the Calico API server, kubectl
  // lists the CRD form, whose order the API stores as a number too.
  const calicoctlList = `apiVersion: projectcalico.org/v3
items:
- apiVersion: projectcalico.org/v3
  kind: Tier
  metadata:
    name: security
  spec:
    defaultAction: Pass
    order: 100
kind: TierList
metadata:
  resourceVersion: "9120"
`;
  const crd = `apiVersion: crd.projectcalico.org/v1
kind: Tier
metadata:
  name: security
spec:
  order: 100
  defaultAction: Pass
`;

  it('reads kubectl, calicoctl and CRD output', () => {
    for (const text of [kubectlList, calicoctlList, crd]) {
      const { inventory, problems, ignored } = loadDocuments({ 'kubernetes/tiers.yaml': [parse(text)] });

      expect(problems).toEqual([]);
      expect(ignored).toEqual([]);
      expect(inventory.has('CalicoTier')).toBe(true);
      const security = inventory.data.calicoTiers.find((tier) => tier.metadata.name === 'security');
      expect(security?.spec).toEqual({ order: 100, defaultAction: 'Pass' });
      expect(security?.source.file).toBe('kubernetes/tiers.yaml');
    }
  });

  it('keeps one copy per Tier', () => {
    const { inventory, problems } = loadDocuments({ 'a.yaml': [parse(kubectlList)], 'b.yaml': [parse(crd)] });

    expect(inventory.data.calicoTiers.map((tier) => tier.metadata.name)).toEqual(['default', 'security']);
    expect(problems.map((problem) => problem.message)).toEqual(['duplicates projectcalico.org/Tier security from a.yaml; the first copy is used']);
  });

  it('rejects a non-numeric order', () => {
    const { inventory, problems } = loadDocuments({ 'tiers.yaml': [{ apiVersion: 'projectcalico.org/v3', kind: 'Tier', metadata: { name: 'security' }, spec: { order: 'first' } }] });

    expect(inventory.data.calicoTiers).toEqual([]);
    expect(problems).toEqual([expect.objectContaining({ level: 'error', file: 'tiers.yaml', path: '$.spec.order' })]);
  });

  it('resolves tier facts by source', () => {
    const { inventory } = loadDocuments({ 'pods.yaml': pods, 'calico.yaml': [quarantine, allowDebug], 'tiers.yaml': [parse(kubectlList)] });
    const reach = new ReachModel(inventory);

    expect(reach.tierFacts('security')).toMatchObject({ order: 100, defaultAction: 'Pass', basis: 'object', source: { file: 'tiers.yaml', path: '$.items[1]' } });
    expect(reach.tierFacts('kube-admin')).toEqual({ name: 'kube-admin', order: 1000, defaultAction: 'Pass', basis: 'built-in' });
    // The snapshot has Tier objects, but none for the two tiers its policies name.
    expect(reach.tierFacts('zz-first').basis).toBe('no-object');
    expect(reach.tierFacts('unused').basis).toBe('no-object');
    // The assumptions name the tiers of the policies only.
    expect(reach.assumptions.filter((text) => text.includes('Tier objects'))).toEqual([
      'the snapshot has Calico Tier objects but none for tiers aa-second, zz-first; as Felix does for a tier without a Tier object, they are evaluated after every tier that has one, in name order, and what their policies select but do not decide is denied',
    ]);
  });
});
