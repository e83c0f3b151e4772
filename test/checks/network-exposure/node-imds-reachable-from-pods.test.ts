import { describe, expect, it } from 'vitest';
import { nodeImdsReachableFromPods } from '../../../src/checks/network-exposure/node-imds-reachable-from-pods.js';
import { runChecks } from '../../../src/checks/run.js';
import { DEFAULT_CONFIG } from '../../../src/config/config.js';
import { loadDocuments } from '../../../src/inventory/load.js';
import { remediate } from '../../../src/remediation/index.js';
import { IDS, demoCluster, documentOf } from '../../fixtures/aws/demo-cluster.js';

type Reservations = { Reservations: Array<{ Instances: Array<{ MetadataOptions?: Record<string, unknown> }> }> };

function withMetadata(options: Record<string, unknown> | undefined, extra: Record<string, unknown[]> = {}): Record<string, unknown[]> {
  const files = demoCluster();
  for (const reservation of documentOf<Reservations>(files, 'aws/ec2-describe-instances.json').Reservations) {
    for (const instance of reservation.Instances) {
      if (options) instance.MetadataOptions = options;
      else delete instance.MetadataOptions;
    }
  }
  return { ...files, ...extra };
}

const pod = (name: string, namespace: string, node: string, hostNetwork = false) => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace, labels: { app: name } },
  spec: { nodeName: node, hostNetwork, containers: [{ name, image: 'registry.example/app:1' }] },
  status: { phase: 'Running', podIP: hostNetwork ? '10.20.10.11' : '192.168.1.10' },
});

const denyMetadata = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name: 'no-imds', namespace: 'shop' },
  spec: { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['169.254.169.254/32'] } }] }] },
};

const NODE1 = 'ip-10-20-10-11.eu-central-1.compute.internal';

function audit(files: Record<string, unknown[]>) {
  const { inventory } = loadDocuments(files);
  return { ...runChecks([nodeImdsReachableFromPods], { inventory, config: DEFAULT_CONFIG }), inventory };
}

describe('node-imds-reachable-from-pods', () => {
  it('reports IMDSv1 with a pod that may reach it', () => {
    const { findings, inventory } = audit(withMetadata({ HttpTokens: 'optional', HttpPutResponseHopLimit: 1, HttpEndpoint: 'enabled' }, { 'kubernetes/pods.json': [pod('web', 'shop', NODE1)] }));
    expect(findings.map((finding) => [finding.severity, finding.resources.map((resource) => resource.id)])).toEqual([['high', [IDS.node1]]]);
    const cli = remediate(findings, inventory)[0]?.remediations.find((remediation) => remediation.format === 'aws-cli');
    expect(cli?.content).toContain(`--instance-id ${IDS.node1} --http-tokens required --http-put-response-hop-limit 1`);
  });

  it('reports IMDSv2 with a hop limit of 2 at medium', () => {
    const { findings } = audit(withMetadata({ HttpTokens: 'required', HttpPutResponseHopLimit: 2, HttpEndpoint: 'enabled' }, { 'kubernetes/pods.json': [pod('web', 'shop', NODE1)] }));
    expect(findings[0]?.severity).toBe('medium');
  });

  it('passes when an egress policy blocks the address', () => {
    const { findings } = audit(withMetadata({ HttpTokens: 'optional', HttpPutResponseHopLimit: 1 }, { 'kubernetes/pods.json': [pod('web', 'shop', NODE1)], 'kubernetes/policy.json': [denyMetadata] }));
    expect(findings).toEqual([]);
  });

  it('passes host-network pods and blocking settings', () => {
    expect(audit(withMetadata({ HttpTokens: 'optional' }, { 'kubernetes/pods.json': [pod('agent', 'kube-system', NODE1, true)] })).findings).toEqual([]);
    expect(audit(withMetadata({ HttpTokens: 'required', HttpPutResponseHopLimit: 1 }, { 'kubernetes/pods.json': [pod('web', 'shop', NODE1)] })).findings).toEqual([]);
    expect(audit(withMetadata({ HttpTokens: 'optional', HttpEndpoint: 'disabled' }, { 'kubernetes/pods.json': [pod('web', 'shop', NODE1)] })).findings).toEqual([]);
  });

  it('reports every answering node when pods are not exported', () => {
    const { findings } = audit(withMetadata({ HttpTokens: 'optional', HttpPutResponseHopLimit: 2 }));
    expect(findings[0]?.resources.map((resource) => resource.id)).toEqual([IDS.node1, IDS.node2]);
    expect(findings[0]?.evidence.at(-1)?.fact).toContain('no pods');
  });

  it('lists instances without metadata options as not modelled', () => {
    const { findings, runs } = audit(withMetadata(undefined));
    expect(findings).toEqual([]);
    expect(runs[0]?.details).toContain(`instance ${IDS.node1}: MetadataOptions is not in the snapshot`);
  });
});
