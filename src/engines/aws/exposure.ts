import type { Inventory } from '../../inventory/inventory.js';
import { describeSources, parseCidr } from './addresses.js';
import { nodePortsOf, serviceRef } from './kubernetes.js';
import { evaluateLeg, type Endpoint, type Hop, type LegResult } from './legs.js';
import { evaluateLoadBalancerRoute, frontLegs, listenerProtocols } from './lb-routes.js';
import type { LoadBalancerInfo } from './load-balancers.js';
import { naclCuts } from './nacl.js';
import { networkOf, type AwsNetwork, type Eni } from './network.js';
import { ruleAddresses, type SecurityGroupRule } from './security-groups.js';
import { resolveSources } from './sources.js';
import { FULL_RANGE, ICMP, ICMPV6, TCP, UDP, hasPorts, isIcmp, pathPort, protocolLabel, splitRange, type Range } from './traffic.js';
import { compareText } from '../../compare.js';

// Every path from a source to a port on a network interface or a load balancer listener. Direct paths
// start from the security group rules that admit the source, split at the NACL entries' edges so that
// every hop decides each piece the same way. Paths through load balancers follow listener → target
// group → target.

export interface ExposurePath {
  /** The source as a person names it: a CIDR, `internet`, a security group. */
  source: string;
  protocol: string;
  /** A port number, a range such as `30000-32767`, `all`, or an ICMP type. */
  port: number | string;
  target: { kind: string; id: string };
  hops: Hop[];
  /** `unresolved` when a hop could not be evaluated from the snapshot; never counted as closed. */
  verdict: 'reachable' | 'unresolved';
  via: 'direct' | 'load-balancer';
  /** The source addresses that get through. */
  admitted: string;
  /** The network interface the traffic lands on, when the target is an instance or interface. */
  targetEni?: string;
  loadBalancer?: { name: string; listenerPort: number; targetGroup?: string; preserveClientIp?: boolean };
  /** Kubernetes Services behind this port (NodePorts, or the Service that owns the load balancer). */
  services: string[];
  /** Keys of the security group rules that admitted the traffic at the target. */
  ruleKeys: string[];
  /**
   * For protocol `other`: the protocols other than TCP, UDP, ICMP and ICMPv6 that have paths of their
   * own, because a NACL entry names them. `other` stands for every remaining protocol.
   */
  otherExcept?: number[];
}

export interface ExposureOptions {
  /** `internet` (the default), a CIDR, `sg-…` or `subnet-…`. */
  from?: string;
  /** Only paths to these targets; verification uses it to re-evaluate what a change can affect. */
  only?: ExposureScope;
}

export interface ExposureScope {
  /** Interface IDs. */
  enis: ReadonlySet<string>;
  /** Load balancer names. */
  loadBalancers: ReadonlySet<string>;
}

export interface ExposureResult {
  paths: ExposurePath[];
  notModelled: string[];
}

export function computeExposure(inventory: Inventory, options: ExposureOptions = {}): ExposureResult {
  const network = networkOf(inventory);
  const { endpoints, notModelled } = resolveSources(network, options.from);
  const paths: ExposurePath[] = [];
  const scope = options.only;
  const enis = scope ? [...scope.enis].flatMap((id) => network.eniById.get(id) ?? []).sort((a, b) => compareText(a.id, b.id)) : undefined;
  for (const endpoint of endpoints) {
    paths.push(...directPaths(network, endpoint, enis));
    paths.push(...loadBalancerPaths(network, endpoint, scope ? (lb) => scope.loadBalancers.has(lb.name) : undefined));
  }
  const unique = new Map<string, ExposurePath>();
  for (const path of paths) {
    const key = `${path.source}|${path.target.kind}|${path.target.id}|${path.protocol}|${path.port}|${path.via}|${path.loadBalancer?.name ?? ''}|${path.loadBalancer?.listenerPort ?? ''}`;
    if (!unique.has(key)) unique.set(key, path);
  }
  const sorted = [...unique.values()].sort(comparePaths);
  return { paths: sorted, notModelled: [...new Set([...network.notModelled, ...notModelled])].sort() };
}

const internetResults = new WeakMap<Inventory, ExposureResult>();

/** Computes the internet exposure of an inventory once and shares it with every later caller. */
export function internetExposure(inventory: Inventory): ExposureResult {
  let result = internetResults.get(inventory);
  if (!result) {
    result = computeExposure(inventory);
    internetResults.set(inventory, result);
  }
  return result;
}

/** Paths from one endpoint straight to network interfaces, without a load balancer in between. */
export function directPaths(network: AwsNetwork, endpoint: Endpoint, targets: readonly Eni[] = network.enis): ExposurePath[] {
  const paths: ExposurePath[] = [];
  for (const eni of targets) {
    if (eni.role === 'load-balancer' || eni.role === 'nat-gateway') continue;
    if (endpoint.eni?.id === eni.id) continue;
    if (endpoint.internet && !mayHavePublicPath(network, eni)) continue;
    if (!endpoint.internet && endpoint.subnet && eni.vpcId && eni.vpcId !== endpoint.subnet.vpcId) continue;
    const seen = new Set<string>();
    const eniPaths: ExposurePath[] = [];
    // The protocol classes a rule for all protocols was tried as; the same for every such rule of this interface.
    let allProtocolClasses: string[] | undefined;
    for (const rule of candidateRules(network, eni, endpoint)) {
      const classes = trafficClasses(network, rule, endpoint, eni);
      if (rule.protocol === 'all') allProtocolClasses = classes.map((item) => item.label);
      const named = classes.flatMap((item) => (item.label !== 'other' && !hasPorts(item.protocol) && !isIcmp(item.protocol) ? [item.protocol] : []));
      for (const { protocol, label, pieces } of classes) {
        const results = pieces.map((range) => ({ range, leg: evaluateLeg(network, endpoint, { eni, groups: eni.groups }, { protocol, range }, 'exposure') }));
        for (const { range, leg } of results) {
          if (!opens(leg)) continue;
          const key = `${label}|${range[0]}-${range[1]}`;
          if (seen.has(key)) continue;
          seen.add(key);
          eniPaths.push(directPath(network, endpoint, eni, label, protocol, range, leg, label === 'other' ? named : undefined));
        }
      }
    }
    paths.push(...collapseAllProtocols(eniPaths, allProtocolClasses));
  }
  return paths;
}

/** Paths from one endpoint through load balancer listeners, to the listener and on to each target. */
export function loadBalancerPaths(network: AwsNetwork, endpoint: Endpoint, only?: (lb: LoadBalancerInfo) => boolean): ExposurePath[] {
  const paths: ExposurePath[] = [];
  for (const lb of network.loadBalancers) {
    if (only && !only(lb)) continue;
    if (lb.type === 'gateway') continue;
    if (endpoint.internet !== (lb.scheme === 'internet-facing')) continue;
    if (!endpoint.internet && endpoint.subnet && lb.vpcId && endpoint.subnet.vpcId !== lb.vpcId) continue;
    for (const listener of lb.listeners) {
      for (const protocol of listenerProtocols(listener)) {
        const front = frontLegs(network, endpoint, lb, listener, protocol, 'exposure')[0];
        if (!front || !opens(front.leg)) continue;
        const services = lb.services.map(serviceRef);
        paths.push({
          source: sourceLabel(endpoint, front.leg.ingressRules),
          protocol: protocolLabel(protocol),
          port: listener.port,
          target: { kind: 'LoadBalancer', id: lb.name },
          hops: front.leg.hops,
          verdict: front.leg.unresolved ? 'unresolved' : 'reachable',
          via: 'direct',
          admitted: front.leg.admitted.isEmpty() ? 'unresolved' : describeSources(front.leg.admitted),
          loadBalancer: { name: lb.name, listenerPort: listener.port },
          services,
          ruleKeys: front.leg.ingressRules.map((rule) => rule.key),
        });
        for (const group of listener.targetGroups) {
          for (const target of group.targets) {
            const route = evaluateLoadBalancerRoute(network, endpoint, lb, listener, group, target, protocol, 'exposure');
            if (!route || route.blockedAt || (route.admitted.isEmpty() && !route.unresolved)) continue;
            const eni = target.eni as Eni;
            paths.push({
              source: sourceLabel(endpoint, [...route.front.ingressRules, ...(route.back?.ingressRules ?? [])]),
              protocol: protocolLabel(protocol),
              port: target.port,
              target: targetRef(eni),
              hops: route.hops,
              verdict: route.unresolved ? 'unresolved' : 'reachable',
              via: 'load-balancer',
              admitted: route.admitted.isEmpty() ? 'unresolved' : describeSources(route.admitted),
              targetEni: eni.id,
              loadBalancer: { name: lb.name, listenerPort: listener.port, targetGroup: group.name, preserveClientIp: group.preserveClientIp },
              services,
              ruleKeys: route.back?.ingressRules.map((rule) => rule.key) ?? [],
            });
          }
        }
      }
    }
  }
  return paths;
}

export function targetRef(eni: Eni): { kind: string; id: string } {
  if (eni.instanceId && (eni.deviceIndex === 0 || eni.deviceIndex === undefined)) return { kind: 'Instance', id: eni.instanceId };
  return { kind: 'NetworkInterface', id: eni.id };
}

/** Describes the request hops of a path in one line: `internet → igw-1 → acl-1/ingress/100 → sg-1 → i-1`. */
export function describePath(path: ExposurePath): string {
  const hops = path.hops.filter((hop) => hop.leg !== 'reply' && hop.decision !== 'deny').map((hop) => hop.id);
  const steps = hops.filter((id, index) => id !== hops[index - 1]);
  return `${path.source} → ${steps.join(' → ')} → ${path.target.kind} ${path.target.id} ${path.protocol} ${path.port}`;
}

// --- direct paths -------------------------------------------------------------------------------

function opens(leg: LegResult): boolean {
  if (leg.blockedAt) return false;
  return !leg.admitted.isEmpty() || leg.unresolved;
}

/** Internet packets need a public address and an internet route; an unknown route table keeps the path open. */
function mayHavePublicPath(network: AwsNetwork, eni: Eni): boolean {
  const subnet = eni.subnetId ? network.subnets.get(eni.subnetId) : undefined;
  if (!subnet || !subnet.internet) return true;
  if (subnet.internet.addresses.isEmpty()) return false;
  return eni.publicIps.length > 0 || eni.ipv6.length > 0;
}

/** Ingress rules of the interface's groups that can match packets from the endpoint. */
function candidateRules(network: AwsNetwork, eni: Eni, endpoint: Endpoint): SecurityGroupRule[] {
  const rules: SecurityGroupRule[] = [];
  for (const groupId of eni.groups) {
    const group = network.securityGroups.get(groupId);
    if (!group) continue;
    for (const rule of group.ingress) {
      const addresses = ruleAddresses(rule, { addresses: endpoint.addresses, groups: endpoint.groups });
      if (addresses === undefined || !addresses.isEmpty()) rules.push(rule);
    }
  }
  return rules;
}

interface TrafficClass {
  protocol: number;
  label: string;
  pieces: Range[];
}

/**
 * Lists the protocols and ranges a rule opens, cut at the NACL entry edges on the way. A rule for all
 * protocols is tried as TCP, UDP, ICMP, ICMPv6 (for IPv6 sources), each protocol a NACL entry names,
 * and one protocol that no NACL entry names, labelled `other`, which stands for the rest.
 */
function trafficClasses(network: AwsNetwork, rule: SecurityGroupRule, endpoint: Endpoint, eni: Eni): TrafficClass[] {
  const targetSubnet = eni.subnetId ? network.subnets.get(eni.subnetId) : undefined;
  const sourceAcl = !endpoint.internet && endpoint.subnet && endpoint.subnet.id !== targetSubnet?.id ? endpoint.subnet.nacl : undefined;
  const cutsFor = (protocol: number): Range[] => [
    ...(targetSubnet?.nacl ? naclCuts(targetSubnet.nacl, 'ingress', protocol) : []),
    ...(sourceAcl ? naclCuts(sourceAcl, 'egress', protocol) : []),
  ];
  if (rule.protocol !== 'all') {
    return [{ protocol: rule.protocol, label: protocolLabel(rule.protocol), pieces: splitRange(rule.range, cutsFor(rule.protocol)) }];
  }
  const named = new Set<number>();
  for (const acl of [targetSubnet?.nacl, sourceAcl]) {
    for (const entry of [...(acl?.ingress ?? []), ...(acl?.egress ?? [])]) if (entry.protocol !== 'all') named.add(entry.protocol);
  }
  let other = 0;
  while (named.has(other) || other === TCP || other === UDP || other === ICMP || other === ICMPV6) other += 1;
  const classes: TrafficClass[] = [TCP, UDP, ICMP].map((protocol) => ({ protocol, label: protocolLabel(protocol), pieces: splitRange(FULL_RANGE, cutsFor(protocol)) }));
  if (endpoint.addresses.hasFamily('ipv6')) classes.push({ protocol: ICMPV6, label: 'icmpv6', pieces: splitRange(FULL_RANGE, cutsFor(ICMPV6)) });
  const withoutPorts = [...named].filter((protocol) => protocol !== TCP && protocol !== UDP && protocol !== ICMP && protocol !== ICMPV6).sort((a, b) => a - b);
  for (const protocol of withoutPorts) classes.push({ protocol, label: protocolLabel(protocol), pieces: [FULL_RANGE] });
  classes.push({ protocol: other, label: 'other', pieces: [FULL_RANGE] });
  return classes;
}

function directPath(network: AwsNetwork, endpoint: Endpoint, eni: Eni, label: string, protocol: number, range: Range, leg: LegResult, otherExcept?: number[]): ExposurePath {
  return {
    source: sourceLabel(endpoint, leg.ingressRules),
    protocol: label,
    port: label === 'other' ? 'all' : pathPort(protocol, range),
    target: targetRef(eni),
    hops: leg.hops,
    verdict: leg.unresolved ? 'unresolved' : 'reachable',
    via: 'direct',
    admitted: leg.admitted.isEmpty() ? 'unresolved' : describeSources(leg.admitted),
    targetEni: eni.id,
    services: servicesOnPort(network, eni, protocol, range),
    ruleKeys: leg.ingressRules.map((rule) => rule.key),
    ...(otherExcept && otherExcept.length > 0 ? { otherExcept } : {}),
  };
}

/**
 * Merges the per-protocol paths of one interface back into one `all` path when every protocol class a
 * rule for all protocols was tried as got through on its whole range, from the same sources with the
 * same verdict.
 */
function collapseAllProtocols(paths: ExposurePath[], classes: string[] | undefined): ExposurePath[] {
  if (!classes) return paths;
  const bySource = new Map<string, ExposurePath[]>();
  for (const path of paths) {
    const list = bySource.get(path.source) ?? [];
    list.push(path);
    bySource.set(path.source, list);
  }
  const result: ExposurePath[] = [];
  for (const list of bySource.values()) {
    const full = (protocol: string) => list.find((path) => path.protocol === protocol && (path.port === 'all' || path.port === '0-65535'));
    const whole = classes.map(full);
    const first = whole[0];
    if (first && whole.every((path) => path && path.admitted === first.admitted && path.verdict === first.verdict)) {
      const merged = new Set(whole);
      const allKeys = [...new Set(whole.flatMap((path) => path?.ruleKeys ?? []))];
      const { otherExcept: _otherExcept, ...rest } = first;
      result.push({ ...rest, protocol: 'all', port: 'all', ruleKeys: allKeys });
      for (const path of list) if (!merged.has(path)) result.push(path);
      continue;
    }
    result.push(...list);
  }
  return result;
}

/** Services that listen on this port of this interface: NodePorts on nodes. */
function servicesOnPort(network: AwsNetwork, eni: Eni, protocol: number, range: Range): string[] {
  if (eni.role !== 'node' || (protocol !== TCP && protocol !== UDP)) return [];
  const name = protocol === TCP ? 'TCP' : 'UDP';
  return network.services
    .filter((service) => nodePortsOf(service).some((port) => port >= range[0] && port <= range[1]) && service.ports.some((port) => port.protocol === name || port.nodePort === service.healthCheckNodePort))
    .map(serviceRef);
}

/**
 * Names the source as a path shows it: the most specific of the requested source and the CIDRs of the
 * rules that admitted it, for example `0.0.0.0/0` for a rule open to everyone.
 */
function sourceLabel(endpoint: Endpoint, rules: SecurityGroupRule[]): string {
  const requested = parseCidr(endpoint.label);
  let best = requested?.text ?? endpoint.label;
  let bestPrefix = requested?.prefix ?? -1;
  for (const rule of rules) {
    if (rule.peer.kind !== 'cidr' || rule.peer.prefix <= bestPrefix) continue;
    if (!rule.peer.addresses.overlaps(endpoint.addresses)) continue;
    best = rule.peer.cidr;
    bestPrefix = rule.peer.prefix;
  }
  return best;
}

const PORT_ORDER = new Intl.Collator('en', { numeric: true });

function comparePaths(a: ExposurePath, b: ExposurePath): number {
  return (
    compareText(a.target.kind, b.target.kind) ||
    compareText(a.target.id, b.target.id) ||
    compareText(a.protocol, b.protocol) ||
    PORT_ORDER.compare(String(a.port), String(b.port)) ||
    compareText(a.source, b.source) ||
    compareText(a.via, b.via) ||
    compareText(a.loadBalancer?.name ?? '', b.loadBalancer?.name ?? '')
  );
}

