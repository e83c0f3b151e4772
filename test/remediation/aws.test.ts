import { describe, expect, it } from 'vitest';
import type { ReplaceSecurityGroupRulesFix } from '../../src/checks/fixes/aws-network.js';
import { loadDocuments } from '../../src/inventory/load.js';
import { renderAwsFix } from '../../src/remediation/aws.js';
import { IDS, demoCluster } from '../fixtures/aws/demo-cluster.js';

/** Narrows the demo cluster's NodePort client rule to one documentation range, a change that drops nothing on purpose. */
const narrowFix = (): ReplaceSecurityGroupRulesFix => ({
  type: 'aws-network',
  action: 'replace-security-group-rules',
  title: 'Admit the NodePort from 203.0.113.0/24 only',
  rationale: 'Only that range needs it.',
  changes: [
    { kind: 'authorize-security-group-ingress', groupId: IDS.clusterSg, rule: { ipProtocol: 'tcp', fromPort: 8080, toPort: 8080, cidr: '203.0.113.0/24' } },
    { kind: 'revoke-security-group-ingress', groupId: IDS.clusterSg, rule: { ipProtocol: 'tcp', fromPort: 8080, toPort: 8080, cidr: '0.0.0.0/0' } },
  ],
  drops: [],
  groupId: IDS.clusterSg,
  revoke: [{ ipProtocol: 'tcp', fromPort: 8080, toPort: 8080, cidr: '0.0.0.0/0' }],
  authorize: [{ ipProtocol: 'tcp', fromPort: 8080, toPort: 8080, cidr: '203.0.113.0/24' }],
});

describe('renderAwsFix', () => {
  it('offers a checked change as a fix', () => {
    const { inventory } = loadDocuments(demoCluster());
    const [cli] = renderAwsFix(narrowFix(), inventory);
    expect(cli?.safety).toBe('fix');
  });

  it('offers a change as a suggestion when the snapshot has no needed flows', () => {
    const files = demoCluster();
    const { inventory } = loadDocuments({ 'aws/ec2-describe-security-groups.json': files['aws/ec2-describe-security-groups.json'] as unknown[] });
    const [cli] = renderAwsFix(narrowFix(), inventory);
    expect(cli?.safety).toBe('suggestion');
    expect(cli?.verification).toContain('the snapshot shows no flow the cluster needs');
  });

  it('offers a fix with placeholders as a suggestion', () => {
    const { inventory } = loadDocuments(demoCluster());
    const fix = { ...narrowFix(), changes: [], placeholders: ['VPC_CIDR stands for the CIDR blocks of the VPC, so replace it before you apply this'] };
    const [cli, terraform] = renderAwsFix(fix, inventory);
    expect(cli?.safety).toBe('suggestion');
    expect(cli?.verification).toBe('Not verified: VPC_CIDR stands for the CIDR blocks of the VPC, so replace it before you apply this.');
    expect(cli?.content).toContain('# Placeholder: VPC_CIDR stands for');
    expect(terraform?.content).toContain('# Placeholder: VPC_CIDR stands for');
  });

  it('writes no empty peer lists in CLI permissions', () => {
    const { inventory } = loadDocuments(demoCluster());
    const [cli] = renderAwsFix(narrowFix(), inventory);
    expect(cli?.content).toContain(`--ip-permissions '[{"IpProtocol":"tcp","FromPort":8080,"ToPort":8080,"IpRanges":[{"CidrIp":"203.0.113.0/24"}]}]'`);
    expect(cli?.content).not.toContain('[]');
  });
});
