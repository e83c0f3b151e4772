import type * as m from '../../inventory/model.js';
import { matchesServiceSelector } from '../../inventory/selectors.js';
import { detectDatastore, workloadKey } from './datastores.js';
import type { PodEndpoint, WorkloadRef } from './endpoints.js';
import type { ReachModel } from './model.js';
import { compareText } from '../../compare.js';

// Legitimate clients of a workload, inferred from the snapshot without reading any value: environment
// variables whose value named one of the workload's Services (the inventory keeps only those host names),
// and Helm release or app.kubernetes.io/part-of relations. ConfigMaps and container arguments are not in the
// inventory, because their values may hold credentials, so references made only there are not found.

export interface ClientEvidence {
  workload: WorkloadRef;
  pods: PodEndpoint[];
  /** Sentences such as `env DATABASE_URL names Service hie-prod-34/hie-prod-34-postgresql`. */
  reasons: string[];
}

export interface InferredClients {
  /** Clients the least-privilege policy admits. */
  clients: ClientEvidence[];
  /** Workloads related by Helm release or part-of that no reference names; not admitted while references exist. */
  related: ClientEvidence[];
  /** The source of the clients: `references`, `relations` (no reference found), or `none`. */
  basis: 'references' | 'relations' | 'none';
  /** Services that select the target's pods. */
  services: m.Service[];
  limitations: string[];
}

export const CLIENT_INFERENCE_LIMITATIONS = [
  'ConfigMaps and container arguments are not loaded (their values may hold credentials), so clients that name the Service only there are not found',
  'no Calico flow logs or VPC Flow Logs are read, so observed traffic does not confirm or add clients',
];

/** Infers the clients of the workload that `target` pods belong to. */
export function inferClients(model: ReachModel, target: PodEndpoint[]): InferredClients {
  const first = target[0];
  if (!first) return { clients: [], related: [], basis: 'none', services: [], limitations: CLIENT_INFERENCE_LIMITATIONS };
  const namespace = first.namespace;
  const targetKeys = new Set(target.map((pod) => workloadKey(pod.workload)));
  const services = model.inventory.servicesInNamespace(namespace).filter((service) => target.some((pod) => matchesServiceSelector(service.spec.selector, pod.pod.metadata.labels)));
  const serviceNames = new Map<string, m.Service>();
  for (const service of services) serviceNames.set(`${service.metadata.name}.${namespace}`, service);

  const references = new Map<string, ClientEvidence>();
  const relations = new Map<string, ClientEvidence>();
  const add = (map: Map<string, ClientEvidence>, pod: PodEndpoint, reason: string) => {
    const key = workloadKey(pod.workload);
    let entry = map.get(key);
    if (!entry) {
      entry = { workload: pod.workload, pods: [], reasons: [] };
      map.set(key, entry);
    }
    if (!entry.pods.includes(pod)) entry.pods.push(pod);
    if (!entry.reasons.includes(reason)) entry.reasons.push(reason);
  };

  const targetLabels = first.pod.metadata.labels;
  const release = targetLabels['app.kubernetes.io/instance'] ?? helmRelease(model, first);
  const partOf = targetLabels['app.kubernetes.io/part-of'];

  const index = referenceIndex(model);
  for (const [qualified, service] of serviceNames) {
    for (const reference of index.get(qualified) ?? []) {
      if (targetKeys.has(workloadKey(reference.pod.workload))) continue;
      add(references, reference.pod, `env ${reference.variable} of container ${reference.container} names Service ${namespace}/${service.metadata.name}`);
    }
  }
  for (const pod of model.classesIn(namespace).flatMap((cls) => cls.pods)) {
    if (targetKeys.has(workloadKey(pod.workload))) continue;
    if (detectDatastore(pod)) continue;
    const labels = pod.pod.metadata.labels;
    if (release && (labels['app.kubernetes.io/instance'] ?? helmRelease(model, pod)) === release) add(relations, pod, `same Helm release ${release}`);
    if (partOf && labels['app.kubernetes.io/part-of'] === partOf) add(relations, pod, `same app.kubernetes.io/part-of ${partOf}`);
  }

  const sort = (list: ClientEvidence[]) => list.sort((a, b) => compareText(workloadKey(a.workload), workloadKey(b.workload)));
  if (references.size > 0) {
    const related = [...relations.values()].filter((entry) => !references.has(workloadKey(entry.workload)));
    return { clients: sort([...references.values()]), related: sort(related), basis: 'references', services, limitations: CLIENT_INFERENCE_LIMITATIONS };
  }
  if (relations.size > 0) return { clients: sort([...relations.values()]), related: [], basis: 'relations', services, limitations: CLIENT_INFERENCE_LIMITATIONS };
  return { clients: [], related: [], basis: 'none', services, limitations: CLIENT_INFERENCE_LIMITATIONS };
}

interface Reference {
  pod: PodEndpoint;
  container: string;
  variable: string;
}

const referenceIndexes = new WeakMap<ReachModel, Map<string, Reference[]>>();

/** Indexes every env reference to a Service host by `name.namespace`, once per model. */
function referenceIndex(model: ReachModel): Map<string, Reference[]> {
  let index = referenceIndexes.get(model);
  if (index) return index;
  index = new Map();
  for (const pod of model.pods) {
    for (const container of [...pod.pod.spec.containers, ...pod.pod.spec.initContainers]) {
      for (const variable of container.env) {
        for (const host of variable.serviceHosts) {
          const qualified = host.includes('.') ? host : `${host}.${pod.namespace}`;
          const list = index.get(qualified);
          const reference = { pod, container: container.name, variable: variable.name };
          if (list) list.push(reference);
          else index.set(qualified, [reference]);
        }
      }
    }
  }
  referenceIndexes.set(model, index);
  return index;
}

function helmRelease(model: ReachModel, pod: PodEndpoint): string | undefined {
  const workload = model.inventory.workload(pod.workload.kind, pod.namespace, pod.workload.name);
  return workload?.metadata.annotations['meta.helm.sh/release-name'];
}
