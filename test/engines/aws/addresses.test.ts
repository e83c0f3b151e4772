import { describe, expect, it } from 'vitest';
import { AddressSet, PUBLIC_INTERNET, canonicalCidr, describeSources, parseCidr } from '../../../src/engines/aws/addresses.js';

const set = (...cidrs: string[]) => AddressSet.fromCidrs(cidrs);

describe('parseCidr', () => {
  it('reads every spelling of the IPv6 default route', () => {
    expect(parseCidr('0::/0')?.text).toBe('::/0');
    expect(parseCidr('::/0')?.prefix).toBe(0);
    expect(parseCidr('0000:0000::/0')?.family).toBe('ipv6');
  });

  it('clears host bits as AWS stores them', () => {
    expect(canonicalCidr('10.0.3.7/16')).toBe('10.0.0.0/16');
  });

  it('treats a bare address as a host route', () => {
    expect(parseCidr('203.0.113.9')?.text).toBe('203.0.113.9/32');
    expect(parseCidr('2001:db8::1')?.text).toBe('2001:db8::1/128');
  });

  it('rejects text that is not an address', () => {
    expect(parseCidr('sg-0123')).toBeUndefined();
    expect(parseCidr('10.0.0.0/33')).toBeUndefined();
  });
});

describe('AddressSet', () => {
  it('subtracts a hole from a range', () => {
    expect(set('10.0.0.0/24').subtract(set('10.0.0.128/25')).toCidrs()).toEqual(['10.0.0.0/25']);
    expect(set('10.0.0.0/24').subtract(set('10.0.0.64/26')).toCidrs()).toEqual(['10.0.0.0/26', '10.0.0.128/25']);
  });

  it('merges adjacent ranges into one CIDR', () => {
    expect(set('10.0.0.0/25', '10.0.0.128/25').toCidrs()).toEqual(['10.0.0.0/24']);
  });

  it('keeps IPv4 and IPv6 apart', () => {
    expect(set('0.0.0.0/0').overlaps(set('::/0'))).toBe(false);
    expect(set('::/0').covers(set('2001:db8::/32'))).toBe(true);
  });

  it('intersects to the common part', () => {
    expect(set('10.0.0.0/16').intersect(set('10.0.5.0/24', '192.168.0.0/24')).toCidrs()).toEqual(['10.0.5.0/24']);
  });
});

describe('PUBLIC_INTERNET', () => {
  it('leaves out private and special-purpose blocks', () => {
    for (const cidr of ['10.1.2.3', '172.16.0.1', '192.168.1.1', '100.64.0.1', '169.254.169.254', '127.0.0.1', 'fd00::1', 'fe80::1']) {
      expect(PUBLIC_INTERNET.overlaps(set(cidr)), cidr).toBe(false);
    }
  });

  it('keeps public and documentation ranges', () => {
    for (const cidr of ['8.8.8.8', '203.0.113.0/24', '198.51.100.7', '2001:db8::1', '2600:1f18::1']) {
      expect(PUBLIC_INTERNET.covers(set(cidr)), cidr).toBe(true);
    }
  });
});

describe('describeSources', () => {
  it('names every public address 0.0.0.0/0', () => {
    expect(describeSources(PUBLIC_INTERNET.intersect(AddressSet.ALL_IPV4))).toBe('0.0.0.0/0');
  });

  it('names a NACL hole as an exception', () => {
    const admitted = PUBLIC_INTERNET.intersect(AddressSet.ALL_IPV4).subtract(set('198.51.100.0/24'));
    expect(describeSources(admitted)).toBe('0.0.0.0/0 except 198.51.100.0/24');
  });

  it('lists private addresses as they are', () => {
    expect(describeSources(set('10.20.0.57/32', '10.20.1.84/32'))).toBe('10.20.0.57/32, 10.20.1.84/32');
  });
});
