import ipaddr from 'ipaddr.js';

// IP address sets for ipBlocks, Calico nets and network sets. Addresses are integers (bigint) per family,
// so that IPv4 and IPv6 share one code path; ipaddr.js does all parsing.

export type Family = 4 | 6;

/** A closed range of addresses of one family. */
export interface AddressRange {
  family: Family;
  from: bigint;
  to: bigint;
}

const MAX = { 4: (1n << 32n) - 1n, 6: (1n << 128n) - 1n } as const;

export class InvalidCidrError extends Error {}

/** Parses `10.0.0.0/8`, `2001:db8::/32` or a bare address (a /32 or /128). */
export function parseCidr(text: string): AddressRange {
  const value = text.trim();
  let address: ipaddr.IPv4 | ipaddr.IPv6;
  let prefix: number;
  try {
    if (value.includes('/')) [address, prefix] = ipaddr.parseCIDR(value);
    else {
      address = ipaddr.parse(value);
      prefix = address.kind() === 'ipv4' ? 32 : 128;
    }
  } catch {
    throw new InvalidCidrError(`${text} is not an IP address or CIDR`);
  }
  const family: Family = address.kind() === 'ipv4' ? 4 : 6;
  const bits = family === 4 ? 32n : 128n;
  const hostBits = bits - BigInt(prefix);
  const numeric = toBigInt(address.toByteArray());
  const from = (numeric >> hostBits) << hostBits;
  return { family, from, to: from + (1n << hostBits) - 1n };
}

export function parseAddress(text: string): { family: Family; value: bigint } | undefined {
  try {
    let address = ipaddr.parse(text.trim());
    if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress()) address = (address as ipaddr.IPv6).toIPv4Address();
    return { family: address.kind() === 'ipv4' ? 4 : 6, value: toBigInt(address.toByteArray()) };
  } catch {
    return undefined;
  }
}

export function fullRange(family: Family): AddressRange {
  return { family, from: 0n, to: MAX[family] };
}

export function formatAddress(family: Family, value: bigint): string {
  const bytes: number[] = [];
  let rest = value;
  for (let i = 0; i < (family === 4 ? 4 : 16); i++) {
    bytes.unshift(Number(rest & 0xffn));
    rest >>= 8n;
  }
  return ipaddr.fromByteArray(bytes).toString();
}

/** `from-to` as netpol-analyzer prints address ranges. */
export function formatRange(range: AddressRange): string {
  return `${formatAddress(range.family, range.from)}-${formatAddress(range.family, range.to)}`;
}

/** The range as a list of CIDRs, largest blocks first, for generated policies and messages. */
export function rangeToCidrs(range: AddressRange): string[] {
  const bits = range.family === 4 ? 32 : 128;
  const result: string[] = [];
  let start = range.from;
  while (start <= range.to) {
    let size = 0;
    while (size < bits) {
      const next = size + 1;
      const block = 1n << BigInt(next);
      if (start % block !== 0n || start + block - 1n > range.to) break;
      size = next;
    }
    result.push(`${formatAddress(range.family, start)}/${bits - size}`);
    start += 1n << BigInt(size);
  }
  return result;
}

/** A set of addresses: sorted, disjoint ranges per family. */
export class AddressSet {
  private constructor(readonly ranges: readonly AddressRange[]) {}

  static readonly EMPTY = new AddressSet([]);
  static readonly ALL = new AddressSet([fullRange(4), fullRange(6)]);

  static of(ranges: AddressRange[]): AddressSet {
    return new AddressSet(normalise(ranges));
  }

  static fromCidrs(cidrs: string[]): AddressSet {
    return AddressSet.of(cidrs.map(parseCidr));
  }

  union(other: AddressSet): AddressSet {
    return AddressSet.of([...this.ranges, ...other.ranges]);
  }

  subtract(other: AddressSet): AddressSet {
    const result: AddressRange[] = [];
    for (const range of this.ranges) {
      let start = range.from;
      for (const cut of other.ranges) {
        if (cut.family !== range.family || cut.to < start || cut.from > range.to) continue;
        if (cut.from > start) result.push({ family: range.family, from: start, to: cut.from - 1n });
        start = cut.to + 1n;
        if (start > range.to) break;
      }
      if (start <= range.to) result.push({ family: range.family, from: start, to: range.to });
    }
    return new AddressSet(result);
  }

  intersect(other: AddressSet): AddressSet {
    return this.subtract(this.subtract(other));
  }

  isEmpty(): boolean {
    return this.ranges.length === 0;
  }

  containsAddress(family: Family, value: bigint): boolean {
    return this.ranges.some((range) => range.family === family && value >= range.from && value <= range.to);
  }

  containsRange(target: AddressRange): boolean {
    return this.ranges.some((range) => range.family === target.family && target.from >= range.from && target.to <= range.to);
  }

  /** Whether the set holds every address of the family. */
  coversFamily(family: Family): boolean {
    return this.containsRange(fullRange(family));
  }

  toString(): string {
    return this.ranges.map(formatRange).join(',');
  }
}

function normalise(ranges: AddressRange[]): AddressRange[] {
  const sorted = [...ranges].sort((a, b) => a.family - b.family || (a.from < b.from ? -1 : a.from > b.from ? 1 : 0));
  const result: AddressRange[] = [];
  for (const range of sorted) {
    const last = result[result.length - 1];
    if (last && last.family === range.family && range.from <= last.to + 1n) {
      if (range.to > last.to) last.to = range.to;
    } else {
      result.push({ ...range });
    }
  }
  return result;
}

/**
 * Splits the address space of both families at every boundary of the given sets, so that each piece is
 * wholly inside or wholly outside each set. Pieces are returned in address order, IPv4 first.
 */
export function partition(sets: AddressSet[]): AddressRange[] {
  const cuts: Record<Family, Set<bigint>> = { 4: new Set([0n]), 6: new Set([0n]) };
  for (const set of sets) {
    for (const range of set.ranges) {
      cuts[range.family].add(range.from);
      if (range.to < MAX[range.family]) cuts[range.family].add(range.to + 1n);
    }
  }
  const pieces: AddressRange[] = [];
  for (const family of [4, 6] as const) {
    const starts = [...cuts[family]].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    starts.forEach((start, index) => {
      const next = starts[index + 1];
      pieces.push({ family, from: start, to: next === undefined ? MAX[family] : next - 1n });
    });
  }
  return pieces;
}

function toBigInt(bytes: number[]): bigint {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  return value;
}
