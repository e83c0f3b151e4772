import { AddressSet, PUBLIC_INTERNET, describeRule, vpcAddresses, type AwsNetwork, type NetworkChange, type SecurityGroupRule } from '../../engines/aws/index.js';
import type { AwsNetworkFix } from '../fixes/aws-network.js';
import type { Check, Evidence, FindingDraft, Severity } from '../types.js';
import { admitsWholeInternet, adminPortsOf, evidencePath, exposureContext, groupLabel, pathCoversPort, pathEvidence, regionOfGroup, specOf } from './exposure-context.js';

// Administrative and data ports (SSH, RDP, databases, etcd, the kubelet…) open to the internet or to
// ranges wider than the network that needs them, IPv6 included. Severity follows what the engine finds
// reachable: a port the internet reaches directly is critical, a rule no path uses today is not.

export const sgAdminPortOpen: Check = {
  meta: {
    id: 'sg-admin-port-open',
    title: 'Administrative or data port open to the internet or a wide range',
    severity: 'critical',
    category: 'network-exposure',
    description:
      'Reports security group ingress rules that open an administrative or data port (22, 3389, 5432, 3306, 27017, 6379, 9200, 2379, 10250 and others) to the internet, to a public range wider than /24 (IPv6 /48), or to a private range wider than the VPC, rated by whether the internet reaches the port.',
    reads: ['SecurityGroup', 'NetworkInterface', 'Subnet', 'RouteTable', 'NetworkAcl', 'InternetGateway', 'Vpc', 'LoadBalancer', 'Listener', 'TargetGroup', 'TargetHealth', 'ManagedPrefixList'],
    requires: ['SecurityGroup'],
    references: [
      'https://docs.aws.amazon.com/securityhub/latest/userguide/ec2-controls.html#ec2-13',
      'https://docs.aws.amazon.com/securityhub/latest/userguide/ec2-controls.html#ec2-14',
      'https://docs.aws.amazon.com/securityhub/latest/userguide/ec2-controls.html#ec2-19',
    ],
    limitations: ['The port list is fixed; services on other ports are reported by sg-ingress-from-internet when open to the whole internet.', 'Rules that use a prefix list without exported entries are not judged.'],
  },
  run({ inventory }) {
    const context = exposureContext(inventory);
    const { network } = context;
    const findings: FindingDraft[] = [];
    for (const group of network.securityGroups.values()) {
      for (const rule of group.ingress) {
        const ports = adminPortsOf(rule);
        if (ports.length === 0) continue;
        const width = widthOf(network, group.vpcId, rule);
        if (!width) continue;

        const paths = (context.pathsByRule.get(rule.key) ?? []).filter((path) => path.target.kind !== 'LoadBalancer' && ports.some((entry) => pathCoversPort(path, entry.port)));
        const direct = paths.filter((path) => path.via === 'direct');
        const reached = [...new Set(paths.map((path) => path.target.id))];
        const names = ports.map((entry) => `${entry.name} ${entry.port}`).join(', ');
        const label = groupLabel(network, group.id);
        const severity = severityOf(width, direct.length > 0, paths.length > 0);
        const source = rule.peer.kind === 'cidr' ? rule.peer.cidr : rule.peer.kind === 'prefix-list' ? `prefix list ${rule.peer.prefixListId}` : rule.peer.groupId;
        const widthText = width === 'internet' ? 'the whole internet' : width === 'public' ? `the public range ${source}` : `${source}, wider than the VPC`;
        const evidence: Evidence[] = [{ fact: `Rule ${describeRule(rule)} opens ${names}.`, source: rule.source }];
        for (const path of paths.slice(0, 6)) evidence.push(pathEvidence(path));
        const members = network.enisByGroup.get(group.id) ?? [];
        if (paths.length === 0) evidence.push({ fact: `None of the ${members.length} interface(s) that carry ${group.id} is reachable from the internet on these ports today.` });

        findings.push({
          severity,
          title: `${names} open to ${width === 'internet' ? 'the internet' : source} in ${label}`,
          resources: [{ kind: 'SecurityGroup', id: group.id, ...(group.name ? { name: group.name } : {}) }],
          problem: `${label} admits ${widthText} on ${names}. ${reachability(direct.length, paths.length, reached)}`,
          risk: `${ports.map((entry) => entry.name).join(', ')} ${ports.length === 1 ? 'is an' : 'are'} administrative or data interface${ports.length === 1 ? '' : 's'}: exposed, ${ports.length === 1 ? 'it invites' : 'they invite'} password guessing, exploitation of unpatched services and direct data theft, with no load balancer in between.`,
          recommendation: `Admit ${names} only from the networks that need ${ports.length === 1 ? 'it' : 'them'} (the VPC, a VPN or a bastion's security group); reach administrative ports through AWS Systems Manager Session Manager or a VPN instead of the internet.`,
          evidence,
          paths: paths.slice(0, 20).map(evidencePath),
          fixes: fixesFor(inventory, network, group.id, group.vpcId, rule, names),
          key: rule.key,
        });
      }
    }
    return { findings, notModelled: context.notModelled };
  },
};

type Width = 'internet' | 'public' | 'private';

/** Classifies how wide a rule's source is: the whole internet, a public range wider than /24 (IPv6 /48), or a private range wider than the VPC. */
function widthOf(network: AwsNetwork, vpcId: string | undefined, rule: SecurityGroupRule): Width | undefined {
  if (admitsWholeInternet(rule)) return 'internet';
  const addresses = rule.peer.kind === 'cidr' ? rule.peer.addresses : rule.peer.kind === 'prefix-list' ? rule.peer.addresses : undefined;
  if (!addresses) return undefined;
  const publicPart = addresses.intersect(PUBLIC_INTERNET);
  const v4Wide = publicPart.ipv4Count() > 256n;
  const v6Wide = rule.peer.kind === 'cidr' && rule.peer.cidr.includes(':') && rule.peer.prefix < 48 && !publicPart.isEmpty();
  if (v4Wide || v6Wide) return 'public';
  const privatePart = addresses.subtract(PUBLIC_INTERNET);
  const vpc = vpcAddresses(network, vpcId);
  if (!privatePart.isEmpty() && !vpc.isEmpty() && !vpc.covers(privatePart)) return 'private';
  return undefined;
}

function severityOf(width: Width, direct: boolean, reachable: boolean): Severity {
  if (width === 'internet') return direct ? 'critical' : reachable ? 'high' : 'medium';
  if (width === 'public') return reachable ? 'high' : 'low';
  return 'low';
}

function reachability(direct: number, total: number, reached: string[]): string {
  if (direct > 0) return `The internet reaches ${reached.length} target(s) on these ports directly: ${reached.slice(0, 5).join(', ')}${reached.length > 5 ? ' and more' : ''}.`;
  if (total > 0) return `The internet reaches ${reached.length} target(s) on these ports through a load balancer.`;
  return 'No member is reachable on these ports from the internet today (no public path), so the rule is a latent exposure.';
}

/** Replaces the source with the VPC's CIDRs: traffic inside the VPC keeps working, the engine checks the rest. */
function fixesFor(inventory: Parameters<Check['run']>[0]['inventory'], network: AwsNetwork, groupId: string, vpcId: string | undefined, rule: SecurityGroupRule, names: string): AwsNetworkFix[] {
  const vpc = vpcId ? (network.vpcs.get(vpcId)?.cidrTexts ?? []) : [];
  const spec = specOf(rule);
  const authorize = vpc.map((cidr) => ({ ...spec, cidr, groupId: undefined, prefixListId: undefined, description: `${names} from the VPC only` })).map(({ groupId: _g, prefixListId: _p, ...rest }) => rest);
  const changes: NetworkChange[] = [
    ...authorize.map((rule): NetworkChange => ({ kind: 'authorize-security-group-ingress', groupId, rule })),
    { kind: 'revoke-security-group-ingress', groupId, rule: spec },
  ];
  const region = regionOfGroup(inventory, groupId);
  return [
    {
      type: 'aws-network',
      action: 'replace-security-group-rules',
      title: `Admit ${names} from the VPC only`,
      rationale: 'Administrative and data ports should answer only inside the network; people reach them through a VPN, a bastion or Session Manager.',
      changes,
      drops: [`connections to ${names} from outside the VPC (${AddressSet.parse(spec.cidr ?? '')?.describe() ?? spec.prefixListId ?? 'the old source'}), including administrators who connect over the internet today`],
      groupId,
      revoke: [spec],
      authorize,
      ...(region ? { region } : {}),
    },
  ];
}
