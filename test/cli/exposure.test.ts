import { describe, expect, it } from 'vitest';
import { IDS, LB_NAME, clusterGroupOf, demoCluster, enisOf } from '../fixtures/aws/demo-cluster.js';
import { permission } from '../engines/aws/support.js';
import { runCli } from '../support/cli.js';
import { writeSnapshot } from '../support/tmp.js';

/** Writes the demo cluster, edited by `edit`, as a snapshot folder with one JSON file per document. */
async function demoSnapshot(edit?: (files: Record<string, unknown[]>) => void): Promise<string> {
  const cluster = demoCluster({ preserveClientIp: true });
  edit?.(cluster);
  const files: Record<string, object> = {};
  for (const [file, documents] of Object.entries(cluster)) files[file] = documents[0] as object;
  return writeSnapshot(files);
}

/** Node 1 in public subnet A with a public IP, and its group open to the internet on UDP at the NodePort. */
function publicNodeWithUdp(files: Record<string, unknown[]>): void {
  const eni = enisOf(files).find((candidate) => candidate.NetworkInterfaceId === IDS.node1Eni) as Record<string, unknown>;
  eni.SubnetId = IDS.publicA;
  eni.Association = { PublicIp: '203.0.113.21', IpOwnerId: 'amazon' };
  clusterGroupOf(files).IpPermissions.push(permission('udp', IDS.nodePort, IDS.nodePort, { cidr: '0.0.0.0/0' }));
}

interface JsonPaths {
  paths: Array<{ source: string; protocol: string; port: number | string; target: { kind: string; id: string }; hops: Array<{ kind: string; id: string; decision: string }> }>;
  notModelled: string[];
}

const pathsOf = (stdout: string) => (JSON.parse(stdout) as JsonPaths).paths.map((path) => [path.target.id, path.protocol, path.port]);

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

describe('rampart exposure --to without --explain', () => {
  it('filters paths to the target and port', async () => {
    const result = await runCli('exposure', await demoSnapshot(), '--to', `${IDS.node2}:${IDS.nodePort}`, '-o', 'json');
    expect(pathsOf(result.stdout)).toEqual([[IDS.node2, 'tcp', IDS.nodePort]]);
  });

  it('drops TCP paths for --protocol udp', async () => {
    const result = await runCli('exposure', await demoSnapshot(), '--to', `${IDS.node2}:${IDS.nodePort}`, '--protocol', 'udp', '-o', 'json');
    expect(result.code).toBe(0);
    expect(pathsOf(result.stdout)).toEqual([]);
  });

  it('says which query found no path', async () => {
    const result = await runCli('exposure', await demoSnapshot(), '--to', `${IDS.node2}:${IDS.nodePort}`, '--protocol', 'udp');
    expect(result.code).toBe(0);
    expect(result.stdout).toBe(`No path from the internet reaches udp ${IDS.nodePort} on ${IDS.node2}.\n`);
  });

  it('keeps only the requested protocol', async () => {
    const snapshot = await demoSnapshot(publicNodeWithUdp);
    const udp = await runCli('exposure', snapshot, '--to', `${IDS.node1}:${IDS.nodePort}`, '--protocol', 'udp', '-o', 'json');
    expect(pathsOf(udp.stdout)).toEqual([[IDS.node1, 'udp', IDS.nodePort]]);
    // IANA protocol number 17 is UDP.
    const seventeen = await runCli('exposure', snapshot, '--to', `${IDS.node1}:${IDS.nodePort}`, '--protocol', '17', '-o', 'json');
    expect(pathsOf(seventeen.stdout)).toEqual([[IDS.node1, 'udp', IDS.nodePort]]);
    const tcp = await runCli('exposure', snapshot, '--to', `${IDS.node1}:${IDS.nodePort}`, '--protocol', 'TCP', '-o', 'json');
    expect([...new Set(pathsOf(tcp.stdout).map((path) => path[1]))]).toEqual(['tcp']);
  });

  it('keeps every protocol without --protocol or with all', async () => {
    const snapshot = await demoSnapshot(publicNodeWithUdp);
    for (const extra of [[], ['--protocol', 'all'], ['--protocol', '-1']]) {
      const result = await runCli('exposure', snapshot, '--to', `${IDS.node1}:${IDS.nodePort}`, ...extra, '-o', 'json');
      expect(result.code).toBe(0);
      expect([...new Set(pathsOf(result.stdout).map((path) => path[1]))].sort()).toEqual(['tcp', 'udp']);
    }
  });

  it('filters by protocol without a port', async () => {
    const snapshot = await demoSnapshot(publicNodeWithUdp);
    const result = await runCli('exposure', snapshot, '--to', IDS.node1, '--protocol', 'icmp', '-o', 'json');
    // The in-tree provider's MTU rule: ICMP type 3 code 4 from 0.0.0.0/0.
    expect(pathsOf(result.stdout)).toEqual([[IDS.node1, 'icmp', 'type 3 code 4']]);
  });

  it('finds the target by IP address', async () => {
    const result = await runCli('exposure', await demoSnapshot(), '--to', `10.20.11.12:${IDS.nodePort}`, '-o', 'json');
    expect(pathsOf(result.stdout)).toEqual([[IDS.node2, 'tcp', IDS.nodePort]]);
  });

  it('takes a load balancer address as the load balancer', async () => {
    const result = await runCli('exposure', await demoSnapshot(), '--to', '203.0.113.57:443', '-o', 'json');
    expect(pathsOf(result.stdout)).toContainEqual([LB_NAME, 'tcp', 443]);
  });

  it('matches a load balancer on its listener port', async () => {
    const listener = await runCli('exposure', await demoSnapshot(), '--to', `${LB_NAME}:443`, '-o', 'json');
    expect(pathsOf(listener.stdout)).toEqual([
      [IDS.node1, 'tcp', IDS.nodePort],
      [IDS.node2, 'tcp', IDS.nodePort],
      [LB_NAME, 'tcp', 443],
    ]);
    const other = await runCli('exposure', await demoSnapshot(), '--to', `${LB_NAME}:80`, '-o', 'json');
    expect(pathsOf(other.stdout)).toEqual([]);
  });

  it('exits 2 for an unknown target', async () => {
    const result = await runCli('exposure', await demoSnapshot(), '--to', 'i-0000000000000000f:22');
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    expect(result.stderr).toBe('rampart: error: --to i-0000000000000000f: no instance, network interface, IP address or load balancer of that name in the snapshot\n');
  });
});

describe('rampart exposure option checks', () => {
  const ports = ['abc', '0', '-5', '99999', '', '22.5'];

  for (const explainFlag of [[], ['--explain']]) {
    const mode = explainFlag.length > 0 ? 'with --explain' : 'without --explain';

    it.each(ports)(`rejects port "%s" ${mode}`, async (port) => {
      const result = await runCli('exposure', await demoSnapshot(), '--to', `${IDS.node1}:${port}`, ...explainFlag);
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toBe(`rampart: error: --to ${IDS.node1}:${port}: the port "${port}" is not an integer from 1 to 65535; expected TARGET[:PORT], for example ${IDS.node1}:22\n`);
    });

    it.each(['foo', '256', 'tcp6', ''])(`rejects protocol "%s" ${mode}`, async (protocol) => {
      const result = await runCli('exposure', await demoSnapshot(), '--to', `${IDS.node1}:22`, '--protocol', protocol, ...explainFlag);
      expect(result.code).toBe(2);
      expect(result.stdout).toBe('');
      expect(result.stderr).toBe(`rampart: error: --protocol "${protocol}" is not valid; expected tcp, udp, icmp, icmpv6, all (or -1) or an IP protocol number from 0 to 255\n`);
    });

    it(`rejects a port for ICMP ${mode}`, async () => {
      const result = await runCli('exposure', await demoSnapshot(), '--to', `${IDS.node1}:8`, '--protocol', 'icmp', ...explainFlag);
      expect(result.code).toBe(2);
      expect(result.stderr).toBe(`rampart: error: --to ${IDS.node1}:8: icmp has no ports; leave the port out, or use --protocol tcp or udp\n`);
    });
  }

  it('accepts the edges of the port range', async () => {
    for (const port of ['1', '65535']) {
      const result = await runCli('exposure', await demoSnapshot(), '--to', `${IDS.node1}:${port}`, '--explain');
      expect(result.code).toBe(0);
      expect(result.stdout).toContain(`tcp ${port} on Instance ${IDS.node1}`);
    }
  });

  it('rejects --protocol all with --explain', async () => {
    const result = await runCli('exposure', await demoSnapshot(), '--to', `${IDS.node1}:22`, '--protocol', 'all', '--explain');
    expect(result.code).toBe(2);
    expect(result.stderr).toBe('rampart: error: --explain evaluates one protocol: give tcp, udp, icmp, icmpv6 or an IP protocol number from 0 to 255, not all\n');
  });
});

describe('rampart exposure --explain', () => {
  it('names the route table that blocks SSH', async () => {
    const result = await runCli('exposure', await demoSnapshot(), '--to', `${IDS.node1}:22`, '--from', '0.0.0.0/0', '--explain');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`tcp 22 on Instance ${IDS.node1} from 0.0.0.0/0: blocked`);
    expect(result.stdout).toContain(`blocked at route-table ${IDS.privateRtb}: ${IDS.privateA} has no route to an internet gateway`);
    expect(result.stdout).not.toContain('internet-gateway rtb-');
    expect(result.stdout).toContain('<- blocks');
  });

  it('explains as JSON', async () => {
    const result = await runCli('exposure', await demoSnapshot(), '--to', `${IDS.node1}:22`, '--explain', '-o', 'json');
    const output = JSON.parse(result.stdout) as { verdict: string; routes: Array<{ blockedAt?: { kind: string; id: string } }> };
    expect(output.verdict).toBe('blocked');
    expect(output.routes[0]?.blockedAt).toMatchObject({ kind: 'route-table', id: IDS.privateRtb });
  });

  it('suggests a port after the target alone', async () => {
    const result = await runCli('exposure', await demoSnapshot(), '--to', IDS.node1, '--explain');
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(`rampart: error: --to ${IDS.node1} needs a port for tcp, for example ${IDS.node1}:22\n`);
  });

  it('suggests a port without repeating a bad one', async () => {
    const result = await runCli('exposure', await demoSnapshot(), '--to', `${IDS.node1}:abc`, '--explain');
    expect(result.code).toBe(2);
    expect(result.stderr).not.toContain(':abc:22');
    expect(result.stderr).toContain(`for example ${IDS.node1}:22`);
  });

  it('brackets an IPv6 address in the suggestion', async () => {
    const result = await runCli('exposure', await demoSnapshot(), '--to', '[2001:db8::1]', '--explain');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('for example [2001:db8::1]:22');
  });
});
