import type { Inventory } from '../../inventory/inventory.js';
import { familyOf } from './addresses.js';
import type { NaclEntrySpec, NetworkChange } from './changes.js';
import { listenerProtocols } from './lb-routes.js';
import { networkOf, type AwsNetwork, type SubnetInfo } from './network.js';
import { EPHEMERAL } from './traffic.js';

// Stricter NACLs per subnet tier, built from the flows the cluster needs rather than from a template.
// Public subnets hold the load balancers and NAT gateways; private subnets hold the nodes. NACLs are
// stateless and see real packet addresses, so two rules surprise people: with client IP preservation
// the nodes receive internet addresses on their NodePorts and reply to them directly, and replies to a
// node's outbound connection through a NAT gateway arrive from the internet server's address.

export interface TierProposal {
  tier: 'public' | 'private';
  subnetIds: string[];
  change: Extract<NetworkChange, { kind: 'replace-subnet-nacl' }>;
  /** Traffic the proposal drops that the needed-flows model does not cover, each a sentence. */
  drops: string[];
}

/** A proposal a person might write by hand, to be checked against the needed flows. */
export interface NaiveProposal {
  name: string;
  description: string;
  changes: NetworkChange[];
}

/** Proposes one NACL per tier for the given subnets, which share one permissive NACL. */
export function proposeTierNacls(inventory: Inventory, subnetIds: string[]): { proposals: TierProposal[]; skipped: string[] } {
  const network = networkOf(inventory);
  const subnets = subnetIds.flatMap((id) => network.subnets.get(id) ?? []);
  const skipped = subnets.filter((subnet) => subnet.tier === 'unknown').map((subnet) => `${subnet.id}: its route table is not in the snapshot, so its tier is unknown`);
  const proposals: TierProposal[] = [];
  for (const tier of ['public', 'private'] as const) {
    const members = subnets.filter((subnet) => (tier === 'public' ? subnet.tier === 'public' : subnet.tier === 'private' || subnet.tier === 'isolated'));
    if (members.length === 0) continue;
    const vpcId = (members[0] as SubnetInfo).vpcId;
    const entries = tier === 'public' ? publicEntries(network, members) : privateEntries(network, members);
    proposals.push({
      tier,
      subnetIds: members.map((subnet) => subnet.id).sort(),
      change: { kind: 'replace-subnet-nacl', networkAclId: `proposed-${tier}-nacl`, vpcId, subnetIds: members.map((subnet) => subnet.id).sort(), entries },
      drops: dropsOf(network, members, tier),
    });
  }
  return { proposals, skipped };
}

/**
 * Builds the proposals a hand-written audit typically makes: private subnets that admit only the VPC CIDR,
 * private subnets that send only to the NAT gateway, public subnets that admit only the web ports.
 */
export function naiveProposals(inventory: Inventory, subnetIds: string[]): NaiveProposal[] {
  const network = networkOf(inventory);
  const subnets = subnetIds.flatMap((id) => network.subnets.get(id) ?? []);
  const privateSubnets = subnets.filter((subnet) => subnet.tier === 'private' || subnet.tier === 'isolated');
  const publicSubnets = subnets.filter((subnet) => subnet.tier === 'public');
  const proposals: NaiveProposal[] = [];
  const vpcId = subnets[0]?.vpcId ?? '';
  const vpcCidrs = vpcIpv4Cidrs(network, vpcId);
  const allowAll = (egress: boolean, number: number): NaclEntrySpec => ({ ruleNumber: number, egress, protocol: '-1', action: 'allow', cidr: '0.0.0.0/0', purpose: 'everything, as today' });

  if (privateSubnets.length > 0) {
    const ids = privateSubnets.map((subnet) => subnet.id).sort();
    proposals.push({
      name: 'private subnets admit only the VPC CIDR',
      description: `admits inbound traffic to ${ids.join(', ')} only from ${vpcCidrs.join(', ')}`,
      changes: [{ kind: 'replace-subnet-nacl', networkAclId: 'naive-vpc-only', vpcId, subnetIds: ids, entries: [...vpcCidrs.map((cidr, index) => ({ ruleNumber: 100 + index, egress: false, protocol: '-1', action: 'allow' as const, cidr, purpose: 'the VPC' })), allowAll(true, 100)] }],
    });
    const natIps = network.inventory.data.natGateways
      .filter((gateway) => gateway.VpcId === vpcId || subnets.some((subnet) => subnet.id === gateway.SubnetId))
      .flatMap((gateway) => gateway.NatGatewayAddresses.flatMap((address) => (address.PrivateIp ? [`${address.PrivateIp}/32`] : [])));
    if (natIps.length > 0) {
      proposals.push({
        name: 'private subnets send only to the NAT gateway',
        description: `sends outbound traffic from ${ids.join(', ')} only to ${natIps.join(', ')}`,
        changes: [{ kind: 'replace-subnet-nacl', networkAclId: 'naive-nat-only', vpcId, subnetIds: ids, entries: [allowAll(false, 100), ...natIps.map((cidr, index) => ({ ruleNumber: 100 + index, egress: true, protocol: '-1', action: 'allow' as const, cidr, purpose: 'the NAT gateway' }))] }],
      });
    }
  }
  if (publicSubnets.length > 0) {
    const ids = publicSubnets.map((subnet) => subnet.id).sort();
    const listenerPorts = [...new Set(network.loadBalancers.filter((lb) => lb.subnetIds.some((id) => ids.includes(id))).flatMap((lb) => lb.listeners.map((listener) => listener.port)))].sort((a, b) => a - b);
    const ports = listenerPorts.length > 0 ? listenerPorts : [80, 443];
    proposals.push({
      name: `public subnets admit only ports ${ports.join(' and ')}`,
      description: `admits inbound traffic to ${ids.join(', ')} only on TCP ${ports.join(', ')} from 0.0.0.0/0`,
      changes: [{ kind: 'replace-subnet-nacl', networkAclId: 'naive-web-only', vpcId, subnetIds: ids, entries: [...ports.map((port, index) => ({ ruleNumber: 100 + index, egress: false, protocol: '6', action: 'allow' as const, cidr: '0.0.0.0/0', fromPort: port, toPort: port, purpose: 'web clients' })), allowAll(true, 100)] }],
    });
  }
  return proposals;
}

// --- tier templates -----------------------------------------------------------------------------

function publicEntries(network: AwsNetwork, subnets: SubnetInfo[]): NaclEntrySpec[] {
  const ids = new Set(subnets.map((subnet) => subnet.id));
  const vpcId = (subnets[0] as SubnetInfo).vpcId;
  const entries = new EntryList();
  for (const cidr of vpcCidrs(network, vpcId)) entries.both(100, '-1', cidr, 'traffic inside the VPC: nodes to the NAT gateway, load balancers to targets and their replies');

  // Clients of internet-facing load balancers whose interfaces sit in these subnets, and the replies.
  const lbs = network.loadBalancers.filter((lb) => lb.scheme === 'internet-facing' && lb.enis.some((eni) => eni.subnetId && ids.has(eni.subnetId)));
  for (const lb of lbs) {
    const clients = clientRanges(lb.services.flatMap((service) => service.sourceRanges), lb.dualStack);
    for (const listener of lb.listeners) {
      for (const protocol of listenerProtocols(listener)) {
        for (const cidr of clients) entries.add(200, false, String(protocol), cidr, `clients of ${lb.name} on its listener`, listener.port, listener.port);
      }
    }
    for (const cidr of clients) {
      entries.add(300, true, '6', cidr, `replies to clients of ${lb.name}`, EPHEMERAL[0], EPHEMERAL[1]);
      if (lb.listeners.some((listener) => listenerProtocols(listener).includes(17))) entries.add(300, true, '17', cidr, `replies to UDP clients of ${lb.name}`, EPHEMERAL[0], EPHEMERAL[1]);
    }
  }
  // NAT gateways in these subnets forward the nodes' HTTPS and receive the replies on 1024-65535.
  const hasNat = network.inventory.data.natGateways.some((gateway) => gateway.SubnetId && ids.has(gateway.SubnetId) && gateway.State !== 'deleted');
  if (hasNat) {
    entries.add(400, true, '6', '0.0.0.0/0', 'NAT gateway forwarding node HTTPS to the internet', 443, 443);
    entries.add(400, false, '6', '0.0.0.0/0', 'replies to the NAT gateway’s connections', EPHEMERAL[0], EPHEMERAL[1]);
  }
  return entries.list();
}

function privateEntries(network: AwsNetwork, subnets: SubnetInfo[]): NaclEntrySpec[] {
  const ids = new Set(subnets.map((subnet) => subnet.id));
  const vpcId = (subnets[0] as SubnetInfo).vpcId;
  const entries = new EntryList();
  for (const cidr of vpcCidrs(network, vpcId)) entries.both(100, '-1', cidr, 'traffic inside the VPC: control plane, node to node, the pod network, health checks');

  // With client IP preservation, NLB clients reach the nodes with their own addresses.
  for (const lb of network.loadBalancers) {
    if (lb.scheme !== 'internet-facing') continue;
    const clients = clientRanges(lb.services.flatMap((service) => service.sourceRanges), lb.dualStack).filter((cidr) => familyOf(cidr) === 'ipv4');
    for (const listener of lb.listeners) {
      for (const group of listener.targetGroups) {
        if (!group.preserveClientIp) continue;
        const ports = [...new Set(group.targets.filter((target) => target.eni?.subnetId && ids.has(target.eni.subnetId)).map((target) => target.port))].sort((a, b) => a - b);
        for (const port of ports) {
          for (const protocol of listenerProtocols(listener)) {
            for (const cidr of clients) {
              entries.add(200, false, String(protocol), cidr, `clients of ${lb.name}, whose addresses the load balancer preserves`, port, port);
              entries.add(300, true, String(protocol), cidr, `replies to clients of ${lb.name}`, EPHEMERAL[0], EPHEMERAL[1]);
            }
          }
        }
      }
    }
  }
  // Nodes reach the internet through a NAT gateway; the replies come from the servers' addresses.
  const hasRoute = subnets.some((subnet) => !(subnet.nat?.addresses.isEmpty() ?? true) || !(subnet.internet?.addresses.isEmpty() ?? true));
  if (hasRoute) {
    entries.add(400, true, '6', '0.0.0.0/0', 'node HTTPS to the internet through the NAT gateway (images, AWS APIs)', 443, 443);
    entries.add(400, false, '6', '0.0.0.0/0', 'replies to the nodes’ outbound connections', EPHEMERAL[0], EPHEMERAL[1]);
  }
  return entries.list();
}

/** Entries numbered from a base per purpose, so that related entries stay together. */
class EntryList {
  private readonly entries: NaclEntrySpec[] = [];
  private readonly next = new Map<string, number>();

  both(base: number, protocol: string, cidr: string, purpose: string): void {
    this.add(base, false, protocol, cidr, purpose);
    this.add(base, true, protocol, cidr, purpose);
  }

  add(base: number, egress: boolean, protocol: string, cidr: string, purpose: string, fromPort?: number, toPort?: number): void {
    const duplicate = this.entries.some((entry) => entry.egress === egress && entry.protocol === protocol && entry.cidr === cidr && entry.fromPort === fromPort && entry.toPort === toPort);
    if (duplicate) return;
    const key = `${base} ${egress}`;
    const number = this.next.get(key) ?? base;
    this.next.set(key, number + 1);
    this.entries.push({ ruleNumber: number, egress, protocol, action: 'allow', cidr, ...(fromPort === undefined ? {} : { fromPort, toPort: toPort ?? fromPort }), purpose });
  }

  list(): NaclEntrySpec[] {
    return [...this.entries].sort((a, b) => Number(a.egress) - Number(b.egress) || a.ruleNumber - b.ruleNumber);
  }
}

// --- helpers ------------------------------------------------------------------------------------

function clientRanges(sourceRanges: string[], dualStack: boolean): string[] {
  if (sourceRanges.length > 0) return [...new Set(sourceRanges)].sort();
  return dualStack ? ['0.0.0.0/0', '::/0'] : ['0.0.0.0/0'];
}

function vpcCidrs(network: AwsNetwork, vpcId: string): string[] {
  return network.vpcs.get(vpcId)?.cidrTexts ?? [];
}

function vpcIpv4Cidrs(network: AwsNetwork, vpcId: string): string[] {
  return vpcCidrs(network, vpcId).filter((cidr) => familyOf(cidr) === 'ipv4');
}

/** Lists what a tier's NACL drops that the needed flows do not cover: other interfaces and other egress. */
function dropsOf(network: AwsNetwork, subnets: SubnetInfo[], tier: 'public' | 'private'): string[] {
  const ids = new Set(subnets.map((subnet) => subnet.id));
  const others = network.enis.filter((eni) => eni.subnetId && ids.has(eni.subnetId) && !['node', 'load-balancer', 'nat-gateway', 'eks-control-plane'].includes(eni.role));
  const drops = [
    tier === 'private'
      ? 'node and pod connections to the internet on ports other than TCP 443 (for example HTTP on 80, SMTP, or databases outside the VPC), and UDP replies from the internet'
      : 'internet traffic to or from these subnets other than load balancer clients and the NAT gateway’s HTTPS',
  ];
  if (others.length > 0) drops.push(`internet traffic of other interfaces in these subnets, which the needed-flows model does not cover: ${others.slice(0, 5).map((eni) => eni.id).join(', ')}${others.length > 5 ? ` and ${others.length - 5} more` : ''}`);
  if (subnets.some((subnet) => subnet.cidrTexts.some((cidr) => familyOf(cidr) === 'ipv6'))) drops.push('IPv6 traffic to and from the internet, which these entries do not admit');
  return drops;
}

