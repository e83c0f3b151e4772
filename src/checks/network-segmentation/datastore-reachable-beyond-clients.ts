import {
  AddressSet,
  datastoresOf,
  formatRange,
  hasDefaultDeny,
  inferClients,
  policyLabel,
  protocolName,
  reachersOf,
  reachModel,
  workloadKey,
  type AddressRange,
  type Datastore,
  type InferredClients,
  type PodEndpoint,
  type ReachModel,
  type Reachers,
} from '../../engines/reach/index.js';
import type { NetworkPolicyFix } from '../fixes/network-policy.js';
import { POD_SOURCE_KINDS } from '../kinds.js';
import type { Check, CheckContext, CheckOutcome, Evidence, EvidencePath, FindingDraft } from '../types.js';
import { rangeToCidrs } from '../../engines/reach/addresses.js';
import {
  countByNamespace,
  examplePath,
  listPhrase,
  MAX_EXAMPLE_PATHS,
  missingPolicyNotices,
  noPolicyEvidence,
  plural,
  policyWorkload,
  workloadLabel,
  workloadResource,
} from './common.js';
import { compareText } from '../../compare.js';

// Addresses that are not routed on the internet (RFC 1918, RFC 6598, link-local, loopback, ULA).
const NON_PUBLIC = AddressSet.fromCidrs(['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '169.254.0.0/16', '127.0.0.0/8', '0.0.0.0/8', 'fc00::/7', 'fe80::/10', '::1/128']);

export const datastoreReachableBeyondClients: Check = {
  meta: {
    id: 'datastore-reachable-beyond-clients',
    title: 'Datastore reachable from more than its clients',
    severity: 'high',
    category: 'network-segmentation',
    description:
      'Computes, under the NetworkPolicies and Calico policies in force, every pod and outside address range that may connect to each datastore (recognised by image, app.kubernetes.io labels or well-known port) on its client ports, and reports those beyond the clients inferred from env references, policy rules that name a workload by its labels, Helm release and part-of labels.',
    reads: [
      'Pod',
      'Deployment',
      'StatefulSet',
      'DaemonSet',
      'ReplicaSet',
      'Job',
      'CronJob',
      'Service',
      'EndpointSlice',
      'Namespace',
      'NetworkPolicy',
      'CalicoNetworkPolicy',
      'CalicoGlobalNetworkPolicy',
      'CalicoNetworkSet',
      'CalicoGlobalNetworkSet',
      'CalicoProfile',
      'AuthorizationPolicy',
    ],
    // Without any policy every pod is open, which is a verdict too, so only pods are required.
    requires: [],
    requiresAny: [POD_SOURCE_KINDS],
    references: [
      'https://kubernetes.io/docs/concepts/services-networking/network-policies/',
      'https://docs.tigera.io/calico/latest/reference/resources/networkpolicy',
      'https://www.cisecurity.org/benchmark/kubernetes',
    ],
    limitations: [
      'Clients are inferred from env values that name a Service, from Allow rules of the policies in force that name a workload by label values, and from Helm release and app.kubernetes.io/part-of labels; ConfigMaps and container arguments are not loaded because their values may hold credentials.',
      'A workload that a policy rule names by its labels counts as a client, so a deliberate but unneeded grant is not reported.',
      'Calico flow logs and VPC Flow Logs are not read, so observed traffic neither confirms nor adds clients.',
      'Whether outside addresses can route to the pods at all is the AWS network exposure checks\' question; this check reports what the policies admit.',
    ],
  },
  run(context: CheckContext): CheckOutcome {
    const inventory = context.inventory;
    const model = reachModel(inventory);
    if (model.pods.length === 0) return { findings: [], notModelled: ['no Pods or workloads in the snapshot, so no datastore was looked for'] };
    const findings: FindingDraft[] = [];
    for (const datastore of datastoresOf(model)) {
      const reachers = reachersOf(model, datastore.pods, datastore.ports);
      const inferred = inferClients(model, datastore.pods, datastore.ports);
      const finding = findingFor(model, datastore, reachers, inferred);
      if (finding) findings.push(finding);
    }
    return { findings, notModelled: [...missingPolicyNotices(model), ...model.notModelled, ...model.assumptions.map((text) => `assumption: ${text}`)] };
  },
};

function findingFor(model: ReachModel, datastore: Datastore, reachers: Reachers, inferred: InferredClients): FindingDraft | undefined {
  const clientKeys = new Set(inferred.clients.map((client) => workloadKey(client.workload)));
  const excess = reachers.pods.filter((entry) => !clientKeys.has(workloadKey(entry.pod.workload)));
  const external = reachers.external;
  if (excess.length === 0 && external.length === 0) return undefined;

  const target = datastore.pods[0] as PodEndpoint;
  const namespace = target.namespace;
  const label = workloadLabel(datastore.workload);
  const kindName = datastore.detected.kind.name;
  const ports = datastore.detected.ports.map((port) => `${protocolName(port.protocol)} ${port.port}`).join(', ');
  const excessPods = excess.map((entry) => entry.pod);
  const byNamespace = countByNamespace(excessPods);
  const otherNamespaces = byNamespace.filter((entry) => entry.namespace !== namespace);
  const publicRanges = external.filter((entry) => !NON_PUBLIC.containsRange(entry.range));
  const excessWorkloads = new Set(excessPods.map((pod) => workloadKey(pod.workload))).size;

  const severity = otherNamespaces.length > 0 || publicRanges.length > 0 ? 'high' : 'medium';
  const where = byNamespace.map((entry) => `${entry.namespace} (${plural(entry.pods, 'pod')})`).join(', ');
  const clientLabels = inferred.clients.map((client) => workloadLabel(client.workload));
  const clientText =
    clientLabels.length === 0 ? 'no client could be inferred' : clientLabels.length === 1 ? `its only inferred client is ${clientLabels[0]}` : `its inferred clients are ${listPhrase(clientLabels)}`;
  const sources: string[] = [];
  if (excessPods.length > 0) sources.push(`${plural(excessPods.length, 'pod')} of ${plural(excessWorkloads, 'workload')} in ${plural(byNamespace.length, 'namespace')}`);
  if (external.length > 0) sources.push(publicRanges.length > 0 ? 'public addresses outside the cluster' : 'private addresses outside the pods');
  const ranges = external.map((entry) => formatRange(entry.range));

  const evidence: Evidence[] = [
    { fact: `${label} runs ${kindName}: ${datastore.detected.evidence.join(', ')}.`, source: target.pod.source },
    ...(byNamespace.length > 0 ? [{ fact: `Pods beyond the clients that may connect on ${ports}: ${where}.` }] : []),
    ...(ranges.length > 0 ? [{ fact: `Address ranges outside the pods that the policies admit on ${ports}: ${ranges.slice(0, 6).join(', ')}${ranges.length > 6 ? `, and ${ranges.length - 6} more` : ''}.` }] : []),
    ...inferred.clients.map((client) => ({ fact: `${workloadLabel(client.workload)} is a client: ${client.reasons.join('; ')}.`, source: client.pods[0]?.pod.source })),
    ...inferred.related.map((entry) => ({ fact: `${workloadLabel(entry.workload)} is related (${entry.reasons.join('; ')}) but no reference names the datastore, so it is not counted as a client.`, source: entry.pods[0]?.pod.source })),
    ...admittingPolicies(model, datastore, excessPods, external.map((entry) => entry.range)).map((policy) => ({
      fact: inferred.basis === 'none' ? `${policyLabel(policy.ref)} admits sources that nothing in the snapshot shows to be clients.` : `${policyLabel(policy.ref)} admits sources beyond the clients.`,
      source: policy.ref.source,
    })),
    ...(inferred.basis === 'none'
      ? [{ fact: 'No client could be inferred: no env value names its Services, no policy rule names a workload by its labels, and no Helm release or part-of label relates another workload to it.' }]
      : []),
    ...noPolicyEvidence(model.inventory),
  ];

  return {
    severity,
    title: `${label} (${kindName}) accepts ${ports} from ${sources.join(' and ')}`,
    resources: [workloadResource(datastore.workload)],
    problem: `${label} runs ${kindName} and, under the policies in force, accepts ${ports} from ${sources.join(' and ')}, while ${clientText}.${byNamespace.length > 0 ? ` By namespace: ${where}.` : ''}`,
    risk: `Any compromised or misconfigured pod among those sources can reach the ${kindName} port directly and try credentials or exploits against it; segmentation that admits only the clients limits that to the workloads that need it.`,
    recommendation:
      inferred.clients.length > 0
        ? `Admit only ${inferred.clients.map((client) => workloadLabel(client.workload)).join(', ')} on ${ports} with the generated NetworkPolicy, replace the policies that admit everyone, and add a default deny to namespace ${namespace}.`
        : `Write a NetworkPolicy that admits only the workloads that use this ${kindName}; Rampart could not infer them, so the generated policy is a template with the client left to fill in.`,
    evidence,
    paths: examplePaths(model, datastore, excessPods, publicRanges.length > 0 ? publicRanges : external),
    fixes: [fixFor(model, datastore, inferred, excessPods, external.map((entry) => entry.range))],
    key: workloadKey(datastore.workload),
  };
}

function examplePaths(model: ReachModel, datastore: Datastore, excess: PodEndpoint[], external: Array<{ range: AddressRange }>): EvidencePath[] {
  const target = datastore.pods[0] as PodEndpoint;
  const port = datastore.detected.ports[0] as { port: number; protocol: number };
  const chosen: PodEndpoint[] = [];
  const seenNamespaces = new Set<string>();
  // One pod per namespace, other namespaces first, so that the paths show the widest reach.
  const ordered = [...excess].sort((a, b) => Number(a.namespace === target.namespace) - Number(b.namespace === target.namespace) || compareText(a.namespace, b.namespace) || compareText(a.name, b.name));
  for (const pod of ordered) {
    if (chosen.length >= MAX_EXAMPLE_PATHS) break;
    if (seenNamespaces.has(pod.namespace)) continue;
    seenNamespaces.add(pod.namespace);
    chosen.push(pod);
  }
  const paths = chosen.map((pod) => examplePath(model, { kind: 'pod', pod }, target, port.protocol, port.port));
  const firstExternal = external[0];
  if (firstExternal) {
    // The engine explains one representative address; the path names the whole range it stands for.
    const path = examplePath(model, { kind: 'external', range: { ...firstExternal.range, to: firstExternal.range.from } }, target, port.protocol, port.port);
    const cidrs = rangeToCidrs(firstExternal.range);
    paths.push({ ...path, source: cidrs.length > 3 ? `${cidrs.slice(0, 3).join(', ')} and ${cidrs.length - 3} more` : cidrs.join(', ') });
  }
  return paths;
}

/** Policies (Kubernetes and Calico) that select the datastore and have an ingress rule admitting a source beyond the clients. */
function admittingPolicies(model: ReachModel, datastore: Datastore, excess: PodEndpoint[], external: AddressRange[]) {
  const targetClasses = [...new Set(datastore.pods.map((pod) => pod.classId))].map((id) => model.classes[id]).filter((cls) => cls !== undefined);
  const excessClasses = [...new Set(excess.map((pod) => pod.classId))].map((id) => model.classes[id]).filter((cls) => cls !== undefined);
  const result = new Map<number, (typeof model.policies)[number]>();
  for (const cls of targetClasses) {
    for (const tier of model.appliedTiers(cls, 'ingress')) {
      for (const policy of tier.policies) {
        const admits = policy.rules.ingress.some(
          (rule) =>
            rule.action === 'Allow' &&
            (excessClasses.some((source) => rule.matches(cls, { kind: 'class', cls: source }) && !rule.connections(cls, { kind: 'class', cls: source }).intersect(datastore.ports).isEmpty()) ||
              external.some((range) => rule.matches(cls, { kind: 'external', range }))),
        );
        if (admits) result.set(policy.id, policy);
      }
    }
  }
  return [...result.values()].sort((a, b) => compareText(policyLabel(a.ref), policyLabel(b.ref)));
}

function fixFor(model: ReachModel, datastore: Datastore, inferred: InferredClients, excess: PodEndpoint[], external: AddressRange[]): NetworkPolicyFix {
  const namespace = datastore.workload.namespace;
  const ports = datastore.detected.ports.map((port) => ({ port: port.port, protocol: protocolName(port.protocol) as 'TCP' | 'UDP' | 'SCTP', ...(port.name ? { name: port.name } : {}) }));
  // A template admits nobody until it is filled in, so it replaces nothing: deleting policies on its
  // account would cut the access they grant now.
  const replaces =
    inferred.basis === 'none'
      ? []
      : admittingPolicies(model, datastore, excess, external)
          .filter((policy) => policy.flavour === 'kubernetes' && policy.ref.namespace === namespace)
          .map((policy) => ({ kind: 'NetworkPolicy' as const, namespace, name: policy.ref.name }));
  return {
    type: 'network-policy',
    target: policyWorkload(model, datastore.workload, datastore.pods),
    ports,
    clients: inferred.clients.map((client) => ({ ...policyWorkload(model, client.workload, client.pods), evidence: client.reasons })),
    notAdmitted: inferred.related.map((entry) => ({ kind: entry.workload.kind, namespace: entry.workload.namespace, name: entry.workload.name, reason: entry.reasons.join('; ') })),
    replaces,
    basis: inferred.basis,
    namespaceDefaultDeny: { ingress: hasDefaultDeny(model, namespace, 'ingress') === false, egress: hasDefaultDeny(model, namespace, 'egress') === false },
    calico: model.cni.name === 'calico',
    rationale:
      inferred.basis === 'references'
        ? `Clients are the workloads whose env values name the ${datastore.detected.kind.name} Services or that Allow rules of the policies in force name by their labels; ports are the ones the datastore container listens on.`
        : inferred.basis === 'policies'
          ? `No env value names the ${datastore.detected.kind.name} Services, so clients are the workloads that Allow rules of the policies in force name by their labels; ports are the ones the datastore container listens on.`
          : inferred.basis === 'relations'
          ? `No env value names the ${datastore.detected.kind.name} Services, so clients are the workloads of the same Helm release or part-of group.`
          : `No client could be inferred, so the policy is a template that admits nobody until a client is filled in.`,
  };
}
