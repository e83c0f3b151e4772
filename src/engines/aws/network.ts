import type { Inventory } from '../../inventory/inventory.js';
import type * as m from '../../inventory/model.js';
import type { Route } from '../../inventory/schemas/aws.js';
import { childSource, type SourceRef } from '../../inventory/source.js';
import { AddressSet } from './addresses.js';
import { buildServices, type ServiceInfo } from './kubernetes.js';
import { buildLoadBalancers, type LoadBalancerInfo } from './load-balancers.js';
import { compileNacl, type CompiledNacl, type NaclDecision } from './nacl.js';
import { compileSecurityGroup, type CompiledSecurityGroup } from './security-groups.js';
import { compareText } from '../../compare.js';

// The indexed view of an inventory that every evaluation reads: security groups compiled once, network
// interfaces indexed by group and instance, each subnet resolved to its NACL and route table. It is
// built once per inventory and never changed; a proposed fix builds a new one from edited data.

export type EniRole = 'node' | 'instance' | 'load-balancer' | 'nat-gateway' | 'eks-control-plane' | 'vpc-endpoint' | 'other';

export interface Eni {
  id: string;
  subnetId?: string;
  vpcId?: string;
  az?: string;
  privateIps: string[];
  publicIps: string[];
  ipv6: string[];
  /** Private IPv4 and IPv6 addresses: what the interface's packets carry inside the VPC. */
  addresses: AddressSet;
  groups: string[];
  role: EniRole;
  instanceId?: string;
  deviceIndex?: number;
  /** `net/NAME/ID` or `app/NAME/ID` for an Elastic Load Balancing interface. */
  loadBalancerKey?: string;
  description?: string;
  /** True when built from `describe-instances` because `describe-network-interfaces` is not in the snapshot. */
  synthesised?: boolean;
  source: SourceRef;
}

export type SubnetTier = 'public' | 'private' | 'isolated' | 'unknown';

export interface RouteSet {
  /** Destinations this subnet routes to the target kind, after longest-prefix match. */
  addresses: AddressSet;
  targets: string[];
}

export interface SubnetInfo {
  id: string;
  vpcId: string;
  az?: string;
  cidrs: AddressSet;
  cidrTexts: string[];
  mapPublicIpOnLaunch: boolean;
  /** Undefined when the snapshot has no NACL for this subnet (no `describe-network-acls` output). */
  nacl?: CompiledNacl;
  routeTableId?: string;
  routeTableSource?: SourceRef;
  /** Undefined when the snapshot has no route table for this subnet. */
  internet?: RouteSet;
  nat?: RouteSet;
  tier: SubnetTier;
  source: SourceRef;
}

export interface VpcInfo {
  id: string;
  cidrs: AddressSet;
  cidrTexts: string[];
  /** True when describe-vpcs lists the VPC. When only subnets name it, `cidrs` contains just their CIDRs. */
  described: boolean;
  internetGateways: string[];
  source: SourceRef;
}

export interface ClusterInfo {
  name: string;
  vpcId?: string;
  clusterSecurityGroupId?: string;
  securityGroupIds: string[];
  subnetIds: string[];
  endpointPublicAccess: boolean;
  endpointPrivateAccess: boolean;
  publicAccessCidrs: string[];
  region?: string;
  source: SourceRef;
}

export interface AwsNetwork {
  inventory: Inventory;
  vpcs: Map<string, VpcInfo>;
  subnets: Map<string, SubnetInfo>;
  nacls: Map<string, CompiledNacl>;
  securityGroups: Map<string, CompiledSecurityGroup>;
  /** Every network interface, sorted by id. */
  enis: Eni[];
  eniById: Map<string, Eni>;
  enisByGroup: Map<string, Eni[]>;
  enisByInstance: Map<string, Eni[]>;
  enisBySubnet: Map<string, Eni[]>;
  /** Instances that run Kubernetes nodes. */
  nodeInstanceIds: Set<string>;
  loadBalancers: LoadBalancerInfo[];
  services: ServiceInfo[];
  clusters: ClusterInfo[];
  /** Inputs the engine could not use, each a sentence for the report's coverage. */
  notModelled: string[];
  /** NACL decisions per (NACL, direction, protocol, piece), shared by every evaluation on this network. */
  naclCache: Map<string, NaclDecision[]>;
  /** Results of the target side of legs, shared by interfaces with the same subnet and groups. */
  legCache: Map<string, unknown>;
}

const networks = new WeakMap<Inventory, AwsNetwork>();

/** Returns the network of an inventory, built on first use and kept for the inventory's lifetime. */
export function networkOf(inventory: Inventory): AwsNetwork {
  let network = networks.get(inventory);
  if (!network) {
    network = buildNetwork(inventory);
    networks.set(inventory, network);
  }
  return network;
}

export function buildNetwork(inventory: Inventory): AwsNetwork {
  const data = inventory.data;
  const notModelled: string[] = [];

  const prefixLists = new Map(data.prefixLists.map((list) => [list.PrefixListId, list]));
  const securityGroups = new Map(data.securityGroups.map((group) => [group.GroupId, compiledGroup(group, prefixLists)]));
  const nacls = new Map(data.networkAcls.map((acl) => [acl.NetworkAclId, compiledNacl(acl)]));

  const hasNacls = inventory.has('NetworkAcl');
  const vpcs = memoised(vpcCache, [data.vpcs, data.internetGateways, data.subnets], notModelled, () => buildVpcs(data));
  const subnets = memoised(subnetCache, [data.subnets, vpcs, data.networkAcls, data.routeTables, data.prefixLists, hasNacls], notModelled, (notes) => buildSubnets(inventory, vpcs, nacls, prefixLists, notes));
  const { clusters, nodeInstanceIds, enis, eniById, enisByGroup, enisByInstance, enisBySubnet, notes } = eniIndex(inventory);
  notModelled.push(...notes);

  const services = memoised(serviceCache, [data.services], notModelled, () => buildServices(inventory));
  const loadBalancers = memoised(loadBalancerCache, [data.loadBalancers, data.targetGroups, data.listeners, services, enis, subnets, nodeInstanceIds], notModelled, (notes) =>
    buildLoadBalancers(inventory, { enis, enisByInstance, subnets, nodeInstanceIds, services, notModelled: notes }),
  );

  const unresolved = new Set<string>();
  for (const group of securityGroups.values()) for (const id of unresolvedPrefixLists(group)) unresolved.add(id);
  if (unresolved.size > 0) notModelled.push(`prefix lists ${[...unresolved].sort().join(', ')} have no entries in the snapshot (ec2-get-managed-prefix-list-entries.<id>.json), so rules that use them are unresolved`);
  if (!inventory.has('NetworkAcl')) notModelled.push('no describe-network-acls output: NACL hops are not evaluated and paths through them are unresolved');
  if (!inventory.has('RouteTable')) notModelled.push('no describe-route-tables output: internet and NAT routes are unknown and internet paths are unresolved');

  return {
    inventory,
    vpcs,
    subnets,
    nacls,
    securityGroups,
    enis,
    eniById,
    enisByGroup,
    enisByInstance,
    enisBySubnet,
    nodeInstanceIds,
    loadBalancers,
    services,
    clusters,
    notModelled: [...new Set(notModelled)].sort(),
    naclCache: new Map(),
    legCache: new Map(),
  };
}

// A proposed change copies only the arrays it edits, so the versions of a network share every part built
// from arrays the change leaves alone. Each cache is keyed by its first input and keeps the last result.
interface Memo<T> {
  inputs: readonly unknown[];
  value: T;
  notes: string[];
}

const vpcCache = new WeakMap<object, Memo<Map<string, VpcInfo>>>();
const subnetCache = new WeakMap<object, Memo<Map<string, SubnetInfo>>>();
const serviceCache = new WeakMap<object, Memo<ServiceInfo[]>>();
const loadBalancerCache = new WeakMap<object, Memo<LoadBalancerInfo[]>>();

/** Returns the part built from these inputs, building it when any input differs by identity from the cached one's. */
function memoised<T>(cache: WeakMap<object, Memo<T>>, inputs: readonly [object, ...unknown[]], notModelled: string[], build: (notes: string[]) => T): T {
  const cached = cache.get(inputs[0]);
  if (cached && cached.inputs.every((input, index) => input === inputs[index])) {
    notModelled.push(...cached.notes);
    return cached.value;
  }
  const notes: string[] = [];
  const value = build(notes);
  cache.set(inputs[0], { inputs, value, notes });
  notModelled.push(...notes);
  return value;
}

interface EniIndex {
  clusters: ClusterInfo[];
  nodeInstanceIds: Set<string>;
  enis: Eni[];
  eniById: Map<string, Eni>;
  enisByGroup: Map<string, Eni[]>;
  enisByInstance: Map<string, Eni[]>;
  enisBySubnet: Map<string, Eni[]>;
  notes: string[];
}

const eniIndexes = new WeakMap<object, { inputs: unknown[]; index: EniIndex }>();

/**
 * Builds the interfaces and their indexes. Proposed changes never edit interfaces, instances, nodes or
 * clusters, so every version of a network built from the same arrays shares one index.
 */
function eniIndex(inventory: Inventory): EniIndex {
  const data = inventory.data;
  const inputs = [data.networkInterfaces, data.instances, data.nodes, data.eksClusters];
  const cached = eniIndexes.get(data.networkInterfaces);
  if (cached && cached.inputs.every((input, index) => input === inputs[index])) return cached.index;
  const notes: string[] = [];
  const clusters = buildClusters(data.eksClusters);
  const nodeInstanceIds = findNodeInstances(inventory, clusters);
  const enis = buildEnis(inventory, nodeInstanceIds, clusters, notes);
  const eniById = new Map(enis.map((eni) => [eni.id, eni]));
  const enisByGroup = new Map<string, Eni[]>();
  const enisByInstance = new Map<string, Eni[]>();
  const enisBySubnet = new Map<string, Eni[]>();
  for (const eni of enis) {
    for (const group of eni.groups) push(enisByGroup, group, eni);
    if (eni.instanceId) push(enisByInstance, eni.instanceId, eni);
    if (eni.subnetId) push(enisBySubnet, eni.subnetId, eni);
  }
  const index = { clusters, nodeInstanceIds, enis, eniById, enisByGroup, enisByInstance, enisBySubnet, notes };
  eniIndexes.set(data.networkInterfaces, { inputs, index });
  return index;
}

// A proposed change copies only the objects it edits, so the versions of a network share the
// compilation of everything else. Prefix lists are part of the key because rules resolve them.
const compiledGroups = new WeakMap<m.SecurityGroup, { prefixLists: Map<string, m.ManagedPrefixList>; group: CompiledSecurityGroup }>();
const compiledNacls = new WeakMap<m.NetworkAcl, CompiledNacl>();

function compiledGroup(group: m.SecurityGroup, prefixLists: Map<string, m.ManagedPrefixList>): CompiledSecurityGroup {
  const cached = compiledGroups.get(group);
  if (cached && samePrefixLists(cached.prefixLists, prefixLists)) return cached.group;
  const compiled = compileSecurityGroup(group, prefixLists);
  compiledGroups.set(group, { prefixLists, group: compiled });
  return compiled;
}

const unresolvedByGroup = new WeakMap<CompiledSecurityGroup, string[]>();

/** Returns the prefix lists that the group's rules name and whose entries the snapshot lacks. */
function unresolvedPrefixLists(group: CompiledSecurityGroup): string[] {
  let ids = unresolvedByGroup.get(group);
  if (!ids) {
    ids = [];
    for (const rule of [...group.ingress, ...group.egress]) if (rule.peer.kind === 'prefix-list' && rule.peer.addresses === undefined) ids.push(rule.peer.prefixListId);
    unresolvedByGroup.set(group, ids);
  }
  return ids;
}

function compiledNacl(acl: m.NetworkAcl): CompiledNacl {
  let compiled = compiledNacls.get(acl);
  if (!compiled) {
    compiled = compileNacl(acl);
    compiledNacls.set(acl, compiled);
  }
  return compiled;
}

function samePrefixLists(a: Map<string, m.ManagedPrefixList>, b: Map<string, m.ManagedPrefixList>): boolean {
  if (a === b) return true;
  if (a.size !== b.size) return false;
  for (const [id, list] of a) if (b.get(id) !== list) return false;
  return true;
}

export function groupsOf(network: AwsNetwork, ids: readonly string[]): CompiledSecurityGroup[] {
  return ids.flatMap((id) => {
    const group = network.securityGroups.get(id);
    return group ? [group] : [];
  });
}

/** Finds the subnet of a VPC that contains an address. */
export function subnetOfAddress(network: AwsNetwork, vpcId: string | undefined, address: AddressSet): SubnetInfo | undefined {
  for (const subnet of network.subnets.values()) {
    if (vpcId && subnet.vpcId !== vpcId) continue;
    if (subnet.cidrs.covers(address)) return subnet;
  }
  return undefined;
}

/** Returns the CIDRs of one VPC, or of every VPC in the snapshot. */
export function vpcAddresses(network: AwsNetwork, vpcId?: string): AddressSet {
  let result = AddressSet.EMPTY;
  for (const vpc of network.vpcs.values()) if (!vpcId || vpc.id === vpcId) result = result.union(vpc.cidrs);
  return result;
}

// --- VPCs and subnets ---------------------------------------------------------------------------

function buildVpcs(data: Inventory['data']): Map<string, VpcInfo> {
  const vpcs = new Map<string, VpcInfo>();
  for (const vpc of data.vpcs) {
    // A block that is being or has been disassociated, or whose association failed, no longer belongs to the VPC.
    const live = (state: { State?: string } | undefined) => state?.State === undefined || state.State === 'associated' || state.State === 'associating';
    const texts = [
      vpc.CidrBlock,
      ...(vpc.CidrBlockAssociationSet ?? []).filter((entry) => live(entry.CidrBlockState)).map((entry) => entry.CidrBlock),
      ...(vpc.Ipv6CidrBlockAssociationSet ?? []).filter((entry) => live(entry.Ipv6CidrBlockState)).map((entry) => entry.Ipv6CidrBlock),
    ].filter((text): text is string => typeof text === 'string');
    const cidrTexts = [...new Set(texts)];
    vpcs.set(vpc.VpcId, { id: vpc.VpcId, cidrs: AddressSet.fromCidrs(cidrTexts), cidrTexts, described: true, internetGateways: [], source: vpc.source });
  }
  for (const gateway of data.internetGateways) {
    for (const attachment of gateway.Attachments) {
      const vpc = vpcs.get(attachment.VpcId);
      if (vpc && (attachment.State === undefined || attachment.State === 'available' || attachment.State === 'attached')) vpc.internetGateways.push(gateway.InternetGatewayId);
    }
  }
  // Subnets of VPCs the snapshot does not describe still give their CIDRs.
  for (const subnet of data.subnets) {
    if (vpcs.has(subnet.VpcId)) continue;
    vpcs.set(subnet.VpcId, { id: subnet.VpcId, cidrs: AddressSet.EMPTY, cidrTexts: [], described: false, internetGateways: [], source: subnet.source });
  }
  for (const subnet of data.subnets) {
    const vpc = vpcs.get(subnet.VpcId) as VpcInfo;
    if (vpc.cidrTexts.length > 0 && data.vpcs.some((candidate) => candidate.VpcId === vpc.id)) continue;
    const texts = subnetCidrTexts(subnet);
    vpc.cidrTexts.push(...texts);
    vpc.cidrs = vpc.cidrs.union(AddressSet.fromCidrs(texts));
  }
  return vpcs;
}

function buildSubnets(
  inventory: Inventory,
  vpcs: Map<string, VpcInfo>,
  nacls: Map<string, CompiledNacl>,
  prefixLists: Map<string, m.ManagedPrefixList>,
  notModelled: string[],
): Map<string, SubnetInfo> {
  const data = inventory.data;
  const naclBySubnet = new Map<string, CompiledNacl>();
  const defaultNacl = new Map<string, CompiledNacl>();
  for (const acl of nacls.values()) {
    for (const association of acl.associations) naclBySubnet.set(association.subnetId, acl);
    if (acl.isDefault) defaultNacl.set(acl.vpcId, acl);
  }
  const tableBySubnet = new Map<string, m.RouteTable>();
  const mainTable = new Map<string, m.RouteTable>();
  for (const table of data.routeTables) {
    for (const association of table.Associations) {
      if (association.SubnetId) tableBySubnet.set(association.SubnetId, table);
      if (association.Main) mainTable.set(table.VpcId, table);
      if (association.GatewayId) notModelled.push(`route table ${table.RouteTableId} is associated with gateway ${association.GatewayId} (ingress routing), which is not modelled`);
    }
  }

  const subnets = new Map<string, SubnetInfo>();
  for (const subnet of data.subnets) {
    const cidrTexts = subnetCidrTexts(subnet);
    // A subnet with no explicit association uses its VPC's default NACL and main route table.
    const nacl = naclBySubnet.get(subnet.SubnetId) ?? (inventory.has('NetworkAcl') ? defaultNacl.get(subnet.VpcId) : undefined);
    const table = tableBySubnet.get(subnet.SubnetId) ?? mainTable.get(subnet.VpcId);
    const vpc = vpcs.get(subnet.VpcId);
    const routes = table ? routeSets(table, vpc, prefixLists, notModelled) : undefined;
    const info: SubnetInfo = {
      id: subnet.SubnetId,
      vpcId: subnet.VpcId,
      ...(subnet.AvailabilityZone ? { az: subnet.AvailabilityZone } : {}),
      cidrs: AddressSet.fromCidrs(cidrTexts),
      cidrTexts,
      mapPublicIpOnLaunch: subnet.MapPublicIpOnLaunch === true,
      ...(nacl ? { nacl } : {}),
      ...(table ? { routeTableId: table.RouteTableId, routeTableSource: table.source } : {}),
      ...(routes ? { internet: routes.internet, nat: routes.nat } : {}),
      tier: !routes ? 'unknown' : !routes.internet.addresses.isEmpty() ? 'public' : !routes.nat.addresses.isEmpty() ? 'private' : 'isolated',
      source: subnet.source,
    };
    subnets.set(subnet.SubnetId, info);
  }
  return subnets;
}

/**
 * Computes the destinations a route table sends to an internet gateway and to a NAT gateway. The
 * longest prefix wins, as in AWS, so a /32 route to a peering connection takes that address away from
 * 0.0.0.0/0.
 */
function routeSets(table: m.RouteTable, vpc: VpcInfo | undefined, prefixLists: Map<string, m.ManagedPrefixList>, notModelled: string[]): { internet: RouteSet; nat: RouteSet } {
  const routes = table.Routes.flatMap((route, index) => {
    if (route.State === 'blackhole') return [];
    const destination = routeDestination(route, prefixLists);
    if (!destination) {
      if (route.DestinationPrefixListId) notModelled.push(`route table ${table.RouteTableId} routes prefix list ${route.DestinationPrefixListId}, whose entries are not in the snapshot`);
      return [];
    }
    return [{ route, index, ...destination }];
  });
  routes.sort((a, b) => b.prefix - a.prefix || a.index - b.index);
  let remaining = AddressSet.ALL;
  const internet: RouteSet = { addresses: AddressSet.EMPTY, targets: [] };
  const nat: RouteSet = { addresses: AddressSet.EMPTY, targets: [] };
  for (const { route, addresses } of routes) {
    const matched = remaining.intersect(addresses);
    if (matched.isEmpty()) continue;
    remaining = remaining.subtract(matched);
    const gateway = route.GatewayId ?? '';
    // An internet gateway route only works while that gateway is attached to the VPC.
    if (gateway.startsWith('igw-') && (!vpc || vpc.internetGateways.length === 0 || vpc.internetGateways.includes(gateway))) {
      internet.addresses = internet.addresses.union(matched);
      if (!internet.targets.includes(gateway)) internet.targets.push(gateway);
    }
    if (route.NatGatewayId) {
      nat.addresses = nat.addresses.union(matched);
      if (!nat.targets.includes(route.NatGatewayId)) nat.targets.push(route.NatGatewayId);
    }
  }
  return { internet, nat };
}

function routeDestination(route: Route, prefixLists: Map<string, m.ManagedPrefixList>): { addresses: AddressSet; prefix: number } | undefined {
  const cidr = route.DestinationCidrBlock ?? route.DestinationIpv6CidrBlock;
  if (cidr) {
    const addresses = AddressSet.parse(cidr);
    const prefix = Number(cidr.split('/')[1] ?? '0');
    return addresses ? { addresses, prefix } : undefined;
  }
  if (route.DestinationPrefixListId) {
    const entries = prefixLists.get(route.DestinationPrefixListId)?.entries;
    // A prefix list route is as specific as its entries; AWS compares it like the narrowest of them.
    if (entries) return { addresses: AddressSet.fromCidrs(entries.map((entry) => entry.Cidr)), prefix: Math.max(0, ...entries.map((entry) => Number(entry.Cidr.split('/')[1] ?? '0'))) };
  }
  return undefined;
}

function subnetCidrTexts(subnet: m.Subnet): string[] {
  return [subnet.CidrBlock, ...(subnet.Ipv6CidrBlockAssociationSet ?? []).map((entry) => entry.Ipv6CidrBlock)].filter((text): text is string => typeof text === 'string');
}

// --- EKS and nodes ------------------------------------------------------------------------------

function buildClusters(clusters: m.EksCluster[]): ClusterInfo[] {
  return clusters.map((cluster) => {
    const config = cluster.resourcesVpcConfig;
    return {
      name: cluster.name,
      ...(config?.vpcId ? { vpcId: config.vpcId } : {}),
      ...(config?.clusterSecurityGroupId ? { clusterSecurityGroupId: config.clusterSecurityGroupId } : {}),
      securityGroupIds: config?.securityGroupIds ?? [],
      subnetIds: config?.subnetIds ?? [],
      // EKS defaults: public endpoint on, private off, public access from 0.0.0.0/0.
      endpointPublicAccess: config?.endpointPublicAccess ?? true,
      endpointPrivateAccess: config?.endpointPrivateAccess ?? false,
      publicAccessCidrs: config?.publicAccessCidrs.length ? config.publicAccessCidrs : ['0.0.0.0/0'],
      ...(cluster.region ? { region: cluster.region } : {}),
      source: cluster.source,
    };
  });
}

/**
 * Finds the instances behind Kubernetes Nodes. Without Node objects, instances that carry an EKS
 * cluster security group or a `kubernetes.io/cluster/NAME` or `eks:cluster-name` tag count as nodes.
 */
function findNodeInstances(inventory: Inventory, clusters: ClusterInfo[]): Set<string> {
  const ids = new Set<string>();
  for (const node of inventory.data.nodes) {
    const instance = inventory.instanceForNode(node);
    if (instance) ids.add(instance.InstanceId);
  }
  if (inventory.data.nodes.length > 0) return ids;
  const clusterGroups = new Set(clusters.flatMap((cluster) => (cluster.clusterSecurityGroupId ? [cluster.clusterSecurityGroupId] : [])));
  for (const instance of inventory.data.instances) {
    const tagged = (instance.Tags ?? []).some((tag) => tag.Key.startsWith('kubernetes.io/cluster/') || tag.Key === 'eks:cluster-name');
    if (tagged || instance.SecurityGroups.some((group) => clusterGroups.has(group.GroupId))) ids.add(instance.InstanceId);
  }
  return ids;
}

function buildEnis(inventory: Inventory, nodeInstanceIds: Set<string>, clusters: ClusterInfo[], notModelled: string[]): Eni[] {
  const data = inventory.data;
  const enis: Eni[] = data.networkInterfaces.map((eni) => {
    const privateIps = [...new Set([eni.PrivateIpAddress, ...eni.PrivateIpAddresses.map((address) => address.PrivateIpAddress)].filter((ip): ip is string => typeof ip === 'string'))];
    const publicIps = [...new Set([eni.Association?.PublicIp, ...eni.PrivateIpAddresses.map((address) => address.Association?.PublicIp)].filter((ip): ip is string => typeof ip === 'string'))];
    const ipv6 = eni.Ipv6Addresses.map((address) => address.Ipv6Address);
    const instanceId = eni.Attachment?.InstanceId;
    const loadBalancerKey = /^ELB ((?:net|app|gwy)\/[^/]+\/[^/\s]+)/.exec(eni.Description ?? '')?.[1];
    return {
      id: eni.NetworkInterfaceId,
      ...(eni.SubnetId ? { subnetId: eni.SubnetId } : {}),
      ...(eni.VpcId ? { vpcId: eni.VpcId } : {}),
      ...(eni.AvailabilityZone ? { az: eni.AvailabilityZone } : {}),
      privateIps,
      publicIps,
      ipv6,
      addresses: AddressSet.fromCidrs([...privateIps, ...ipv6]),
      groups: eni.Groups.map((group) => group.GroupId),
      role: eniRole(eni, instanceId, loadBalancerKey, nodeInstanceIds, clusters),
      ...(instanceId ? { instanceId } : {}),
      ...(eni.Attachment?.DeviceIndex === undefined ? {} : { deviceIndex: eni.Attachment.DeviceIndex }),
      ...(loadBalancerKey ? { loadBalancerKey } : {}),
      ...(eni.Description ? { description: eni.Description } : {}),
      source: eni.source,
    };
  });

  // Without describe-network-interfaces, an instance's own fields still give its primary interface.
  const known = new Set(enis.map((eni) => eni.instanceId).filter(Boolean));
  let synthesised = 0;
  for (const instance of data.instances) {
    if (known.has(instance.InstanceId) || !instance.PrivateIpAddress) continue;
    if (instance.State?.Name && instance.State.Name !== 'running') continue;
    synthesised += 1;
    enis.push({
      id: instance.NetworkInterfaces[0]?.NetworkInterfaceId ?? `${instance.InstanceId}/primary`,
      ...(instance.SubnetId ? { subnetId: instance.SubnetId } : {}),
      ...(instance.VpcId ? { vpcId: instance.VpcId } : {}),
      ...(instance.Placement?.AvailabilityZone ? { az: instance.Placement.AvailabilityZone } : {}),
      privateIps: [instance.PrivateIpAddress],
      publicIps: instance.PublicIpAddress ? [instance.PublicIpAddress] : [],
      ipv6: [],
      addresses: AddressSet.fromCidrs([instance.PrivateIpAddress]),
      groups: instance.SecurityGroups.map((group) => group.GroupId),
      role: nodeInstanceIds.has(instance.InstanceId) ? 'node' : 'instance',
      instanceId: instance.InstanceId,
      deviceIndex: 0,
      synthesised: true,
      source: childSource(instance.source, 'NetworkInterfaces'),
    });
  }
  if (synthesised > 0) notModelled.push(`${synthesised} instance interface(s) were taken from describe-instances because describe-network-interfaces does not list them; secondary interfaces and IPv6 addresses of those instances are not seen`);
  return enis.sort((a, b) => compareText(a.id, b.id));
}

function eniRole(eni: m.NetworkInterface, instanceId: string | undefined, loadBalancerKey: string | undefined, nodeInstanceIds: Set<string>, clusters: ClusterInfo[]): EniRole {
  if (loadBalancerKey || eni.InterfaceType === 'network_load_balancer') return 'load-balancer';
  if (eni.InterfaceType === 'nat_gateway' || (eni.Description ?? '').startsWith('Interface for NAT Gateway')) return 'nat-gateway';
  if (eni.InterfaceType === 'vpc_endpoint' || (eni.Description ?? '').startsWith('VPC Endpoint Interface')) return 'vpc-endpoint';
  const description = eni.Description ?? '';
  if (clusters.some((cluster) => description === `Amazon EKS ${cluster.name}`) || (clusters.length === 0 && description.startsWith('Amazon EKS '))) return 'eks-control-plane';
  if (instanceId) return nodeInstanceIds.has(instanceId) ? 'node' : 'instance';
  return 'other';
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
