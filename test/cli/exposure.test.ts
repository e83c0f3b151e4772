import { describe, expect, it } from 'vitest';
import { IDS, LB_NAME, demoCluster } from '../fixtures/aws/demo-cluster.js';
import { runCli } from '../support/cli.js';
import { writeSnapshot } from '../support/tmp.js';

/** Writes the demo cluster as a snapshot folder, one JSON file per document. */
async function demoSnapshot(): Promise<string> {
  const files: Record<string, object> = {};
  for (const [file, documents] of Object.entries(demoCluster({ preserveClientIp: true }))) files[file] = documents[0] as object;
  return writeSnapshot(files);
}

interface JsonPaths {
  paths: Array<{ source: string; protocol: string; port: number | string; target: { kind: string; id: string }; hops: Array<{ kind: string; id: string; decision: string }> }>;
  notModelled: string[];
}

describe('rampart exposure', () => {
  it('prints every internet path as JSON', async () => {
    const result = await runCli('exposure', await demoSnapshot(), '-o', 'json');
    expect(result.code).toBe(0);
    const output = JSON.parse(result.stdout) as JsonPaths;
    expect(output.paths.map((path) => [path.target.kind, path.target.id, path.protocol, path.port])).toEqual([
      ['Instance', IDS.node1, 'tcp', IDS.nodePort],
      ['Instance', IDS.node2, 'tcp', IDS.nodePort],
      ['LoadBalancer', LB_NAME, 'tcp', 443],
    ]);
    const hops = output.paths[0]?.hops ?? [];
    expect(hops.map((hop) => hop.kind)).toEqual(expect.arrayContaining(['internet-gateway', 'load-balancer', 'nacl-rule', 'security-group-rule']));
    expect(hops.every((hop) => typeof hop.id === 'string' && typeof hop.decision === 'string')).toBe(true);
  });

  it('prints paths from a security group as text', async () => {
    const result = await runCli('exposure', await demoSnapshot(), '--from', IDS.clusterSg);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^\\d+ path\\(s\\) from ${IDS.clusterSg}:`));
    expect(result.stdout).toContain(`all all on Instance ${IDS.node2}`);
  });

  it('filters paths with --to', async () => {
    const result = await runCli('exposure', await demoSnapshot(), '--to', `${IDS.node2}:${IDS.nodePort}`, '-o', 'json');
    const output = JSON.parse(result.stdout) as JsonPaths;
    expect(output.paths.map((path) => path.target.id)).toEqual([IDS.node2]);
  });

  it('explains the hop that blocks SSH', async () => {
    const result = await runCli('exposure', await demoSnapshot(), '--to', `${IDS.node1}:22`, '--from', '0.0.0.0/0', '--explain');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`tcp 22 on Instance ${IDS.node1} from 0.0.0.0/0: blocked`);
    expect(result.stdout).toContain('blocked at internet-gateway');
    expect(result.stdout).toContain('<- blocks');
  });

  it('explains as JSON', async () => {
    const result = await runCli('exposure', await demoSnapshot(), '--to', `${IDS.node1}:22`, '--explain', '-o', 'json');
    const output = JSON.parse(result.stdout) as { verdict: string; routes: Array<{ blockedAt?: { kind: string } }> };
    expect(output.verdict).toBe('blocked');
    expect(output.routes[0]?.blockedAt?.kind).toBe('internet-gateway');
  });

  it('exits 2 for --explain without --to', async () => {
    const result = await runCli('exposure', await demoSnapshot(), '--explain');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--explain needs --to');
  });

  it('exits 2 for a source it cannot read', async () => {
    const result = await runCli('exposure', await demoSnapshot(), '--from', 'office');
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('rampart: error: --from office is not a CIDR, a security group ID (sg-…), a subnet ID (subnet-…) or "internet"\n');
  });

  it('exits 2 for an unknown target', async () => {
    const result = await runCli('exposure', await demoSnapshot(), '--to', 'i-0000000000000000f:22', '--explain');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('no instance, network interface, IP address or load balancer');
  });
});
