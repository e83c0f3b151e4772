import { describe, expect, it } from 'vitest';
import { AddressSet } from '../../../src/engines/aws/addresses.js';
import { allowsEverything, evaluateNacl, type CompiledNacl } from '../../../src/engines/aws/nacl.js';
import { buildNetwork } from '../../../src/engines/aws/network.js';
import { TCP, UDP } from '../../../src/engines/aws/traffic.js';
import { defaultDenies, inventoryOf, naclEntry } from './support.js';

// NACL semantics from the VPC documentation ("Network ACL basics"): entries are evaluated from the
// lowest rule number, the first match decides, and traffic no entry matches is denied.

function compile(entries: Array<Record<string, unknown>>): CompiledNacl {
  const inventory = inventoryOf({ 'nacl.json': [{ NetworkAcls: [{ NetworkAclId: 'acl-0a', VpcId: 'vpc-1', IsDefault: false, Associations: [], Entries: entries }] }] });
  return buildNetwork(inventory).nacls.get('acl-0a') as CompiledNacl;
}

const all = (cidr: string) => AddressSet.parse(cidr) as AddressSet;

describe('NACL evaluation', () => {
  it('lets a deny with a lower number win over a later allow', () => {
    const acl = compile([naclEntry(90, false, '6', 'deny', '203.0.113.0/24', [22, 22]), naclEntry(100, false, '-1', 'allow', '0.0.0.0/0'), ...defaultDenies()]);
    const result = evaluateNacl(acl, 'ingress', TCP, [22, 22], all('203.0.113.0/23'));
    expect(result.allowed.toCidrs()).toEqual(['203.0.112.0/24']);
    expect(result.denied.toCidrs()).toEqual(['203.0.113.0/24']);
  });

  it('lets an allow with a lower number win over a later deny', () => {
    const acl = compile([naclEntry(80, false, '6', 'allow', '203.0.113.0/24', [22, 22]), naclEntry(90, false, '-1', 'deny', '0.0.0.0/0'), ...defaultDenies()]);
    expect(evaluateNacl(acl, 'ingress', TCP, [22, 22], all('203.0.113.9')).allowed.toCidrs()).toEqual(['203.0.113.9/32']);
  });

  it('denies what no entry matches', () => {
    const acl = compile([naclEntry(100, false, '6', 'allow', '0.0.0.0/0', [443, 443]), ...defaultDenies()]);
    expect(evaluateNacl(acl, 'ingress', TCP, [22, 22], all('0.0.0.0/0')).allowed.isEmpty()).toBe(true);
    expect(evaluateNacl(acl, 'ingress', UDP, [443, 443], all('0.0.0.0/0')).allowed.isEmpty()).toBe(true);
  });

  it('keeps directions apart', () => {
    const acl = compile([naclEntry(100, true, '-1', 'allow', '0.0.0.0/0'), ...defaultDenies()]);
    expect(evaluateNacl(acl, 'ingress', TCP, [443, 443], all('0.0.0.0/0')).allowed.isEmpty()).toBe(true);
    expect(evaluateNacl(acl, 'egress', TCP, [443, 443], all('0.0.0.0/0')).allowed.isEmpty()).toBe(false);
  });

  it('does not let an IPv4 entry match IPv6 traffic', () => {
    const acl = compile([naclEntry(100, false, '-1', 'allow', '0.0.0.0/0'), naclEntry(101, false, '-1', 'deny', '::/0'), ...defaultDenies()]);
    expect(evaluateNacl(acl, 'ingress', TCP, [443, 443], all('2001:db8::1')).allowed.isEmpty()).toBe(true);
  });

  it('distinguishes part of a port range from all of it', () => {
    // Return traffic on ephemeral ports: an entry for 32768-65535 covers Linux clients but not all.
    const acl = compile([naclEntry(100, true, '6', 'allow', '0.0.0.0/0', [32768, 65535]), ...defaultDenies()]);
    expect(evaluateNacl(acl, 'egress', TCP, [1024, 65535], all('203.0.113.9'), 'every').allowed.isEmpty()).toBe(true);
    expect(evaluateNacl(acl, 'egress', TCP, [1024, 65535], all('203.0.113.9'), 'any').allowed.isEmpty()).toBe(false);
  });

  it('recognises an allow-all NACL and one with a deny', () => {
    const open = compile([naclEntry(100, false, '-1', 'allow', '0.0.0.0/0'), ...defaultDenies()]);
    expect(allowsEverything(open, 'ingress', all('0.0.0.0/0'))).toBe(true);
    const guarded = compile([naclEntry(50, false, '6', 'deny', '0.0.0.0/0', [22, 22]), naclEntry(100, false, '-1', 'allow', '0.0.0.0/0'), ...defaultDenies()]);
    expect(allowsEverything(guarded, 'ingress', all('0.0.0.0/0'))).toBe(false);
  });
});
