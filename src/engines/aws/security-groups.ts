import type { ManagedPrefixList, SecurityGroup } from '../../inventory/model.js';
import type { IpPermission } from '../../inventory/schemas/aws.js';
import { childSource, type SourceRef } from '../../inventory/source.js';
import { AddressSet, parseCidr } from './addresses.js';
import { describeTraffic, parseProtocol, protocolLabel, rangeCovers, securityGroupRange, type Protocol, type Range, type Traffic } from './traffic.js';

// Security groups are stateful allow-lists: traffic passes when any rule of any group on the network
// interface admits it, and the reply is always let back. Each (permission × peer) pair of
// `describe-security-groups` becomes one compiled rule here, so that a path can name the exact rule.

export type Direction = 'ingress' | 'egress';

export type RulePeer =
  | { kind: 'cidr'; cidr: string; prefix: number; addresses: AddressSet }
  | { kind: 'group'; groupId: string; userId?: string; vpcId?: string }
  | { kind: 'prefix-list'; prefixListId: string; addresses?: AddressSet; name?: string };

export interface SecurityGroupRule {
  groupId: string;
  direction: Direction;
  protocol: Protocol;
  /** The raw `IpProtocol`, kept for rendering the same rule back to the AWS CLI. */
  ipProtocol: string;
  fromPort?: number;
  toPort?: number;
  range: Range;
  peer: RulePeer;
  description?: string;
  source: SourceRef;
  /** Stable text that identifies the rule: group, direction, protocol, ports and peer. */
  key: string;
}

export interface CompiledSecurityGroup {
  id: string;
  name?: string;
  vpcId?: string;
  ingress: SecurityGroupRule[];
  egress: SecurityGroupRule[];
  source: SourceRef;
}

/** The sender of a packet as security group rules see it: its addresses and the groups it carries. */
export interface PeerIdentity {
  addresses: AddressSet;
  /** Security groups on the sending network interface; empty for the internet. */
  groups: ReadonlySet<string>;
}

export interface RuleMatch {
  rule: SecurityGroupRule;
  addresses: AddressSet;
}

export interface AdmitResult {
  admitted: AddressSet;
  matches: RuleMatch[];
  /** Rules that would match if their prefix list were known: `describe-managed-prefix-lists` entries are missing. */
  unresolved: SecurityGroupRule[];
}

export function compileSecurityGroup(group: SecurityGroup, prefixLists: Map<string, ManagedPrefixList>): CompiledSecurityGroup {
  return {
    id: group.GroupId,
    ...(group.GroupName ? { name: group.GroupName } : {}),
    ...(group.VpcId ? { vpcId: group.VpcId } : {}),
    ingress: group.IpPermissions.flatMap((permission, index) => compilePermission(group, permission, 'ingress', childSource(group.source, 'IpPermissions', index), prefixLists)),
    egress: group.IpPermissionsEgress.flatMap((permission, index) => compilePermission(group, permission, 'egress', childSource(group.source, 'IpPermissionsEgress', index), prefixLists)),
    source: group.source,
  };
}

/**
 * Computes the source addresses the rules of `groups` admit for `traffic` in one direction. For egress rules the
 * peer is the destination. A group reference matches every address of a peer that carries that group.
 */
export function admit(groups: readonly CompiledSecurityGroup[], direction: Direction, peer: PeerIdentity, traffic: Traffic): AdmitResult {
  let admitted = AddressSet.EMPTY;
  const matches: RuleMatch[] = [];
  const unresolved: SecurityGroupRule[] = [];
  for (const group of groups) {
    for (const rule of direction === 'ingress' ? group.ingress : group.egress) {
      if (!ruleMatchesTraffic(rule, traffic)) continue;
      const addresses = ruleAddresses(rule, peer);
      if (addresses === undefined) {
        unresolved.push(rule);
        continue;
      }
      if (addresses.isEmpty()) continue;
      matches.push({ rule, addresses });
      admitted = admitted.union(addresses);
    }
  }
  return { admitted, matches, unresolved };
}

export function ruleMatchesTraffic(rule: SecurityGroupRule, traffic: Traffic): boolean {
  if (rule.protocol !== 'all' && rule.protocol !== traffic.protocol) return false;
  return rangeCovers(rule.range, traffic.range);
}

/** Returns the addresses of `peer` a rule matches, or undefined when the rule's prefix list is not resolved. */
export function ruleAddresses(rule: SecurityGroupRule, peer: PeerIdentity): AddressSet | undefined {
  switch (rule.peer.kind) {
    case 'cidr':
      return peer.addresses.intersect(rule.peer.addresses);
    case 'group':
      return peer.groups.has(rule.peer.groupId) ? peer.addresses : AddressSet.EMPTY;
    case 'prefix-list':
      return rule.peer.addresses === undefined ? undefined : peer.addresses.intersect(rule.peer.addresses);
  }
}

export function describePeer(peer: RulePeer): string {
  switch (peer.kind) {
    case 'cidr':
      return peer.cidr;
    case 'group':
      return peer.userId ? `${peer.groupId} (account ${peer.userId})` : peer.groupId;
    case 'prefix-list':
      return peer.name ? `${peer.prefixListId} (${peer.name})` : peer.prefixListId;
  }
}

/** Describes a rule in one line: `sg-1 ingress tcp 22 from 0.0.0.0/0 ("office")`. */
export function describeRule(rule: SecurityGroupRule): string {
  const preposition = rule.direction === 'ingress' ? 'from' : 'to';
  const description = rule.description ? ` ("${rule.description}")` : '';
  return `${rule.groupId} ${rule.direction} ${describeTraffic(rule.protocol, rule.range)} ${preposition} ${describePeer(rule.peer)}${description}`;
}

// --- compilation --------------------------------------------------------------------------------

function compilePermission(
  group: SecurityGroup,
  permission: IpPermission,
  direction: Direction,
  source: SourceRef,
  prefixLists: Map<string, ManagedPrefixList>,
): SecurityGroupRule[] {
  const protocol = parseProtocol(permission.IpProtocol);
  if (protocol === undefined) return [];
  const range = securityGroupRange(protocol, permission.FromPort, permission.ToPort);
  const base = {
    groupId: group.GroupId,
    direction,
    protocol,
    ipProtocol: permission.IpProtocol,
    ...(permission.FromPort === undefined ? {} : { fromPort: permission.FromPort }),
    ...(permission.ToPort === undefined ? {} : { toPort: permission.ToPort }),
    range,
  };
  const rules: SecurityGroupRule[] = [];
  const push = (peer: RulePeer, description: string | undefined, peerSource: SourceRef) => {
    rules.push({ ...base, peer, ...(description ? { description } : {}), source: peerSource, key: ruleKey(group.GroupId, direction, protocol, range, peer) });
  };
  permission.IpRanges.forEach((entry, index) => {
    const parsed = parseCidr(entry.CidrIp);
    if (parsed) push({ kind: 'cidr', cidr: parsed.text, prefix: parsed.prefix, addresses: AddressSet.parse(parsed.text) as AddressSet }, entry.Description, childSource(source, 'IpRanges', index));
  });
  permission.Ipv6Ranges.forEach((entry, index) => {
    const parsed = parseCidr(entry.CidrIpv6);
    if (parsed) push({ kind: 'cidr', cidr: parsed.text, prefix: parsed.prefix, addresses: AddressSet.parse(parsed.text) as AddressSet }, entry.Description, childSource(source, 'Ipv6Ranges', index));
  });
  permission.PrefixListIds.forEach((entry, index) => {
    const list = prefixLists.get(entry.PrefixListId);
    const addresses = list?.entries ? AddressSet.fromCidrs(list.entries.map((item) => item.Cidr)) : undefined;
    const peer: RulePeer = {
      kind: 'prefix-list',
      prefixListId: entry.PrefixListId,
      ...(addresses ? { addresses } : {}),
      ...(list?.PrefixListName ? { name: list.PrefixListName } : {}),
    };
    push(peer, entry.Description, childSource(source, 'PrefixListIds', index));
  });
  permission.UserIdGroupPairs.forEach((entry, index) => {
    if (!entry.GroupId) return;
    const peer: RulePeer = {
      kind: 'group',
      groupId: entry.GroupId,
      ...(entry.UserId && group.OwnerId && entry.UserId !== group.OwnerId ? { userId: entry.UserId } : {}),
      ...(entry.VpcId ? { vpcId: entry.VpcId } : {}),
    };
    push(peer, entry.Description, childSource(source, 'UserIdGroupPairs', index));
  });
  return rules;
}

function ruleKey(groupId: string, direction: Direction, protocol: Protocol, range: Range, peer: RulePeer): string {
  const peerText = peer.kind === 'cidr' ? peer.cidr : peer.kind === 'group' ? peer.groupId : peer.prefixListId;
  return `${groupId} ${direction} ${protocolLabel(protocol)} ${range[0]}-${range[1]} ${peerText}`;
}
