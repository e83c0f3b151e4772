import { AddressSet, PUBLIC_INTERNET, describeRule, vpcAddresses, type AwsNetwork, type SecurityGroupRule } from '../../engines/aws/index.js';
import type { AwsNetworkFix } from '../fixes/aws-network.js';
import type { Check, Evidence, FindingDraft, Severity } from '../types.js';
import {
  VPC_CIDR_PLACEHOLDER,
  admitsWholeInternet,
  adminPortsOf,
  evidencePath,
  exposureContext,
  groupLabel,
  listWithMore,
  pathCoversPort,
  pathEvidence,
  regionOfGroup,
  replaceRulesFix,
  specOf,
  vpcCidrsOfGroup,
  vpcPlaceholderNote,
} from './exposure-context.js';

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
        const source = describePeer(rule);
        const widthText = describeWidth(width, source);
        const evidence: Evidence[] = [{ fact: `Rule ${describeRule(rule)} opens ${names}.`, source: rule.source }];
        for (const path of paths.slice(0, 6)) evidence.push(pathEvidence(path));
        if (paths.length > 6) evidence.push({ fact: `${paths.length - 6} more paths use this rule; rampart exposure lists them all.` });
        const members = network.enisByGroup.get(group.id) ?? [];
        if (members.length === 0) evidence.push({ fact: `No network interface in the snapshot carries ${group.id}.`, source: group.source });
        else if (paths.length === 0) evidence.push({ fact: `None of the ${members.length} interface(s) that carry ${group.id} is reachable from the internet on these ports today.`, source: group.source });

        findings.push({
          severity,
          title: `${names} open to ${width === 'internet' ? 'the internet' : source} in ${label}`,
          resources: [{ kind: 'SecurityGroup', id: group.id, ...(group.name ? { name: group.name } : {}) }],
          problem: `${label} admits ${widthText} on ${names}. ${reachability(direct.length, paths.length, reached, members.length, group.id)}`,
          risk: `${ports.map((entry) => entry.name).join(', ')} ${ports.length === 1 ? 'is an' : 'are'} administrative or data interface${ports.length === 1 ? '' : 's'}: exposed, ${ports.length === 1 ? 'it invites' : 'they invite'} password guessing, exploitation of unpatched services and direct data theft, with no load balancer in between.`,
          recommendation: `Admit ${names} only from the networks that need ${ports.length === 1 ? 'it' : 'them'} (the VPC, a VPN or a bastion's security group); reach administrative ports through AWS Systems Manager Session Manager or a VPN instead of the internet.`,
          evidence,
          paths: paths.slice(0, 20).map(evidencePath),
          fixes: fixesFor(inventory, network, group.id, rule, names),
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
  const addresses = rule.peer.kind === 'cidr' || rule.peer.kind === 'prefix-list' ? rule.peer.addresses : undefined;
  if (!addresses) return undefined;
  const publicPart = addresses.intersect(PUBLIC_INTERNET);
  const v4Wide = publicPart.ipv4Count() > 256n;
  const v6Wide = rule.peer.kind === 'cidr' && rule.peer.cidr.includes(':') && rule.peer.prefix < 48 && !publicPart.isEmpty();
  if (v4Wide || v6Wide) return 'public';
  const privatePart = addresses.subtract(PUBLIC_INTERNET);
  // NOTE: without describe-vpcs this is only the CIDRs of the VPC's subnets, so a range can read as wider than the VPC when it is not.
  const vpc = vpcAddresses(network, vpcId);
  if (!privatePart.isEmpty() && !vpc.isEmpty() && !vpc.covers(privatePart)) return 'private';
  return undefined;
}

function severityOf(width: Width, direct: boolean, reachable: boolean): Severity {
  if (width === 'internet') return direct ? 'critical' : reachable ? 'high' : 'medium';
  if (width === 'public') return reachable ? 'high' : 'low';
  return 'low';
}

function reachability(direct: number, total: number, reached: string[], memberCount: number, groupId: string): string {
  if (direct > 0) return `The internet reaches ${reached.length} target(s) on these ports directly: ${listWithMore(reached, 5)}.`;
  if (total > 0) return `The internet reaches ${reached.length} target(s) on these ports through a load balancer.`;
  if (memberCount === 0) return `The group is attached to nothing in the snapshot (no network interface in the snapshot carries ${groupId}), so the rule is a latent exposure.`;
  return 'No member is reachable on these ports from the internet today (no public path), so the rule is a latent exposure.';
}

/** Replaces the source with the VPC's CIDR blocks: traffic inside the VPC keeps working, the engine checks the rest. */
function fixesFor(inventory: Parameters<Check['run']>[0]['inventory'], network: AwsNetwork, groupId: string, rule: SecurityGroupRule, names: string): AwsNetworkFix[] {
  const vpc = vpcCidrsOfGroup(network, groupId);
  const spec = specOf(rule);
  const { groupId: _groupId, prefixListId: _prefixListId, ...traffic } = spec;
  const authorize = (vpc.missing ? [VPC_CIDR_PLACEHOLDER] : vpc.cidrs).map((cidr) => ({ ...traffic, cidr, description: `${names} from the VPC only` }));
  const region = regionOfGroup(inventory, groupId);
  return [
    replaceRulesFix(network, groupId, [spec], authorize, {
      title: `Admit ${names} from the VPC only`,
      rationale: 'Administrative and data ports should answer only inside the network; people reach them through a VPN, a bastion or Session Manager.',
      drops: [`connections to ${names} from outside the VPC (${AddressSet.parse(spec.cidr ?? '')?.describe() ?? spec.prefixListId ?? 'the old source'}), including administrators who connect over the internet today`],
      ...(region ? { region } : {}),
      ...(vpc.missing ? { placeholders: [vpcPlaceholderNote(vpc, groupId)] } : {}),
    }),
  ];
}

function describePeer(rule: SecurityGroupRule): string {
  if (rule.peer.kind === 'cidr') return rule.peer.cidr;
  if (rule.peer.kind === 'prefix-list') return `prefix list ${rule.peer.prefixListId}`;
  return rule.peer.groupId;
}

function describeWidth(width: Width, source: string): string {
  if (width === 'internet') return 'the whole internet';
  if (width === 'public') return `the public range ${source}`;
  return `${source}, wider than the VPC`;
}
