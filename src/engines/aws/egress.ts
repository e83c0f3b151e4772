import { AddressSet, PUBLIC_INTERNET } from './addresses.js';
import type { Hop, LegResult } from './legs.js';
import { describeNaclDecision, evaluateNacl } from './nacl.js';
import { groupsOf, type AwsNetwork, type Eni, type SubnetInfo } from './network.js';
import { admit, describeRule } from './security-groups.js';
import { EPHEMERAL, describeTraffic, type Traffic } from './traffic.js';

// Outbound connections from an interface to the internet. A subnet whose route for the destination
// goes to an internet gateway sends directly and needs a public address on the interface. A subnet
// whose route goes to a NAT gateway sends through the NAT gateway's interface in its own (public)
// subnet, and the NAT gateway then leaves through that subnet's internet gateway. Replies come back the same way,
// to ephemeral ports: 1024-65535 on the NAT gateway, and the client's range on the node.

export interface EgressResult extends LegResult {
  /** `internet-gateway`, `nat-gateway` or `none`. */
  via: string;
}

export function evaluateInternetEgress(network: AwsNetwork, eni: Eni, traffic: Traffic, destinations: AddressSet = PUBLIC_INTERNET): EgressResult {
  const hops: Hop[] = [];
  let current = destinations;
  let blockedAt: Hop | undefined;
  let unresolved = false;
  // `after` is what remains of the destinations; undefined leaves them as they are.
  const record: Recorder = (hop, after) => {
    hops.push(hop);
    if (hop.decision === 'not-evaluated' || hop.decision === 'unresolved') unresolved = true;
    if (after === undefined) return;
    if (hop.decision === 'deny' && after.isEmpty() && !current.isEmpty()) {
      blockedAt ??= hop;
      return;
    }
    current = after;
  };
  const subnet = eni.subnetId ? network.subnets.get(eni.subnetId) : undefined;
  const done = (via: string): EgressResult => ({ admitted: blockedAt ? AddressSet.EMPTY : current, hops, ...(blockedAt ? { blockedAt } : {}), unresolved, ingressRules: [], via });

  if (!subnet || !subnet.internet || !subnet.nat) {
    record({ kind: 'route-table', id: `route-table/${eni.subnetId ?? eni.id}`, decision: 'not-evaluated', detail: `no route table for ${eni.subnetId ?? eni.id} in the snapshot` }, current);
    return done('none');
  }

  // The source's security groups judge the destination.
  const egress = admit(groupsOf(network, eni.groups), 'egress', { addresses: current, groups: new Set() }, traffic);
  if (egress.matches.length > 0) {
    for (const match of egress.matches) record({ kind: 'security-group-rule', id: match.rule.groupId, decision: 'allow', detail: describeRule(match.rule), leg: 'request', source: match.rule.source }, egress.admitted);
  } else {
    record({ kind: 'security-group', id: eni.groups.join(','), decision: egress.unresolved.length > 0 ? 'unresolved' : 'deny', detail: `no egress rule of ${eni.groups.join(', ')} admits ${describeTraffic(traffic.protocol, traffic.range)} to ${current.describe(2)}`, leg: 'request' }, egress.unresolved.length > 0 ? current : AddressSet.EMPTY);
  }

  const direct = current.intersect(subnet.internet.addresses);
  const viaNat = current.intersect(subnet.nat.addresses).subtract(direct);
  if (!direct.isEmpty() && (eni.publicIps.length > 0 || eni.ipv6.length > 0)) {
    naclCheck(network, subnet, 'egress', traffic, current, 'request', record);
    naclCheck(network, subnet, 'ingress', { protocol: traffic.protocol, range: EPHEMERAL }, current, 'reply', record);
    record({ kind: 'internet-gateway', id: subnet.internet.targets[0] ?? 'internet-gateway', decision: 'allow', detail: `route to ${subnet.internet.targets[0]} with public IP ${eni.publicIps.join(', ') || eni.ipv6.join(', ')}`, leg: 'request' }, current);
    return done('internet-gateway');
  }
  if (viaNat.isEmpty()) {
    // Without a route the route table decides; with a route to an internet gateway, the missing public IP does.
    const hop: Hop = direct.isEmpty()
      ? { kind: 'route-table', id: subnet.routeTableId ?? `route-table/${subnet.id}`, decision: 'deny', detail: `${subnet.id} has no route to an internet or NAT gateway for ${current.describe(2)}`, leg: 'request', ...(subnet.routeTableSource ? { source: subnet.routeTableSource } : {}) }
      : { kind: 'internet-gateway', id: subnet.internet.targets[0] ?? 'internet-gateway', decision: 'deny', detail: `${eni.id} has no public IP, and its subnet routes the internet to an internet gateway`, leg: 'request' };
    record(hop, AddressSet.EMPTY);
    return done('none');
  }

  const natId = subnet.nat.targets[0] as string;
  const nat = network.inventory.data.natGateways.find((gateway) => gateway.NatGatewayId === natId);
  const natEni = nat ? network.enis.find((candidate) => candidate.id === nat.NatGatewayAddresses[0]?.NetworkInterfaceId) : undefined;
  const natSubnetId = nat?.SubnetId ?? natEni?.subnetId;
  const natSubnet = natSubnetId ? network.subnets.get(natSubnetId) : undefined;
  const natAddresses = natEni?.addresses ?? AddressSet.fromCidrs(nat?.NatGatewayAddresses.flatMap((address) => (address.PrivateIp ? [address.PrivateIp] : [])) ?? []);
  current = viaNat;

  // Node subnet, out to the NAT gateway and the reply back to the node.
  if (natSubnet && natSubnet.id !== subnet.id) {
    naclCheck(network, subnet, 'egress', traffic, current, 'request', record);
    naclCheck(network, subnet, 'ingress', { protocol: traffic.protocol, range: EPHEMERAL }, current, 'reply', record);
    naclAllOrNothing(network, natSubnet, 'ingress', traffic, eni.addresses, 'request', record);
    naclAllOrNothing(network, natSubnet, 'egress', { protocol: traffic.protocol, range: EPHEMERAL }, eni.addresses, 'reply', record);
  }
  if (!natSubnet) {
    record({ kind: 'nat-gateway', id: natId, decision: 'not-evaluated', detail: `NAT gateway ${natId} or its subnet is not in the snapshot`, leg: 'request' }, current);
    return done('nat-gateway');
  }
  // NAT gateway subnet, out to the internet and the reply on the NAT gateway's ephemeral ports.
  naclCheck(network, natSubnet, 'egress', traffic, current, 'request', record);
  naclCheck(network, natSubnet, 'ingress', { protocol: traffic.protocol, range: EPHEMERAL }, current, 'reply', record);
  if (!natSubnet.internet) {
    record({ kind: 'route-table', id: `route-table/${natSubnet.id}`, decision: 'not-evaluated', detail: `no route table for ${natSubnet.id}, the subnet of NAT gateway ${natId}, in the snapshot`, leg: 'request' }, current);
    return done('nat-gateway');
  }
  const out = current.intersect(natSubnet.internet.addresses);
  if (out.isEmpty()) {
    const detail = `NAT gateway ${natId} sits in ${natSubnet.id}, whose route table has no route to an internet gateway`;
    record({ kind: 'route-table', id: natSubnet.routeTableId ?? `route-table/${natSubnet.id}`, decision: 'deny', detail, leg: 'request', ...(natSubnet.routeTableSource ? { source: natSubnet.routeTableSource } : {}) }, out);
    return done('nat-gateway');
  }
  record(
    {
      kind: 'nat-gateway',
      id: natId,
      decision: 'allow',
      detail: `through NAT gateway ${natId} (${natAddresses.describe(2)}) in ${natSubnet.id} to ${natSubnet.internet.targets[0]}`,
      leg: 'request',
    },
    out,
  );
  return done('nat-gateway');
}

type Recorder = (hop: Hop, after: AddressSet | undefined) => void;

/** Checks a NACL against the remote addresses and narrows them to what it allows. */
function naclCheck(network: AwsNetwork, subnet: SubnetInfo, direction: 'ingress' | 'egress', traffic: Traffic, remote: AddressSet, leg: 'request' | 'reply', record: Recorder): void {
  if (!subnet.nacl) {
    record({ kind: 'nacl-rule', id: `nacl/${subnet.id}`, decision: 'not-evaluated', detail: `no network ACL for ${subnet.id} in the snapshot`, leg }, remote);
    return;
  }
  const result = evaluateNacl(subnet.nacl, direction, traffic.protocol, traffic.range, remote, 'every', network.naclCache);
  record(naclHop(subnet, direction, traffic, remote, leg, result.allowed, result.decisions.map(describeNaclDecision)), result.allowed);
}

/** Checks a NACL against the node's own address, which passes or blocks everything. */
function naclAllOrNothing(network: AwsNetwork, subnet: SubnetInfo, direction: 'ingress' | 'egress', traffic: Traffic, peer: AddressSet, leg: 'request' | 'reply', record: Recorder): void {
  if (!subnet.nacl) {
    record({ kind: 'nacl-rule', id: `nacl/${subnet.id}`, decision: 'not-evaluated', detail: `no network ACL for ${subnet.id} in the snapshot`, leg }, undefined);
    return;
  }
  const result = evaluateNacl(subnet.nacl, direction, traffic.protocol, traffic.range, peer, 'every', network.naclCache);
  const hop = naclHop(subnet, direction, traffic, peer, leg, result.allowed, result.decisions.map(describeNaclDecision));
  // The caller's remaining set is destinations, so a pass leaves it as it is and a block empties it.
  record(hop, result.allowed.isEmpty() ? AddressSet.EMPTY : undefined);
}

function naclHop(subnet: SubnetInfo, direction: 'ingress' | 'egress', traffic: Traffic, remote: AddressSet, leg: 'request' | 'reply', allowed: AddressSet, decisions: string[]): Hop {
  const acl = subnet.nacl as NonNullable<SubnetInfo['nacl']>;
  return {
    kind: 'nacl-rule',
    id: `${acl.id}/${direction}`,
    decision: allowed.isEmpty() ? 'deny' : 'allow',
    detail: `${direction === 'ingress' ? 'inbound' : 'outbound'} ${leg === 'reply' ? 'reply ' : ''}${describeTraffic(traffic.protocol, traffic.range)} ${direction === 'ingress' ? 'from' : 'to'} ${remote.describe(2)} in ${subnet.id}: ${decisions.join('; ') || 'no entry matches'}`,
    leg,
    source: acl.source,
  };
}
