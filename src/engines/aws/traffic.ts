// Protocols and the "port" dimension the engine evaluates traffic on.
//
// Every rule and every flow is reduced to an IP protocol number and a closed range on one 16-bit
// dimension. For TCP and UDP that dimension is the destination port. For ICMP and ICMPv6 it is
// `type * 256 + code`, so that a rule for all types, for one type, or for one type and code is again a
// range. Other protocols (GRE, IP-in-IP, ESP…) have no ports: their dimension is the single point 0.

export const TCP = 6;
export const UDP = 17;
export const ICMP = 1;
export const ICMPV6 = 58;
export const IPIP = 4;

/** An IANA protocol number, or `all` for the `-1` of security groups and NACLs. */
export type Protocol = number | 'all';

export type Range = readonly [number, number];

export const FULL_RANGE: Range = [0, 65535];

/**
 * Ports that clients pick for their side of a connection. AWS recommends that NACLs admit return
 * traffic on 1024-65535, because NAT gateways and Elastic Load Balancing use that range; Linux
 * (32768-60999) and Windows (49152-65535) clients use a subset of it.
 */
export const EPHEMERAL: Range = [1024, 65535];

/** Concrete traffic: one protocol and a range on its dimension. */
export interface Traffic {
  protocol: number;
  range: Range;
}

const NAMES: Record<string, number> = { tcp: TCP, udp: UDP, icmp: ICMP, icmpv6: ICMPV6 };
const LABELS: Record<number, string> = { [TCP]: 'tcp', [UDP]: 'udp', [ICMP]: 'icmp', [ICMPV6]: 'icmpv6', [IPIP]: 'ipip', 47: 'gre', 50: 'esp', 51: 'ah', 132: 'sctp' };

/** Parses `IpProtocol` of a security group rule or `Protocol` of a NACL entry: a name, a number or `-1`. */
export function parseProtocol(text: string | number): Protocol | undefined {
  const value = String(text).trim().toLowerCase();
  if (value === '-1' || value === 'all') return 'all';
  if (value in NAMES) return NAMES[value];
  if (/^\d+$/.test(value)) {
    const number = Number(value);
    return number <= 255 ? number : undefined;
  }
  return undefined;
}

export function hasPorts(protocol: Protocol): boolean {
  return protocol === TCP || protocol === UDP;
}

export function isIcmp(protocol: Protocol): boolean {
  return protocol === ICMP || protocol === ICMPV6;
}

export function protocolLabel(protocol: Protocol): string {
  if (protocol === 'all') return 'all';
  return LABELS[protocol] ?? `protocol ${protocol}`;
}

/** The name the AWS CLI and Terraform accept: `tcp`, `udp`, `icmp`, `icmpv6`, `-1` or the number. */
export function protocolParameter(protocol: Protocol): string {
  if (protocol === 'all') return '-1';
  if (protocol === TCP || protocol === UDP || protocol === ICMP || protocol === ICMPV6) return LABELS[protocol] as string;
  return String(protocol);
}

/**
 * The range a security group rule opens. AWS opens every port for `-1` and for protocols other than
 * TCP, UDP, ICMP and ICMPv6, whatever FromPort and ToPort say; for ICMP, FromPort is the type and ToPort
 * the code, with -1 meaning all.
 */
export function securityGroupRange(protocol: Protocol, fromPort: number | undefined, toPort: number | undefined): Range {
  if (protocol === 'all' || !(hasPorts(protocol) || isIcmp(protocol))) return FULL_RANGE;
  if (isIcmp(protocol)) return icmpRange(fromPort, toPort);
  if (fromPort === undefined || fromPort < 0) return FULL_RANGE;
  return [fromPort, toPort === undefined || toPort < 0 ? fromPort : toPort];
}

/** The range of a NACL entry: its PortRange for TCP and UDP, its IcmpTypeCode for ICMP, else everything. */
export function naclRange(protocol: Protocol, portRange: { From?: number; To?: number } | undefined, icmp: { Type?: number; Code?: number } | undefined): Range {
  if (protocol === 'all') return FULL_RANGE;
  if (hasPorts(protocol)) {
    if (!portRange || portRange.From === undefined) return FULL_RANGE;
    return [portRange.From, portRange.To ?? portRange.From];
  }
  if (isIcmp(protocol)) return icmpRange(icmp?.Type, icmp?.Code);
  return FULL_RANGE;
}

export function icmpRange(type: number | undefined, code: number | undefined): Range {
  if (type === undefined || type < 0) return FULL_RANGE;
  if (code === undefined || code < 0) return [type * 256, type * 256 + 255];
  return [type * 256 + code, type * 256 + code];
}

export function rangeCovers(outer: Range, inner: Range): boolean {
  return outer[0] <= inner[0] && inner[1] <= outer[1];
}

export function rangesOverlap(a: Range, b: Range): boolean {
  return a[0] <= b[1] && b[0] <= a[1];
}

/** The sub-ranges of `range` cut at the edges of `cuts`, so that each piece is inside or outside every cut. */
export function splitRange(range: Range, cuts: Iterable<Range>): Range[] {
  const points = new Set<number>([range[0], range[1] + 1]);
  for (const cut of cuts) {
    if (cut[0] > range[0] && cut[0] <= range[1]) points.add(cut[0]);
    if (cut[1] + 1 > range[0] && cut[1] + 1 <= range[1]) points.add(cut[1] + 1);
  }
  const sorted = [...points].sort((a, b) => a - b);
  const pieces: Range[] = [];
  for (let i = 0; i < sorted.length - 1; i++) pieces.push([sorted[i] as number, (sorted[i + 1] as number) - 1]);
  return pieces;
}

/** How a range reads to a person: `22`, `30000-32767`, `all`, `type 3 code 4`. */
export function describeRange(protocol: Protocol, range: Range): string {
  if (protocol === 'all' || (!hasPorts(protocol) && !isIcmp(protocol))) return 'all';
  if (range[0] === FULL_RANGE[0] && range[1] === FULL_RANGE[1]) return 'all';
  if (isIcmp(protocol)) {
    const [fromType, fromCode] = [Math.floor(range[0] / 256), range[0] % 256];
    const [toType, toCode] = [Math.floor(range[1] / 256), range[1] % 256];
    if (fromType === toType && fromCode === 0 && toCode === 255) return `type ${fromType}`;
    if (fromType === toType && fromCode === toCode) return `type ${fromType} code ${fromCode}`;
    return `types ${fromType}-${toType}`;
  }
  return range[0] === range[1] ? String(range[0]) : `${range[0]}-${range[1]}`;
}

/** The value for a path's `port` field: a number for one port, else the text of `describeRange`. */
export function pathPort(protocol: Protocol, range: Range): number | string {
  if (hasPorts(protocol) && range[0] === range[1]) return range[0];
  return describeRange(protocol, range);
}

export function describeTraffic(protocol: Protocol, range: Range): string {
  const ports = describeRange(protocol, range);
  if (protocol === 'all') return 'all traffic';
  if (ports === 'all') return hasPorts(protocol) ? `${protocolLabel(protocol)} all ports` : protocolLabel(protocol);
  return `${protocolLabel(protocol)} ${ports}`;
}
