import { policyLabel, reachModel } from '../../engines/reach/index.js';
import type { Check, CheckContext, CheckOutcome, FindingDraft } from '../types.js';
import { POLICY_KINDS } from '../kinds.js';
import { plural } from './common.js';

export const policySelectsNoPods: Check = {
  meta: {
    id: 'policy-selects-no-pods',
    title: 'Policy selects no pods',
    severity: 'low',
    category: 'network-segmentation',
    description:
      'Reports NetworkPolicies and Calico policies whose selector matches no pod (and no synthesised workload pod) in the snapshot, so they protect nothing. Where Calico enforces policy, selectors also see the labels Calico Profiles apply.',
    reads: ['Pod', 'NetworkPolicy', 'CalicoNetworkPolicy', 'CalicoGlobalNetworkPolicy', 'CalicoProfile', 'Namespace', 'Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob'],
    // Pods, not only workload templates: a policy may select pods that no workload in the snapshot owns.
    requires: ['Pod'],
    requiresAny: [POLICY_KINDS],
    references: ['https://kubernetes.io/docs/concepts/services-networking/network-policies/#networkpolicy-resource'],
    limitations: ['A policy written for pods that are scaled to zero or not yet deployed is reported too.', 'Calico policies that select only host endpoints are reported, since host endpoints are not modelled.'],
  },
  run(context: CheckContext): CheckOutcome {
    const model = reachModel(context.inventory);
    const findings: FindingDraft[] = [];
    for (const policy of model.policies) {
      if (policy.skipped) continue;
      if (model.classes.some((cls) => policy.selects(cls))) continue;
      const label = policyLabel(policy.ref);
      const namespace = policy.ref.namespace;
      const inNamespace = namespace ? ` and ${plural(model.pods.filter((pod) => pod.namespace === namespace).length, 'pod')} in namespace ${namespace}` : '';
      findings.push({
        severity: 'low',
        title: `${label} selects no pods`,
        resources: [{ kind: policy.ref.kind, ...(policy.ref.namespace ? { namespace: policy.ref.namespace } : {}), name: policy.ref.name }],
        problem: `${label} selects no pod of the snapshot, which has ${plural(model.pods.length, 'pod')} in total${inNamespace}.`,
        risk: 'A policy that selects nothing gives no protection, often because of a label typo, while its authors believe it is in force.',
        recommendation: 'Fix the selector to match the intended pods, or delete the policy.',
        evidence: [{ fact: `${label} is defined here.`, source: policy.ref.source }],
        key: label,
      });
    }
    return { findings, notModelled: model.notModelled };
  },
};
