import type { NetworkAcl } from '../../inventory/model.js';
import { childSource, type SourceRef } from '../../inventory/source.js';
import { AddressSet, canonicalCidr } from './addresses.js';
import type { Direction } from './security-groups.js';
import { describeTraffic, naclRange, parseProtocol, rangeCovers, splitRange, type Protocol, type Range } from './traffic.js';

// Network ACLs are stateless and ordered: for each packet the entries of its direction are read from the
// lowest rule number up, the first entry that matches protocol, port and address decides, and a packet
// no entry matches is denied. Replies are packets too, so return traffic needs its own allow entry.

export interface NaclEntry {
  ruleNumber: number;
  direction: Direction;
  action: 'allow' | 'deny';
  protocol: Protocol;
  range: Range;
  cidr: string;
  addresses: AddressSet;
  source: SourceRef;
}

export interface CompiledNacl {
  id: string;
  vpcId: string;
  isDefault: boolean;
  ingress: NaclEntry[];
  egress: NaclEntry[];
  associations: Array<{ subnetId: string; associationId?: string }>;
  source: SourceRef;
}

/** What one entry decided for the addresses it was the first to match. */
export interface NaclDecision {
  entry?: NaclEntry;
  action: 'allow' | 'deny';
  addresses: AddressSet;
}

export interface NaclResult {
  allowed: AddressSet;
  denied: AddressSet;
  decisions: NaclDecision[];
}

export function compileNacl(acl: NetworkAcl): CompiledNacl {
  const entries: NaclEntry[] = [];
  acl.Entries.forEach((entry, index) => {
    const protocol = parseProtocol(entry.Protocol);
    const cidr = entry.CidrBlock ?? entry.Ipv6CidrBlock;
    const addresses = cidr === undefined ? undefined : AddressSet.parse(cidr);
    if (protocol === undefined || cidr === undefined || addresses === undefined) return;
    entries.push({
      ruleNumber: entry.RuleNumber,
      direction: entry.Egress ? 'egress' : 'ingress',
      action: entry.RuleAction,
      protocol,
      range: naclRange(protocol, entry.PortRange, entry.IcmpTypeCode),
      cidr: canonicalCidr(cidr),
      addresses,
      source: childSource(acl.source, 'Entries', index),
    });
  });
  const byNumber = (a: NaclEntry, b: NaclEntry) => a.ruleNumber - b.ruleNumber;
  return {
    id: acl.NetworkAclId,
    vpcId: acl.VpcId,
    isDefault: acl.IsDefault === true,
    ingress: entries.filter((entry) => entry.direction === 'ingress').sort(byNumber),
    egress: entries.filter((entry) => entry.direction === 'egress').sort(byNumber),
    associations: acl.Associations.map((association) => ({
      subnetId: association.SubnetId,
      ...(association.NetworkAclAssociationId ? { associationId: association.NetworkAclAssociationId } : {}),
    })),
    source: acl.source,
  };
}

/** Edges of the entries for a protocol, to split a range into pieces every entry treats alike. */
export function naclCuts(acl: CompiledNacl, direction: Direction, protocol: number): Range[] {
  return (direction === 'ingress' ? acl.ingress : acl.egress).filter((entry) => entry.protocol === 'all' || entry.protocol === protocol).map((entry) => entry.range);
}

/**
 * Evaluates `addresses` (the remote side of the packet: the source for ingress, the destination for
 * egress) against one direction of a NACL, for a protocol and a range of its dimension.
 * `mode` says what "allowed" means when entries differ inside the range: `any` keeps an address allowed
 * on at least one piece, `every` keeps only addresses allowed on the whole range.
 */
export function evaluateNacl(
  acl: CompiledNacl,
  direction: Direction,
  protocol: number,
  range: Range,
  addresses: AddressSet,
  mode: 'any' | 'every' = 'every',
  cache?: Map<string, NaclDecision[]>,
): NaclResult {
  const pieces = splitRange(range, naclCuts(acl, direction, protocol));
  let allowed: AddressSet | undefined;
  const decisions: NaclDecision[] = [];
  for (const piece of pieces) {
    const pieceDecisions = decide(acl, direction, protocol, piece, cache);
    let pieceAllowed = AddressSet.EMPTY;
    for (const decision of pieceDecisions) {
      const matched = decision.addresses.intersect(addresses);
      if (matched.isEmpty()) continue;
      decisions.push({ ...decision, addresses: matched });
      if (decision.action === 'allow') pieceAllowed = pieceAllowed.union(matched);
    }
    if (allowed === undefined) allowed = pieceAllowed;
    else allowed = mode === 'any' ? allowed.union(pieceAllowed) : allowed.intersect(pieceAllowed);
  }
  const result = allowed ?? AddressSet.EMPTY;
  return { allowed: result, denied: addresses.subtract(result), decisions: mergeDecisions(decisions) };
}

/** `100 allow tcp 443 from 0.0.0.0/0`, or `default deny` for the implicit rule. */
export function describeNaclDecision(decision: NaclDecision): string {
  const entry = decision.entry;
  if (!entry) return `implicit ${decision.action} (no entry matches)`;
  const number = entry.ruleNumber >= 32767 ? '*' : String(entry.ruleNumber);
  const preposition = entry.direction === 'ingress' ? 'from' : 'to';
  return `rule ${number} ${entry.action} ${describeTraffic(entry.protocol, entry.range)} ${preposition} ${entry.cidr}`;
}

/** True when the NACL allows every protocol and port in a direction for every address of `addresses`. */
export function allowsEverything(acl: CompiledNacl, direction: Direction, addresses: AddressSet): boolean {
  // Every protocol an entry names, plus one no entry names, stands for all 256.
  const named = new Set<number>();
  for (const entry of direction === 'ingress' ? acl.ingress : acl.egress) if (entry.protocol !== 'all') named.add(entry.protocol);
  let other = 0;
  while (named.has(other) && other < 255) other += 1;
  for (const protocol of [...named, other]) {
    const result = evaluateNacl(acl, direction, protocol, [0, 65535], addresses, 'every');
    if (!result.allowed.covers(addresses)) return false;
  }
  return true;
}

// --- helpers ------------------------------------------------------------------------------------

/** First-match evaluation of one piece over all addresses; pieces are cut so an entry covers or misses them. */
function decide(acl: CompiledNacl, direction: Direction, protocol: number, piece: Range, cache?: Map<string, NaclDecision[]>): NaclDecision[] {
  const key = `${acl.id} ${direction} ${protocol} ${piece[0]}-${piece[1]}`;
  const cached = cache?.get(key);
  if (cached) return cached;
  let remaining = AddressSet.ALL;
  const decisions: NaclDecision[] = [];
  for (const entry of direction === 'ingress' ? acl.ingress : acl.egress) {
    if (entry.protocol !== 'all' && entry.protocol !== protocol) continue;
    if (!rangeCovers(entry.range, piece)) continue;
    const matched = remaining.intersect(entry.addresses);
    if (matched.isEmpty()) continue;
    decisions.push({ entry, action: entry.action, addresses: matched });
    remaining = remaining.subtract(matched);
    if (remaining.isEmpty()) break;
  }
  if (!remaining.isEmpty()) decisions.push({ action: 'deny', addresses: remaining });
  cache?.set(key, decisions);
  return decisions;
}

function mergeDecisions(decisions: NaclDecision[]): NaclDecision[] {
  const byEntry = new Map<string, NaclDecision>();
  for (const decision of decisions) {
    const key = decision.entry ? `${decision.entry.ruleNumber} ${decision.entry.direction}` : 'implicit';
    const existing = byEntry.get(key);
    byEntry.set(key, existing ? { ...existing, addresses: existing.addresses.union(decision.addresses) } : decision);
  }
  return [...byEntry.values()].sort((a, b) => (a.entry?.ruleNumber ?? 40000) - (b.entry?.ruleNumber ?? 40000));
}
