import { describe, expect, it } from 'vitest';
import { AddressSet } from '../../../src/engines/aws/addresses.js';
import { buildNetwork } from '../../../src/engines/aws/network.js';
import { admit, type CompiledSecurityGroup } from '../../../src/engines/aws/security-groups.js';
import { ICMP, TCP, UDP, icmpRange, type Traffic } from '../../../src/engines/aws/traffic.js';
import { inventoryOf, permission } from './support.js';

// Security group semantics as the EC2 documentation states them. Rules are a union of allows. `-1`
// and protocols other than TCP, UDP, ICMP and ICMPv6 open every port. For ICMP, FromPort is the type
// and ToPort the code. A group reference matches interfaces that carry that group.

function compile(ingress: Array<Record<string, unknown>>, extra: Record<string, unknown[]> = {}): CompiledSecurityGroup {
  const inventory = inventoryOf({
    'sg.json': [{ SecurityGroups: [{ GroupId: 'sg-0a', GroupName: 'target', OwnerId: '111122223333', VpcId: 'vpc-1', IpPermissions: ingress, IpPermissionsEgress: [] }] }],
    ...extra,
  });
  return buildNetwork(inventory).securityGroups.get('sg-0a') as CompiledSecurityGroup;
}

const from = (cidr: string, groups: string[] = []) => ({ addresses: AddressSet.parse(cidr) as AddressSet, groups: new Set(groups) });
const tcp = (port: number): Traffic => ({ protocol: TCP, range: [port, port] });
const admitted = (group: CompiledSecurityGroup, peer: ReturnType<typeof from>, traffic: Traffic) => admit([group], 'ingress', peer, traffic).admitted.toCidrs();

describe('security group rules', () => {
  it('opens every protocol and port for -1', () => {
    const group = compile([permission('-1', undefined, undefined, { cidr: '0.0.0.0/0' })]);
    expect(admitted(group, from('203.0.113.5'), tcp(22))).toEqual(['203.0.113.5/32']);
    expect(admitted(group, from('203.0.113.5'), { protocol: UDP, range: [53, 53] })).toEqual(['203.0.113.5/32']);
    expect(admitted(group, from('203.0.113.5'), { protocol: 47, range: [0, 65535] })).toEqual(['203.0.113.5/32']);
  });

  it('opens a TCP range and nothing outside it', () => {
    const group = compile([permission('tcp', 30000, 32767, { cidr: '0.0.0.0/0' })]);
    expect(admitted(group, from('203.0.113.5'), tcp(31139))).toEqual(['203.0.113.5/32']);
    expect(admitted(group, from('203.0.113.5'), tcp(29999))).toEqual([]);
    expect(admitted(group, from('203.0.113.5'), { protocol: UDP, range: [31139, 31139] })).toEqual([]);
  });

  it('does not open TCP 22 with a GRE rule', () => {
    const group = compile([permission('47', undefined, undefined, { cidr: '0.0.0.0/0' })]);
    expect(admitted(group, from('203.0.113.5'), tcp(22))).toEqual([]);
    expect(admitted(group, from('203.0.113.5'), { protocol: 47, range: [0, 65535] })).toEqual(['203.0.113.5/32']);
  });

  it('reads a numeric protocol 6 as TCP', () => {
    const group = compile([permission('6', 22, 22, { cidr: '198.51.100.0/24' })]);
    expect(admitted(group, from('198.51.100.7'), tcp(22))).toEqual(['198.51.100.7/32']);
  });

  it('matches ICMP by type and code', () => {
    const group = compile([permission('icmp', 3, 4, { cidr: '0.0.0.0/0' })]);
    expect(admitted(group, from('203.0.113.5'), { protocol: ICMP, range: icmpRange(3, 4) })).toEqual(['203.0.113.5/32']);
    expect(admitted(group, from('203.0.113.5'), { protocol: ICMP, range: icmpRange(8, 0) })).toEqual([]);
  });

  it('matches IPv6 sources with ::/0 and its spelling 0::/0', () => {
    for (const cidr6 of ['::/0', '0::/0']) {
      const group = compile([permission('tcp', 443, 443, { cidr6 })]);
      expect(admitted(group, from('2001:db8::10'), tcp(443))).toEqual(['2001:db8::10/128']);
      expect(admitted(group, from('203.0.113.5'), tcp(443))).toEqual([]);
    }
  });

  it('admits a peer that carries the referenced group only', () => {
    const group = compile([permission('tcp', 5432, 5432, { group: 'sg-0app' })]);
    expect(admitted(group, from('10.0.1.5', ['sg-0app']), tcp(5432))).toEqual(['10.0.1.5/32']);
    expect(admitted(group, from('10.0.1.5', ['sg-0other']), tcp(5432))).toEqual([]);
  });

  it('resolves a prefix list when its entries are exported', () => {
    const group = compile([permission('tcp', 443, 443, { prefixList: 'pl-0office' })], {
      'ec2-describe-managed-prefix-lists.json': [{ PrefixLists: [{ PrefixListId: 'pl-0office', PrefixListName: 'office', AddressFamily: 'IPv4', OwnerId: '111122223333' }] }],
      'ec2-get-managed-prefix-list-entries.pl-0office.json': [{ Entries: [{ Cidr: '203.0.113.0/24', Description: 'office' }] }],
    });
    const result = admit([group], 'ingress', from('0.0.0.0/0'), tcp(443));
    expect(result.admitted.toCidrs()).toEqual(['203.0.113.0/24']);
    expect(result.unresolved).toEqual([]);
  });

  it('leaves a prefix list without entries unresolved, never open', () => {
    const group = compile([permission('tcp', 443, 443, { prefixList: 'pl-0office' })]);
    const result = admit([group], 'ingress', from('0.0.0.0/0'), tcp(443));
    expect(result.admitted.isEmpty()).toBe(true);
    expect(result.unresolved.map((rule) => rule.peer)).toEqual([{ kind: 'prefix-list', prefixListId: 'pl-0office' }]);
  });

  it('takes the union of overlapping rules', () => {
    const group = compile([permission('tcp', 443, 443, { cidr: '203.0.113.0/25' }), permission('tcp', 400, 500, { cidr: '203.0.113.128/25' })]);
    expect(admitted(group, from('203.0.113.0/24'), tcp(443))).toEqual(['203.0.113.0/24']);
  });
});
