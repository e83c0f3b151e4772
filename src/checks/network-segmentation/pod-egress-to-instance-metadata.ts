import { explainConnection, parseCidr, PROTOCOL, reachModel, type PodEndpoint, type ReachModel } from '../../engines/reach/index.js';
import { childSource } from '../../inventory/source.js';
import type { Check, CheckContext, CheckOutcome, Evidence, EvidencePath, FindingDraft } from '../types.js';
import { POD_SOURCE_KINDS } from '../kinds.js';
import { countByNamespace, listWithMore, missingPolicyNotices, noPolicyEvidence, pathFromVerdict, plural } from './common.js';
import { compareText } from '../../compare.js';

// The EC2 instance metadata service listens on 169.254.169.254:80 on every node. A pod that may send to it
// can read the node role's credentials unless the instance blocks it: HttpEndpoint disabled, or IMDSv2
// required (HttpTokens required) with a PUT response hop limit of 1, which keeps tokens from reaching pods
// behind the extra network hop (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-IMDS-existing-instances.html).
// Check node-imds-reachable-from-pods reports the same problem from the node side, with the instance fix.
// This check reports the pods and the egress policy fix, and its recommendation names that check.

const METADATA = parseCidr('169.254.169.254/32');
const NODE_SIDE_CHECK = 'node-imds-reachable-from-pods';
const MAX_NAMESPACES = 6;
const MAX_EVIDENCE = 10;
const EGRESS_FIX = 'Add an egress policy that keeps these pods from 169.254.169.254/32, for example an ipBlock 0.0.0.0/0 with except 169.254.169.254/32.';

export const podEgressToInstanceMetadata: Check = {
  meta: {
    id: 'pod-egress-to-instance-metadata',
    title: 'Pods may reach the EC2 instance metadata service',
    severity: 'high',
    category: 'network-segmentation',
    description:
      'Reports pods (not on the host network) whose egress policies allow TCP 80 to 169.254.169.254 while their node instance answers pods there (HttpEndpoint enabled, and IMDSv1 allowed or a PUT response hop limit above 1).',
    reads: ['Pod', 'Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob', 'Node', 'Instance', 'NetworkPolicy', 'CalicoNetworkPolicy', 'CalicoGlobalNetworkPolicy', 'CalicoNetworkSet', 'CalicoGlobalNetworkSet', 'CalicoProfile'],
    // Without any policy every pod may send to the metadata service, which is a verdict, so only pods are required.
    requires: [],
    requiresAny: [POD_SOURCE_KINDS],
    references: ['https://docs.aws.amazon.com/eks/latest/best-practices/identity-and-access-management.html', 'https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-IMDS-existing-instances.html'],
    limitations: [
      'Pods whose node or instance is not in the snapshot are reported with the instance settings unknown.',
      'EKS Pod Identity (169.254.170.23) is not checked.',
      'The instance fix is left to check node-imds-reachable-from-pods, which reports the same instances from the node side.',
    ],
  },
  run(context: CheckContext): CheckOutcome {
    const model = reachModel(context.inventory);
    const exposed: Array<{ pod: PodEndpoint; setting: InstanceSetting }> = [];
    const allowedByClass = new Map<number, boolean>();
    for (const pod of model.pods) {
      if (pod.hostNetwork) continue;
      let allowed = allowedByClass.get(pod.classId);
      if (allowed === undefined) {
        allowed = model.egress(model.classOf(pod), { kind: 'external', range: METADATA }).has(PROTOCOL.TCP, 80);
        allowedByClass.set(pod.classId, allowed);
      }
      if (!allowed) continue;
      const setting = instanceSetting(context, pod);
      if (setting.blocks) continue;
      exposed.push({ pod, setting });
    }
    const notModelled = [...missingPolicyNotices(model), ...model.notModelled];
    if (exposed.length === 0) return { findings: [], notModelled };

    const bySetting = new Map<string, Array<{ pod: PodEndpoint; setting: InstanceSetting }>>();
    for (const entry of exposed) {
      const list = bySetting.get(entry.setting.text);
      if (list) list.push(entry);
      else bySetting.set(entry.setting.text, [entry]);
    }
    const findings = [...bySetting.entries()].sort(([a], [b]) => compareText(a, b)).map(([setting, entries]) => findingFor(model, setting, entries));
    return { findings, notModelled };
  },
};

function findingFor(model: ReachModel, setting: string, entries: Array<{ pod: PodEndpoint; setting: InstanceSetting }>): FindingDraft {
  const pods = entries.map((entry) => entry.pod);
  const namespaces = countByNamespace(pods);
  const unknown = setting.startsWith('unknown');
  const first = pods[0] as PodEndpoint;
  const where =
    namespaces.length === 1
      ? `${plural(pods.length, 'pod')} in namespace ${namespaces[0]?.namespace}`
      : `${plural(pods.length, 'pod')} in ${plural(namespaces.length, 'namespace')} (${listWithMore(
          namespaces.map((entry) => `${entry.namespace}: ${entry.pods}`),
          MAX_NAMESPACES,
          'namespace',
        )})`;

  // One fact per instance, node or pod that decided the setting, each with the place it was read from.
  const facts = new Map<string, Evidence>();
  for (const entry of entries) for (const fact of entry.setting.evidence) facts.set(fact.fact, fact);
  const allFacts = [...facts.values()].sort((a, b) => compareText(a.fact, b.fact));
  const evidence = [...allFacts.slice(0, MAX_EVIDENCE), ...noPolicyEvidence(model.inventory)];
  const omitted = allFacts.length > evidence.length ? ` The evidence lists ${evidence.length} of the ${allFacts.length} ${unknown ? 'missing inputs' : 'instances'}.` : '';

  return {
    severity: unknown ? 'medium' : 'high',
    title: `${plural(pods.length, 'pod')} in ${plural(namespaces.length, 'namespace')} may reach the instance metadata service (${setting})`,
    resources: namespaces.map((entry) => ({ kind: 'Namespace', name: entry.namespace })),
    problem: `No egress policy stops ${where} from sending TCP 80 to 169.254.169.254, and their nodes ${unknown ? 'have instance settings the snapshot does not show' : `answer pods there (${setting})`}.${omitted}`,
    risk: 'A compromised pod can read the node IAM role credentials from the metadata service and act with every permission the nodes have.',
    recommendation: unknown
      ? `${EGRESS_FIX} Add the Nodes and their EC2 instances to the snapshot so that check ${NODE_SIDE_CHECK} can evaluate the instance metadata settings.`
      : `${EGRESS_FIX} The node instances that answer them are the same problem seen from the node side: check ${NODE_SIDE_CHECK} reports them with the instance fix.`,
    evidence,
    paths: [metadataPath(model, first)],
    key: setting,
  };
}

interface InstanceSetting {
  blocks: boolean;
  /** The setting in a few words, which groups pods into findings. */
  text: string;
  /** The snapshot facts behind the setting, or behind its being unknown. */
  evidence: Evidence[];
}

function instanceSetting(context: CheckContext, pod: PodEndpoint): InstanceSetting {
  const unknown = 'unknown: the node instance or its MetadataOptions is not in the snapshot';
  const source = pod.pod.source;
  if (!pod.nodeName) {
    const fact = pod.synthesised
      ? `${pod.workload.kind} ${pod.namespace}/${pod.workload.name} has no pod in the snapshot, so its node is not known.`
      : `Pod ${pod.namespace}/${pod.name} is not scheduled to a node (spec.nodeName is unset).`;
    return { blocks: false, text: unknown, evidence: [{ fact, source }] };
  }
  const node = context.inventory.node(pod.nodeName);
  if (!node) return { blocks: false, text: unknown, evidence: [{ fact: `Node ${pod.nodeName} of pod ${pod.namespace}/${pod.name} is not in the snapshot.`, source: childSource(source, 'spec', 'nodeName') }] };
  const instance = context.inventory.instanceForNode(node);
  if (!instance) {
    const providerId = node.spec?.providerID;
    const fact = `Node ${node.metadata.name} matches no instance in the snapshot${providerId ? ` (providerID ${providerId})` : ''}.`;
    return { blocks: false, text: unknown, evidence: [{ fact, source: providerId ? childSource(node.source, 'spec', 'providerID') : node.source }] };
  }
  const label = `Instance ${instance.InstanceId} (node ${node.metadata.name})`;
  const options = instance.MetadataOptions;
  if (!options) return { blocks: false, text: unknown, evidence: [{ fact: `${label} has no MetadataOptions in the snapshot.`, source: instance.source }] };

  // An unset field is read as the endpoint enabled, IMDSv1 allowed or a hop limit of 1, and the fact says so.
  const evidence = [
    {
      fact: `${label} has HttpTokens ${options.HttpTokens ?? 'unset (taken as optional)'}, HttpPutResponseHopLimit ${options.HttpPutResponseHopLimit ?? 'unset (taken as 1)'} and HttpEndpoint ${options.HttpEndpoint ?? 'unset (taken as enabled)'}.`,
      source: childSource(instance.source, 'MetadataOptions'),
    },
  ];
  if (options.HttpEndpoint === 'disabled') return { blocks: true, text: 'HttpEndpoint disabled', evidence };
  const hopLimit = options.HttpPutResponseHopLimit ?? 1;
  if (options.HttpTokens === 'required' && hopLimit <= 1) return { blocks: true, text: 'IMDSv2 required, hop limit 1', evidence };
  return { blocks: false, text: `HttpTokens ${options.HttpTokens ?? 'optional'}, hop limit ${hopLimit}`, evidence };
}

function metadataPath(model: ReachModel, pod: PodEndpoint): EvidencePath {
  const verdict = explainConnection(model, { kind: 'pod', pod }, { kind: 'external', range: METADATA }, PROTOCOL.TCP, 80);
  return pathFromVerdict(verdict, { kind: 'Address', id: '169.254.169.254' });
}
