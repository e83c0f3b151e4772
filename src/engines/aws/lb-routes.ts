import { AddressSet } from './addresses.js';
import { evaluateLeg, type Endpoint, type Hop, type LegResult, type LegTarget, type ReturnMode } from './legs.js';
import { isUdpProtocol, loadBalancerAddresses, type ListenerInfo, type LoadBalancerInfo, type TargetGroupInfo, type TargetInfo } from './load-balancers.js';
import type { AwsNetwork, Eni } from './network.js';
import { TCP, UDP } from './traffic.js';
import { compareText } from '../../compare.js';

// A path through a load balancer has two legs. The front leg runs from the client to one of the load
// balancer's interfaces on the listener port. The back leg runs from that interface to a target on the
// target port. Its source address is the client's when an NLB preserves client IPs and the interface's
// own private IP otherwise. An NLB with cross-zone load balancing off only sends to targets in its own
// Availability Zone.

export interface LoadBalancerRoute {
  /** Client addresses that reach the target; empty when blocked. */
  admitted: AddressSet;
  hops: Hop[];
  blockedAt?: Hop;
  unresolved: boolean;
  front: LegResult;
  back?: LegResult;
  frontEni: Eni;
}

/** Makes a load balancer interface a leg target, guarded by the load balancer's security groups. */
export function loadBalancerTarget(lb: LoadBalancerInfo, eni: Eni): LegTarget {
  return {
    eni,
    groups: lb.securityGroups,
    publicByDesign: lb.scheme === 'internet-facing',
    noSecurityGroups: lb.type === 'network' && lb.securityGroups.length === 0,
  };
}

/** Lists the network protocols a listener receives: TCP, UDP, or both for TCP_UDP. */
export function listenerProtocols(listener: ListenerInfo): number[] {
  if (listener.protocol === 'TCP_UDP') return [TCP, UDP];
  return [isUdpProtocol(listener.protocol) ? UDP : TCP];
}

/** Evaluates the front leg through each interface of the load balancer, best first. */
export function frontLegs(network: AwsNetwork, source: Endpoint, lb: LoadBalancerInfo, listener: ListenerInfo, protocol: number, mode: ReturnMode): Array<{ eni: Eni; leg: LegResult }> {
  const legs = lb.enis.map((eni) => ({ eni, leg: evaluateLeg(network, source, loadBalancerTarget(lb, eni), { protocol, range: [listener.port, listener.port] }, mode) }));
  return legs.sort((a, b) => rank(a.leg) - rank(b.leg) || compareText(a.eni.id, b.eni.id));
}

/**
 * Evaluates client → load balancer → one target, trying every interface of the load balancer and
 * returning the route that admits the most clients (or, when all are blocked, the first one).
 */
export function evaluateLoadBalancerRoute(
  network: AwsNetwork,
  source: Endpoint,
  lb: LoadBalancerInfo,
  listener: ListenerInfo,
  group: TargetGroupInfo,
  target: TargetInfo,
  protocol: number,
  mode: ReturnMode,
): LoadBalancerRoute | undefined {
  if (!target.eni) return undefined;
  const routes: LoadBalancerRoute[] = [];
  for (const { eni, leg: front } of frontLegs(network, source, lb, listener, protocol, mode)) {
    const crossZone = group.crossZone ?? lb.crossZone;
    if (!crossZone && eni.az && target.az && eni.az !== target.az) continue;
    const listenerHop = listenerHopFor(lb, listener, group);
    if (front.blockedAt) {
      routes.push({ admitted: AddressSet.EMPTY, hops: [...front.hops, listenerHop], blockedAt: front.blockedAt, unresolved: front.unresolved, front, frontEni: eni });
      continue;
    }
    const clients = front.admitted.isEmpty() && front.unresolved ? source.addresses : front.admitted;
    const seen = sourceSeenByTarget(lb, group, eni, clients);
    const subnet = eni.subnetId ? network.subnets.get(eni.subnetId) : undefined;
    const lbEndpoint: Endpoint = {
      label: lb.name,
      addresses: seen,
      groups: new Set(lb.securityGroups),
      egressGroups: lb.securityGroups,
      ...(subnet ? { subnet } : {}),
      internet: false,
      eni,
    };
    const targetAddress = target.address ? AddressSet.parse(target.address) : undefined;
    const back = evaluateLeg(network, lbEndpoint, { eni: target.eni, groups: target.eni.groups, ...(targetAddress ? { addresses: targetAddress } : {}) }, { protocol, range: [target.port, target.port] }, mode);
    const admitted = back.blockedAt ? AddressSet.EMPTY : clientsThrough(lb, group, eni, clients, back.admitted.isEmpty() && back.unresolved ? seen : back.admitted);
    routes.push({
      admitted,
      hops: [...front.hops, listenerHop, ...back.hops],
      ...(back.blockedAt ? { blockedAt: back.blockedAt } : {}),
      unresolved: front.unresolved || back.unresolved,
      front,
      back,
      frontEni: eni,
    });
  }
  if (routes.length === 0) return undefined;
  return routes.sort((a, b) => routeRank(a) - routeRank(b) || compareCounts(b.admitted, a.admitted))[0];
}

/**
 * Returns the source address the target receives. With client IP preservation an NLB keeps IPv4 client addresses
 * towards IPv4 targets, but IPv6 clients of a dual-stack NLB reach IPv4 targets from the NLB's own
 * address (AWS documents this for instance and IPv4 IP targets).
 */
export function sourceSeenByTarget(lb: LoadBalancerInfo, group: TargetGroupInfo, eni: Eni, clients: AddressSet): AddressSet {
  const own = eni.addresses.isEmpty() ? loadBalancerAddresses(lb) : eni.addresses;
  if (!group.preserveClientIp) return own;
  let seen = clients.only('ipv4');
  if (clients.hasFamily('ipv6')) seen = seen.union(own.only('ipv4'));
  return seen;
}

export function listenerHopFor(lb: LoadBalancerInfo, listener: ListenerInfo, group: TargetGroupInfo): Hop {
  const preservation = lb.type === 'application' ? 'the target sees the load balancer’s private IP' : `client IP preservation ${group.preserveClientIp ? 'on' : 'off'} (${group.preserveClientIpOrigin === 'attribute' ? 'target group attribute' : 'AWS default for this target type'})`;
  return {
    kind: 'load-balancer',
    id: lb.name,
    decision: 'allow',
    detail: `${lb.scheme} ${lb.type} load balancer: listener ${listener.protocol} ${listener.port} → target group ${group.name} (${group.targetType} targets); ${preservation}`,
    source: listener.source,
  };
}

// --- helpers ------------------------------------------------------------------------------------

/** Clients that reach the target: those the back leg admitted when preserved, else everyone the front leg admitted. */
function clientsThrough(lb: LoadBalancerInfo, group: TargetGroupInfo, eni: Eni, clients: AddressSet, backAdmitted: AddressSet): AddressSet {
  if (backAdmitted.isEmpty()) return AddressSet.EMPTY;
  if (!group.preserveClientIp) return clients;
  let through = clients.only('ipv4').intersect(backAdmitted);
  const own = eni.addresses.isEmpty() ? loadBalancerAddresses(lb) : eni.addresses;
  if (clients.hasFamily('ipv6') && backAdmitted.overlaps(own)) through = through.union(clients.only('ipv6'));
  return through;
}

function rank(leg: LegResult): number {
  if (leg.blockedAt) return 2;
  return leg.unresolved ? 1 : 0;
}

function routeRank(route: LoadBalancerRoute): number {
  if (route.blockedAt) return 2;
  return route.unresolved ? 1 : 0;
}

function compareCounts(a: AddressSet, b: AddressSet): number {
  const difference = a.ipv4Count() - b.ipv4Count();
  if (difference === 0n) return 0;
  return difference > 0n ? 1 : -1;
}
