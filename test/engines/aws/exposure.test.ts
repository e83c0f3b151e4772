import { describe, expect, it } from 'vitest';
import { computeExposure, describePath, type ExposurePath } from '../../../src/engines/aws/exposure.js';
import { explain, parseProtocolOption, parseTarget, selectPaths } from '../../../src/engines/aws/explain.js';
import { SourceError } from '../../../src/engines/aws/sources.js';
import { IDS, LB_ARN, LB_NAME, clusterGroupOf, demoCluster, documentOf, enisOf, naclOf } from '../../fixtures/aws/demo-cluster.js';
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

function demoClusterWithPublicNode(): Record<string, unknown[]> {
  const files = demoCluster();
  publicNode(files);
  return files;
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

describe('path selection', () => {
  it('keeps protocols a NACL names apart from other', () => {
    const files = demoCluster();
    publicNode(files);
    clusterGroupOf(files).IpPermissions.push(permission('-1', undefined, undefined, { cidr: '203.0.113.0/24' }));
    // The NACL denies GRE (47) from everyone, so GRE must not be reported as open through "other".
    naclOf(files).Entries.unshift(naclEntry(40, false, '47', 'deny', '0.0.0.0/0'));
    const inventory = inventoryOf(files);
    const paths = toNode(computeExposure(inventory).paths, IDS.node1).filter((path) => path.via === 'direct');
    expect(paths.map((path) => path.protocol)).not.toContain('all');
    expect(paths.find((path) => path.protocol === 'other')?.otherExcept).toEqual([47]);
    const to = { to: IDS.node1 };
    expect(selectPaths(inventory, paths, { to, protocol: 47 })).toEqual([]);
    expect(selectPaths(inventory, paths, { to, protocol: 50 }).map((path) => path.protocol)).toEqual(['other']);
    expect(selectPaths(inventory, paths, { to, protocol: 17 }).map((path) => path.protocol)).toEqual(['udp']);
  });

  it('matches an all-protocol path for every protocol and port', () => {
    const files = demoCluster();
    publicNode(files);
    clusterGroupOf(files).IpPermissions.push(permission('-1', undefined, undefined, { cidr: '203.0.113.0/24' }));
    const inventory = inventoryOf(files);
    const paths = toNode(computeExposure(inventory).paths, IDS.node1);
    for (const protocol of [6, 17, 1, 47]) {
      expect(selectPaths(inventory, paths, { to: { to: IDS.node1 }, protocol }).some((path) => path.protocol === 'all'), String(protocol)).toBe(true);
    }
    expect(selectPaths(inventory, paths, { to: { to: IDS.node1, port: 8080 }, protocol: 6 }).map((path) => path.protocol)).toEqual(['all']);
  });

  it('rejects an unknown target and a port for ICMP', () => {
    const inventory = inventoryOf(demoCluster());
    expect(() => selectPaths(inventory, [], { to: { to: 'i-0000000000000000f' } })).toThrow(SourceError);
    expect(() => selectPaths(inventory, [], { to: { to: IDS.node1, port: 8 }, protocol: 1 })).toThrow('icmp has no ports');
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
  it('names the route table for a node in a private subnet', () => {
    const result = explain(inventoryOf(demoCluster()), { from: '0.0.0.0/0', to: IDS.node1, port: 22 });
    expect(result.verdict).toBe('blocked');
    expect(result.routes).toHaveLength(1);
    expect(result.routes[0]?.blockedAt).toMatchObject({ kind: 'route-table', id: IDS.privateRtb, decision: 'deny' });
    expect(result.routes[0]?.blockedAt?.detail).toContain('private subnet');
    expect(result.routes[0]?.blockedAt?.source?.file).toBe('aws/ec2-describe-route-tables.json');
  });

  it('names the internet gateway for a public subnet node without a public IP', () => {
    const files = demoCluster();
    const eni = enisOf(files).find((candidate) => candidate.NetworkInterfaceId === IDS.node1Eni) as Record<string, unknown>;
    eni.SubnetId = IDS.publicA;
    const result = explain(inventoryOf(files), { to: IDS.node1, port: IDS.nodePort });
    const direct = result.routes.find((route) => route.via === 'direct');
    expect(direct?.blockedAt).toMatchObject({ kind: 'internet-gateway', id: IDS.igw, decision: 'deny' });
    expect(direct?.blockedAt?.detail).toContain('has no public IP');
  });

  it('allows at the internet gateway for a public node', () => {
    const files = demoCluster();
    publicNode(files);
    const result = explain(inventoryOf(files), { to: IDS.node1, port: IDS.nodePort });
    const direct = result.routes.find((route) => route.via === 'direct');
    expect(direct?.hops[0]).toMatchObject({ kind: 'internet-gateway', id: IDS.igw, decision: 'allow' });
  });

  it('names the route table when no route covers the client', () => {
    const files = demoCluster();
    publicNode(files);
    // Only 192.0.2.0/24 is routed to the internet gateway, so replies to every other client have no way out.
    const tables = documentOf<{ RouteTables: Array<{ RouteTableId: string; Routes: Array<Record<string, unknown>> }> }>(files, 'aws/ec2-describe-route-tables.json').RouteTables;
    const publicTable = tables.find((table) => table.RouteTableId === IDS.publicRtb) as { Routes: Array<Record<string, unknown>> };
    publicTable.Routes = [publicTable.Routes[0] as Record<string, unknown>, { DestinationCidrBlock: '192.0.2.0/24', GatewayId: IDS.igw, State: 'active' }];
    const result = explain(inventoryOf(files), { from: '198.51.100.0/24', to: IDS.node1, port: IDS.nodePort });
    const direct = result.routes.find((route) => route.via === 'direct');
    expect(direct?.blockedAt).toMatchObject({ kind: 'route-table', id: IDS.publicRtb, decision: 'deny' });
  });

  it('marks the route table unknown without describe-route-tables', () => {
    const files = demoCluster();
    delete files['aws/ec2-describe-route-tables.json'];
    const result = explain(inventoryOf(files), { to: IDS.node1, port: 22 });
    const hop = result.routes[0]?.hops[0];
    expect(hop).toMatchObject({ kind: 'route-table', decision: 'not-evaluated' });
    expect(hop?.detail).toContain(`no route table for ${IDS.privateA} in the snapshot`);
    expect(result.verdict).not.toBe('reachable');
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
    expect(parseTarget('[2001:db8::1]')).toEqual({ to: '2001:db8::1' });
    expect(parseTarget('2001:db8::1')).toEqual({ to: '2001:db8::1' });
    expect(parseTarget('10.0.0.5')).toEqual({ to: '10.0.0.5' });
    expect(parseTarget('10.0.0.5:65535')).toEqual({ to: '10.0.0.5', port: 65535 });
    expect(parseTarget(LB_ARN)).toEqual({ to: LB_ARN });
    expect(parseTarget(`${LB_ARN}:443`)).toEqual({ to: LB_ARN, port: 443 });
  });

  it('rejects ports outside 1-65535 and empty targets', () => {
    for (const text of ['i-0abc:abc', 'i-0abc:0', 'i-0abc:-5', 'i-0abc:99999', 'i-0abc:', '[2001:db8::1]:x', `${LB_ARN}:http`]) {
      expect(() => parseTarget(text), text).toThrow(SourceError);
    }
    expect(() => parseTarget(':22')).toThrow('names no target');
    expect(() => parseTarget('i-0abc:abc')).toThrow('for example i-0abc:22');
    expect(() => parseTarget('[2001:db8::1]:x')).toThrow('for example [2001:db8::1]:22');
  });

  it('parses --protocol names, numbers and all', () => {
    expect(['tcp', 'UDP', 'icmp', 'icmpv6', '6', '47', '0', '255', 'all', '-1'].map(parseProtocolOption)).toEqual([6, 17, 1, 58, 6, 47, 0, 255, 'all', 'all']);
    for (const text of ['foo', '256', '-2', '6.0', '']) expect(() => parseProtocolOption(text), text).toThrow(SourceError);
  });

  it('evaluates ICMP as an echo request', () => {
    const files = demoCluster();
    publicNode(files);
    // ICMP type 8 (echo request), every code.
    clusterGroupOf(files).IpPermissions.push(permission('icmp', 8, -1, { cidr: '0.0.0.0/0' }));
    const ping = explain(inventoryOf(files), { to: IDS.node1, protocol: 'icmp' });
    expect(ping.port).toBe('type 8 code 0');
    expect(ping.routes.find((route) => route.via === 'direct')?.verdict).toBe('reachable');
    // The in-tree provider's MTU rule (type 3 code 4) admits no echo request.
    expect(explain(inventoryOf(demoClusterWithPublicNode()), { to: IDS.node1, protocol: 'icmp' }).verdict).toBe('blocked');
  });

  it('resolves a load balancer address to the load balancer', () => {
    const result = explain(inventoryOf(demoCluster()), { to: '203.0.113.84', port: 443 });
    expect(result.target).toEqual({ kind: 'LoadBalancer', id: LB_NAME });
    expect(result.verdict).toBe('reachable');
  });
});
