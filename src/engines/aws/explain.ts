import type { Inventory } from '../../inventory/inventory.js';
import { AddressSet, describeSources, parseCidr } from './addresses.js';
import { targetRef } from './exposure.js';
import { evaluateLeg, type Hop } from './legs.js';
import { evaluateLoadBalancerRoute, frontLegs, listenerProtocols } from './lb-routes.js';
import type { LoadBalancerInfo } from './load-balancers.js';
import { networkOf, type AwsNetwork, type Eni } from './network.js';
import { resolveSources, SourceError } from './sources.js';
import { hasPorts, parseProtocol, protocolLabel } from './traffic.js';

// "Why not?": every way a source could reach one port, each with its hops and the first hop that
// drops the traffic. A target is an instance (`i-…`), an interface (`eni-…`), a private or public IP, or
// a load balancer by name or DNS name.

export interface ExplainQuery {
  from?: string;
  /** `i-…`, `eni-…`, an IP address or a load balancer name or DNS name, without the port. */
  to: string;
  protocol?: string;
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

/** Parses `TARGET:PORT` (`i-0abc:22`, `10.0.1.5:443`, `[2001:db8::1]:22`); the port is optional. */
export function parseTarget(text: string): { to: string; port?: number } {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracketed) return { to: bracketed[1] as string, ...(bracketed[2] ? { port: Number(bracketed[2]) } : {}) };
  if (parseCidr(text)) return { to: text };
  const match = /^(.*):(\d+)$/.exec(text);
  if (match) return { to: match[1] as string, port: Number(match[2]) };
  return { to: text };
}

export function explain(inventory: Inventory, query: ExplainQuery): ExplainResult {
  const network = networkOf(inventory);
  const protocol = parseProtocol(query.protocol ?? 'tcp');
  if (protocol === undefined || protocol === 'all') throw new SourceError(`--protocol ${query.protocol} is not tcp, udp, icmp, icmpv6 or a protocol number`);
  if (hasPorts(protocol) && query.port === undefined) throw new SourceError(`--to ${query.to} needs a port for ${protocolLabel(protocol)}, for example ${query.to}:22`);
  const port = query.port ?? 0;
  const { endpoints, notModelled } = resolveSources(network, query.from);
  const routes: ExplainRoute[] = [];

  const lb = findLoadBalancer(network, query.to);
  if (lb) {
    const listener = lb.listeners.find((candidate) => candidate.port === port && listenerProtocols(candidate).includes(protocol));
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

  const enis = findEnis(network, query.to);
  if (enis.length === 0) throw new SourceError(`--to ${query.to}: no instance, network interface, IP address or load balancer of that name in the snapshot`);
  const traffic = { protocol, range: [port, port] as const };
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
          for (const target of group.targets) {
            if (!target.eni || !enis.includes(target.eni) || target.port !== port) continue;
            const route = evaluateLoadBalancerRoute(network, endpoint, candidate, listener, group, target, protocol, 'exposure');
            if (!route) continue;
            routes.push(toRoute(`${candidate.name} listener ${listener.protocol} ${listener.port}`, endpoint.label, route.hops, route.blockedAt, route.unresolved, route.admitted));
          }
        }
      }
    }
  }
  const first = enis[0] as Eni;
  return finish(targetRef(first), protocolLabel(protocol), query.port ?? 'all', routes, [...network.notModelled, ...notModelled]);
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

function noListenerHop(lb: LoadBalancerInfo, protocol: string, port: number): Hop {
  const ports = lb.listeners.map((listener) => `${listener.protocol} ${listener.port}`).join(', ') || 'none';
  return { kind: 'load-balancer', id: lb.name, decision: 'deny', detail: `${lb.name} has no ${protocol} listener on port ${port} (listeners: ${ports})` };
}

