import { Document, stringify } from 'yaml';
import type { NetworkPolicyFix, PolicyWorkload } from '../checks/fixes/network-policy.js';
import { plural } from '../checks/network-segmentation/common.js';
import {
  ConnSet,
  inventoryWithPolicyChange,
  parseProtocol,
  reachersOf,
  reachModel,
  ReachModel,
  workloadKey,
  type EndpointClass,
  type PodEndpoint,
  type PolicyChange,
  type Reachers,
} from '../engines/reach/index.js';
import type { Inventory } from '../inventory/inventory.js';
import type { Remediation } from './index.js';
import { compareText } from '../compare.js';

// Renders a least-privilege ingress fix as a Kubernetes NetworkPolicy (and a Calico policy when Calico
// enforces policy), then proves it: the reachability engine runs again with the change applied, and the
// remediation states which clients keep access and which sources lose it.

const DNS_PORTS = [
  { port: 53, protocol: 'UDP' },
  { port: 53, protocol: 'TCP' },
];

/** Renders a NetworkPolicy fix as YAML and kubectl commands, after verifying it against the reachability engine. */
export function renderNetworkPolicyFix(fix: NetworkPolicyFix, inventory: Inventory): Remediation[] {
  const before = reachModel(inventory);
  const targetPods = podsOf(before, fix.target);
  if (targetPods.length === 0) return [];
  const ports = fix.ports.reduce((set, port) => set.union(ConnSet.port(parseProtocol(port.protocol) ?? 6, port.port)), ConnSet.NONE);
  const baseline = reachersOf(before, targetPods, ports);
  const remediations: Remediation[] = [];

  const policy = kubernetesPolicy(fix);
  // A template admits nobody, so deleting the policies in force on its account would only cut access.
  const template = fix.basis === 'none';
  const replaces = template ? [] : fix.replaces;
  const kubernetesChange: PolicyChange = { add: [policy], remove: replaces.map((entry) => ({ namespace: entry.namespace, name: entry.name })) };
  const kubernetesCheck = template ? verifyTemplate(inventory, before, fix, kubernetesChange, targetPods, ports, baseline) : verify(inventory, before, fix, kubernetesChange, targetPods, ports, baseline);
  remediations.push({
    format: 'yaml',
    title: template ? `NetworkPolicy template for ${fix.target.namespace}/${fix.target.name} (fill in the clients)` : `NetworkPolicy admitting only the clients of ${fix.target.namespace}/${fix.target.name}`,
    content: template ? templateYaml(policy, fix) : stringify(policy),
    safety: kubernetesCheck.safe ? 'fix' : 'suggestion',
    verification: kubernetesCheck.text,
  });
  remediations.push(
    template
      ? {
          format: 'kubectl',
          title: 'Fill in the NetworkPolicy template, then apply it after review',
          content: [
            `# ${policyFileName(fix)} admits nobody as written: first add an ingress rule for each client on ${portList(fix)}.`,
            '# Check the filled-in policy against the sources the verification lists, then apply it:',
            `kubectl apply -f ${policyFileName(fix)}`,
            '# NetworkPolicies add up: sources that other policies admit keep their access, so narrow or delete those',
            '# policies once the clients are known (the verification lists who keeps access through them).',
          ].join('\n'),
          safety: 'suggestion',
          verification: kubernetesCheck.text,
        }
      : {
          format: 'kubectl',
          title: `Apply the NetworkPolicy${replaces.length > 0 ? ' and delete the policies it replaces' : ''}`,
          content: [`kubectl apply -f ${policyFileName(fix)}`, ...replaces.map((entry) => `kubectl delete networkpolicy --namespace ${entry.namespace} ${entry.name}`)].join('\n'),
          safety: kubernetesCheck.safe ? 'fix' : 'suggestion',
          verification: kubernetesCheck.text,
        },
  );

  if (fix.calico && !template) {
    const calico = calicoPolicy(fix);
    const calicoCheck = verify(inventory, before, fix, { add: [calico], remove: [] }, targetPods, ports, baseline);
    remediations.push({
      format: 'yaml',
      title: `Calico NetworkPolicy for ${fix.target.namespace}/${fix.target.name} (order 500, ahead of the Kubernetes policies, so nothing needs deleting)`,
      content: stringify(calico),
      safety: calicoCheck.safe ? 'fix' : 'suggestion',
      verification: calicoCheck.text,
    });
  }

  if (fix.namespaceDefaultDeny.ingress || fix.namespaceDefaultDeny.egress) {
    const documents = namespaceBaseline(fix);
    const change: PolicyChange = { add: [policy, ...documents], remove: kubernetesChange.remove };
    remediations.push({
      format: 'yaml',
      title: `Default deny for namespace ${fix.target.namespace}${fix.namespaceDefaultDeny.egress ? ', with the DNS egress it then needs' : ''} (review before applying)`,
      content: documents.map((document) => stringify(document)).join('---\n'),
      safety: 'suggestion',
      verification: namespaceVerification(inventory, before, change, fix.target.namespace),
    });
  }
  return remediations;
}

function policyName(fix: NetworkPolicyFix): string {
  return `${fix.target.name}-allow-clients`.slice(0, 253);
}

function policyFileName(fix: NetworkPolicyFix): string {
  return `${policyName(fix)}.yaml`;
}

function kubernetesPolicy(fix: NetworkPolicyFix): Record<string, unknown> {
  const from = fix.clients.map((client) => peerFor(client, fix.target.namespace));
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: policyName(fix), namespace: fix.target.namespace },
    spec: {
      podSelector: { matchLabels: fix.target.podLabels },
      policyTypes: ['Ingress'],
      ingress: fix.basis === 'none' ? [] : [{ from, ports: fix.ports.map((port) => ({ port: port.port, protocol: port.protocol })) }],
    },
  };
}

function peerFor(client: PolicyWorkload, namespace: string): Record<string, unknown> {
  const podSelector = { matchLabels: client.podLabels };
  if (client.namespace === namespace) return { podSelector };
  return { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': client.namespace } }, podSelector };
}

function templateYaml(policy: Record<string, unknown>, fix: NetworkPolicyFix): string {
  const document = new Document(policy);
  document.commentBefore = ` Rampart found no client of ${fix.target.namespace}/${fix.target.name}. As written this policy admits nobody on any port.\n Add an ingress rule with a podSelector (and namespaceSelector) for each client, on ${portList(fix)}.`;
  return document.toString();
}

function portList(fix: NetworkPolicyFix): string {
  return fix.ports.map((port) => `${port.protocol} ${port.port}`).join(', ');
}

function calicoPolicy(fix: NetworkPolicyFix): Record<string, unknown> {
  const protocols = [...new Set(fix.ports.map((port) => port.protocol))];
  const allow = protocols.flatMap((protocol) =>
    fix.clients.map((client) => ({
      action: 'Allow',
      protocol,
      source: { selector: calicoSelector(client.podLabels), namespaceSelector: `projectcalico.org/name == '${client.namespace}'` },
      destination: { ports: fix.ports.filter((port) => port.protocol === protocol).map((port) => port.port) },
    })),
  );
  const deny = protocols.map((protocol) => ({ action: 'Deny', protocol, destination: { ports: fix.ports.filter((port) => port.protocol === protocol).map((port) => port.port) } }));
  return {
    apiVersion: 'projectcalico.org/v3',
    kind: 'NetworkPolicy',
    metadata: { name: policyName(fix), namespace: fix.target.namespace },
    spec: { tier: 'default', order: 500, selector: calicoSelector(fix.target.podLabels), types: ['Ingress'], ingress: [...allow, ...deny] },
  };
}

function calicoSelector(labels: Record<string, string>): string {
  const parts = Object.entries(labels).map(([key, value]) => `${key} == '${value}'`);
  return parts.length === 0 ? 'all()' : parts.join(' && ');
}

/** The namespace default deny (for the directions it lacks), DNS egress, and egress from in-namespace clients. */
function namespaceBaseline(fix: NetworkPolicyFix): Array<Record<string, unknown>> {
  const namespace = fix.target.namespace;
  const types = [...(fix.namespaceDefaultDeny.ingress ? ['Ingress'] : []), ...(fix.namespaceDefaultDeny.egress ? ['Egress'] : [])];
  const documents: Array<Record<string, unknown>> = [
    { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'default-deny', namespace }, spec: { podSelector: {}, policyTypes: types } },
  ];
  if (fix.namespaceDefaultDeny.egress) {
    documents.push({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'allow-dns-egress', namespace },
      spec: {
        podSelector: {},
        policyTypes: ['Egress'],
        egress: [{ to: [{ namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } }, podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } } }], ports: DNS_PORTS }],
      },
    });
    for (const client of fix.clients.filter((candidate) => candidate.namespace === namespace)) {
      documents.push({
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: `${client.name}-egress-to-${fix.target.name}`.slice(0, 253), namespace },
        spec: {
          podSelector: { matchLabels: client.podLabels },
          policyTypes: ['Egress'],
          egress: [{ to: [{ podSelector: { matchLabels: fix.target.podLabels } }], ports: fix.ports.map((port) => ({ port: port.port, protocol: port.protocol })) }],
        },
      });
    }
  }
  return documents;
}

interface Verification {
  safe: boolean;
  text: string;
}

/** Re-runs the engine with the change and compares who reaches the target on its ports. */
function verify(inventory: Inventory, before: ReachModel, fix: NetworkPolicyFix, change: PolicyChange, targetPods: PodEndpoint[], ports: ConnSet, baseline: Reachers): Verification {
  const after = new ReachModel(inventoryWithPolicyChange(inventory, change), { ipBlocksMatchPods: before.ipBlocksMatchPods, classesFrom: before });
  const afterTarget = podsOf(after, fix.target);
  const result = reachersOf(after, afterTarget, ports);
  const keys = (reachers: Reachers) => new Set(reachers.pods.map((entry) => workloadKey(entry.pod.workload)));
  const beforeKeys = keys(baseline);
  const afterKeys = keys(result);
  const clientKeys = fix.clients.map((client) => `${client.kind}/${client.namespace}/${client.name}`);
  const keep = clientKeys.filter((key) => afterKeys.has(key));
  const lostClients = clientKeys.filter((key) => !afterKeys.has(key));
  const lose = [...beforeKeys].filter((key) => !afterKeys.has(key)).sort();
  const gained = [...afterKeys].filter((key) => !beforeKeys.has(key)).sort();
  const stillOthers = [...afterKeys].filter((key) => !clientKeys.includes(key)).sort();
  const notAdmittedLosing = fix.notAdmitted.map((entry) => `${entry.kind}/${entry.namespace}/${entry.name}`).filter((key) => beforeKeys.has(key) && !afterKeys.has(key));

  const lines: string[] = [`Re-ran the reachability engine with this change applied, on ${fix.ports.map((port) => `${port.protocol} ${port.port}`).join(', ')} of ${fix.target.namespace}/${fix.target.name}:`];
  lines.push(keep.length > 0 ? `- clients that keep access: ${keep.join(', ')}` : '- no client keeps access');
  if (lostClients.length > 0) lines.push(`- clients that would LOSE access (the change is wrong for them): ${lostClients.join(', ')}`);
  lines.push(lose.length > 0 ? `- sources that lose access: ${summarise(lose)}` : '- no source loses access');
  if (baseline.external.length > 0) lines.push(result.external.length === 0 ? '- addresses outside the pods lose access' : `- addresses outside the pods that still have access: ${plural(result.external.length, 'range')}`);
  if (stillOthers.length > 0) lines.push(`- other sources that still have access: ${summarise(stillOthers)}`);
  if (gained.length > 0) lines.push(`- sources that GAIN access: ${gained.join(', ')}`);
  if (notAdmittedLosing.length > 0) lines.push(`- related workloads that lose access because nothing shows they connect (add them if they do): ${notAdmittedLosing.join(', ')}`);
  const safe = fix.basis !== 'none' && lostClients.length === 0 && gained.length === 0 && stillOthers.length === 0 && result.external.length === 0 && notAdmittedLosing.length === 0;
  return { safe, text: lines.join('\n') };
}

/**
 * Re-runs the engine with a template applied as written (admitting nobody, the policies in force kept) and
 * lists who would lose access, so that the template is never mistaken for a change that is safe to apply.
 */
function verifyTemplate(inventory: Inventory, before: ReachModel, fix: NetworkPolicyFix, change: PolicyChange, targetPods: PodEndpoint[], ports: ConnSet, baseline: Reachers): Verification {
  const after = new ReachModel(inventoryWithPolicyChange(inventory, change), { ipBlocksMatchPods: before.ipBlocksMatchPods, classesFrom: before });
  const result = reachersOf(after, podsOf(after, fix.target), ports);
  const keys = (reachers: Reachers) => new Set(reachers.pods.map((entry) => workloadKey(entry.pod.workload)));
  const beforeKeys = keys(baseline);
  const afterKeys = keys(result);
  const lose = [...beforeKeys].filter((key) => !afterKeys.has(key)).sort();
  const keep = [...afterKeys].filter((key) => beforeKeys.has(key)).sort();
  const gained = [...afterKeys].filter((key) => !beforeKeys.has(key)).sort();

  const lines = [`Re-ran the reachability engine with this template applied unchanged, admitting nobody, and the policies in force left in place, on ${portList(fix)} of ${fix.target.namespace}/${fix.target.name}:`];
  lines.push(lose.length > 0 ? `- sources that would LOSE access if it were applied unchanged: ${summarise(lose)}` : '- no source would lose access, because the policies in force keep admitting every source that reaches it now');
  if (baseline.external.length > 0) lines.push(result.external.length === 0 ? '- addresses outside the pods would LOSE access' : `- addresses outside the pods that would keep access: ${plural(result.external.length, 'range')}`);
  if (keep.length > 0) lines.push(`- sources that would keep access through the policies in force, which the template does not change: ${summarise(keep)}`);
  if (gained.length > 0) lines.push(`- sources that would GAIN access: ${gained.join(', ')}`);
  lines.push('- add every client that needs access before applying it');
  return { safe: false, text: lines.join('\n') };
}

/** Lists the workload connections into or out of the namespace that the namespace baseline cuts. */
function namespaceVerification(inventory: Inventory, before: ReachModel, change: PolicyChange, namespace: string): string {
  const after = new ReachModel(inventoryWithPolicyChange(inventory, change), { ipBlocksMatchPods: before.ipBlocksMatchPods, classesFrom: before });
  const afterClassOf = classMapping(before, after);
  const sameClasses = after.classes === before.classes;
  const allowed = namespaceConnections(before, namespace);
  const lost = new Set<string>();
  const egressChanged = (cls: EndpointClass, later: EndpointClass) => !sameClasses || after.appliedTiers(later, 'egress') !== before.appliedTiers(cls, 'egress');
  const ingressChanged = (cls: EndpointClass, later: EndpointClass) => !sameClasses || after.appliedTiers(later, 'ingress') !== before.appliedTiers(cls, 'ingress');
  // Whether any class inside or outside the namespace has other policies after the change, per direction.
  const changed = { inside: { egress: false, ingress: false }, outside: { egress: false, ingress: false } };
  for (const cls of before.classes) {
    const later = afterClassOf(cls) ?? cls;
    const side = cls.namespace === namespace ? changed.inside : changed.outside;
    side.egress ||= egressChanged(cls, later);
    side.ingress ||= ingressChanged(cls, later);
  }

  const compare = (source: EndpointClass, destination: EndpointClass, was: ConnSet) => {
    const sourceAfter = afterClassOf(source);
    const destinationAfter = afterClassOf(destination);
    if (!sourceAfter || !destinationAfter) return;
    // A pair can lose connections only if the source's egress or the destination's ingress policies changed.
    const sameEgress = !egressChanged(source, sourceAfter);
    if (sameEgress && !ingressChanged(destination, destinationAfter)) return;
    // Evaluate the changed side first, because that is the side a default deny empties.
    const first = sameEgress ? after.ingress(destinationAfter, { kind: 'class', cls: sourceAfter }) : after.egress(sourceAfter, { kind: 'class', cls: destinationAfter });
    const remaining = first.isEmpty() ? first : first.intersect(sameEgress ? after.egress(sourceAfter, { kind: 'class', cls: destinationAfter }) : after.ingress(destinationAfter, { kind: 'class', cls: sourceAfter }));
    const cut = was.subtract(remaining);
    if (!cut.isEmpty()) lost.add(`${allowed.key(source)} → ${allowed.key(destination)}: ${cut.format()}`);
  };

  // Only pairs that had a connection before can lose one, and the lists below contain only those.
  for (const local of allowed.locals) {
    const later = afterClassOf(local) ?? local;
    const egress = egressChanged(local, later);
    if (egress || changed.inside.ingress) for (const pair of allowed.list(local, 'inside')) compare(local, pair.cls, pair.connections);
    if (egress || changed.outside.ingress) for (const pair of allowed.list(local, 'outbound')) compare(local, pair.cls, pair.connections);
    if (changed.outside.egress || ingressChanged(local, later)) for (const pair of allowed.list(local, 'inbound')) compare(pair.cls, local, pair.connections);
  }

  const lines = [...lost].sort();
  if (lines.length === 0) return `Re-ran the reachability engine with the namespace default deny: no connection between pods into or out of ${namespace} is cut.`;
  const shown = lines.slice(0, 20);
  return [`Re-ran the reachability engine with the namespace default deny: these connections between workloads would be cut; allow the ones that are needed before applying it:`, ...shown.map((line) => `- ${line}`), ...(lines.length > shown.length ? [`- and ${lines.length - shown.length} more`] : [])].join('\n');
}

interface Connected {
  cls: EndpointClass;
  connections: ConnSet;
}

/**
 * Pairs of a local class with another workload's class: `inside` the namespace (local as source), `outbound`
 * to classes outside it, `inbound` from classes outside it.
 */
type PairKind = 'inside' | 'outbound' | 'inbound';

/** The connections a model allows into and out of one namespace, between classes of different workloads. */
interface NamespaceConnections {
  /** Classes of the namespace that have pods. */
  locals: EndpointClass[];
  /** Returns the workload key of a class's first pod. */
  key(cls: EndpointClass): string;
  /** Lists the classes a local class has a connection with, of one kind, computed on first use. */
  list(local: EndpointClass, kind: PairKind): Connected[];
}

// Fixes for workloads of one namespace follow each other, so the connections of the last namespace are kept.
const namespaceCache = new WeakMap<ReachModel, { namespace: string; connections: NamespaceConnections }>();

/** Returns the connections into, out of and inside the namespace, each list computed on first use. */
function namespaceConnections(model: ReachModel, namespace: string): NamespaceConnections {
  const cached = namespaceCache.get(model);
  if (cached && cached.namespace === namespace) return cached.connections;
  const classes = model.classes.filter((cls) => cls.pods.length > 0);
  const keys = new Map(classes.map((cls) => [cls, workloadKey((cls.pods[0] as PodEndpoint).workload)]));
  const locals = classes.filter((cls) => cls.namespace === namespace);
  const others = classes.filter((cls) => cls.namespace !== namespace);
  const lists = new Map<string, Connected[]>();
  const connections: NamespaceConnections = {
    locals,
    key: (cls) => keys.get(cls) ?? workloadKey((cls.pods[0] as PodEndpoint).workload),
    list: (local, kind) => {
      const id = `${kind}|${local.id}`;
      let result = lists.get(id);
      if (result) return result;
      result = [];
      // Outbound pairs are most of the work, and most destinations' ingress cannot admit the local class.
      const mayAdmit = kind === 'outbound' ? model.ingressMayAdmit(local) : () => true;
      for (const remote of kind === 'inside' ? locals : others) {
        if (keys.get(remote) === keys.get(local) || !mayAdmit(remote)) continue;
        const allowed = kind === 'inbound' ? model.classConnections(remote, local) : model.classConnections(local, remote);
        if (!allowed.isEmpty()) result.push({ cls: remote, connections: allowed });
      }
      lists.set(id, result);
      return result;
    },
  };
  namespaceCache.set(model, { namespace, connections });
  return connections;
}

/** Maps classes of the model before a change to the model after it, through each class's first pod. */
function classMapping(before: ReachModel, after: ReachModel): (cls: EndpointClass) => EndpointClass | undefined {
  if (after.classes === before.classes) return (cls) => cls;
  return (cls) => {
    const pod = cls.pods[0];
    const found = pod ? after.pod(pod.namespace, pod.name) : undefined;
    return found ? after.classOf(found) : undefined;
  };
}

function podsOf(model: ReachModel, workload: { kind: string; namespace: string; name: string }): PodEndpoint[] {
  return model.pods.filter((pod) => pod.workload.kind === workload.kind && pod.workload.namespace === workload.namespace && pod.workload.name === workload.name);
}

function summarise(keys: string[]): string {
  const byNamespace = new Map<string, number>();
  for (const key of keys) {
    const namespace = key.split('/')[1] as string;
    byNamespace.set(namespace, (byNamespace.get(namespace) ?? 0) + 1);
  }
  const namespaces = [...byNamespace.entries()].sort((a, b) => b[1] - a[1] || compareText(a[0], b[0])).map(([namespace, count]) => `${namespace} (${count})`);
  const examples = keys.slice(0, 5).join(', ');
  return `${plural(keys.length, 'workload')} in ${plural(byNamespace.size, 'namespace')}: ${namespaces.join(', ')}; for example ${examples}${keys.length > 5 ? ', …' : ''}`;
}
