import ipaddr from 'ipaddr.js';

// Sets of IPv4 and IPv6 addresses as sorted, disjoint intervals of integers. Security group rules,
// NACL entries and routes all reduce to set algebra on these: a rule admits `sources ∩ rule CIDR`,
// a NACL deny removes a CIDR from what later rules can still allow.

export type Family = 'ipv4' | 'ipv6';

interface Interval {
  start: bigint;
  end: bigint;
}

const V4_MAX = (1n << 32n) - 1n;
const V6_MAX = (1n << 128n) - 1n;

export class AddressSet {
  /** Memoised results of toCidrs(), which paths and messages ask for repeatedly. */
  private cidrs?: string[];
  private identity?: number;
  private static nextIdentity = 0;

  private constructor(
    private readonly v4: readonly Interval[],
    private readonly v6: readonly Interval[],
  ) {}

  static readonly EMPTY = new AddressSet([], []);
  static readonly ALL = new AddressSet([{ start: 0n, end: V4_MAX }], [{ start: 0n, end: V6_MAX }]);
  static readonly ALL_IPV4 = new AddressSet([{ start: 0n, end: V4_MAX }], []);
  static readonly ALL_IPV6 = new AddressSet([], [{ start: 0n, end: V6_MAX }]);

  /** Parses one CIDR or bare address; returns undefined when the text is neither. */
  static parse(text: string): AddressSet | undefined {
    const parsed = parseCidr(text);
    if (!parsed) return undefined;
    const interval = [{ start: parsed.start, end: parsed.end }];
    return parsed.family === 'ipv4' ? new AddressSet(interval, []) : new AddressSet([], interval);
  }

  /** Parses a list, skipping entries that are not CIDRs or addresses. */
  static fromCidrs(texts: Iterable<string>): AddressSet {
    let result = AddressSet.EMPTY;
    for (const text of texts) {
      const set = AddressSet.parse(text);
      if (set) result = result.union(set);
    }
    return result;
  }

  /** A number unique to this object, for cache keys; equal sets built separately get different numbers. */
  get id(): number {
    this.identity ??= ++AddressSet.nextIdentity;
    return this.identity;
  }

  isEmpty(): boolean {
    return this.v4.length === 0 && this.v6.length === 0;
  }

  hasFamily(family: Family): boolean {
    return (family === 'ipv4' ? this.v4 : this.v6).length > 0;
  }

  only(family: Family): AddressSet {
    return family === 'ipv4' ? new AddressSet(this.v4, []) : new AddressSet([], this.v6);
  }

  union(other: AddressSet): AddressSet {
    if (other.isEmpty() || other === this) return this;
    if (this.isEmpty()) return other;
    return new AddressSet(unite(this.v4, other.v4), unite(this.v6, other.v6));
  }

  intersect(other: AddressSet): AddressSet {
    if (this.isEmpty() || other.isEmpty()) return AddressSet.EMPTY;
    if (other === this || other === AddressSet.ALL) return this;
    if (this === AddressSet.ALL) return other;
    const result = new AddressSet(intersectIntervals(this.v4, other.v4), intersectIntervals(this.v6, other.v6));
    if (result.isEmpty()) return AddressSet.EMPTY;
    // Returning an operand when nothing was cut keeps memoised text and lets callers compare by identity.
    if (sameIntervals(result.v4, this.v4) && sameIntervals(result.v6, this.v6)) return this;
    if (sameIntervals(result.v4, other.v4) && sameIntervals(result.v6, other.v6)) return other;
    return result;
  }

  subtract(other: AddressSet): AddressSet {
    if (this.isEmpty() || other.isEmpty()) return this;
    if (other === this || other === AddressSet.ALL) return AddressSet.EMPTY;
    const result = new AddressSet(subtractIntervals(this.v4, other.v4), subtractIntervals(this.v6, other.v6));
    if (result.isEmpty()) return AddressSet.EMPTY;
    if (sameIntervals(result.v4, this.v4) && sameIntervals(result.v6, this.v6)) return this;
    return result;
  }

  /** True when every address of `other` is in this set. */
  covers(other: AddressSet): boolean {
    return other.subtract(this).isEmpty();
  }

  overlaps(other: AddressSet): boolean {
    return !this.intersect(other).isEmpty();
  }

  equals(other: AddressSet): boolean {
    return sameIntervals(this.v4, other.v4) && sameIntervals(this.v6, other.v6);
  }

  /** Number of IPv4 addresses in the set. */
  ipv4Count(): bigint {
    return this.v4.reduce((sum, interval) => sum + interval.end - interval.start + 1n, 0n);
  }

  /** Returns the smallest list of CIDRs that covers exactly this set, IPv4 first. */
  toCidrs(): string[] {
    this.cidrs ??= [...this.v4.flatMap((interval) => intervalToCidrs(interval, 'ipv4')), ...this.v6.flatMap((interval) => intervalToCidrs(interval, 'ipv6'))];
    return [...this.cidrs];
  }

  /** Returns a short label: the CIDRs, or the first few and a count. */
  describe(max = 4): string {
    if (this.isEmpty()) return 'no addresses';
    if (this.equals(AddressSet.ALL)) return '0.0.0.0/0 and ::/0';
    const cidrs = this.toCidrs();
    if (cidrs.length <= max) return cidrs.join(', ');
    return `${cidrs.slice(0, max).join(', ')} and ${cidrs.length - max} more ranges`;
  }
}

export interface ParsedCidr {
  family: Family;
  prefix: number;
  start: bigint;
  end: bigint;
  /** The canonical spelling, for example `::/0` for `0::/0`. */
  text: string;
}

/**
 * Parses a CIDR (`10.0.0.0/16`, `0::/0`, `2001:db8::/32`) or a bare address, which counts as a /32 or /128.
 * Host bits are cleared, as AWS does when it stores a rule. Returns undefined for anything else.
 */
export function parseCidr(text: string): ParsedCidr | undefined {
  if (parsedCidrs.has(text)) return parsedCidrs.get(text) ?? undefined;
  const parsed = parseCidrText(text);
  // Labels such as `sg-…` are asked about on every path, and ipaddr.js reports them by throwing.
  if (parsedCidrs.size < 100_000) parsedCidrs.set(text, parsed ?? null);
  return parsed;
}

const parsedCidrs = new Map<string, ParsedCidr | null>();

function parseCidrText(text: string): ParsedCidr | undefined {
  const trimmed = text.trim();
  let address: ipaddr.IPv4 | ipaddr.IPv6;
  let prefix: number;
  try {
    if (trimmed.includes('/')) [address, prefix] = ipaddr.parseCIDR(trimmed);
    else {
      address = ipaddr.parse(trimmed);
      prefix = address.kind() === 'ipv4' ? 32 : 128;
    }
  } catch {
    return undefined;
  }
  const family: Family = address.kind();
  const bits = family === 'ipv4' ? 32 : 128;
  const value = bytesToBigInt(address.toByteArray());
  const hostBits = BigInt(bits - prefix);
  const start = (value >> hostBits) << hostBits;
  const end = start + (1n << hostBits) - 1n;
  return { family, prefix, start, end, text: `${formatAddress(start, family)}/${prefix}` };
}

export function isWholeFamily(text: string): boolean {
  const parsed = parseCidr(text);
  return parsed !== undefined && parsed.prefix === 0;
}

/** Returns the canonical text of a CIDR, or the input when it does not parse. */
export function canonicalCidr(text: string): string {
  return parseCidr(text)?.text ?? text;
}

export function familyOf(text: string): Family | undefined {
  return parseCidr(text)?.family;
}

/**
 * Names a set of source addresses as a person would. Sets of public addresses are shown with the
 * special-purpose blocks filled back in, so that "every public address" reads `0.0.0.0/0` and a NACL
 * deny reads `0.0.0.0/0 except 198.51.100.0/24`.
 */
export function describeSources(set: AddressSet, max = 4): string {
  if (set.isEmpty()) return 'no addresses';
  if (!set.subtract(PUBLIC_INTERNET).isEmpty()) return set.describe(max);
  const filled = set.union(NOT_PUBLIC);
  const cidrs = filled.toCidrs().filter((cidr) => !NOT_PUBLIC.covers(AddressSet.parse(cidr) as AddressSet));
  if (cidrs.length <= max) return cidrs.join(', ');
  let whole = AddressSet.EMPTY;
  if (set.hasFamily('ipv4')) whole = whole.union(AddressSet.ALL_IPV4);
  if (set.hasFamily('ipv6')) whole = whole.union(AddressSet.ALL_IPV6);
  const missing = whole.subtract(filled).toCidrs();
  const base = [set.hasFamily('ipv4') ? '0.0.0.0/0' : '', set.hasFamily('ipv6') ? '::/0' : ''].filter(Boolean).join(' and ');
  if (missing.length <= max) return `${base} except ${missing.join(', ')}`;
  return set.describe(max);
}

/**
 * Addresses a packet arriving through an internet gateway can come from: all IPv4 space except the
 * special-purpose blocks that are not routed on the internet (RFC 6890: private, shared, loopback,
 * link-local, multicast, reserved), and the IPv6 global unicast block 2000::/3. Documentation ranges
 * such as 203.0.113.0/24 stay in, because examples use them to stand for public addresses.
 */
const SPECIAL_PURPOSE_IPV4: AddressSet = AddressSet.fromCidrs([
    '0.0.0.0/8',
    '10.0.0.0/8',
    '100.64.0.0/10',
    '127.0.0.0/8',
    '169.254.0.0/16',
    '172.16.0.0/12',
    '192.0.0.0/24',
    '192.168.0.0/16',
    '198.18.0.0/15',
    '224.0.0.0/4',
    '240.0.0.0/4',
]);

export const PUBLIC_INTERNET: AddressSet = AddressSet.fromCidrs(['0.0.0.0/0', '2000::/3']).subtract(SPECIAL_PURPOSE_IPV4);

const NOT_PUBLIC: AddressSet = AddressSet.ALL.subtract(PUBLIC_INTERNET);

// --- helpers ------------------------------------------------------------------------------------

function bytesToBigInt(bytes: number[]): bigint {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  return value;
}

function formatAddress(value: bigint, family: Family): string {
  if (family === 'ipv4') {
    const number = Number(value);
    return `${(number >>> 24) & 255}.${(number >>> 16) & 255}.${(number >>> 8) & 255}.${number & 255}`;
  }
  const bytes: number[] = new Array<number>(16);
  let rest = value;
  for (let i = 15; i >= 0; i--) {
    bytes[i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  return (ipaddr.fromByteArray(bytes) as ipaddr.IPv6).toRFC5952String();
}

function intervalToCidrs(interval: Interval, family: Family): string[] {
  const bits = family === 'ipv4' ? 32 : 128;
  const cidrs: string[] = [];
  let start = interval.start;
  while (start <= interval.end) {
    // The largest aligned block that starts here and stays inside the interval.
    let size = 0;
    while (size < bits) {
      const next = BigInt(size + 1);
      if ((start & ((1n << next) - 1n)) !== 0n) break;
      if (start + (1n << next) - 1n > interval.end) break;
      size += 1;
    }
    cidrs.push(`${formatAddress(start, family)}/${bits - size}`);
    start += 1n << BigInt(size);
  }
  return cidrs;
}

function unite(a: readonly Interval[], b: readonly Interval[]): Interval[] {
  if (a.length === 0) return [...b];
  if (b.length === 0) return [...a];
  const all = [...a, ...b].sort((x, y) => (x.start < y.start ? -1 : x.start > y.start ? 1 : 0));
  const result: Interval[] = [];
  for (const interval of all) {
    const last = result[result.length - 1];
    if (last && interval.start <= last.end + 1n) {
      if (interval.end > last.end) result[result.length - 1] = { start: last.start, end: interval.end };
    } else result.push({ ...interval });
  }
  return result;
}

function intersectIntervals(a: readonly Interval[], b: readonly Interval[]): Interval[] {
  const result: Interval[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const x = a[i] as Interval;
    const y = b[j] as Interval;
    const start = x.start > y.start ? x.start : y.start;
    const end = x.end < y.end ? x.end : y.end;
    if (start <= end) result.push({ start, end });
    if (x.end < y.end) i++;
    else j++;
  }
  return result;
}

function subtractIntervals(a: readonly Interval[], b: readonly Interval[]): Interval[] {
  const result: Interval[] = [];
  let j = 0;
  for (const interval of a) {
    let start = interval.start;
    const end = interval.end;
    while (j < b.length && (b[j] as Interval).end < start) j++;
    let k = j;
    while (k < b.length && (b[k] as Interval).start <= end) {
      const cut = b[k] as Interval;
      if (cut.start > start) result.push({ start, end: cut.start - 1n });
      start = cut.end + 1n;
      if (start > end) break;
      k++;
    }
    if (start <= end) result.push({ start, end });
  }
  return result;
}

function sameIntervals(a: readonly Interval[], b: readonly Interval[]): boolean {
  return a.length === b.length && a.every((interval, index) => interval.start === b[index]?.start && interval.end === b[index]?.end);
}
