import type * as m from '../../inventory/model.js';
import { childSource } from '../../inventory/source.js';
import { POLICY_KINDS } from '../kinds.js';
import type { Check, CheckContext, CheckOutcome, FindingDraft } from '../types.js';

// Peers that admit every namespace (`namespaceSelector: {}` alone) or every address (`0.0.0.0/0`, `::/0`),
// and rules without peers, in Kubernetes NetworkPolicies and Calico Allow rules.

const EVERY_ADDRESS = new Set(['0.0.0.0/0', '::/0']);

export const policyPeerAdmitsAll: Check = {
  meta: {
    id: 'policy-peer-admits-all',
    title: 'Policy rule admits every namespace or every address',
    severity: 'medium',
    category: 'network-segmentation',
    description:
      'Reports NetworkPolicy rules whose peers admit every namespace (a namespaceSelector {} peer, or no from/to at all) or every address (ipBlock 0.0.0.0/0 or ::/0), and Calico Allow rules with nets 0.0.0.0/0 or an empty source or destination.',
    reads: ['NetworkPolicy', 'CalicoNetworkPolicy', 'CalicoGlobalNetworkPolicy'],
    requires: [],
    requiresAny: [POLICY_KINDS],
    references: ['https://kubernetes.io/docs/concepts/services-networking/network-policies/#networkpolicy-resource', 'https://docs.tigera.io/calico/latest/reference/resources/networkpolicy#entityrule'],
    limitations: ['An ipBlock with except entries is reported when its CIDR is 0.0.0.0/0 or ::/0, because it still admits almost every address.'],
  },
  run(context: CheckContext): CheckOutcome {
    const findings: FindingDraft[] = [];
    for (const policy of context.inventory.data.networkPolicies) findings.push(...kubernetesFindings(policy));
    for (const policy of context.inventory.data.calicoPolicies) findings.push(...calicoFindings(policy));
    return { findings };
  },
};

function kubernetesFindings(policy: m.NetworkPolicy): FindingDraft[] {
  const namespace = policy.metadata.namespace ?? 'default';
  const name = `${namespace}/${policy.metadata.name}`;
  const findings: FindingDraft[] = [];
  for (const direction of ['ingress', 'egress'] as const) {
    const types = policy.spec.policyTypes ?? ['Ingress', ...((policy.spec.egress ?? []).length > 0 ? ['Egress'] : [])];
    if (!types.includes(direction === 'ingress' ? 'Ingress' : 'Egress')) continue;
    (policy.spec[direction] ?? []).forEach((rule, index) => {
      const peers = direction === 'ingress' ? (rule as { from?: unknown[] }).from : (rule as { to?: unknown[] }).to;
      const ports = rule.ports && rule.ports.length > 0 ? `on ${rule.ports.map((port) => `${port.protocol ?? 'TCP'} ${port.port ?? 'any port'}`).join(', ')}` : 'on every port';
      const reasons: string[] = [];
      if (!peers || peers.length === 0) reasons.push(`has no ${direction === 'ingress' ? 'from' : 'to'}, so it admits every pod of every namespace and every address`);
      for (const peer of (peers ?? []) as Array<{ podSelector?: object; namespaceSelector?: object; ipBlock?: { cidr: string } }>) {
        if (peer.namespaceSelector && Object.keys(peer.namespaceSelector).length === 0 && !peer.podSelector) reasons.push('has a namespaceSelector: {} peer, which admits every pod of every namespace');
        if (peer.ipBlock && EVERY_ADDRESS.has(peer.ipBlock.cidr)) reasons.push(`has an ipBlock ${peer.ipBlock.cidr} peer, which admits every address`);
      }
      if (reasons.length === 0) return;
      findings.push({
        severity: 'medium',
        title: `NetworkPolicy ${name} ${direction} rule ${index + 1} admits every ${reasons.some((reason) => reason.includes('address')) ? 'address' : 'namespace'} ${ports}`,
        resources: [{ kind: 'NetworkPolicy', namespace, name: policy.metadata.name }],
        problem: `${direction === 'ingress' ? 'Ingress' : 'Egress'} rule ${index + 1} of NetworkPolicy ${name} ${[...new Set(reasons)].join(' and ')} (${ports}).`,
        risk: 'A rule that admits everyone gives the selected pods no segmentation on those ports.',
        recommendation: 'Name the namespaces and pods (or CIDRs) that need the connection instead.',
        evidence: [{ fact: `The rule is ${JSON.stringify(rule)}.`, source: childSource(policy.source, 'spec', direction, index) }],
        key: `${name}|${direction}|${index}`,
      });
    });
  }
  return findings;
}

function calicoFindings(policy: m.CalicoPolicy): FindingDraft[] {
  const namespace = policy.kind === 'GlobalNetworkPolicy' ? undefined : (policy.metadata.namespace ?? 'default');
  const name = namespace ? `${namespace}/${policy.metadata.name}` : policy.metadata.name;
  const findings: FindingDraft[] = [];
  for (const direction of ['ingress', 'egress'] as const) {
    if (!calicoTypes(policy).has(direction)) continue;
    (policy.spec[direction] ?? []).forEach((rule, index) => {
      if (rule.action.toLowerCase() !== 'allow') return;
      // Calico rejects a services match on the policy's own endpoint (destination of an ingress rule, source
      // of an egress rule), and the engine matches nothing for such a rule.
      const own = (direction === 'ingress' ? rule.destination : rule.source) ?? {};
      if (own.services !== undefined) return;
      const peer = (direction === 'ingress' ? rule.source : rule.destination) ?? {};
      const nets = Array.isArray(peer.nets) ? (peer.nets as unknown[]).filter((net): net is string => typeof net === 'string') : [];
      const labelled = ['selector', 'notSelector', 'namespaceSelector', 'serviceAccounts', 'services', 'notNets'].some((key) => peer[key] !== undefined);
      // The fields of a Calico entity rule all apply together, so nets next to a selector match only the
      // selected endpoints in those nets, not every address.
      const selectsEndpoints = ['selector', 'namespaceSelector', 'serviceAccounts', 'services'].some((key) => peer[key] !== undefined);
      const everyAddress = !selectsEndpoints && nets.some((net) => EVERY_ADDRESS.has(net));
      const everything = !labelled && nets.length === 0;
      const everyNamespace = peer.namespaceSelector === 'all()' && peer.selector === undefined && peer.notSelector === undefined;
      if (!everyAddress && !everything && !everyNamespace) return;
      const what = everything ? 'every pod and every address' : everyAddress ? 'every address' : 'every pod of every namespace';
      findings.push({
        severity: 'medium',
        title: `Calico ${policy.kind} ${name} ${direction} rule ${index + 1} allows ${what}`,
        resources: [{ kind: `Calico${policy.kind}`, ...(namespace ? { namespace } : {}), name: policy.metadata.name }],
        problem: `Allow rule ${index + 1} (${direction}) of Calico ${policy.kind} ${name} matches ${what} ${describeConnections(rule)}.`,
        risk: 'A rule that allows everyone gives the selected endpoints no segmentation for that traffic.',
        recommendation: 'Restrict the rule with a selector, namespaceSelector or nets that names only the peers that need it.',
        evidence: [{ fact: `The rule is ${JSON.stringify(rule)}.`, source: childSource(policy.source, 'spec', direction, index) }],
        key: `${name}|${direction}|${index}`,
      });
    });
  }
  return findings;
}

/** Describes the protocol and destination ports a Calico rule allows, such as `on TCP port 9999`. */
function describeConnections(rule: { protocol?: unknown; destination?: Record<string, unknown> }): string {
  const list = (value: unknown) => (Array.isArray(value) ? value.map(String) : []);
  const ports = list(rule.destination?.ports);
  const notPorts = list(rule.destination?.notPorts);
  const protocol = rule.protocol === undefined ? 'every protocol' : String(rule.protocol);
  if (ports.length > 0) return `on ${protocol} port${ports.length === 1 ? '' : 's'} ${ports.join(', ')}${notPorts.length > 0 ? ` except ${notPorts.join(', ')}` : ''}`;
  if (notPorts.length > 0) return `on ${protocol}, every port except ${notPorts.join(', ')}`;
  return rule.protocol === undefined ? 'on every protocol and port' : `on every ${protocol} port`;
}

/** Returns the directions a Calico policy applies to: its `types`, else Ingress, plus Egress when it has egress rules (Egress alone when it has only those). */
function calicoTypes(policy: m.CalicoPolicy): Set<'ingress' | 'egress'> {
  const types = policy.spec.types;
  if (types && types.length > 0) return new Set(types.map((type) => type.toLowerCase()).filter((type): type is 'ingress' | 'egress' => type === 'ingress' || type === 'egress'));
  const hasIngress = (policy.spec.ingress ?? []).length > 0;
  const hasEgress = (policy.spec.egress ?? []).length > 0;
  return new Set([...(hasIngress || !hasEgress ? (['ingress'] as const) : []), ...(hasEgress ? (['egress'] as const) : [])]);
}
