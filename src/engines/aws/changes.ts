import { Inventory } from '../../inventory/inventory.js';
import type * as m from '../../inventory/model.js';
import type { IpPermission, NetworkAclEntry } from '../../inventory/schemas/aws.js';
import type { SourceRef } from '../../inventory/source.js';
import { AddressSet, canonicalCidr, describeSources, familyOf } from './addresses.js';
import { computeExposure, internetExposure, type ExposurePath, type ExposureScope } from './exposure.js';
import { evaluateFlow, neededFlows, type FlowOutcome, type NeededFlow } from './flows.js';
import { ruleOwner } from './kubernetes.js';
import { networkOf, type AwsNetwork } from './network.js';
import { parseProtocol, protocolLabel } from './traffic.js';

// Proposed changes to the network, applied to a copy of the inventory so that the engine can evaluate
// them exactly as it evaluates the real network. Verification evaluates every needed flow on both
// versions: a flow that admits fewer addresses after the change is traffic the change would drop.

export interface SecurityGroupRuleSpec {
  /** `tcp`, `udp`, `icmp`, `icmpv6`, `-1` or a protocol number, as `IpProtocol` spells it. */
  ipProtocol: string;
  fromPort?: number;
  toPort?: number;
  /** An IPv4 or IPv6 CIDR. */
  cidr?: string;
  groupId?: string;
  prefixListId?: string;
  description?: string;
}

export interface NaclEntrySpec {
  ruleNumber: number;
  egress: boolean;
  /** `-1` or a protocol number, as `describe-network-acls` spells it. */
  protocol: string;
  action: 'allow' | 'deny';
  cidr: string;
  fromPort?: number;
  toPort?: number;
  icmpType?: number;
  icmpCode?: number;
  /** The entry's reason in a few words, rendered as a comment. */
  purpose: string;
}

export type NetworkChange =
  | { kind: 'revoke-security-group-ingress'; groupId: string; rule: SecurityGroupRuleSpec }
  | { kind: 'authorize-security-group-ingress'; groupId: string; rule: SecurityGroupRuleSpec }
  | { kind: 'replace-subnet-nacl'; networkAclId: string; vpcId: string; subnetIds: string[]; entries: NaclEntrySpec[] }
  | { kind: 'set-target-group-attribute'; targetGroupArn: string; key: string; value: string }
  | { kind: 'set-service-source-ranges'; namespace: string; name: string; ranges: string[] };

export interface FlowChange {
  flow: NeededFlow;
  before: FlowOutcome;
  after: FlowOutcome;
  /** Addresses that worked before and do not after. */
  lost: AddressSet;
}

export interface Verification {
  flowsChecked: number;
  /** Flows that pass through something the change edits; only these were evaluated again. */
  flowsAffected: number;
  /** Flows that worked before and lose addresses after the change. */
  cut: FlowChange[];
  /** Flows whose replies pass on only part of the ephemeral range after the change but not before. */
  newlyPartial: FlowChange[];
  /** Flows that were already blocked or unresolved before the change. */
  alreadyBroken: FlowOutcome[];
  /** Internet exposure paths the change removes, adds, or keeps with fewer source addresses. */
  exposureRemoved: ExposurePath[];
  exposureAdded: ExposurePath[];
  exposureNarrowed: ExposurePath[];
}

const PROPOSED: SourceRef = { file: '(proposed change)', path: '$' };

/** Returns a new inventory with the changes applied, leaving the original untouched. */
export function applyChanges(inventory: Inventory, changes: readonly NetworkChange[]): Inventory {
  const data = { ...inventory.data, present: new Set(inventory.data.present) };
  for (const change of changes) {
    switch (change.kind) {
      case 'revoke-security-group-ingress':
        data.securityGroups = data.securityGroups.map((group) => (group.GroupId === change.groupId ? { ...group, IpPermissions: revoke(group.IpPermissions, change.rule) } : group));
        break;
      case 'authorize-security-group-ingress':
        data.securityGroups = data.securityGroups.map((group) => (group.GroupId === change.groupId ? { ...group, IpPermissions: [...group.IpPermissions, permissionOf(change.rule)] } : group));
        break;
      case 'replace-subnet-nacl':
        data.networkAcls = [
          ...data.networkAcls.map((acl) => ({ ...acl, Associations: acl.Associations.filter((association) => !change.subnetIds.includes(association.SubnetId)) })),
          {
            NetworkAclId: change.networkAclId,
            VpcId: change.vpcId,
            IsDefault: false,
            Entries: naclEntries(change.entries),
            Associations: change.subnetIds.map((subnetId) => ({ SubnetId: subnetId })),
            source: PROPOSED,
          } as m.NetworkAcl,
        ];
        data.present.add('NetworkAcl');
        break;
      case 'set-target-group-attribute':
        data.targetGroups = data.targetGroups.map((group) => (group.TargetGroupArn === change.targetGroupArn ? { ...group, attributes: { ...(group.attributes ?? {}), [change.key]: change.value } } : group));
        break;
      case 'set-service-source-ranges':
        applySourceRanges(inventory, data, change);
        break;
    }
  }
  return new Inventory(data);
}

export interface VerifyOptions {
  flows?: NeededFlow[];
  /** Also compare internet exposure before and after (the costlier half); on by default. */
  exposure?: boolean;
}

/**
 * Evaluates the cluster's needed flows and, unless turned off, its internet exposure before and after
 * the changes. Only flows and targets that pass through a changed security group, subnet or target
 * group are evaluated again; the others cannot differ.
 */
export function verifyChanges(inventory: Inventory, changes: readonly NetworkChange[], options: VerifyOptions = {}): Verification {
  const flows = options.flows ?? neededFlows(inventory);
  const changed = applyChanges(inventory, changes);
  const before = networkOf(inventory);
  // The changed network shares every part the change leaves alone (see memoised in network.ts).
  // NOTE: flows through a changed group are evaluated again whole, so a change to a group that every node
  // carries costs a full evaluation of the load balancer flows per verified alternative.
  const after = networkOf(changed);
  const scope = scopeOf(before, changes);
  const cut: FlowChange[] = [];
  const newlyPartial: FlowChange[] = [];
  const base = baselineOf(before, flows);
  const alreadyBroken = base.broken;
  let flowsAffected = 0;
  for (const position of affectedFlows(flows, scope)) {
    const flow = flows[position] as NeededFlow;
    const was = base.outcomes[position] as FlowOutcome;
    if (was.status === 'blocked' || was.status === 'unresolved') continue;
    flowsAffected += 1;
    const is = evaluateFlow(after, flow);
    const lost = was.admitted.subtract(is.admitted);
    if (!lost.isEmpty() || is.status === 'blocked') cut.push({ flow, before: was, after: is, lost: lost.isEmpty() ? was.admitted : lost });
    else if (is.status === 'partial' && was.status !== 'partial') newlyPartial.push({ flow, before: was, after: is, lost });
  }
  const compare = options.exposure !== false;
  const only: ExposureScope = { enis: scope.enis, loadBalancers: scope.loadBalancers };
  const inScope = (path: ExposurePath) => (path.loadBalancer ? scope.loadBalancers.has(path.loadBalancer.name) : path.targetEni !== undefined && scope.enis.has(path.targetEni));
  const exposureBefore = compare ? internetExposure(inventory).paths.filter(inScope) : [];
  const exposureAfter = compare ? computeExposure(changed, { only }).paths : [];
  // A path is the same path when it reaches the same port the same way; its sources may shrink.
  const key = (path: ExposurePath) => `${path.target.kind}|${path.target.id}|${path.protocol}|${path.port}|${path.via}|${path.loadBalancer?.name ?? ''}|${path.loadBalancer?.listenerPort ?? ''}`;
  const afterByKey = new Map(exposureAfter.map((path) => [key(path), path]));
  const beforeKeys = new Set(exposureBefore.map(key));
  return {
    flowsChecked: flows.length,
    flowsAffected,
    cut,
    newlyPartial,
    alreadyBroken,
    exposureRemoved: exposureBefore.filter((path) => !afterByKey.has(key(path))),
    exposureAdded: exposureAfter.filter((path) => !beforeKeys.has(key(path))),
    exposureNarrowed: exposureBefore.filter((path) => {
      const later = afterByKey.get(key(path));
      return later !== undefined && later.admitted !== path.admitted;
    }),
  };
}

/** Describes a verification in sentences: what was checked, what would break, what it closes. */
export function describeVerification(verification: Verification): string {
  const lines: string[] = [];
  const working = verification.flowsChecked - verification.alreadyBroken.length;
  const checked = `Checked ${verification.flowsChecked} needed flows against the change (${verification.flowsAffected} pass through what it edits)`;
  if (verification.flowsChecked === 0) {
    // Missing input, not a pass: without nodes or load balancers in the snapshot there is nothing to check.
    lines.push('No flow the cluster needs passes through this change, because the snapshot shows no flow the cluster needs (it has no nodes or load balancers Rampart can place).');
  } else if (verification.flowsAffected === 0 && verification.cut.length === 0) {
    lines.push('No flow the cluster needs passes through this change.');
  } else if (verification.cut.length === 0) lines.push(`${checked}: all ${working} that work today keep working.`);
  else {
    lines.push(`${checked}: ${verification.cut.length} would be cut:`);
    for (const change of verification.cut.slice(0, 12)) {
      const where = change.after.blockedAt ? ` (blocked at ${change.after.blockedAt.id}: ${change.after.blockedAt.detail})` : '';
      lines.push(`- ${change.flow.description}: loses ${describeSources(change.lost, 3)}${where}`);
    }
    if (verification.cut.length > 12) lines.push(`- and ${verification.cut.length - 12} more`);
  }
  for (const change of verification.newlyPartial.slice(0, 5)) lines.push(`- ${change.flow.description}: replies pass on only part of the ephemeral range 1024-65535 afterwards`);
  if (verification.newlyPartial.length > 5) lines.push(`- and ${verification.newlyPartial.length - 5} more whose replies pass on only part of the range`);
  if (verification.alreadyBroken.length > 0) lines.push(`${verification.alreadyBroken.length} flow(s) were already blocked or unresolved before the change and were not judged.`);
  const effects = [
    verification.exposureRemoved.length > 0 ? `removes ${verification.exposureRemoved.length} internet exposure path(s)` : '',
    verification.exposureNarrowed.length > 0 ? `narrows the sources of ${verification.exposureNarrowed.length}` : '',
    verification.exposureAdded.length > 0 ? `adds ${verification.exposureAdded.length}` : '',
  ].filter(Boolean);
  if (effects.length > 0) lines.push(`It ${effects.join(', ')}.`);
  return lines.join('\n');
}

// --- scope --------------------------------------------------------------------------------------

interface ChangeScope {
  groups: Set<string>;
  subnets: Set<string>;
  targetGroups: Set<string>;
  /** Interfaces and load balancers (by name) whose exposure the change can alter. */
  enis: Set<string>;
  loadBalancers: Set<string>;
}

/** Finds what a set of changes can affect, in the network before the changes. */
function scopeOf(network: AwsNetwork, changes: readonly NetworkChange[]): ChangeScope {
  const groups = new Set<string>();
  const subnets = new Set<string>();
  const targetGroups = new Set<string>();
  for (const change of changes) {
    switch (change.kind) {
      case 'revoke-security-group-ingress':
      case 'authorize-security-group-ingress':
        groups.add(change.groupId);
        break;
      case 'replace-subnet-nacl':
        for (const subnet of change.subnetIds) subnets.add(subnet);
        break;
      case 'set-target-group-attribute':
        targetGroups.add(change.targetGroupArn);
        break;
      case 'set-service-source-ranges':
        // The controller rewrites its rules wherever they are, so every group that contains one is affected.
        for (const group of network.securityGroups.values()) if (group.ingress.some((rule) => ruleOwner(rule)?.controller === 'in-tree')) groups.add(group.id);
        break;
    }
  }
  const enis = new Set<string>();
  for (const group of groups) for (const eni of network.enisByGroup.get(group) ?? []) enis.add(eni.id);
  for (const subnet of subnets) for (const eni of network.enisBySubnet.get(subnet) ?? []) enis.add(eni.id);
  const loadBalancers = new Set(
    network.loadBalancers
      .filter(
        (lb) =>
          lb.securityGroups.some((group) => groups.has(group)) ||
          lb.enis.some((eni) => enis.has(eni.id)) ||
          lb.listeners.some((listener) => listener.targetGroups.some((group) => targetGroups.has(group.arn) || group.targets.some((target) => target.eni !== undefined && enis.has(target.eni.id)))),
      )
      .map((lb) => lb.name),
  );
  return { groups, subnets, targetGroups, enis, loadBalancers };
}

interface FlowIndex {
  byGroup: Map<string, number[]>;
  bySubnet: Map<string, number[]>;
  byTargetGroup: Map<string, number[]>;
  /** Flows that do not say what they touch: every change may affect them. */
  always: number[];
}

const flowIndexes = new WeakMap<NeededFlow[], FlowIndex>();

/** Positions, in order, of the flows that pass through a changed group, subnet or target group. */
function affectedFlows(flows: NeededFlow[], scope: ChangeScope): number[] {
  let index = flowIndexes.get(flows);
  if (!index) {
    index = { byGroup: new Map(), bySubnet: new Map(), byTargetGroup: new Map(), always: [] };
    const add = (map: Map<string, number[]>, key: string, position: number) => {
      const list = map.get(key);
      if (list) list.push(position);
      else map.set(key, [position]);
    };
    for (const [position, flow] of flows.entries()) {
      if (!flow.touches) index.always.push(position);
      for (const group of flow.touches?.groups ?? []) add(index.byGroup, group, position);
      for (const subnet of flow.touches?.subnets ?? []) add(index.bySubnet, subnet, position);
      for (const group of flow.touches?.targetGroups ?? []) add(index.byTargetGroup, group, position);
    }
    flowIndexes.set(flows, index);
  }
  const positions = new Set(index.always);
  for (const group of scope.groups) for (const position of index.byGroup.get(group) ?? []) positions.add(position);
  for (const subnet of scope.subnets) for (const position of index.bySubnet.get(subnet) ?? []) positions.add(position);
  for (const group of scope.targetGroups) for (const position of index.byTargetGroup.get(group) ?? []) positions.add(position);
  return [...positions].sort((a, b) => a - b);
}


const baselines = new WeakMap<AwsNetwork, WeakMap<NeededFlow[], { outcomes: FlowOutcome[]; broken: FlowOutcome[] }>>();

/** Evaluates the flows on the unchanged network once, however many fixes are verified. */
function baselineOf(network: AwsNetwork, flows: NeededFlow[]): { outcomes: FlowOutcome[]; broken: FlowOutcome[] } {
  let perFlows = baselines.get(network);
  if (!perFlows) {
    perFlows = new WeakMap();
    baselines.set(network, perFlows);
  }
  let result = perFlows.get(flows);
  if (!result) {
    const outcomes = flows.map((flow) => evaluateFlow(network, flow));
    result = { outcomes, broken: outcomes.filter((outcome) => outcome.status === 'blocked' || outcome.status === 'unresolved') };
    perFlows.set(flows, result);
  }
  return result;
}

// --- helpers ------------------------------------------------------------------------------------

function revoke(permissions: IpPermission[], rule: SecurityGroupRuleSpec): IpPermission[] {
  const protocol = parseProtocol(rule.ipProtocol);
  return permissions.flatMap((permission) => {
    if (parseProtocol(permission.IpProtocol) !== protocol || !samePorts(permission, rule)) return [permission];
    const kept: IpPermission = {
      ...permission,
      IpRanges: permission.IpRanges.filter((entry) => !(rule.cidr && canonicalCidr(entry.CidrIp) === canonicalCidr(rule.cidr))),
      Ipv6Ranges: permission.Ipv6Ranges.filter((entry) => !(rule.cidr && canonicalCidr(entry.CidrIpv6) === canonicalCidr(rule.cidr))),
      UserIdGroupPairs: permission.UserIdGroupPairs.filter((entry) => !(rule.groupId && entry.GroupId === rule.groupId)),
      PrefixListIds: permission.PrefixListIds.filter((entry) => !(rule.prefixListId && entry.PrefixListId === rule.prefixListId)),
    };
    const empty = kept.IpRanges.length + kept.Ipv6Ranges.length + kept.UserIdGroupPairs.length + kept.PrefixListIds.length === 0;
    return empty ? [] : [kept];
  });
}

function samePorts(permission: IpPermission, rule: SecurityGroupRuleSpec): boolean {
  const protocol = parseProtocol(rule.ipProtocol);
  if (protocol === 'all') return true;
  const normalise = (value: number | undefined) => (value === undefined || value < 0 ? -1 : value);
  return normalise(permission.FromPort) === normalise(rule.fromPort) && normalise(permission.ToPort) === normalise(rule.toPort);
}

export function permissionOf(rule: SecurityGroupRuleSpec): IpPermission {
  const description = rule.description ? { Description: rule.description } : {};
  const family = rule.cidr ? familyOf(rule.cidr) : undefined;
  return {
    IpProtocol: rule.ipProtocol,
    ...(rule.fromPort === undefined ? {} : { FromPort: rule.fromPort }),
    ...(rule.toPort === undefined ? {} : { ToPort: rule.toPort }),
    // Anything but an IPv6 CIDR goes to IpRanges, so that a placeholder such as VPC_CIDR is written where the user expects it.
    IpRanges: rule.cidr && family !== 'ipv6' ? [{ CidrIp: rule.cidr, ...description }] : [],
    Ipv6Ranges: rule.cidr && family === 'ipv6' ? [{ CidrIpv6: rule.cidr, ...description }] : [],
    UserIdGroupPairs: rule.groupId ? [{ GroupId: rule.groupId, ...description }] : [],
    PrefixListIds: rule.prefixListId ? [{ PrefixListId: rule.prefixListId, ...description }] : [],
  };
}

/** Entries as `describe-network-acls` prints them, with the default deny entries AWS adds to every NACL. */
function naclEntries(specs: NaclEntrySpec[]): NetworkAclEntry[] {
  const entries: NetworkAclEntry[] = specs.map((spec) => {
    const family = familyOf(spec.cidr);
    return {
      RuleNumber: spec.ruleNumber,
      Protocol: spec.protocol,
      RuleAction: spec.action,
      Egress: spec.egress,
      ...(family === 'ipv6' ? { Ipv6CidrBlock: spec.cidr } : { CidrBlock: spec.cidr }),
      ...(spec.fromPort === undefined ? {} : { PortRange: { From: spec.fromPort, To: spec.toPort ?? spec.fromPort } }),
      ...(spec.icmpType === undefined ? {} : { IcmpTypeCode: { Type: spec.icmpType, Code: spec.icmpCode ?? -1 } }),
    };
  });
  for (const egress of [false, true]) {
    entries.push({ RuleNumber: 32767, Protocol: '-1', RuleAction: 'deny', Egress: egress, CidrBlock: '0.0.0.0/0' });
    entries.push({ RuleNumber: 32768, Protocol: '-1', RuleAction: 'deny', Egress: egress, Ipv6CidrBlock: '::/0' });
  }
  return entries;
}

/**
 * Simulates the cloud controller after `spec.loadBalancerSourceRanges` changes: the in-tree provider
 * rewrites its client and MTU rules for the Service's load balancer to admit exactly those ranges.
 */
function applySourceRanges(inventory: Inventory, data: Inventory['data'], change: Extract<NetworkChange, { kind: 'set-service-source-ranges' }>): void {
  const service = inventory.service(change.namespace, change.name);
  if (!service) return;
  data.services = data.services.map((candidate) => (candidate === service ? { ...service, spec: { ...service.spec, loadBalancerSourceRanges: change.ranges } } : candidate));
  const network = networkOf(inventory);
  const info = network.services.find((candidate) => candidate.namespace === change.namespace && candidate.name === change.name);
  const lbNames = new Set<string>([...network.loadBalancers.filter((lb) => info !== undefined && lb.services.includes(info)).map((lb) => lb.name), ...(info?.inTreeName ? [info.inTreeName] : [])]);
  const owned = new Set(
    [...network.securityGroups.values()]
      .flatMap((group) => group.ingress)
      .filter((rule) => {
        const owner = ruleOwner(rule);
        return owner?.controller === 'in-tree' && (owner.role === 'client' || owner.role === 'mtu') && (!owner.loadBalancerName || lbNames.has(owner.loadBalancerName));
      })
      .map((rule) => `${rule.source.file}|${rule.source.path}`),
  );
  const v4 = change.ranges.filter((range) => familyOf(range) === 'ipv4');
  const v6 = change.ranges.filter((range) => familyOf(range) === 'ipv6');
  data.securityGroups = data.securityGroups.map((group) => ({
    ...group,
    IpPermissions: group.IpPermissions.map((permission, index) => {
      const base = `${group.source.file}|${group.source.path}.IpPermissions[${index}]`;
      const ownedRanges = permission.IpRanges.filter((_, rangeIndex) => owned.has(`${base}.IpRanges[${rangeIndex}]`));
      if (ownedRanges.length === 0) return permission;
      const description = ownedRanges[0]?.Description;
      return {
        ...permission,
        IpRanges: [...permission.IpRanges.filter((_, rangeIndex) => !owned.has(`${base}.IpRanges[${rangeIndex}]`)), ...v4.map((cidr) => ({ CidrIp: cidr, ...(description ? { Description: description } : {}) }))],
        Ipv6Ranges: [...permission.Ipv6Ranges, ...v6.map((cidr) => ({ CidrIpv6: cidr, ...(description ? { Description: description } : {}) }))],
      };
    }),
  }));
}

/** Describes a rule spec in one line: `tcp 30080 from 0.0.0.0/0`. */
export function describeRuleSpec(rule: SecurityGroupRuleSpec): string {
  const protocol = parseProtocol(rule.ipProtocol) ?? 'all';
  let ports = '';
  if (rule.fromPort !== undefined && rule.fromPort >= 0) ports = rule.toPort === undefined || rule.toPort === rule.fromPort ? ` ${rule.fromPort}` : ` ${rule.fromPort}-${rule.toPort}`;
  const peer = rule.cidr ?? rule.groupId ?? rule.prefixListId ?? '?';
  return `${protocolLabel(protocol)}${ports} from ${peer}`;
}

