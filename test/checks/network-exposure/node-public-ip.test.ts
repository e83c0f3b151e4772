import { describe, expect, it } from 'vitest';
import { nodePublicIp } from '../../../src/checks/network-exposure/node-public-ip.js';
import { runChecks } from '../../../src/checks/run.js';
import { DEFAULT_CONFIG } from '../../../src/config/config.js';
import { loadDocuments } from '../../../src/inventory/load.js';
import { remediate } from '../../../src/remediation/index.js';
import { IDS, demoCluster, enisOf } from '../../fixtures/aws/demo-cluster.js';

function audit(files: Record<string, unknown[]>) {
  const { inventory } = loadDocuments(files);
  return remediate(runChecks([nodePublicIp], { inventory, config: DEFAULT_CONFIG }).findings, inventory);
}

function withPublicIp(subnetId: string): Record<string, unknown[]> {
  const files = demoCluster();
  const eni = enisOf(files).find((candidate) => candidate.NetworkInterfaceId === IDS.node1Eni) as Record<string, unknown>;
  eni.SubnetId = subnetId;
  eni.Association = { PublicIp: '203.0.113.21' };
  return files;
}

describe('node-public-ip', () => {
  it('passes nodes without public IPs', () => {
    expect(audit(demoCluster())).toEqual([]);
  });

  it('rates a reachable public node high with its ports', () => {
    const [finding] = audit(withPublicIp(IDS.publicA));
    expect(finding?.severity).toBe('high');
    expect(finding?.problem).toContain(`tcp ${IDS.nodePort}`);
    expect(finding?.remediations.find((remediation) => remediation.format === 'aws-cli')?.content).toContain(`--subnet-id ${IDS.publicA} --no-map-public-ip-on-launch`);
  });

  it('rates a public IP in a subnet without an internet route low', () => {
    const [finding] = audit(withPublicIp(IDS.privateA));
    expect(finding?.severity).toBe('low');
    expect(finding?.problem).toContain('no internet gateway route');
  });
});
