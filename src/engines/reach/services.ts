import type { Inventory } from '../../inventory/inventory.js';
import type * as m from '../../inventory/model.js';
import { matchesServiceSelector } from '../../inventory/selectors.js';
import { compareText } from '../../compare.js';
import { AddressSet, parseAddress, type AddressRange, type Family } from './addresses.js';
import { ConnSet, PROTOCOL } from './ports.js';

// Kubernetes Services as a Calico `services` rule match resolves them. Felix's service index (Calico 3.x,
// felix/serviceindex) builds one IP set per matched Service from EndpointSlices alone:
// - A Service's slices are those in its namespace labelled `kubernetes.io/service-name: <name>`. Felix never
//   reads the Service object, and it takes every endpoint address regardless of the endpoint's ready,
//   serving and terminating conditions.
// - A destination match uses an IP-and-port set: each endpoint address with each port of its slice that has
//   a number, under the port's protocol (TCP unless it is UDP or SCTP). A slice without ports adds nothing.
// - A source match uses an address set: every endpoint address, with or without ports.
// When the snapshot has no EndpointSlice for a Service, the index predicts what the EndpointSlice
// controller would write (Kubernetes pkg/controller/endpointslice and pkg/api/v1/pod FindPort):
// - The endpoints are the pods of the Service's namespace that its selector matches, except pods in phase
//   Succeeded or Failed. Pods without an address yet (pending, or synthesised from a workload template)
//   are included because the controller lists them once they run.
// - Each pod serves every Service port whose targetPort resolves on it. A numeric targetPort is used as is,
//   and an unset one is the Service port. A named one is the first container port with that name and the
//   Service port's protocol, and the port is left out for a pod without one.
// - Services of type ExternalName and Services without a selector get no slices from the controller.

export type ServiceResolution = 'endpoint-slices' | 'selector' | 'no-endpoints';

/** One Service's endpoints: where they came from, and the endpoint addresses that belong to no pod of the snapshot. */
export interface ServiceBackends {
  /** `namespace/name`. */
  key: string;
  namespace: string;
  name: string;
  resolution: ServiceResolution;
  /** For `no-endpoints`: a clause that completes "Service x/y …", such as "is not in the snapshot". */
  reason?: string;
  sliceCount: number;
  /**
   * Endpoint addresses of the Service's slices that are the address of no pod in the snapshot (the API
   * server's addresses behind `default/kubernetes`, or endpoints added by hand), grouped by their ports.
   * Each address is in one group.
   */
  externalGroups: ReadonlyArray<{ addresses: AddressSet; ports: ConnSet }>;
  /** The union of the groups' addresses. */
  externalAddresses: AddressSet;
}

/** The label that ties an EndpointSlice to its Service. */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

/** The endpoints of every Service of one snapshot, and each pod's Service memberships. */
export class ServiceIndex {
  private readonly slicesByService = new Map<string, m.EndpointSlice[]>();
  private readonly sliceMembership = new Map<m.Pod, Map<string, ConnSet>>();
  private readonly external = new Map<string, Map<string, { family: Family; value: bigint; ports: ConnSet }>>();
  private readonly resolved = new Map<string, ServiceBackends>();

  constructor(private readonly inventory: Inventory) {
    for (const slice of inventory.data.endpointSlices) {
      const name = slice.metadata.labels[SERVICE_NAME_LABEL];
      if (!name) continue;
      const key = serviceKey(slice.metadata.namespace ?? 'default', name);
      const list = this.slicesByService.get(key);
      if (list) list.push(slice);
      else this.slicesByService.set(key, [slice]);
    }
    const podsByAddress = indexPodsByAddress(inventory.data.pods);
    const podsByName = new Map(inventory.data.pods.map((pod) => [serviceKey(pod.metadata.namespace ?? 'default', pod.metadata.name), pod]));
    for (const [key, slices] of this.slicesByService) {
      for (const slice of slices) this.addSlice(key, slice, podsByAddress, podsByName);
    }
  }

  /** Returns the Service's endpoints and where they came from. */
  backends(namespace: string, name: string): ServiceBackends {
    const key = serviceKey(namespace, name);
    let backends = this.resolved.get(key);
    if (!backends) {
      backends = this.resolve(namespace, name);
      this.resolved.set(key, backends);
    }
    return backends;
  }

  /**
   * Returns the Services (`namespace/name`, sorted) whose endpoints include the pod, each with the ports
   * (protocol and target port) the pod serves it on. An entry with no ports still makes the pod a source
   * the Service matches.
   */
  membership(pod: m.Pod): ReadonlyMap<string, ConnSet> {
    const result = new Map(this.sliceMembership.get(pod) ?? []);
    const namespace = pod.metadata.namespace ?? 'default';
    const phase = pod.status?.phase;
    if (phase !== 'Succeeded' && phase !== 'Failed') {
      for (const service of this.inventory.servicesInNamespace(namespace)) {
        const key = serviceKey(namespace, service.metadata.name);
        if (this.slicesByService.has(key) || !predictsSlices(service)) continue;
        if (!matchesServiceSelector(service.spec.selector, pod.metadata.labels)) continue;
        result.set(key, targetPorts(service, pod));
      }
    }
    return new Map([...result].sort(([a], [b]) => compareText(a, b)));
  }

  private resolve(namespace: string, name: string): ServiceBackends {
    const key = serviceKey(namespace, name);
    const base = { key, namespace, name, sliceCount: 0, externalGroups: [], externalAddresses: AddressSet.EMPTY };
    const slices = this.slicesByService.get(key);
    if (slices) {
      const groups = groupByPorts([...(this.external.get(key)?.values() ?? [])]);
      const externalAddresses = groups.reduce((union, group) => union.union(group.addresses), AddressSet.EMPTY);
      return { ...base, resolution: 'endpoint-slices', sliceCount: slices.length, externalGroups: groups, externalAddresses };
    }
    const service = this.inventory.service(namespace, name);
    if (!service) return { ...base, resolution: 'no-endpoints', reason: 'is not in the snapshot and has no EndpointSlices there' };
    if (service.spec.type === 'ExternalName') return { ...base, resolution: 'no-endpoints', reason: 'is of type ExternalName, which has no endpoints' };
    if (!predictsSlices(service)) return { ...base, resolution: 'no-endpoints', reason: 'has no selector and no EndpointSlices in the snapshot' };
    return { ...base, resolution: 'selector' };
  }

  private addSlice(key: string, slice: m.EndpointSlice, podsByAddress: Map<string, m.Pod[]>, podsByName: Map<string, m.Pod>): void {
    const ports = slicePorts(slice);
    const namespace = slice.metadata.namespace ?? 'default';
    for (const endpoint of slice.endpoints ?? []) {
      for (const text of endpoint.addresses) {
        // Felix skips addresses it cannot parse, such as the host names of an FQDN slice.
        const address = parseAddress(text);
        if (!address) continue;
        let owners = podsByAddress.get(addressKey(address)) ?? [];
        const referenced = endpoint.targetRef?.kind === 'Pod' && endpoint.targetRef.name ? podsByName.get(serviceKey(endpoint.targetRef.namespace ?? namespace, endpoint.targetRef.name)) : undefined;
        // A pod the snapshot lists without an address is found by the slice's reference to it instead.
        if (owners.length === 0 && referenced && addressesOf(referenced).length === 0) owners = [referenced];
        if (owners.length > 0) {
          for (const pod of owners) this.addMember(pod, key, ports);
          continue;
        }
        let byAddress = this.external.get(key);
        if (!byAddress) {
          byAddress = new Map();
          this.external.set(key, byAddress);
        }
        const existing = byAddress.get(addressKey(address));
        byAddress.set(addressKey(address), { ...address, ports: existing ? existing.ports.union(ports) : ports });
      }
    }
  }

  private addMember(pod: m.Pod, key: string, ports: ConnSet): void {
    let memberships = this.sliceMembership.get(pod);
    if (!memberships) {
      memberships = new Map();
      this.sliceMembership.set(pod, memberships);
    }
    memberships.set(key, (memberships.get(key) ?? ConnSet.NONE).union(ports));
  }
}

export function serviceKey(namespace: string, name: string): string {
  return `${namespace}/${name}`;
}

/**
 * Returns the ports a destination match allows to a pod class or an address range outside the pods: its
 * ports for the Service, or none when it is not an endpoint.
 */
export function servicePortsOf(backends: ServiceBackends, destination: { services: ReadonlyMap<string, ConnSet> } | AddressRange): ConnSet {
  if ('services' in destination) return destination.services.get(backends.key) ?? ConnSet.NONE;
  return backends.externalGroups.find((group) => group.addresses.containsRange(destination))?.ports ?? ConnSet.NONE;
}

/** Tells whether the EndpointSlice controller writes slices for the Service: it has a selector and is not ExternalName. */
function predictsSlices(service: m.Service): boolean {
  const selector = service.spec.selector;
  return service.spec.type !== 'ExternalName' && selector !== null && selector !== undefined && Object.keys(selector).length > 0;
}

function slicePorts(slice: m.EndpointSlice): ConnSet {
  let ports = ConnSet.NONE;
  for (const port of slice.ports ?? []) {
    if (port.port === null || port.port === undefined) continue;
    ports = ports.union(ConnSet.port(felixProtocol(port.protocol), port.port));
  }
  return ports;
}

/** Felix takes a slice port's protocol as TCP unless it is UDP or SCTP. */
function felixProtocol(protocol: string | null | undefined): number {
  if (protocol === 'UDP') return PROTOCOL.UDP;
  if (protocol === 'SCTP') return PROTOCOL.SCTP;
  return PROTOCOL.TCP;
}

/** Returns the ports of the Service on the pod, each Service port's targetPort resolved as FindPort does. */
function targetPorts(service: m.Service, pod: m.Pod): ConnSet {
  let result = ConnSet.NONE;
  for (const servicePort of service.spec.ports ?? []) {
    const protocol = (servicePort.protocol ?? 'TCP').toUpperCase();
    const target = servicePort.targetPort ?? servicePort.port;
    let port: number | undefined;
    if (typeof target === 'number') port = target;
    else {
      port = pod.spec.containers.flatMap((container) => container.ports ?? []).find((candidate) => candidate.name === target && (candidate.protocol ?? 'TCP').toUpperCase() === protocol)?.containerPort;
    }
    if (port !== undefined) result = result.union(ConnSet.port(felixProtocol(protocol), port));
  }
  return result;
}

function indexPodsByAddress(pods: m.Pod[]): Map<string, m.Pod[]> {
  const index = new Map<string, m.Pod[]>();
  for (const pod of pods) {
    for (const address of addressesOf(pod)) {
      const key = addressKey(address);
      const list = index.get(key);
      if (list) list.push(pod);
      else index.set(key, [pod]);
    }
  }
  return index;
}

/** Returns every address in the pod's status, once each. Host-network pods report their node's address. */
function addressesOf(pod: m.Pod): Array<{ family: Family; value: bigint }> {
  const texts = [pod.status?.podIP, ...(pod.status?.podIPs ?? []).map((entry) => entry.ip)].filter((text): text is string => Boolean(text));
  const seen = new Map<string, { family: Family; value: bigint }>();
  for (const text of texts) {
    const address = parseAddress(text);
    if (address) seen.set(addressKey(address), address);
  }
  return [...seen.values()];
}

function addressKey(address: { family: Family; value: bigint }): string {
  return `${address.family}:${address.value}`;
}

function groupByPorts(addresses: Array<{ family: Family; value: bigint; ports: ConnSet }>): Array<{ addresses: AddressSet; ports: ConnSet }> {
  const groups = new Map<string, { ranges: AddressRange[]; ports: ConnSet }>();
  for (const address of addresses) {
    const key = address.ports.key();
    const group = groups.get(key) ?? { ranges: [], ports: address.ports };
    group.ranges.push({ family: address.family, from: address.value, to: address.value });
    groups.set(key, group);
  }
  return [...groups.entries()].sort(([a], [b]) => compareText(a, b)).map(([, group]) => ({ addresses: AddressSet.of(group.ranges), ports: group.ports }));
}
