import { Inventory } from '../../inventory/inventory.js';
import type * as m from '../../inventory/model.js';
import { networkPolicySchema, calicoPolicySchema } from '../../inventory/schemas/kubernetes.js';
import type { AddressRange } from './addresses.js';
import { detectDatastore, workloadKey, type DatastorePod } from './datastores.js';
import type { EndpointClass, PodEndpoint, WorkloadRef } from './endpoints.js';
import type { ReachModel } from './model.js';
import { ConnSet } from './ports.js';
import type { CompiledRule } from './policy.js';
import { compareText } from '../../compare.js';

// Who can reach a set of pods on given ports, and the same question after a policy change: the basis of
// the datastore checks and of fix verification.

export interface Reachers {
  /** Source pods outside the target workload that may connect, with what they may use. */
  pods: Array<{ pod: PodEndpoint; connections: ConnSet }>;
  /** Pieces of the address space outside the pods that may connect. */
  external: Array<{ range: AddressRange; connections: ConnSet }>;
}

/** Lists every source that may open one of `ports` to one of the target pods, leaving out the target's own workloads. */
export function reachersOf(model: ReachModel, target: PodEndpoint[], ports: ConnSet): Reachers {
  const own = target.map((pod) => pod.workload);
  const isOwn = (workload: WorkloadRef) => own.some((entry) => entry.name === workload.name && entry.namespace === workload.namespace && entry.kind === workload.kind);
  const targetClasses = uniqueClasses(model, target);
  const pods: Reachers['pods'] = [];
  const keys = new Map<PodEndpoint, string>();
  for (const cls of model.classes) {
    let connections = ConnSet.NONE;
    for (const destination of targetClasses) connections = connections.union(model.classConnections(cls, destination).intersect(ports));
    if (connections.isEmpty()) continue;
    for (const pod of cls.pods) {
      if (isOwn(pod.workload)) continue;
      pods.push({ pod, connections });
      keys.set(pod, `${pod.namespace}/${pod.name}`);
    }
  }
  const external: Reachers['external'] = [];
  for (const range of model.externalPieces('ingress')) {
    let connections = ConnSet.NONE;
    for (const destination of targetClasses) connections = connections.union(model.ingress(destination, { kind: 'external', range }).intersect(ports));
    if (!connections.isEmpty()) external.push({ range, connections });
  }
  pods.sort((a, b) => compareText(keys.get(a.pod) as string, keys.get(b.pod) as string));
  return { pods, external };
}

export interface Datastore {
  workload: WorkloadRef;
  pods: PodEndpoint[];
  detected: DatastorePod;
  /** The client ports as a connection set. */
  ports: ConnSet;
}

/** Finds the datastores of the model, one per workload, in name order. */
export function datastoresOf(model: ReachModel): Datastore[] {
  const byWorkload = new Map<string, Datastore>();
  for (const pod of model.pods) {
    if (pod.hostNetwork) continue;
    const detected = detectDatastore(pod);
    if (!detected) continue;
    const key = workloadKey(pod.workload);
    const existing = byWorkload.get(key);
    if (existing) {
      existing.pods.push(pod);
      continue;
    }
    const ports = detected.ports.reduce((set, port) => set.union(ConnSet.port(port.protocol, port.port)), ConnSet.NONE);
    byWorkload.set(key, { workload: pod.workload, pods: [pod], detected, ports });
  }
  return [...byWorkload.values()].sort((a, b) => compareText(workloadKey(a.workload), workloadKey(b.workload)));
}

export interface PolicyChange {
  /** Policy documents to add, as `kubectl apply` would take them (networking.k8s.io/v1 or projectcalico.org/v3). */
  add: Array<Record<string, unknown>>;
  /** Existing Kubernetes NetworkPolicies to delete. */
  remove: Array<{ namespace: string; name: string }>;
}

/**
 * Builds a new inventory with a policy change applied, for re-running the engine. The original inventory
 * is not changed. Added documents are validated with the inventory's own schemas.
 */
export function inventoryWithPolicyChange(inventory: Inventory, change: PolicyChange): Inventory {
  const removed = new Set(change.remove.map((entry) => `${entry.namespace}/${entry.name}`));
  const networkPolicies = inventory.data.networkPolicies.filter((policy) => !removed.has(`${policy.metadata.namespace ?? 'default'}/${policy.metadata.name}`));
  const calicoPolicies = [...inventory.data.calicoPolicies];
  change.add.forEach((document, index) => {
    const source = { file: '(proposed change)', document: index, path: '$' };
    const apiVersion = String(document.apiVersion);
    const kind = String(document.kind);
    if (apiVersion.startsWith('networking.k8s.io/') && kind === 'NetworkPolicy') {
      const parsed = networkPolicySchema.parse(document);
      networkPolicies.push({ ...parsed, apiVersion, kind, metadata: { ...parsed.metadata, labels: parsed.metadata.labels ?? {}, annotations: {} }, source } as m.NetworkPolicy);
      return;
    }
    if (apiVersion.includes('projectcalico.org') && (kind === 'NetworkPolicy' || kind === 'GlobalNetworkPolicy')) {
      const parsed = calicoPolicySchema.parse(document);
      calicoPolicies.push({ ...parsed, apiVersion, kind, metadata: { ...parsed.metadata, labels: parsed.metadata.labels ?? {}, annotations: {} }, source } as m.CalicoPolicy);
      return;
    }
    throw new Error(`proposed document ${index} is a ${apiVersion} ${kind}, not a NetworkPolicy or Calico policy`);
  });
  return new Inventory({ ...inventory.data, networkPolicies, calicoPolicies, present: new Set([...inventory.data.present, 'NetworkPolicy']) });
}

function uniqueClasses(model: ReachModel, pods: PodEndpoint[]): EndpointClass[] {
  const ids = [...new Set(pods.map((pod) => pod.classId))].sort((a, b) => a - b);
  return ids.map((id) => model.classes[id] as EndpointClass);
}

/**
 * Tells whether a namespace has a default deny for a direction: a policy of that type that selects every pod of
 * the namespace and has no rule that allows (or passes on) every peer and connection. In a tier whose
 * defaultAction is Pass, what no rule decides goes on to the next tier, so there the policy also needs a
 * Deny rule for every peer and connection. Returns undefined for a namespace without pods.
 */
export function hasDefaultDeny(model: ReachModel, namespace: string, direction: 'ingress' | 'egress'): boolean | undefined {
  const classes = model.classesIn(namespace).filter((cls) => !cls.hostNetwork);
  if (classes.length === 0) return undefined;
  const everything = { kind: 'external' as const, range: { family: 4 as const, from: 0n, to: (1n << 32n) - 1n } };
  const coversEverything = (rule: CompiledRule) => classes.some((cls) => rule.matches(cls, everything) && rule.connections(cls, everything).isAll());
  return model.policiesIn(namespace).some((policy) => {
    if (policy.skipped || !policy.types.has(direction)) return false;
    if (!classes.every((cls) => policy.selects(cls))) return false;
    const rules = policy.rules[direction];
    if (rules.some((rule) => (rule.action === 'Allow' || rule.action === 'Pass') && coversEverything(rule))) return false;
    return model.tierFacts(policy.tier).defaultAction === 'Deny' || rules.some((rule) => rule.action === 'Deny' && coversEverything(rule));
  });
}
