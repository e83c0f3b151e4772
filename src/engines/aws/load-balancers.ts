import type { Inventory } from '../../inventory/inventory.js';
import type * as m from '../../inventory/model.js';
import type { SourceRef } from '../../inventory/source.js';
import { AddressSet } from './addresses.js';
import { nodePortsOf, type ServiceInfo } from './kubernetes.js';
import type { Eni, SubnetInfo } from './network.js';
import { compareText } from '../../compare.js';

// Elastic Load Balancing v2 as paths see it: listeners forward to target groups, target groups to
// instances or IP addresses. The source address a target receives depends on the load balancer. An
// ALB always connects from its own private IPs. An NLB passes the client's address when client IP
// preservation is on and its own private IPs when it is off. Health checks always come from the load
// balancer's private IPs.

export interface LoadBalancerInfo {
  arn: string;
  name: string;
  /** `net/NAME/ID`, the text after `loadbalancer/` in the ARN and after `ELB ` in its interfaces' descriptions. */
  key: string;
  type: 'network' | 'application' | 'gateway';
  scheme: 'internet-facing' | 'internal';
  dnsName?: string;
  vpcId?: string;
  dualStack: boolean;
  securityGroups: string[];
  subnetIds: string[];
  /** The load balancer's own network interfaces; synthesised per subnet when the snapshot lacks them. */
  enis: Eni[];
  enisResolved: boolean;
  crossZone: boolean;
  listeners: ListenerInfo[];
  services: ServiceInfo[];
  source: SourceRef;
}

export interface ListenerInfo {
  arn: string;
  port: number;
  protocol: string;
  targetGroups: TargetGroupInfo[];
  source: SourceRef;
}

export interface TargetInfo {
  /** Instance ID or IP address, as `describe-target-health` names it. */
  id: string;
  port: number;
  healthCheckPort: number;
  eni?: Eni;
  /** The address traffic is sent to. */
  address?: string;
  az?: string;
  state?: string;
  /** True when the target list was inferred from the Service because target health is not in the snapshot. */
  inferred: boolean;
}

export interface TargetGroupInfo {
  arn: string;
  name: string;
  protocol: string;
  port?: number;
  targetType: string;
  healthCheckPort: number | 'traffic-port';
  preserveClientIp: boolean;
  /** The origin of the preservation setting: the attribute, or the AWS default for this target type. */
  preserveClientIpOrigin: 'attribute' | 'default';
  crossZone?: boolean;
  targets: TargetInfo[];
  targetsKnown: boolean;
  source: SourceRef;
  attributesSource?: SourceRef;
}

interface BuildContext {
  enis: Eni[];
  enisByInstance: Map<string, Eni[]>;
  subnets: Map<string, SubnetInfo>;
  nodeInstanceIds: Set<string>;
  services: ServiceInfo[];
  notModelled: string[];
}

export function buildLoadBalancers(inventory: Inventory, context: BuildContext): LoadBalancerInfo[] {
  const data = inventory.data;
  const enisByKey = new Map<string, Eni[]>();
  for (const eni of context.enis) {
    if (!eni.loadBalancerKey) continue;
    const list = enisByKey.get(eni.loadBalancerKey) ?? [];
    list.push(eni);
    enisByKey.set(eni.loadBalancerKey, list);
  }

  const result: LoadBalancerInfo[] = [];
  for (const lb of data.loadBalancers) {
    const key = lb.LoadBalancerArn.split(':loadbalancer/')[1] ?? lb.LoadBalancerName;
    const type = lb.Type === 'application' ? 'application' : lb.Type === 'gateway' ? 'gateway' : 'network';
    const subnetIds = lb.AvailabilityZones.flatMap((zone) => (zone.SubnetId ? [zone.SubnetId] : []));
    const services = context.services.filter((service) => lb.DNSName !== undefined && service.hostnames.includes(lb.DNSName.toLowerCase()));
    let enis = enisByKey.get(key) ?? [];
    const enisResolved = enis.length > 0;
    if (!enisResolved) {
      enis = synthesiseEnis(lb, key, subnetIds, context.subnets);
      context.notModelled.push(`load balancer ${lb.LoadBalancerName} has no network interfaces in the snapshot; its private IPs are taken as ${enis.some((eni) => eni.privateIps.length > 0) ? 'its listed addresses' : 'its subnets’ CIDRs'}`);
    }
    const lbCrossZone = lb.attributes?.['load_balancing.cross_zone.enabled'];
    const info: LoadBalancerInfo = {
      arn: lb.LoadBalancerArn,
      name: lb.LoadBalancerName,
      key,
      type,
      scheme: lb.Scheme === 'internal' ? 'internal' : 'internet-facing',
      ...(lb.DNSName ? { dnsName: lb.DNSName } : {}),
      ...(lb.VpcId ? { vpcId: lb.VpcId } : {}),
      dualStack: (lb.IpAddressType ?? '').startsWith('dualstack'),
      securityGroups: lb.SecurityGroups,
      subnetIds,
      enis,
      enisResolved,
      // Cross-zone load balancing is off by default for NLBs and always on for ALBs.
      crossZone: type === 'application' ? true : lbCrossZone === 'true',
      listeners: [],
      services,
      source: lb.source,
    };
    if (type === 'gateway') context.notModelled.push(`gateway load balancer ${lb.LoadBalancerName} is not modelled`);
    result.push(info);
  }

  const byArn = new Map(result.map((lb) => [lb.arn, lb]));
  const groups = new Map<string, TargetGroupInfo>();
  for (const group of data.targetGroups) {
    const lbs = group.LoadBalancerArns.flatMap((arn) => byArn.get(arn) ?? []);
    groups.set(group.TargetGroupArn, buildTargetGroup(group, lbs, context));
  }
  for (const listener of data.listeners) {
    const lb = byArn.get(listener.LoadBalancerArn);
    if (!lb) continue;
    const arns = listener.DefaultActions.flatMap((action) => {
      if (action.Type !== 'forward') return [];
      if (action.ForwardConfig?.TargetGroups.length) return action.ForwardConfig.TargetGroups.map((target) => target.TargetGroupArn);
      return action.TargetGroupArn ? [action.TargetGroupArn] : [];
    });
    lb.listeners.push({
      arn: listener.ListenerArn,
      port: listener.Port ?? 0,
      protocol: listener.Protocol ?? 'TCP',
      targetGroups: [...new Set(arns)].flatMap((arn) => groups.get(arn) ?? []),
      source: listener.source,
    });
    if (lb.type === 'application') context.notModelled.push(`listener rules of ${lb.name} are not in the snapshot: only default actions are followed`);
  }
  for (const lb of result) lb.listeners.sort((a, b) => a.port - b.port);
  return result.sort((a, b) => compareText(a.name, b.name) || compareText(a.arn, b.arn));
}

/** Listener protocols that carry UDP; the rest are TCP to the network. */
export function isUdpProtocol(protocol: string): boolean {
  return protocol === 'UDP' || protocol === 'TCP_UDP' || protocol === 'QUIC';
}

/** Returns the private addresses an NLB or ALB sends from: its interfaces' private IPs. */
export function loadBalancerAddresses(lb: LoadBalancerInfo): AddressSet {
  let result = AddressSet.EMPTY;
  for (const eni of lb.enis) result = result.union(eni.addresses);
  return result;
}

// --- helpers ------------------------------------------------------------------------------------

function buildTargetGroup(group: m.TargetGroup, lbs: LoadBalancerInfo[], context: BuildContext): TargetGroupInfo {
  const targetType = group.TargetType ?? 'instance';
  const protocol = group.Protocol ?? 'TCP';
  const isAlb = lbs.some((lb) => lb.type === 'application') || protocol === 'HTTP' || protocol === 'HTTPS';
  const attribute = group.attributes?.['preserve_client_ip.enabled'];
  // AWS defaults: preservation is on for instance targets and for UDP, TCP_UDP, QUIC and TCP_QUIC IP
  // targets, off for TCP and TLS IP targets, and an ALB always connects from its own addresses.
  const defaultPreserve = isAlb ? false : targetType === 'instance' || isUdpProtocol(protocol) || protocol === 'TCP_QUIC';
  const preserveClientIp = !isAlb && (attribute === undefined ? defaultPreserve : attribute === 'true');
  const healthCheckPort = group.HealthCheckPort && group.HealthCheckPort !== 'traffic-port' ? Number(group.HealthCheckPort) : 'traffic-port';
  const crossZone = group.attributes?.['load_balancing.cross_zone.enabled'];

  let targets: TargetInfo[] = [];
  let targetsKnown = false;
  if (group.targetHealth) {
    targetsKnown = true;
    targets = group.targetHealth.map((description) => {
      const port = description.Target.Port ?? group.Port ?? 0;
      const hcPort = description.HealthCheckPort && description.HealthCheckPort !== 'traffic-port' ? Number(description.HealthCheckPort) : healthCheckPort === 'traffic-port' ? port : healthCheckPort;
      return {
        id: description.Target.Id,
        port,
        healthCheckPort: hcPort,
        ...resolveTarget(description.Target.Id, targetType, context),
        ...(description.TargetHealth?.State ? { state: description.TargetHealth.State } : {}),
        inferred: false,
      };
    });
  } else if (targetType === 'instance' && group.Port !== undefined) {
    // Without target health, a target group whose port is a NodePort of the Service that owns the load
    // balancer contains the cluster's nodes, because both controllers register every node for instance targets.
    const owned = lbs.some((lb) => lb.services.some((service) => nodePortsOf(service).includes(group.Port as number)));
    if (owned) {
      targetsKnown = true;
      targets = [...context.nodeInstanceIds].sort().map((instanceId) => ({
        id: instanceId,
        port: group.Port as number,
        healthCheckPort: healthCheckPort === 'traffic-port' ? (group.Port as number) : healthCheckPort,
        ...resolveTarget(instanceId, targetType, context),
        inferred: true,
      }));
    }
  }
  if (!targetsKnown) context.notModelled.push(`target group ${group.TargetGroupName} has no describe-target-health output: paths through it stop at the load balancer`);

  return {
    arn: group.TargetGroupArn,
    name: group.TargetGroupName,
    protocol,
    ...(group.Port === undefined ? {} : { port: group.Port }),
    targetType,
    healthCheckPort,
    preserveClientIp,
    preserveClientIpOrigin: attribute === undefined ? 'default' : 'attribute',
    ...(crossZone === 'true' || crossZone === 'false' ? { crossZone: crossZone === 'true' } : {}),
    targets,
    targetsKnown,
    source: group.source,
    ...(group.attributesSource ? { attributesSource: group.attributesSource } : {}),
  };
}

/** Finds the interface a target receives traffic on: an instance's primary interface, or the one with the IP. */
function resolveTarget(id: string, targetType: string, context: BuildContext): { eni?: Eni; address?: string; az?: string } {
  if (targetType === 'instance') {
    const enis = context.enisByInstance.get(id) ?? [];
    const primary = enis.find((eni) => eni.deviceIndex === 0) ?? enis[0];
    if (!primary) return {};
    return { eni: primary, ...(primary.privateIps[0] ? { address: primary.privateIps[0] } : {}), ...(primary.az ? { az: primary.az } : {}) };
  }
  const eni = context.enis.find((candidate) => candidate.privateIps.includes(id) || candidate.ipv6.includes(id));
  return { ...(eni ? { eni } : {}), address: id, ...(eni?.az ? { az: eni.az } : {}) };
}

function synthesiseEnis(lb: m.LoadBalancerWithAttributes, key: string, subnetIds: string[], subnets: Map<string, SubnetInfo>): Eni[] {
  return lb.AvailabilityZones.flatMap((zone, index) => {
    if (!zone.SubnetId) return [];
    const subnet = subnets.get(zone.SubnetId);
    const listed = zone.LoadBalancerAddresses.flatMap((address) => (address.PrivateIPv4Address ? [address.PrivateIPv4Address] : []));
    const publicIps = zone.LoadBalancerAddresses.flatMap((address) => (address.IpAddress ? [address.IpAddress] : []));
    return [
      {
        id: `${key}/${zone.SubnetId}`,
        subnetId: zone.SubnetId,
        ...(lb.VpcId ? { vpcId: lb.VpcId } : {}),
        ...(zone.ZoneName ? { az: zone.ZoneName } : {}),
        privateIps: listed,
        publicIps,
        ipv6: [],
        addresses: listed.length > 0 ? AddressSet.fromCidrs(listed) : (subnet?.cidrs ?? AddressSet.EMPTY),
        groups: lb.SecurityGroups,
        role: 'load-balancer' as const,
        loadBalancerKey: key,
        synthesised: true,
        source: { ...lb.source, path: `${lb.source.path}.AvailabilityZones[${index}]` },
      },
    ];
  }).filter((eni) => subnetIds.includes(eni.subnetId as string));
}
