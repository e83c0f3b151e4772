import {
  describeRule,
  describeVerification,
  nodePortsOf,
  serviceRef,
  verifyChanges,
  type AwsNetwork,
  type ExposurePath,
  type LoadBalancerInfo,
  type NetworkChange,
  type SecurityGroupRule,
  type SecurityGroupRuleSpec,
  type ServiceInfo,
  type TargetGroupInfo,
} from '../../engines/aws/index.js';
import type { Inventory } from '../../inventory/inventory.js';
import type { AwsNetworkFix } from '../fixes/aws-network.js';
import type { Check, Evidence, FindingDraft, ResourceRef, Severity } from '../types.js';
import {
  VPC_CIDR_PLACEHOLDER,
  admitsWholeInternet,
  evidencePath,
  exposureContext,
  groupLabel,
  kubernetesOwner,
  listWithMore,
  onlyAdminPorts,
  ownerOfRule,
  pathEvidence,
  portsText,
  regionOfGroup,
  replaceRulesFix,
  specOf,
  vpcCidrsOfGroup,
  vpcPlaceholderNote,
  type ExposureContext,
  type OwnedRule,
  type ReplaceRulesOptions,
} from './exposure-context.js';

// Security group rules open to 0.0.0.0/0 or ::/0, rated by what the internet actually reaches through
// them: interfaces reachable directly, ports reachable only through a load balancer, or nothing
// because the members are private. Rules on administrative ports are left to sg-admin-port-open.

export const sgIngressFromInternet: Check = {
  meta: {
    id: 'sg-ingress-from-internet',
    title: 'Security group admits the whole internet',
    severity: 'high',
    category: 'network-exposure',
    description:
      'Reports security group ingress rules that admit 0.0.0.0/0 or ::/0 (directly or through a prefix list) on non-administrative ports, rated by whether the internet reaches the members directly, only through a load balancer, or not at all.',
    reads: ['SecurityGroup', 'NetworkInterface', 'Subnet', 'RouteTable', 'NetworkAcl', 'InternetGateway', 'Instance', 'LoadBalancer', 'Listener', 'TargetGroup', 'TargetGroupAttributes', 'TargetHealth', 'ManagedPrefixList', 'Service', 'Node'],
    requires: ['SecurityGroup'],
    references: [
      'https://docs.aws.amazon.com/securityhub/latest/userguide/ec2-controls.html#ec2-18',
      'https://docs.aws.amazon.com/elasticloadbalancing/latest/network/edit-target-group-attributes.html#client-ip-preservation',
      'https://docs.aws.amazon.com/elasticloadbalancing/latest/network/load-balancer-security-groups.html',
      'https://kubernetes.io/docs/concepts/services-networking/service/#aws-nlb-support',
    ],
    limitations: [
      'Rampart does not see which processes listen: a port counts as exposed when every hop admits it.',
      'Groups used only by load balancers are skipped, because a load balancer answers only on its listeners.',
      'ICMP type 3 code 4 rules (path MTU discovery) are not reported.',
    ],
  },
  run({ inventory }) {
    const context = exposureContext(inventory);
    const findings: FindingDraft[] = [];
    for (const candidate of candidateRules(context.network)) findings.push(finding(inventory, context, candidate));
    return { findings, notModelled: context.notModelled };
  },
};

interface Candidate {
  groupId: string;
  rules: SecurityGroupRule[];
  owned: OwnedRule;
}

/** Internet rules grouped per security group and owning Service role, so one Service gives one finding. */
function candidateRules(network: AwsNetwork): Candidate[] {
  const candidates = new Map<string, Candidate>();
  for (const group of network.securityGroups.values()) {
    const members = network.enisByGroup.get(group.id) ?? [];
    // A load balancer accepts connections only on its listeners, so internet rules on its own group are its purpose.
    if (members.length > 0 && members.every((eni) => eni.role === 'load-balancer')) continue;
    if (network.loadBalancers.some((lb) => lb.securityGroups.includes(group.id)) && members.every((eni) => eni.role === 'load-balancer')) continue;
    for (const rule of group.ingress) {
      if (!admitsWholeInternet(rule) || onlyAdminPorts(rule) || isPathMtuRule(rule)) continue;
      const owned = ownerOfRule(network, rule);
      const key = owned.owner ? `${group.id}|${owned.owner.controller}|${owned.owner.role}|${owned.owner.loadBalancerName ?? ''}` : `${group.id}|${rule.key}`;
      const existing = candidates.get(key);
      if (existing) existing.rules.push(rule);
      else candidates.set(key, { groupId: group.id, rules: [rule], owned });
    }
  }
  return [...candidates.values()];
}

function finding(inventory: Inventory, context: ExposureContext, candidate: Candidate): FindingDraft {
  const { network } = context;
  const paths = [...new Set(candidate.rules.flatMap((rule) => context.pathsByRule.get(rule.key) ?? []))];
  const direct = paths.filter((path) => path.via === 'direct' && path.target.kind !== 'LoadBalancer');
  const viaLb = paths.filter((path) => path.via === 'load-balancer');
  const exposure: Exposure = direct.length > 0 ? 'direct' : viaLb.length > 0 ? 'load-balancer' : 'none';
  const fronting = frontingTargetGroups(network, candidate);
  const role = candidate.owned.owner?.role ?? (fronting.length > 0 ? 'client' : 'unknown');
  const label = groupLabel(network, candidate.groupId);
  const ports = describePorts(candidate.rules);
  const service = candidate.owned.service ?? fronting.flatMap((entry) => entry.lb.services)[0];
  const severity = severityOf(exposure, role);

  const evidence: Evidence[] = candidate.rules.map((rule) => ({ fact: `Rule ${describeRule(rule)} admits every ${rule.peer.kind === 'cidr' && rule.peer.cidr.includes(':') ? 'IPv6' : 'IPv4'} address.`, source: rule.source }));
  if (candidate.owned.owner && service) {
    evidence.push({ fact: `The ${candidate.owned.owner.controller === 'in-tree' ? 'in-tree AWS cloud provider' : 'AWS Load Balancer Controller'} wrote this ${role} rule for ${serviceRef(service)} (rule description ${candidate.rules[0]?.description}).`, source: service.source });
  }
  for (const entry of fronting) evidence.push(preservationEvidence(entry.lb, entry.group));
  for (const path of [...direct, ...viaLb].slice(0, 8)) evidence.push(pathEvidence(path));
  if (paths.length > 8) evidence.push({ fact: `${paths.length - 8} more paths use these rules; rampart exposure lists them all.` });

  const members = network.enisByGroup.get(candidate.groupId) ?? [];
  const group = network.securityGroups.get(candidate.groupId);
  if (members.length === 0 && group) evidence.push({ fact: `No network interface in the snapshot carries ${candidate.groupId}.${interfacesNote(inventory)}`, source: group.source });

  const advice = role === 'health' ? healthAdvice(network, candidate, fronting) : fronting.length > 0 && exposure !== 'direct' ? clientAdvice(inventory, network, candidate, fronting, service) : directAdvice(inventory, network, candidate, exposure);
  evidence.push(...advice.evidence);

  const resources: ResourceRef[] = [{ kind: 'SecurityGroup', id: candidate.groupId, ...(network.securityGroups.get(candidate.groupId)?.name ? { name: network.securityGroups.get(candidate.groupId)?.name } : {}) }];
  if (service) resources.push({ kind: 'Service', namespace: service.namespace, name: service.name });
  for (const lb of new Set(fronting.map((entry) => entry.lb))) resources.push({ kind: 'LoadBalancer', id: lb.arn, name: lb.name });

  return {
    severity,
    title: titleOf(label, ports, exposure, role, service ? serviceRef(service) : undefined),
    resources,
    problem: `${label} admits ${sourcesOf(candidate.rules)} on ${ports}${service && candidate.owned.owner ? `, a ${role} rule written for ${serviceRef(service)}` : ''}. ${reachabilitySentence(exposure, direct, viaLb, members.length, candidate.groupId)}`,
    risk: advice.risk,
    recommendation: advice.recommendation,
    evidence,
    paths: [...direct, ...viaLb].slice(0, 20).map(evidencePath),
    fixes: advice.fixes,
    key: `${candidate.groupId}|${candidate.rules.map((rule) => rule.key).sort().join('|')}`,
  };
}

type Exposure = 'direct' | 'load-balancer' | 'none';

interface Advice {
  risk: string;
  recommendation: string;
  evidence: Evidence[];
  fixes: AwsNetworkFix[];
}

/**
 * Advises on client rules for NodePorts behind an NLB, which depends on client IP preservation. With it
 * on, the nodes receive every client's own address, so the NLB's private IPs alone would admit only
 * health checks. With it off, the nodes receive only the NLB's private IPs, so those are all the rule needs.
 */
function clientAdvice(inventory: Inventory, network: AwsNetwork, candidate: Candidate, fronting: Fronting[], service: ServiceInfo | undefined): Advice {
  const preserved = fronting.filter((entry) => entry.group.preserveClientIp);
  const lbs = [...new Set(fronting.map((entry) => entry.lb))];
  const lbNames = lbs.map((lb) => lb.name).join(', ');
  const nlb = privateAddressesOf(lbs);
  const nlbCidrs = nlb.cidrs;
  const owner = candidate.owned.owner && service ? kubernetesOwner(service, candidate.owned.owner.controller) : undefined;
  const region = regionOfGroup(inventory, candidate.groupId);
  const evidence: Evidence[] = nlb.unknown.map((lb) => ({ fact: `The private IPs of ${lb.name} are not in the snapshot, because describe-network-interfaces does not list its interfaces (description "ELB ${lb.key}").`, source: lb.source }));
  const fixes: AwsNetworkFix[] = [];
  const ruleSpecs = candidate.rules.map(specOf);
  const ownerNote = owner ? ` Change the Service, not the rule: the ${owner.controller === 'in-tree' ? 'in-tree cloud provider' : 'AWS Load Balancer Controller'} rewrites this rule from ${owner.namespace}/${owner.name} on every sync, so an edit in AWS alone comes back.` : '';
  const missingIps = nlb.unknown.length > 0 ? `, but ${missingIpsText(nlb.unknown)}` : '';

  if (preserved.length > 0) {
    // The hand-written advice, evaluated: restrict to the NLB's addresses while preservation stays on.
    if (nlb.unknown.length === 0) {
      const naive = verifyChanges(inventory, replaceRules(candidate.groupId, ruleSpecs, nlbCidrs), { exposure: false });
      const cutClients = naive.cut.filter((change) => change.flow.kind === 'load-balancer-client');
      evidence.push({
        fact: `Restricting these rules to the NLB's private IPs (${nlbCidrs.join(', ')}) while client IP preservation is on would cut ${cutClients.length} client flow(s)${cutClients[0] ? `, for example ${cutClients[0].flow.description}` : ''}; health checks would still pass, because only they come from those addresses.`,
      });
    }
    const ranges = ['198.51.100.0/24'];
    if (owner) {
      fixes.push({
        type: 'aws-network',
        action: 'set-service-source-ranges',
        title: `Limit clients of ${owner.namespace}/${owner.name} with loadBalancerSourceRanges`,
        rationale: `The ${owner.controller === 'in-tree' ? 'in-tree provider' : 'controller'} writes the client rule from spec.loadBalancerSourceRanges (0.0.0.0/0 when empty), so setting the ranges narrows the rule and keeps it narrowed.`,
        changes: [{ kind: 'set-service-source-ranges', namespace: owner.namespace, name: owner.name, ranges }],
        drops: ['every client outside the ranges you set; 198.51.100.0/24 is a documentation range that stands for your clients’ CIDRs'],
        service: owner,
        ranges,
        placeholder: true,
        groupId: candidate.groupId,
        ...(region ? { region } : {}),
      });
    } else {
      fixes.push(replaceFix(network, candidate.groupId, ruleSpecs, ranges, { title: 'Limit the client rule to your clients’ ranges', rationale: 'With client IP preservation the nodes see client addresses, so the rule is the place to limit them.', drops: ['every client outside the ranges you set; 198.51.100.0/24 is a documentation range that stands for your clients’ CIDRs'], ...(region ? { region } : {}) }));
    }
    const lbWithGroups = lbs.find((lb) => lb.securityGroups.length > 0);
    if (lbWithGroups && !owner) {
      const lbGroup = lbWithGroups.securityGroups[0] as string;
      fixes.push(
        replaceRulesFix(
          network,
          candidate.groupId,
          ruleSpecs,
          ruleSpecs.map((spec) => peerSpec(spec, { groupId: lbGroup })),
          { title: `Admit the NodePorts from the security group of ${lbWithGroups.name} only`, rationale: 'Targets that reference the NLB’s security group accept its traffic even with client IP preservation on, and clients are then filtered by the NLB’s own group.', drops: [], ...(region ? { region } : {}) },
        ),
      );
    } else if (service && owner) {
      fixes.push({
        type: 'aws-network',
        action: 'use-nlb-security-groups',
        title: `Move ${owner.namespace}/${owner.name} to an NLB with security groups`,
        rationale: 'An NLB created with security groups filters clients itself, and the nodes can then admit the NodePorts from the NLB’s group alone, whatever the preservation setting.',
        changes: [],
        drops: ['the load balancer is replaced: its DNS name and addresses change, so DNS records and allow-lists that name it must follow'],
        service: owner,
        loadBalancerName: lbNames,
        groupId: candidate.groupId,
        nodePorts: nodePortsOf(service),
        clientRanges: ranges,
        ...(region ? { region } : {}),
      });
    }
    // Turning preservation off needs the NLB's private IPs in the rule, so without them there is no fix to offer.
    const preservedGroups = nlb.unknown.length > 0 ? [] : preserved.filter((item, index, list) => list.findIndex((other) => other.group.arn === item.group.arn) === index);
    for (const entry of preservedGroups) {
      const changes: NetworkChange[] = [{ kind: 'set-target-group-attribute', targetGroupArn: entry.group.arn, key: 'preserve_client_ip.enabled', value: 'false' }, ...(owner ? [{ kind: 'set-service-source-ranges' as const, namespace: owner.namespace, name: owner.name, ranges: nlbCidrs }] : replaceRules(candidate.groupId, ruleSpecs, nlbCidrs))];
      fixes.push({
        type: 'aws-network',
        action: 'disable-client-ip-preservation',
        title: `Turn client IP preservation off on ${entry.group.name} and admit only the NLB's private IPs`,
        rationale: 'Without preservation the nodes see the NLB’s private IPs as the source of client traffic and health checks alike, so a rule for those addresses admits both and nothing else.',
        changes,
        drops: ['the application sees the NLB’s private IPs instead of client addresses (enable proxy protocol v2 if it needs them)', 'clients can no longer be filtered by address at the nodes'],
        targetGroupArn: entry.group.arn,
        targetGroupName: entry.group.name,
        groupId: candidate.groupId,
        revoke: ruleSpecs,
        authorize: nlbCidrs.flatMap((cidr) => ruleSpecs.map((spec) => peerSpec(spec, { cidr }))),
        ...(owner ? { owner } : {}),
        ...(region ? { region } : {}),
      });
    }
    const origin = preserved.some((entry) => entry.group.preserveClientIpOrigin === 'default') ? ' (the AWS default for instance targets; the target group attributes are not in the snapshot or do not set it)' : '';
    const privateIps = nlb.unknown.length > 0 ? `admit only the NLB's private IPs${missingIps}` : `admit only the NLB's private IPs (${nlbCidrs.join(', ')})`;
    return {
      risk: `With client IP preservation on${origin}, ${lbNames} hands every client's own address to the nodes, so this rule is the only filter between the internet and ${describePorts(candidate.rules)} on every node that carries the group; a node that gets a public IP or lands in a public subnet would be reachable on them directly.`,
      recommendation: `Keep the NodePorts behind ${lbNames} but limit who reaches them: set spec.loadBalancerSourceRanges to your clients' CIDRs, or move to an NLB with security groups and admit the NodePorts from that group, or turn client IP preservation off and ${privateIps}. Do not restrict the rule to the NLB's private IPs while preservation is on: the nodes would then drop every client and only health checks would get through.${ownerNote}`,
      evidence,
      fixes,
    };
  }

  // Preservation off: the nodes see the NLB's private IPs, so those are all the rule needs.
  if (nlb.unknown.length > 0) {
    return {
      risk: `The nodes see ${lbNames}'s private IPs as the source of all its traffic, so admitting 0.0.0.0/0 adds nothing for clients and leaves ${describePorts(candidate.rules)} open to any other path that reaches the nodes, such as a public IP or another load balancer.`,
      recommendation: `Replace 0.0.0.0/0 with the NLB's private IPs${missingIps}. Export that output and run Rampart again for a fix it has checked.${ownerNote}`,
      evidence,
      fixes,
    };
  }
  const changes: NetworkChange[] = owner ? [{ kind: 'set-service-source-ranges', namespace: owner.namespace, name: owner.name, ranges: nlbCidrs }] : replaceRules(candidate.groupId, ruleSpecs, nlbCidrs);
  if (owner) {
    fixes.push({
      type: 'aws-network',
      action: 'set-service-source-ranges',
      title: `Admit only the NLB's private IPs on the NodePorts of ${owner.namespace}/${owner.name}`,
      rationale: 'Client IP preservation is off, so every packet the nodes receive from the NLB carries one of its private IPs.',
      changes,
      drops: [],
      service: owner,
      ranges: nlbCidrs,
      placeholder: false,
      groupId: candidate.groupId,
      ...(region ? { region } : {}),
    });
  } else {
    fixes.push(replaceFix(network, candidate.groupId, ruleSpecs, nlbCidrs, { title: `Admit only the private IPs of ${lbNames}`, rationale: 'Client IP preservation is off, so every packet the nodes receive from the NLB carries one of its private IPs.', drops: [], ...(region ? { region } : {}) }));
  }
  const check = verifyChanges(inventory, changes, { exposure: false });
  evidence.push({ fact: `With client IP preservation off, restricting the rules to ${nlbCidrs.join(', ')}: ${describeVerification(check).split('\n')[0]}` });
  let checked = '';
  if (check.cut.length > 0) checked = ` Rampart's check found that it would cut ${check.cut.length} needed flow(s), so review the evidence first.`;
  else if (check.newlyPartial.length === 0 && check.flowsAffected > 0) checked = ' Rampart checked that clients and health checks keep working.';
  return {
    risk: `The nodes see ${lbNames}'s private IPs as the source of all its traffic, so admitting 0.0.0.0/0 adds nothing for clients and leaves ${describePorts(candidate.rules)} open to any other path that reaches the nodes, such as a public IP or another load balancer.`,
    recommendation: `Replace 0.0.0.0/0 with the NLB's private IPs (${nlbCidrs.join(', ')}).${checked}${ownerNote}`,
    evidence,
    fixes,
  };
}

function healthAdvice(network: AwsNetwork, candidate: Candidate, fronting: Fronting[]): Advice {
  const lbs = [...new Set(fronting.map((entry) => entry.lb))];
  const nlb = privateAddressesOf(lbs);
  const specs = candidate.rules.map(specOf);
  // An NLB's private IPs lie in its subnets, so the subnets' CIDRs admit every health check when the IPs are unknown.
  const subnetCidrs = [...new Set(lbs.flatMap((lb) => lb.subnetIds.flatMap((id) => network.subnets.get(id)?.cidrTexts ?? [])))];
  const target = nlb.unknown.length === 0 ? nlb.cidrs : subnetCidrs;
  let sources = `(${target.join(', ')})`;
  if (nlb.unknown.length > 0) sources = target.length > 0 ? `, but ${missingIpsText(nlb.unknown)}, so the CIDRs of its subnets (${target.join(', ')}) stand in for them` : `, but ${missingIpsText(nlb.unknown)}, and so are its subnets`;
  return {
    risk: 'Health checks always come from the load balancer’s private IPs, so a health check rule open to the internet admits everyone else on that port for no purpose.',
    recommendation: `Limit the health check rule to the load balancer's private IPs${sources}, whatever the client IP preservation setting.`,
    evidence: nlb.unknown.map((lb) => ({ fact: `The private IPs of ${lb.name} are not in the snapshot, because describe-network-interfaces does not list its interfaces (description "ELB ${lb.key}").`, source: lb.source })),
    fixes: target.length === 0 ? [] : [replaceFix(network, candidate.groupId, specs, target, { title: 'Admit health checks from the load balancer only', rationale: 'Health checks come from the load balancer’s private IPs whatever the client IP preservation setting.', drops: [] })],
  };
}

function directAdvice(inventory: Inventory, network: AwsNetwork, candidate: Candidate, exposure: Exposure): Advice {
  const specs = candidate.rules.map(specOf);
  const ports = describePorts(candidate.rules);
  const vpc = vpcCidrsOfGroup(network, candidate.groupId);
  const region = regionOfGroup(inventory, candidate.groupId);
  const options: ReplaceRulesOptions = {
    title: `Admit ${ports} from inside the VPC only`,
    rationale: 'Internet clients should come through a load balancer or a VPN; traffic from inside the VPC keeps working.',
    drops: ['every connection from outside the VPC to these ports, including any legitimate internet client'],
    ...(region ? { region } : {}),
    ...(vpc.missing ? { placeholders: [vpcPlaceholderNote(vpc, candidate.groupId)] } : {}),
  };
  const fix = replaceFix(network, candidate.groupId, specs, vpc.missing ? [VPC_CIDR_PLACEHOLDER] : vpc.cidrs, options);
  const vpcText = vpc.missing ? `the VPC's CIDR blocks, but ${vpc.missing}` : `the VPC CIDR ${vpc.cidrs.join(', ')}`;
  if (exposure === 'direct') {
    return {
      risk: `Anyone on the internet can open connections to ${ports} on these interfaces directly, with no load balancer, WAF or access log in between.`,
      recommendation: `Close ${ports} to the internet: admit only the addresses that need them (a VPN or office range, or ${vpcText}), or put the service behind a load balancer and admit the load balancer only.`,
      evidence: [],
      fixes: [fix],
    };
  }
  const members = network.enisByGroup.get(candidate.groupId) ?? [];
  const risk =
    members.length === 0
      ? `Nothing in the snapshot uses ${ports} through this group today, but any interface it is attached to later, or one the snapshot does not show, is open to the internet on them once it has a public IP in a subnet routed to an internet gateway.`
      : `Nothing reaches ${ports} from the internet today, because no member has a public path; the rule would expose them as soon as one gets a public IP or a route to an internet gateway.`;
  return {
    risk,
    recommendation: `Narrow the rule to the addresses that need ${ports} (for example ${vpcText}), so that the security group does not depend on ${members.length === 0 ? 'staying unattached' : 'the subnet staying private'}.`,
    evidence: [],
    fixes: [fix],
  };
}

// --- helpers ------------------------------------------------------------------------------------

interface Fronting {
  lb: LoadBalancerInfo;
  group: TargetGroupInfo;
}

/** Target groups whose targets carry the security group on a port the rules open. */
function frontingTargetGroups(network: AwsNetwork, candidate: Candidate): Fronting[] {
  const result: Fronting[] = [];
  for (const lb of network.loadBalancers) {
    for (const listener of lb.listeners) {
      for (const group of listener.targetGroups) {
        const hit = group.targets.some((target) => target.eni?.groups.includes(candidate.groupId) && candidate.rules.some((rule) => rule.range[0] <= target.port && target.port <= rule.range[1]));
        if (hit && !result.some((entry) => entry.group.arn === group.arn)) result.push({ lb, group });
      }
    }
  }
  return result;
}

function preservationEvidence(lb: LoadBalancerInfo, group: TargetGroupInfo): Evidence {
  const state = group.preserveClientIp ? 'on' : 'off';
  const origin = group.preserveClientIpOrigin === 'attribute' ? 'preserve_client_ip.enabled in the target group attributes' : `the AWS default for ${group.targetType} targets over ${group.protocol}, because the target group attributes are not in the snapshot`;
  return { fact: `Client IP preservation is ${state} for target group ${group.name} of ${lb.name} (${origin}).`, source: group.attributesSource ?? group.source };
}

/**
 * Collects the private IPs of load balancers as /32 CIDRs, and the load balancers whose IPs the snapshot
 * lacks. Without describe-network-interfaces, an internet-facing NLB lists no private addresses.
 */
function privateAddressesOf(lbs: LoadBalancerInfo[]): { cidrs: string[]; unknown: LoadBalancerInfo[] } {
  const unknown = lbs.filter((lb) => lb.enis.length === 0 || lb.enis.some((eni) => eni.privateIps.length === 0));
  const cidrs = lbs.flatMap((lb) => lb.enis.flatMap((eni) => eni.privateIps.map((ip) => `${ip}/32`))).sort();
  return { cidrs: [...new Set(cidrs)], unknown };
}

/** Says that the private IPs of load balancers are missing and how to list them. */
function missingIpsText(lbs: LoadBalancerInfo[]): string {
  const names = lbs.map((lb) => lb.name).join(', ');
  const commands = lbs.map((lb) => `aws ec2 describe-network-interfaces --filters Name=description,Values="ELB ${lb.key}"`).join(' and ');
  return `the private IPs of ${names} are not in the snapshot because describe-network-interfaces does not list ${lbs.length === 1 ? 'its' : 'their'} interfaces (${commands} lists them)`;
}

/** Says when describe-network-interfaces is missing, so that "no interface" is read with that in mind. */
function interfacesNote(inventory: Inventory): string {
  return inventory.has('NetworkInterface') ? '' : ' describe-network-interfaces is not in the snapshot, so only the primary interfaces of instances were seen.';
}

function replaceRules(groupId: string, specs: SecurityGroupRuleSpec[], cidrs: string[]): NetworkChange[] {
  return [
    ...cidrs.flatMap((cidr) => specs.map((spec): NetworkChange => ({ kind: 'authorize-security-group-ingress', groupId, rule: peerSpec(spec, { cidr }) }))),
    ...specs.map((spec): NetworkChange => ({ kind: 'revoke-security-group-ingress', groupId, rule: spec })),
  ];
}

/** Replaces `specs` with the same rules from each of `cidrs`. */
function replaceFix(network: AwsNetwork, groupId: string, specs: SecurityGroupRuleSpec[], cidrs: string[], options: ReplaceRulesOptions): AwsNetworkFix {
  return replaceRulesFix(
    network,
    groupId,
    specs,
    cidrs.flatMap((cidr) => specs.map((spec) => peerSpec(spec, { cidr }))),
    options,
  );
}

/** Copies a rule spec with another peer, without the controller's description. */
function peerSpec(spec: SecurityGroupRuleSpec, peer: { cidr?: string; groupId?: string }): SecurityGroupRuleSpec {
  return {
    ipProtocol: spec.ipProtocol,
    ...(spec.fromPort === undefined ? {} : { fromPort: spec.fromPort }),
    ...(spec.toPort === undefined ? {} : { toPort: spec.toPort }),
    ...peer,
    description: 'restricted by Rampart recommendation',
  };
}

/** ICMP type 3 code 4 (fragmentation needed) keeps path MTU discovery working and carries no service. */
function isPathMtuRule(rule: SecurityGroupRule): boolean {
  return rule.protocol === 1 && rule.range[0] === 3 * 256 + 4 && rule.range[1] === 3 * 256 + 4;
}

function severityOf(exposure: Exposure, role: string): Severity {
  if (role === 'health') return exposure === 'direct' ? 'high' : 'low';
  if (exposure === 'direct') return 'high';
  return exposure === 'load-balancer' ? 'medium' : 'low';
}

function describePorts(rules: SecurityGroupRule[]): string {
  const texts = [...new Set(rules.map((rule) => (rule.protocol === 'all' ? 'all protocols and ports' : `${rule.ipProtocol === '6' ? 'tcp' : rule.ipProtocol} ${portsText(rule)}`)))];
  return texts.join(', ');
}

function sourcesOf(rules: SecurityGroupRule[]): string {
  const texts = [...new Set(rules.map((rule) => (rule.peer.kind === 'cidr' ? rule.peer.cidr : rule.peer.kind === 'prefix-list' ? `prefix list ${rule.peer.prefixListId}` : rule.peer.groupId)))];
  return texts.join(' and ');
}

function titleOf(label: string, ports: string, exposure: Exposure, role: string, service: string | undefined): string {
  if (role === 'health') return `Health check rule in ${label} admits the whole internet`;
  if (service && exposure !== 'direct') return `NodePorts of ${service} open to the internet in ${label}`;
  if (exposure === 'direct') return `${label} opens ${ports} to the internet, reachable directly`;
  if (exposure === 'load-balancer') return `${label} opens ${ports} to the internet behind a load balancer`;
  return `${label} opens ${ports} to the internet, not reachable today`;
}

function reachabilitySentence(exposure: Exposure, direct: ExposurePath[], viaLb: ExposurePath[], memberCount: number, groupId: string): string {
  if (exposure === 'direct') {
    const targets = [...new Set(direct.map((path) => path.target.id))];
    return `The internet reaches ${targets.length} interface(s) on these ports directly: ${listWithMore(targets, 5)}.`;
  }
  if (exposure === 'load-balancer') {
    const lbs = [...new Set(viaLb.map((path) => path.loadBalancer?.name))].join(', ');
    const targets = [...new Set(viaLb.map((path) => path.target.id))];
    return `No member is reachable directly (no public IP, or a private subnet); the internet reaches these ports only through ${lbs}, on ${targets.length} target(s).`;
  }
  if (memberCount === 0) return `The group is attached to nothing in the snapshot (no network interface in the snapshot carries ${groupId}), so the rule reaches nothing today.`;
  return 'No member is reachable from the internet today: none has a public path, and no internet-facing load balancer forwards to these ports.';
}
