// Sets of connections (protocol and destination port) as the reachability engine combines them.
//
// A connection is a protocol number (IANA) and a value in that protocol's domain: the destination port
// (1-65535) for TCP, UDP, SCTP and UDPLite, the ICMP type and code packed as `type * 256 + code` for ICMP
// and ICMPv6, and the single value 0 for every other protocol. A set stores explicit ranges for the
// protocols it names and one flag for all the protocols it does not name, so that "everything except
// TCP 22" stays small.

import { compareText } from '../../compare.js';

export const PROTOCOL = { ICMP: 1, TCP: 6, UDP: 17, ICMPv6: 58, SCTP: 132, UDPLite: 136 } as const;

const PROTOCOL_NAMES = new Map<number, string>([
  [PROTOCOL.ICMP, 'ICMP'],
  [PROTOCOL.TCP, 'TCP'],
  [PROTOCOL.UDP, 'UDP'],
  [PROTOCOL.ICMPv6, 'ICMPv6'],
  [PROTOCOL.SCTP, 'SCTP'],
  [PROTOCOL.UDPLite, 'UDPLite'],
]);

const PORT_PROTOCOLS = new Set<number>([PROTOCOL.TCP, PROTOCOL.UDP, PROTOCOL.SCTP, PROTOCOL.UDPLite]);
const ICMP_PROTOCOLS = new Set<number>([PROTOCOL.ICMP, PROTOCOL.ICMPv6]);

/** Sorted, disjoint, non-adjacent closed ranges. */
export type Ranges = ReadonlyArray<readonly [number, number]>;

export function protocolName(protocol: number): string {
  return PROTOCOL_NAMES.get(protocol) ?? String(protocol);
}

/**
 * The protocol number for a name or number as Kubernetes and Calico write it (`TCP`, `udp`, `ICMPv6`, `6`).
 * Returns undefined for anything else.
 */
export function parseProtocol(value: string | number): number | undefined {
  if (typeof value === 'number') return Number.isInteger(value) && value >= 0 && value <= 255 ? value : undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return parseProtocol(Number(trimmed));
  for (const [number, name] of PROTOCOL_NAMES) if (name.toLowerCase() === trimmed.toLowerCase()) return number;
  return undefined;
}

export function supportsPorts(protocol: number): boolean {
  return PORT_PROTOCOLS.has(protocol);
}

function domain(protocol: number): readonly [number, number] {
  if (PORT_PROTOCOLS.has(protocol)) return [1, 65535];
  if (ICMP_PROTOCOLS.has(protocol)) return [0, 65535];
  return [0, 0];
}

/** An immutable set of connections. */
export class ConnSet {
  private constructor(
    /** Ranges for the protocols named explicitly; each differs from what `others` gives. */
    readonly byProtocol: ReadonlyMap<number, Ranges>,
    /** Whether every protocol not in `byProtocol` is wholly in the set. */
    readonly others: boolean,
  ) {}

  static readonly ALL = new ConnSet(new Map(), true);
  static readonly NONE = new ConnSet(new Map(), false);

  /** Every value of one protocol. */
  static protocol(protocol: number): ConnSet {
    return ConnSet.build(new Map([[protocol, [domain(protocol)]]]), false);
  }

  /** A range of ports (or ICMP values) of one protocol, clipped to the protocol's domain. */
  static range(protocol: number, from: number, to: number): ConnSet {
    const [low, high] = domain(protocol);
    const start = Math.max(from, low);
    const end = Math.min(to, high);
    if (start > end) return ConnSet.NONE;
    return ConnSet.build(new Map([[protocol, [[start, end]]]]), false);
  }

  static port(protocol: number, port: number): ConnSet {
    return ConnSet.range(protocol, port, port);
  }

  /** The ranges of one protocol in this set. */
  ranges(protocol: number): Ranges {
    return this.byProtocol.get(protocol) ?? (this.others ? [domain(protocol)] : []);
  }

  has(protocol: number, value: number): boolean {
    return this.ranges(protocol).some(([low, high]) => value >= low && value <= high);
  }

  isEmpty(): boolean {
    return !this.others && this.byProtocol.size === 0;
  }

  isAll(): boolean {
    return this.others && this.byProtocol.size === 0;
  }

  union(other: ConnSet): ConnSet {
    if (this === other || this.isAll() || other.isEmpty()) return this;
    if (other.isAll() || this.isEmpty()) return other;
    return this.combine(other, unionRanges, this.others || other.others);
  }

  intersect(other: ConnSet): ConnSet {
    if (this === other || this.isEmpty() || other.isAll()) return this;
    if (other.isEmpty() || this.isAll()) return other;
    return this.combine(other, intersectRanges, this.others && other.others);
  }

  subtract(other: ConnSet): ConnSet {
    if (this.isEmpty() || other.isEmpty()) return this;
    if (this === other || other.isAll()) return ConnSet.NONE;
    return this.combine(other, subtractRanges, this.others && !other.others);
  }

  complement(): ConnSet {
    return ConnSet.ALL.subtract(this);
  }

  equals(other: ConnSet): boolean {
    return this.key() === other.key();
  }

  contains(other: ConnSet): boolean {
    return other.subtract(this).isEmpty();
  }

  /** A canonical string for memoising and comparing sets. */
  key(): string {
    const parts = [...this.byProtocol.entries()].sort(([a], [b]) => a - b).map(([protocol, ranges]) => `${protocol}:${ranges.map(([l, h]) => `${l}-${h}`).join(',')}`);
    return `${this.others ? '*' : ''}|${parts.join(';')}`;
  }

  /**
   * The set in netpol-analyzer's connlist notation: `All Connections`, or protocols in name order with
   * their ports (`TCP 80,443,UDP 53`). A set that holds every protocol but a few is written
   * `All Connections except …`.
   */
  format(): string {
    if (this.isAll()) return 'All Connections';
    if (this.isEmpty()) return 'No Connections';
    if (this.others) return `All Connections except ${this.complement().format()}`;
    const entries = [...this.byProtocol.entries()].sort(([a], [b]) => compareText(protocolName(a), protocolName(b)));
    return entries.map(([protocol, ranges]) => formatProtocol(protocol, ranges)).join(',');
  }

  /** Each protocol with its ranges, for structured output; `others` is returned separately. */
  entries(): Array<{ protocol: number; name: string; ranges: Ranges }> {
    return [...this.byProtocol.entries()].sort(([a], [b]) => a - b).map(([protocol, ranges]) => ({ protocol, name: protocolName(protocol), ranges }));
  }

  private combine(other: ConnSet, operation: (a: Ranges, b: Ranges) => Ranges, others: boolean): ConnSet {
    const protocols = new Set([...this.byProtocol.keys(), ...other.byProtocol.keys()]);
    const result = new Map<number, Ranges>();
    for (const protocol of protocols) result.set(protocol, operation(this.ranges(protocol), other.ranges(protocol)));
    return ConnSet.build(result, others);
  }

  /** Drops entries that say the same as `others`, so that equal sets have equal keys. */
  private static build(map: Map<number, Ranges>, others: boolean): ConnSet {
    for (const [protocol, ranges] of [...map]) {
      const full = ranges.length === 1 && ranges[0]?.[0] === domain(protocol)[0] && ranges[0]?.[1] === domain(protocol)[1];
      if (others ? full : ranges.length === 0) map.delete(protocol);
    }
    if (map.size === 0) return others ? ConnSet.ALL : ConnSet.NONE;
    return new ConnSet(map, others);
  }
}

function formatProtocol(protocol: number, ranges: Ranges): string {
  const name = protocolName(protocol);
  const [low, high] = domain(protocol);
  if (low === high) return name;
  if (ICMP_PROTOCOLS.has(protocol)) {
    if (ranges.length === 1 && ranges[0]?.[0] === low && ranges[0]?.[1] === high) return name;
    return `${name} ${ranges.map(([from, to]) => formatIcmp(from, to)).join(',')}`;
  }
  return `${name} ${ranges.map(([from, to]) => (from === to ? `${from}` : `${from}-${to}`)).join(',')}`;
}

function formatIcmp(from: number, to: number): string {
  const typeOf = (value: number) => Math.floor(value / 256);
  if (from % 256 === 0 && to % 256 === 255) {
    return typeOf(from) === typeOf(to) ? `type ${typeOf(from)}` : `types ${typeOf(from)}-${typeOf(to)}`;
  }
  if (from === to) return `type ${typeOf(from)} code ${from % 256}`;
  return `type ${typeOf(from)} code ${from % 256}-type ${typeOf(to)} code ${to % 256}`;
}

export function unionRanges(a: Ranges, b: Ranges): Ranges {
  const all = [...a, ...b].sort((x, y) => x[0] - y[0]);
  const result: Array<[number, number]> = [];
  for (const [low, high] of all) {
    const last = result[result.length - 1];
    if (last && low <= last[1] + 1) last[1] = Math.max(last[1], high);
    else result.push([low, high]);
  }
  return result;
}

export function intersectRanges(a: Ranges, b: Ranges): Ranges {
  const result: Array<[number, number]> = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const [aLow, aHigh] = a[i] as readonly [number, number];
    const [bLow, bHigh] = b[j] as readonly [number, number];
    const low = Math.max(aLow, bLow);
    const high = Math.min(aHigh, bHigh);
    if (low <= high) result.push([low, high]);
    if (aHigh < bHigh) i++;
    else j++;
  }
  return result;
}

export function subtractRanges(a: Ranges, b: Ranges): Ranges {
  const result: Array<[number, number]> = [];
  for (const [low, high] of a) {
    let start = low;
    for (const [bLow, bHigh] of b) {
      if (bHigh < start || bLow > high) continue;
      if (bLow > start) result.push([start, bLow - 1]);
      start = Math.max(start, bHigh + 1);
      if (start > high) break;
    }
    if (start <= high) result.push([start, high]);
  }
  return result;
}
