import {
  AddressSet,
  PUBLIC_INTERNET,
  allowsEverything,
  describeVerification,
  naiveProposals,
  proposeTierNacls,
  verifyChanges,
  type AwsNetwork,
  type CompiledNacl,
} from '../../engines/aws/index.js';
import type { Inventory } from '../../inventory/inventory.js';
import type { AwsNetworkFix } from '../fixes/aws-network.js';
import type { Check, Evidence, FindingDraft } from '../types.js';
import { exposureContext } from './exposure-context.js';
import { compareText } from '../../compare.js';

// NACLs that let every protocol and port in or out give no second layer behind security groups. The
// fix is a stricter NACL per subnet tier, built from the flows the cluster needs and verified against
// them before it is proposed. Common hand-written alternatives are evaluated too, because NACLs are
// stateless and see real packet addresses, which makes the obvious rules cut needed traffic.

export const naclAllowsAll: Check = {
  meta: {
    id: 'nacl-allows-all',
    title: 'Network ACL allows all traffic in or out',
    severity: 'medium',
    category: 'network-exposure',
    description:
      'Reports network ACLs that allow every protocol and port from or to every public address, and proposes a stricter NACL per subnet tier that Rampart has verified against the flows the cluster needs.',
    reads: ['NetworkAcl', 'Subnet', 'RouteTable', 'Vpc', 'NatGateway', 'NetworkInterface', 'SecurityGroup', 'LoadBalancer', 'Listener', 'TargetGroup', 'TargetGroupAttributes', 'TargetHealth', 'EksCluster', 'Node', 'Service', 'DaemonSet', 'Pod'],
    requires: ['NetworkAcl', 'Subnet'],
    references: ['https://docs.aws.amazon.com/vpc/latest/userguide/nacl-basics.html', 'https://docs.aws.amazon.com/vpc/latest/userguide/custom-network-acl.html', 'https://docs.aws.amazon.com/elasticloadbalancing/latest/network/target-group-register-targets.html'],
    limitations: [
      'The needed-flows model covers load balancer clients and health checks, node HTTPS egress, the EKS control plane, node-to-node traffic and the pod network; other traffic of the subnets is listed as what the proposal would drop.',
      'IPv6 entries are proposed only for IPv6 VPC CIDRs and load balancer clients; other IPv6 internet traffic would be dropped.',
    ],
  },
  run({ inventory }) {
    const context = exposureContext(inventory);
    const { network } = context;
    const findings: FindingDraft[] = [];
    for (const acl of [...network.nacls.values()].sort((a, b) => compareText(a.id, b.id))) {
      const subnets = subnetsOf(network, acl);
      if (subnets.length === 0) continue;
      // Each address family counts on its own: an allow-all IPv4 entry is the finding even when IPv6 is denied.
      const opens = (direction: 'ingress' | 'egress') => [AddressSet.ALL_IPV4, AddressSet.ALL_IPV6].some((family) => allowsEverything(acl, direction, PUBLIC_INTERNET.intersect(family)));
      const inbound = opens('ingress');
      const outbound = opens('egress');
      if (!inbound && !outbound) continue;
      findings.push(finding(inventory, network, acl, subnets, inbound, outbound));
    }
    return { findings, notModelled: context.notModelled };
  },
};

function finding(inventory: Inventory, network: AwsNetwork, acl: CompiledNacl, subnetIds: string[], inbound: boolean, outbound: boolean): FindingDraft {
  const directions = inbound && outbound ? 'in and out' : inbound ? 'in' : 'out';
  const clusterSubnets = subnetIds.filter((id) => network.enis.some((eni) => eni.subnetId === id && (eni.role === 'node' || eni.role === 'load-balancer')));
  const evidence: Evidence[] = [];
  for (const entry of [...acl.ingress, ...acl.egress].filter((candidate) => candidate.action === 'allow' && candidate.protocol === 'all' && candidate.cidr.endsWith('/0'))) {
    evidence.push({ fact: `${entry.direction === 'ingress' ? 'Inbound' : 'Outbound'} rule ${entry.ruleNumber} allows all traffic ${entry.direction === 'ingress' ? 'from' : 'to'} ${entry.cidr}.`, source: entry.source });
  }
  evidence.push({ fact: `The NACL applies to ${subnetIds.length} subnet(s)${acl.isDefault ? ', including every subnet without an explicit association, because it is the VPC’s default NACL' : ''}: ${subnetIds.join(', ')}.`, source: acl.source });

  const { proposals, skipped } = proposeTierNacls(inventory, subnetIds);
  const fixes: AwsNetworkFix[] = [];
  let verifiedText = 'Rampart could not propose a stricter NACL because the tiers of these subnets are unknown.';
  if (proposals.length > 0) {
    const verification = verifyChanges(inventory, proposals.map((proposal) => proposal.change), { exposure: false });
    verifiedText = describeVerification(verification);
    evidence.push({ fact: `Proposed per-tier NACLs (${proposals.map((proposal) => `${proposal.tier}: ${proposal.subnetIds.join(', ')}`).join('; ')}), verified: ${verifiedText.replace(/\n/g, ' ')}` });
    fixes.push({
      type: 'aws-network',
      action: 'replace-nacls',
      title: `Replace ${acl.id} with a stricter NACL per subnet tier`,
      rationale: 'Each tier admits only the traffic its subnets need: load balancer clients and the replies to them, traffic inside the VPC, and node HTTPS through the NAT gateway with its replies.',
      changes: proposals.map((proposal) => proposal.change),
      drops: [...new Set(proposals.flatMap((proposal) => proposal.drops))],
      vpcId: acl.vpcId,
      currentAclId: acl.id,
      tiers: proposals.map((proposal) => ({
        tier: proposal.tier,
        subnetIds: proposal.subnetIds,
        associationIds: Object.fromEntries(acl.associations.filter((association) => association.associationId && proposal.subnetIds.includes(association.subnetId)).map((association) => [association.subnetId, association.associationId as string])),
        entries: proposal.change.entries,
      })),
      ...regionOf(inventory, acl.id),
    });
  }
  for (const note of skipped) evidence.push({ fact: `Not proposed for ${note}.` });

  // The usual hand-written advice, evaluated against the same flows.
  const warnings: string[] = [];
  for (const proposal of naiveProposals(inventory, subnetIds)) {
    const result = verifyChanges(inventory, proposal.changes, { exposure: false });
    const kinds = [...new Set(result.cut.map((change) => change.flow.kind))];
    const example = result.cut[0];
    const fact = kinds.length === 0 ? `A NACL that ${proposal.description} keeps every needed flow.` : `A NACL that ${proposal.description} would cut ${result.cut.length} needed flow(s) (${kinds.join(', ')}), for example ${example?.flow.description}${example?.after.blockedAt ? `, blocked at ${example.after.blockedAt.id}` : ''}.`;
    evidence.push({ fact });
    if (kinds.length > 0) warnings.push(`"${proposal.name}" would cut ${kinds.join(', ')}`);
  }

  const severity = clusterSubnets.length > 0 && inbound ? 'medium' : 'low';
  return {
    severity,
    title: `Network ACL ${acl.id} allows all traffic ${directions}`,
    resources: [{ kind: 'NetworkAcl', id: acl.id }, ...subnetIds.map((id) => ({ kind: 'Subnet', id }))],
    problem: `${acl.id} allows every protocol and port ${inbound ? 'from' : ''}${inbound && outbound ? ' and ' : ''}${outbound ? 'to' : ''} every internet address for ${subnetIds.length} subnet(s)${clusterSubnets.length > 0 ? `, ${clusterSubnets.length} of them with cluster nodes or load balancers` : ''}.`,
    risk: 'Security groups are the only filter on these subnets: one rule that is too wide, on any interface, is open to the internet with nothing behind it, and a compromised host can send anywhere on any port.',
    recommendation: [
      proposals.length > 0
        ? 'Replace it with the per-tier NACLs in the remediation, which Rampart verified against the flows the cluster needs (load balancer clients and their replies on ephemeral ports, health checks, node egress through the NAT gateway, control plane to kubelet, node to node and the pod network).'
        : '',
      'NACLs are stateless and see real packet addresses: replies need their own rules on 1024-65535, replies to traffic through a NAT gateway come from internet addresses, and with client IP preservation the nodes receive clients’ addresses.',
      warnings.length > 0 ? `That is why the usual shortcuts break the cluster: ${warnings.join('; ')}.` : '',
      acl.isDefault ? `${acl.id} is the VPC's default NACL, so subnets created later without an association still get it: tighten it too once the new NACLs are in place.` : '',
    ]
      .filter(Boolean)
      .join(' '),
    evidence,
    fixes,
    key: acl.id,
  };
}

function regionOf(inventory: Inventory, aclId: string): { region?: string } {
  const region = inventory.data.networkAcls.find((candidate) => candidate.NetworkAclId === aclId)?.region;
  return region ? { region } : {};
}

/** Subnets the NACL governs: its explicit associations, and for a default NACL the subnets without one. */
function subnetsOf(network: AwsNetwork, acl: CompiledNacl): string[] {
  return [...network.subnets.values()]
    .filter((subnet) => subnet.nacl?.id === acl.id)
    .map((subnet) => subnet.id)
    .sort();
}
