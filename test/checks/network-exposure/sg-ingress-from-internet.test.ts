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
});
