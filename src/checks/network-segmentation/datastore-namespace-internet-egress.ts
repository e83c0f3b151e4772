import { AddressSet, datastoresOf, formatRange, reachModel, workloadKey, type AddressRange, type PodEndpoint } from '../../engines/reach/index.js';
import type { Check, CheckContext, CheckOutcome, Evidence, FindingDraft } from '../types.js';
import type { Inventory } from '../../inventory/inventory.js';
import { POD_SOURCE_KINDS } from '../kinds.js';
import { listPhrase, listWithMore, missingPolicyNotices, noPolicyEvidence, plural } from './common.js';
import { compareText } from '../../compare.js';

// Pods in a namespace that runs a datastore may copy its data out; egress to the internet should be named.
const NON_PUBLIC = AddressSet.fromCidrs(['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '169.254.0.0/16', '127.0.0.0/8', '0.0.0.0/8', 'fc00::/7', 'fe80::/10', '::1/128']);
const MAX_WORKLOADS = 6;
const MAX_RANGES = 4;
const MAX_EVIDENCE = 10;

export const datastoreNamespaceInternetEgress: Check = {
  meta: {
    id: 'datastore-namespace-internet-egress',
    title: 'Unrestricted internet egress from a datastore namespace',
    severity: 'medium',
    category: 'network-segmentation',
    description:
      'Reports namespaces that run a datastore and whose pods may open every port to public addresses under the policies in force.',
    reads: ['Pod', 'Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob', 'NetworkPolicy', 'CalicoNetworkPolicy', 'CalicoGlobalNetworkPolicy', 'CalicoNetworkSet', 'CalicoGlobalNetworkSet', 'CalicoProfile'],
    // Without any policy every pod may reach the internet, which is a verdict, so only pods are required.
    requires: [],
    requiresAny: [POD_SOURCE_KINDS],
    references: ['https://kubernetes.io/docs/concepts/services-networking/network-policies/#default-deny-all-egress-traffic'],
    limitations: ['Whether a NAT or internet gateway routes the traffic out is not considered here; the AWS exposure checks cover routes.'],
  },
  run(context: CheckContext): CheckOutcome {
    const model = reachModel(context.inventory);
    const datastoreNamespaces = [...new Set(datastoresOf(model).map((datastore) => datastore.workload.namespace))].sort();
    const publicPieces = model.externalPieces('egress').filter((piece) => !NON_PUBLIC.containsRange(piece));
    const findings: FindingDraft[] = [];
    for (const namespace of datastoreNamespaces) {
      const open: PodEndpoint[] = [];
      const reachedPieces: AddressRange[] = [];
      for (const cls of model.classesIn(namespace).filter((candidate) => !candidate.hostNetwork)) {
        const reached = publicPieces.filter((piece) => model.egress(cls, { kind: 'external', range: piece }).isAll());
        if (reached.length === 0) continue;
        open.push(...cls.pods);
        reachedPieces.push(...reached);
      }
      if (open.length === 0) continue;
      findings.push(findingFor(context.inventory, namespace, open, reachedPieces));
    }
    return { findings, notModelled: [...missingPolicyNotices(model), ...model.notModelled] };
  },
};

function findingFor(inventory: Inventory, namespace: string, open: PodEndpoint[], reachedPieces: AddressRange[]): FindingDraft {
  // A piece can hold private addresses next to public ones; the message names only the public part.
  const ranges = AddressSet.of(reachedPieces).subtract(NON_PUBLIC).ranges.map(formatRange);
  const byWorkload = new Map<string, PodEndpoint[]>();
  for (const pod of [...open].sort((a, b) => compareText(a.name, b.name))) {
    const key = workloadKey(pod.workload);
    byWorkload.set(key, [...(byWorkload.get(key) ?? []), pod]);
  }
  const workloads = [...byWorkload.values()]
    .map((pods) => {
      const workload = (pods[0] as PodEndpoint).workload;
      const count = workload.kind === 'Pod' ? '' : ` (${plural(pods.length, 'pod')})`;
      return { name: `${workload.kind} ${workload.name}${count}`, label: `${workload.kind} ${workload.namespace}/${workload.name}${count}`, source: (pods[0] as PodEndpoint).pod.source };
    })
    .sort((a, b) => compareText(a.name, b.name));
  const names = workloads.map((workload) => workload.name);
  const subject = listPhrase(names.length > MAX_WORKLOADS ? [...names.slice(0, MAX_WORKLOADS), plural(names.length - MAX_WORKLOADS, 'more workload')] : names);
  const evidence: Evidence[] = [
    ...workloads.slice(0, MAX_EVIDENCE).map((workload) => ({ fact: `${workload.label} may open any port to public addresses.`, source: workload.source })),
    ...noPolicyEvidence(inventory),
  ];

  return {
    severity: 'medium',
    title: `Namespace ${namespace} runs a datastore and ${plural(workloads.length, 'workload')} there may reach the internet on every port`,
    resources: [{ kind: 'Namespace', name: namespace }],
    problem: `${subject} in namespace ${namespace} may open any port to public addresses (${listWithMore(ranges, MAX_RANGES, 'range')}), since no egress policy limits ${open.length === 1 ? 'it' : 'them'}.`,
    risk: 'A compromised pod next to the datastore can send its data anywhere on the internet.',
    recommendation: `Add an egress default deny to ${namespace} and allow only DNS and the external endpoints the workloads need.`,
    evidence,
    key: namespace,
  };
}
