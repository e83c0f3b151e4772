import { apportion, ACCOUNT, CLUSTER_NAME, REGION, type ClusterPlan } from './plan.js';
import type { Random } from './random.js';
import { TEAMS } from './names.js';

// Security groups as `aws ec2 describe-security-groups` prints them. Rules are counted as
// `describe-security-group-rules` lists them: one rule per CIDR, IPv6 CIDR, prefix list or referenced group
// of a permission, ingress and egress alike. Permissions with the same protocol and ports are merged into one,
// as EC2 returns them.

interface IpPermission {
  IpProtocol: string;
  FromPort?: number;
  ToPort?: number;
  UserIdGroupPairs: Array<{ Description?: string; UserId: string; GroupId: string }>;
  IpRanges: Array<{ CidrIp: string; Description?: string }>;
  Ipv6Ranges: Array<{ CidrIpv6: string; Description?: string }>;
  PrefixListIds: Array<{ Description?: string; PrefixListId: string }>;
}

export interface SecurityGroupOutput {
  GroupId: string;
  IpPermissionsEgress: IpPermission[];
  Tags?: Array<{ Key: string; Value: string }>;
  VpcId: string;
  SecurityGroupArn: string;
  OwnerId: string;
  GroupName: string;
  Description: string;
  IpPermissions: IpPermission[];
}

/** A customer-managed prefix list of office networks, referenced by the bastion group. */
export interface PrefixListPlan {
  id: string;
  name: string;
  entries: Array<{ Cidr: string; Description: string }>;
}

/** Ports that generic groups open, each at most once per group. */
const GENERIC_PORTS = [443, 5432, 6379, 9092, 9200, 22, 8443, 3306, 27017, 2049, 5439, 1521, 11211, 9443, 6443, 8080, 80, 15672, 9094, 2181];
const PURPOSES = ['rds', 'elasticache', 'msk', 'opensearch', 'batch', 'lambda', 'legacy-ec2', 'vpn-access', 'sftp', 'partner-allowlist'];

/** Builds every security group of the plan with exactly `counts.securityGroupRules` rules. */
export function buildSecurityGroups(plan: ClusterPlan, prefixList: PrefixListPlan, random: Random): SecurityGroupOutput[] {
  const builder = new GroupBuilder(plan);
  const ids = plan.securityGroups;
  const allTraffic = (): IpPermission => permission('-1');
  const egressAll = () => {
    const rule = allTraffic();
    rule.IpRanges.push({ CidrIp: '0.0.0.0/0' });
    return [rule];
  };
  const clusterTags = [
    { Key: 'Name', Value: `eks-cluster-sg-${CLUSTER_NAME}-${random.int(1_000_000_000, 1_999_999_999)}` },
    { Key: `kubernetes.io/cluster/${CLUSTER_NAME}`, Value: 'owned' },
    { Key: 'aws:eks:cluster-name', Value: CLUSTER_NAME },
  ];

  // The EKS cluster security group: every node and the control plane use it, and the in-tree cloud provider
  // opens the NodePorts of its load balancers in it.
  const clusterIngress = builder.merged();
  clusterIngress.add('-1', undefined, { group: ids.cluster });
  for (const lb of plan.loadBalancers) {
    for (const port of lb.ports) {
      if (lb.provider === 'in-tree') {
        clusterIngress.add('tcp', port.nodePort, { cidr: lb.scheme === 'internet-facing' ? '0.0.0.0/0' : plan.vpcCidrs[0] as string, description: `kubernetes.io/rule/nlb/client=${lb.name}` });
        for (const cidr of plan.vpcCidrs) clusterIngress.add('tcp', port.nodePort, { cidr, description: `kubernetes.io/rule/nlb/health=${lb.name}` });
      } else if (ids.backend) {
        clusterIngress.add('tcp', port.targetPort.containerPort, { group: ids.backend, description: 'elbv2.k8s.aws/targetGroupBinding=shared' });
      }
    }
  }
  builder.add(ids.cluster, clusterTags[0]!.Value, 'EKS created security group applied to ENI that is attached to EKS Control Plane master nodes, as well as any managed workloads.', clusterIngress.list(), egressAll(), clusterTags);

  const controlPlaneIngress = builder.merged();
  controlPlaneIngress.add('tcp', 443, { group: ids.nodes });
  builder.add(ids.controlPlane, `eksctl-${CLUSTER_NAME}-cluster-ControlPlaneSecurityGroup-${random.hex(12).toUpperCase()}`, 'Communication between the control plane and worker nodegroups', controlPlaneIngress.list(), egressAll(), [{ Key: 'alpha.eksctl.io/cluster-name', Value: CLUSTER_NAME }]);

  const nodeIngress = builder.merged();
  nodeIngress.add('-1', undefined, { group: ids.nodes, description: 'Allow nodes to communicate with each other (all ports)' });
  nodeIngress.add('-1', undefined, { group: ids.cluster, description: 'Allow managed and unmanaged nodes to communicate with each other (all ports)' });
  builder.add(ids.nodes, `eksctl-${CLUSTER_NAME}-cluster-ClusterSharedNodeSecurityGroup-${random.hex(12).toUpperCase()}`, 'Communication between all nodes in the cluster', nodeIngress.list(), egressAll(), [{ Key: 'alpha.eksctl.io/cluster-name', Value: CLUSTER_NAME }]);

  const bastionIngress = builder.merged();
  bastionIngress.add('tcp', 22, { prefixList: prefixList.id, description: 'office networks' });
  builder.add(ids.bastion, `${CLUSTER_NAME}-bastion`, 'SSH from the office networks', bastionIngress.list(), egressAll(), [{ Key: 'Name', Value: `${CLUSTER_NAME}-bastion` }]);

  const databaseIngress = builder.merged();
  databaseIngress.add('tcp', 5432, { group: ids.nodes, description: 'PostgreSQL from worker nodes' });
  databaseIngress.add('tcp', 5432, { group: ids.cluster, description: 'PostgreSQL from EKS managed nodes' });
  builder.add(ids.database, `${CLUSTER_NAME}-rds-postgresql`, 'PostgreSQL access for the cluster', databaseIngress.list(), egressAll(), [{ Key: 'Name', Value: `${CLUSTER_NAME}-rds-postgresql` }]);

  if (ids.backend) {
    builder.add(ids.backend, `k8s-traffic-${CLUSTER_NAME}-${random.hex(10)}`, '[k8s] Shared Backend SecurityGroup for LoadBalancer', [], egressAll(), [
      { Key: 'elbv2.k8s.aws/cluster', Value: CLUSTER_NAME },
      { Key: 'elbv2.k8s.aws/resource', Value: 'backend-sg' },
    ]);
  }
  for (const lb of plan.loadBalancers) {
    if (!lb.securityGroupId) continue;
    const ingress = builder.merged();
    for (const port of lb.ports) ingress.add('tcp', port.port, { cidr: lb.scheme === 'internet-facing' ? '0.0.0.0/0' : (plan.vpcCidrs[0] as string) });
    builder.add(lb.securityGroupId, `k8s-${lb.namespace.slice(0, 8)}-${lb.serviceName.slice(0, 8)}-${random.hex(10)}`, '[k8s] Managed SecurityGroup for LoadBalancer', ingress.list(), egressAll(), [
      { Key: 'elbv2.k8s.aws/cluster', Value: CLUSTER_NAME },
      { Key: 'service.k8s.aws/stack', Value: `${lb.namespace}/${lb.serviceName}` },
      { Key: 'service.k8s.aws/resource', Value: 'LoadBalancer' },
    ]);
  }

  addGenericGroups(plan, builder, random);
  return builder.groups;
}

/** Groups outside the cluster (databases, queues, VPN, partner allowlists) that take the remaining rules. */
function addGenericGroups(plan: ClusterPlan, builder: GroupBuilder, random: Random): void {
  const groupCount = plan.counts.securityGroups - builder.groups.length;
  const ruleBudget = plan.counts.securityGroupRules - builder.ruleCount();
  if (groupCount < 0) throw new RangeError(`security groups must be at least ${builder.groups.length} for this cluster`);
  if (groupCount === 0) {
    if (ruleBudget !== 0) throw new RangeError(`with ${builder.groups.length} security groups the cluster has exactly ${builder.ruleCount()} rules: raise --security-groups to place ${ruleBudget} more`);
    return;
  }
  if (ruleBudget < groupCount * 2) {
    throw new RangeError(`security group rules must be at least ${builder.ruleCount() + groupCount * 2}: the cluster's groups need ${builder.ruleCount()} and each other group one ingress and one egress rule`);
  }

  const groupIds = Array.from({ length: groupCount }, () => `sg-0${random.hex(16)}`);
  // A few allowlists hold many single-address rules each, as partner and VPN allowlists do; every other
  // group gets a share weighted at random.
  const extra = ruleBudget - groupCount * 2;
  const allowlists = Math.min(groupCount, Math.max(1, Math.ceil(groupCount / 100)));
  const allowlistRules = Math.min(Math.floor(extra * 0.4), allowlists * 998);
  const shares = [
    ...apportion(allowlistRules, Array.from({ length: allowlists }, () => 1)),
    ...apportion(extra - allowlistRules, Array.from({ length: groupCount - allowlists }, () => random.int(1, 20))),
  ];
  if (groupCount === allowlists) shares[0] = (shares[0] as number) + extra - allowlistRules;
  const referable = [...builder.groups.map((group) => group.GroupId), ...groupIds];
  let cidrCounter = random.int(0, 4095);

  groupIds.forEach((groupId, index) => {
    const isAllowlist = index < allowlists;
    const team = TEAMS[index % TEAMS.length] as string;
    const purpose = isAllowlist ? 'partner-allowlist' : (PURPOSES[random.int(0, PURPOSES.length - 2)] as string);
    const name = `${team}-${purpose}-${index + 1}`;
    const ingressRules = 1 + (shares[index] as number);
    const ingress = builder.merged();
    if (isAllowlist) {
      // Up to 1,000 addresses per port; the allowlist repeats over further ports when longer.
      let left = ingressRules;
      let portIndex = 0;
      while (left > 0) {
        const take = Math.min(left, 1_000);
        const port = portIndex === 0 ? 443 : 8443 + portIndex;
        for (let k = 0; k < take; k++) ingress.add('tcp', port, { cidr: documentationCidr(k + portIndex * 7), description: `partner ${Math.floor(k / 8) + 1}` });
        left -= take;
        portIndex += 1;
      }
    } else {
      const ports = random.shuffled(GENERIC_PORTS).slice(0, Math.min(GENERIC_PORTS.length, Math.max(1, Math.ceil(ingressRules / 3))));
      const perPort = apportion(ingressRules, ports.map(() => random.int(1, 4)));
      ports.forEach((port, portIndex) => {
        let sourcesLeft = perPort[portIndex] as number;
        let groupOffset = random.int(0, referable.length - 1);
        let groupsUsed = 0;
        while (sourcesLeft > 0) {
          const fromGroup = groupsUsed < referable.length - 1 && random.chance(1 / 3);
          if (fromGroup) {
            const source = referable[groupOffset % referable.length] as string;
            groupOffset += 1;
            if (source === groupId) continue;
            ingress.add('tcp', port, { group: source });
            groupsUsed += 1;
          } else {
            ingress.add('tcp', port, { cidr: privateCidr(cidrCounter++) });
          }
          sourcesLeft -= 1;
        }
      });
    }
    const tags = [
      { Key: 'Name', Value: name },
      { Key: 'team', Value: team },
    ];
    const egress = builder.merged();
    egress.add('-1', undefined, { cidr: '0.0.0.0/0' });
    builder.add(groupId, name, `${purpose} access for team ${team}`, ingress.list(), egress.list(), tags);
  });

  const total = builder.ruleCount();
  if (total !== plan.counts.securityGroupRules) throw new Error(`generated ${total} security group rules instead of ${plan.counts.securityGroupRules}`);
}

class GroupBuilder {
  readonly groups: SecurityGroupOutput[] = [];

  constructor(private readonly plan: ClusterPlan) {}

  merged(): MergedPermissions {
    return new MergedPermissions();
  }

  add(groupId: string, name: string, description: string, ingress: IpPermission[], egress: IpPermission[], tags: Array<{ Key: string; Value: string }>): void {
    this.groups.push({
      GroupId: groupId,
      IpPermissionsEgress: egress,
      Tags: tags,
      VpcId: this.plan.vpcId,
      SecurityGroupArn: `arn:aws:ec2:${REGION}:${ACCOUNT}:security-group/${groupId}`,
      OwnerId: ACCOUNT,
      GroupName: name,
      Description: description,
      IpPermissions: ingress,
    });
  }

  ruleCount(): number {
    return this.groups.reduce((total, group) => total + countRules(group.IpPermissions) + countRules(group.IpPermissionsEgress), 0);
  }
}

/** Permissions keyed by protocol and port, so that sources for the same port land in one permission. */
class MergedPermissions {
  private readonly byKey = new Map<string, IpPermission>();

  add(protocol: string, port: number | undefined, source: { cidr?: string; group?: string; prefixList?: string; description?: string }): void {
    const key = `${protocol}/${port ?? ''}`;
    let rule = this.byKey.get(key);
    if (!rule) {
      rule = permission(protocol, port);
      this.byKey.set(key, rule);
    }
    const description = source.description === undefined ? {} : { Description: source.description };
    if (source.cidr) rule.IpRanges.push({ CidrIp: source.cidr, ...description });
    if (source.group) rule.UserIdGroupPairs.push({ ...description, UserId: ACCOUNT, GroupId: source.group });
    if (source.prefixList) rule.PrefixListIds.push({ ...description, PrefixListId: source.prefixList });
  }

  list(): IpPermission[] {
    return [...this.byKey.values()];
  }
}

function permission(protocol: string, port?: number): IpPermission {
  return {
    IpProtocol: protocol,
    ...(port === undefined ? {} : { FromPort: port, ToPort: port }),
    UserIdGroupPairs: [],
    IpRanges: [],
    Ipv6Ranges: [],
    PrefixListIds: [],
  };
}

export function countRules(permissions: IpPermission[]): number {
  return permissions.reduce((total, rule) => total + rule.IpRanges.length + rule.Ipv6Ranges.length + rule.PrefixListIds.length + rule.UserIdGroupPairs.length, 0);
}

/**
 * The `index`-th distinct block inside the documentation ranges of RFC 5737 (192.0.2.0/24,
 * 198.51.100.0/24, 203.0.113.0/24), from /32 up to /24: 1,533 distinct blocks before they repeat.
 */
function documentationCidr(index: number): string {
  const bases = ['192.0.2', '198.51.100', '203.0.113'];
  let rest = index % (511 * bases.length);
  const base = bases[rest % bases.length] as string;
  rest = Math.floor(rest / bases.length);
  for (let prefix = 32; prefix >= 24; prefix--) {
    const blocks = 2 ** (prefix - 24);
    if (rest < blocks) return `${base}.${rest * 2 ** (32 - prefix)}/${prefix}`;
    rest -= blocks;
  }
  return `${base}.0/24`;
}

/** Distinct private /24 networks outside the VPC (on-premises and peered ranges). */
function privateCidr(counter: number): string {
  const value = counter % 4096;
  return `172.${16 + Math.floor(value / 256)}.${value % 256}.0/24`;
}
