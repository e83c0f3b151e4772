import { readSnapshotFolder } from '../../../src/collect/snapshot.js';
import { buildInventory, type LoadResult } from '../../../src/inventory/build.js';
import { loadDocuments } from '../../../src/inventory/load.js';
import { parseCidr, PROTOCOL, type Endpoint, type PodEndpoint, type ReachModel, type WorkloadRef } from '../../../src/engines/reach/index.js';

// Helpers shared by the reachability tests: realistic objects for unit tests, and the normalisation that
// lets other projects' corpora load as the real API would have returned them.

export function namespace(name: string, labels: Record<string, string> = {}): object {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'kubernetes.io/metadata.name': name, ...labels } } };
}

export interface PodOptions {
  labels?: Record<string, string>;
  ports?: Array<{ name?: string; containerPort: number; protocol?: string }>;
  ip?: string;
  hostNetwork?: boolean;
  nodeName?: string;
  serviceAccountName?: string;
  image?: string;
  env?: Array<{ name: string; value: string }>;
  owner?: { kind: string; name: string };
  phase?: string;
}

export function pod(namespaceName: string, name: string, options: PodOptions = {}): object {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: namespaceName,
      labels: options.labels ?? { app: name },
      ...(options.owner ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: options.owner.kind, name: options.owner.name, controller: true }] } : {}),
    },
    spec: {
      containers: [{ name: 'main', image: options.image ?? 'registry.example/app:1.0', ports: options.ports ?? [], env: options.env ?? [] }],
      ...(options.hostNetwork ? { hostNetwork: true } : {}),
      ...(options.nodeName ? { nodeName: options.nodeName } : {}),
      ...(options.serviceAccountName ? { serviceAccountName: options.serviceAccountName } : {}),
    },
    status: { phase: options.phase ?? 'Running', ...(options.ip ? { podIP: options.ip, podIPs: [{ ip: options.ip }] } : {}) },
  };
}

export function networkPolicy(namespaceName: string, name: string, spec: object): object {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name, namespace: namespaceName }, spec };
}

export function calicoPolicy(kind: 'NetworkPolicy' | 'GlobalNetworkPolicy', name: string, spec: object, namespaceName?: string): object {
  return { apiVersion: 'projectcalico.org/v3', kind, metadata: { name, ...(namespaceName ? { namespace: namespaceName } : {}) }, spec };
}

export interface ServicePortOptions {
  name?: string;
  port: number;
  protocol?: string;
  targetPort?: number | string;
}

/** Builds a Service as `kubectl get service -o yaml` prints it; without a selector it selects no pod. */
export function service(namespaceName: string, name: string, options: { selector?: Record<string, string>; ports?: ServicePortOptions[]; type?: string; clusterIP?: string } = {}): object {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: namespaceName },
    spec: {
      type: options.type ?? 'ClusterIP',
      clusterIP: options.clusterIP ?? '172.20.0.10',
      ...(options.selector ? { selector: options.selector } : {}),
      ports: (options.ports ?? []).map((port) => ({ protocol: 'TCP', targetPort: port.port, ...port })),
    },
  };
}

export interface SliceEndpoint {
  address: string;
  /** The pod the endpoint stands for; absent for endpoints that are not pods, such as the API server's. */
  pod?: string;
  ready?: boolean;
}

/**
 * Builds an EndpointSlice as `kubectl get endpointslices -o yaml` prints it, with the node, zone and
 * condition fields the controller writes.
 */
export function endpointSlice(namespaceName: string, name: string, serviceName: string, endpoints: SliceEndpoint[], ports: Array<{ name?: string; port: number | null; protocol?: string }>): object {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name,
      namespace: namespaceName,
      labels: { 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io', 'kubernetes.io/service-name': serviceName },
      ownerReferences: [{ apiVersion: 'v1', kind: 'Service', name: serviceName, controller: true, blockOwnerDeletion: true }],
    },
    addressType: endpoints.some((endpoint) => endpoint.address.includes(':')) ? 'IPv6' : 'IPv4',
    endpoints: endpoints.map((endpoint) => ({
      addresses: [endpoint.address],
      conditions: { ready: endpoint.ready ?? true, serving: endpoint.ready ?? true, terminating: false },
      nodeName: 'node-1',
      zone: 'eu-west-1a',
      ...(endpoint.pod ? { targetRef: { kind: 'Pod', name: endpoint.pod, namespace: namespaceName } } : {}),
    })),
    ports: ports.map((port) => ({ protocol: 'TCP', ...port })),
  };
}

/** Builds a cluster-wide Calico Profile, as `calicoctl get profile NAME -o yaml` prints it. */
export function calicoProfile(name: string, spec: object): object {
  return { apiVersion: 'projectcalico.org/v3', kind: 'Profile', metadata: { name }, spec };
}

/** Builds a Calico Tier as `kubectl get tiers.projectcalico.org NAME -o yaml` prints it. */
export function calicoTier(name: string, spec: { order?: number; defaultAction?: string } = {}): object {
  return { apiVersion: 'projectcalico.org/v3', kind: 'Tier', metadata: { name, creationTimestamp: '2026-01-10T10:00:00Z', resourceVersion: '1001' }, spec };
}

/** Builds an inventory from documents and fails the test on any input problem. */
export function load(documents: object[]): LoadResult {
  const result = loadDocuments({ 'snapshot.yaml': documents });
  const errors = result.problems.filter((problem) => problem.level === 'error');
  if (errors.length > 0) throw new Error(`test input is invalid: ${errors.map((problem) => `${problem.path}: ${problem.message}`).join('; ')}`);
  return result;
}

/**
 * Loads a folder of another project's test input. Those files are hand-written and leave out fields the
 * API server always fills (container names, owner reference kinds); they also use shapes the API rejects
 * (`ports: {}`, a misspelt `containerport`). `conform` repairs exactly those, so that the inventory's
 * schemas, which follow the API, accept the objects.
 */
export async function loadCorpusFolder(folder: string, conform: (document: unknown) => unknown = conformToApi): Promise<LoadResult> {
  const raw = await readSnapshotFolder(folder);
  raw.files = raw.files.map((file) => ({ ...file, documents: file.documents.map(conform) }));
  return buildInventory(raw);
}

export function conformToApi(document: unknown): unknown {
  if (Array.isArray(document)) return document.map(conformToApi);
  if (!isRecord(document)) return document;
  if (Array.isArray(document.items)) return { ...document, items: document.items.map(conformToApi) };
  const copy = structuredClone(document);
  const metadata = isRecord(copy.metadata) ? copy.metadata : undefined;
  if (metadata && Array.isArray(metadata.ownerReferences)) {
    for (const owner of metadata.ownerReferences) if (isRecord(owner) && typeof owner.kind !== 'string') owner.kind = '';
  }
  for (const spec of podSpecs(copy)) {
    const containers = Array.isArray(spec.containers) ? spec.containers : [];
    containers.forEach((container, index) => {
      if (!isRecord(container)) return;
      if (typeof container.name !== 'string') container.name = `container-${index}`;
      if (!Array.isArray(container.ports)) container.ports = [];
      container.ports = (container.ports as unknown[]).filter((port) => isRecord(port) && typeof port.containerPort === 'number');
    });
  }
  return copy;
}

function podSpecs(document: Record<string, unknown>): Array<Record<string, unknown>> {
  const spec = isRecord(document.spec) ? document.spec : undefined;
  if (!spec) return [];
  if (document.kind === 'Pod') return [spec];
  const template = isRecord(spec.template) ? spec.template : isRecord(spec.jobTemplate) && isRecord(spec.jobTemplate.spec) && isRecord(spec.jobTemplate.spec.template) ? spec.jobTemplate.spec.template : undefined;
  return template && isRecord(template.spec) ? [template.spec] : [];
}

/** netpol-analyzer's workload naming: the pod's controller as its owner reference names it, else (static pods too) the pod. */
export function netpolAnalyzerWorkload(pod: PodEndpoint): WorkloadRef {
  const owners = pod.pod.metadata.ownerReferences ?? [];
  const owner = owners.find((reference) => reference.controller) ?? owners[0];
  if (!owner || owner.kind === 'Node') return { kind: 'Pod', namespace: pod.namespace, name: pod.name };
  return { kind: owner.kind || 'Pod', namespace: pod.namespace, name: owner.name };
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Returns the pod `namespace/name`, or the address range of a CIDR (IPv4 or IPv6), of a model. */
export function endpoint(reach: ReachModel, reference: string): Endpoint {
  if (/^[\d:]/.test(reference)) return { kind: 'external', range: parseCidr(reference) };
  const [namespaceName, name] = reference.split('/') as [string, string];
  const found = reach.pod(namespaceName, name);
  if (!found) throw new Error(`no pod ${reference}`);
  return { kind: 'pod', pod: found };
}

/** Tells whether the model allows a connection from one endpoint to another on a port. */
export function allowed(reach: ReachModel, from: string, to: string, port: number, protocol: number = PROTOCOL.TCP): boolean {
  return reach.connections(endpoint(reach, from), endpoint(reach, to)).has(protocol, port);
}
