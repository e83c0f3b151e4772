import type * as m from '../../inventory/model.js';
import { AddressSet, InvalidCidrError } from './addresses.js';
import { matchesCalicoSelector, mentionsGlobal, parseCalicoSelector, SelectorSyntaxError, type SelectorNode } from './calico-selector.js';
import { addressMatches, type CompileContext } from './context.js';
import type { EndpointClass, NamedPort } from './endpoints.js';
import { ConnSet, parseProtocol, PROTOCOL, protocolName, supportsPorts } from './ports.js';
import type { Action, CompiledPolicy, CompiledRule, Direction, Peer } from './policy.js';
import { servicePortsOf, type ServiceBackends } from './services.js';

// Calico NetworkPolicy and GlobalNetworkPolicy (projectcalico.org/v3 and crd.projectcalico.org/v1), as the
// resource reference describes them (https://docs.tigera.io/calico/latest/reference/resources/networkpolicy):
// - A NetworkPolicy applies to workload endpoints (pods) of its namespace that match `selector` (default
//   all()); a GlobalNetworkPolicy to endpoints matching `selector`, `namespaceSelector` and
//   `serviceAccountSelector` together.
// - `types` defaults to Ingress, to Egress when only egress rules exist, and to both when both exist.
// - Rules are evaluated in order; the first rule that matches decides (Allow, Deny, Pass to the next tier);
//   Log records and goes on.
// - In a namespaced policy, a rule selector without namespaceSelector means endpoints of the policy's
//   namespace; `!=` and `not in` also match endpoints without the label.
// - `nets`/`notNets` match addresses; selectors also match NetworkSets (namespaced) and GlobalNetworkSets
//   (through `namespaceSelector: global()` or a global policy) by their labels.
// - doNotTrack and preDNAT policies apply only to host endpoints, which Rampart does not model.
// - `services` matches the endpoints of a Kubernetes Service (see services.ts), by address as Felix's IP
//   sets do: a source match by the endpoint addresses, a destination match by address and the endpoint's
//   ports. libcalico-go's validator (lib/validator/v3) rejects these uses, which the engine reports and
//   lets match nothing:
//   - `services` next to selector, notSelector, namespaceSelector, serviceAccounts, nets or notNets;
//   - destination ports or notPorts next to destination services;
//   - services in an egress rule's source or an ingress rule's destination;
//   - a match without a name, and in a GlobalNetworkPolicy one without a namespace.

const ACTIONS: Record<string, Action> = { allow: 'Allow', deny: 'Deny', pass: 'Pass', log: 'Log' };
const PORT_PROTOCOLS = [PROTOCOL.TCP, PROTOCOL.UDP, PROTOCOL.SCTP, PROTOCOL.UDPLite];

type Entity = Record<string, unknown>;
export type CalicoRule = NonNullable<m.CalicoPolicy['spec']['ingress']>[number];

export function compileCalicoPolicy(policy: m.CalicoPolicy, id: number, context: CompileContext): CompiledPolicy {
  const global = policy.kind === 'GlobalNetworkPolicy';
  const namespace = global ? undefined : (policy.metadata.namespace ?? 'default');
  const label = `${global ? 'Calico GlobalNetworkPolicy' : 'Calico NetworkPolicy'} ${namespace ? `${namespace}/` : ''}${policy.metadata.name}`;
  const spec = policy.spec;
  const notModelled: string[] = [];

  const types = new Set<Direction>();
  if (spec.types && spec.types.length > 0) {
    for (const type of spec.types) {
      if (type.toLowerCase() === 'ingress') types.add('ingress');
      else if (type.toLowerCase() === 'egress') types.add('egress');
      else notModelled.push(`${label} has type ${JSON.stringify(type)}, which is neither Ingress nor Egress; it is ignored`);
    }
  } else {
    const hasIngress = (spec.ingress ?? []).length > 0;
    const hasEgress = (spec.egress ?? []).length > 0;
    if (hasIngress || !hasEgress) types.add('ingress');
    if (hasEgress) types.add('egress');
  }

  let skipped: string | undefined;
  if (spec.doNotTrack) skipped = `${label} sets doNotTrack, so it applies only to host endpoints, which Rampart does not model; it is not evaluated`;
  else if (spec.preDNAT) skipped = `${label} sets preDNAT, so it applies only to host endpoints, which Rampart does not model; it is not evaluated`;
  if (skipped) notModelled.push(skipped);
  if (spec.applyOnForward) notModelled.push(`${label} sets applyOnForward, which changes only how host endpoint policy treats forwarded traffic; host endpoints are not modelled`);

  const selector = parseOrNothing(spec.selector ?? 'all()', `${label} selector`, notModelled);
  const namespaceSelector = global && spec.namespaceSelector ? parseOrNothing(spec.namespaceSelector, `${label} namespaceSelector`, notModelled) : undefined;
  const serviceAccountSelector = spec.serviceAccountSelector ? parseOrNothing(spec.serviceAccountSelector, `${label} serviceAccountSelector`, notModelled) : undefined;
  if (serviceAccountSelector && !context.serviceAccountLabelsFromProfiles) warnAboutServiceAccountLabels(serviceAccountSelector, `${label} serviceAccountSelector`, notModelled);
  const selectTable = context.cache.table(`calico-select|${id}`);
  const selects = (cls: EndpointClass) =>
    selectTable.get(cls, () => {
      if (cls.hostNetwork) return false;
      if (namespace !== undefined && cls.namespace !== namespace) return false;
      if (!selector || !matchesCalicoSelector(selector, { labels: cls.calicoLabels })) return false;
      if (global && spec.namespaceSelector && (!namespaceSelector || !matchesCalicoSelector(namespaceSelector, { labels: cls.calicoNamespaceLabels }))) return false;
      if (spec.serviceAccountSelector && (!serviceAccountSelector || !matchesCalicoSelector(serviceAccountSelector, { labels: serviceAccountLabels(cls) }))) return false;
      return true;
    });

  const scope: Scope = { kind: global ? 'GlobalNetworkPolicy' : 'NetworkPolicy', namespace, label };
  const rules: Record<Direction, CompiledRule[]> = {
    ingress: (spec.ingress ?? []).flatMap((rule, index) => compileRule('ingress', index, rule, scope, context)),
    egress: (spec.egress ?? []).flatMap((rule, index) => compileRule('egress', index, rule, scope, context)),
  };
  for (const rule of [...rules.ingress, ...rules.egress]) notModelled.push(...rule.notModelled);

  return {
    id,
    ref: {
      kind: global ? 'CalicoGlobalNetworkPolicy' : 'CalicoNetworkPolicy',
      apiVersion: policy.apiVersion,
      ...(namespace ? { namespace } : {}),
      name: policy.metadata.name,
      source: policy.source,
    },
    flavour: 'calico',
    tier: spec.tier ?? 'default',
    ...(spec.order === undefined ? {} : { order: spec.order }),
    selects,
    types,
    rules,
    ...(skipped ? { skipped } : {}),
    notModelled,
  };
}

interface Scope {
  kind: 'NetworkPolicy' | 'GlobalNetworkPolicy' | 'Profile';
  /** The policy's namespace; undefined for global policies and Profiles. */
  namespace?: string;
  label: string;
}

/**
 * Compiles the rules of one direction of a cluster-wide object that is not a policy (a Profile). Calico
 * converts such rules with no namespace, as it does a GlobalNetworkPolicy's, so a rule selector without
 * namespaceSelector matches endpoints of every namespace.
 */
export function compileClusterRules(direction: Direction, rules: CalicoRule[], label: string, context: CompileContext): CompiledRule[] {
  return rules.flatMap((rule, index) => compileRule(direction, index, rule, { kind: 'Profile', label }, context));
}

function compileRule(direction: Direction, index: number, rule: CalicoRule, scope: Scope, context: CompileContext): CompiledRule[] {
  const where = `${scope.label} ${direction} rule ${index + 1}`;
  const notModelled: string[] = [];
  const action = ACTIONS[rule.action.toLowerCase()];
  if (!action) {
    notModelled.push(`${where} has action ${JSON.stringify(rule.action)}, which is not Allow, Deny, Pass or Log; the rule is ignored`);
    return [{ direction, index, action: 'Log', matches: () => false, connections: () => ConnSet.NONE, summary: 'an invalid rule', remoteAddressSets: [], namesPods: false, notModelled }];
  }

  const source = asEntity(rule.source);
  const destination = asEntity(rule.destination);
  const rejected = rejectedServiceUse(direction, source, destination, scope);
  if (rejected) {
    notModelled.push(`${where} ${rejected}, which Calico rejects; the rule matches nothing`);
    return [{ direction, index, action, matches: () => false, connections: () => ConnSet.NONE, summary: describeRule(action, rule, direction), remoteAddressSets: [], namesPods: false, notModelled }];
  }
  const remoteEntity = direction === 'ingress' ? source : destination;
  const localEntity = direction === 'ingress' ? destination : source;
  const remote = compileEntity(remoteEntity, scope, context, `${where} ${direction === 'ingress' ? 'source' : 'destination'}`, notModelled);
  const local = compileEntity(localEntity, scope, context, `${where} ${direction === 'ingress' ? 'destination' : 'source'}`, notModelled);
  if (Array.isArray(source.ports) || Array.isArray(source.notPorts)) {
    notModelled.push(`${where} matches source ports, which Rampart does not model; the rule is evaluated as if it matched every source port`);
  }
  if (rule.http) notModelled.push(`${where} matches HTTP methods or paths (application layer policy), which Rampart does not model; it is evaluated on addresses and ports only`);

  const ipVersion = rule.ipVersion === 4 || rule.ipVersion === 6 ? rule.ipVersion : undefined;
  const connections = compileConnections(rule, destination, where, notModelled);
  // A destination Service match also limits the ports, to those of the destination's endpoints.
  const destinationService = (direction === 'ingress' ? local : remote).service;
  const services = [remote.service?.key, local.service?.key].filter((key): key is string => key !== undefined);

  const familyOk = (peer: Peer): boolean => {
    if (!ipVersion) return true;
    if (peer.kind === 'external') return peer.range.family === ipVersion;
    return (peer.cls.address?.family ?? 4) === ipVersion;
  };

  return [
    {
      direction,
      index,
      action,
      matches: (localClass, remotePeer) => familyOk(remotePeer) && remote.test(remotePeer) && local.test({ kind: 'class', cls: localClass }),
      connections: (localClass, remotePeer) => {
        const destinationClass = direction === 'ingress' ? localClass : classOf(remotePeer);
        const covered = connections(destinationClass);
        if (!destinationService) return covered;
        if (destinationClass) return covered.intersect(servicePortsOf(destinationService, destinationClass));
        return remotePeer.kind === 'external' ? covered.intersect(servicePortsOf(destinationService, remotePeer.range)) : ConnSet.NONE;
      },
      summary: describeRule(action, rule, direction),
      remoteAddressSets: remote.addressSets,
      ...(remote.serviceAddressSets.length > 0 ? { remoteServiceAddressSets: remote.serviceAddressSets } : {}),
      ...(services.length > 0 ? { services } : {}),
      namesPods: remote.namesPods,
      notModelled,
    },
  ];
}

function classOf(peer: Peer): EndpointClass | undefined {
  return peer.kind === 'class' ? peer.cls : undefined;
}

/** Describes a use of `services` that libcalico-go's validator rejects for the whole rule, or returns undefined. */
function rejectedServiceUse(direction: Direction, source: Entity, destination: Entity, scope: Scope): string | undefined {
  // The validator checks these two for NetworkPolicy and GlobalNetworkPolicy only.
  if (scope.kind !== 'Profile') {
    if (direction === 'egress' && isPresent(source.services)) return 'matches services in the source of an egress rule';
    if (direction === 'ingress' && isPresent(destination.services)) return 'matches services in the destination of an ingress rule';
  }
  const listsPorts = (Array.isArray(destination.ports) && destination.ports.length > 0) || (Array.isArray(destination.notPorts) && destination.notPorts.length > 0);
  if (isPresent(destination.services) && listsPorts) return 'lists destination ports or notPorts next to a destination services match (whose ports come from the Service)';
  return undefined;
}

interface CompiledEntity {
  test(peer: Peer): boolean;
  addressSets: AddressSet[];
  /** The Service a `services` match names, when the match is valid. */
  service?: ServiceBackends;
  serviceAddressSets: AddressSet[];
  namesPods: boolean;
}

/** Compiles the identity part of a Calico EntityRule (selectors, namespaces, service accounts, services, nets). */
function compileEntity(entity: Entity, scope: Scope, context: CompileContext, where: string, notModelled: string[]): CompiledEntity {
  const selector = typeof entity.selector === 'string' && entity.selector.trim() !== '' ? parseOrNothing(entity.selector, `${where} selector`, notModelled) : undefined;
  const notSelector = typeof entity.notSelector === 'string' && entity.notSelector.trim() !== '' ? parseOrNothing(entity.notSelector, `${where} notSelector`, notModelled) : undefined;
  const namespaceSelector = typeof entity.namespaceSelector === 'string' && entity.namespaceSelector.trim() !== '' ? parseOrNothing(entity.namespaceSelector, `${where} namespaceSelector`, notModelled) : undefined;
  const hasSelector = typeof entity.selector === 'string' && entity.selector.trim() !== '';
  const hasNotSelector = typeof entity.notSelector === 'string' && entity.notSelector.trim() !== '';
  const hasNamespaceSelector = typeof entity.namespaceSelector === 'string' && entity.namespaceSelector.trim() !== '';
  const serviceAccounts = asEntity(entity.serviceAccounts);
  const hasServiceAccounts = Object.keys(serviceAccounts).length > 0;
  const accountNames = Array.isArray(serviceAccounts.names) ? serviceAccounts.names.filter((name): name is string => typeof name === 'string') : undefined;
  const accountSelector = typeof serviceAccounts.selector === 'string' ? parseOrNothing(serviceAccounts.selector, `${where} serviceAccounts selector`, notModelled) : undefined;
  if (accountSelector && !context.serviceAccountLabelsFromProfiles) warnAboutServiceAccountLabels(accountSelector, `${where} serviceAccounts selector`, notModelled);
  const hasServices = isPresent(entity.services);
  const service = hasServices ? serviceMatchOf(entity, scope, context, where, notModelled) : undefined;

  const nets = addressList(entity.nets, `${where} nets`, notModelled);
  const notNets = addressList(entity.notNets, `${where} notNets`, notModelled);
  const labelBased = hasSelector || hasNotSelector || hasNamespaceSelector || hasServiceAccounts || hasServices;
  const addressSets = [nets, notNets].filter((set): set is AddressSet => set !== undefined);
  const invalid = (hasSelector && !selector) || (hasNotSelector && !notSelector) || (hasNamespaceSelector && !namespaceSelector) || (hasServices && !service);

  // Namespace scope: a namespaceSelector picks namespaces (and global objects with global()); without one,
  // a namespaced policy means its own namespace and a global policy every namespace.
  const inNamespace = (namespace: string, namespaceLabels: Record<string, string>): boolean => {
    if (namespaceSelector) return matchesCalicoSelector(namespaceSelector, { labels: namespaceLabels });
    return scope.namespace === undefined || namespace === scope.namespace;
  };
  const includesGlobalSets = namespaceSelector ? mentionsGlobal(namespaceSelector) : scope.namespace === undefined;

  const podTable = context.cache.table(`calico-entity|${scope.namespace ?? '*'}|${JSON.stringify([entity.selector, entity.notSelector, entity.namespaceSelector, entity.serviceAccounts, entity.services])}`);
  const podMatchesLabels = (cls: EndpointClass): boolean =>
    podTable.get(cls, () => {
      if (invalid) return false;
      // Felix matches a Service by its endpoint addresses, so a host-network pod matches by its node address.
      if (service) return cls.services.has(service.key);
      if (cls.hostNetwork) return false;
      if (!inNamespace(cls.namespace, cls.calicoNamespaceLabels)) return false;
      if (selector && !matchesCalicoSelector(selector, { labels: cls.calicoLabels })) return false;
      if (notSelector && matchesCalicoSelector(notSelector, { labels: cls.calicoLabels })) return false;
      if (hasServiceAccounts) {
        if (accountNames && !accountNames.includes(cls.serviceAccount)) return false;
        if (accountSelector && !matchesCalicoSelector(accountSelector, { labels: serviceAccountLabels(cls) })) return false;
      }
      return true;
    });

  // Network sets the label part matches, for external peers.
  const matchingSets = labelBased && !hasServiceAccounts && !hasServices && !invalid
    ? context.networkSets.filter((set) => {
        if (set.kind === 'GlobalNetworkSet') {
          if (!includesGlobalSets) return false;
          if (namespaceSelector && !matchesCalicoSelector(namespaceSelector, { labels: {}, global: true })) return false;
        } else {
          const known = context.namespaces.find((candidate) => candidate.name === set.namespace);
          if (!inNamespace(set.namespace ?? 'default', known?.calicoLabels ?? { 'projectcalico.org/name': set.namespace ?? 'default' })) return false;
        }
        const labels = { ...set.labels, ...(set.namespace ? { 'projectcalico.org/namespace': set.namespace } : {}) };
        if (selector && !matchesCalicoSelector(selector, { labels, global: set.kind === 'GlobalNetworkSet' })) return false;
        if (notSelector && matchesCalicoSelector(notSelector, { labels, global: set.kind === 'GlobalNetworkSet' })) return false;
        return true;
      })
    : [];
  const setAddresses = matchingSets.reduce((union, set) => union.union(set.nets), AddressSet.EMPTY);
  if (matchingSets.length > 0) addressSets.push(setAddresses);

  const describe = () => `nets of ${where}`;
  const test = (peer: Peer): boolean => {
    if (invalid) return false;
    if (service && peer.kind === 'external') return service.externalAddresses.containsRange(peer.range);
    if (peer.kind === 'external') {
      if (labelBased && !setAddresses.containsRange(peer.range)) return false;
      if (nets && !nets.containsRange(peer.range)) return false;
      if (notNets && notNets.containsRange(peer.range)) return false;
      return true;
    }
    const cls = peer.cls;
    if (labelBased && !podMatchesLabels(cls)) return false;
    if (nets || notNets) {
      // Without address matching for pods (a Cilium-like CNI, or comparing with tools that treat nets as
      // outside addresses only), a rule that names addresses matches no pod.
      if (!cls.hostNetwork && !context.ipBlocksMatchPods) return false;
      if (nets && !addressMatches(nets, peer, context, describe)) return false;
      if (notNets && cls.address && notNets.containsAddress(cls.address.family, cls.address.value)) return false;
    }
    return true;
  };

  const serviceAddressSets = service ? service.externalGroups.map((group) => group.addresses) : [];
  return { test, addressSets, ...(service ? { service } : {}), serviceAddressSets, namesPods: labelBased || (!nets && !notNets) || context.ipBlocksMatchPods };
}

/**
 * Resolves the Service a `services` match names: its namespace defaults to a NetworkPolicy's own, as the
 * resource reference states. Returns undefined, with the reason in notModelled, for a match Calico rejects
 * or that names no Service.
 */
function serviceMatchOf(entity: Entity, scope: Scope, context: CompileContext, where: string, notModelled: string[]): ServiceBackends | undefined {
  const combined = SERVICE_EXCLUSIVE_FIELDS.filter((field) => isPresent(entity[field]));
  if (combined.length > 0) {
    notModelled.push(`${where} combines services with ${combined.join(', ')}, which Calico rejects; the rule matches nothing`);
    return undefined;
  }
  const services = asEntity(entity.services);
  const name = typeof services.name === 'string' ? services.name : '';
  if (name === '') {
    notModelled.push(`${where} matches services without a name, which Calico rejects; the rule matches nothing`);
    return undefined;
  }
  let namespace = typeof services.namespace === 'string' && services.namespace !== '' ? services.namespace : undefined;
  if (namespace === undefined) {
    if (scope.kind === 'GlobalNetworkPolicy') {
      notModelled.push(`${where} matches Service ${name} without a namespace, which Calico rejects in a GlobalNetworkPolicy; the rule matches nothing`);
      return undefined;
    }
    if (scope.kind === 'Profile') {
      notModelled.push(`${where} matches Service ${name} without a namespace, and a Profile has none to default to; the rule matches nothing`);
      return undefined;
    }
    // NOTE: this default follows the ServiceMatch field's documentation. The libcalico-go rule conversion
    // and Felix rule scanner that were read pass an empty namespace on unchanged, so it is not confirmed.
    namespace = scope.namespace ?? 'default';
  }
  const backends = context.services.backends(namespace, name);
  if (backends.resolution === 'no-endpoints') notModelled.push(`${where} matches Service ${backends.key}, which ${backends.reason}; it matches no endpoint`);
  return backends;
}

/** Entity fields that libcalico-go's validator rejects next to `services`. */
const SERVICE_EXCLUSIVE_FIELDS = ['selector', 'notSelector', 'namespaceSelector', 'serviceAccounts', 'nets', 'notNets'] as const;

/** Tells whether an entity field counts as set for the validator: a non-empty string or list, or any object. */
function isPresent(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (typeof value === 'string' || Array.isArray(value)) return value.length > 0;
  return true;
}

/** Compiles the connections a rule covers, given the destination pod (for named ports) or none (an outside address). */
function compileConnections(rule: CalicoRule, destination: Entity, where: string, notModelled: string[]): (destinationClass: EndpointClass | undefined) => ConnSet {
  let protocols = ConnSet.ALL;
  let ruleProtocol: number | undefined;
  if (rule.protocol !== undefined) {
    ruleProtocol = parseProtocol(rule.protocol);
    if (ruleProtocol === undefined) {
      notModelled.push(`${where} names protocol ${JSON.stringify(rule.protocol)}, which Rampart does not recognise; the rule matches nothing`);
      return () => ConnSet.NONE;
    }
    protocols = ConnSet.protocol(ruleProtocol);
  }
  if (rule.notProtocol !== undefined) {
    const excluded = parseProtocol(rule.notProtocol);
    if (excluded === undefined) notModelled.push(`${where} names notProtocol ${JSON.stringify(rule.notProtocol)}, which Rampart does not recognise; it is ignored`);
    else protocols = protocols.subtract(ConnSet.protocol(excluded));
  }

  const icmpProtocols = ruleProtocol !== undefined ? [ruleProtocol] : [PROTOCOL.ICMP, PROTOCOL.ICMPv6];
  if (rule.icmp) protocols = protocols.intersect(icmpSet(rule.icmp, icmpProtocols));
  if (rule.notICMP) protocols = protocols.subtract(icmpSet(rule.notICMP, icmpProtocols));

  const portProtocols = ruleProtocol !== undefined ? [ruleProtocol] : PORT_PROTOCOLS;
  if (ruleProtocol !== undefined && !supportsPorts(ruleProtocol) && (Array.isArray(destination.ports) || Array.isArray(destination.notPorts))) {
    notModelled.push(`${where} lists ports with protocol ${protocolName(ruleProtocol)}, which has no ports; Calico rejects such rules`);
  }
  const ports = Array.isArray(destination.ports) ? parsePorts(destination.ports, where, notModelled) : undefined;
  const notPorts = Array.isArray(destination.notPorts) ? parsePorts(destination.notPorts, where, notModelled) : undefined;
  if (!ports && !notPorts) return () => protocols;

  const byDestination = new Map<number, ConnSet>();
  const compute = (named: NamedPort[]): ConnSet => {
    let result = protocols;
    if (ports) result = result.intersect(portSet(ports, portProtocols, named));
    if (notPorts) result = result.subtract(portSet(notPorts, portProtocols, named));
    return result;
  };
  const outside = compute([]);
  return (destinationClass) => {
    if (!destinationClass) return outside;
    let value = byDestination.get(destinationClass.id);
    if (!value) {
      value = compute(destinationClass.namedPorts);
      byDestination.set(destinationClass.id, value);
    }
    return value;
  };
}

type PortItem = { from: number; to: number } | { name: string };

function parsePorts(values: unknown[], where: string, notModelled: string[]): PortItem[] {
  const items: PortItem[] = [];
  for (const value of values) {
    if (typeof value === 'number') {
      items.push({ from: value, to: value });
      continue;
    }
    if (typeof value === 'string') {
      const range = /^(\d+):(\d+)$/.exec(value.trim());
      if (range) items.push({ from: Number(range[1]), to: Number(range[2]) });
      else if (/^\d+$/.test(value.trim())) items.push({ from: Number(value), to: Number(value) });
      else items.push({ name: value.trim() });
      continue;
    }
    notModelled.push(`${where} has port ${JSON.stringify(value)}, which is neither a number, a range nor a name; it is ignored`);
  }
  return items;
}

function portSet(items: PortItem[], protocols: number[], named: NamedPort[]): ConnSet {
  let result = ConnSet.NONE;
  for (const item of items) {
    for (const protocol of protocols) {
      if ('name' in item) {
        for (const port of named) {
          if (port.name === item.name && parseProtocol(port.protocol) === protocol) result = result.union(ConnSet.port(protocol, port.port));
        }
      } else {
        result = result.union(ConnSet.range(protocol, item.from, item.to));
      }
    }
  }
  return result;
}

function icmpSet(value: Record<string, unknown>, protocols: number[]): ConnSet {
  const type = typeof value.type === 'number' ? value.type : undefined;
  const code = typeof value.code === 'number' ? value.code : undefined;
  let result = ConnSet.NONE;
  for (const protocol of protocols) {
    if (type === undefined) result = result.union(ConnSet.protocol(protocol));
    else result = result.union(ConnSet.range(protocol, type * 256 + (code ?? 0), type * 256 + (code ?? 255)));
  }
  // Every protocol other than the ICMP ones stays, so that the intersection only narrows ICMP.
  return result.union(ConnSet.ALL.subtract(protocols.reduce((set, protocol) => set.union(ConnSet.protocol(protocol)), ConnSet.NONE)));
}

function addressList(value: unknown, where: string, notModelled: string[]): AddressSet | undefined {
  if (!Array.isArray(value)) return undefined;
  const cidrs = value.filter((item): item is string => typeof item === 'string');
  try {
    return AddressSet.fromCidrs(cidrs);
  } catch (error) {
    if (!(error instanceof InvalidCidrError)) throw error;
    notModelled.push(`${where} has an invalid address (${error.message}); the list matches nothing`);
    return AddressSet.EMPTY;
  }
}

function parseOrNothing(text: string, where: string, notModelled: string[]): SelectorNode | undefined {
  try {
    return parseCalicoSelector(text);
  } catch (error) {
    if (!(error instanceof SelectorSyntaxError)) throw error;
    notModelled.push(`${where} is not a valid Calico selector (${error.message}); it matches nothing`);
    return undefined;
  }
}

/**
 * ServiceAccount objects are not in the snapshot, so their labels come from ksa Profiles when the snapshot
 * has them, and otherwise only the name label Calico adds is known.
 */
function serviceAccountLabels(cls: EndpointClass): Record<string, string> {
  return cls.calicoServiceAccountLabels;
}

function warnAboutServiceAccountLabels(node: SelectorNode, where: string, notModelled: string[]): void {
  const keys = collectKeys(node).filter((key) => key !== 'projectcalico.org/name');
  if (keys.length > 0) {
    notModelled.push(`${where} reads ServiceAccount labels (${keys.join(', ')}), which the snapshot does not hold; service accounts are treated as not having them`);
  }
}

function collectKeys(node: SelectorNode): string[] {
  switch (node.op) {
    case 'all':
    case 'global':
      return [];
    case 'not':
      return collectKeys(node.operand);
    case 'and':
    case 'or':
      return node.operands.flatMap(collectKeys);
    default:
      return [node.key];
  }
}

function asEntity(value: unknown): Entity {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Entity) : {};
}

/**
 * Describes a rule with every condition that narrows it: the remote entity after `from` (ingress) or `to`
 * (egress), the local entity after the other word, then ports, ICMP and HTTP matches.
 */
function describeRule(action: Action, rule: CalicoRule, direction: Direction): string {
  const parts: string[] = [action];
  if (rule.ipVersion !== undefined) parts.push(`IPv${rule.ipVersion}`);
  if (rule.protocol !== undefined) parts.push(String(rule.protocol));
  if (rule.notProtocol !== undefined) parts.push(`not ${String(rule.notProtocol)}`);
  const source = asEntity(rule.source);
  const destination = asEntity(rule.destination);
  const [remote, local] = direction === 'ingress' ? [source, destination] : [destination, source];
  const [toRemote, toLocal] = direction === 'ingress' ? ['from', 'to'] : ['to', 'from'];
  parts.push(`${toRemote} ${describeEntity(remote) ?? 'anywhere'}`);
  const localText = describeEntity(local);
  if (localText) parts.push(`${toLocal} ${localText}`);
  if (Array.isArray(source.ports)) parts.push(`source ports ${source.ports.join(',')}`);
  if (Array.isArray(source.notPorts)) parts.push(`not source ports ${source.notPorts.join(',')}`);
  if (Array.isArray(destination.ports)) parts.push(`ports ${destination.ports.join(',')}`);
  if (Array.isArray(destination.notPorts)) parts.push(`not ports ${destination.notPorts.join(',')}`);
  if (rule.icmp) parts.push(describeIcmp('ICMP', rule.icmp));
  if (rule.notICMP) parts.push(describeIcmp('not ICMP', rule.notICMP));
  if (rule.http) parts.push(`HTTP ${JSON.stringify(rule.http)}`);
  return parts.join(' ');
}

/** Lists the identity fields of an entity that narrow what it matches, or undefined when none does. */
function describeEntity(entity: Entity): string | undefined {
  const fields = ['selector', 'notSelector', 'namespaceSelector', 'serviceAccounts', 'services', 'nets', 'notNets'].filter((key) => {
    const value = entity[key];
    // The engine treats an empty selector as no selector; an empty nets list still matches nothing.
    return value !== undefined && value !== null && !(typeof value === 'string' && value.trim() === '');
  });
  return fields.length > 0 ? fields.map((key) => `${key} ${JSON.stringify(entity[key])}`).join(' and ') : undefined;
}

function describeIcmp(label: string, value: Record<string, unknown>): string {
  const type = value.type === undefined ? 'any type' : `type ${String(value.type)}`;
  return value.code === undefined ? `${label} ${type}` : `${label} ${type} code ${String(value.code)}`;
}
