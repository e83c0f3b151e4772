import { describe, expect, it } from 'vitest';
import { explainConnection, PROTOCOL, ReachModel, type CompiledRule } from '../../../src/engines/reach/index.js';
import { calicoPolicy, load, namespace, networkPolicy, pod, endpoint } from './support.js';

// The parts of a verdict besides allowed or denied: the rule summaries, the Pass rules and generated profiles
// that took part, and the notices that bear on the connection.

function model(documents: object[]): ReachModel {
  return new ReachModel(load(documents).inventory);
}

const base = [
  namespace('shop', { team: 'shop' }),
  namespace('ops', { team: 'ops' }),
  pod('shop', 'db', { labels: { app: 'db' }, ports: [{ name: 'pg', containerPort: 5432 }], ip: '10.0.0.10' }),
  pod('shop', 'web', { labels: { app: 'web' }, serviceAccountName: 'web-sa', ip: '10.0.0.11' }),
  pod('ops', 'tool', { labels: { app: 'tool' }, ip: '10.0.1.12' }),
];

/** Returns the summary of the first ingress rule of the first policy, compiled in a model of the base pods. */
function ingressSummary(policy: object): string {
  const reach = model([...base, policy]);
  return (reach.policies[0]?.rules.ingress[0] as CompiledRule).summary;
}

function egressSummary(policy: object): string {
  const reach = model([...base, policy]);
  return (reach.policies[0]?.rules.egress[0] as CompiledRule).summary;
}

describe('Calico rule summaries', () => {
  const ingress = (rule: object) => ingressSummary(calicoPolicy('NetworkPolicy', 'p', { selector: 'all()', ingress: [rule] }, 'shop'));
  const egress = (rule: object) => egressSummary(calicoPolicy('NetworkPolicy', 'p', { selector: 'all()', types: ['Egress'], egress: [rule] }, 'shop'));

  it('say from anywhere only without conditions', () => {
    expect(ingress({ action: 'Allow', protocol: 'TCP', destination: { ports: [8080] } })).toBe('Allow TCP from anywhere ports 8080');
  });

  it('name serviceAccounts by selector and by names', () => {
    expect(ingress({ action: 'Allow', protocol: 'TCP', source: { serviceAccounts: { selector: "role == 'svc'" } }, destination: { ports: [8080] } })).toBe(
      `Allow TCP from serviceAccounts {"selector":"role == 'svc'"} ports 8080`,
    );
    expect(ingress({ action: 'Allow', protocol: 'TCP', source: { serviceAccounts: { names: ['frontend'] }, notNets: ['10.0.2.12/32'] }, destination: { notPorts: [9000] } })).toBe(
      'Allow TCP from serviceAccounts {"names":["frontend"]} and notNets ["10.0.2.12/32"] not ports 9000',
    );
  });

  it('name namespaceSelector, services and the local entity', () => {
    expect(ingress({ action: 'Deny', source: { namespaceSelector: "team == 'ops'" } })).toBe(`Deny from namespaceSelector "team == 'ops'"`);
    expect(egress({ action: 'Allow', destination: { services: { name: 'db', namespace: 'shop' } } })).toBe('Allow to services {"name":"db","namespace":"shop"}');
    // A destination selector in an ingress rule narrows which local endpoints the rule applies to.
    expect(ingress({ action: 'Allow', destination: { selector: "app == 'db'" } })).toBe(`Allow from anywhere to selector "app == 'db'"`);
    expect(egress({ action: 'Allow', source: { selector: "app == 'web'" }, destination: { nets: ['10.0.0.0/8'] } })).toBe(`Allow to nets ["10.0.0.0/8"] from selector "app == 'web'"`);
  });

  it('name ICMP, IP version, source ports and HTTP', () => {
    expect(ingress({ action: 'Allow', protocol: 'ICMP', icmp: { type: 8, code: 0 } })).toBe('Allow ICMP from anywhere ICMP type 8 code 0');
    expect(ingress({ action: 'Deny', protocol: 'ICMP', notICMP: { type: 0 } })).toBe('Deny ICMP from anywhere not ICMP type 0');
    expect(ingress({ action: 'Allow', ipVersion: 6 })).toBe('Allow IPv6 from anywhere');
    expect(ingress({ action: 'Allow', protocol: 'UDP', source: { ports: ['1000:2000'] } })).toBe('Allow UDP from anywhere source ports 1000:2000');
    expect(ingress({ action: 'Allow', http: { methods: ['GET'] } })).toBe('Allow from anywhere HTTP {"methods":["GET"]}');
  });
});

describe('NetworkPolicy rule summaries', () => {
  it('say any source or any destination by direction', () => {
    expect(ingressSummary(networkPolicy('shop', 'all-in', { podSelector: {}, ingress: [{}] }))).toBe('from any source on any port');
    expect(egressSummary(networkPolicy('shop', 'all-out', { podSelector: {}, policyTypes: ['Egress'], egress: [{ ports: [{ port: 53, protocol: 'UDP' }] }] }))).toBe('to any destination on UDP 53');
  });

  it('name the namespace of a podSelector-only peer', () => {
    const policy = networkPolicy('shop', 'db', { podSelector: { matchLabels: { app: 'db' } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'web' } } }, { namespaceSelector: { matchLabels: { team: 'ops' } }, podSelector: {} }], ports: [{ port: 'pg' }] }] });
    expect(ingressSummary(policy)).toBe('from podSelector app=web in namespace shop or namespaceSelector team=ops and podSelector {} on TCP pg');
  });
});

describe('Pass and generated profile verdicts', () => {
  // Calico evaluates tiers in order. A Pass rule hands the connection to the next tier, and what passes the last
  // tier goes to the pod's profiles, which on the Kubernetes datastore allow everything (kns.<namespace>).
  const quarantine = calicoPolicy('GlobalNetworkPolicy', 'security.quarantine', { tier: 'security', order: 10, selector: 'all()', types: ['Ingress', 'Egress'], ingress: [{ action: 'Deny', source: { selector: "quarantine == 'true'" } }, { action: 'Pass' }], egress: [{ action: 'Pass' }] });
  const dbIngress = calicoPolicy('NetworkPolicy', 'default.db-clients', { tier: 'default', order: 100, selector: "app == 'db'", ingress: [{ action: 'Allow', protocol: 'TCP', source: { selector: "app == 'web'" }, destination: { ports: [5432] } }] }, 'shop');

  it('name the policy and rule that passed', () => {
    const reach = model([...base, quarantine, dbIngress]);
    const verdict = explainConnection(reach, endpoint(reach, 'shop/web'), endpoint(reach, 'shop/db'), PROTOCOL.TCP, 5432);
    expect(verdict.allowed).toBe(true);
    expect(verdict.ingress.passedBy).toEqual([{ tier: 'security', by: 'rule', policy: expect.objectContaining({ kind: 'CalicoGlobalNetworkPolicy', name: 'security.quarantine' }), rule: 2, ruleSummary: 'Pass from anywhere' }]);
    expect(verdict.ingress.sentence).toBe(
      `allowed by Calico NetworkPolicy shop/default.db-clients ingress rule 1 (Allow TCP from selector "app == 'web'" ports 5432) after tier security (Calico GlobalNetworkPolicy security.quarantine ingress rule 2: Pass from anywhere) passed it on.`,
    );
  });

  it('name the generated profile after a pass', () => {
    const reach = model([...base, quarantine, dbIngress]);
    const verdict = explainConnection(reach, endpoint(reach, 'shop/web'), endpoint(reach, 'shop/db'), PROTOCOL.TCP, 5432);
    expect(verdict.egress).toMatchObject({ decidedBy: 'passed-to-profile', profile: { name: 'kns.shop', generated: true } });
    expect(verdict.egress.passedBy).toEqual([expect.objectContaining({ tier: 'security', rule: 1, ruleSummary: 'Pass to anywhere' })]);
    expect(verdict.egress.sentence).toBe(
      'tier security (Calico GlobalNetworkPolicy security.quarantine egress rule 1: Pass to anywhere) passes it on, and Calico Profile kns.shop, which Calico generates and the snapshot does not hold, allows it.',
    );
  });

  it('name the generated profile where no policy selects under Calico', () => {
    const reach = model([...base, dbIngress]);
    expect(reach.cni.name).toBe('calico');
    const verdict = explainConnection(reach, endpoint(reach, 'shop/web'), endpoint(reach, 'ops/tool'), PROTOCOL.TCP, 80);
    expect(verdict.ingress).toMatchObject({ decidedBy: 'no-policy', profile: { name: 'kns.ops', generated: true } });
    expect(verdict.ingress.sentence).toContain('allowed by Calico Profile kns.ops, which Calico generates');
  });

  it('name no profile without Calico', () => {
    const reach = model(base);
    const verdict = explainConnection(reach, endpoint(reach, 'shop/web'), endpoint(reach, 'ops/tool'), PROTOCOL.TCP, 80);
    expect(verdict.ingress.profile).toBeUndefined();
    expect(verdict.ingress.sentence).toBe('no policy selects the destination, so it is allowed.');
  });

  it('name the denying tier end after a pass', () => {
    const reach = model([...base, quarantine, dbIngress]);
    const verdict = explainConnection(reach, endpoint(reach, 'ops/tool'), endpoint(reach, 'shop/db'), PROTOCOL.TCP, 5432);
    expect(verdict.ingress).toMatchObject({ decidedBy: 'end-of-tier', allowed: false, passedBy: [expect.objectContaining({ tier: 'security', rule: 2 })] });
  });
});

describe('Verdict notices', () => {
  it('include notices of layers and synthesised pods', () => {
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'api', namespace: 'shop' },
      spec: { selector: { matchLabels: { app: 'api' } }, template: { metadata: { labels: { app: 'api' } }, spec: { containers: [{ name: 'api', image: 'registry.example/api:1' }] } } },
    };
    const alb = { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'public', namespace: 'ops' }, spec: { ingressClassName: 'alb', defaultBackend: { service: { name: 'tool', port: { number: 80 } } } } };
    const albClass = { apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'alb' }, spec: { controller: 'ingress.k8s.aws/alb' } };
    const reach = model([...base, deployment, alb, albClass]);
    const verdict = explainConnection(reach, endpoint(reach, 'shop/web'), endpoint(reach, 'shop/db'), PROTOCOL.TCP, 5432);
    expect(verdict.notModelled).toContain('Ingress ops/public has IngressClass alb, whose controller ingress.k8s.aws/alb is not ingress-nginx; its routes are not modelled');
    expect(verdict.notModelled).toContain('1 workload has no Pods in the snapshot; one Pod per workload was synthesised from its pod template');
    expect(verdict.explanation).toContain('Not modelled: 1 workload has no Pods in the snapshot');
  });

  it('leave out notices of policies not consulted', () => {
    // The ops policy matches source ports, which the engine does not model, but it selects no pod of this connection.
    const unrelated = calicoPolicy('NetworkPolicy', 'sports', { selector: 'all()', ingress: [{ action: 'Allow', protocol: 'TCP', source: { ports: [1024] } }] }, 'ops');
    const reach = model([...base, unrelated]);
    const notice = 'Calico NetworkPolicy ops/sports ingress rule 1 matches source ports, which Rampart does not model; the rule is evaluated as if it matched every source port';
    expect(reach.notModelled).toContain(notice);
    expect(explainConnection(reach, endpoint(reach, 'shop/web'), endpoint(reach, 'shop/db'), PROTOCOL.TCP, 5432).notModelled).not.toContain(notice);
    expect(explainConnection(reach, endpoint(reach, 'shop/web'), endpoint(reach, 'ops/tool'), PROTOCOL.TCP, 80).notModelled).toContain(notice);
  });
});
