import { expect } from 'vitest';
import type { Inventory } from '../../../src/inventory/inventory.js';
import { loadDocuments } from '../../../src/inventory/load.js';

/** Builds an inventory from real-format documents and fails the test on any input problem. */
export function inventoryOf(files: Record<string, unknown[]>): Inventory {
  const load = loadDocuments(files);
  expect(load.problems.filter((problem) => problem.level === 'error')).toEqual([]);
  return load.inventory;
}

/** Builds one `IpPermissions` entry as `describe-security-groups` prints it. */
export function permission(ipProtocol: string, fromPort: number | undefined, toPort: number | undefined, peers: { cidr?: string; cidr6?: string; group?: string; prefixList?: string; description?: string }): Record<string, unknown> {
  const description = peers.description ? { Description: peers.description } : {};
  return {
    IpProtocol: ipProtocol,
    ...(fromPort === undefined ? {} : { FromPort: fromPort }),
    ...(toPort === undefined ? {} : { ToPort: toPort }),
    IpRanges: peers.cidr ? [{ CidrIp: peers.cidr, ...description }] : [],
    Ipv6Ranges: peers.cidr6 ? [{ CidrIpv6: peers.cidr6, ...description }] : [],
    PrefixListIds: peers.prefixList ? [{ PrefixListId: peers.prefixList, ...description }] : [],
    UserIdGroupPairs: peers.group ? [{ GroupId: peers.group, UserId: '111122223333', ...description }] : [],
  };
}

/** Builds one NACL entry as `describe-network-acls` prints it. */
export function naclEntry(ruleNumber: number, egress: boolean, protocol: string, action: 'allow' | 'deny', cidr: string, ports?: [number, number]): Record<string, unknown> {
  return {
    ...(cidr.includes(':') ? { Ipv6CidrBlock: cidr } : { CidrBlock: cidr }),
    Egress: egress,
    Protocol: protocol,
    RuleAction: action,
    RuleNumber: ruleNumber,
    ...(ports ? { PortRange: { From: ports[0], To: ports[1] } } : {}),
  };
}

/** Builds the default deny entries AWS adds to every NACL. */
export function defaultDenies(): Array<Record<string, unknown>> {
  return [naclEntry(32767, false, '-1', 'deny', '0.0.0.0/0'), naclEntry(32767, true, '-1', 'deny', '0.0.0.0/0')];
}
