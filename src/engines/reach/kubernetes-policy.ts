import type * as m from '../../inventory/model.js';
import type { LabelSelector } from '../../inventory/schemas/kubernetes.js';
import { matchesLabelSelector } from '../../inventory/selectors.js';
import { AddressSet, InvalidCidrError } from './addresses.js';
import { addressMatches, type CompileContext } from './context.js';
import type { EndpointClass, NamedPort } from './endpoints.js';
import { ConnSet, parseProtocol, protocolName } from './ports.js';
import type { CompiledPolicy, CompiledRule, Direction, Peer } from './policy.js';
import { compareText } from '../../compare.js';

// networking.k8s.io/v1 NetworkPolicy semantics, as the Kubernetes API reference defines them
// (https://kubernetes.io/docs/concepts/services-networking/network-policies/):
// - spec.podSelector selects pods in the policy's namespace only; {} selects all of them.
// - policyTypes defaults to [Ingress], plus Egress when spec.egress has at least one rule; rules of a type
//   the policy does not list have no effect.
// - A peer with both namespaceSelector and podSelector selects the matching pods of the matching
//   namespaces; separate peers are alternatives; a peer with only podSelector means the policy's namespace.
// - A rule without from/to matches every peer, without ports every port; a policy of a type with no rules
//   allows nothing of that type.
// - ipBlock except entries carve addresses out of that one peer; they deny nothing.
// - Ports are the pod's (container) ports; a named port resolves on each destination pod by name and
//   protocol; protocol defaults to TCP; endPort makes a range.
// - Pods with hostNetwork are never selected by pod or namespace selectors.
//
// Where Calico enforces them (context.kubernetesSelectorsSeeCalicoLabels), the selectors see the labels
// Calico evaluates. libcalico-go converts each NetworkPolicy into a Calico NetworkPolicy of the same
// namespace (lib/backend/k8s/conversion, k8sSelectorToCalico). A podSelector becomes a selector ANDed with
// `projectcalico.org/orchestrator == 'k8s'`, and a peer's namespaceSelector becomes the rule's
// namespaceSelector. Felix matches selectors against the workload endpoint's labels merged with the
// labels its profiles apply (labelsToApply), and a namespaceSelector against the `pcns.` labels of the
// namespace profile (see profiles.ts). So a profile label can make a policy select a pod or admit a peer.

type K8sPeer = NonNullable<m.NetworkPolicy['spec']['ingress']>[number]['from'] extends Array<infer P> | undefined ? P : never;
type K8sPort = NonNullable<NonNullable<m.NetworkPolicy['spec']['ingress']>[number]['ports']>[number];

export function compileKubernetesPolicy(policy: m.NetworkPolicy, id: number, context: CompileContext): CompiledPolicy {
  const namespace = policy.metadata.namespace ?? 'default';
  const name = `${namespace}/${policy.metadata.name}`;
  const spec = policy.spec;
  const notModelled: string[] = [];

  const types = new Set<Direction>();
  if (spec.policyTypes && spec.policyTypes.length > 0) {
    for (const type of spec.policyTypes) {
      if (type === 'Ingress') types.add('ingress');
      else if (type === 'Egress') types.add('egress');
      else notModelled.push(`NetworkPolicy ${name} has policyType ${JSON.stringify(type)}, which the API accepts only as Ingress or Egress; it is ignored`);
    }
  } else {
    types.add('ingress');
    if ((spec.egress ?? []).length > 0) types.add('egress');
  }

  const labelsOf = podLabels(context);
  const selectTable = context.cache.table(`k8s-select|${namespace}|${canonical(spec.podSelector)}`);
  const selects = (cls: EndpointClass) =>
    selectTable.get(cls, () => !cls.hostNetwork && cls.namespace === namespace && matchesLabelSelector(spec.podSelector, labelsOf(cls)));

  const rules: Record<Direction, CompiledRule[]> = {
    ingress: (spec.ingress ?? []).map((rule, index) => compileRule('ingress', index, rule.from, rule.ports, namespace, name, context)),
    egress: (spec.egress ?? []).map((rule, index) => compileRule('egress', index, rule.to, rule.ports, namespace, name, context)),
  };
  for (const rule of [...rules.ingress, ...rules.egress]) notModelled.push(...rule.notModelled);

  return {
    id,
    ref: { kind: 'NetworkPolicy', apiVersion: policy.apiVersion, namespace, name: policy.metadata.name, source: policy.source },
    flavour: 'kubernetes',
    tier: 'default',
    order: 1000,
    selects,
    types,
    rules,
    notModelled,
  };
}

function compileRule(
  direction: Direction,
  index: number,
  peers: K8sPeer[] | undefined,
  ports: K8sPort[] | undefined,
  namespace: string,
  policyName: string,
  context: CompileContext,
): CompiledRule {
  const notModelled: string[] = [];
  const where = `NetworkPolicy ${policyName} ${direction} rule ${index + 1}`;
  const remoteAddressSets: AddressSet[] = [];

  const peerTests: Array<(local: EndpointClass, remote: Peer) => boolean> = [];
  let namesPods = false;
  const anyPeer = peers === undefined || peers.length === 0;
  if (anyPeer) namesPods = true;
  for (const [peerIndex, peer] of (peers ?? []).entries()) {
    if (peer.ipBlock) {
      if (peer.podSelector || peer.namespaceSelector) notModelled.push(`${where} peer ${peerIndex + 1} combines ipBlock with a selector, which the API rejects; only the ipBlock is used`);
      const set = ipBlockSet(peer.ipBlock, where, notModelled);
      remoteAddressSets.push(set);
      const describe = () => `ipBlock ${peer.ipBlock?.cidr} in ${where}`;
      peerTests.push((_local, remote) => addressMatches(set, remote, context, describe));
      continue;
    }
    if (!peer.podSelector && !peer.namespaceSelector) {
      notModelled.push(`${where} peer ${peerIndex + 1} is empty, which the API rejects; it matches nothing here`);
      continue;
    }
    namesPods = true;
    const table = context.cache.table(`k8s-peer|${peer.namespaceSelector ? `ns=${canonical(peer.namespaceSelector)}` : `in=${namespace}`}|pod=${canonical(peer.podSelector)}`);
    const namespaceSelector = peer.namespaceSelector;
    const podSelector = peer.podSelector;
    const labelsOf = podLabels(context);
    const namespaceLabelsOf = namespaceLabels(context);
    peerTests.push((_local, remote) => {
      if (remote.kind !== 'class') return false;
      return table.get(remote.cls, () => {
        const cls = remote.cls;
        if (cls.hostNetwork) return false;
        if (namespaceSelector ? !matchesLabelSelector(namespaceSelector, namespaceLabelsOf(cls)) : cls.namespace !== namespace) return false;
        return matchesLabelSelector(podSelector, labelsOf(cls));
      });
    });
  }

  const portSpecs = compilePorts(ports ?? [], where, notModelled);
  const constantConnections = portSpecs.named.length === 0 ? portSpecs.numbered : undefined;
  const byDestination = new Map<number, ConnSet>();
  const destinationConnections = (destination: EndpointClass | undefined): ConnSet => {
    if (constantConnections) return constantConnections;
    if (!destination) return portSpecs.numbered;
    let value = byDestination.get(destination.id);
    if (!value) {
      value = portSpecs.numbered.union(resolveNamedPorts(portSpecs.named, destination.namedPorts));
      byDestination.set(destination.id, value);
    }
    return value;
  };

  return {
    direction,
    index,
    action: 'Allow',
    matches: anyPeer ? () => true : (local, remote) => peerTests.some((test) => test(local, remote)),
    connections: (local, remote) => destinationConnections(direction === 'ingress' ? local : remote.kind === 'class' ? remote.cls : undefined),
    summary: `${direction === 'ingress' ? 'from' : 'to'} ${describePeers(peers, direction, namespace)} on ${describePorts(ports)}`,
    remoteAddressSets,
    namesPods,
    notModelled,
  };
}

/** Returns the labels a podSelector matches: the endpoint's labels with its profiles' under Calico, else the pod's. */
function podLabels(context: CompileContext): (cls: EndpointClass) => Record<string, string> {
  return context.kubernetesSelectorsSeeCalicoLabels ? (cls) => cls.calicoLabels : (cls) => cls.labels;
}

/** Returns the labels a namespaceSelector matches: the namespace profile's `pcns.` labels under Calico, else the Namespace's. */
function namespaceLabels(context: CompileContext): (cls: EndpointClass) => Record<string, string> {
  return context.kubernetesSelectorsSeeCalicoLabels ? (cls) => cls.calicoNamespaceLabels : (cls) => cls.namespaceLabels;
}

interface CompiledPorts {
  numbered: ConnSet;
  named: Array<{ name: string; protocol: string }>;
}

function compilePorts(ports: K8sPort[], where: string, notModelled: string[]): CompiledPorts {
  if (ports.length === 0) return { numbered: ConnSet.ALL, named: [] };
  let numbered = ConnSet.NONE;
  const named: Array<{ name: string; protocol: string }> = [];
  for (const port of ports) {
    const protocolText = (port.protocol ?? 'TCP').toUpperCase();
    const protocol = parseProtocol(protocolText);
    if (protocol === undefined || !['TCP', 'UDP', 'SCTP'].includes(protocolText)) {
      notModelled.push(`${where} names protocol ${JSON.stringify(port.protocol)}, which the API accepts only as TCP, UDP or SCTP; that port entry matches nothing`);
      continue;
    }
    const value = typeof port.port === 'string' && /^\d+$/.test(port.port) ? Number(port.port) : port.port;
    if (value === undefined) {
      numbered = numbered.union(ConnSet.protocol(protocol));
    } else if (typeof value === 'number') {
      numbered = numbered.union(ConnSet.range(protocol, value, port.endPort ?? value));
    } else {
      if (port.endPort !== undefined) notModelled.push(`${where} sets endPort with the named port ${value}, which the API rejects; endPort is ignored`);
      named.push({ name: value, protocol: protocolName(protocol) });
    }
  }
  return { numbered, named };
}

function resolveNamedPorts(named: Array<{ name: string; protocol: string }>, ports: NamedPort[]): ConnSet {
  let result = ConnSet.NONE;
  for (const wanted of named) {
    for (const port of ports) {
      if (port.name !== wanted.name || port.protocol !== wanted.protocol) continue;
      const protocol = parseProtocol(port.protocol);
      if (protocol !== undefined) result = result.union(ConnSet.port(protocol, port.port));
    }
  }
  return result;
}

function ipBlockSet(ipBlock: { cidr: string; except?: string[] }, where: string, notModelled: string[]): AddressSet {
  try {
    const base = AddressSet.fromCidrs([ipBlock.cidr]);
    const except = AddressSet.fromCidrs(ipBlock.except ?? []);
    return base.subtract(except);
  } catch (error) {
    if (!(error instanceof InvalidCidrError)) throw error;
    notModelled.push(`${where} has an invalid ipBlock (${error.message}); it matches nothing`);
    return AddressSet.EMPTY;
  }
}

/** Writes a label selector in a stable text form, for cache keys. */
export function canonical(selector: LabelSelector | undefined): string {
  if (!selector) return '-';
  const labels = Object.entries(selector.matchLabels ?? {}).sort(([a], [b]) => (a < b ? -1 : 1));
  const expressions = (selector.matchExpressions ?? [])
    .map((expression) => ({ key: expression.key, operator: expression.operator, values: [...(expression.values ?? [])].sort() }))
    .sort((a, b) => compareText(JSON.stringify(a), JSON.stringify(b)));
  return JSON.stringify({ labels, expressions });
}

/** Writes a label selector as a person would: `{}`, `app=web`, `tier in (a,b)`, `!debug`. */
export function describeSelector(selector: LabelSelector | undefined): string {
  if (!selector) return '{}';
  const parts = Object.entries(selector.matchLabels ?? {}).map(([key, value]) => `${key}=${value}`);
  for (const expression of selector.matchExpressions ?? []) {
    const values = (expression.values ?? []).join(',');
    if (expression.operator === 'In') parts.push(`${expression.key} in (${values})`);
    else if (expression.operator === 'NotIn') parts.push(`${expression.key} notin (${values})`);
    else if (expression.operator === 'Exists') parts.push(expression.key);
    else if (expression.operator === 'DoesNotExist') parts.push(`!${expression.key}`);
    else parts.push(`${expression.key} ${expression.operator} (${values})`);
  }
  return parts.length === 0 ? '{}' : parts.join(',');
}

/** Describes a rule's peers. A peer without namespaceSelector names its namespace, because that restricts it too. */
function describePeers(peers: K8sPeer[] | undefined, direction: Direction, namespace: string): string {
  if (!peers || peers.length === 0) return direction === 'ingress' ? 'any source' : 'any destination';
  return peers
    .map((peer) => {
      if (peer.ipBlock) return `ipBlock ${peer.ipBlock.cidr}${peer.ipBlock.except?.length ? ` except ${peer.ipBlock.except.join(',')}` : ''}`;
      const parts: string[] = [];
      if (peer.namespaceSelector) parts.push(`namespaceSelector ${describeSelector(peer.namespaceSelector)}`);
      if (peer.podSelector) parts.push(`podSelector ${describeSelector(peer.podSelector)}`);
      if (parts.length === 0) return 'an empty peer';
      return peer.namespaceSelector ? parts.join(' and ') : `${parts.join(' and ')} in namespace ${namespace}`;
    })
    .join(' or ');
}

function describePorts(ports: K8sPort[] | undefined): string {
  if (!ports || ports.length === 0) return 'any port';
  return ports
    .map((port) => {
      const protocol = (port.protocol ?? 'TCP').toUpperCase();
      if (port.port === undefined) return `${protocol} any port`;
      return port.endPort !== undefined ? `${protocol} ${port.port}-${port.endPort}` : `${protocol} ${port.port}`;
    })
    .join(', ');
}
