import { hasDefaultDeny, reachModel } from '../../engines/reach/index.js';
import type { Check, CheckContext, CheckOutcome, FindingDraft } from '../types.js';
import { POD_SOURCE_KINDS } from '../kinds.js';
import { missingPolicyNotices, noPolicyEvidence, plural } from './common.js';

export const namespaceWithoutDefaultDeny: Check = {
  meta: {
    id: 'namespace-without-default-deny',
    title: 'Namespace without a default deny policy',
    severity: 'medium',
    category: 'network-segmentation',
    description:
      'Reports each namespace with pods in which no policy selects every pod for ingress (or egress) without also allowing every peer, so that traffic no rule names is allowed.',
    reads: ['Pod', 'Namespace', 'NetworkPolicy', 'CalicoNetworkPolicy', 'CalicoGlobalNetworkPolicy', 'CalicoProfile', 'Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob'],
    // A snapshot without any policy has no default deny anywhere, which is a verdict, so only pods are required.
    requires: [],
    requiresAny: [POD_SOURCE_KINDS],
    references: ['https://kubernetes.io/docs/concepts/services-networking/network-policies/#default-policies', 'https://docs.tigera.io/calico/latest/network-policy/get-started/kubernetes-default-deny'],
    limitations: ['A namespace counts as covered when one policy selects all its current pods; a policy that selects them by labels that new pods may lack is counted too.'],
  },
  run(context: CheckContext): CheckOutcome {
    const model = reachModel(context.inventory);
    const findings: FindingDraft[] = [];
    const namespaces = [...new Set(model.pods.filter((pod) => !pod.hostNetwork).map((pod) => pod.namespace))].sort();
    for (const namespace of namespaces) {
      const missing = (['ingress', 'egress'] as const).filter((direction) => hasDefaultDeny(model, namespace, direction) === false);
      if (missing.length === 0) continue;
      const pods = model.pods.filter((pod) => pod.namespace === namespace && !pod.hostNetwork).length;
      const object = context.inventory.data.namespaces.find((candidate) => candidate.metadata.name === namespace);
      findings.push({
        severity: missing.includes('ingress') ? 'medium' : 'low',
        title: `Namespace ${namespace} has no default deny for ${missing.join(' or ')}`,
        resources: [{ kind: 'Namespace', name: namespace }],
        problem: `No policy selects ${pods === 1 ? 'the only pod' : `all ${plural(pods, 'pod')}`} of namespace ${namespace} for ${missing.join(' and ')} without allowing every peer, so ${missing.map((direction) => (direction === 'ingress' ? 'traffic into' : 'traffic out of')).join(' and ')} ${pods === 1 ? 'it' : 'its pods'} is allowed unless a rule says otherwise.`,
        risk: 'A new workload, or one whose policy misses a port or peer, is open by default; a default deny makes every allowed flow explicit.',
        recommendation: `Add a NetworkPolicy with podSelector: {} and policyTypes [${missing.map((direction) => (direction === 'ingress' ? 'Ingress' : 'Egress')).join(', ')}] in ${namespace}${missing.includes('egress') ? ', with an egress rule for DNS to kube-dns' : ''}, then allow the flows the workloads need.`,
        evidence: [
          { fact: `Namespace ${namespace} runs ${plural(pods, 'pod')} and no policy isolates ${pods === 1 ? 'it' : 'all of them'} for ${missing.join(' and ')}.`, ...(object ? { source: object.source } : {}) },
          ...noPolicyEvidence(context.inventory),
        ],
        key: `${namespace}|${missing.join(',')}`,
      });
    }
    return { findings, notModelled: [...missingPolicyNotices(model), ...model.notModelled] };
  },
};
