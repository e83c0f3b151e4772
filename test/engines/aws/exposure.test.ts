import { describe, expect, it } from 'vitest';
import { computeExposure, describePath, type ExposurePath } from '../../../src/engines/aws/exposure.js';
import { explain, parseTarget } from '../../../src/engines/aws/explain.js';
import { SourceError } from '../../../src/engines/aws/sources.js';
import { IDS, LB_NAME, clusterGroupOf, demoCluster, documentOf, enisOf, naclOf } from '../../fixtures/aws/demo-cluster.js';
import { defaultDenies, inventoryOf, naclEntry, permission } from './support.js';

const toNode = (paths: ExposurePath[], instanceId: string) => paths.filter((path) => path.target.kind === 'Instance' && path.target.id === instanceId);

/** Moves node 1 into public subnet A and gives it a public IP, as a node launched with one would be. */
function publicNode(files: Record<string, unknown[]>): void {
  const eni = enisOf(files).find((candidate) => candidate.NetworkInterfaceId === IDS.node1Eni) as Record<string, unknown>;
  eni.SubnetId = IDS.publicA;
  eni.PrivateIpAddress = '10.20.0.21';
  eni.PrivateIpAddresses = [{ Primary: true, PrivateIpAddress: '10.20.0.21', Association: { PublicIp: '203.0.113.21' } }];
  eni.Association = { PublicIp: '203.0.113.21', IpOwnerId: 'amazon' };
}

describe('internet exposure', () => {
  it('reaches NodePorts through the NLB, not directly', () => {
    const { paths } = computeExposure(inventoryOf(demoCluster({ preserveClientIp: true })));
    const node = toNode(paths, IDS.node1);
    expect(node.map((path) => [path.via, path.protocol, path.port, path.source])).toEqual([['load-balancer', 'tcp', IDS.nodePort, '0.0.0.0/0']]);
    expect(node[0]?.hops.map((hop) => hop.kind)).toContain('load-balancer');
    expect(node[0]?.hops.find((hop) => hop.kind === 'internet-gateway')?.id).toBe(IDS.igw);
    expect(node[0]?.services).toEqual(['ingress-nginx/ingress-nginx-controller']);
    expect(describePath(node[0] as ExposurePath)).toContain(`${LB_NAME} → `);
  });

  it('lists the listener itself as a path', () => {
    const { paths } = computeExposure(inventoryOf(demoCluster()));
    expect(paths.filter((path) => path.target.kind === 'LoadBalancer').map((path) => [path.target.id, path.port])).toEqual([[LB_NAME, 443]]);
  });

  it('reaches a node with a public IP in a public subnet directly', () => {
    const files = demoCluster();
    publicNode(files);
    const direct = toNode(computeExposure(inventoryOf(files)).paths, IDS.node1).filter((path) => path.via === 'direct');
    expect(direct.map((path) => [path.protocol, path.port])).toEqual([
      ['icmp', 'type 3 code 4'],
      ['tcp', IDS.nodePort],
    ]);
  });

  it('does not reach a public IP in a subnet without an internet route', () => {
    const files = demoCluster();
    const eni = enisOf(files).find((candidate) => candidate.NetworkInterfaceId === IDS.node1Eni) as Record<string, unknown>;
    eni.Association = { PublicIp: '203.0.113.21' };
    const direct = toNode(computeExposure(inventoryOf(files)).paths, IDS.node1).filter((path) => path.via === 'direct');
    expect(direct).toEqual([]);
  });

  it('drops paths a NACL denies and keeps the rest', () => {
    const files = demoCluster();
    publicNode(files);
    naclOf(files).Entries.unshift(naclEntry(50, false, '6', 'deny', '198.51.100.0/24', [IDS.nodePort, IDS.nodePort]));
    const tcp = toNode(computeExposure(inventoryOf(files)).paths, IDS.node1).find((path) => path.via === 'direct' && path.protocol === 'tcp');
    expect(tcp?.admitted).toBe('0.0.0.0/0 except 198.51.100.0/24');
  });

  it('drops a TCP path whose replies no NACL entry lets out', () => {
    const files = demoCluster();
    publicNode(files);
    naclOf(files).Entries = [naclEntry(100, false, '-1', 'allow', '0.0.0.0/0'), naclEntry(100, true, '-1', 'allow', '10.20.0.0/16'), ...defaultDenies()];
    const direct = toNode(computeExposure(inventoryOf(files)).paths, IDS.node1).filter((path) => path.via === 'direct');
    // ICMP type 3 code 4 needs no reply; TCP does.
    expect(direct.map((path) => path.protocol)).toEqual(['icmp']);
  });

  it('finds IPv6 paths through an IPv6 default route', () => {
    const files = demoCluster();
    publicNode(files);
    const eni = enisOf(files).find((candidate) => candidate.NetworkInterfaceId === IDS.node1Eni) as Record<string, unknown>;
    eni.Ipv6Addresses = [{ Ipv6Address: '2001:db8:20::21' }];
    clusterGroupOf(files).IpPermissions.push(permission('tcp', 22, 22, { cidr6: '0::/0' }));
    const tables = documentOf<{ RouteTables: Array<{ RouteTableId: string; Routes: unknown[] }> }>(files, 'aws/ec2-describe-route-tables.json').RouteTables;
    tables.find((table) => table.RouteTableId === IDS.publicRtb)?.Routes.push({ DestinationIpv6CidrBlock: '::/0', GatewayId: IDS.igw, State: 'active' });
    naclOf(files).Entries.push(naclEntry(101, false, '-1', 'allow', '::/0'), naclEntry(101, true, '-1', 'allow', '::/0'));
    const ssh = toNode(computeExposure(inventoryOf(files)).paths, IDS.node1).filter((path) => path.port === 22);
    expect(ssh.map((path) => path.source)).toEqual(['::/0']);
  });

  it('marks a path through an unknown prefix list unresolved', () => {
    const files = demoCluster();
    publicNode(files);
    clusterGroupOf(files).IpPermissions.push(permission('tcp', 22, 22, { prefixList: 'pl-0a1b2c3d4e5f60718' }));
    const ssh = toNode(computeExposure(inventoryOf(files)).paths, IDS.node1).filter((path) => path.port === 22);
    expect(ssh.map((path) => path.verdict)).toEqual(['unresolved']);
  });

  it('collapses an all-traffic rule into one path', () => {
    const files = demoCluster();
    publicNode(files);
    clusterGroupOf(files).IpPermissions.push(permission('-1', undefined, undefined, { cidr: '203.0.113.0/24' }));
    const all = toNode(computeExposure(inventoryOf(files)).paths, IDS.node1).filter((path) => path.protocol === 'all');
    expect(all.map((path) => [path.port, path.source])).toEqual([['all', '203.0.113.0/24']]);
  });
});

describe('other sources', () => {
  it('evaluates a security group as the interfaces that carry it', () => {
    const { paths } = computeExposure(inventoryOf(demoCluster()), { from: IDS.clusterSg });
    // The self-referencing rule lets every member reach every other member on everything.
    const toNode2 = toNode(paths, IDS.node2);
    expect(toNode2.some((path) => path.protocol === 'all' && path.source === IDS.clusterSg)).toBe(true);
  });

  it('gives unknown hosts in a subnet no group membership', () => {
    const { paths, notModelled } = computeExposure(inventoryOf(demoCluster()), { from: IDS.publicB });
    const toNode1 = toNode(paths, IDS.node1);
    // The health check rule (VPC CIDR) and the MTU rule (0.0.0.0/0) admit them; the self rule needs the group.
    expect(toNode1.map((path) => [path.protocol, path.port])).toEqual([
      ['icmp', 'type 3 code 4'],
      ['tcp', IDS.nodePort],
    ]);
    expect(notModelled.join(' ')).toContain('carry no security group');
  });

  it('rejects a source that is none of the forms', () => {
    expect(() => computeExposure(inventoryOf(demoCluster()), { from: 'office' })).toThrow(SourceError);
  });
});

describe('explain', () => {
  it('names the internet gateway hop for a node in a private subnet', () => {
    const result = explain(inventoryOf(demoCluster()), { from: '0.0.0.0/0', to: IDS.node1, port: 22 });
    expect(result.verdict).toBe('blocked');
    expect(result.routes).toHaveLength(1);
    expect(result.routes[0]?.blockedAt?.kind).toBe('internet-gateway');
    expect(result.routes[0]?.blockedAt?.detail).toContain('private subnet');
  });

  it('names the security group for a public node without an SSH rule', () => {
    const files = demoCluster();
    publicNode(files);
    const result = explain(inventoryOf(files), { from: '0.0.0.0/0', to: IDS.node1, port: 22 });
    expect(result.routes[0]?.blockedAt?.kind).toBe('security-group');
    expect(result.routes[0]?.blockedAt?.id).toBe(IDS.clusterSg);
  });

  it('names the NACL entry that denies', () => {
    const files = demoCluster();
    publicNode(files);
    clusterGroupOf(files).IpPermissions.push(permission('tcp', 22, 22, { cidr: '0.0.0.0/0' }));
    naclOf(files).Entries.unshift(naclEntry(50, false, '6', 'deny', '0.0.0.0/0', [22, 22]));
    const result = explain(inventoryOf(files), { to: IDS.node1, port: 22 });
    expect(result.routes[0]?.blockedAt?.id).toBe(`${IDS.acl}/ingress/50`);
  });

  it('follows the load balancer to a NodePort', () => {
    const result = explain(inventoryOf(demoCluster()), { to: IDS.node2, port: IDS.nodePort });
    expect(result.verdict).toBe('reachable');
    expect(result.routes.map((route) => [route.via, route.verdict])).toEqual([
      ['direct', 'blocked'],
      [`${LB_NAME} listener TCP 443`, 'reachable'],
    ]);
  });

  it('parses targets with ports', () => {
    expect(parseTarget('i-0abc:22')).toEqual({ to: 'i-0abc', port: 22 });
    expect(parseTarget('[2001:db8::1]:443')).toEqual({ to: '2001:db8::1', port: 443 });
    expect(parseTarget('10.0.0.5')).toEqual({ to: '10.0.0.5' });
  });
});
