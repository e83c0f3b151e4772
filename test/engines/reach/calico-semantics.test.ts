import { describe, expect, it } from 'vitest';
import { matchesCalicoSelector, parseCalicoSelector, PROTOCOL, ReachModel, SelectorSyntaxError, synthesisePods } from '../../../src/engines/reach/index.js';
import { calicoPolicy, load, namespace, networkPolicy, pod, allowed, endpoint } from './support.js';

// Calico policy semantics as the projectcalico.org/v3 resource reference describes them
// (https://docs.tigera.io/calico/latest/reference/resources/networkpolicy and globalnetworkpolicy).

function model(documents: object[]): ReachModel {
  return new ReachModel(load(documents).inventory);
}


const base = [
  namespace('shop', { team: 'shop' }),
  namespace('ops', { team: 'ops' }),
  pod('shop', 'db', { labels: { app: 'db' }, ports: [{ name: 'pg', containerPort: 5432 }], ip: '10.0.0.10' }),
  pod('shop', 'web', { labels: { app: 'web', tier: 'front' }, serviceAccountName: 'web-sa', ip: '10.0.0.11' }),
  pod('ops', 'tool', { labels: { app: 'tool' }, ip: '10.0.1.12' }),
];

describe('Calico selector expressions', () => {
  const matches = (selector: string, labels: Record<string, string>) => matchesCalicoSelector(parseCalicoSelector(selector), { labels });

  it('== and != (which also matches without the label)', () => {
    expect(matches("app == 'db'", { app: 'db' })).toBe(true);
    expect(matches("app == 'db'", {})).toBe(false);
    expect(matches("app != 'db'", { app: 'web' })).toBe(true);
    expect(matches("app != 'db'", {})).toBe(true);
    expect(matches("app != 'db'", { app: 'db' })).toBe(false);
  });

  it('has() and !has()', () => {
    expect(matches('has(app)', { app: '' })).toBe(true);
    expect(matches('!has(app)', { app: 'x' })).toBe(false);
    expect(matches('!has(app)', {})).toBe(true);
  });

  it('in {} and not in {}', () => {
    expect(matches("tier in {'a', 'b'}", { tier: 'b' })).toBe(true);
    expect(matches("tier in {'a', 'b'}", {})).toBe(false);
    expect(matches("tier not in {'a','b'}", {})).toBe(true);
    expect(matches("tier not in {'a','b'}", { tier: 'a' })).toBe(false);
  });

  it('&&, || with && binding tighter, and parentheses', () => {
    expect(matches("a == '1' || b == '2' && c == '3'", { a: '1' })).toBe(true);
    expect(matches("(a == '1' || b == '2') && c == '3'", { a: '1' })).toBe(false);
    expect(matches("!(a == '1') && has(b)", { b: 'x' })).toBe(true);
  });

  it('all(), the empty selector, and string operators', () => {
    expect(matches('all()', {})).toBe(true);
    expect(matches('', { any: 'x' })).toBe(true);
    expect(matches("name starts with 'web-'", { name: 'web-1' })).toBe(true);
    expect(matches("name ends with '-1'", { name: 'web-1' })).toBe(true);
    expect(matches("name contains 'eb'", {})).toBe(false);
    expect(matches('k8s.io/role == "x" && projectcalico.org/namespace == "ops"', { 'k8s.io/role': 'x', 'projectcalico.org/namespace': 'ops' })).toBe(true);
  });

  it('rejects invalid expressions with the position', () => {
    expect(() => parseCalicoSelector("app == db")).toThrow(SelectorSyntaxError);
    expect(() => parseCalicoSelector("(app == 'x'")).toThrow(/expected "\)" at the end/);
    expect(() => parseCalicoSelector("app === 'x'")).toThrow(/position/);
  });
});

describe('Calico policy semantics', () => {
  it('Kubernetes policies sit at order 1000: a lower Calico order decides first', () => {
    const deny = calicoPolicy('NetworkPolicy', 'deny-tool', { order: 100, selector: "app == 'db'", ingress: [{ action: 'Deny', source: { namespaceSelector: "team == 'ops'" } }] }, 'shop');
    const allowAll = networkPolicy('shop', 'allow-all', { podSelector: {}, ingress: [{}] });
    expect(allowed(model([...base, deny, allowAll]), 'ops/tool', 'shop/db', 5432)).toBe(false);
    const later = calicoPolicy('NetworkPolicy', 'deny-tool', { order: 2000, selector: "app == 'db'", ingress: [{ action: 'Deny', source: { namespaceSelector: "team == 'ops'" } }] }, 'shop');
    expect(allowed(model([...base, later, allowAll]), 'ops/tool', 'shop/db', 5432)).toBe(true);
  });

  it('first matching rule wins; Log does not decide', () => {
    const policy = calicoPolicy('NetworkPolicy', 'p', { selector: "app == 'db'", ingress: [{ action: 'Log' }, { action: 'Allow', protocol: 'TCP', destination: { ports: [5432] } }, { action: 'Deny' }] }, 'shop');
    const reach = model([...base, policy]);
    expect(allowed(reach, 'ops/tool', 'shop/db', 5432)).toBe(true);
    expect(allowed(reach, 'ops/tool', 'shop/db', 22)).toBe(false);
  });

  it('end of tier denies for selected endpoints only', () => {
    const policy = calicoPolicy('GlobalNetworkPolicy', 'db-only', { selector: "app == 'db'", ingress: [{ action: 'Allow', source: { selector: "app == 'web'" } }] });
    const reach = model([...base, policy]);
    expect(allowed(reach, 'ops/tool', 'shop/db', 5432)).toBe(false);
    expect(allowed(reach, 'shop/web', 'shop/db', 5432)).toBe(true);
    expect(allowed(reach, 'ops/tool', 'shop/web', 80)).toBe(true);
  });

  it('Pass skips to the next tier, and past the last to the profile', () => {
    const security = { ...(calicoPolicy('GlobalNetworkPolicy', 'security.pass-shop', { tier: 'security', selector: 'all()', ingress: [{ action: 'Pass', source: { namespaceSelector: "team == 'shop'" } }, { action: 'Deny' }] }) as object) };
    const reach = model([...base, security]);
    expect(allowed(reach, 'shop/web', 'shop/db', 5432)).toBe(true);
    expect(allowed(reach, 'ops/tool', 'shop/db', 5432)).toBe(false);
    const denyDefault = calicoPolicy('GlobalNetworkPolicy', 'default-deny', { selector: 'all()', types: ['Ingress'] });
    expect(allowed(model([...base, security, denyDefault]), 'shop/web', 'shop/db', 5432)).toBe(false);
    expect(reach.assumptions.join(' ')).toContain('security');
  });

  it('a namespaced rule selector means the policy namespace; namespaceSelector widens it', () => {
    const sameNamespace = calicoPolicy('NetworkPolicy', 'p', { selector: "app == 'db'", ingress: [{ action: 'Allow', source: { selector: 'all()' } }] }, 'shop');
    const reach = model([...base, sameNamespace]);
    expect(allowed(reach, 'shop/web', 'shop/db', 5432)).toBe(true);
    expect(allowed(reach, 'ops/tool', 'shop/db', 5432)).toBe(false);
    const withNamespaces = calicoPolicy('NetworkPolicy', 'p', { selector: "app == 'db'", ingress: [{ action: 'Allow', source: { namespaceSelector: "team == 'ops'", selector: "app == 'tool'" } }] }, 'shop');
    expect(allowed(model([...base, withNamespaces]), 'ops/tool', 'shop/db', 5432)).toBe(true);
  });

  it('serviceAccountSelector and serviceAccounts names', () => {
    const policy = calicoPolicy('GlobalNetworkPolicy', 'p', { selector: "app == 'db'", ingress: [{ action: 'Allow', source: { serviceAccounts: { names: ['web-sa'] } } }] });
    const reach = model([...base, policy]);
    expect(allowed(reach, 'shop/web', 'shop/db', 5432)).toBe(true);
    expect(allowed(reach, 'ops/tool', 'shop/db', 5432)).toBe(false);
    const bySelector = calicoPolicy('GlobalNetworkPolicy', 'q', { serviceAccountSelector: "projectcalico.org/name == 'web-sa'", egress: [{ action: 'Deny' }] });
    const denied = model([...base, bySelector]);
    expect(allowed(denied, 'shop/web', 'ops/tool', 80)).toBe(false);
    expect(allowed(denied, 'shop/db', 'ops/tool', 80)).toBe(true);
  });

  it('nets and notNets', () => {
    const policy = calicoPolicy('NetworkPolicy', 'p', { selector: "app == 'db'", ingress: [{ action: 'Allow', source: { nets: ['192.168.0.0/16'], notNets: ['192.168.5.0/24'] } }] }, 'shop');
    const reach = model([...base, policy]);
    expect(allowed(reach, '192.168.1.1', 'shop/db', 5432)).toBe(true);
    expect(allowed(reach, '192.168.5.1', 'shop/db', 5432)).toBe(false);
    expect(allowed(reach, '172.16.0.1', 'shop/db', 5432)).toBe(false);
  });

  it('ports, port ranges, named ports and protocols', () => {
    const policy = calicoPolicy('NetworkPolicy', 'p', { selector: "app == 'db'", ingress: [{ action: 'Allow', protocol: 'TCP', destination: { ports: ['8000:8010', 'pg'] } }, { action: 'Allow', protocol: 'UDP', destination: { ports: [53] } }] }, 'shop');
    const reach = model([...base, policy]);
    expect(allowed(reach, 'ops/tool', 'shop/db', 8005)).toBe(true);
    expect(allowed(reach, 'ops/tool', 'shop/db', 5432)).toBe(true);
    expect(allowed(reach, 'ops/tool', 'shop/db', 8011)).toBe(false);
    expect(allowed(reach, 'ops/tool', 'shop/db', 53, PROTOCOL.UDP)).toBe(true);
    expect(allowed(reach, 'ops/tool', 'shop/db', 53, PROTOCOL.TCP)).toBe(false);
  });

  it('types default to Egress when only egress rules exist', () => {
    const policy = calicoPolicy('NetworkPolicy', 'p', { selector: "app == 'web'", egress: [{ action: 'Deny' }] }, 'shop');
    const reach = model([...base, policy]);
    expect(allowed(reach, 'shop/web', 'ops/tool', 80)).toBe(false);
    expect(allowed(reach, 'ops/tool', 'shop/web', 80)).toBe(true);
  });

  it('NetworkSet and GlobalNetworkSet match by labels', () => {
    const globalSet = { apiVersion: 'projectcalico.org/v3', kind: 'GlobalNetworkSet', metadata: { name: 'partners', labels: { role: 'partner' } }, spec: { nets: ['198.51.100.0/24'] } };
    const localSet = { apiVersion: 'projectcalico.org/v3', kind: 'NetworkSet', metadata: { name: 'office', namespace: 'shop', labels: { role: 'office' } }, spec: { nets: ['203.0.113.0/24'] } };
    const global = calicoPolicy('GlobalNetworkPolicy', 'partners', { selector: "app == 'db'", ingress: [{ action: 'Allow', source: { selector: "role == 'partner'" } }] });
    const local = calicoPolicy('NetworkPolicy', 'office', { selector: "app == 'db'", ingress: [{ action: 'Allow', source: { selector: "role == 'office'" } }] }, 'shop');
    const reach = model([...base, globalSet, localSet, global, local]);
    expect(allowed(reach, '198.51.100.7', 'shop/db', 5432)).toBe(true);
    expect(allowed(reach, '203.0.113.7', 'shop/db', 5432)).toBe(true);
    expect(allowed(reach, '192.0.2.7', 'shop/db', 5432)).toBe(false);
  });

  it('doNotTrack, preDNAT and applyOnForward are reported as not modelled', () => {
    const policy = calicoPolicy('GlobalNetworkPolicy', 'host', { selector: 'all()', doNotTrack: true, applyOnForward: true, ingress: [{ action: 'Deny' }] });
    const reach = model([...base, policy]);
    expect(allowed(reach, 'ops/tool', 'shop/db', 5432)).toBe(true);
    expect(reach.notModelled.join('\n')).toMatch(/doNotTrack.*host endpoints/);
    expect(reach.notModelled.join('\n')).toMatch(/applyOnForward/);
  });

  it('HTTP match criteria are reported, never silently dropped', () => {
    const policy = calicoPolicy('NetworkPolicy', 'p', { selector: "app == 'db'", ingress: [{ action: 'Allow', http: { methods: ['GET'] } }] }, 'shop');
    expect(model([...base, policy]).notModelled.join('\n')).toMatch(/HTTP methods or paths/);
  });
});

describe('pod synthesis', () => {
  it('synthesises one pod per workload without pods and leaves the inventory unchanged', () => {
    const deployment = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'api', namespace: 'shop' }, spec: { selector: { matchLabels: { app: 'api' } }, template: { metadata: { labels: { app: 'api' } }, spec: { containers: [{ name: 'api', ports: [{ name: 'http', containerPort: 8080 }] }] } } } };
    const running = { ...deployment, metadata: { name: 'web', namespace: 'shop' } };
    const webPod = pod('shop', 'web-7d4f9-abcde', { labels: { app: 'web' }, owner: { kind: 'Deployment', name: 'web' } });
    const { inventory } = load([namespace('shop'), deployment, running, webPod]);
    const before = inventory.data.pods.length;
    const synthesised = synthesisePods(inventory);
    expect(synthesised.map((candidate) => candidate.synthesisedFrom)).toEqual(['Deployment/shop/api']);
    expect(synthesised[0]?.metadata.labels).toEqual({ app: 'api' });
    expect(inventory.data.pods.length).toBe(before);
    const reach = new ReachModel(inventory);
    expect(reach.pod('shop', 'api')?.workload).toEqual({ kind: 'Deployment', namespace: 'shop', name: 'api' });
    expect(reach.notModelled).toContain('1 workload has no Pods in the snapshot; one Pod per workload was synthesised from its pod template');
  });

  it('counts synthesised workloads in the plural', () => {
    const deployment = (name: string) => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: 'shop' }, spec: { selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name }] } } } });
    const reach = new ReachModel(load([namespace('shop'), deployment('api'), deployment('web')]).inventory);
    expect(reach.notModelled).toContain('2 workloads have no Pods in the snapshot; one Pod per workload was synthesised from its pod template');
  });
});
