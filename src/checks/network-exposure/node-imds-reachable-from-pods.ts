import { PROTOCOL, parseCidr, reachModel, type PodEndpoint } from '../../engines/reach/index.js';
import type { Instance } from '../../inventory/model.js';
import type { Check, Evidence, FindingDraft } from '../types.js';
import { exposureContext, listWithMore } from './exposure-context.js';
import { compareText } from '../../compare.js';

// The node side of instance metadata exposure: instances that serve pods at 169.254.169.254. IMDSv1
// (HttpTokens optional) serves any GET; IMDSv2 tokens reach a pod only when the PUT response hop limit
// is above 1, because a pod's packets cross one more hop than the node's own
// (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-IMDS-existing-instances.html).
// Pods whose egress policies block 169.254.169.254/32 on TCP 80 are not at risk; the pod-side view is
// pod-egress-to-instance-metadata.

const METADATA = parseCidr('169.254.169.254/32');

export const nodeImdsReachableFromPods: Check = {
  meta: {
    id: 'node-imds-reachable-from-pods',
    title: 'Node instances answer pods on the instance metadata service',
    severity: 'high',
    category: 'network-exposure',
    description:
      'Reports node instances whose metadata options answer pods (HttpEndpoint enabled with IMDSv1 allowed, or a PUT response hop limit above 1) while at least one pod on them has no egress policy that blocks 169.254.169.254/32.',
    reads: ['Instance', 'Node', 'Pod', 'NetworkPolicy', 'CalicoNetworkPolicy', 'CalicoGlobalNetworkPolicy'],
    requires: ['Instance'],
    references: ['https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-IMDS-existing-instances.html', 'https://docs.aws.amazon.com/eks/latest/best-practices/identity-and-access-management.html'],
    limitations: ['Instances without MetadataOptions in the snapshot are listed as not modelled.', 'Without pods in the snapshot, every node with answering settings is reported.'],
  },
  run({ inventory }) {
    const { network } = exposureContext(inventory);
    const notModelled: string[] = [];
    const havePods = inventory.has('Pod');
    const model = havePods ? reachModel(inventory) : undefined;
    const podsByNode = new Map<string, PodEndpoint[]>();
    for (const pod of model?.pods ?? []) {
      if (pod.hostNetwork || !pod.nodeName || !model) continue;
      if (!model.egress(model.classOf(pod), { kind: 'external', range: METADATA }).has(PROTOCOL.TCP, 80)) continue;
      podsByNode.set(pod.nodeName, [...(podsByNode.get(pod.nodeName) ?? []), pod]);
    }

    // Nodes with the same settings share one finding.
    const bySetting = new Map<string, Array<{ instance: Instance; pods: PodEndpoint[] }>>();
    for (const instanceId of [...network.nodeInstanceIds].sort()) {
      const instance = inventory.instance(instanceId);
      if (!instance) continue;
      const options = instance.MetadataOptions;
      if (!options) {
        notModelled.push(`instance ${instanceId}: MetadataOptions is not in the snapshot`);
        continue;
      }
      if (options.HttpEndpoint === 'disabled') continue;
      const hopLimit = options.HttpPutResponseHopLimit ?? 1;
      const v1 = options.HttpTokens !== 'required';
      if (!v1 && hopLimit <= 1) continue;
      const nodeName = inventory.data.nodes.find((node) => inventory.instanceForNode(node)?.InstanceId === instanceId)?.metadata.name;
      const pods = nodeName ? (podsByNode.get(nodeName) ?? []) : [];
      if (havePods && pods.length === 0) continue;
      const setting = `HttpTokens ${options.HttpTokens ?? 'optional'}, hop limit ${hopLimit}`;
      bySetting.set(setting, [...(bySetting.get(setting) ?? []), { instance, pods }]);
    }

    const findings: FindingDraft[] = [...bySetting.entries()].map(([setting, entries]) => {
      const v1 = !setting.startsWith('HttpTokens required');
      const pods = entries.flatMap((entry) => entry.pods);
      const namespaces = [...new Set(pods.map((pod) => pod.namespace))].sort();
      const evidence = [...instanceEvidence(entries, setting), ...namespaceEvidence(pods, namespaces)];
      const reach = havePods
        ? `, and ${pods.length} pod(s) in ${namespaces.length} namespace(s) (${listWithMore(namespaces, 6)}) may send to 169.254.169.254.`
        : '. The snapshot has no pods, so every pod these nodes run is taken to reach the metadata service.';
      const region = entries[0]?.instance.region;
      return {
        severity: v1 ? 'high' : 'medium',
        title: `${entries.length} node(s) answer pods on the instance metadata service (${setting})`,
        resources: entries.map((entry) => ({ kind: 'Instance', id: entry.instance.InstanceId })),
        problem: `${entries.length} node instance(s) have ${setting}, which ${v1 ? 'answers IMDSv1 requests from any process, pods included' : 'lets IMDSv2 tokens reach pods behind the extra network hop'}${reach}`,
        risk: 'A compromised pod, or a server-side request forgery in one, can read the node IAM role’s credentials and act with every permission the nodes have.',
        recommendation: 'Require IMDSv2 with a PUT response hop limit of 1 in the node launch template, give pods their own credentials through IRSA or EKS Pod Identity, and add egress policies that exclude 169.254.169.254/32.',
        evidence,
        fixes: [
          {
            type: 'aws-network',
            action: 'require-imdsv2',
            title: 'Require IMDSv2 with a hop limit of 1 on the nodes',
            rationale: 'With IMDSv2 required and a hop limit of 1, the node itself and host-network pods keep the metadata service and other pods lose it.',
            changes: [],
            drops: ['pods that read the node role’s credentials from the metadata service instead of IRSA or EKS Pod Identity lose them'],
            instanceIds: entries.map((entry) => entry.instance.InstanceId),
            hopLimit: 1,
            ...(region ? { region } : {}),
          },
        ],
        key: setting,
      };
    });
    if (!havePods && findings.length > 0) notModelled.push('the snapshot has no pods, so every pod on an answering node is taken to reach the metadata service');
    return { findings, notModelled: [...notModelled, ...(model?.notModelled ?? [])] };
  },
};

/** Evidence facts must each point at a snapshot object, so the longest lists stop at this many. */
const MAX_LISTED = 10;

/** Writes one fact per instance, up to MAX_LISTED, then one fact for the rest that cites the first of them. */
function instanceEvidence(entries: Array<{ instance: Instance; pods: PodEndpoint[] }>, setting: string): Evidence[] {
  const evidence: Evidence[] = entries.slice(0, MAX_LISTED).map((entry) => ({
    fact: `Instance ${entry.instance.InstanceId}: ${setting}${entry.pods.length > 0 ? `; ${entry.pods.length} pod(s) on it have no egress policy that blocks 169.254.169.254/32 on TCP 80` : ''}.`,
    source: entry.instance.source,
  }));
  const rest = entries.slice(MAX_LISTED);
  if (rest[0]) evidence.push({ fact: `${rest.length} more instance(s) have the same settings: ${listWithMore(rest.map((entry) => entry.instance.InstanceId), MAX_LISTED)}.`, source: rest[0].instance.source });
  return evidence;
}

/** Writes one fact per namespace that cites its first pod, up to MAX_LISTED, then one fact for the rest. */
function namespaceEvidence(pods: PodEndpoint[], namespaces: string[]): Evidence[] {
  const byNamespace = (namespace: string) => pods.filter((pod) => pod.namespace === namespace).sort((a, b) => compareText(a.name, b.name));
  const evidence: Evidence[] = namespaces.slice(0, MAX_LISTED).map((namespace) => {
    const members = byNamespace(namespace);
    return {
      fact: `Namespace ${namespace}: ${members.length} pod(s) have no egress policy that blocks 169.254.169.254/32 on TCP 80 (${listWithMore(members.map((pod) => pod.name), 5)}).`,
      source: (members[0] as PodEndpoint).pod.source,
    };
  });
  const rest = namespaces.slice(MAX_LISTED);
  const first = rest[0] ? byNamespace(rest[0])[0] : undefined;
  if (first) evidence.push({ fact: `Pods in ${rest.length} more namespace(s) have no such policy either: ${listWithMore(rest, MAX_LISTED)}.`, source: first.pod.source });
  return evidence;
}
