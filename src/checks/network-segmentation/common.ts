import type { PolicyWorkload } from '../fixes/network-policy.js';
import { explainConnection, type Endpoint, type PodEndpoint, type ReachModel, type ReachVerdict, type WorkloadRef } from '../../engines/reach/index.js';
import type { Inventory } from '../../inventory/inventory.js';
import type { ResourceKind } from '../../inventory/model.js';
import { POLICY_KINDS } from '../kinds.js';
import type { Evidence, EvidencePath, PathHop, ResourceRef } from '../types.js';
import { compareText } from '../../compare.js';

// Helpers shared by the network segmentation checks: naming, counting and evidence paths.

/** Labels that controllers add per pod or per revision, which a podSelector must not use. */
const VOLATILE_LABELS = [/^pod-template-hash$/, /^controller-revision-hash$/, /^pod-template-generation$/, /^statefulset\.kubernetes\.io\/pod-name$/, /^apps\.kubernetes\.io\/pod-index$/, /^job-name$/, /^controller-uid$/, /^batch\.kubernetes\.io\//];

export const MAX_EXAMPLE_PATHS = 3;

export function workloadLabel(workload: WorkloadRef): string {
  return `${workload.kind} ${workload.namespace}/${workload.name}`;
}

export function workloadResource(workload: WorkloadRef): ResourceRef {
  return { kind: workload.kind, namespace: workload.namespace, name: workload.name };
}

/** The labels a podSelector can use for a workload: its selector's matchLabels, else the labels all its pods share. */
export function stablePodLabels(model: ReachModel, workload: WorkloadRef, pods: PodEndpoint[]): Record<string, string> {
  const object = model.inventory.workload(workload.kind, workload.namespace, workload.name);
  const selector = object && 'selector' in object.spec ? object.spec.selector?.matchLabels : undefined;
  if (selector && Object.keys(selector).length > 0) return sortRecord(selector);
  const [first, ...rest] = pods;
  if (!first) return {};
  const shared: Record<string, string> = {};
  for (const [key, value] of Object.entries(first.pod.metadata.labels)) {
    if (VOLATILE_LABELS.some((pattern) => pattern.test(key))) continue;
    if (rest.every((pod) => pod.pod.metadata.labels[key] === value)) shared[key] = value;
  }
  return sortRecord(shared);
}

export function policyWorkload(model: ReachModel, workload: WorkloadRef, pods: PodEndpoint[]): PolicyWorkload {
  return { kind: workload.kind, namespace: workload.namespace, name: workload.name, podLabels: stablePodLabels(model, workload, pods) };
}

/** `shop (12 pods), ops (3 pods)`, largest first. */
export function countByNamespace(pods: PodEndpoint[]): Array<{ namespace: string; pods: number; workloads: number }> {
  const byNamespace = new Map<string, { pods: number; workloads: Set<string> }>();
  for (const pod of pods) {
    let entry = byNamespace.get(pod.namespace);
    if (!entry) {
      entry = { pods: 0, workloads: new Set() };
      byNamespace.set(pod.namespace, entry);
    }
    entry.pods += 1;
    entry.workloads.add(`${pod.workload.kind}/${pod.workload.name}`);
  }
  return [...byNamespace.entries()]
    .map(([namespace, entry]) => ({ namespace, pods: entry.pods, workloads: entry.workloads.size }))
    .sort((a, b) => b.pods - a.pods || compareText(a.namespace, b.namespace));
}

/**
 * Lists, for the coverage of a check that evaluates reachability, the policy kinds the snapshot lacks and
 * what the verdicts then leave out. The engine evaluates only the policies it is given, so a missing kind
 * makes pods look more open than they may be.
 */
export function missingPolicyNotices(model: ReachModel): string[] {
  const inventory = model.inventory;
  const missing = POLICY_KINDS.filter((kind) => !inventory.has(kind));
  // A kind that live collection could not list is unknown, not empty, so its notice comes first.
  const failed = missing.flatMap((kind) => (inventory.data.collectionGaps.get(kind) ?? []).map((gap) => `${kind} could not be collected (${gap.api}: ${gap.status}), so the verdicts leave out any policies of that kind`));
  if (missing.length === POLICY_KINDS.length) return [...failed, noPolicyKinds()];
  const notices: string[] = [...failed];
  if (missing.includes('NetworkPolicy')) {
    notices.push('the snapshot contains no Kubernetes NetworkPolicy, so only the Calico policies are evaluated; if the cluster has NetworkPolicies, which Calico also enforces, add them to the snapshot');
  }
  const missingCalico = missing.filter((kind) => kind !== 'NetworkPolicy');
  if (missingCalico.length > 0 && model.cni.name === 'calico') {
    notices.push(`Calico enforces policy here (${model.cni.evidence}), but the snapshot contains no ${kindList(missingCalico)}; if the cluster has them, add them to the snapshot`);
  }
  return notices;
}

/** Evidence for findings of a snapshot without any policy kind: the finding may only reflect what was exported. */
export function noPolicyEvidence(inventory: Inventory): Evidence[] {
  return POLICY_KINDS.some((kind) => inventory.has(kind)) ? [] : [{ fact: `${capitalise(noPolicyKinds())}.` }];
}

// NOTE: kubectl writes an empty result as a `List` without items, which names no kind. A snapshot therefore
// cannot tell a cluster without policies from an export that left them out, and this text covers both.
function noPolicyKinds(): string {
  return `the snapshot contains no ${kindList(POLICY_KINDS)}, so no policy restricts any pod; if the cluster has policies, add them to the snapshot`;
}

function kindList(kinds: ResourceKind[]): string {
  return kinds.length > 1 ? `${kinds.slice(0, -1).join(', ')} or ${kinds[kinds.length - 1]}` : kinds.join('');
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${count} ${count === 1 ? singular : pluralForm}`;
}

/** Joins items as prose: `a`, `a and b`, `a, b and c`. */
export function listPhrase(items: string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/** Lists up to `max` items, then counts the rest: `a, b, and 3 more namespaces`. */
export function listWithMore(items: string[], max: number, noun: string): string {
  if (items.length <= max) return items.join(', ');
  return `${items.slice(0, max).join(', ')}, and ${plural(items.length - max, `more ${noun}`)}`;
}

/** An evidence path from a verdict: the source's egress decision, then the destination's ingress decision. */
export function pathFromVerdict(verdict: ReachVerdict, target: { kind: string; id: string }): EvidencePath {
  const hop = (side: ReachVerdict['egress']): PathHop => ({
    kind: side.direction === 'egress' ? 'egress' : 'ingress',
    id: side.policy ? `${side.policy.kind} ${side.policy.namespace ? `${side.policy.namespace}/` : ''}${side.policy.name}${side.rule ? ` rule ${side.rule}` : ''}` : side.decidedBy,
    decision: side.allowed ? 'allow' : 'deny',
    detail: side.sentence,
    ...(side.policy ? { source: side.policy.source } : {}),
  });
  return { source: verdict.source, protocol: verdict.protocol, port: verdict.port, target, hops: [hop(verdict.egress), hop(verdict.ingress)] };
}

export function examplePath(model: ReachModel, source: Endpoint, destination: PodEndpoint, protocol: number, port: number): EvidencePath {
  const verdict = explainConnection(model, source, { kind: 'pod', pod: destination }, protocol, port);
  return pathFromVerdict(verdict, { kind: 'Pod', id: `${destination.namespace}/${destination.name}` });
}

function sortRecord(record: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(record).sort(([a], [b]) => compareText(a, b)));
}
