import { explainConnection, parseCidr, PROTOCOL, reachModel, type PodEndpoint, type ReachModel } from '../../engines/reach/index.js';
import type { Check, CheckContext, CheckOutcome, EvidencePath, FindingDraft } from '../types.js';
import { countByNamespace, pathFromVerdict, plural } from './common.js';

// The EC2 instance metadata service listens on 169.254.169.254:80 on every node. A pod that may send to it
// can read the node role's credentials unless the instance blocks it: HttpEndpoint disabled, or IMDSv2
// required (HttpTokens required) with a PUT response hop limit of 1, which keeps tokens from reaching pods
// behind the extra network hop (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-IMDS-existing-instances.html).

const METADATA = parseCidr('169.254.169.254/32');

export const podEgressToInstanceMetadata: Check = {
  meta: {
    id: 'pod-egress-to-instance-metadata',
    title: 'Pods may reach the EC2 instance metadata service',
    severity: 'high',
    category: 'network-segmentation',
    description:
      'Reports pods (not on the host network) whose egress policies allow TCP 80 to 169.254.169.254 while their node instance answers pods there (HttpEndpoint enabled, and IMDSv1 allowed or a PUT response hop limit above 1).',
    reads: ['Pod', 'Node', 'Instance', 'NetworkPolicy', 'CalicoNetworkPolicy', 'CalicoGlobalNetworkPolicy'],
    requires: ['Pod', 'NetworkPolicy'],
    references: ['https://docs.aws.amazon.com/eks/latest/best-practices/identity-and-access-management.html', 'https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/configuring-IMDS-existing-instances.html'],
    limitations: ['Pods whose node or instance is not in the snapshot are reported with the instance settings unknown.', 'EKS Pod Identity (169.254.170.23) is not checked.'],
  },
  run(context: CheckContext): CheckOutcome {
    const model = reachModel(context.inventory);
    const exposed: Array<{ pod: PodEndpoint; setting: string }> = [];
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
      exposed.push({ pod, setting: setting.text });
    }
    if (exposed.length === 0) return { findings: [], notModelled: model.notModelled };

    const bySetting = new Map<string, PodEndpoint[]>();
    for (const entry of exposed) {
      const list = bySetting.get(entry.setting);
      if (list) list.push(entry.pod);
      else bySetting.set(entry.setting, [entry.pod]);
    }
    const findings: FindingDraft[] = [...bySetting.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([setting, pods]) => {
      const namespaces = countByNamespace(pods);
      const unknown = setting.startsWith('unknown');
      const first = pods[0] as PodEndpoint;
      return {
        severity: unknown ? 'medium' : 'high',
        title: `${plural(pods.length, 'pod')} in ${plural(namespaces.length, 'namespace')} may reach the instance metadata service (${setting})`,
        resources: namespaces.map((entry) => ({ kind: 'Namespace', name: entry.namespace })),
        problem: `No egress policy stops ${plural(pods.length, 'pod')} (${namespaces.map((entry) => `${entry.namespace}: ${entry.pods}`).join(', ')}) from sending TCP 80 to 169.254.169.254, and their nodes ${unknown ? 'have instance settings the snapshot does not show' : `answer pods there (${setting})`}.`,
        risk: 'A compromised pod can read the node IAM role credentials from the metadata service and act with every permission the nodes have.',
        recommendation: 'Require IMDSv2 with a PUT response hop limit of 1 on the node launch template, and add an egress policy that excludes 169.254.169.254/32 (for example ipBlock 0.0.0.0/0 with except 169.254.169.254/32).',
        evidence: [{ fact: `Instance metadata settings: ${setting}.` }],
        paths: [metadataPath(model, first)],
        key: setting,
      };
    });
    return { findings, notModelled: model.notModelled };
  },
};

function instanceSetting(context: CheckContext, pod: PodEndpoint): { blocks: boolean; text: string } {
  const node = pod.nodeName ? context.inventory.node(pod.nodeName) : undefined;
  const instance = node ? context.inventory.instanceForNode(node) : undefined;
  const options = instance?.MetadataOptions;
  if (!options) return { blocks: false, text: 'unknown: the node instance or its MetadataOptions is not in the snapshot' };
  if (options.HttpEndpoint === 'disabled') return { blocks: true, text: 'HttpEndpoint disabled' };
  const hopLimit = options.HttpPutResponseHopLimit ?? 1;
  if (options.HttpTokens === 'required' && hopLimit <= 1) return { blocks: true, text: 'IMDSv2 required, hop limit 1' };
  return { blocks: false, text: `HttpTokens ${options.HttpTokens ?? 'optional'}, hop limit ${hopLimit}` };
}

function metadataPath(model: ReachModel, pod: PodEndpoint): EvidencePath {
  const verdict = explainConnection(model, { kind: 'pod', pod }, { kind: 'external', range: METADATA }, PROTOCOL.TCP, 80);
  return pathFromVerdict(verdict, { kind: 'Address', id: '169.254.169.254' });
}
