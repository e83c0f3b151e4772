import type { Inventory } from '../../inventory/inventory.js';
import { AddressSet, describeSources, familyOf, parseCidr } from './addresses.js';
import { targetRef, type ExposurePath } from './exposure.js';
import { evaluateLeg, type Hop } from './legs.js';
import { evaluateLoadBalancerRoute, frontLegs, listenerProtocols } from './lb-routes.js';
import type { LoadBalancerInfo } from './load-balancers.js';
import { networkOf, type AwsNetwork, type Eni } from './network.js';
import { resolveSources, SourceError } from './sources.js';
import { ICMP, ICMPV6, TCP, hasPorts, icmpRange, parseProtocol, pathPort, protocolLabel, type Protocol, type Range } from './traffic.js';

// "Why not?": every way a source could reach one port, each with its hops and the first hop that
// drops the traffic. A target is an instance (`i-…`), an interface (`eni-…`), a private or public IP, or
// a load balancer by name or DNS name. `rampart exposure --to` without `--explain` filters the listed
// paths with the same target and protocol parsing.

/** ICMP echo request types: 8 for ICMP (RFC 792) and 128 for ICMPv6 (RFC 4443). */
const ICMP_ECHO_REQUEST = 8;
const ICMPV6_ECHO_REQUEST = 128;

export interface ExplainQuery {
  from?: string;
  /** `i-…`, `eni-…`, an IP address or a load balancer name or DNS name, without the port. */
  to: string;
  /** As `--protocol` spells it, tcp when left out. */
  protocol?: string;
  /** Required for TCP and UDP, and rejected for protocols without ports. */
  port?: number;
}

export interface ExplainRoute {
  /** `direct`, or the load balancer and listener the route goes through. */
  via: string;
  source: string;
  verdict: 'reachable' | 'blocked' | 'unresolved';
  hops: Hop[];
  blockedAt?: Hop;
  admitted: string;
}

export interface ExplainResult {
  verdict: 'reachable' | 'blocked' | 'unresolved';
  target: { kind: string; id: string };
  protocol: string;
  port: number | string;
  routes: ExplainRoute[];
  notModelled: string[];
}

/** `--to` split into the target and its port. */
export interface TargetSpec {
  /** `i-…`, `eni-…`, an IP address, or a load balancer name, DNS name or ARN. */
  to: string;
  port?: number;
}

/**
 * Parses `--to TARGET[:PORT]`: `i-0abc:22`, `10.0.1.5:443`, `[2001:db8::1]:22`, or a load balancer ARN
 * followed by `:PORT`. An IPv6 address without brackets is read as an address without a port, because
 * its last group could be either. Raises SourceError, naming the value, for an empty target or a port
 * that is not an integer from 1 to 65535.
 */
export function parseTarget(text: string): TargetSpec {
  const value = text.trim();
  let to = value;
  let portText: string | undefined;
  const bracketed = /^\[([^\]]*)\](?::(.*))?$/.exec(value);
  if (bracketed) {
    to = bracketed[1] as string;
    portText = bracketed[2];
  } else if (value.startsWith('arn:')) {
    // arn:partition:service:region:account:resource, and the resource of a load balancer has no colon.
    const parts = value.split(':');
    if (parts.length > 6) {
      to = parts.slice(0, 6).join(':');
      portText = parts.slice(6).join(':');
    }
  } else if (!parseCidr(value) && value.includes(':')) {
    const colon = value.lastIndexOf(':');
    to = value.slice(0, colon);
    portText = value.slice(colon + 1);
  }
  if (to === '') throw new SourceError(`--to ${text} names no target; expected TARGET[:PORT], for example i-0123456789abcdef0:22`);
  if (portText === undefined) return { to };
  if (!/^\d+$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) {
    throw new SourceError(`--to ${text}: the port "${portText}" is not an integer from 1 to 65535; expected TARGET[:PORT], for example ${withPort(to, 22)}`);
  }
  return { to, port: Number(portText) };
}

/** Parses `--protocol`: tcp, udp, icmp, icmpv6, `all` or `-1`, or an IP protocol number from 0 to 255. */
export function parseProtocolOption(text: string): Protocol {
  const protocol = parseProtocol(text);
  if (protocol === undefined) throw new SourceError(`--protocol "${text}" is not valid; expected tcp, udp, icmp, icmpv6, all (or -1) or an IP protocol number from 0 to 255`);
  return protocol;
}

/** Writes a target with a port the way `parseTarget` reads it back: IPv6 addresses in brackets. */
export function withPort(to: string, port: number): string {
  return familyOf(to) === 'ipv6' ? `[${to}]:${port}` : `${to}:${port}`;
}

/** What `--to` names: a load balancer, or the network interfaces of an instance, interface or address. */
export type ResolvedTarget = { kind: 'load-balancer'; loadBalancer: LoadBalancerInfo } | { kind: 'interfaces'; enis: Eni[] };

/**
 * Resolves a target in the snapshot. An address or interface of a load balancer resolves to the load
 * balancer, because its interfaces answer only on its listeners. Raises SourceError for a target the
 * snapshot does not have, so that a typo never reads as "not exposed".
 */
export function resolveTarget(network: AwsNetwork, to: string): ResolvedTarget {
  const byName = findLoadBalancer(network, to);
  if (byName) return { kind: 'load-balancer', loadBalancer: byName };
  const enis = findEnis(network, to);
  const owners = [...new Set(enis.map((eni) => eni.loadBalancerKey))];
  const owner = owners.length === 1 && owners[0] ? network.loadBalancers.find((lb) => lb.key === owners[0]) : undefined;
  if (owner) return { kind: 'load-balancer', loadBalancer: owner };
  if (enis.length === 0) throw new SourceError(`--to ${to}: no instance, network interface, IP address or load balancer of that name in the snapshot`);
  return { kind: 'interfaces', enis };
}

/** What `rampart exposure` lists without `--explain`; every field left out matches everything. */
export interface PathFilter {
  to?: TargetSpec;
  /** One protocol; `all` and undefined keep every protocol. */
  protocol?: Protocol;
}

/**
 * Keeps the paths that reach the filter's target, port and protocol. A port matches a path whose port
 * range holds it; for a load balancer it is the listener port. Raises SourceError for a target the
 * snapshot does not have and for a port with a protocol that has none.
 */
export function selectPaths(inventory: Inventory, paths: readonly ExposurePath[], filter: PathFilter): ExposurePath[] {
  const protocol = filter.protocol === 'all' ? undefined : filter.protocol;
  const port = filter.to?.port;
  if (protocol !== undefined && port !== undefined && !hasPorts(protocol)) throw noPortsError(filter.to as TargetSpec, protocol);
  const target = filter.to ? resolveTarget(networkOf(inventory), filter.to.to) : undefined;
  return paths.filter((path) => (protocol === undefined || pathCarriesProtocol(path, protocol)) && pathReaches(path, target, port));
}

export function explain(inventory: Inventory, query: ExplainQuery): ExplainResult {
  const network = networkOf(inventory);
  const protocol = query.protocol === undefined ? TCP : parseProtocolOption(query.protocol);
  if (protocol === 'all') throw new SourceError('--explain evaluates one protocol: give tcp, udp, icmp, icmpv6 or an IP protocol number from 0 to 255, not all');
  if (query.port !== undefined && !hasPorts(protocol)) throw noPortsError({ to: query.to, port: query.port }, protocol);
  if (hasPorts(protocol) && query.port === undefined) throw new SourceError(`--to ${query.to} needs a port for ${protocolLabel(protocol)}, for example ${withPort(query.to, 22)}`);
  const range = explainRange(protocol, query.port);
  const port = pathPort(protocol, range);
  const { endpoints, notModelled } = resolveSources(network, query.from);
  const routes: ExplainRoute[] = [];

  const target = resolveTarget(network, query.to);
  if (target.kind === 'load-balancer') {
    const lb = target.loadBalancer;
    const listener = lb.listeners.find((candidate) => candidate.port === query.port && listenerProtocols(candidate).includes(protocol));
    for (const endpoint of endpoints) {
      if (!listener) {
        routes.push({ via: lb.name, source: endpoint.label, verdict: 'blocked', hops: [], blockedAt: noListenerHop(lb, protocolLabel(protocol), port), admitted: 'none' });
        continue;
      }
      const front = frontLegs(network, endpoint, lb, listener, protocol, 'exposure')[0];
      if (!front) continue;
      routes.push(toRoute(`${lb.name} listener ${listener.protocol} ${listener.port}`, endpoint.label, front.leg.hops, front.leg.blockedAt, front.leg.unresolved, front.leg.admitted));
    }
    return finish({ kind: 'LoadBalancer', id: lb.name }, protocolLabel(protocol), port, routes, [...network.notModelled, ...notModelled]);
  }

  const enis = target.enis;
  const traffic = { protocol, range };
  for (const endpoint of endpoints) {
    for (const eni of enis) {
      const leg = evaluateLeg(network, endpoint, { eni, groups: eni.groups }, traffic, 'exposure');
      routes.push(toRoute(enis.length > 1 ? `direct to ${eni.id}` : 'direct', endpoint.label, leg.hops, leg.blockedAt, leg.unresolved, leg.admitted));
    }
    // Load balancers whose targets include this interface on this port.
    for (const candidate of network.loadBalancers) {
      if (endpoint.internet !== (candidate.scheme === 'internet-facing')) continue;
      for (const listener of candidate.listeners) {
        if (!listenerProtocols(listener).includes(protocol)) continue;
        for (const group of listener.targetGroups) {
          for (const groupTarget of group.targets) {
            if (!groupTarget.eni || !enis.includes(groupTarget.eni) || groupTarget.port !== query.port) continue;
            const route = evaluateLoadBalancerRoute(network, endpoint, candidate, listener, group, groupTarget, protocol, 'exposure');
            if (!route) continue;
            routes.push(toRoute(`${candidate.name} listener ${listener.protocol} ${listener.port}`, endpoint.label, route.hops, route.blockedAt, route.unresolved, route.admitted));
          }
        }
      }
    }
  }
  const first = enis[0] as Eni;
  return finish(targetRef(first), protocolLabel(protocol), port, routes, [...network.notModelled, ...notModelled]);
}

// --- helpers ------------------------------------------------------------------------------------

function toRoute(via: string, source: string, hops: Hop[], blockedAt: Hop | undefined, unresolved: boolean, admitted: AddressSet): ExplainRoute {
  let verdict: ExplainRoute['verdict'] = 'reachable';
  if (blockedAt) verdict = 'blocked';
  else if (unresolved) verdict = 'unresolved';
  return { via, source, verdict, hops, ...(blockedAt ? { blockedAt } : {}), admitted: blockedAt ? 'none' : admitted.isEmpty() ? 'unresolved' : describeSources(admitted) };
}

function finish(target: { kind: string; id: string }, protocol: string, port: number | string, routes: ExplainRoute[], notModelled: string[]): ExplainResult {
  const verdict = routes.some((route) => route.verdict === 'reachable') ? 'reachable' : routes.some((route) => route.verdict === 'unresolved') ? 'unresolved' : 'blocked';
  return { verdict, target, protocol, port, routes, notModelled: [...new Set(notModelled)].sort() };
}

function findEnis(network: AwsNetwork, to: string): Eni[] {
  if (to.startsWith('i-')) return [...(network.enisByInstance.get(to) ?? [])].sort((a, b) => (a.deviceIndex ?? 9) - (b.deviceIndex ?? 9));
  if (to.startsWith('eni-')) {
    const eni = network.eniById.get(to);
    return eni ? [eni] : [];
  }
  const address = AddressSet.parse(to);
  if (!address) return [];
  return network.enis.filter((eni) => eni.addresses.covers(address) || eni.publicIps.includes(to));
}

function findLoadBalancer(network: AwsNetwork, to: string): LoadBalancerInfo | undefined {
  const name = to.toLowerCase().replace(/\.$/, '');
  return network.loadBalancers.find((lb) => lb.name.toLowerCase() === name || lb.dnsName?.toLowerCase() === name || lb.arn === to);
}

/**
 * The traffic `--explain` evaluates: the port for TCP and UDP, an echo request (ping) for ICMP and
 * ICMPv6, and the single point 0 for protocols without ports.
 */
function explainRange(protocol: number, port: number | undefined): Range {
  if (hasPorts(protocol)) return [port as number, port as number];
  if (protocol === ICMP) return icmpRange(ICMP_ECHO_REQUEST, 0);
  if (protocol === ICMPV6) return icmpRange(ICMPV6_ECHO_REQUEST, 0);
  return [0, 0];
}

/** True when a path carries the protocol: its own, every protocol, or the "other" class that stands for it. */
function pathCarriesProtocol(path: ExposurePath, protocol: number): boolean {
  if (path.protocol === 'all') return true;
  if (path.protocol === 'other') return !hasPorts(protocol) && protocol !== ICMP && protocol !== ICMPV6 && !(path.otherExcept ?? []).includes(protocol);
  return path.protocol === protocolLabel(protocol);
}

/** True when a path ends at the target (every target when undefined) on the port (every port when undefined). */
function pathReaches(path: ExposurePath, target: ResolvedTarget | undefined, port: number | undefined): boolean {
  if (target?.kind === 'interfaces' && !target.enis.some((eni) => eni.id === path.targetEni)) return false;
  if (target?.kind === 'load-balancer') {
    const lb = target.loadBalancer;
    // Paths through a load balancer to its targets carry the target port, so match them on the listener port.
    if (path.target.kind !== 'LoadBalancer') return path.via === 'load-balancer' && path.loadBalancer?.name === lb.name && (port === undefined || path.loadBalancer.listenerPort === port);
    if (path.target.id !== lb.name) return false;
  }
  return port === undefined || pathCoversPort(path, port);
}

/** True when a path's port (a number, a range `A-B` or `all`) holds `port`; only TCP, UDP and `all` paths have ports. */
function pathCoversPort(path: ExposurePath, port: number): boolean {
  if (path.protocol !== 'tcp' && path.protocol !== 'udp' && path.protocol !== 'all') return false;
  if (typeof path.port === 'number') return path.port === port;
  if (path.port === 'all') return true;
  const range = /^(\d+)-(\d+)$/.exec(path.port);
  return range !== null && Number(range[1]) <= port && port <= Number(range[2]);
}

function noPortsError(target: TargetSpec, protocol: number): SourceError {
  return new SourceError(`--to ${withPort(target.to, target.port as number)}: ${protocolLabel(protocol)} has no ports; leave the port out, or use --protocol tcp or udp`);
}

function noListenerHop(lb: LoadBalancerInfo, protocol: string, port: number | string): Hop {
  const ports = lb.listeners.map((listener) => `${listener.protocol} ${listener.port}`).join(', ') || 'none';
  return { kind: 'load-balancer', id: lb.name, decision: 'deny', detail: `${lb.name} has no ${protocol} listener${typeof port === 'number' ? ` on port ${port}` : ''} (listeners: ${ports})` };
}

