import type { SourceRef } from '../../inventory/source.js';
import { AddressSet, describeSources } from './addresses.js';
import { describeNaclDecision, evaluateNacl, type CompiledNacl, type NaclResult } from './nacl.js';
import { groupsOf, type AwsNetwork, type Eni, type SubnetInfo } from './network.js';
import { admit, describeRule, type AdmitResult, type Direction, type SecurityGroupRule } from './security-groups.js';
import { EPHEMERAL, FULL_RANGE, TCP, UDP, describeTraffic, type Range, type Traffic } from './traffic.js';

// One leg of a path: packets from a source endpoint to one network interface, through every control
// AWS applies on the way. In packet order these are the internet gateway and public address, the
// source's security group egress rules, the source subnet's outbound NACL, the target subnet's inbound
// NACL and the target's security group ingress rules. NACLs are stateless, so the reply meets them
// again; security groups are stateful, so replies never meet them.

export type HopDecision = 'allow' | 'deny' | 'unresolved' | 'not-evaluated';

/** A hop of a path with the evidence behind its decision. */
export interface Hop {
  /** The rule, gateway, route table or load balancer that decided: `sg-…`, `acl-…/ingress/100`, `igw-…`, `rtb-…`, a load balancer name. */
  id: string;
  source?: SourceRef;
  kind: 'internet-gateway' | 'route-table' | 'nacl-rule' | 'security-group-rule' | 'security-group' | 'load-balancer' | 'nat-gateway';
  decision: HopDecision;
  /** The hop's evidence in one sentence: the rule text, or the reason nothing matched. */
  detail: string;
  /** The direction of the packet at this hop: the request or the reply. */
  leg?: 'request' | 'reply';
}

/** The sender of the packets: the internet, unknown hosts in a subnet, or known interfaces. */
export interface Endpoint {
  /** The source's name in a path: a CIDR, `internet`, a security group or an interface. */
  label: string;
  addresses: AddressSet;
  /** Security groups the sending interface carries; rules that reference them match these packets. */
  groups: ReadonlySet<string>;
  /** Groups whose egress rules the packets must pass; empty when the source is outside the snapshot. */
  egressGroups: readonly string[];
  /** Undefined for sources outside every subnet of the snapshot. */
  subnet?: SubnetInfo;
  /** True for packets that enter the VPC through an internet gateway. */
  internet: boolean;
  eni?: Eni;
}

/** The interface packets go to, with the groups that guard it. */
export interface LegTarget {
  eni: Eni;
  /** Security groups evaluated for ingress; the interface's own unless a load balancer's replace them. */
  groups: readonly string[];
  /** Destination addresses of the packets; defaults to the interface's private addresses. */
  addresses?: AddressSet;
  /** An internet-facing load balancer has public addresses even when its interfaces do not list them. */
  publicByDesign?: boolean;
  /** An NLB without security groups admits every client on its listeners. */
  noSecurityGroups?: boolean;
}

/**
 * `exposure` tests whether anyone in the source set can open a connection: for TCP the reply may use any
 * port, because the sender picks its own source port. `flow` tests whether ordinary clients work: TCP and
 * UDP replies must pass on the whole ephemeral range.
 */
export type ReturnMode = 'exposure' | 'flow';

export interface LegResult {
  /** Source addresses that get through both ways; empty when blocked. */
  admitted: AddressSet;
  hops: Hop[];
  /** The first hop that dropped every remaining address. */
  blockedAt?: Hop;
  /** True when a hop could not be evaluated (missing input or an unresolved prefix list). */
  unresolved: boolean;
  /** Flow mode: addresses whose replies pass on only part of the ephemeral range. */
  partialReturn?: AddressSet;
  /** The target's ingress rules that admitted the packets. */
  ingressRules: SecurityGroupRule[];
}

export function evaluateLeg(network: AwsNetwork, source: Endpoint, target: LegTarget, traffic: Traffic, mode: ReturnMode): LegResult {
  const state = new LegState(source.addresses);
  const destination = target.addresses ?? target.eni.addresses;
  const targetSubnet = target.eni.subnetId ? network.subnets.get(target.eni.subnetId) : undefined;
  const crosses = source.internet || !source.subnet || !targetSubnet || source.subnet.id !== targetSubnet.id;
  const trafficText = describeTraffic(traffic.protocol, traffic.range);

  // 1. Internet gateway: a public address on the target and a route back to the client.
  if (source.internet) {
    const gateway = internetGatewayHop(network, target, targetSubnet, state.current);
    state.record(gateway.hop, gateway.admitted);
  }

  // 2. The source's own security groups, for packets leaving an interface the snapshot contains.
  if (source.egressGroups.length > 0) {
    const result = admit(groupsOf(network, source.egressGroups), 'egress', { addresses: destination, groups: new Set(target.eni.groups.concat(target.groups)) }, traffic);
    for (const hop of securityGroupHops(result, 'egress', source.egressGroups, trafficText, destination, 'request')) state.record(hop, result.admitted.isEmpty() && result.unresolved.length === 0 ? AddressSet.EMPTY : state.current);
  }

  // 3. The source subnet's outbound NACL, which judges the destination.
  if (crosses && source.subnet && !source.internet) {
    const outcome = naclHop(network, source.subnet, 'egress', traffic, destination, 'request', 'every');
    state.record(outcome.hop, outcome.result && outcome.result.allowed.isEmpty() ? AddressSet.EMPTY : state.current);
  }

  // 4-6. The target side depends only on the target's subnet and groups, so interfaces that share them share the result.
  const key = ['target', state.current.id, groupKey(source.groups), targetSubnet?.id ?? target.eni.id, crosses, target.groups.join(','), target.noSecurityGroups ? target.eni.loadBalancerKey : '', traffic.protocol, traffic.range[0], traffic.range[1], mode].join('|');
  let side = network.legCache.get(key) as TargetSide | undefined;
  if (!side) {
    side = targetSide(network, source, target, targetSubnet, crosses, traffic, trafficText, mode, state.current);
    network.legCache.set(key, side);
  }
  state.merge(side.state);

  // 7. Replies through the source subnet's inbound NACL, which judges the target's address.
  const replyRange = returnRange(traffic, mode);
  if (replyRange && crosses && source.subnet && !source.internet) {
    const outcome = naclHop(network, source.subnet, 'ingress', { protocol: traffic.protocol, range: replyRange }, destination, 'reply', mode === 'exposure' ? 'any' : 'every');
    state.record(outcome.hop, outcome.result && outcome.result.allowed.isEmpty() ? AddressSet.EMPTY : state.current);
  }

  return {
    admitted: state.blockedAt ? AddressSet.EMPTY : state.current,
    hops: state.hops,
    ...(state.blockedAt ? { blockedAt: state.blockedAt } : {}),
    unresolved: state.unresolved,
    ...(side.partialReturn ? { partialReturn: side.partialReturn } : {}),
    ingressRules: side.ingressRules,
  };
}

interface TargetSide {
  state: LegState;
  partialReturn?: AddressSet;
  ingressRules: SecurityGroupRule[];
}

/** Evaluates the target subnet's inbound NACL, the target's security groups and the reply through the target subnet's outbound NACL. */
function targetSide(
  network: AwsNetwork,
  source: Endpoint,
  target: LegTarget,
  targetSubnet: SubnetInfo | undefined,
  crosses: boolean,
  traffic: Traffic,
  trafficText: string,
  mode: ReturnMode,
  addresses: AddressSet,
): TargetSide {
  const state = new LegState(addresses);
  let partialReturn: AddressSet | undefined;
  let ingressRules: SecurityGroupRule[] = [];

  if (crosses && targetSubnet) {
    const outcome = naclHop(network, targetSubnet, 'ingress', traffic, state.current, 'request', 'every');
    state.record(outcome.hop, outcome.result ? outcome.result.allowed : state.current);
  } else if (crosses) {
    state.record(missingSubnetHop(target.eni), state.current);
  }

  if (target.noSecurityGroups) {
    const name = target.eni.loadBalancerKey?.split('/')[1] ?? target.eni.id;
    state.record({ kind: 'load-balancer', id: name, decision: 'allow', detail: `${name} has no security groups, so every client that reaches it gets to its listeners`, leg: 'request' }, state.current);
  } else {
    const result = admit(groupsOf(network, target.groups), 'ingress', { addresses: state.current, groups: source.groups }, traffic);
    const after = result.admitted.isEmpty() && result.unresolved.length > 0 ? state.current : result.admitted;
    ingressRules = result.matches.map((match) => match.rule);
    for (const hop of securityGroupHops(result, 'ingress', target.groups, trafficText, state.current, 'request')) state.record(hop, after);
  }

  const replyRange = returnRange(traffic, mode);
  if (replyRange && crosses && targetSubnet) {
    const replyTraffic = { protocol: traffic.protocol, range: replyRange };
    // Clients whose replies pass on part of the range still connect from some ports; flow mode
    // reports them as partial instead of dropping them.
    const outcome = naclHop(network, targetSubnet, 'egress', replyTraffic, state.current, 'reply', 'any');
    if (mode === 'flow' && outcome.result) {
      const every = evaluateNacl(targetSubnet.nacl as CompiledNacl, 'egress', replyTraffic.protocol, replyTraffic.range, state.current, 'every', network.naclCache).allowed;
      const partial = outcome.result.allowed.subtract(every);
      if (!partial.isEmpty()) partialReturn = partial;
    }
    state.record(outcome.hop, outcome.result ? outcome.result.allowed : state.current);
  }
  return { state, ...(partialReturn ? { partialReturn } : {}), ingressRules };
}

/**
 * The addresses still travelling and the hops so far. A hop that drops every remaining address is
 * the block. Evaluation goes on with the addresses that reached it, so that later blockers are named too.
 */
class LegState {
  hops: Hop[] = [];
  blockedAt?: Hop;
  unresolved = false;

  constructor(public current: AddressSet) {}

  record(hop: Hop, after: AddressSet): void {
    this.hops.push(hop);
    if (hop.decision === 'unresolved' || hop.decision === 'not-evaluated') this.unresolved = true;
    if (after.isEmpty() && !this.current.isEmpty() && hop.decision === 'deny') {
      this.blockedAt ??= hop;
      return;
    }
    this.current = after;
  }

  merge(other: LegState): void {
    this.hops = [...this.hops, ...other.hops];
    this.blockedAt ??= other.blockedAt;
    this.unresolved ||= other.unresolved;
    this.current = other.current;
  }
}

const groupKeys = new WeakMap<ReadonlySet<string>, string>();

function groupKey(groups: ReadonlySet<string>): string {
  let key = groupKeys.get(groups);
  if (key === undefined) {
    key = [...groups].sort().join(',');
    groupKeys.set(groups, key);
  }
  return key;
}

/** Returns the range a reply travels on, or undefined when the protocol needs no reply to count. */
export function returnRange(traffic: Traffic, mode: ReturnMode): Range | undefined {
  if (traffic.protocol === TCP) return mode === 'exposure' ? FULL_RANGE : EPHEMERAL;
  if (traffic.protocol === UDP && mode === 'flow') return EPHEMERAL;
  return undefined;
}

// --- hops ---------------------------------------------------------------------------------------

/**
 * Judges the way in from the internet. The subnet's route table decides first: the reply must leave
 * through an internet gateway, so a subnet without a route to one (or without one for these clients)
 * is blocked at the route table. The internet gateway then delivers only to a public IPv4 address or
 * an IPv6 address of the interface.
 */
function internetGatewayHop(network: AwsNetwork, target: LegTarget, subnet: SubnetInfo | undefined, addresses: AddressSet): { hop: Hop; admitted: AddressSet } {
  const eni = target.eni;
  const request = { leg: 'request' as const };
  if (!subnet) return { hop: { ...request, kind: 'route-table', id: `route-table/${eni.id}`, decision: 'not-evaluated', detail: `the subnet of ${eni.id} is not in the snapshot, so its route table is unknown` }, admitted: addresses };
  if (!subnet.internet) return { hop: { ...request, kind: 'route-table', id: `route-table/${subnet.id}`, decision: 'not-evaluated', detail: `no route table for ${subnet.id} in the snapshot` }, admitted: addresses };

  const tableId = subnet.routeTableId as string;
  const table = { ...request, kind: 'route-table' as const, id: tableId, ...(subnet.routeTableSource ? { source: subnet.routeTableSource } : {}) };
  const gatewayId = subnet.internet.targets[0] ?? 'internet-gateway';
  if (subnet.internet.addresses.isEmpty()) {
    return { hop: { ...table, decision: 'deny', detail: `${subnet.id} has no route to an internet gateway (route table ${tableId}), so it is a private subnet` }, admitted: AddressSet.EMPTY };
  }

  // IPv4 clients need a public IPv4 address on the interface, and IPv6 clients need an IPv6 address.
  let reachable = AddressSet.EMPTY;
  const hasPublicV4 = eni.publicIps.length > 0 || target.publicByDesign === true;
  if (hasPublicV4) reachable = reachable.union(AddressSet.ALL_IPV4);
  if (eni.ipv6.length > 0) reachable = reachable.union(AddressSet.ALL_IPV6);
  // Interfaces with the same kinds of public address in one subnet admit the same clients: reuse the sets.
  const key = ['gateway', addresses.id, hasPublicV4, eni.ipv6.length > 0, subnet.internet.addresses.id].join('|');
  let outcome = network.legCache.get(key) as { routed: AddressSet; admitted: AddressSet } | undefined;
  if (!outcome) {
    const routed = addresses.intersect(subnet.internet.addresses);
    outcome = { routed, admitted: routed.intersect(reachable) };
    network.legCache.set(key, outcome);
  }

  if (outcome.routed.isEmpty()) {
    return { hop: { ...table, decision: 'deny', detail: `the route table ${tableId} of ${subnet.id} routes none of these clients to ${gatewayId}, so replies to them cannot leave` }, admitted: AddressSet.EMPTY };
  }

  const gateway = { ...request, kind: 'internet-gateway' as const, id: gatewayId, ...(subnet.routeTableSource ? { source: subnet.routeTableSource } : {}) };
  if (outcome.admitted.isEmpty()) {
    const reason = !hasPublicV4 && eni.ipv6.length === 0 ? `${eni.id} has no public IP or Elastic IP` : `${eni.id} has no address of the clients' IP version (${publicAddressText(eni, target.publicByDesign === true)})`;
    return { hop: { ...gateway, decision: 'deny', detail: reason }, admitted: outcome.admitted };
  }
  return { hop: { ...gateway, decision: 'allow', detail: `route to ${gatewayId} in ${tableId}; ${publicAddressText(eni, target.publicByDesign === true)} on ${eni.id}` }, admitted: outcome.admitted };
}

function naclHop(
  network: AwsNetwork,
  subnet: SubnetInfo,
  direction: Direction,
  traffic: Traffic,
  remote: AddressSet,
  leg: 'request' | 'reply',
  mode: 'any' | 'every',
): { hop: Hop; result?: NaclResult } {
  const acl = subnet.nacl;
  if (!acl) {
    return { hop: { kind: 'nacl-rule', id: `nacl/${subnet.id}`, decision: 'not-evaluated', detail: `no network ACL for ${subnet.id} in the snapshot`, leg } };
  }
  const result = evaluateNacl(acl, direction, traffic.protocol, traffic.range, remote, mode, network.naclCache);
  const allowed = !result.allowed.isEmpty();
  const deciding = result.decisions.filter((decision) => (allowed ? decision.action === 'allow' : true));
  const first = deciding[0];
  const ruleText = deciding.map(describeNaclDecision).join('; ');
  // The rule text names the addresses; describing `remote` here would cost more than the evaluation.
  const what = describeTraffic(traffic.protocol, traffic.range);
  // AWS shows the default entries (32767 and 32768) as `*`.
  const number = first?.entry && first.entry.ruleNumber < 32767 ? String(first.entry.ruleNumber) : '*';
  return {
    hop: {
      kind: 'nacl-rule',
      id: `${acl.id}/${direction}/${number}`,
      decision: allowed ? 'allow' : 'deny',
      detail: `${direction === 'ingress' ? 'inbound' : 'outbound'} ${leg === 'reply' ? 'reply ' : ''}${what} in ${subnet.id}: ${ruleText || 'no entry matches'}`,
      leg,
      ...(first?.entry ? { source: first.entry.source } : { source: acl.source }),
    },
    result,
  };
}

function securityGroupHops(result: AdmitResult, direction: Direction, groups: readonly string[], trafficText: string, peers: AddressSet, leg: 'request' | 'reply'): Hop[] {
  if (result.matches.length > 0) {
    return result.matches.map((match) => ({
      kind: 'security-group-rule' as const,
      id: match.rule.groupId,
      decision: 'allow' as const,
      detail: describeRule(match.rule),
      leg,
      source: match.rule.source,
    }));
  }
  if (result.unresolved.length > 0) {
    return result.unresolved.map((rule) => ({
      kind: 'security-group-rule' as const,
      id: rule.groupId,
      decision: 'unresolved' as const,
      detail: `${describeRule(rule)}: the prefix list's entries are not in the snapshot`,
      leg,
      source: rule.source,
    }));
  }
  const list = groups.length > 0 ? groups.join(', ') : 'no security groups';
  const preposition = direction === 'ingress' ? 'from' : 'to';
  return [{ kind: 'security-group', id: groups.join(',') || 'none', decision: 'deny', detail: `no ${direction} rule of ${list} admits ${trafficText} ${preposition} ${describeSources(peers, 2)}`, leg }];
}

function publicAddressText(eni: Eni, publicByDesign: boolean): string {
  if (eni.publicIps.length > 0) return `public IP ${eni.publicIps.join(', ')}`;
  if (publicByDesign) return 'internet-facing load balancer address';
  if (eni.ipv6.length > 0) return `IPv6 ${eni.ipv6.join(', ')}`;
  return 'no public IP';
}

function missingSubnetHop(eni: Eni): Hop {
  return { kind: 'nacl-rule', id: `nacl/${eni.id}`, decision: 'not-evaluated', detail: `the subnet of ${eni.id} is not in the snapshot, so its NACL is unknown`, leg: 'request' };
}
