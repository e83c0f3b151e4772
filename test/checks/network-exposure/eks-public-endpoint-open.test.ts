import { describe, expect, it } from 'vitest';
import { eksPublicEndpointOpen } from '../../../src/checks/network-exposure/eks-public-endpoint-open.js';
import { runChecks } from '../../../src/checks/run.js';
import { DEFAULT_CONFIG } from '../../../src/config/config.js';
import { loadDocuments } from '../../../src/inventory/load.js';
import { remediate } from '../../../src/remediation/index.js';
import { demoCluster, documentOf } from '../../fixtures/aws/demo-cluster.js';

function audit(config: Record<string, unknown>) {
  const files = demoCluster();
  const cluster = documentOf<{ cluster: { resourcesVpcConfig: Record<string, unknown> } }>(files, 'aws/eks-describe-cluster.json').cluster;
  cluster.resourcesVpcConfig = { ...cluster.resourcesVpcConfig, ...config };
  const { inventory } = loadDocuments(files);
  return remediate(runChecks([eksPublicEndpointOpen], { inventory, config: DEFAULT_CONFIG }).findings, inventory);
}

describe('eks-public-endpoint-open', () => {
  it('rates a public-only endpoint open to all high and keeps the NAT IPs', () => {
    const [finding] = audit({ endpointPrivateAccess: false });
    expect(finding?.severity).toBe('high');
    expect(finding?.recommendation).toContain('198.51.100.10/32');
    const cli = finding?.remediations.find((remediation) => remediation.format === 'aws-cli');
    expect(cli?.content).toContain("publicAccessCidrs='203.0.113.0/24,198.51.100.10/32'");
    expect(cli?.safety).toBe('suggestion');
  });

  it('rates it medium when the private endpoint is on', () => {
    expect(audit({ endpointPrivateAccess: true })[0]?.severity).toBe('medium');
  });

  it('treats missing publicAccessCidrs as the default 0.0.0.0/0', () => {
    expect(audit({ publicAccessCidrs: [] })).toHaveLength(1);
  });

  it('ignores a restricted or private endpoint', () => {
    expect(audit({ publicAccessCidrs: ['203.0.113.0/24'] })).toEqual([]);
    expect(audit({ endpointPublicAccess: false })).toEqual([]);
  });
});
