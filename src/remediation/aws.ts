import { stringify } from 'yaml';
import type {
  AwsNetworkFix,
  DisableClientIpPreservationFix,
  KubernetesOwner,
  NlbSecurityGroupsFix,
  ReplaceNaclsFix,
  ReplaceSecurityGroupRulesFix,
  RequireImdsV2Fix,
  RestrictEksEndpointFix,
  RemoveNodePublicIpsFix,
  ServiceSourceRangesFix,
} from '../checks/fixes/aws-network.js';
import { describeRuleSpec, describeVerification, familyOf, permissionOf, verifyChanges, type SecurityGroupRuleSpec } from '../engines/aws/index.js';
import type { Inventory } from '../inventory/inventory.js';
import type { Remediation } from './index.js';

// AWS network fixes as AWS CLI commands, Terraform and, when a Kubernetes controller owns the AWS
// resource, the Service or Helm change. Before a fix is offered, the exposure engine re-evaluates every
// flow the cluster needs with the change applied. A change that cuts none and drops nothing on purpose
// is a fix. Anything else is a suggestion for review, with what it would drop.

/** Renders an AWS network fix as AWS CLI commands and Terraform, after verifying it against the exposure engine. */
export function renderAwsFix(fix: AwsNetworkFix, inventory: Inventory): Remediation[] {
  const { safety, verification } = verify(fix, inventory);
  const title = `${safety === 'fix' ? 'Fix' : 'Suggestion for review'}: ${fix.title}`;
  const make = (format: string, content: string): Remediation => ({ format, title, content: `${content.replace(/\n+$/, '')}\n`, safety, verification });
  const rendered = render(fix, make);
  // Renderers that show only the content still show what the engine found, once per fix.
  const first = rendered[0];
  if (first) first.content = `${comment(`Rampart: ${verification}`)}\n${first.content}`;
  return rendered;
}

function render(fix: AwsNetworkFix, make: Make): Remediation[] {
  switch (fix.action) {
    case 'replace-security-group-rules':
      return [make('aws-cli', securityGroupCli(fix, fix.groupId, fix.authorize, fix.revoke)), make('terraform', securityGroupTerraform(fix.groupId, fix.authorize, fix.revoke, fix.rationale, fix.placeholders)), ...ownerNote(fix.owner, make)];
    case 'set-service-source-ranges':
      return serviceRanges(fix, make);
    case 'disable-client-ip-preservation':
      return preservation(fix, make);
    case 'use-nlb-security-groups':
      return nlbSecurityGroups(fix, make);
    case 'replace-nacls':
      return [make('aws-cli', naclCli(fix)), make('terraform', naclTerraform(fix))];
    case 'restrict-eks-endpoint':
      return eksEndpoint(fix, make);
    case 'require-imdsv2':
      return imds(fix, make);
    case 'remove-node-public-ips':
      return publicIps(fix, make);
  }
}

type Make = (format: string, content: string) => Remediation;

// --- verification -------------------------------------------------------------------------------

const verified = new WeakMap<AwsNetworkFix, { safety: 'fix' | 'suggestion'; verification: string }>();

function verify(fix: AwsNetworkFix, inventory: Inventory): { safety: 'fix' | 'suggestion'; verification: string } {
  const cached = verified.get(fix);
  if (cached) return cached;
  const lines: string[] = [];
  let safe = fix.drops.length === 0;
  if (fix.placeholders && fix.placeholders.length > 0) {
    safe = false;
    lines.push(`Not verified: ${fix.placeholders.join('; ')}.`);
  } else if (fix.changes.length > 0) {
    const result = verifyChanges(inventory, fix.changes);
    lines.push(describeVerification(result));
    // With no needed flow in the snapshot, nothing was checked, so the change cannot count as safe.
    if (result.cut.length > 0 || result.newlyPartial.length > 0 || result.flowsChecked === 0) safe = false;
  } else {
    safe = false;
    lines.push('Not verified: the engine cannot model this change (it creates or replaces resources), so review it before applying.');
  }
  if (fix.drops.length > 0) lines.push(`Drops on purpose: ${fix.drops.join('; ')}.`);
  const outcome = { safety: safe ? ('fix' as const) : ('suggestion' as const), verification: lines.join('\n') };
  verified.set(fix, outcome);
  return outcome;
}

// --- security groups ----------------------------------------------------------------------------

function securityGroupCli(fix: { rationale: string; region?: string; placeholders?: string[] }, groupId: string, authorize: SecurityGroupRuleSpec[], revoke: SecurityGroupRuleSpec[]): string {
  const region = fix.region ? ` --region ${fix.region}` : '';
  const lines = [comment(fix.rationale), ...placeholderNotes(fix.placeholders)];
  if (authorize.length > 0) {
    lines.push('# Add the narrower rules first, so that allowed traffic never sees a gap.');
    lines.push(`aws ec2 authorize-security-group-ingress${region} --group-id ${groupId} --ip-permissions ${shellQuote(JSON.stringify(authorize.map(permissionOf).map(withoutEmptyLists)))}`);
  }
  if (revoke.length > 0) lines.push(`aws ec2 revoke-security-group-ingress${region} --group-id ${groupId} --ip-permissions ${shellQuote(JSON.stringify(revoke.map(withoutDescription).map(permissionOf).map(withoutEmptyLists)))}`);
  return lines.join('\n');
}

function securityGroupTerraform(groupId: string, authorize: SecurityGroupRuleSpec[], revoke: SecurityGroupRuleSpec[], rationale: string, placeholders?: string[]): string {
  const blocks = [[comment(rationale), ...placeholderNotes(placeholders)].join('\n')];
  if (revoke.length > 0) blocks.push(`# Remove from your configuration the rule(s) this replaces: ${revoke.map(describeRuleSpec).join('; ')}.`);
  authorize.forEach((rule, index) => {
    const fields: Array<[string, string | number]> = [['security_group_id', groupId], ['ip_protocol', rule.ipProtocol]];
    const protocol = rule.ipProtocol;
    if (protocol !== '-1' && rule.fromPort !== undefined) fields.push(['from_port', rule.fromPort], ['to_port', rule.toPort ?? rule.fromPort]);
    if (rule.cidr) fields.push([familyOf(rule.cidr) === 'ipv6' ? 'cidr_ipv6' : 'cidr_ipv4', rule.cidr]);
    if (rule.groupId) fields.push(['referenced_security_group_id', rule.groupId]);
    if (rule.prefixListId) fields.push(['prefix_list_id', rule.prefixListId]);
    if (rule.description) fields.push(['description', rule.description]);
    blocks.push(terraformBlock('resource "aws_vpc_security_group_ingress_rule"', resourceName(`${groupId}_${index}`), fields));
  });
  return blocks.join('\n\n');
}

function ownerNote(owner: KubernetesOwner | undefined, make: Make): Remediation[] {
  if (!owner) return [];
  return [make('kubectl', `${comment(`The ${owner.controller === 'in-tree' ? 'in-tree AWS cloud provider' : 'AWS Load Balancer Controller'} manages this rule for Service ${owner.namespace}/${owner.name}; it rewrites the rule from the Service, so change the Service too.`)}\nkubectl -n ${owner.namespace} get service ${owner.name} -o yaml`)];
}

// --- Kubernetes Services ------------------------------------------------------------------------

function serviceRanges(fix: ServiceSourceRangesFix, make: Make): Remediation[] {
  const { service, ranges } = fix;
  const note = fix.placeholder ? comment(`${ranges.join(', ')} is a documentation range: replace it with your clients' CIDRs.`) : '';
  const patch = JSON.stringify({ spec: { loadBalancerSourceRanges: ranges } });
  const result = [
    make('kubectl', [comment(fix.rationale), note, `kubectl -n ${service.namespace} patch service ${service.name} --type merge -p ${shellQuote(patch)}`].filter(Boolean).join('\n')),
    make('yaml', [note, stringify({ apiVersion: 'v1', kind: 'Service', metadata: { name: service.name, namespace: service.namespace }, spec: { loadBalancerSourceRanges: ranges } })].filter(Boolean).join('\n')),
  ];
  if (service.helmRelease) result.push(make('helm-values', helmValues(service, { loadBalancerSourceRanges: ranges }, note)));
  if (fix.groupId) {
    const check = `aws ec2 describe-security-groups${fix.region ? ` --region ${fix.region}` : ''} --group-ids ${fix.groupId} --query 'SecurityGroups[].IpPermissions[].IpRanges[]'`;
    result.push(make('aws-cli', [comment('After the controller syncs the Service, its client rules in this group admit exactly these ranges:'), check].join('\n')));
  }
  return result;
}

function preservation(fix: DisableClientIpPreservationFix, make: Make): Remediation[] {
  const region = fix.region ? ` --region ${fix.region}` : '';
  const attribute = `aws elbv2 modify-target-group-attributes${region} --target-group-arn ${fix.targetGroupArn} --attributes Key=preserve_client_ip.enabled,Value=false`;
  const result: Remediation[] = [];
  if (fix.owner) {
    const ranges = [...new Set(fix.authorize.flatMap((rule) => (rule.cidr ? [rule.cidr] : [])))];
    const patch = JSON.stringify({
      metadata: { annotations: { 'service.beta.kubernetes.io/aws-load-balancer-target-group-attributes': 'preserve_client_ip.enabled=false' } },
      spec: { loadBalancerSourceRanges: ranges },
    });
    result.push(
      make(
        'aws-cli',
        [
          comment(fix.rationale),
          comment('The AWS Load Balancer Controller sets this attribute from the annotation in the kubectl remediation; for a load balancer the in-tree provider manages, set it here and check after the next Service sync that it stayed off.'),
          attribute,
        ].join('\n'),
      ),
      make('kubectl', [comment('Admit only the NLB private IPs on the NodePorts; the controller rewrites the client rules from these ranges.'), `kubectl -n ${fix.owner.namespace} patch service ${fix.owner.name} --type merge -p ${shellQuote(patch)}`].join('\n')),
    );
    if (fix.owner.helmRelease) {
      const annotations = { 'service.beta.kubernetes.io/aws-load-balancer-target-group-attributes': 'preserve_client_ip.enabled=false' };
      result.push(make('helm-values', helmValues(fix.owner, { annotations, loadBalancerSourceRanges: ranges }, '')));
    }
  } else {
    result.push(make('aws-cli', `${attribute}\n${securityGroupCli(fix, fix.groupId, fix.authorize, fix.revoke)}`));
  }
  result.push(make('terraform', [comment(`In the aws_lb_target_group that defines ${fix.targetGroupName}, set preserve_client_ip = "false".`), securityGroupTerraform(fix.groupId, fix.authorize, fix.revoke, fix.rationale)].join('\n')));
  return result;
}

function nlbSecurityGroups(fix: NlbSecurityGroupsFix, make: Make): Remediation[] {
  const service = fix.service;
  const manifest = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name: service.name,
      namespace: service.namespace,
      annotations: {
        'service.beta.kubernetes.io/aws-load-balancer-type': 'external',
        'service.beta.kubernetes.io/aws-load-balancer-nlb-target-type': 'instance',
        'service.beta.kubernetes.io/aws-load-balancer-scheme': 'internet-facing',
      },
    },
    spec: { loadBalancerSourceRanges: fix.clientRanges },
  };
  const intro = [
    comment(fix.rationale),
    comment('With these annotations the AWS Load Balancer Controller (v2.6.0 or later) creates a new NLB with a frontend security group'),
    comment(`built from loadBalancerSourceRanges and a backend security group that it admits on NodePorts ${fix.nodePorts.join(', ')} of the node group.`),
    comment(`${fix.clientRanges.join(', ')} is a documentation range: replace it with your clients' CIDRs.`),
  ].join('\n');
  const result = [make('yaml', `${intro}\n${stringify(manifest)}`)];
  if (service.helmRelease) result.push(make('helm-values', helmValues(service, { annotations: manifest.metadata.annotations, loadBalancerSourceRanges: fix.clientRanges }, intro)));
  result.push(
    make(
      'aws-cli',
      [
        comment(`After the new NLB is active, remove the 0.0.0.0/0 client rules from ${fix.groupId} that the old one needed, and check the new NLB has security groups:`),
        `aws elbv2 describe-load-balancers${fix.region ? ` --region ${fix.region}` : ''} --query 'LoadBalancers[?Type==\`network\`].[LoadBalancerName,SecurityGroups]'`,
      ].join('\n'),
    ),
  );
  return result;
}

/** Helm values for the chart of a Service; ingress-nginx puts Service settings under controller.service. */
function helmValues(owner: KubernetesOwner, values: Record<string, unknown>, note: string): string {
  const release = owner.helmRelease as { name: string; namespace?: string };
  const header = comment(`Values for Helm release ${release.name}${release.namespace ? ` in ${release.namespace}` : ''}, which manages Service ${owner.namespace}/${owner.name}.`);
  if (owner.appName === 'ingress-nginx') return [header, note, stringify({ controller: { service: values } })].filter(Boolean).join('\n');
  return [header, comment('Put these under the chart value that renders this Service; its name depends on the chart.'), note, stringify({ service: values })].filter(Boolean).join('\n');
}

// --- NACLs --------------------------------------------------------------------------------------

function naclCli(fix: ReplaceNaclsFix): string {
  const region = fix.region ? ` --region ${fix.region}` : '';
  const lines = [comment(fix.rationale), comment('Each tier gets a new NACL; associating it with the subnets is the last step and takes effect at once.')];
  for (const tier of fix.tiers) {
    const variable = `ACL_${tier.tier.toUpperCase()}`;
    lines.push('', comment(`${tier.tier} subnets: ${tier.subnetIds.join(', ')}`));
    lines.push(`${variable}=$(aws ec2 create-network-acl${region} --vpc-id ${fix.vpcId} --tag-specifications ${shellQuote(`ResourceType=network-acl,Tags=[{Key=Name,Value=rampart-${tier.tier}}]`)} --query NetworkAcl.NetworkAclId --output text)`);
    for (const entry of tier.entries) {
      const parts = [`aws ec2 create-network-acl-entry${region} --network-acl-id "$${variable}"`, entry.egress ? '--egress' : '--ingress', `--rule-number ${entry.ruleNumber}`, `--protocol ${entry.protocol}`, `--rule-action ${entry.action}`];
      parts.push(familyOf(entry.cidr) === 'ipv6' ? `--ipv6-cidr-block ${entry.cidr}` : `--cidr-block ${entry.cidr}`);
      if (entry.fromPort !== undefined) parts.push(`--port-range From=${entry.fromPort},To=${entry.toPort ?? entry.fromPort}`);
      if (entry.icmpType !== undefined) parts.push(`--icmp-type-code Type=${entry.icmpType},Code=${entry.icmpCode ?? -1}`);
      lines.push(`${parts.join(' ')}  # ${entry.purpose}`);
    }
    for (const subnetId of tier.subnetIds) {
      const association = tier.associationIds[subnetId];
      if (association) lines.push(`aws ec2 replace-network-acl-association${region} --association-id ${association} --network-acl-id "$${variable}"  # ${subnetId}`);
      else lines.push(comment(`${subnetId}: find its association with aws ec2 describe-network-acls --filters Name=association.subnet-id,Values=${subnetId}, then replace it.`));
    }
  }
  return lines.join('\n');
}

function naclTerraform(fix: ReplaceNaclsFix): string {
  const blocks = [comment(fix.rationale)];
  for (const tier of fix.tiers) {
    const acl = `rampart_${tier.tier}`;
    blocks.push(terraformBlock('resource "aws_network_acl"', acl, [['vpc_id', fix.vpcId]], `  tags = {\n    Name = "rampart-${tier.tier}"\n  }`));
    for (const entry of tier.entries) {
      const fields: Array<[string, string | number | boolean | Reference]> = [
        ['network_acl_id', { reference: `aws_network_acl.${acl}.id` }],
        ['rule_number', entry.ruleNumber],
        ['egress', entry.egress],
        ['protocol', entry.protocol],
        ['rule_action', entry.action],
        [familyOf(entry.cidr) === 'ipv6' ? 'ipv6_cidr_block' : 'cidr_block', entry.cidr],
      ];
      if (entry.fromPort !== undefined) fields.push(['from_port', entry.fromPort], ['to_port', entry.toPort ?? entry.fromPort]);
      if (entry.icmpType !== undefined) fields.push(['icmp_type', entry.icmpType], ['icmp_code', entry.icmpCode ?? -1]);
      blocks.push(`# ${entry.purpose}\n${terraformBlock('resource "aws_network_acl_rule"', `${acl}_${entry.egress ? 'out' : 'in'}_${entry.ruleNumber}`, fields)}`);
    }
    for (const subnetId of tier.subnetIds) {
      blocks.push(terraformBlock('resource "aws_network_acl_association"', resourceName(`${acl}_${subnetId}`), [['network_acl_id', { reference: `aws_network_acl.${acl}.id` }], ['subnet_id', subnetId]]));
    }
  }
  return blocks.join('\n\n');
}

// --- EKS and instances --------------------------------------------------------------------------

function eksEndpoint(fix: RestrictEksEndpointFix, make: Make): Remediation[] {
  const region = fix.region ? ` --region ${fix.region}` : '';
  const cidrs = fix.publicAccessCidrs.join(',');
  return [
    make(
      'aws-cli',
      [
        comment(fix.rationale),
        comment(`${cidrs} is a documentation range: replace it with the CIDRs of your administrators and CI runners.`),
        `aws eks update-cluster-config${region} --name ${fix.clusterName} --resources-vpc-config endpointPublicAccess=true,endpointPrivateAccess=${fix.enablePrivateAccess},publicAccessCidrs=${shellQuote(cidrs)}`,
      ].join('\n'),
    ),
    make('terraform', [comment(`In the aws_eks_cluster that defines ${fix.clusterName}:`), `vpc_config {\n  endpoint_private_access = ${fix.enablePrivateAccess}\n  endpoint_public_access  = true\n  public_access_cidrs     = ${JSON.stringify(fix.publicAccessCidrs)}\n}`].join('\n')),
  ];
}

function imds(fix: RequireImdsV2Fix, make: Make): Remediation[] {
  const region = fix.region ? ` --region ${fix.region}` : '';
  return [
    make('aws-cli', [comment(fix.rationale), ...fix.instanceIds.map((id) => `aws ec2 modify-instance-metadata-options${region} --instance-id ${id} --http-tokens required --http-put-response-hop-limit ${fix.hopLimit} --http-endpoint enabled`)].join('\n')),
    make('terraform', [comment('In the aws_launch_template of the node group, so that replaced nodes keep the setting:'), `metadata_options {\n  http_endpoint               = "enabled"\n  http_tokens                 = "required"\n  http_put_response_hop_limit = ${fix.hopLimit}\n}`].join('\n')),
  ];
}

function publicIps(fix: RemoveNodePublicIpsFix, make: Make): Remediation[] {
  const region = fix.region ? ` --region ${fix.region}` : '';
  return [
    make(
      'aws-cli',
      [
        comment(fix.rationale),
        comment('Stop new nodes from getting public IPs; running nodes keep theirs until the node group replaces them.'),
        ...fix.subnetIds.map((id) => `aws ec2 modify-subnet-attribute${region} --subnet-id ${id} --no-map-public-ip-on-launch`),
      ].join('\n'),
    ),
    make('terraform', [comment('In each aws_subnet the nodes use, and in the launch template of the node group:'), 'map_public_ip_on_launch = false', '', 'network_interfaces {\n  associate_public_ip_address = false\n}'].join('\n')),
  ];
}

// --- text helpers -------------------------------------------------------------------------------

interface Reference {
  reference: string;
}

/** Formats a Terraform block. JSON string syntax is valid HCL for quoted strings. */
function terraformBlock(header: string, name: string, fields: Array<[string, string | number | boolean | Reference]>, extra?: string): string {
  const width = Math.max(...fields.map(([key]) => key.length));
  const lines = fields.map(([key, value]) => `  ${key.padEnd(width)} = ${typeof value === 'object' ? value.reference : typeof value === 'string' ? JSON.stringify(value) : String(value)}`);
  return `${header} "${name}" {\n${lines.join('\n')}${extra ? `\n\n${extra}` : ''}\n}`;
}

function resourceName(text: string): string {
  return text.replace(/[^A-Za-z0-9_]/g, '_').replace(/^(\d)/, '_$1');
}

function comment(text: string): string {
  return text
    .split('\n')
    .map((line) => `# ${line}`)
    .join('\n');
}

/** Single-quotes text for POSIX shells, closing and reopening the quote around each embedded quote. */
function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** Writes one comment per placeholder, naming the value and what replaces it. */
function placeholderNotes(placeholders: string[] | undefined): string[] {
  return (placeholders ?? []).map((text) => comment(`Placeholder: ${text}.`));
}

/** Leaves out the empty peer lists of a permission, which the AWS CLI does not need. */
function withoutEmptyLists(permission: ReturnType<typeof permissionOf>): Partial<ReturnType<typeof permissionOf>> {
  return Object.fromEntries(Object.entries(permission).filter(([, value]) => !Array.isArray(value) || value.length > 0));
}

/** AWS matches a rule to revoke by protocol, ports and peer; the description is not part of it. */
function withoutDescription(rule: SecurityGroupRuleSpec): SecurityGroupRuleSpec {
  const { description: _description, ...rest } = rule;
  return rest;
}

