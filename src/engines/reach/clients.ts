import type * as m from '../../inventory/model.js';
import type { LabelSelector } from '../../inventory/schemas/kubernetes.js';
import { matchesServiceSelector } from '../../inventory/selectors.js';
import { parseCalicoSelector, SelectorSyntaxError, type SelectorNode } from './calico-selector.js';
import { detectDatastore, workloadKey } from './datastores.js';
import type { EndpointClass, PodEndpoint, WorkloadRef } from './endpoints.js';
import type { ReachModel } from './model.js';
import { policyLabel, type CompiledPolicy } from './policy.js';
import type { ConnSet } from './ports.js';
import { compareText } from '../../compare.js';

// Legitimate clients of a workload, inferred from the snapshot without reading any value: environment
// variables whose value named one of the workload's Services (the inventory keeps only those host names),
// Allow rules of the policies in force that name a workload by its labels, and Helm release or
// app.kubernetes.io/part-of relations. ConfigMaps and container arguments are not in the inventory, because
// their values may hold credentials, so references made only there are not found.

export interface ClientEvidence {
  workload: WorkloadRef;
  pods: PodEndpoint[];
  /** Sentences such as `env DATABASE_URL names Service hie-prod-34/hie-prod-34-postgresql`. */
  reasons: string[];
}

export interface InferredClients {
  /** Clients the least-privilege policy admits. */
  clients: ClientEvidence[];
  /** Workloads related by Helm release or part-of that no reference or policy names; not admitted while those exist. */
  related: ClientEvidence[];
  /**
   * The strongest source of the clients: `references` (env values), `policies` (policy rules that name them,
   * no env reference found), `relations` (only Helm release or part-of), or `none`.
   */
  basis: 'references' | 'policies' | 'relations' | 'none';
  /** Services that select the target's pods. */
  services: m.Service[];
  limitations: string[];
}

export const CLIENT_INFERENCE_LIMITATIONS = [
  'ConfigMaps and container arguments are not loaded (their values may hold credentials), so clients that name the Service only there are not found',
  'no Calico flow logs or VPC Flow Logs are read, so observed traffic does not confirm or add clients',
];

/**
 * Infers the clients of the workload that `target` pods belong to. Policy rules count only where they admit
 * a workload on one of `ports`.
 */
export function inferClients(model: ReachModel, target: PodEndpoint[], ports: ConnSet): InferredClients {
  const first = target[0];
  if (!first) return { clients: [], related: [], basis: 'none', services: [], limitations: CLIENT_INFERENCE_LIMITATIONS };
  const namespace = first.namespace;
  const targetKeys = new Set(target.map((pod) => workloadKey(pod.workload)));
  const services = model.inventory.servicesInNamespace(namespace).filter((service) => target.some((pod) => matchesServiceSelector(service.spec.selector, pod.pod.metadata.labels)));
  const serviceNames = new Map<string, m.Service>();
  for (const service of services) serviceNames.set(`${service.metadata.name}.${namespace}`, service);

  const references = new Map<string, ClientEvidence>();
  const named = new Map<string, ClientEvidence>();
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
  for (const { pod, reason } of policyNamedSources(model, target, ports)) {
    if (!targetKeys.has(workloadKey(pod.workload))) add(named, pod, reason);
  }
  for (const pod of model.classesIn(namespace).flatMap((cls) => cls.pods)) {
    if (targetKeys.has(workloadKey(pod.workload))) continue;
    if (detectDatastore(pod)) continue;
    const labels = pod.pod.metadata.labels;
    if (release && (labels['app.kubernetes.io/instance'] ?? helmRelease(model, pod)) === release) add(relations, pod, `same Helm release ${release}`);
    if (partOf && labels['app.kubernetes.io/part-of'] === partOf) add(relations, pod, `same app.kubernetes.io/part-of ${partOf}`);
  }

  const sort = (list: ClientEvidence[]) => list.sort((a, b) => compareText(workloadKey(a.workload), workloadKey(b.workload)));
  // References and policy rules name a workload on purpose, so with either, relations alone admit nobody.
  if (references.size > 0 || named.size > 0) {
    const clients = new Map(references);
    for (const [key, entry] of named) {
      const existing = clients.get(key);
      if (existing) clients.set(key, { ...existing, pods: [...new Set([...existing.pods, ...entry.pods])], reasons: [...existing.reasons, ...entry.reasons] });
      else clients.set(key, entry);
    }
    const related = [...relations.values()].filter((entry) => !clients.has(workloadKey(entry.workload)));
    const basis = references.size > 0 ? 'references' : 'policies';
    return { clients: sort([...clients.values()]), related: sort(related), basis, services, limitations: CLIENT_INFERENCE_LIMITATIONS };
  }
  if (relations.size > 0) return { clients: sort([...relations.values()]), related: [], basis: 'relations', services, limitations: CLIENT_INFERENCE_LIMITATIONS };
  return { clients: [], related: [], basis: 'none', services, limitations: CLIENT_INFERENCE_LIMITATIONS };
}

/**
 * Lists the pods that an Allow ingress rule of a policy in force for the target admits on one of `ports`,
 * where the rule names its sources by label values (see namesWorkloads). Such a rule is an operator's
 * statement that the workload is a client, as an env reference is.
 */
function policyNamedSources(model: ReachModel, target: PodEndpoint[], ports: ConnSet): Array<{ pod: PodEndpoint; reason: string }> {
  const result: Array<{ pod: PodEndpoint; reason: string }> = [];
  const seen = new Set<string>();
  const targetClasses = [...new Set(target.map((pod) => pod.classId))].map((id) => model.classes[id]).filter((cls): cls is EndpointClass => cls !== undefined);
  for (const cls of targetClasses) {
    for (const policy of model.appliedTiers(cls, 'ingress').flatMap((tier) => tier.policies)) {
      const object = policyObject(model, policy);
      if (!object) continue;
      for (const rule of policy.rules.ingress) {
        if (rule.action !== 'Allow' || !namesWorkloads(object, rule.index)) continue;
        const reason = `${policyLabel(policy.ref)} ingress rule ${rule.index + 1} names it by its labels (${rule.summary})`;
        for (const source of model.classes) {
          const remote = { kind: 'class' as const, cls: source };
          if (!rule.matches(cls, remote) || rule.connections(cls, remote).intersect(ports).isEmpty()) continue;
          for (const pod of source.pods) {
            const key = `${pod.namespace}/${pod.name}|${reason}`;
            if (seen.has(key)) continue;
            seen.add(key);
            result.push({ pod, reason });
          }
        }
      }
    }
  }
  return result;
}

type PolicyObject = { kind: 'kubernetes'; policy: m.NetworkPolicy } | { kind: 'calico'; policy: m.CalicoPolicy };

function policyObject(model: ReachModel, policy: CompiledPolicy): PolicyObject | undefined {
  const ref = policy.ref;
  if (ref.kind === 'NetworkPolicy') {
    const found = model.inventory.data.networkPolicies.find((candidate) => (candidate.metadata.namespace ?? 'default') === ref.namespace && candidate.metadata.name === ref.name);
    return found ? { kind: 'kubernetes', policy: found } : undefined;
  }
  const kind = ref.kind === 'CalicoGlobalNetworkPolicy' ? 'GlobalNetworkPolicy' : 'NetworkPolicy';
  const found = model.inventory.data.calicoPolicies.find(
    (candidate) => candidate.kind === kind && candidate.metadata.name === ref.name && (kind === 'GlobalNetworkPolicy' || (candidate.metadata.namespace ?? 'default') === ref.namespace),
  );
  return found ? { kind: 'calico', policy: found } : undefined;
}

/**
 * Tells whether every source of an ingress rule is a set of pods chosen by label values, in namespaces
 * chosen by name or label values:
 * - Kubernetes: `from` is not empty. Each peer has no ipBlock and a podSelector with a matchLabels entry or
 *   an `In` expression. Its namespaceSelector is absent (the policy's namespace) or also has one of those.
 * - Calico: the source has `services`, serviceAccounts names, or a selector (of endpoints or service
 *   accounts) with `==` or `in` that no `||` or `!` can bypass. Its namespaceSelector also requires a label
 *   value, or is absent in a namespaced NetworkPolicy. In a GlobalNetworkPolicy an absent one means every
 *   namespace.
 * A rule without sources, with `podSelector: {}`, with only a namespace selector or with addresses admits
 * groups, not named workloads, and does not count.
 */
function namesWorkloads(object: PolicyObject, index: number): boolean {
  if (object.kind === 'kubernetes') {
    const peers = object.policy.spec.ingress?.[index]?.from ?? [];
    return peers.length > 0 && peers.every((peer) => !peer.ipBlock && namesLabelValues(peer.podSelector) && (peer.namespaceSelector === undefined || namesLabelValues(peer.namespaceSelector)));
  }
  const source = object.policy.spec.ingress?.[index]?.source ?? {};
  if (source.services !== undefined) return true;
  const accounts = (source.serviceAccounts ?? {}) as { names?: unknown; selector?: unknown };
  const endpoints =
    calicoNamesLabelValues(source.selector) || (Array.isArray(accounts.names) && accounts.names.length > 0) || calicoNamesLabelValues(accounts.selector);
  if (!endpoints) return false;
  if (source.namespaceSelector !== undefined) return calicoNamesLabelValues(source.namespaceSelector);
  return object.policy.kind === 'NetworkPolicy';
}

/** Tells whether a label selector requires a label to have given values: a matchLabels entry or an `In` expression. */
function namesLabelValues(selector: LabelSelector | undefined): boolean {
  if (!selector) return false;
  if (Object.keys(selector.matchLabels ?? {}).length > 0) return true;
  return (selector.matchExpressions ?? []).some((expression) => expression.operator === 'In' && (expression.values ?? []).length > 0);
}

function calicoNamesLabelValues(text: unknown): boolean {
  if (typeof text !== 'string') return false;
  try {
    return requiresLabelValue(parseCalicoSelector(text));
  } catch (error) {
    if (error instanceof SelectorSyntaxError) return false;
    throw error;
  }
}

/** Tells whether every object a Calico selector matches must carry one of a few given values of some label. */
function requiresLabelValue(node: SelectorNode): boolean {
  switch (node.op) {
    case 'eq':
      return true;
    case 'in':
      return node.values.length > 0;
    case 'and':
      return node.operands.some(requiresLabelValue);
    case 'or':
      return node.operands.every(requiresLabelValue);
    default:
      return false;
  }
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
