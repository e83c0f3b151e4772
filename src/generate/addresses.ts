import ipaddr from 'ipaddr.js';

/** AWS reserves the first four addresses and the last one of every subnet. */
const RESERVED_AT_START = 4;
const RESERVED_AT_END = 1;

/** Hands out consecutive host addresses of one IPv4 subnet, skipping the addresses AWS reserves. */
export class AddressPool {
  readonly cidr: string;
  readonly capacity: number;
  private readonly base: number;
  private used = 0;

  constructor(cidr: string) {
    const [network, prefixLength] = ipaddr.IPv4.parseCIDR(cidr);
    this.cidr = cidr;
    this.base = toNumber(network);
    this.capacity = 2 ** (32 - prefixLength) - RESERVED_AT_START - RESERVED_AT_END;
  }

  get free(): number {
    return this.capacity - this.used;
  }

  next(): string {
    if (this.used >= this.capacity) throw new RangeError(`subnet ${this.cidr} has no free address left`);
    const address = fromNumber(this.base + RESERVED_AT_START + this.used);
    this.used += 1;
    return address;
  }
}

/** Returns the `index`-th block of `prefixLength` bits inside `parent`, such as the third /18 of 100.64.0.0/16. */
export function subdivide(parent: string, prefixLength: number, index: number): string {
  const [network, parentLength] = ipaddr.IPv4.parseCIDR(parent);
  if (prefixLength < parentLength || index >= 2 ** (prefixLength - parentLength)) {
    throw new RangeError(`${parent} has no block ${index} of prefix length ${prefixLength}`);
  }
  return `${fromNumber(toNumber(network) + index * 2 ** (32 - prefixLength))}/${prefixLength}`;
}

/** Returns the address `offset` places after the start of `cidr`, reserved addresses included. */
export function addressAt(cidr: string, offset: number): string {
  const [network] = ipaddr.IPv4.parseCIDR(cidr);
  return fromNumber(toNumber(network) + offset);
}

/** Returns the EC2 private DNS name of an address: `ip-10-0-64-4.eu-west-1.compute.internal`. */
export function privateDnsName(address: string, region: string): string {
  return `ip-${address.replaceAll('.', '-')}.${region}.compute.internal`;
}

function toNumber(address: ipaddr.IPv4): number {
  return address.toByteArray().reduce((value, byte) => value * 256 + byte, 0);
}

function fromNumber(value: number): string {
  return new ipaddr.IPv4([(value >>> 24) & 255, (value >>> 16) & 255, (value >>> 8) & 255, value & 255]).toString();
}
