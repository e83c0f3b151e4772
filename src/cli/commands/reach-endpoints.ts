import { compareText } from '../../compare.js';
import { formatRange, parseAddress, parseCidr, parseProtocol, protocolName, type Endpoint, type PodEndpoint, type ReachModel } from '../../engines/reach/index.js';
import type * as m from '../../inventory/model.js';
import { UsageError } from '../io.js';

// Resolution of `rampart reach --from` and `--to` to pods, Services and addresses outside the pods.
// NetworkPolicy applies to a pod whatever name the user gives it, so an IP address that is a pod's address
// (status.podIP or status.podIPs) is that pod. An address that is a Service's cluster IP is the Service:
// kube-proxy rewrites the destination to one of its pods before policy applies, so the Service's pods are
// evaluated as for NAMESPACE/service/NAME.

export type EndOption = '--from' | '--to';

/** The resolution of an IP address given to --from or --to, stated in the verdict. */
export interface AddressResolution {
  option: EndOption;
  address: string;
  /** The owner of the address in the snapshot: a pod, a Service (by its cluster IP), or neither. */
  resolvedTo: 'pod' | 'service' | 'outside';
  /** `namespace/name` of the pod or Service. */
  name?: string;
  sentence: string;
}

/** One end of a query: a pod or an address outside the pods, or (for --to) a Service. */
export type ResolvedEnd = { kind: 'endpoint'; endpoint: Endpoint; address?: AddressResolution } | { kind: 'service'; service: m.Service; address?: AddressResolution };

/** A Service query's Service port, and where it sends connections: each backend pod with its target port. */
export interface ServiceTarget {
  namespace: string;
  name: string;
  /** The Service port the query names. */
  port: number;
  protocol: string;
  /** The port's targetPort as the Service writes it (the Service port when unset). */
  targetPort: number | string;
  clusterIPs: string[];
  backends: Array<{ pod: PodEndpoint; port: number }>;
  /** Pods the selector matches on which a named targetPort resolves to no container port. */
  podsWithoutTargetPort: Array<{ pod: string; reason: string }>;
}

/**
 * Resolves `NAMESPACE/POD`, `NAMESPACE/KIND/NAME` (a workload: its first pod), `NAMESPACE/service/NAME`
 * (for --to), or an IP address: a pod's address, a Service's cluster IP (for --to), or an address outside
 * the pods.
 */
export function resolveEnd(model: ReachModel, text: string, option: EndOption): ResolvedEnd {
  const [head = '', ...rest] = text.trim().split('/');
  if (isAddressText(head)) return resolveAddress(model, rest.length === 0 ? head : singleAddressOf(text, option), option);

  const parts = text.split('/');
  if (parts.length === 3 && parts[1]?.toLowerCase() === 'service') {
    const [namespace, , name] = parts as [string, string, string];
    if (option === '--from') throw new UsageError('--from cannot be a Service: name a pod or workload');
    const service = model.inventory.service(namespace, name);
    if (!service) throw new UsageError(`--to ${text}: no Service ${name} in namespace ${namespace}`);
    return { kind: 'service', service };
  }
  if (parts.length === 2) {
    const [namespace, name] = parts as [string, string];
    const found = model.pod(namespace, name) ?? firstPod(model.pods.filter((pod) => pod.namespace === namespace && pod.workload.name === name));
    if (found) return { kind: 'endpoint', endpoint: { kind: 'pod', pod: found } };
    throw new UsageError(`${option} ${text}: no pod or workload ${name} in namespace ${namespace}${suggest(model, namespace)}`);
  }
  if (parts.length === 3) {
    const [namespace, kind, name] = parts as [string, string, string];
    const found = firstPod(model.pods.filter((pod) => pod.namespace === namespace && pod.workload.kind.toLowerCase() === kind.toLowerCase() && pod.workload.name === name));
    if (found) return { kind: 'endpoint', endpoint: { kind: 'pod', pod: found } };
    throw new UsageError(`${option} ${text}: no ${kind} ${name} with pods in namespace ${namespace}${suggest(model, namespace)}`);
  }
  const kinds = option === '--to' ? 'NAMESPACE/POD, NAMESPACE/KIND/NAME, NAMESPACE/service/NAME' : 'NAMESPACE/POD, NAMESPACE/KIND/NAME';
  throw new UsageError(`${option} ${text} is not ${kinds} or an IP address`);
}

/**
 * Lists the pods a Service port sends connections to, each with the port its targetPort resolves to on
 * that pod. The EndpointSlice controller takes a number as is, and a name as the container port with that
 * name and the Service port's protocol. Pods in phase Succeeded or Failed are not endpoints.
 */
export function resolveServiceTarget(model: ReachModel, service: m.Service, text: string, servicePort: number, protocol: number): ServiceTarget {
  const namespace = service.metadata.namespace ?? 'default';
  const name = service.metadata.name;
  const ports = service.spec.ports ?? [];
  const entry = ports.find((candidate) => candidate.port === servicePort && (parseProtocol(candidate.protocol ?? 'TCP') ?? 6) === protocol);
  if (!entry) {
    const listed = ports.map((candidate) => `${candidate.port}/${candidate.protocol ?? 'TCP'}`).join(', ') || 'none';
    throw new UsageError(`--to ${text}: Service ${namespace}/${name} has no port ${servicePort}/${protocolName(protocol)} (ports: ${listed})`);
  }
  const selector = service.spec.selector;
  if (!selector || Object.keys(selector).length === 0) throw new UsageError(`--to ${text}: Service ${namespace}/${name} has no selector, so its endpoints are not known from the snapshot`);
  const selected = model.pods
    .filter((pod) => pod.namespace === namespace && isEndpointPhase(pod.pod) && Object.entries(selector).every(([key, value]) => pod.pod.metadata.labels[key] === value))
    .sort((a, b) => compareText(a.name, b.name));
  if (selected.length === 0) throw new UsageError(`--to ${text}: Service ${namespace}/${name} selects no pod in the snapshot`);

  const targetPort = entry.targetPort ?? entry.port;
  const backends: ServiceTarget['backends'] = [];
  const podsWithoutTargetPort: ServiceTarget['podsWithoutTargetPort'] = [];
  for (const pod of selected) {
    const port = resolveTargetPort(pod.pod, targetPort, protocol);
    if (port === undefined) podsWithoutTargetPort.push({ pod: `${pod.namespace}/${pod.name}`, reason: `it has no container port named ${String(targetPort)} for ${protocolName(protocol)}` });
    else backends.push({ pod, port });
  }
  if (backends.length === 0) {
    throw new UsageError(`--to ${text}: Service ${namespace}/${name} port ${servicePort}/${protocolName(protocol)} targets port ${String(targetPort)}, which none of its pods (${podsWithoutTargetPort.map((entry) => entry.pod).join(', ')}) declares, so it has no endpoints`);
  }
  return { namespace, name, port: servicePort, protocol: protocolName(protocol), targetPort, clusterIPs: clusterIPsOf(service), backends, podsWithoutTargetPort };
}

/**
 * Tells whether text is an IP address written in full: four decimal parts, or IPv6 (which has colons). Names
 * of namespaces have neither colons nor dots, so `NAMESPACE/POD` never reads as an address.
 */
function isAddressText(text: string): boolean {
  return (/^\d{1,3}(\.\d{1,3}){3}$/.test(text) || text.includes(':')) && parseAddress(text) !== undefined;
}

/** Accepts `ADDRESS/32` or `ADDRESS/128` as that address and rejects any wider range with what is accepted. */
function singleAddressOf(text: string, option: EndOption): string {
  let range;
  try {
    range = parseCidr(text);
  } catch {
    throw new UsageError(`${option} ${text} is not a valid IP address or CIDR`);
  }
  if (range.from === range.to) return text.slice(0, text.indexOf('/')).trim();
  const accepted = option === '--to' ? 'a pod, a workload, a Service or one IP address' : 'a pod, a workload or one IP address';
  throw new UsageError(`${option} ${text} is an address range (${formatRange(range)}), but ${option} takes ${accepted}, such as ${text.slice(0, text.indexOf('/'))}. To list the connections of address ranges, use --matrix`);
}

function resolveAddress(model: ReachModel, text: string, option: EndOption): ResolvedEnd {
  const address = parseAddress(text) as { family: 4 | 6; value: bigint };
  const pods = podsWithAddress(model, address);
  if (pods.length > 1) {
    const names = pods.map((pod) => `${pod.namespace}/${pod.name}`);
    throw new UsageError(
      `${option} ${text} is the address of ${pods.length} pods (${names.join(', ')}), which use their node's network; the address does not tell which of them opens or receives the connection, so name one, such as ${option} ${names[0]}`,
    );
  }
  const [pod] = pods;
  if (pod) {
    const name = `${pod.namespace}/${pod.name}`;
    const hostNetwork = pod.hostNetwork ? ", which uses its node's network" : '';
    return { kind: 'endpoint', endpoint: { kind: 'pod', pod }, address: { option, address: text, resolvedTo: 'pod', name, sentence: `${text} is pod ${name}${hostNetwork}.` } };
  }

  const service = serviceWithClusterIP(model, address);
  if (service) {
    const name = `${service.metadata.namespace ?? 'default'}/${service.metadata.name}`;
    if (option === '--from') throw new UsageError(`--from ${text} is the cluster IP of Service ${name}; connections come from pods, not from a Service: name a pod or workload`);
    const sentence = `${text} is the cluster IP of Service ${name}; kube-proxy sends the connection to one of its pods before policy applies, so each of them is evaluated.`;
    return { kind: 'service', service, address: { option, address: text, resolvedTo: 'service', name, sentence } };
  }

  const range = { family: address.family, from: address.value, to: address.value };
  const sentence = `${text} is not the address of a pod or the cluster IP of a Service in the snapshot, so it is evaluated as an address outside the pods.`;
  return { kind: 'endpoint', endpoint: { kind: 'external', range }, address: { option, address: text, resolvedTo: 'outside', sentence } };
}

/**
 * Returns the pods whose status lists the address. A pod in phase Succeeded or Failed has released its
 * address, so it counts only when no running pod has the address.
 */
function podsWithAddress(model: ReachModel, address: { family: 4 | 6; value: bigint }): PodEndpoint[] {
  const matches = model.pods.filter((pod) => {
    const texts = [pod.pod.status?.podIP, ...(pod.pod.status?.podIPs ?? []).map((entry) => entry.ip)];
    return texts.some((text) => {
      const parsed = text ? parseAddress(text) : undefined;
      return parsed !== undefined && parsed.family === address.family && parsed.value === address.value;
    });
  });
  const live = matches.filter((pod) => isEndpointPhase(pod.pod));
  return (live.length > 0 ? live : matches).sort((a, b) => compareText(`${a.namespace}/${a.name}`, `${b.namespace}/${b.name}`));
}

function serviceWithClusterIP(model: ReachModel, address: { family: 4 | 6; value: bigint }): m.Service | undefined {
  const services = model.inventory.data.services.filter((service) =>
    clusterIPsOf(service).some((text) => {
      const parsed = parseAddress(text);
      return parsed !== undefined && parsed.family === address.family && parsed.value === address.value;
    }),
  );
  return services.sort((a, b) => compareText(`${a.metadata.namespace ?? ''}/${a.metadata.name}`, `${b.metadata.namespace ?? ''}/${b.metadata.name}`))[0];
}

/** Returns the Service's cluster IPs; a headless Service (`None`) has none. */
function clusterIPsOf(service: m.Service): string[] {
  const listed = service.spec.clusterIPs ?? (service.spec.clusterIP ? [service.spec.clusterIP] : []);
  return [...new Set(listed)].filter((text) => text !== '' && text !== 'None');
}

function isEndpointPhase(pod: m.Pod): boolean {
  const phase = pod.status?.phase;
  return phase !== 'Succeeded' && phase !== 'Failed';
}

function resolveTargetPort(pod: m.Pod, target: number | string, protocol: number): number | undefined {
  if (typeof target === 'number') return target;
  if (/^\d+$/.test(target)) return Number(target);
  for (const container of pod.spec.containers) {
    for (const port of container.ports ?? []) {
      if (port.name === target && (parseProtocol(port.protocol ?? 'TCP') ?? 6) === protocol) return port.containerPort;
    }
  }
  return undefined;
}

function firstPod(pods: PodEndpoint[]): PodEndpoint | undefined {
  return [...pods].sort((a, b) => compareText(a.name, b.name))[0];
}

function suggest(model: ReachModel, namespace: string): string {
  const workloads = [...new Set(model.pods.filter((pod) => pod.namespace === namespace).map((pod) => `${pod.workload.kind.toLowerCase()}/${pod.workload.name}`))].sort();
  if (workloads.length === 0) return ` (the snapshot has no pods in namespace ${namespace})`;
  return ` (workloads there: ${workloads.slice(0, 8).join(', ')}${workloads.length > 8 ? ', …' : ''})`;
}
