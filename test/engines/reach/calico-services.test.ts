import { describe, expect, it } from 'vitest';
import { PROTOCOL, ReachModel, type PodEndpoint } from '../../../src/engines/reach/index.js';
import { allowed, calicoPolicy, calicoProfile, endpointSlice, load, namespace, pod, service } from './support.js';

// Calico `services` rule matches (projectcalico.org/v3 EntityRule `services`), as Calico's documentation
// ("Use service rules in policy", the NetworkPolicy and GlobalNetworkPolicy references), libcalico-go's
// validator and Felix's service index define them. Each test names the fact it pins.

function model(documents: object[]): ReachModel {
  return new ReachModel(load(documents).inventory);
}

const namespaces = [namespace('shop'), namespace('ops'), namespace('kube-system'), namespace('default')];
const tool = pod('ops', 'tool', { labels: { app: 'tool' }, ip: '10.0.1.5' });
const db0 = pod('shop', 'db-0', { labels: { app: 'db' }, ports: [{ name: 'pg', containerPort: 5432 }], ip: '10.0.0.10' });
const db1 = pod('shop', 'db-1', { labels: { app: 'db' }, ports: [{ name: 'pg', containerPort: 5432 }], ip: '10.0.0.11' });
const web = pod('shop', 'web', { labels: { app: 'web' }, ports: [{ name: 'http', containerPort: 8080 }], ip: '10.0.0.20' });
const dbService = service('shop', 'db', { selector: { app: 'db' }, ports: [{ name: 'pg', port: 5432, targetPort: 'pg' }] });

/** Builds an egress policy for ops/tool that allows only what the destination entity matches. */
function toolEgressTo(destination: object, extra: object = {}): object {
  return calicoPolicy('NetworkPolicy', 'tool-egress', { selector: "app == 'tool'", types: ['Egress'], egress: [{ action: 'Allow', ...extra, destination }] }, 'ops');
}

function classId(reach: ReachModel, reference: string): number {
  const [namespaceName, name] = reference.split('/') as [string, string];
  return (reach.pod(namespaceName, name) as PodEndpoint).classId;
}

describe('Calico services: destination match', () => {
  // Felix builds the destination IP set of a Service from its EndpointSlices' addresses and ports only.
  const slice = endpointSlice('shop', 'db-7xk2p', 'db', [{ address: '10.0.0.10', pod: 'db-0' }], [{ name: 'pg', port: 5432 }]);
  const documents = [...namespaces, tool, db0, db1, web, dbService, slice, toolEgressTo({ services: { name: 'db', namespace: 'shop' } })];

  it('allows the endpoints the EndpointSlice lists', () => {
    expect(allowed(model(documents), 'ops/tool', 'shop/db-0', 5432)).toBe(true);
  });

  it('leaves out pods the EndpointSlice does not list', () => {
    // Membership is per endpoint address, so db-1 does not match though the Service selector would pick it.
    expect(allowed(model(documents), 'ops/tool', 'shop/db-1', 5432)).toBe(false);
    expect(allowed(model(documents), 'ops/tool', 'shop/web', 5432)).toBe(false);
  });

  it('limits the rule to the ports of the endpoints', () => {
    // A destination services match uses an IP-and-port set, so other ports of a member do not match.
    expect(allowed(model(documents), 'ops/tool', 'shop/db-0', 22)).toBe(false);
  });

  it('splits a class whose pods differ in membership', () => {
    const reach = model(documents);
    expect(classId(reach, 'shop/db-0')).not.toBe(classId(reach, 'shop/db-1'));
    expect(reach.classOf(reach.pod('shop', 'db-0') as PodEndpoint).services.has('shop/db')).toBe(true);
    expect(reach.classOf(reach.pod('shop', 'db-1') as PodEndpoint).services.has('shop/db')).toBe(false);
  });

  it('keeps pods with equal memberships in one class', () => {
    const both = endpointSlice('shop', 'db-7xk2p', 'db', [{ address: '10.0.0.10', pod: 'db-0' }, { address: '10.0.0.11', pod: 'db-1' }], [{ name: 'pg', port: 5432 }]);
    const reach = model([...namespaces, tool, db0, db1, dbService, both]);
    expect(classId(reach, 'shop/db-0')).toBe(classId(reach, 'shop/db-1'));
  });

  it('ignores the ready condition of an endpoint', () => {
    // Felix adds every endpoint address of a slice; it does not read the endpoint's conditions.
    const notReady = endpointSlice('shop', 'db-7xk2p', 'db', [{ address: '10.0.0.10', pod: 'db-0', ready: false }], [{ name: 'pg', port: 5432 }]);
    expect(allowed(model([...namespaces, tool, db0, dbService, notReady, toolEgressTo({ services: { name: 'db', namespace: 'shop' } })]), 'ops/tool', 'shop/db-0', 5432)).toBe(true);
  });

  it('takes target ports per slice, as the controller resolved them per pod', () => {
    // The EndpointSlice controller groups endpoints by their resolved ports, one slice per port set.
    const api0 = pod('shop', 'api-0', { labels: { app: 'api' }, ports: [{ name: 'http', containerPort: 8080 }], ip: '10.0.0.30' });
    const api1 = pod('shop', 'api-1', { labels: { app: 'api' }, ports: [{ name: 'http', containerPort: 9090 }], ip: '10.0.0.31' });
    const apiService = service('shop', 'api', { selector: { app: 'api' }, ports: [{ name: 'web', port: 80, targetPort: 'http' }] });
    const first = endpointSlice('shop', 'api-a1b2c', 'api', [{ address: '10.0.0.30', pod: 'api-0' }], [{ name: 'web', port: 8080 }]);
    const second = endpointSlice('shop', 'api-d3e4f', 'api', [{ address: '10.0.0.31', pod: 'api-1' }], [{ name: 'web', port: 9090 }]);
    const reach = model([...namespaces, tool, api0, api1, apiService, first, second, toolEgressTo({ services: { name: 'api', namespace: 'shop' } })]);
    expect(allowed(reach, 'ops/tool', 'shop/api-0', 8080)).toBe(true);
    expect(allowed(reach, 'ops/tool', 'shop/api-0', 9090)).toBe(false);
    expect(allowed(reach, 'ops/tool', 'shop/api-1', 9090)).toBe(true);
    expect(allowed(reach, 'ops/tool', 'shop/api-1', 80)).toBe(false);
  });

  it('adds no destination port for a slice port without a number', () => {
    // Felix gives a slice port whose number is null no IP set member.
    const noNumber = endpointSlice('shop', 'db-7xk2p', 'db', [{ address: '10.0.0.10', pod: 'db-0' }], [{ name: 'pg', port: null }]);
    const reach = model([...namespaces, tool, db0, dbService, noNumber, toolEgressTo({ services: { name: 'db', namespace: 'shop' } })]);
    expect(allowed(reach, 'ops/tool', 'shop/db-0', 5432)).toBe(false);
  });

  it('intersects the Service ports with the rule protocol', () => {
    // The rule's protocol and the IP-and-port set must both match: protocol UDP leaves only UDP ports.
    const dns = pod('kube-system', 'coredns-5d78c', { labels: { 'k8s-app': 'kube-dns' }, ports: [{ name: 'dns', containerPort: 53, protocol: 'UDP' }, { name: 'dns-tcp', containerPort: 53 }, { name: 'metrics', containerPort: 9153 }], ip: '10.0.2.2' });
    const dnsService = service('kube-system', 'kube-dns', { selector: { 'k8s-app': 'kube-dns' }, ports: [{ name: 'dns', port: 53, protocol: 'UDP' }, { name: 'dns-tcp', port: 53 }, { name: 'metrics', port: 9153 }] });
    const dnsSlice = endpointSlice('kube-system', 'kube-dns-q8w2e', 'kube-dns', [{ address: '10.0.2.2', pod: 'coredns-5d78c' }], [{ name: 'dns', port: 53, protocol: 'UDP' }, { name: 'dns-tcp', port: 53 }, { name: 'metrics', port: 9153 }]);
    const target = { services: { name: 'kube-dns', namespace: 'kube-system' } };
    const udpOnly = model([...namespaces, tool, dns, dnsService, dnsSlice, toolEgressTo(target, { protocol: 'UDP' })]);
    expect(allowed(udpOnly, 'ops/tool', 'kube-system/coredns-5d78c', 53, PROTOCOL.UDP)).toBe(true);
    expect(allowed(udpOnly, 'ops/tool', 'kube-system/coredns-5d78c', 53, PROTOCOL.TCP)).toBe(false);
    const anyProtocol = model([...namespaces, tool, dns, dnsService, dnsSlice, toolEgressTo(target)]);
    expect(allowed(anyProtocol, 'ops/tool', 'kube-system/coredns-5d78c', 53, PROTOCOL.TCP)).toBe(true);
    // Every port of the Service is allowed, the metrics port too.
    expect(allowed(anyProtocol, 'ops/tool', 'kube-system/coredns-5d78c', 9153)).toBe(true);
    expect(allowed(anyProtocol, 'ops/tool', 'kube-system/coredns-5d78c', 9153, PROTOCOL.UDP)).toBe(false);
  });

  it('matches endpoint addresses outside the pods, with their ports', () => {
    // The kubernetes Service's slice lists the API server's addresses, which belong to no pod.
    const kubernetes = service('default', 'kubernetes', { ports: [{ name: 'https', port: 443, targetPort: 443 }] });
    const apiServer = endpointSlice('default', 'kubernetes', 'kubernetes', [{ address: '10.0.100.5' }, { address: '10.0.100.6' }], [{ name: 'https', port: 443 }]);
    const reach = model([...namespaces, tool, kubernetes, apiServer, toolEgressTo({ services: { name: 'kubernetes', namespace: 'default' } })]);
    expect(allowed(reach, 'ops/tool', '10.0.100.5', 443)).toBe(true);
    expect(allowed(reach, 'ops/tool', '10.0.100.6', 443)).toBe(true);
    expect(allowed(reach, 'ops/tool', '10.0.100.5', 80)).toBe(false);
    expect(allowed(reach, 'ops/tool', '10.0.100.7', 443)).toBe(false);
    expect(reach.externalPieces('egress')).toContainEqual({ family: 4, from: 0x0a006405n, to: 0x0a006406n });
  });

  it('matches host-network pods by their node address', () => {
    // The IP set contains the node's address, which every host-network pod on that node uses.
    const exporter = pod('ops', 'node-exporter-x1', { labels: { app: 'node-exporter' }, ports: [{ name: 'metrics', containerPort: 9100 }], ip: '10.0.9.1', hostNetwork: true, nodeName: 'node-1' });
    const neighbour = pod('ops', 'log-agent-x1', { labels: { app: 'log-agent' }, ip: '10.0.9.1', hostNetwork: true, nodeName: 'node-1' });
    const elsewhere = pod('ops', 'log-agent-y2', { labels: { app: 'log-agent' }, ip: '10.0.9.2', hostNetwork: true, nodeName: 'node-2' });
    const exporterService = service('ops', 'node-exporter', { selector: { app: 'node-exporter' }, ports: [{ name: 'metrics', port: 9100 }] });
    const exporterSlice = endpointSlice('ops', 'node-exporter-h7j8k', 'node-exporter', [{ address: '10.0.9.1', pod: 'node-exporter-x1' }], [{ name: 'metrics', port: 9100 }]);
    const reach = model([...namespaces, tool, exporter, neighbour, elsewhere, exporterService, exporterSlice, toolEgressTo({ services: { name: 'node-exporter', namespace: 'ops' } })]);
    expect(allowed(reach, 'ops/tool', 'ops/node-exporter-x1', 9100)).toBe(true);
    expect(allowed(reach, 'ops/tool', 'ops/log-agent-x1', 9100)).toBe(true);
    expect(allowed(reach, 'ops/tool', 'ops/log-agent-y2', 9100)).toBe(false);
  });

  it('says the endpoints came from EndpointSlices', () => {
    expect(model(documents).notModelled).toContain('Calico rules match Service shop/db by the endpoints of its EndpointSlice in the snapshot');
  });
});

describe('Calico services: source match', () => {
  // A source services match uses an address-only IP set: the ports of the Service play no part.
  const webService = service('shop', 'web', { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] });
  const dbFromWeb = calicoPolicy('NetworkPolicy', 'db-from-web', { selector: "app == 'db'", ingress: [{ action: 'Allow', protocol: 'TCP', source: { services: { name: 'web' } }, destination: { ports: [5432] } }] }, 'shop');

  it('matches the endpoints as sources, on the rule ports', () => {
    const slice = endpointSlice('shop', 'web-p9o8i', 'web', [{ address: '10.0.0.20', pod: 'web' }], [{ name: 'http', port: 8080 }]);
    const reach = model([...namespaces, tool, db0, web, webService, slice, dbFromWeb]);
    expect(allowed(reach, 'shop/web', 'shop/db-0', 5432)).toBe(true);
    expect(allowed(reach, 'shop/web', 'shop/db-0', 22)).toBe(false);
    expect(allowed(reach, 'ops/tool', 'shop/db-0', 5432)).toBe(false);
  });

  it('matches endpoints of a slice without ports', () => {
    const portless = endpointSlice('shop', 'web-p9o8i', 'web', [{ address: '10.0.0.20', pod: 'web' }], []);
    expect(allowed(model([...namespaces, db0, web, webService, portless, dbFromWeb]), 'shop/web', 'shop/db-0', 5432)).toBe(true);
  });

  it('matches endpoint addresses outside the pods as sources', () => {
    const external = endpointSlice('shop', 'web-p9o8i', 'web', [{ address: '192.0.2.40' }], [{ name: 'http', port: 8080 }]);
    const reach = model([...namespaces, db0, webService, external, dbFromWeb]);
    expect(allowed(reach, '192.0.2.40', 'shop/db-0', 5432)).toBe(true);
    expect(allowed(reach, '192.0.2.41', 'shop/db-0', 5432)).toBe(false);
  });
});

describe('Calico services: selector fallback', () => {
  // Without EndpointSlices the engine predicts the controller's: selected pods, target ports per pod.
  const api0 = pod('shop', 'api-0', { labels: { app: 'api' }, ports: [{ name: 'http', containerPort: 8080 }], ip: '10.0.0.30' });
  const api1 = pod('shop', 'api-1', { labels: { app: 'api' }, ports: [{ name: 'http', containerPort: 9090 }], ip: '10.0.0.31' });
  const apiService = service('shop', 'api', { selector: { app: 'api' }, ports: [{ name: 'web', port: 80, targetPort: 'http' }] });
  const egress = toolEgressTo({ services: { name: 'api', namespace: 'shop' } });

  it('resolves a named target port on each pod', () => {
    const reach = model([...namespaces, tool, api0, api1, web, apiService, egress]);
    expect(allowed(reach, 'ops/tool', 'shop/api-0', 8080)).toBe(true);
    expect(allowed(reach, 'ops/tool', 'shop/api-0', 9090)).toBe(false);
    expect(allowed(reach, 'ops/tool', 'shop/api-1', 9090)).toBe(true);
    expect(allowed(reach, 'ops/tool', 'shop/web', 8080)).toBe(false);
  });

  it('allows no port on a pod without the named port', () => {
    // FindPort finds no container port named http, so the controller lists no port for this pod.
    const bare = pod('shop', 'api-2', { labels: { app: 'api' }, ip: '10.0.0.32' });
    const reach = model([...namespaces, tool, bare, apiService, egress]);
    expect(allowed(reach, 'ops/tool', 'shop/api-2', 8080)).toBe(false);
    expect(allowed(reach, 'ops/tool', 'shop/api-2', 80)).toBe(false);
  });

  it('matches a named port by its protocol', () => {
    // FindPort needs the container port's protocol to equal the Service port's.
    const udp = pod('shop', 'api-3', { labels: { app: 'api' }, ports: [{ name: 'http', containerPort: 8080, protocol: 'UDP' }], ip: '10.0.0.33' });
    expect(allowed(model([...namespaces, tool, udp, apiService, egress]), 'ops/tool', 'shop/api-3', 8080)).toBe(false);
  });

  it('uses the Service port when targetPort is unset', () => {
    const plain = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'api', namespace: 'shop' }, spec: { selector: { app: 'api' }, ports: [{ port: 7000 }] } };
    const reach = model([...namespaces, tool, api0, plain, egress]);
    expect(allowed(reach, 'ops/tool', 'shop/api-0', 7000)).toBe(true);
    expect(allowed(reach, 'ops/tool', 'shop/api-0', 8080)).toBe(false);
  });

  it('leaves out pods in phase Succeeded or Failed', () => {
    const done = pod('shop', 'api-job', { labels: { app: 'api' }, ports: [{ name: 'http', containerPort: 8080 }], ip: '10.0.0.34', phase: 'Succeeded' });
    const reach = model([...namespaces, tool, api0, done, apiService, egress]);
    expect(allowed(reach, 'ops/tool', 'shop/api-0', 8080)).toBe(true);
    expect(allowed(reach, 'ops/tool', 'shop/api-job', 8080)).toBe(false);
  });

  it('covers pods synthesised from workload templates', () => {
    const deployment = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'api', namespace: 'shop' }, spec: { selector: { matchLabels: { app: 'api' } }, template: { metadata: { labels: { app: 'api' } }, spec: { containers: [{ name: 'api', ports: [{ name: 'http', containerPort: 8080 }] }] } } } };
    expect(allowed(model([...namespaces, tool, deployment, apiService, egress]), 'ops/tool', 'shop/api', 8080)).toBe(true);
  });

  it('says the endpoints came from the selector', () => {
    const notices = model([...namespaces, tool, api0, apiService, egress]).notModelled;
    expect(notices).toContain('Calico rules match Service shop/api by its selector, because the snapshot has no EndpointSlice for it: its endpoints are taken to be the pods the selector matches, with target ports resolved on each pod');
  });
});

describe('Calico services: Services without endpoints', () => {
  it('matches nothing for a Service missing from the snapshot', () => {
    const reach = model([...namespaces, tool, db0, toolEgressTo({ services: { name: 'db', namespace: 'shop' } })]);
    expect(allowed(reach, 'ops/tool', 'shop/db-0', 5432)).toBe(false);
    expect(reach.notModelled).toContain('Calico NetworkPolicy ops/tool-egress egress rule 1 destination matches Service shop/db, which is not in the snapshot and has no EndpointSlices there; it matches no endpoint');
  });

  it('matches nothing for a Service without selector or EndpointSlices', () => {
    const manual = service('shop', 'db', { ports: [{ port: 5432 }] });
    const reach = model([...namespaces, tool, db0, manual, toolEgressTo({ services: { name: 'db', namespace: 'shop' } })]);
    expect(allowed(reach, 'ops/tool', 'shop/db-0', 5432)).toBe(false);
    expect(reach.notModelled.join('\n')).toContain('Service shop/db, which has no selector and no EndpointSlices in the snapshot');
  });

  it('matches nothing for an ExternalName Service', () => {
    const named = service('shop', 'db', { type: 'ExternalName', selector: { app: 'db' }, ports: [{ port: 5432 }] });
    const reach = model([...namespaces, tool, db0, named, toolEgressTo({ services: { name: 'db', namespace: 'shop' } })]);
    expect(allowed(reach, 'ops/tool', 'shop/db-0', 5432)).toBe(false);
    expect(reach.notModelled.join('\n')).toContain('Service shop/db, which is of type ExternalName');
  });

  it('uses EndpointSlices even without the Service object', () => {
    // Felix reads only the slices.
    const slice = endpointSlice('shop', 'db-7xk2p', 'db', [{ address: '10.0.0.10', pod: 'db-0' }], [{ name: 'pg', port: 5432 }]);
    expect(allowed(model([...namespaces, tool, db0, slice, toolEgressTo({ services: { name: 'db', namespace: 'shop' } })]), 'ops/tool', 'shop/db-0', 5432)).toBe(true);
  });
});

describe('Calico services: namespace', () => {
  // ServiceMatch.namespace: "If left empty, the rule will match within this policy's namespace."
  const slice = endpointSlice('shop', 'db-7xk2p', 'db', [{ address: '10.0.0.10', pod: 'db-0' }], [{ name: 'pg', port: 5432 }]);
  const egressFrom = (policyNamespace: string) => calicoPolicy('NetworkPolicy', 'egress', { selector: 'all()', types: ['Egress'], egress: [{ action: 'Allow', destination: { services: { name: 'db' } } }] }, policyNamespace);

  it('defaults to the namespace of a NetworkPolicy', () => {
    expect(allowed(model([...namespaces, web, db0, dbService, slice, egressFrom('shop')]), 'shop/web', 'shop/db-0', 5432)).toBe(true);
  });

  it('does not reach a same-named Service elsewhere', () => {
    const reach = model([...namespaces, tool, db0, dbService, slice, egressFrom('ops')]);
    expect(allowed(reach, 'ops/tool', 'shop/db-0', 5432)).toBe(false);
    expect(reach.notModelled.join('\n')).toContain('matches Service ops/db, which is not in the snapshot');
  });

  it('is required in a GlobalNetworkPolicy', () => {
    // libcalico-go's validator: "must specify a namespace" for services in a GlobalNetworkPolicy.
    const global = calicoPolicy('GlobalNetworkPolicy', 'tool-egress', { selector: "app == 'tool'", types: ['Egress'], egress: [{ action: 'Allow', destination: { services: { name: 'db' } } }] });
    const reach = model([...namespaces, tool, db0, dbService, slice, global]);
    expect(allowed(reach, 'ops/tool', 'shop/db-0', 5432)).toBe(false);
    expect(reach.notModelled).toContain('Calico GlobalNetworkPolicy tool-egress egress rule 1 destination matches Service db without a namespace, which Calico rejects in a GlobalNetworkPolicy; the rule matches nothing');
  });

  it('may be given in a GlobalNetworkPolicy', () => {
    const global = calicoPolicy('GlobalNetworkPolicy', 'tool-egress', { selector: "app == 'tool'", types: ['Egress'], egress: [{ action: 'Allow', destination: { services: { name: 'db', namespace: 'shop' } } }] });
    expect(allowed(model([...namespaces, tool, db0, dbService, slice, global]), 'ops/tool', 'shop/db-0', 5432)).toBe(true);
  });

  it('has no default in a Profile', () => {
    const profile = calicoProfile('kns.ops', { ingress: [{ action: 'Allow' }], egress: [{ action: 'Allow', destination: { services: { name: 'db' } } }] });
    const reach = model([...namespaces, tool, db0, dbService, slice, profile]);
    expect(allowed(reach, 'ops/tool', 'shop/db-0', 5432)).toBe(false);
    expect(reach.notModelled.join('\n')).toContain('a Profile has none to default to');
  });
});

describe('Calico services: rules the API rejects', () => {
  // libcalico-go's validator rejects these; the engine reports them and lets the rule match nothing.
  const slice = endpointSlice('shop', 'db-7xk2p', 'db', [{ address: '10.0.0.10', pod: 'db-0' }], [{ name: 'pg', port: 5432 }]);
  const target = { name: 'db', namespace: 'shop' };
  const cases: Array<{ fact: string; policy: object; from: string; message: string }> = [
    { fact: 'services with a selector', policy: toolEgressTo({ services: target, selector: "app == 'db'" }), from: 'ops/tool', message: 'combines services with selector, which Calico rejects' },
    { fact: 'services with namespaceSelector', policy: toolEgressTo({ services: target, namespaceSelector: 'all()' }), from: 'ops/tool', message: 'combines services with namespaceSelector, which Calico rejects' },
    { fact: 'services with nets', policy: toolEgressTo({ services: target, nets: ['10.0.0.0/8'] }), from: 'ops/tool', message: 'combines services with nets, which Calico rejects' },
    { fact: 'services with serviceAccounts', policy: toolEgressTo({ services: target, serviceAccounts: { names: ['default'] } }), from: 'ops/tool', message: 'combines services with serviceAccounts, which Calico rejects' },
    { fact: 'destination ports next to destination services', policy: toolEgressTo({ services: target, ports: [5432] }, { protocol: 'TCP' }), from: 'ops/tool', message: 'lists destination ports or notPorts next to a destination services match' },
    { fact: 'services without a name', policy: toolEgressTo({ services: { namespace: 'shop' } }), from: 'ops/tool', message: 'matches services without a name, which Calico rejects' },
    {
      fact: 'services in the source of an egress rule',
      policy: calicoPolicy('NetworkPolicy', 'web-egress', { selector: "app == 'web'", types: ['Egress'], egress: [{ action: 'Allow', source: { services: { name: 'web' } } }] }, 'shop'),
      from: 'shop/web',
      message: 'matches services in the source of an egress rule, which Calico rejects',
    },
  ];

  for (const { fact, policy, from, message } of cases) {
    it(`rejects ${fact}`, () => {
      const reach = model([...namespaces, tool, db0, web, dbService, slice, policy]);
      expect(allowed(reach, from, 'shop/db-0', 5432)).toBe(false);
      expect(reach.notModelled.join('\n')).toContain(message);
    });
  }

  it('rejects services in the destination of an ingress rule', () => {
    const policy = calicoPolicy('NetworkPolicy', 'db-ingress', { selector: "app == 'db'", ingress: [{ action: 'Allow', destination: { services: { name: 'db' } } }] }, 'shop');
    const reach = model([...namespaces, tool, db0, dbService, slice, policy]);
    expect(allowed(reach, 'ops/tool', 'shop/db-0', 5432)).toBe(false);
    expect(reach.notModelled.join('\n')).toContain('matches services in the destination of an ingress rule, which Calico rejects');
  });

  it('accepts destination ports next to source services', () => {
    // The resource reference: "Ports and NotPorts can only be specified with Services on ingress rules."
    const policy = calicoPolicy('NetworkPolicy', 'db-from-tool', { selector: "app == 'db'", ingress: [{ action: 'Allow', protocol: 'TCP', source: { services: { name: 'tool', namespace: 'ops' } }, destination: { ports: [5432] } }] }, 'shop');
    const toolService = service('ops', 'tool', { selector: { app: 'tool' }, ports: [{ port: 8080 }] });
    const reach = model([...namespaces, tool, db0, toolService, policy]);
    expect(allowed(reach, 'ops/tool', 'shop/db-0', 5432)).toBe(true);
    expect(reach.notModelled.join('\n')).not.toContain('Calico rejects');
  });
});
