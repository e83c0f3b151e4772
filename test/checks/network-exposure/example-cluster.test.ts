import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';
import { EXAMPLE } from '../../support/corpora.js';

// The bundled example: an in-tree NLB in front of ingress-nginx NodePorts that its client rules open
// to 0.0.0.0/0 in the EKS cluster security group, and an allow-all default NACL.

interface JsonFinding {
  checkId: string;
  title: string;
  recommendation: string;
  resources: Array<{ kind: string; namespace?: string; name?: string }>;
  evidence: Array<{ fact: string }>;
  paths?: Array<{ port: number | string; target: { kind: string }; hops: Array<{ kind: string }> }>;
  remediations: Array<{ format: string; safety?: string; content: string }>;
}

/** Reads the example's client IP preservation setting from its target group attribute files. */
function preservationOn(): boolean {
  const folder = path.join(EXAMPLE, 'aws/eu-west-2');
  const files = readdirSync(folder).filter((file) => file.startsWith('elbv2-describe-target-group-attributes.'));
  return files.some((file) => (JSON.parse(readFileSync(path.join(folder, file), 'utf8')) as { Attributes: Array<{ Key: string; Value: string }> }).Attributes.some((attribute) => attribute.Key === 'preserve_client_ip.enabled' && attribute.Value === 'true'));
}

describe.skipIf(!existsSync(EXAMPLE))('example cluster network exposure', () => {
  it('reports the NodePorts through the NLB with the right advice', async () => {
    const { stdout } = await runCli('audit', EXAMPLE, '-o', 'json');
    const findings = (JSON.parse(stdout) as { findings: JsonFinding[] }).findings;
    const nodePorts = findings.find((finding) => finding.checkId === 'sg-ingress-from-internet' && finding.resources.some((resource) => resource.kind === 'Service' && resource.name === 'ingress-nginx-controller'));
    expect(nodePorts).toBeDefined();
    expect([...new Set(nodePorts?.paths?.map((exposure) => exposure.port))].sort()).toEqual([31139, 32623]);
    for (const exposure of nodePorts?.paths ?? []) {
      const kinds = exposure.hops.map((hop) => hop.kind);
      expect(exposure.target.kind).toBe('Instance');
      expect(kinds.indexOf('internet-gateway')).toBeLessThan(kinds.indexOf('load-balancer'));
      expect(kinds.lastIndexOf('security-group-rule')).toBeGreaterThan(kinds.indexOf('load-balancer'));
    }
    if (preservationOn()) expect(nodePorts?.recommendation).toContain('Do not restrict the rule to the NLB');
    else expect(nodePorts?.recommendation).toContain("Replace 0.0.0.0/0 with the NLB's private IPs");
  });

  it('reports the allow-all NACL with a verified proposal', async () => {
    const { stdout } = await runCli('audit', EXAMPLE, '-o', 'json');
    const nacl = (JSON.parse(stdout) as { findings: JsonFinding[] }).findings.find((finding) => finding.checkId === 'nacl-allows-all');
    expect(nacl?.evidence.some((item) => /verified: Checked \d+ needed flows against the change \(\d+ pass through what it edits\): all \d+ that work today keep working/.test(item.fact))).toBe(true);
    expect(nacl?.remediations.find((remediation) => remediation.format === 'terraform')?.content).toContain('resource "aws_network_acl_rule"');
  });

  it('shows the path in Markdown', async () => {
    const { stdout } = await runCli('audit', EXAMPLE, '-o', 'markdown');
    expect(stdout).toMatch(/## \d+\. NodePorts of ingress-nginx\/ingress-nginx-controller open to the internet/);
    expect(stdout).toMatch(/Path through \S+: 0\.0\.0\.0\/0 → igw-\S+ → .* → Instance i-\S+ tcp 31139/);
    expect(stdout).toMatch(/## \d+\. Network ACL acl-\S+ allows all traffic in and out/);
  });
});
