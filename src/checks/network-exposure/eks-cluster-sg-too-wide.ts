import { PUBLIC_INTERNET, describeRule, ruleOwner, vpcAddresses, type NetworkChange, type SecurityGroupRule } from '../../engines/aws/index.js';
import type { Check, Evidence, FindingDraft } from '../types.js';
import { admitsWholeInternet, exposureContext, groupLabel, portsText, regionOfGroup, specOf } from './exposure-context.js';

// The EKS cluster security group sits on the control plane's interfaces and on every managed node.
// EKS needs only its self-referencing rule (all traffic between members); the documented minimum
// when restricting is TCP 443, TCP 10250 and DNS between members. Any other inbound rule widens what
// reaches the control plane and the nodes at once.

export const eksClusterSgTooWide: Check = {
  meta: {
    id: 'eks-cluster-sg-too-wide',
    title: 'EKS cluster security group admits more than EKS needs',
    severity: 'medium',
    category: 'network-exposure',
    description:
      'Reports inbound rules of an EKS cluster security group, other than its self-reference and the rules a cloud controller wrote for Services, that admit all traffic from a CIDR or another group, or any port from a range wider than the VPC.',
    reads: ['EksCluster', 'SecurityGroup', 'NetworkInterface', 'Vpc', 'Service', 'LoadBalancer'],
    requires: ['EksCluster', 'SecurityGroup'],
    references: ['https://docs.aws.amazon.com/eks/latest/userguide/sec-group-reqs.html', 'https://docs.aws.amazon.com/eks/latest/best-practices/network-security.html'],
    limitations: ['Rules open to 0.0.0.0/0 or ::/0 are left to sg-ingress-from-internet and sg-admin-port-open.', 'Additional cluster security groups (securityGroupIds) are not judged.'],
  },
  run({ inventory }) {
    const { network } = exposureContext(inventory);
    const findings: FindingDraft[] = [];
    for (const cluster of network.clusters) {
      const groupId = cluster.clusterSecurityGroupId;
      const group = groupId ? network.securityGroups.get(groupId) : undefined;
      if (!group || !groupId) continue;
      const vpc = vpcAddresses(network, cluster.vpcId ?? group.vpcId);
      for (const rule of group.ingress) {
        if (rule.peer.kind === 'group' && rule.peer.groupId === groupId) continue;
        if (ruleOwner(rule) || admitsWholeInternet(rule)) continue;
        const reason = widthReason(rule, vpc);
        if (!reason) continue;
        const members = network.enisByGroup.get(groupId) ?? [];
        const controlPlane = members.filter((eni) => eni.role === 'eks-control-plane').length;
        const nodes = members.filter((eni) => eni.role === 'node').length;
        const spec = specOf(rule);
        const changes: NetworkChange[] = [{ kind: 'revoke-security-group-ingress', groupId, rule: spec }];
        const evidence: Evidence[] = [
          { fact: `Rule ${describeRule(rule)} ${reason}.`, source: rule.source },
          { fact: `${groupId} is the cluster security group of ${cluster.name}; it is on ${controlPlane} control plane interface(s) and ${nodes} node interface(s) in the snapshot.`, source: cluster.source },
        ];
        const region = regionOfGroup(inventory, groupId);
        findings.push({
          severity: rule.protocol === 'all' && !isInsideVpc(rule, vpc) ? 'medium' : 'low',
          title: `Cluster security group of ${cluster.name} admits ${rule.protocol === 'all' ? 'all traffic' : portsText(rule)} from ${peerText(rule)}`,
          resources: [{ kind: 'SecurityGroup', id: groupId, ...(group.name ? { name: group.name } : {}) }, { kind: 'EksCluster', name: cluster.name }],
          problem: `${groupLabel(network, groupId)} admits ${rule.protocol === 'all' ? 'all traffic' : portsText(rule)} from ${peerText(rule)}; EKS itself needs only the rule that admits the group's own members.`,
          risk: 'The cluster security group is on the control plane interfaces and every managed node, so this rule opens the kubelet, NodePorts and the API server interfaces to that source at once.',
          recommendation: `Remove the rule, or move the access it grants to a node security group of its own with only the ports that source needs${rule.peer.kind === 'cidr' ? ` and a CIDR no wider than necessary` : ''}.`,
          evidence,
          fixes: [
            {
              type: 'aws-network',
              action: 'replace-security-group-rules',
              title: `Remove the rule that admits ${peerText(rule)} to the cluster security group`,
              rationale: 'EKS needs only the self-referencing rule; Rampart re-evaluated the cluster’s needed flows without this rule.',
              changes,
              drops: [`traffic from ${peerText(rule)} to the control plane and nodes on ${rule.protocol === 'all' ? 'all ports' : portsText(rule)}, if anything outside the flows Rampart models uses it`],
              groupId,
              revoke: [spec],
              authorize: [],
              ...(region ? { region } : {}),
            },
          ],
          key: rule.key,
        });
      }
    }
    return { findings };
  },
};

/** Explains why a rule is wider than EKS needs, or returns undefined when it is not. */
function widthReason(rule: SecurityGroupRule, vpc: ReturnType<typeof vpcAddresses>): string | undefined {
  const allTraffic = rule.protocol === 'all' || (rule.range[0] === 0 && rule.range[1] === 65535);
  if (rule.peer.kind === 'group') return allTraffic ? 'admits all traffic from another security group' : undefined;
  const addresses = rule.peer.addresses;
  if (!addresses) return undefined;
  if (!vpc.isEmpty() && !vpc.covers(addresses)) return `admits ${addresses.overlaps(PUBLIC_INTERNET) ? 'public addresses' : 'addresses outside the VPC'}`;
  return allTraffic ? 'admits all traffic from a CIDR' : undefined;
}

function isInsideVpc(rule: SecurityGroupRule, vpc: ReturnType<typeof vpcAddresses>): boolean {
  if (rule.peer.kind === 'group') return true;
  return rule.peer.addresses !== undefined && vpc.covers(rule.peer.addresses);
}

function peerText(rule: SecurityGroupRule): string {
  return rule.peer.kind === 'cidr' ? rule.peer.cidr : rule.peer.kind === 'group' ? rule.peer.groupId : rule.peer.prefixListId;
}
