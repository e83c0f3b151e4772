import type { Inventory } from '../../inventory/inventory.js';
import type * as m from '../../inventory/model.js';
import { safeAnnotations } from '../../inventory/sanitize.js';
import { parseAddress, type Family } from './addresses.js';
import type { ConnSet } from './ports.js';
import { compareText } from '../../compare.js';

// Pods as the reachability engine sees them: real pods from the snapshot, plus one pod synthesised per
// workload that has none (manifests checked in CI), grouped into equivalence classes so that policies are
// evaluated once per class instead of once per pod.

/** The workload a pod is reported under: its top controller, or the pod itself. */
export interface WorkloadRef {
  kind: string;
  namespace: string;
  name: string;
}

export interface NamedPort {
  name: string;
  port: number;
  protocol: string;
}

export interface PodEndpoint {
  pod: m.Pod;
  namespace: string;
  name: string;
  classId: number;
  /** The pod's first IP from `status.podIP(s)`, parsed; absent for pending and synthesised pods. */
  address?: { family: Family; value: bigint };
  addressText?: string;
  nodeName?: string;
  hostNetwork: boolean;
  workload: WorkloadRef;
  synthesised: boolean;
}

/**
 * Pods that no policy can tell apart: same namespace, labels, named ports, service account, network mode
 * and Service memberships.
 */
export interface EndpointClass {
  id: number;
  namespace: string;
  labels: Record<string, string>;
  /**
   * The labels Calico selectors match: the workload endpoint's own (pod labels plus
   * `projectcalico.org/namespace`, …), then those its profiles apply (see profiles.ts).
   */
  calicoLabels: Record<string, string>;
  namespaceLabels: Record<string, string>;
  /**
   * Namespace labels as Calico namespace selectors see them: the `pcns.` labels of `calicoLabels` without
   * the prefix, which the namespace profile applies (by default the Namespace's labels plus
   * `projectcalico.org/name`).
   */
  calicoNamespaceLabels: Record<string, string>;
  /** Service account labels as Calico service account selectors see them: the `pcsa.` labels without the prefix. */
  calicoServiceAccountLabels: Record<string, string>;
  /** Calico profiles of the pod's workload endpoint, in order. Host-network pods have no endpoint and no profiles. */
  profiles: string[];
  namedPorts: NamedPort[];
  /**
   * The Services (`namespace/name`) whose endpoints include the class's pods, each with the ports the pods
   * serve it on, as Calico `services` rules match them (see services.ts).
   */
  services: ReadonlyMap<string, ConnSet>;
  serviceAccount: string;
  hostNetwork: boolean;
  /** Whether Istio enforces AuthorizationPolicies on the pods and gives them a mesh identity (see istioMeshMode). */
  mesh: 'sidecar' | 'ambient' | undefined;
  /** Whether the pods run the ingress-nginx controller (see isIngressNginxController). */
  ingressController: boolean;
  /** One member's address; every member's address falls in the same address piece (see `addressKey`). */
  address?: { family: Family; value: bigint };
  pods: PodEndpoint[];
}

export interface CniInfo {
  name: 'calico' | 'cilium' | 'aws-vpc-cni' | 'antrea' | 'weave' | 'kube-router' | 'unknown';
  /** What the detection was based on, as a phrase. */
  evidence: string;
}

const CNI_SIGNS: Array<{ name: CniInfo['name']; pattern: RegExp }> = [
  { name: 'calico', pattern: /(^|\/)(calico-node|calico\/node|tigera\/operator)\b|calico\/node:/ },
  { name: 'cilium', pattern: /(^|\/)cilium(:|$|-agent)|cilium\/cilium/ },
  { name: 'antrea', pattern: /antrea-agent|antrea\/antrea/ },
  { name: 'weave', pattern: /weave-net|weaveworks\/weave-kube/ },
  { name: 'kube-router', pattern: /kube-router/ },
  { name: 'aws-vpc-cni', pattern: /(^|\/)aws-node\b|amazon-k8s-cni|aws-network-policy-agent/ },
];

/**
 * The CNI plugin that enforces policies, from the DaemonSets, pods and Calico resources in the snapshot.
 * Calico wins over the Amazon VPC CNI because clusters that run both use Calico for policy.
 */
export function detectCni(inventory: Inventory): CniInfo {
  const found = cniFromWorkloads(inventory);
  if (found) return found;
  if (inventory.data.calicoPolicies.length > 0 || inventory.data.calicoNetworkSets.length > 0 || inventory.data.calicoProfiles.length > 0) {
    return { name: 'calico', evidence: 'Calico policy resources in the snapshot' };
  }
  return { name: 'unknown', evidence: 'no CNI DaemonSet or pod in the snapshot' };
}

// Inventories that differ only in their policies (proposed fixes) share the pod and DaemonSet arrays.
const cniByPods = new WeakMap<object, { daemonSets: object; cni: CniInfo | undefined }>();

function cniFromWorkloads(inventory: Inventory): CniInfo | undefined {
  const cached = cniByPods.get(inventory.data.pods);
  if (cached && cached.daemonSets === inventory.data.daemonSets) return cached.cni;
  const candidates: string[] = [];
  for (const daemonSet of inventory.data.daemonSets) {
    candidates.push(`daemonset:${daemonSet.metadata.name}`);
    for (const container of daemonSet.spec.template.spec.containers) candidates.push(`image:${container.image ?? ''}`, `container:${container.name}`);
  }
  for (const pod of inventory.data.pods) {
    if (pod.metadata.namespace !== 'kube-system' && pod.metadata.namespace !== 'calico-system' && pod.metadata.namespace !== 'tigera-operator') continue;
    for (const container of pod.spec.containers) candidates.push(`image:${container.image ?? ''}`, `pod:${pod.metadata.name}`);
  }
  let cni: CniInfo | undefined;
  for (const sign of CNI_SIGNS) {
    const hit = candidates.find((candidate) => sign.pattern.test(candidate.slice(candidate.indexOf(':') + 1)));
    if (hit) {
      cni = { name: sign.name, evidence: describeHit(hit) };
      break;
    }
  }
  cniByPods.set(inventory.data.pods, { daemonSets: inventory.data.daemonSets, cni });
  return cni;
}

function describeHit(hit: string): string {
  const [kind, value] = [hit.slice(0, hit.indexOf(':')), hit.slice(hit.indexOf(':') + 1)];
  if (kind === 'daemonset') return `DaemonSet ${value}`;
  if (kind === 'image') return `image ${value}`;
  if (kind === 'container') return `container ${value}`;
  return `pod ${value}`;
}

/**
 * Whether ipBlocks and Calico nets match pod IPs under this CNI. Calico and the Amazon VPC CNI network
 * policy agent match rules by address, so a CIDR rule also covers pods in it; Cilium applies CIDR rules only
 * to addresses outside the cluster. For an unknown CNI the engine assumes matching, which can only show more
 * reachability, never less.
 */
export function ipBlocksMatchPodsFor(cni: CniInfo): boolean {
  return cni.name !== 'cilium';
}

/**
 * One Pod per workload that has no Pods in the snapshot, built from the workload's pod template. The
 * inventory is not changed. Workloads owned by another workload (a Deployment's ReplicaSets, a CronJob's
 * Jobs) are covered by their owner.
 */
export function synthesisePods(inventory: Inventory): m.Pod[] {
  const covered = new Set<string>();
  for (const pod of inventory.data.pods) {
    const namespace = pod.metadata.namespace ?? 'default';
    for (const owner of pod.metadata.ownerReferences ?? []) covered.add(`${owner.kind}/${namespace}/${owner.name}`);
    const top = inventory.owningWorkload(pod);
    covered.add(`${top.kind}/${namespace}/${top.name}`);
    // A ReplicaSet that exists in the snapshot marks its own owner as covered too.
    for (const owner of pod.metadata.ownerReferences ?? []) {
      const object = inventory.workload(owner.kind, namespace, owner.name);
      for (const parent of object?.metadata.ownerReferences ?? []) covered.add(`${parent.kind}/${namespace}/${parent.name}`);
    }
  }

  const result: m.Pod[] = [];
  for (const [kind, workloads] of inventory.workloadLists()) {
    for (const workload of workloads) {
      const namespace = workload.metadata.namespace ?? 'default';
      const key = `${kind}/${namespace}/${workload.metadata.name}`;
      if (covered.has(key)) continue;
      const ownedByPresentWorkload = (workload.metadata.ownerReferences ?? []).some((owner) => inventory.workload(owner.kind, namespace, owner.name) !== undefined);
      if (ownedByPresentWorkload) continue;
      result.push(podFromTemplate(kind, workload));
    }
  }
  return result;
}

function podFromTemplate(kind: string, workload: m.Workload | m.CronJob): m.Pod {
  const template = 'jobTemplate' in workload.spec ? workload.spec.jobTemplate.spec.template : (workload as m.Workload).spec.template;
  const namespace = workload.metadata.namespace ?? 'default';
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: workload.metadata.name,
      namespace,
      labels: { ...(template.metadata?.labels ?? {}) },
      // Only the allowlisted annotations, such as sidecar.istio.io/inject, which decides Istio injection.
      annotations: safeAnnotations(template.metadata?.annotations),
      ownerReferences: [{ apiVersion: workload.apiVersion, kind, name: workload.metadata.name, controller: true }],
    },
    spec: template.spec,
    source: workload.source,
    synthesisedFrom: `${kind}/${namespace}/${workload.metadata.name}`,
  };
}

export function namedPortsOf(pod: m.Pod): NamedPort[] {
  const ports: NamedPort[] = [];
  for (const container of pod.spec.containers) {
    for (const port of container.ports ?? []) {
      if (port.name) ports.push({ name: port.name, port: port.containerPort, protocol: (port.protocol ?? 'TCP').toUpperCase() });
    }
  }
  return ports.sort((a, b) => compareText(a.name, b.name) || compareText(a.protocol, b.protocol) || a.port - b.port);
}

export function podAddress(pod: m.Pod): { text: string; parsed: { family: Family; value: bigint } } | undefined {
  const candidates = [pod.status?.podIP, ...(pod.status?.podIPs ?? []).map((entry) => entry.ip)].filter((value): value is string => Boolean(value));
  for (const text of candidates) {
    const parsed = parseAddress(text);
    if (parsed) return { text, parsed };
  }
  return undefined;
}

/** Namespace labels, with the `kubernetes.io/metadata.name` label that the API server sets on every namespace since Kubernetes 1.21. */
export function namespaceLabelsOf(inventory: Inventory, namespace: string): Record<string, string> {
  const object = inventory.data.namespaces.find((candidate) => candidate.metadata.name === namespace);
  return { ...(object?.metadata.labels ?? {}), 'kubernetes.io/metadata.name': namespace };
}

export function sortedLabels(labels: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * Tells how the pod takes part in an Istio mesh. It is `sidecar` when the pod runs an `istio-proxy` container,
 * an injected sidecar or an Istio gateway, which runs the proxy as its main container. It is `ambient` when the
 * namespace is labelled `istio.io/dataplane-mode: ambient` and the pod does not opt out, else undefined. A pod with no
 * status (a manifest, or one synthesised from a workload template) has not met the injection webhook yet, so
 * the injection labels decide: namespace `istio-injection: enabled` or an `istio.io/rev` label, or the pod's
 * `sidecar.istio.io/inject: "true"`, unless the pod sets it to "false". Istio never injects pods that use the
 * host network.
 */
export function istioMeshMode(pod: m.Pod, namespaceLabels: Record<string, string>): 'sidecar' | 'ambient' | undefined {
  if (pod.spec.hostNetwork === true) return undefined;
  const containers = [...pod.spec.containers, ...(pod.spec.initContainers ?? [])];
  if (containers.some((container) => container.name === 'istio-proxy')) return 'sidecar';
  const podMode = pod.metadata.labels['istio.io/dataplane-mode'];
  if (namespaceLabels['istio.io/dataplane-mode'] === 'ambient' && podMode !== 'none') return 'ambient';
  if (podMode === 'ambient') return 'ambient';
  if (pod.status !== undefined && !pod.synthesisedFrom) return undefined;
  const inject = pod.metadata.labels['sidecar.istio.io/inject'] ?? pod.metadata.annotations['sidecar.istio.io/inject'];
  if (inject === 'false') return undefined;
  if (inject === 'true' && namespaceLabels['istio-injection'] !== 'disabled') return 'sidecar';
  if (namespaceLabels['istio-injection'] === 'enabled' || namespaceLabels['istio.io/rev'] !== undefined) return 'sidecar';
  return undefined;
}

/**
 * Tells whether the pod runs the ingress-nginx controller. That is a container image of the project's controller
 * (`registry.k8s.io/ingress-nginx/controller`, formerly under `k8s.gcr.io`), or the label
 * `app.kubernetes.io/name: ingress-nginx` that the project's Helm chart and manifests set. A component other
 * than `controller` excludes the pod, because the chart's admission webhook Jobs carry the same name label.
 */
export function isIngressNginxController(pod: m.Pod): boolean {
  if (pod.spec.containers.some((container) => /(^|\/)ingress-nginx\/controller(:|@|$)/.test(container.image ?? ''))) return true;
  const labels = pod.metadata.labels;
  if (labels['app.kubernetes.io/name'] !== 'ingress-nginx') return false;
  const component = labels['app.kubernetes.io/component'];
  return component === undefined || component === 'controller';
}
