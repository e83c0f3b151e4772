import { describe, expect, it } from 'vitest';
import { sgIngressFromInternet } from '../../../src/checks/network-exposure/sg-ingress-from-internet.js';
import { runChecks } from '../../../src/checks/run.js';
import { DEFAULT_CONFIG } from '../../../src/config/config.js';
import { loadDocuments } from '../../../src/inventory/load.js';
import { remediate } from '../../../src/remediation/index.js';
import { IDS, LB_NAME, clusterGroupOf, demoCluster, documentOf, enisOf, securityGroupsOf } from '../../fixtures/aws/demo-cluster.js';
import { permission } from '../../engines/aws/support.js';

function audit(files: Record<string, unknown[]>) {
  const { inventory } = loadDocuments(files);
  const { findings } = runChecks([sgIngressFromInternet], { inventory, config: DEFAULT_CONFIG });
  return remediate(findings, inventory);
}

/** Node 1 in public subnet A with a public IP. */
function publicNode(files: Record<string, unknown[]>): void {
  const eni = enisOf(files).find((candidate) => candidate.NetworkInterfaceId === IDS.node1Eni) as Record<string, unknown>;
  eni.SubnetId = IDS.publicA;
  eni.Association = { PublicIp: '203.0.113.21' };
}

describe('sg-ingress-from-internet', () => {
  it('reports NodePorts behind an NLB at medium with the path', () => {
    const [finding, ...rest] = audit(demoCluster({ preserveClientIp: true }));
    expect(rest).toEqual([]);
    expect(finding?.severity).toBe('medium');
    expect(finding?.title).toContain('NodePorts of ingress-nginx/ingress-nginx-controller');
    expect(finding?.paths?.map((path) => [path.target.id, path.port])).toEqual([
      [IDS.node1, IDS.nodePort],
      [IDS.node2, IDS.nodePort],
    ]);
    const kinds = finding?.paths?.[0]?.hops.map((hop) => hop.kind);
    expect(kinds?.indexOf('internet-gateway')).toBeLessThan(kinds?.indexOf('load-balancer') ?? -1);
    expect(kinds?.lastIndexOf('security-group-rule')).toBeGreaterThan(kinds?.indexOf('load-balancer') ?? Infinity);
  });

  it('warns that NLB private IPs alone cut clients when preservation is on', () => {
    const [finding] = audit(demoCluster({ preserveClientIp: true }));
    expect(finding?.recommendation).toContain('loadBalancerSourceRanges');
    expect(finding?.recommendation).toContain('Do not restrict the rule to the NLB');
    expect(finding?.evidence.map((item) => item.fact).join('\n')).toMatch(/would cut 2 client flow\(s\)/);
    expect(finding?.remediations.every((remediation) => remediation.safety === 'suggestion')).toBe(true);
    expect(finding?.remediations.map((remediation) => remediation.format)).toEqual(expect.arrayContaining(['kubectl', 'helm-values', 'aws-cli', 'terraform', 'yaml']));
  });

  it('offers the NLB private IPs as a verified fix when preservation is off', () => {
    const [finding] = audit(demoCluster({ preserveClientIp: false }));
    expect(finding?.recommendation).toContain("Replace 0.0.0.0/0 with the NLB's private IPs (10.20.0.57/32, 10.20.1.84/32)");
    const kubectl = finding?.remediations.find((remediation) => remediation.format === 'kubectl');
    expect(kubectl?.safety).toBe('fix');
    expect(kubectl?.content).toContain('"loadBalancerSourceRanges":["10.20.0.57/32","10.20.1.84/32"]');
    expect(kubectl?.verification).toContain('keep working');
  });

  it('uses the AWS default for instance targets without attributes', () => {
    const [finding] = audit(demoCluster());
    expect(finding?.evidence.map((item) => item.fact).join('\n')).toContain('the AWS default for instance targets');
    expect(finding?.recommendation).toContain('Do not restrict the rule');
  });

  it('rates a directly reachable member high', () => {
    const files = demoCluster();
    publicNode(files);
    const [finding] = audit(files);
    expect(finding?.severity).toBe('high');
    expect(finding?.problem).toContain(`directly: ${IDS.node1}`);
  });

  it('rates a rule nobody reaches low', () => {
    const files = demoCluster();
    clusterGroupOf(files).IpPermissions.push(permission('tcp', 8080, 8080, { cidr: '0.0.0.0/0' }));
    const finding = audit(files).find((candidate) => candidate.title.includes('8080'));
    expect(finding?.severity).toBe('low');
    expect(finding?.title).toContain('not reachable today');
  });

  it('reports ::/0 rules', () => {
    const files = demoCluster();
    clusterGroupOf(files).IpPermissions.push(permission('tcp', 8443, 8443, { cidr6: '::/0' }));
    expect(audit(files).some((finding) => finding.problem.includes('admits ::/0 on tcp port 8443'))).toBe(true);
  });

  it('ignores narrow, administrative and MTU rules', () => {
    const files = demoCluster();
    const group = clusterGroupOf(files);
    group.IpPermissions = [
      permission('tcp', 443, 443, { cidr: '203.0.113.0/24' }),
      permission('tcp', 22, 22, { cidr: '0.0.0.0/0' }),
      permission('icmp', 3, 4, { cidr: '0.0.0.0/0' }),
    ];
    expect(audit(files)).toEqual([]);
  });

  it('ignores groups that only load balancers use', () => {
    const files = demoCluster({ nlbSecurityGroups: ['sg-0b0b0b0b0b0b0b0b1'] });
    clusterGroupOf(files).IpPermissions = [];
    expect(audit(files)).toEqual([]);
  });

  it('judges a health check rule on its own', () => {
    const files = demoCluster({ preserveClientIp: true });
    const ranges = (clusterGroupOf(files).IpPermissions[1] as { IpRanges: Array<{ CidrIp: string; Description: string }> }).IpRanges;
    ranges[1] = { CidrIp: '0.0.0.0/0', Description: `kubernetes.io/rule/nlb/health=${LB_NAME}` };
    const health = audit(files).find((finding) => finding.title.startsWith('Health check rule'));
    expect(health?.recommendation).toContain('10.20.0.57/32, 10.20.1.84/32');
  });

  it('references the NLB security group when the NLB has one', () => {
    const files = demoCluster({ preserveClientIp: true, nlbSecurityGroups: ['sg-0b0b0b0b0b0b0b0b1'] });
    // A rule someone added by hand: no controller owns it.
    for (const range of (clusterGroupOf(files).IpPermissions[1] as { IpRanges: Array<{ Description?: string }> }).IpRanges) delete range.Description;
    const [finding] = audit(files);
    const fix = finding?.remediations.find((remediation) => remediation.title.includes('security group of'));
    expect(fix?.safety).toBe('fix');
    expect(fix?.content).toContain('"GroupId":"sg-0b0b0b0b0b0b0b0b1"');
  });

  it('does not depend on the groups in the snapshot being EKS groups', () => {
    const files = demoCluster();
    const group = securityGroupsOf(files)[0] as Record<string, unknown>;
    group.GroupName = 'web';
    documentOf<{ cluster: Record<string, unknown> }>(files, 'aws/eks-describe-cluster.json').cluster.name = 'other';
    expect(audit(files)).toHaveLength(1);
  });

  it('rates a rule nobody reaches low and says why', () => {
    const files = demoCluster();
    clusterGroupOf(files).IpPermissions.push(permission('tcp', 8080, 8080, { cidr: '0.0.0.0/0' }));
    const finding = audit(files).find((candidate) => candidate.title.includes('8080'));
    expect(finding?.problem).toContain('none has a public path');
    expect(finding?.problem).not.toContain('attached to nothing');
  });
});

describe('sg-ingress-from-internet fixes from the VPC CIDR', () => {
  const SPARE_GROUP = 'sg-0e0e0e0e0e0e0e0e9';

  /** Adds a security group in the demo VPC that no interface carries, open to the internet on TCP 8080. */
  function withSpareGroup(files: Record<string, unknown[]>, vpcId: string | null = IDS.vpc): Record<string, unknown[]> {
    securityGroupsOf(files).push({
      Description: 'web test',
      GroupName: 'web-test',
      GroupId: SPARE_GROUP,
      IpPermissions: [permission('tcp', 8080, 8080, { cidr: '0.0.0.0/0' })],
      IpPermissionsEgress: [permission('-1', undefined, undefined, { cidr: '0.0.0.0/0' })],
      OwnerId: IDS.account,
      ...(vpcId ? { VpcId: vpcId } : {}),
    });
    return files;
  }

  /** Gives the demo VPC a second associated CIDR block and one that was disassociated, as describe-vpcs prints them. */
  function withSecondaryCidrs(files: Record<string, unknown[]>): Record<string, unknown[]> {
    const vpc = documentOf<{ Vpcs: Array<{ CidrBlockAssociationSet: unknown[] }> }>(files, 'aws/ec2-describe-vpcs.json').Vpcs[0] as { CidrBlockAssociationSet: unknown[] };
    vpc.CidrBlockAssociationSet.push(
      { AssociationId: 'vpc-cidr-assoc-02', CidrBlock: '100.64.0.0/16', CidrBlockState: { State: 'associated' } },
      { AssociationId: 'vpc-cidr-assoc-03', CidrBlock: '10.99.0.0/16', CidrBlockState: { State: 'disassociated' } },
    );
    return files;
  }

  const spareFinding = (files: Record<string, unknown[]>) => audit(files).find((finding) => finding.resources.some((resource) => resource.id === SPARE_GROUP));
  const cliOf = (finding: ReturnType<typeof spareFinding>) => finding?.remediations.find((remediation) => remediation.format === 'aws-cli');
  const terraformOf = (finding: ReturnType<typeof spareFinding>) => finding?.remediations.find((remediation) => remediation.format === 'terraform');

  it('takes the CIDR blocks of the group’s VPC, not of its members', () => {
    const finding = spareFinding(withSecondaryCidrs(withSpareGroup(demoCluster())));
    const cli = cliOf(finding);
    expect(cli?.title).toBe('Suggestion for review: Admit tcp port 8080 from inside the VPC only');
    expect(cli?.content).toContain('"CidrIp":"10.20.0.0/16"');
    expect(cli?.content).toContain('"CidrIp":"100.64.0.0/16"');
    // A disassociated block is no longer part of the VPC.
    expect(cli?.content).not.toContain('10.99.0.0/16');
    expect(finding?.recommendation).toContain('10.20.0.0/16, 100.64.0.0/16');
  });

  it('adds the narrower rules before it revokes the old one', () => {
    const cli = cliOf(spareFinding(withSpareGroup(demoCluster())))?.content ?? '';
    const authorize = cli.indexOf(`aws ec2 authorize-security-group-ingress --group-id ${SPARE_GROUP} --ip-permissions '[{"IpProtocol":"tcp","FromPort":8080,"ToPort":8080,"IpRanges":[{"CidrIp":"10.20.0.0/16"`);
    const revoke = cli.indexOf(`aws ec2 revoke-security-group-ingress --group-id ${SPARE_GROUP} --ip-permissions '[{"IpProtocol":"tcp","FromPort":8080,"ToPort":8080,"IpRanges":[{"CidrIp":"0.0.0.0/0"}]}]'`);
    expect(authorize).toBeGreaterThan(-1);
    expect(revoke).toBeGreaterThan(authorize);
  });

  it('writes Terraform for the narrower rule', () => {
    const terraform = terraformOf(spareFinding(withSpareGroup(demoCluster())))?.content ?? '';
    expect(terraform).toContain('resource "aws_vpc_security_group_ingress_rule"');
    expect(terraform).toMatch(/cidr_ipv4 += "10\.20\.0\.0\/16"/);
    expect(terraform).toMatch(/from_port += 8080/);
  });

  it('says a group with no members is attached to nothing', () => {
    const finding = spareFinding(withSpareGroup(demoCluster()));
    expect(finding?.severity).toBe('low');
    expect(finding?.problem).toContain(`no network interface in the snapshot carries ${SPARE_GROUP}`);
    expect(finding?.problem).toContain('attached to nothing in the snapshot');
    expect(`${finding?.problem} ${finding?.risk}`).not.toMatch(/public path/);
  });

  it('gives a placeholder when the VPC is not in the snapshot', () => {
    const files = withSpareGroup(demoCluster());
    delete files['aws/ec2-describe-vpcs.json'];
    const finding = spareFinding(files);
    const cli = cliOf(finding);
    expect(cli?.safety).toBe('suggestion');
    expect(cli?.content).toContain('"CidrIp":"VPC_CIDR"');
    expect(cli?.content).toContain(`# Placeholder: the CIDR blocks of ${IDS.vpc} are not in the snapshot, because describe-vpcs does not list the VPC, so replace VPC_CIDR with the CIDR blocks of ${IDS.vpc} before you apply this.`);
    expect(cli?.content.indexOf('authorize-security-group-ingress')).toBeLessThan(cli?.content.indexOf('revoke-security-group-ingress') ?? -1);
    expect(cli?.verification).toContain(`the CIDR blocks of ${IDS.vpc} are not in the snapshot`);
    expect(terraformOf(finding)?.content).toMatch(/cidr_ipv4 += "VPC_CIDR"/);
    expect(finding?.recommendation).toContain(`the CIDR blocks of ${IDS.vpc} are not in the snapshot`);
    for (const remediation of finding?.remediations ?? []) {
      expect(remediation.content).not.toMatch(/""|\(\)|\[\]/);
    }
  });

  it('gives a placeholder when the group names no VPC', () => {
    const finding = spareFinding(withSpareGroup(demoCluster(), null));
    const cli = cliOf(finding);
    expect(cli?.safety).toBe('suggestion');
    expect(cli?.content).toContain('"CidrIp":"VPC_CIDR"');
    expect(finding?.recommendation).toContain(`${SPARE_GROUP} names no VPC`);
  });

  it('does not ask to add a rule the group already has', () => {
    const files = withSpareGroup(demoCluster());
    const group = securityGroupsOf(files).find((candidate) => candidate.GroupId === SPARE_GROUP) as { IpPermissions: unknown[] };
    group.IpPermissions.push(permission('tcp', 8080, 8080, { cidr: '10.20.0.0/16' }));
    const cli = cliOf(spareFinding(files))?.content ?? '';
    // AWS rejects a duplicate permission with InvalidPermission.Duplicate and adds none of the call's rules.
    expect(cli).not.toContain('authorize-security-group-ingress');
    expect(cli).toContain(`${SPARE_GROUP} already admits tcp 8080 from 10.20.0.0/16`);
    expect(cli).toContain('revoke-security-group-ingress');
  });
});

describe('sg-ingress-from-internet without the NLB interfaces', () => {
  /** Builds the demo cluster as exported without describe-network-interfaces. */
  function withoutInterfaces(options: { preserveClientIp?: boolean }): Record<string, unknown[]> {
    const files = demoCluster(options);
    delete files['aws/ec2-describe-network-interfaces.json'];
    return files;
  }

  it('names what is missing when preservation is off', () => {
    const [finding] = audit(withoutInterfaces({ preserveClientIp: false }));
    const text = [finding?.recommendation, ...(finding?.evidence.map((item) => item.fact) ?? [])].join('\n');
    expect(text).not.toContain('()');
    expect(finding?.recommendation).toContain(`the private IPs of ${LB_NAME} are not in the snapshot`);
    expect(finding?.recommendation).toContain('describe-network-interfaces');
    expect(finding?.recommendation).not.toContain('Rampart checked');
    for (const remediation of finding?.remediations ?? []) {
      expect(remediation.safety).toBe('suggestion');
      expect(remediation.content).not.toContain('"loadBalancerSourceRanges":[]');
      expect(remediation.content).not.toContain('[]');
    }
    expect(finding?.remediations.some((remediation) => remediation.title.includes("NLB's private IPs"))).toBe(false);
  });

  it('names what is missing when preservation is on', () => {
    const [finding] = audit(withoutInterfaces({ preserveClientIp: true }));
    const text = [finding?.recommendation, ...(finding?.evidence.map((item) => item.fact) ?? [])].join('\n');
    expect(text).not.toContain('()');
    expect(finding?.recommendation).toContain(`the private IPs of ${LB_NAME} are not in the snapshot`);
    expect(finding?.remediations.some((remediation) => remediation.title.includes('client IP preservation off'))).toBe(false);
    expect(finding?.remediations.some((remediation) => remediation.title.includes('loadBalancerSourceRanges'))).toBe(true);
  });

  it('lets the subnets stand in for health check sources', () => {
    const files = withoutInterfaces({ preserveClientIp: true });
    const ranges = (clusterGroupOf(files).IpPermissions[1] as { IpRanges: Array<{ CidrIp: string; Description: string }> }).IpRanges;
    ranges[1] = { CidrIp: '0.0.0.0/0', Description: `kubernetes.io/rule/nlb/health=${LB_NAME}` };
    const health = audit(files).find((finding) => finding.title.startsWith('Health check rule'));
    expect(health?.recommendation).toContain(`the private IPs of ${LB_NAME} are not in the snapshot because describe-network-interfaces does not list its interfaces`);
    expect(health?.recommendation).toContain('so the CIDRs of its subnets (10.20.0.0/24, 10.20.1.0/24) stand in for them');
    const cli = health?.remediations.find((remediation) => remediation.format === 'aws-cli')?.content ?? '';
    expect(cli).toContain('"CidrIp":"10.20.0.0/24"');
    expect(cli).toContain('"CidrIp":"10.20.1.0/24"');
  });
});
