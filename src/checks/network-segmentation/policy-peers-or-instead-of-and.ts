import type * as m from '../../inventory/model.js';
import { childSource } from '../../inventory/source.js';
import type { Check, CheckContext, CheckOutcome, FindingDraft } from '../types.js';
import { describeSelector } from '../../engines/reach/kubernetes-policy.js';

// The AND-meant-as-OR mistake: `- namespaceSelector: {}` and `- podSelector: …` as two list items admit every
// pod of every namespace OR the named pods, where one item with both fields (AND) was meant.

type Peer = { podSelector?: m.NetworkPolicy['spec']['podSelector']; namespaceSelector?: m.NetworkPolicy['spec']['podSelector']; ipBlock?: unknown };

export const policyPeersOrInsteadOfAnd: Check = {
  meta: {
    id: 'policy-peers-or-instead-of-and',
    title: 'Separate namespaceSelector and podSelector peers (OR meant as AND)',
    severity: 'high',
    category: 'network-segmentation',
    description:
      'Reports NetworkPolicy rules that list a peer with only namespaceSelector: {} next to a peer with only podSelector, which admits every pod of every namespace, where a single peer with both selectors was most likely meant.',
    reads: ['NetworkPolicy'],
    requires: ['NetworkPolicy'],
    references: ['https://kubernetes.io/docs/concepts/services-networking/network-policies/#behavior-of-to-and-from-selectors'],
    limitations: [
      'Only the empty namespaceSelector is reported; a separate non-empty namespaceSelector next to a podSelector can be intended.',
      'Kubernetes NetworkPolicies only: a Calico rule has one source and one destination whose fields all apply together, so this mistake cannot be written in a Calico policy.',
    ],
  },
  run(context: CheckContext): CheckOutcome {
    const findings: FindingDraft[] = [];
    for (const policy of context.inventory.data.networkPolicies) {
      const namespace = policy.metadata.namespace ?? 'default';
      for (const direction of ['ingress', 'egress'] as const) {
        (policy.spec[direction] ?? []).forEach((rule, index) => {
          const peers = ((direction === 'ingress' ? (rule as { from?: Peer[] }).from : (rule as { to?: Peer[] }).to) ?? []) as Peer[];
          const everyNamespace = peers.findIndex((peer) => peer.namespaceSelector && !peer.podSelector && !peer.ipBlock && isEmpty(peer.namespaceSelector));
          const podOnly = peers.findIndex((peer) => peer.podSelector && !peer.namespaceSelector && !peer.ipBlock);
          if (everyNamespace === -1 || podOnly === -1) return;
          const selector = describeSelector(peers[podOnly]?.podSelector);
          const name = `${namespace}/${policy.metadata.name}`;
          findings.push({
            severity: 'high',
            title: `NetworkPolicy ${name} ${direction} rule ${index + 1} admits every namespace, not just pods ${selector}`,
            resources: [{ kind: 'NetworkPolicy', namespace, name: policy.metadata.name }],
            problem: `${direction === 'ingress' ? 'Ingress' : 'Egress'} rule ${index + 1} of NetworkPolicy ${name} lists namespaceSelector: {} and podSelector ${selector} as separate peers, which admits every pod of every namespace OR the pods ${selector} of ${namespace}.`,
            risk: 'The rule admits every pod in the cluster where it was meant to admit only pods with those labels in any namespace.',
            recommendation: `Put both selectors in one peer: \`- namespaceSelector: {}\\n  podSelector: {matchLabels: …}\` (no dash before podSelector).`,
            evidence: [{ fact: `Peers ${everyNamespace + 1} and ${podOnly + 1} of the rule are separate list items.`, source: childSource(policy.source, 'spec', direction, index, direction === 'ingress' ? 'from' : 'to') }],
            key: `${name}|${direction}|${index}`,
          });
        });
      }
    }
    return { findings };
  },
};

function isEmpty(selector: Peer['namespaceSelector']): boolean {
  return !selector || (Object.keys(selector.matchLabels ?? {}).length === 0 && (selector.matchExpressions ?? []).length === 0);
}
