import { describe, expect, it } from 'vitest';
import { eksClusterSgTooWide } from '../../../src/checks/network-exposure/eks-cluster-sg-too-wide.js';
import { runChecks } from '../../../src/checks/run.js';
import { DEFAULT_CONFIG } from '../../../src/config/config.js';
import { loadDocuments } from '../../../src/inventory/load.js';
import { remediate } from '../../../src/remediation/index.js';
import { clusterGroupOf, demoCluster } from '../../fixtures/aws/demo-cluster.js';
import { permission } from '../../engines/aws/support.js';

function audit(...rules: Array<Record<string, unknown>>) {
  const files = demoCluster();
  clusterGroupOf(files).IpPermissions.push(...rules);
  const { inventory } = loadDocuments(files);
  return remediate(runChecks([eksClusterSgTooWide], { inventory, config: DEFAULT_CONFIG }).findings, inventory);
}

describe('eks-cluster-sg-too-wide', () => {
  it('passes the EKS defaults and the rules controllers write', () => {
    expect(audit()).toEqual([]);
  });

  it('reports all traffic from a range wider than the VPC', () => {
    const [finding] = audit(permission('-1', undefined, undefined, { cidr: '10.0.0.0/8' }));
    expect(finding?.severity).toBe('medium');
    expect(finding?.title).toContain('admits all traffic from 10.0.0.0/8');
  });

  it('reports all traffic from another group at low', () => {
    const [finding] = audit(permission('-1', undefined, undefined, { group: 'sg-0c0c0c0c0c0c0c0c9' }));
    expect(finding?.severity).toBe('low');
  });

  it('ignores one port from inside the VPC and internet rules', () => {
    expect(audit(permission('tcp', 443, 443, { cidr: '10.20.0.0/16' }), permission('tcp', 8080, 8080, { cidr: '0.0.0.0/0' }))).toEqual([]);
  });

  it('verifies removal against the needed flows', () => {
    const [finding] = audit(permission('tcp', 0, 65535, { cidr: '172.16.0.0/12' }));
    const cli = finding?.remediations.find((remediation) => remediation.format === 'aws-cli');
    expect(cli?.verification).toContain('keep working');
    expect(cli?.content).toContain('revoke-security-group-ingress');
  });
});
