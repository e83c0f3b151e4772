import { AddressSet, PUBLIC_INTERNET, parseCidr } from './addresses.js';
import type { Endpoint } from './legs.js';
import { vpcAddresses, type AwsNetwork, type Eni } from './network.js';
import { compareText } from '../../compare.js';

// Turning `--from` into endpoints. The internet is every public address, arriving through an
// internet gateway. A CIDR with public addresses means internet clients. A private CIDR means hosts in
// the subnets it overlaps that the snapshot does not contain, so no security group reference matches
// them. A security group stands for the interfaces that carry it.

export class SourceError extends Error {}

export interface ResolvedSources {
  endpoints: Endpoint[];
  /** Parts of the request that no endpoint covers, each a sentence. */
  notModelled: string[];
}

/** Returns the internet as a source: every public address, optionally narrowed to `within`. */
export function internetEndpoint(label = 'internet', within: AddressSet = AddressSet.ALL): Endpoint {
  return { label, addresses: PUBLIC_INTERNET.intersect(within), groups: new Set(), egressGroups: [], internet: true };
}

/** An endpoint for packets sent by one known interface, or by several with the same groups in one subnet. */
export function eniEndpoint(network: AwsNetwork, enis: Eni[], label: string, groups?: readonly string[]): Endpoint {
  const first = enis[0] as Eni;
  let addresses = AddressSet.EMPTY;
  for (const eni of enis) addresses = addresses.union(eni.addresses);
  const carried = groups ?? first.groups;
  const subnet = first.subnetId ? network.subnets.get(first.subnetId) : undefined;
  return {
    label,
    addresses,
    groups: new Set(carried),
    egressGroups: carried,
    ...(subnet ? { subnet } : {}),
    internet: false,
    ...(enis.length === 1 ? { eni: first } : {}),
  };
}

/**
 * Resolves `--from`: nothing or `internet` for the internet, a CIDR, `sg-…` or `subnet-…`. Raises
 * SourceError with the accepted forms when the value is none of them.
 */
export function resolveSources(network: AwsNetwork, from: string | undefined): ResolvedSources {
  const value = from?.trim();
  if (!value || value === 'internet') return { endpoints: [internetEndpoint()], notModelled: [] };
  if (value.startsWith('sg-')) return fromSecurityGroup(network, value);
  if (value.startsWith('subnet-')) return fromSubnet(network, value);
  if (parseCidr(value)) return fromCidr(network, value);
  throw new SourceError(`--from ${value} is not a CIDR, a security group ID (sg-…), a subnet ID (subnet-…) or "internet"`);
}

function fromSecurityGroup(network: AwsNetwork, groupId: string): ResolvedSources {
  const members = network.enisByGroup.get(groupId) ?? [];
  if (!network.securityGroups.has(groupId) && members.length === 0) throw new SourceError(`--from ${groupId}: no such security group in the snapshot`);
  if (members.length === 0) return { endpoints: [], notModelled: [`no network interface in the snapshot carries ${groupId}`] };
  // Interfaces in one subnet with the same groups behave alike, so each such set is one endpoint.
  const sets = new Map<string, Eni[]>();
  for (const eni of members) {
    const key = `${eni.subnetId ?? ''} ${[...eni.groups].sort().join(',')}`;
    const list = sets.get(key) ?? [];
    list.push(eni);
    sets.set(key, list);
  }
  const endpoints = [...sets.keys()].sort().map((key) => eniEndpoint(network, sets.get(key) as Eni[], groupId));
  return { endpoints, notModelled: [] };
}

function fromSubnet(network: AwsNetwork, subnetId: string): ResolvedSources {
  const subnet = network.subnets.get(subnetId);
  if (!subnet) throw new SourceError(`--from ${subnetId}: no such subnet in the snapshot`);
  return {
    endpoints: [{ label: `${subnetId} (${subnet.cidrTexts.join(', ')})`, addresses: subnet.cidrs, groups: new Set(), egressGroups: [], subnet, internet: false }],
    notModelled: [`hosts in ${subnetId} are taken to carry no security group, so rules that reference a group do not match them`],
  };
}

/**
 * A CIDR with public addresses in it stands for internet clients (its public part), because that is
 * what `0.0.0.0/0` means in a security group rule; addresses inside the VPC need a CIDR without public
 * addresses, a subnet or a security group.
 */
function fromCidr(network: AwsNetwork, cidr: string): ResolvedSources {
  const requested = AddressSet.parse(cidr) as AddressSet;
  const notModelled: string[] = [];
  const publicPart = requested.intersect(PUBLIC_INTERNET);
  if (!publicPart.isEmpty()) {
    if (requested.overlaps(vpcAddresses(network))) notModelled.push(`${cidr} is evaluated as internet clients; pass a CIDR inside the VPC, a subnet or a security group to evaluate sources inside the VPC`);
    return { endpoints: [internetEndpoint(cidr, requested)], notModelled };
  }
  const endpoints: Endpoint[] = [];
  for (const subnet of [...network.subnets.values()].sort((a, b) => compareText(a.id, b.id))) {
    const inside = requested.intersect(subnet.cidrs);
    if (inside.isEmpty()) continue;
    endpoints.push({ label: `${inside.describe(2)} in ${subnet.id}`, addresses: inside, groups: new Set(), egressGroups: [], subnet, internet: false });
  }
  const elsewhere = requested.subtract(vpcAddresses(network));
  if (!elsewhere.isEmpty()) notModelled.push(`${elsewhere.describe(3)} is neither public nor inside a VPC of the snapshot: traffic from peered VPCs, VPNs and transit gateways is not modelled`);
  if (endpoints.length > 0) notModelled.push(`hosts in ${cidr} are taken to carry no security group, so rules that reference a group do not match them`);
  return { endpoints, notModelled };
}
