import { describe, expect, it } from 'vitest';
import { ConnSet, PROTOCOL, ReachModel, type ReachOptions } from '../../../src/engines/reach/index.js';
import { load, namespace, networkPolicy, pod, allowed, endpoint, calicoPolicy } from './support.js';

// One test per rule of networking.k8s.io/v1 NetworkPolicy semantics, as the Kubernetes documentation states
// them (https://kubernetes.io/docs/concepts/services-networking/network-policies/), each with a case that
// allows and a case that denies.

function model(documents: object[], options: ReachOptions = {}): ReachModel {
  return new ReachModel(load(documents).inventory, options);
}


const base = [namespace('shop', { team: 'shop' }), namespace('ops', { team: 'ops' }), pod('shop', 'db', { labels: { app: 'db' }, ports: [{ name: 'pg', containerPort: 5432 }] }), pod('shop', 'web', { labels: { app: 'web' } }), pod('ops', 'web', { labels: { app: 'web' } }), pod('ops', 'tool', { labels: { app: 'tool' } })];

describe('Kubernetes NetworkPolicy semantics', () => {
  it('allows everything without policies', () => {
    const reach = model(base);
    expect(allowed(reach, 'ops/tool', 'shop/db', 5432)).toBe(true);
    expect(reach.connections(endpoint(reach, 'ops/tool'), endpoint(reach, 'shop/db')).isAll()).toBe(true);
  });

  it('podSelector selects pods of its own namespace only', () => {
    const reach = model([...base, networkPolicy('shop', 'deny-web', { podSelector: { matchLabels: { app: 'web' } } })]);
    expect(allowed(reach, 'ops/tool', 'shop/web', 80)).toBe(false);
    expect(allowed(reach, 'ops/tool', 'ops/web', 80)).toBe(true);
  });

  it('empty podSelector selects every pod of the namespace', () => {
    const reach = model([...base, networkPolicy('shop', 'deny-all', { podSelector: {} })]);
    expect(allowed(reach, 'ops/tool', 'shop/web', 80)).toBe(false);
    expect(allowed(reach, 'ops/tool', 'shop/db', 5432)).toBe(false);
    expect(allowed(reach, 'shop/db', 'ops/tool', 80)).toBe(true);
  });

  it('policyTypes defaults to Ingress without egress rules', () => {
    // No egress rules: the policy does not isolate egress even though it selects the pod.
    const reach = model([...base, networkPolicy('shop', 'p', { podSelector: {}, ingress: [] })]);
    expect(allowed(reach, 'shop/web', 'ops/tool', 80)).toBe(true);
    expect(allowed(reach, 'ops/tool', 'shop/web', 80)).toBe(false);
  });

  it('policyTypes adds Egress when egress rules exist', () => {
    const reach = model([...base, networkPolicy('shop', 'p', { podSelector: { matchLabels: { app: 'web' } }, egress: [{ to: [{ podSelector: { matchLabels: { app: 'db' } } }] }] })]);
    expect(allowed(reach, 'shop/web', 'shop/db', 5432)).toBe(true);
    expect(allowed(reach, 'shop/web', 'ops/tool', 80)).toBe(false);
    // Ingress is in the defaulted types too, and no ingress rule exists.
    expect(allowed(reach, 'ops/tool', 'shop/web', 80)).toBe(false);
  });

  it('rules of a type not in policyTypes do nothing', () => {
    const reach = model([...base, networkPolicy('shop', 'p', { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Egress'], ingress: [{ from: [{ podSelector: { matchLabels: { app: 'db' } } }] }], egress: [{}] })]);
    // Ingress is not isolated, so the ingress rule that names only the db is ignored.
    expect(allowed(reach, 'ops/tool', 'shop/web', 80)).toBe(true);
    expect(allowed(reach, 'shop/web', 'ops/tool', 80)).toBe(true);
  });

  it('namespaceSelector with podSelector in one peer is an AND', () => {
    const reach = model([...base, networkPolicy('shop', 'p', { podSelector: { matchLabels: { app: 'db' } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'ops' } }, podSelector: { matchLabels: { app: 'web' } } }] }] })]);
    expect(allowed(reach, 'ops/web', 'shop/db', 5432)).toBe(true);
    expect(allowed(reach, 'ops/tool', 'shop/db', 5432)).toBe(false);
    expect(allowed(reach, 'shop/web', 'shop/db', 5432)).toBe(false);
  });

  it('separate peers are an OR', () => {
    const reach = model([...base, networkPolicy('shop', 'p', { podSelector: { matchLabels: { app: 'db' } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'ops' } } }, { podSelector: { matchLabels: { app: 'web' } } }] }] })]);
    expect(allowed(reach, 'ops/tool', 'shop/db', 5432)).toBe(true);
    expect(allowed(reach, 'shop/web', 'shop/db', 5432)).toBe(true);
  });

  it('a peer with only podSelector means the policy namespace', () => {
    const reach = model([...base, networkPolicy('shop', 'p', { podSelector: { matchLabels: { app: 'db' } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'web' } } }] }] })]);
    expect(allowed(reach, 'shop/web', 'shop/db', 5432)).toBe(true);
    expect(allowed(reach, 'ops/web', 'shop/db', 5432)).toBe(false);
  });

  it('ingress [{}] allows everything', () => {
    const reach = model([...base, networkPolicy('shop', 'p', { podSelector: {}, ingress: [{}] }), networkPolicy('shop', 'q', { podSelector: {} })]);
    expect(reach.connections(endpoint(reach, 'ops/tool'), endpoint(reach, 'shop/db')).isAll()).toBe(true);
    expect(allowed(reach, '203.0.113.9', 'shop/db', 5432)).toBe(true);
  });

  it('a rule without from matches every source but only its ports', () => {
    const reach = model([...base, networkPolicy('shop', 'p', { podSelector: { matchLabels: { app: 'db' } }, ingress: [{ ports: [{ port: 5432 }] }] })]);
    expect(allowed(reach, 'ops/tool', 'shop/db', 5432)).toBe(true);
    expect(allowed(reach, '198.51.100.1', 'shop/db', 5432)).toBe(true);
    expect(allowed(reach, 'ops/tool', 'shop/db', 22)).toBe(false);
  });

  it('a rule without ports matches every port', () => {
    const reach = model([...base, networkPolicy('shop', 'p', { podSelector: { matchLabels: { app: 'db' } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'web' } } }] }] })]);
    expect(allowed(reach, 'shop/web', 'shop/db', 22, PROTOCOL.UDP)).toBe(true);
    expect(allowed(reach, 'shop/web', 'shop/db', 65535, PROTOCOL.SCTP)).toBe(true);
  });

  it('label selector operators In, NotIn, Exists, DoesNotExist', () => {
    const pods = [namespace('lab'), pod('lab', 'target', { labels: { role: 'target' } }), pod('lab', 'blue', { labels: { colour: 'blue' } }), pod('lab', 'red', { labels: { colour: 'red' } }), pod('lab', 'plain', { labels: { x: 'y' } })];
    const only = (expression: object) => model([...pods, networkPolicy('lab', 'p', { podSelector: { matchLabels: { role: 'target' } }, ingress: [{ from: [{ podSelector: { matchExpressions: [expression] } }] }] })]);
    const from = (reach: ReachModel) => ['blue', 'red', 'plain'].filter((name) => allowed(reach, `lab/${name}`, 'lab/target', 80));
    expect(from(only({ key: 'colour', operator: 'In', values: ['blue'] }))).toEqual(['blue']);
    // NotIn also matches pods without the key.
    expect(from(only({ key: 'colour', operator: 'NotIn', values: ['blue'] }))).toEqual(['red', 'plain']);
    expect(from(only({ key: 'colour', operator: 'Exists' }))).toEqual(['blue', 'red']);
    expect(from(only({ key: 'colour', operator: 'DoesNotExist' }))).toEqual(['plain']);
  });

  it('numbered port and endPort range', () => {
    const reach = model([...base, networkPolicy('shop', 'p', { podSelector: { matchLabels: { app: 'db' } }, ingress: [{ ports: [{ port: 5000, endPort: 5010 }] }] })]);
    expect(allowed(reach, 'ops/tool', 'shop/db', 5000)).toBe(true);
    expect(allowed(reach, 'ops/tool', 'shop/db', 5010)).toBe(true);
    expect(allowed(reach, 'ops/tool', 'shop/db', 5011)).toBe(false);
  });

  it('protocol defaults to TCP; UDP and SCTP are distinct', () => {
    const reach = model([...base, networkPolicy('shop', 'p', { podSelector: { matchLabels: { app: 'db' } }, ingress: [{ ports: [{ port: 53 }, { port: 9000, protocol: 'SCTP' }] }] })]);
    expect(allowed(reach, 'ops/tool', 'shop/db', 53, PROTOCOL.TCP)).toBe(true);
    expect(allowed(reach, 'ops/tool', 'shop/db', 53, PROTOCOL.UDP)).toBe(false);
    expect(allowed(reach, 'ops/tool', 'shop/db', 9000, PROTOCOL.SCTP)).toBe(true);
    expect(allowed(reach, 'ops/tool', 'shop/db', 9000, PROTOCOL.TCP)).toBe(false);
  });

  it('named ports resolve per destination pod by name and protocol', () => {
    const documents = [
      namespace('app'),
      pod('app', 'a', { labels: { tier: 'api' }, ports: [{ name: 'http', containerPort: 8080 }] }),
      pod('app', 'b', { labels: { tier: 'api' }, ports: [{ name: 'http', containerPort: 9090 }] }),
      pod('app', 'c', { labels: { tier: 'api' }, ports: [{ name: 'http', containerPort: 7070, protocol: 'UDP' }] }),
      pod('app', 'client', { labels: { tier: 'client' } }),
      networkPolicy('app', 'p', { podSelector: { matchLabels: { tier: 'api' } }, ingress: [{ ports: [{ port: 'http' }] }] }),
    ];
    const reach = model(documents);
    expect(allowed(reach, 'app/client', 'app/a', 8080)).toBe(true);
    expect(allowed(reach, 'app/client', 'app/a', 9090)).toBe(false);
    expect(allowed(reach, 'app/client', 'app/b', 9090)).toBe(true);
    // The port named http on c is UDP, and the rule's protocol is TCP by default.
    expect(allowed(reach, 'app/client', 'app/c', 7070, PROTOCOL.UDP)).toBe(false);
    expect(allowed(reach, 'app/client', 'app/c', 7070, PROTOCOL.TCP)).toBe(false);
  });

  it('policy ports are pod ports, not Service ports', () => {
    const service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'db', namespace: 'shop' }, spec: { selector: { app: 'db' }, ports: [{ port: 80, targetPort: 5432 }] } };
    const reach = model([...base, service, networkPolicy('shop', 'p', { podSelector: { matchLabels: { app: 'db' } }, ingress: [{ ports: [{ port: 80 }] }] })]);
    // A policy that names the Service port 80 does not open the pod port 5432 behind it.
    expect(allowed(reach, 'ops/tool', 'shop/db', 5432)).toBe(false);
    expect(allowed(reach, 'ops/tool', 'shop/db', 80)).toBe(true);
  });

  it('ipBlock except carves addresses out of that peer only', () => {
    const reach = model([
      ...base,
      networkPolicy('shop', 'p', {
        podSelector: { matchLabels: { app: 'db' } },
        ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] } }] }, { from: [{ ipBlock: { cidr: '10.1.2.0/24' } }] }],
      }),
    ]);
    expect(allowed(reach, '10.2.0.1', 'shop/db', 5432)).toBe(true);
    expect(allowed(reach, '10.1.9.1', 'shop/db', 5432)).toBe(false);
    // The except is no deny: another rule that allows 10.1.2.0/24 still does.
    expect(allowed(reach, '10.1.2.3', 'shop/db', 5432)).toBe(true);
  });

  it('ipBlocks match pod IPs only when the CNI applies them to pods', () => {
    const documents = [namespace('a'), pod('a', 'db', { labels: { app: 'db' }, ip: '10.0.5.5' }), pod('a', 'client', { labels: { app: 'client' }, ip: '10.0.9.9' }), networkPolicy('a', 'p', { podSelector: { matchLabels: { app: 'db' } }, ingress: [{ from: [{ ipBlock: { cidr: '10.0.9.0/24' } }] }] })];
    expect(allowed(model(documents, { ipBlocksMatchPods: true }), 'a/client', 'a/db', 5432)).toBe(true);
    expect(allowed(model(documents, { ipBlocksMatchPods: false }), 'a/client', 'a/db', 5432)).toBe(false);
  });

  it('ipBlock default follows the CNI found and says so', () => {
    const calico = { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'calico-node', namespace: 'kube-system' }, spec: { template: { metadata: { labels: { k8s: 'calico' } }, spec: { containers: [{ name: 'calico-node', image: 'docker.io/calico/node:v3.27.0' }] } } } };
    const cilium = { ...calico, metadata: { name: 'cilium', namespace: 'kube-system' }, spec: { template: { metadata: { labels: { k8s: 'cilium' } }, spec: { containers: [{ name: 'cilium-agent', image: 'quay.io/cilium/cilium:v1.15.0' }] } } } };
    const ipBlock = networkPolicy('kube-system', 'from-vpc', { podSelector: {}, ingress: [{ from: [{ ipBlock: { cidr: '10.0.0.0/8' } }] }] });
    const withCalico = model([namespace('kube-system'), calico, ipBlock]);
    expect(withCalico.cni.name).toBe('calico');
    expect(withCalico.ipBlocksMatchPods).toBe(true);
    expect(withCalico.assumptions[0]).toContain('calico');
    const withCilium = model([namespace('kube-system'), cilium]);
    expect(withCilium.cni.name).toBe('cilium');
    expect(withCilium.ipBlocksMatchPods).toBe(false);
  });

  it('ipBlock assumption only where a rule names addresses', () => {
    const selectors = networkPolicy('shop', 'web-only', { podSelector: {}, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'web' } } }] }] });
    expect(model([...base, selectors]).assumptions.filter((text) => text.includes('ipBlocks'))).toEqual([]);
    const egressBlock = networkPolicy('ops', 'to-vpc', { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/8' } }] }] });
    expect(model([...base, selectors, egressBlock]).assumptions.filter((text) => text.includes('ipBlocks'))).toHaveLength(1);
    const calicoNets = calicoPolicy('NetworkPolicy', 'from-vpc', { selector: 'all()', ingress: [{ action: 'Allow', source: { notNets: ['10.0.0.0/8'] } }] }, 'shop');
    expect(model([...base, calicoNets]).assumptions.filter((text) => text.includes('ipBlocks'))).toHaveLength(1);
  });

  it('a connection needs the source egress and the destination ingress', () => {
    const egressOnly = networkPolicy('ops', 'out', { podSelector: { matchLabels: { app: 'tool' } }, policyTypes: ['Egress'], egress: [{ to: [{ namespaceSelector: { matchLabels: { team: 'shop' } } }] }] });
    const ingressOnly = networkPolicy('shop', 'in', { podSelector: { matchLabels: { app: 'db' } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'web' } } }] }] });
    const reach = model([...base, egressOnly, ingressOnly]);
    // The tool's egress allows the shop namespace, but the db's ingress admits only shop/web.
    expect(allowed(reach, 'ops/tool', 'shop/db', 5432)).toBe(false);
    expect(allowed(reach, 'ops/tool', 'shop/web', 80)).toBe(true);
    expect(allowed(reach, 'ops/tool', 'ops/web', 80)).toBe(false);
  });

  it('policies selecting the same pod are a union', () => {
    const reach = model([
      ...base,
      networkPolicy('shop', 'one', { podSelector: { matchLabels: { app: 'db' } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'web' } } }], ports: [{ port: 5432 }] }] }),
      networkPolicy('shop', 'two', { podSelector: { matchLabels: { app: 'db' } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'ops' } } }], ports: [{ port: 9187 }] }] }),
    ]);
    expect(allowed(reach, 'shop/web', 'shop/db', 5432)).toBe(true);
    expect(allowed(reach, 'ops/tool', 'shop/db', 9187)).toBe(true);
    expect(allowed(reach, 'ops/tool', 'shop/db', 5432)).toBe(false);
  });

  it('hostNetwork pods are not selected by pod selectors', () => {
    const documents = [...base, pod('shop', 'agent', { labels: { app: 'web' }, hostNetwork: true, nodeName: 'node-a', ip: '192.0.2.10' }), networkPolicy('shop', 'p', { podSelector: {}, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'web' } } }] }] })];
    const reach = model(documents);
    // The host-network pod carries app=web but is not selected: not isolated, and not a peer either.
    expect(allowed(reach, 'ops/tool', 'shop/agent', 80)).toBe(true);
    expect(allowed(reach, 'shop/agent', 'shop/db', 5432)).toBe(false);
    expect(allowed(reach, 'shop/web', 'shop/db', 5432)).toBe(true);
  });

  it('traffic from the pod own node is allowed', () => {
    const documents = [
      namespace('shop'),
      pod('shop', 'db', { labels: { app: 'db' }, nodeName: 'node-a' }),
      pod('shop', 'kubelet-probe', { labels: { app: 'agent' }, hostNetwork: true, nodeName: 'node-a', ip: '192.0.2.10' }),
      pod('shop', 'other-node-agent', { labels: { app: 'agent' }, hostNetwork: true, nodeName: 'node-b', ip: '192.0.2.11' }),
      networkPolicy('shop', 'deny', { podSelector: {} }),
    ];
    const reach = model(documents);
    expect(allowed(reach, 'shop/kubelet-probe', 'shop/db', 5432)).toBe(true);
    expect(allowed(reach, 'shop/other-node-agent', 'shop/db', 5432)).toBe(false);
  });
});

describe('connection sets', () => {
  it('unions, subtracts and formats like netpol-analyzer', () => {
    const tcp = ConnSet.range(PROTOCOL.TCP, 8080, 8081).union(ConnSet.port(PROTOCOL.UDP, 9090)).union(ConnSet.port(PROTOCOL.SCTP, 7070));
    expect(tcp.format()).toBe('SCTP 7070,TCP 8080-8081,UDP 9090');
    expect(ConnSet.ALL.format()).toBe('All Connections');
    expect(ConnSet.ALL.subtract(ConnSet.port(PROTOCOL.TCP, 22)).format()).toBe('All Connections except TCP 22');
    expect(tcp.subtract(ConnSet.port(PROTOCOL.TCP, 8080)).format()).toBe('SCTP 7070,TCP 8081,UDP 9090');
  });

  it('keeps equal sets equal however they were built', () => {
    const a = ConnSet.range(PROTOCOL.TCP, 1, 100).union(ConnSet.range(PROTOCOL.TCP, 101, 65535));
    expect(a.equals(ConnSet.protocol(PROTOCOL.TCP))).toBe(true);
    expect(ConnSet.ALL.subtract(ConnSet.protocol(PROTOCOL.TCP)).union(a).isAll()).toBe(true);
    expect(ConnSet.protocol(PROTOCOL.UDP).intersect(a).isEmpty()).toBe(true);
  });
});
