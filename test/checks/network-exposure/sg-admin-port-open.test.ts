import { describe, expect, it } from 'vitest';
import { sgAdminPortOpen } from '../../../src/checks/network-exposure/sg-admin-port-open.js';
import { runChecks } from '../../../src/checks/run.js';
import { DEFAULT_CONFIG } from '../../../src/config/config.js';
import { loadDocuments } from '../../../src/inventory/load.js';
import { remediate } from '../../../src/remediation/index.js';
import { IDS, clusterGroupOf, demoCluster, enisOf, securityGroupsOf } from '../../fixtures/aws/demo-cluster.js';
import { permission } from '../../engines/aws/support.js';

function audit(files: Record<string, unknown[]>) {
  const { inventory } = loadDocuments(files);
  return remediate(runChecks([sgAdminPortOpen], { inventory, config: DEFAULT_CONFIG }).findings, inventory);
}

function withRule(rule: Record<string, unknown>, publicNode = false): Record<string, unknown[]> {
  const files = demoCluster();
  clusterGroupOf(files).IpPermissions.push(rule);
  if (publicNode) {
    const eni = enisOf(files).find((candidate) => candidate.NetworkInterfaceId === IDS.node1Eni) as Record<string, unknown>;
    eni.SubnetId = IDS.publicA;
    eni.Association = { PublicIp: '203.0.113.21' };
  }
  return files;
}

describe('sg-admin-port-open', () => {
  it('rates SSH the internet reaches directly critical', () => {
    const [finding] = audit(withRule(permission('tcp', 22, 22, { cidr: '0.0.0.0/0' }), true));
    expect(finding?.severity).toBe('critical');
    expect(finding?.title).toContain('SSH 22 open to the internet');
    expect(finding?.paths?.map((path) => path.target.id)).toEqual([IDS.node1]);
  });

  it('rates the same rule on private nodes medium', () => {
    const [finding] = audit(withRule(permission('tcp', 22, 22, { cidr: '0.0.0.0/0' })));
    expect(finding?.severity).toBe('medium');
    expect(finding?.problem).toContain('latent exposure');
  });

  it('finds the ports inside an all-traffic rule', () => {
    const [finding] = audit(withRule(permission('-1', undefined, undefined, { cidr: '0.0.0.0/0' }), true));
    expect(finding?.title).toContain('PostgreSQL 5432');
    expect(finding?.title).toContain('kubelet 10250');
  });

  it('reports IPv6 and wide public ranges', () => {
    expect(audit(withRule(permission('tcp', 3389, 3389, { cidr6: '::/0' })))[0]?.title).toContain('RDP 3389 open to the internet');
    expect(audit(withRule(permission('tcp', 6379, 6379, { cidr: '198.51.0.0/16' })))[0]?.title).toContain('Redis 6379 open to 198.51.0.0/16');
  });

  it('reports a private range wider than the VPC', () => {
    const [finding] = audit(withRule(permission('tcp', 27017, 27017, { cidr: '10.0.0.0/8' })));
    expect(finding?.severity).toBe('low');
    expect(finding?.problem).toContain('wider than the VPC');
  });

  it('ignores narrow sources and non-administrative ports', () => {
    expect(audit(withRule(permission('tcp', 22, 22, { cidr: '203.0.113.7/32' })))).toEqual([]);
    expect(audit(withRule(permission('tcp', 5432, 5432, { cidr: '10.20.0.0/16' })))).toEqual([]);
    expect(audit(withRule(permission('tcp', 8080, 8080, { cidr: '0.0.0.0/0' })))).toEqual([]);
    expect(audit(withRule(permission('47', undefined, undefined, { cidr: '0.0.0.0/0' })))).toEqual([]);
  });

  it('proposes the VPC CIDR and says what that drops', () => {
    const [finding] = audit(withRule(permission('tcp', 22, 22, { cidr: '0.0.0.0/0' }), true));
    const cli = finding?.remediations.find((remediation) => remediation.format === 'aws-cli');
    expect(cli?.safety).toBe('suggestion');
    expect(cli?.content).toContain('"CidrIp":"10.20.0.0/16"');
    expect(cli?.verification).toContain('Drops on purpose');
  });

  it('adds the VPC rule before it revokes the old one', () => {
    const [finding] = audit(withRule(permission('tcp', 22, 22, { cidr: '0.0.0.0/0' })));
    const cli = finding?.remediations.find((remediation) => remediation.format === 'aws-cli')?.content ?? '';
    const authorize = cli.indexOf(`aws ec2 authorize-security-group-ingress --group-id ${IDS.clusterSg}`);
    expect(authorize).toBeGreaterThan(-1);
    expect(cli.indexOf(`aws ec2 revoke-security-group-ingress --group-id ${IDS.clusterSg}`)).toBeGreaterThan(authorize);
  });
});

describe('sg-admin-port-open on a group without members', () => {
  const SPARE_GROUP = 'sg-0e0e0e0e0e0e0e0e9';

  /** Adds a security group in the demo VPC that no interface carries, open to the internet on SSH. */
  function withSpareGroup(): Record<string, unknown[]> {
    const files = demoCluster();
    securityGroupsOf(files).push({
      Description: 'bastion',
      GroupName: 'bastion',
      GroupId: SPARE_GROUP,
      IpPermissions: [permission('tcp', 22, 22, { cidr: '0.0.0.0/0' })],
      IpPermissionsEgress: [],
      OwnerId: IDS.account,
      VpcId: IDS.vpc,
    });
    return files;
  }

  it('says the group is attached to nothing', () => {
    const [finding] = audit(withSpareGroup());
    expect(finding?.problem).toContain('attached to nothing in the snapshot');
    expect(finding?.problem).not.toContain('no public path');
    const fact = finding?.evidence.find((item) => item.fact.startsWith('No network interface'));
    expect(fact?.fact).toBe(`No network interface in the snapshot carries ${SPARE_GROUP}.`);
    expect(fact?.source?.file).toBe('aws/ec2-describe-security-groups.json');
    expect(finding?.evidence.some((item) => item.fact.includes('None of the 0'))).toBe(false);
  });

  it('takes the CIDR from the group’s VPC', () => {
    const [finding] = audit(withSpareGroup());
    const cli = finding?.remediations.find((remediation) => remediation.format === 'aws-cli');
    expect(cli?.content).toContain('"CidrIp":"10.20.0.0/16"');
    expect(cli?.content.indexOf('authorize-security-group-ingress')).toBeLessThan(cli?.content.indexOf('revoke-security-group-ingress') ?? -1);
  });

  it('gives a placeholder when the VPC is not in the snapshot', () => {
    const files = withSpareGroup();
    delete files['aws/ec2-describe-vpcs.json'];
    const [finding] = audit(files);
    const cli = finding?.remediations.find((remediation) => remediation.format === 'aws-cli');
    expect(cli?.safety).toBe('suggestion');
    expect(cli?.content).toContain('"CidrIp":"VPC_CIDR"');
    expect(cli?.verification).toContain(`the CIDR blocks of ${IDS.vpc} are not in the snapshot`);
    expect(finding?.remediations.find((remediation) => remediation.format === 'terraform')?.content).toMatch(/cidr_ipv4 += "VPC_CIDR"/);
  });
});
