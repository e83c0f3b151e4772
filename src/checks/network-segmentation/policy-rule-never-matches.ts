import { policyLabel, reachModel, type AddressRange, type CompiledRule, type EndpointClass } from '../../engines/reach/index.js';
import { POLICY_KINDS } from '../kinds.js';
import type { Check, CheckContext, CheckOutcome, FindingDraft } from '../types.js';

export const policyRuleNeverMatches: Check = {
  meta: {
    id: 'policy-rule-never-matches',
    title: 'Policy rule that can never match',
    severity: 'low',
    category: 'network-segmentation',
    description:
      'Reports rules of policies that select pods but whose peers match no pod and no address, or whose ports (named ports included) match nothing on any selected pod, so the rule never takes effect.',
    reads: ['Pod', 'Namespace', 'Service', 'EndpointSlice', 'NetworkPolicy', 'CalicoNetworkPolicy', 'CalicoGlobalNetworkPolicy', 'CalicoNetworkSet', 'CalicoGlobalNetworkSet', 'CalicoProfile'],
    requires: ['Pod'],
    requiresAny: [POLICY_KINDS],
    references: ['https://kubernetes.io/docs/concepts/services-networking/network-policies/#networkpolicy-resource'],
    limitations: ['A rule that names pods that are not running now is reported, though it may match once they are deployed.'],
  },
  run(context: CheckContext): CheckOutcome {
    const model = reachModel(context.inventory);
    const findings: FindingDraft[] = [];
    const allExternal = [...model.externalPieces('ingress'), ...model.externalPieces('egress')];
    for (const policy of model.policies) {
      if (policy.skipped) continue;
      const selected = model.classes.filter((cls) => policy.selects(cls));
      if (selected.length === 0) continue;
      for (const direction of ['ingress', 'egress'] as const) {
        if (!policy.types.has(direction)) continue;
        policy.rules[direction].forEach((rule) => {
          // A rule with a part the engine does not model (HTTP matches, a Service missing from the
          // snapshot) is listed in the coverage as not modelled, because calling it dead would be a guess.
          if (rule.notModelled.length > 0) return;
          const reason = neverMatches(rule, selected, model.classes, allExternal);
          if (!reason) return;
          const label = policyLabel(policy.ref);
          findings.push({
            severity: 'low',
            title: `${label} ${direction} rule ${rule.index + 1} never matches`,
            resources: [{ kind: policy.ref.kind, ...(policy.ref.namespace ? { namespace: policy.ref.namespace } : {}), name: policy.ref.name }],
            problem: `${direction === 'ingress' ? 'Ingress' : 'Egress'} rule ${rule.index + 1} of ${label} (${rule.summary}) ${reason}.`,
            risk: 'A rule that cannot match does nothing; the traffic its author meant to allow or deny is decided by other rules.',
            recommendation: 'Fix the selectors, namespace labels or port names of the rule, or remove it.',
            evidence: [{ fact: `${label} is defined here.`, source: policy.ref.source }],
            key: `${label}|${direction}|${rule.index}`,
          });
        });
      }
    }
    return { findings, notModelled: model.notModelled };
  },
};

function neverMatches(rule: CompiledRule, selected: EndpointClass[], classes: EndpointClass[], external: AddressRange[]): string | undefined {
  let peerMatched = false;
  for (const local of selected) {
    for (const remote of classes) {
      if (!rule.matches(local, { kind: 'class', cls: remote })) continue;
      peerMatched = true;
      if (!rule.connections(local, { kind: 'class', cls: remote }).isEmpty()) return undefined;
    }
    for (const range of external) {
      if (!rule.matches(local, { kind: 'external', range })) continue;
      peerMatched = true;
      if (!rule.connections(local, { kind: 'external', range }).isEmpty()) return undefined;
    }
  }
  if (!peerMatched) return 'matches no pod of any namespace and no address';
  return 'matches peers, but none of its ports exists on the destination pods (a named port no pod declares, or a protocol mismatch)';
}
