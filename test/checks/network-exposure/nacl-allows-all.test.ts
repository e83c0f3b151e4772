import { describe, expect, it } from 'vitest';
import { naclAllowsAll } from '../../../src/checks/network-exposure/nacl-allows-all.js';
import { runChecks } from '../../../src/checks/run.js';
import { DEFAULT_CONFIG } from '../../../src/config/config.js';
import { loadDocuments } from '../../../src/inventory/load.js';
import { remediate } from '../../../src/remediation/index.js';
import { IDS, demoCluster, naclOf } from '../../fixtures/aws/demo-cluster.js';
import { defaultDenies, naclEntry } from '../../engines/aws/support.js';

function audit(files: Record<string, unknown[]>) {
  const { inventory } = loadDocuments(files);
  return remediate(runChecks([naclAllowsAll], { inventory, config: DEFAULT_CONFIG }).findings, inventory);
}

describe('nacl-allows-all', () => {
  it('reports the allow-all default NACL with a verified proposal', () => {
    const [finding, ...rest] = audit(demoCluster({ preserveClientIp: true }));
    expect(rest).toEqual([]);
    expect(finding?.title).toBe(`Network ACL ${IDS.acl} allows all traffic in and out`);
    expect(finding?.severity).toBe('medium');
    const facts = finding?.evidence.map((item) => item.fact).join('\n') ?? '';
    expect(facts).toMatch(/Proposed per-tier NACLs .* verified: Checked \d+ needed flows .* keep working/);
  });

  it('says which needed flows the usual proposals cut', () => {
    const [finding] = audit(demoCluster({ preserveClientIp: true }));
    const facts = finding?.evidence.map((item) => item.fact).join('\n') ?? '';
    expect(facts).toMatch(/only from 10\.20\.0\.0\/16 would cut \d+ needed flow\(s\) \(load-balancer-client, node-internet-egress\)/);
    expect(facts).toMatch(/only to 10\.20\.0\.10\/32 would cut/);
    expect(finding?.recommendation).toContain('the usual shortcuts break the cluster');
  });

  it('renders the proposal as CLI and Terraform NACL rules', () => {
    const [finding] = audit(demoCluster({ preserveClientIp: true }));
    const formats = finding?.remediations.map((remediation) => remediation.format);
    expect(formats).toEqual(['aws-cli', 'terraform']);
    const terraform = finding?.remediations[1]?.content ?? '';
    expect(terraform).toContain('resource "aws_network_acl_rule" "rampart_private_in_200"');
    expect(terraform).toContain(`from_port      = ${IDS.nodePort}`);
    expect(finding?.remediations[0]?.content).toContain('replace-network-acl-association --association-id aclassoc-03');
    // The proposal narrows egress beyond what Rampart models, so it is offered for review.
    expect(finding?.remediations[0]?.safety).toBe('suggestion');
  });

  it('does not admit client addresses on the nodes without preservation', () => {
    const [finding] = audit(demoCluster({ preserveClientIp: false }));
    expect(finding?.remediations[1]?.content).not.toContain('rampart_private_in_200');
  });

  it('ignores a NACL with a deny in front', () => {
    const files = demoCluster();
    naclOf(files).Entries = [naclEntry(50, false, '6', 'deny', '0.0.0.0/0', [22, 22]), naclEntry(100, false, '-1', 'allow', '0.0.0.0/0'), naclEntry(100, true, '-1', 'allow', '10.20.0.0/16'), ...defaultDenies()];
    expect(audit(files)).toEqual([]);
  });

  it('reports an outbound-only allow-all at low', () => {
    const files = demoCluster();
    naclOf(files).Entries = [naclEntry(100, false, '-1', 'allow', '10.20.0.0/16'), naclEntry(100, true, '-1', 'allow', '0.0.0.0/0'), ...defaultDenies()];
    const [finding] = audit(files);
    expect(finding?.title).toContain('allows all traffic out');
    expect(finding?.severity).toBe('low');
  });
});
