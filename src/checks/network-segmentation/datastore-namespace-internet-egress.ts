import { AddressSet, datastoresOf, formatRange, reachModel, type PodEndpoint } from '../../engines/reach/index.js';
import type { Check, CheckContext, CheckOutcome, FindingDraft } from '../types.js';
import { countByNamespace, plural } from './common.js';

// Pods in a namespace that runs a datastore may copy its data out; egress to the internet should be named.
const NON_PUBLIC = AddressSet.fromCidrs(['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '169.254.0.0/16', '127.0.0.0/8', '0.0.0.0/8', 'fc00::/7', 'fe80::/10', '::1/128']);

export const datastoreNamespaceInternetEgress: Check = {
  meta: {
    id: 'datastore-namespace-internet-egress',
    title: 'Unrestricted internet egress from a datastore namespace',
    severity: 'medium',
    category: 'network-segmentation',
    description:
      'Reports namespaces that run a datastore and whose pods may open every port to public addresses under the policies in force.',
    reads: ['Pod', 'NetworkPolicy', 'CalicoNetworkPolicy', 'CalicoGlobalNetworkPolicy', 'CalicoNetworkSet', 'CalicoGlobalNetworkSet'],
    requires: ['NetworkPolicy'],
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
      const ranges = new Set<string>();
      for (const cls of model.classesIn(namespace).filter((candidate) => !candidate.hostNetwork)) {
        const reached = publicPieces.filter((piece) => model.egress(cls, { kind: 'external', range: piece }).isAll());
        if (reached.length === 0) continue;
        open.push(...cls.pods);
        for (const piece of reached) ranges.add(formatRange(piece));
      }
      if (open.length === 0) continue;
      const workloads = [...new Set(open.map((pod) => `${pod.workload.kind} ${pod.workload.name}`))].sort();
      findings.push({
        severity: 'medium',
        title: `Namespace ${namespace} runs a datastore and ${plural(workloads.length, 'workload')} there may reach the internet on every port`,
        resources: [{ kind: 'Namespace', name: namespace }],
        problem: `${plural(open.length, 'pod')} of ${workloads.join(', ')} in ${namespace} may open any port to public addresses (${[...ranges].slice(0, 4).join(', ')}${ranges.size > 4 ? ', …' : ''}); no egress policy limits them.`,
        risk: 'A compromised pod next to the datastore can send its data anywhere on the internet.',
        recommendation: `Add an egress default deny to ${namespace} and allow only DNS and the external endpoints the workloads need.`,
        evidence: [{ fact: `Pods with unrestricted public egress by namespace: ${countByNamespace(open).map((entry) => `${entry.namespace} (${entry.pods})`).join(', ')}.` }],
        key: namespace,
      });
    }
    return { findings, notModelled: model.notModelled };
  },
};
