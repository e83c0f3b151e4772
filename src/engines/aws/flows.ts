import type { Inventory } from '../../inventory/inventory.js';
import { AddressSet } from './addresses.js';
import { evaluateInternetEgress } from './egress.js';
import { evaluateLeg, type Endpoint, type Hop } from './legs.js';
import { evaluateLoadBalancerRoute, listenerProtocols } from './lb-routes.js';
import type { LoadBalancerInfo } from './load-balancers.js';
import { networkOf, vpcAddresses, type AwsNetwork, type Eni, type SubnetInfo } from './network.js';
import { eniEndpoint, internetEndpoint } from './sources.js';
import { FULL_RANGE, IPIP, TCP, UDP, describeTraffic, protocolLabel, type Range } from './traffic.js';
import { compareText } from '../../compare.js';

// The traffic a Kubernetes cluster on AWS needs, as flows that can be evaluated against any version of
// the network. A proposed change is verified by evaluating every flow before and after it: a flow that
// admitted fewer addresses afterwards is traffic the change would drop.

export type FlowKind =
  | 'load-balancer-client'
  | 'health-check'
  | 'node-internet-egress'
  | 'control-plane-to-node'
  | 'node-to-control-plane'
  | 'node-to-node';

export interface NeededFlow {
  /** Stable across evaluations of different versions of the network. */
  id: string;
  kind: FlowKind;
  description: string;
  spec: FlowSpec;
  /** The groups, subnets and target groups the flow passes through, so that a change can skip flows it cannot affect. */
  touches?: FlowTouches;
}

export interface FlowTouches {
  groups: string[];
  subnets: string[];
  targetGroups: string[];
}

type FlowSpec =
  | { kind: 'lb'; lbArn: string; listenerPort: number; protocol: number; targetGroupArn: string; targetId: string; clients: string[] }
  | { kind: 'health'; lbArn: string; targetGroupArn: string; targetId: string }
  | { kind: 'egress'; eniId: string; protocol: number; port: number }
  | { kind: 'internal'; sourceEniId?: string; sourceSubnetId?: string; sourceAddresses?: string[]; sourceGroups?: string[]; targetEniId: string; protocol: number; range: Range };

export interface FlowOutcome {
  flow: NeededFlow;
  status: 'ok' | 'blocked' | 'partial' | 'unresolved';
  /** The varying side that works: client or source addresses, or destinations for egress. */
  admitted: AddressSet;
  blockedAt?: Hop;
  hops: Hop[];
}

export type ClusterNetworking = 'calico' | 'aws-vpc-cni' | 'unknown';

const MAX_PAIRED_NODE_GROUPS = 40;

const flowCache = new WeakMap<Inventory, NeededFlow[]>();

/** Derives the flows a cluster needs from its load balancers, nodes, EKS clusters and CNI, once per inventory. */
export function neededFlows(inventory: Inventory): NeededFlow[] {
  let flows = flowCache.get(inventory);
  if (!flows) {
    flows = deriveFlows(inventory);
    flowCache.set(inventory, flows);
  }
  return flows;
}

function deriveFlows(inventory: Inventory): NeededFlow[] {
  const network = networkOf(inventory);
  return flowList(network).map((flow) => ({ ...flow, touches: touchesOf(network, flow.spec) }));
}

function flowList(network: AwsNetwork): NeededFlow[] {
  const flows: NeededFlow[] = [];
  flows.push(...loadBalancerFlows(network));
  const nodes = representativeNodes(network);
  for (const node of nodes) {
    flows.push({
      id: `egress ${node.id} tcp 443`,
      kind: 'node-internet-egress',
      description: `node ${node.instanceId ?? node.id} (${node.subnetId}) → internet TCP 443 for images and AWS APIs`,
      spec: { kind: 'egress', eniId: node.id, protocol: TCP, port: 443 },
    });
  }
  flows.push(...controlPlaneFlows(network, nodes));
  flows.push(...nodeToNodeFlows(network, nodes));
  return flows;
}

export function evaluateFlow(network: AwsNetwork, flow: NeededFlow): FlowOutcome {
  const spec = flow.spec;
  switch (spec.kind) {
    case 'lb':
      return evaluateClientFlow(network, flow, spec);
    case 'health':
      return evaluateHealthFlow(network, flow, spec);
    case 'egress': {
      const eni = network.eniById.get(spec.eniId);
      if (!eni) return missing(flow, spec.eniId);
      const result = evaluateInternetEgress(network, eni, { protocol: spec.protocol, range: [spec.port, spec.port] });
      return outcome(flow, result.admitted, result.hops, result.blockedAt, result.unresolved);
    }
    case 'internal': {
      const target = network.eniById.get(spec.targetEniId);
      const source = internalSource(network, spec);
      if (!target || !source) return missing(flow, spec.targetEniId);
      const leg = evaluateLeg(network, source, { eni: target, groups: target.groups }, { protocol: spec.protocol, range: spec.range }, 'flow');
      return outcome(flow, leg.admitted, leg.hops, leg.blockedAt, leg.unresolved, leg.partialReturn);
    }
  }
}

/** Identifies the pod network the cluster runs from the pods and DaemonSets in the snapshot. */
export function clusterNetworking(inventory: Inventory): ClusterNetworking {
  const names = [...inventory.data.daemonSets.map((set) => set.metadata.name), ...inventory.data.pods.map((pod) => pod.metadata.name)];
  if (names.some((name) => name.startsWith('calico-node')) || inventory.data.calicoPolicies.length > 0) return 'calico';
  if (names.some((name) => name === 'aws-node' || name.startsWith('aws-node-'))) return 'aws-vpc-cni';
  return 'unknown';
}

// --- flow sets ----------------------------------------------------------------------------------

function loadBalancerFlows(network: AwsNetwork): NeededFlow[] {
  const flows: NeededFlow[] = [];
  for (const lb of network.loadBalancers) {
    if (lb.type === 'gateway') continue;
    const clients = clientsOf(network, lb);
    const healthChecked = new Set<string>();
    for (const listener of lb.listeners) {
      for (const protocol of listenerProtocols(listener)) {
        for (const group of listener.targetGroups) {
          for (const target of group.targets) {
            flows.push({
              id: `lb ${lb.arn} ${listener.port} ${protocol} ${group.arn} ${target.id}`,
              kind: 'load-balancer-client',
              description: `clients ${clients.join(', ')} → ${lb.name} ${protocolLabel(protocol).toUpperCase()} ${listener.port} → ${target.id} port ${target.port}`,
              spec: { kind: 'lb', lbArn: lb.arn, listenerPort: listener.port, protocol, targetGroupArn: group.arn, targetId: target.id, clients },
            });
            const key = `${group.arn} ${target.id}`;
            if (healthChecked.has(key)) continue;
            healthChecked.add(key);
            flows.push({
              id: `health ${lb.arn} ${group.arn} ${target.id}`,
              kind: 'health-check',
              description: `${lb.name} health checks → ${target.id} TCP ${target.healthCheckPort}`,
              spec: { kind: 'health', lbArn: lb.arn, targetGroupArn: group.arn, targetId: target.id },
            });
          }
        }
      }
    }
  }
  return flows;
}

function controlPlaneFlows(network: AwsNetwork, nodes: Eni[]): NeededFlow[] {
  const flows: NeededFlow[] = [];
  for (const cluster of network.clusters) {
    const controlPlane = network.enis.filter((eni) => eni.role === 'eks-control-plane' && eni.description === `Amazon EKS ${cluster.name}`);
    // Without its interfaces, the control plane is any address in the cluster's subnets carrying its groups.
    const groups = [cluster.clusterSecurityGroupId, ...cluster.securityGroupIds].filter((id): id is string => typeof id === 'string');
    const sources: Array<{ label: string; sourceEniId?: string; sourceSubnetId?: string; sourceAddresses?: string[]; sourceGroups?: string[] }> =
      controlPlane.length > 0
        ? representatives(controlPlane).map((eni) => ({ label: eni.id, sourceEniId: eni.id }))
        : cluster.subnetIds.flatMap((subnetId) => {
            const subnet = network.subnets.get(subnetId);
            return subnet ? [{ label: `control plane in ${subnetId}`, sourceSubnetId: subnetId, sourceAddresses: subnet.cidrTexts, sourceGroups: groups }] : [];
          });
    for (const source of sources) {
      for (const node of nodes) {
        flows.push({
          id: `control-plane ${source.label} ${node.id} 10250`,
          kind: 'control-plane-to-node',
          description: `EKS control plane (${source.label}) → node ${node.instanceId ?? node.id} TCP 10250 (kubelet)`,
          spec: { kind: 'internal', ...withoutLabel(source), targetEniId: node.id, protocol: TCP, range: [10250, 10250] },
        });
      }
    }
    // Nodes reach the API server through the private endpoint's interfaces when it is on.
    if (cluster.endpointPrivateAccess && controlPlane.length > 0) {
      for (const node of nodes) {
        for (const target of representatives(controlPlane)) {
          flows.push({
            id: `api ${node.id} ${target.id} 443`,
            kind: 'node-to-control-plane',
            description: `node ${node.instanceId ?? node.id} → EKS API server (${target.id}) TCP 443`,
            spec: { kind: 'internal', sourceEniId: node.id, targetEniId: target.id, protocol: TCP, range: [443, 443] },
          });
        }
      }
    }
  }
  return flows;
}

/**
 * Node-to-node traffic: kubelet (metrics-server), DNS to CoreDNS on other nodes, and the pod network.
 * Calico encapsulates pod traffic between nodes as IP-in-IP (protocol 4) or VXLAN (UDP 4789) and peers
 * over BGP (TCP 179). The snapshot does not show which encapsulation the IP pools use, so all three are
 * needed. The AWS VPC CNI gives pods VPC addresses, so pod traffic between nodes uses every port.
 */
function nodeToNodeFlows(network: AwsNetwork, nodes: Eni[]): NeededFlow[] {
  const networking = clusterNetworking(network.inventory);
  const services: Array<{ name: string; protocol: number; range: Range }> = [
    { name: 'kubelet', protocol: TCP, range: [10250, 10250] },
    { name: 'DNS', protocol: UDP, range: [53, 53] },
    { name: 'DNS', protocol: TCP, range: [53, 53] },
  ];
  if (networking === 'aws-vpc-cni') {
    services.push({ name: 'pod traffic', protocol: TCP, range: FULL_RANGE }, { name: 'pod traffic', protocol: UDP, range: FULL_RANGE });
  } else {
    services.push({ name: 'Calico IP-in-IP', protocol: IPIP, range: FULL_RANGE }, { name: 'Calico VXLAN', protocol: UDP, range: [4789, 4789] }, { name: 'Calico BGP', protocol: TCP, range: [179, 179] });
  }
  // NOTE: node groups beyond MAX_PAIRED_NODE_GROUPS are left out of node-to-node flows, because the
  // pairs grow with the square of the groups. The limit is a guess, not a measured bound.
  const paired = nodes.slice(0, MAX_PAIRED_NODE_GROUPS);
  if (nodes.length > paired.length) network.notModelled.push(`node-to-node flows are evaluated for ${paired.length} of ${nodes.length} node groups (subnet and security groups)`);
  const pairs = nodePairs(network, paired);
  const flows: NeededFlow[] = [];
  for (const [source, target] of pairs) {
    for (const service of services) {
      flows.push({
        id: `node ${source.id} ${target.id} ${service.protocol} ${service.range[0]}-${service.range[1]}`,
        kind: 'node-to-node',
        description: `node ${source.instanceId ?? source.id} → node ${target.instanceId ?? target.id} ${describeTraffic(service.protocol, service.range)} (${service.name})`,
        spec: { kind: 'internal', sourceEniId: source.id, targetEniId: target.id, protocol: service.protocol, range: service.range },
      });
    }
  }
  return flows;
}

// --- evaluation ---------------------------------------------------------------------------------

function evaluateClientFlow(network: AwsNetwork, flow: NeededFlow, spec: Extract<FlowSpec, { kind: 'lb' }>): FlowOutcome {
  const lb = network.loadBalancers.find((candidate) => candidate.arn === spec.lbArn);
  const listener = lb?.listeners.find((candidate) => candidate.port === spec.listenerPort);
  const group = listener?.targetGroups.find((candidate) => candidate.arn === spec.targetGroupArn);
  const target = group?.targets.find((candidate) => candidate.id === spec.targetId);
  if (!lb || !listener || !group || !target) return missing(flow, spec.targetId);
  const clients = AddressSet.fromCidrs(spec.clients);
  const endpoints: Endpoint[] = lb.scheme === 'internet-facing' ? [internetEndpoint('clients', clients)] : internalEndpoints(network, clients);
  let admitted = AddressSet.EMPTY;
  let best: ReturnType<typeof evaluateLoadBalancerRoute>;
  let unresolved = false;
  for (const endpoint of endpoints) {
    const route = evaluateLoadBalancerRoute(network, endpoint, lb, listener, group, target, spec.protocol, 'flow');
    if (!route) continue;
    admitted = admitted.union(route.admitted);
    unresolved ||= route.unresolved;
    if (!best || (best.blockedAt && !route.blockedAt)) best = route;
  }
  if (!best) return { flow, status: 'unresolved', admitted, hops: [] };
  const partial = [best.front.partialReturn, best.back?.partialReturn].find((set) => set && !set.isEmpty());
  return outcome(flow, admitted, best.hops, admitted.isEmpty() ? best.blockedAt : undefined, unresolved, partial);
}

function evaluateHealthFlow(network: AwsNetwork, flow: NeededFlow, spec: Extract<FlowSpec, { kind: 'health' }>): FlowOutcome {
  const lb = network.loadBalancers.find((candidate) => candidate.arn === spec.lbArn);
  const group = lb?.listeners.flatMap((listener) => listener.targetGroups).find((candidate) => candidate.arn === spec.targetGroupArn);
  const target = group?.targets.find((candidate) => candidate.id === spec.targetId);
  if (!lb || !group || !target?.eni) return missing(flow, spec.targetId);
  let admitted = AddressSet.EMPTY;
  let hops: Hop[] = [];
  let blockedAt: Hop | undefined;
  let unresolved = false;
  for (const eni of lb.enis) {
    const crossZone = group.crossZone ?? lb.crossZone;
    if (!crossZone && eni.az && target.az && eni.az !== target.az) continue;
    const source = eniEndpoint(network, [eni], lb.name, lb.securityGroups);
    const leg = evaluateLeg(network, source, { eni: target.eni, groups: target.eni.groups }, { protocol: TCP, range: [target.healthCheckPort, target.healthCheckPort] }, 'flow');
    admitted = admitted.union(leg.admitted);
    unresolved ||= leg.unresolved;
    if (hops.length === 0 || (leg.blockedAt && !blockedAt)) {
      hops = leg.hops;
      blockedAt = leg.blockedAt;
    }
  }
  return outcome(flow, admitted, hops, blockedAt, unresolved);
}

function outcome(flow: NeededFlow, admitted: AddressSet, hops: Hop[], blockedAt: Hop | undefined, unresolved: boolean, partial?: AddressSet): FlowOutcome {
  return { flow, status: statusOf(admitted, blockedAt, unresolved, partial), admitted, hops, ...(blockedAt ? { blockedAt } : {}) };
}

/** The clients a listener serves: the Service's source ranges, else everyone, or the VPC for an internal load balancer. */
function clientsOf(network: AwsNetwork, lb: LoadBalancerInfo): string[] {
  if (lb.scheme === 'internal') return vpcAddresses(network, lb.vpcId).toCidrs();
  const ranges = lb.services.flatMap((service) => service.sourceRanges);
  if (ranges.length > 0) return ranges;
  return lb.dualStack ? ['0.0.0.0/0', '::/0'] : ['0.0.0.0/0'];
}

function statusOf(admitted: AddressSet, blockedAt: Hop | undefined, unresolved: boolean, partial: AddressSet | undefined): FlowOutcome['status'] {
  if (blockedAt && admitted.isEmpty()) return 'blocked';
  if (unresolved) return 'unresolved';
  if (partial && !partial.isEmpty()) return 'partial';
  return admitted.isEmpty() ? 'blocked' : 'ok';
}

function missing(flow: NeededFlow, id: string): FlowOutcome {
  return { flow, status: 'unresolved', admitted: AddressSet.EMPTY, hops: [{ kind: 'security-group', id, decision: 'not-evaluated', detail: `${id} is not in this version of the network` }] };
}

function internalSource(network: AwsNetwork, spec: Extract<FlowSpec, { kind: 'internal' }>): Endpoint | undefined {
  if (spec.sourceEniId) {
    const eni = network.eniById.get(spec.sourceEniId);
    return eni ? eniEndpoint(network, [eni], eni.id) : undefined;
  }
  const subnet = spec.sourceSubnetId ? network.subnets.get(spec.sourceSubnetId) : undefined;
  if (!subnet) return undefined;
  const groups = spec.sourceGroups ?? [];
  return { label: subnet.id, addresses: AddressSet.fromCidrs(spec.sourceAddresses ?? subnet.cidrTexts), groups: new Set(groups), egressGroups: groups, subnet, internet: false };
}

function internalEndpoints(network: AwsNetwork, clients: AddressSet): Endpoint[] {
  return [...network.subnets.values()].flatMap((subnet: SubnetInfo) => {
    const inside = clients.intersect(subnet.cidrs);
    return inside.isEmpty() ? [] : [{ label: subnet.id, addresses: inside, groups: new Set<string>(), egressGroups: [], subnet, internet: false }];
  });
}

// --- representatives ----------------------------------------------------------------------------

/**
 * Picks one node interface per (subnet, security groups). Every security group and NACL treats nodes
 * that share both alike, so evaluating one covers all of them.
 */
export function representativeNodes(network: AwsNetwork): Eni[] {
  return representatives(network.enis.filter((eni) => eni.role === 'node' && (eni.deviceIndex === 0 || eni.deviceIndex === undefined)));
}

function representatives(enis: Eni[]): Eni[] {
  const chosen = new Map<string, Eni>();
  for (const eni of enis) {
    const key = `${eni.subnetId ?? ''} ${[...eni.groups].sort().join(',')}`;
    if (!chosen.has(key)) chosen.set(key, eni);
  }
  return [...chosen.values()].sort((a, b) => compareText(a.id, b.id));
}

/** Ordered pairs of representatives, plus a pair inside a set when it has a second member. */
function nodePairs(network: AwsNetwork, representativesList: Eni[]): Array<[Eni, Eni]> {
  const pairs: Array<[Eni, Eni]> = [];
  for (const source of representativesList) {
    for (const target of representativesList) {
      if (source !== target) pairs.push([source, target]);
    }
    const twin = network.enis.find((eni) => eni !== source && eni.role === 'node' && eni.subnetId === source.subnetId && [...eni.groups].sort().join(',') === [...source.groups].sort().join(','));
    if (twin) pairs.push([source, twin]);
  }
  return pairs;
}

function withoutLabel<T extends { label: string }>(value: T): Omit<T, 'label'> {
  const { label: _label, ...rest } = value;
  return rest;
}

/** Lists the security groups, subnets and target groups a flow passes through, in the network it was derived from. */
function touchesOf(network: AwsNetwork, spec: FlowSpec): FlowTouches {
  const enis: Eni[] = [];
  const groups = new Set<string>();
  const subnets = new Set<string>();
  const targetGroups = new Set<string>();
  const add = (id: string | undefined) => {
    const eni = id ? network.eniById.get(id) : undefined;
    if (eni) enis.push(eni);
  };
  switch (spec.kind) {
    case 'lb':
    case 'health': {
      const lb = network.loadBalancers.find((candidate) => candidate.arn === spec.lbArn);
      for (const eni of lb?.enis ?? []) enis.push(eni);
      for (const group of lb?.securityGroups ?? []) groups.add(group);
      const target = lb?.listeners.flatMap((listener) => listener.targetGroups).find((group) => group.arn === spec.targetGroupArn)?.targets.find((candidate) => candidate.id === spec.targetId);
      if (target?.eni) enis.push(target.eni);
      targetGroups.add(spec.targetGroupArn);
      break;
    }
    case 'egress': {
      add(spec.eniId);
      const subnet = network.eniById.get(spec.eniId)?.subnetId;
      const natId = subnet ? network.subnets.get(subnet)?.nat?.targets[0] : undefined;
      const nat = natId ? network.inventory.data.natGateways.find((gateway) => gateway.NatGatewayId === natId) : undefined;
      if (nat?.SubnetId) subnets.add(nat.SubnetId);
      break;
    }
    case 'internal':
      add(spec.sourceEniId);
      add(spec.targetEniId);
      if (spec.sourceSubnetId) subnets.add(spec.sourceSubnetId);
      for (const group of spec.sourceGroups ?? []) groups.add(group);
      break;
  }
  for (const eni of enis) {
    for (const group of eni.groups) groups.add(group);
    if (eni.subnetId) subnets.add(eni.subnetId);
  }
  return { groups: [...groups].sort(), subnets: [...subnets].sort(), targetGroups: [...targetGroups].sort() };
}
