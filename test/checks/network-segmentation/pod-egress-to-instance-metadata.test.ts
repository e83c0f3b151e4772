import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { nodeImdsReachableFromPods } from '../../../src/checks/network-exposure/node-imds-reachable-from-pods.js';
import { podEgressToInstanceMetadata } from '../../../src/checks/network-segmentation/pod-egress-to-instance-metadata.js';
import { DEFAULT_CONFIG } from '../../../src/config/config.js';
import { loadSnapshotFolder } from '../../../src/inventory/load.js';
import { EXAMPLE } from '../../support/corpora.js';
import { namespace, networkPolicy, pod, run } from './support.js';

function node(name: string, instanceId?: string): object {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name }, spec: instanceId ? { providerID: `aws:///eu-west-2a/${instanceId}` } : {} };
}

/** `aws ec2 describe-instances --output json` with one instance per entry. */
function instances(...entries: Array<{ id: string; ip: string; options?: object }>): object {
  return {
    Reservations: entries.map((entry) => ({
      OwnerId: '111122223333',
      Instances: [{ InstanceId: entry.id, PrivateIpAddress: entry.ip, ...(entry.options ? { MetadataOptions: entry.options } : {}) }],
    })),
  };
}

const HOP_LIMIT_2 = { HttpTokens: 'required', HttpPutResponseHopLimit: 2, HttpEndpoint: 'enabled' };
const workload = [namespace('shop'), pod('shop', 'web', { nodeName: 'node-a' }), node('node-a', 'i-0abc')];
// Without any policy kind in the snapshot, every finding states why no policy restricts the pods.
const NO_POLICY = { fact: 'The snapshot contains no NetworkPolicy, CalicoNetworkPolicy or CalicoGlobalNetworkPolicy, so no policy restricts any pod; if the cluster has policies, add them to the snapshot.' };

describe('pod-egress-to-instance-metadata', () => {
  it('reports pods when the hop limit lets tokens reach them', () => {
    const { findings } = run(podEgressToInstanceMetadata, [...workload, instances({ id: 'i-0abc', ip: '10.0.0.5', options: HOP_LIMIT_2 })]);
    expect(findings.map((finding) => finding.title)).toEqual(['1 pod in 1 namespace may reach the instance metadata service (HttpTokens required, hop limit 2)']);
    expect(findings[0]?.severity).toBe('high');
    expect(findings[0]?.problem).toBe('No egress policy stops 1 pod in namespace shop from sending TCP 80 to 169.254.169.254, and their nodes answer pods there (HttpTokens required, hop limit 2).');
  });

  it('accepts IMDSv2 with hop limit 1', () => {
    const documents = [...workload, instances({ id: 'i-0abc', ip: '10.0.0.5', options: { HttpTokens: 'required', HttpPutResponseHopLimit: 1, HttpEndpoint: 'enabled' } })];
    expect(run(podEgressToInstanceMetadata, documents).findings).toEqual([]);
  });

  it('accepts an egress policy that excludes the metadata address', () => {
    const policy = networkPolicy('shop', 'egress', { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['169.254.169.254/32'] } }] }] });
    expect(run(podEgressToInstanceMetadata, [...workload, policy, instances({ id: 'i-0abc', ip: '10.0.0.5', options: { HttpTokens: 'optional', HttpPutResponseHopLimit: 1 } })]).findings).toEqual([]);
  });

  it('reports unknown instance settings as medium', () => {
    const { findings } = run(podEgressToInstanceMetadata, workload);
    expect(findings[0]?.severity).toBe('medium');
    expect(findings[0]?.title).toContain('unknown');
  });

  it('lists six namespaces and counts the rest', () => {
    const names = ['ns-a', 'ns-b', 'ns-c', 'ns-d', 'ns-e', 'ns-f', 'ns-g', 'ns-h'];
    const documents = [...names.flatMap((name) => [namespace(name), pod(name, 'web', { nodeName: 'node-a' })]), node('node-a', 'i-0abc'), instances({ id: 'i-0abc', ip: '10.0.0.5', options: HOP_LIMIT_2 })];
    const { findings } = run(podEgressToInstanceMetadata, documents);
    expect(findings[0]?.title).toBe('8 pods in 8 namespaces may reach the instance metadata service (HttpTokens required, hop limit 2)');
    expect(findings[0]?.problem).toBe(
      'No egress policy stops 8 pods in 8 namespaces (ns-a: 1, ns-b: 1, ns-c: 1, ns-d: 1, ns-e: 1, ns-f: 1, and 2 more namespaces) from sending TCP 80 to 169.254.169.254, and their nodes answer pods there (HttpTokens required, hop limit 2).',
    );
  });

  it('lists every namespace up to six', () => {
    const documents = [...workload, namespace('ops'), pod('ops', 'a', { nodeName: 'node-a' }), pod('ops', 'b', { nodeName: 'node-a' }), instances({ id: 'i-0abc', ip: '10.0.0.5', options: HOP_LIMIT_2 })];
    const { findings } = run(podEgressToInstanceMetadata, documents);
    expect(findings[0]?.problem).toContain('stops 3 pods in 2 namespaces (ops: 2, shop: 1) from sending');
  });

  it('sources the instance settings it read', () => {
    const documents = [...workload, pod('shop', 'api', { nodeName: 'node-b' }), node('node-b', 'i-0def'), instances({ id: 'i-0def', ip: '10.0.0.6', options: { HttpTokens: 'optional', HttpEndpoint: 'enabled' } }, { id: 'i-0abc', ip: '10.0.0.5', options: { HttpTokens: 'optional', HttpPutResponseHopLimit: 2, HttpEndpoint: 'enabled' } })];
    const { findings } = run(podEgressToInstanceMetadata, documents);
    // HttpPutResponseHopLimit absent and 2 both leave IMDSv1 open, but they are different settings, so two findings.
    expect(findings.map((finding) => finding.evidence)).toEqual([
      [{ fact: 'Instance i-0def (node node-b) has HttpTokens optional, HttpPutResponseHopLimit unset (taken as 1) and HttpEndpoint enabled.', source: { file: 'snapshot.yaml', document: 5, path: '$.Reservations[0].Instances[0].MetadataOptions' } }, NO_POLICY],
      [{ fact: 'Instance i-0abc (node node-a) has HttpTokens optional, HttpPutResponseHopLimit 2 and HttpEndpoint enabled.', source: { file: 'snapshot.yaml', document: 5, path: '$.Reservations[1].Instances[0].MetadataOptions' } }, NO_POLICY],
    ]);
  });

  it('sources each reason the settings are unknown', () => {
    const documents = [
      namespace('shop'),
      pod('shop', 'pending'),
      pod('shop', 'lost', { nodeName: 'node-x' }),
      pod('shop', 'web', { nodeName: 'node-a' }),
      node('node-a', 'i-0abc'),
      pod('shop', 'api', { nodeName: 'node-b' }),
      node('node-b', 'i-0def'),
      instances({ id: 'i-0def', ip: '10.0.0.6' }),
    ];
    const { findings } = run(podEgressToInstanceMetadata, documents);
    expect(findings).toHaveLength(1);
    expect(findings[0]?.evidence).toEqual([
      { fact: 'Instance i-0def (node node-b) has no MetadataOptions in the snapshot.', source: { file: 'snapshot.yaml', document: 7, path: '$.Reservations[0].Instances[0]' } },
      { fact: 'Node node-a matches no instance in the snapshot (providerID aws:///eu-west-2a/i-0abc).', source: { file: 'snapshot.yaml', document: 4, path: '$.spec.providerID' } },
      { fact: 'Node node-x of pod shop/lost is not in the snapshot.', source: { file: 'snapshot.yaml', document: 2, path: '$.spec.nodeName' } },
      { fact: 'Pod shop/pending is not scheduled to a node (spec.nodeName is unset).', source: { file: 'snapshot.yaml', document: 1, path: '$' } },
      NO_POLICY,
    ]);
  });

  it('names the node-side check instead of the instance fix', () => {
    const documents = [...workload, instances({ id: 'i-0abc', ip: '10.0.0.5', options: HOP_LIMIT_2 })];
    const nodeSide = run(nodeImdsReachableFromPods, documents).findings;
    expect(nodeSide).toHaveLength(1);
    const [finding] = run(podEgressToInstanceMetadata, documents).findings;
    expect(finding?.recommendation).toBe(
      'Add an egress policy that keeps these pods from 169.254.169.254/32, for example an ipBlock 0.0.0.0/0 with except 169.254.169.254/32. The node instances that answer them are the same problem seen from the node side: check node-imds-reachable-from-pods reports them with the instance fix.',
    );
  });

  it('asks for the instances when their settings are unknown', () => {
    const [finding] = run(podEgressToInstanceMetadata, workload).findings;
    expect(finding?.recommendation).toBe(
      'Add an egress policy that keeps these pods from 169.254.169.254/32, for example an ipBlock 0.0.0.0/0 with except 169.254.169.254/32. Add the Nodes and their EC2 instances to the snapshot so that check node-imds-reachable-from-pods can evaluate the instance metadata settings.',
    );
  });
});

describe.skipIf(!existsSync(EXAMPLE))('pod-egress-to-instance-metadata on the example cluster', () => {
  it('points to the node-side finding and sources its evidence', async () => {
    const { inventory } = await loadSnapshotFolder(EXAMPLE);
    const nodeSide = nodeImdsReachableFromPods.run({ inventory, config: DEFAULT_CONFIG }).findings;
    const podSide = podEgressToInstanceMetadata.run({ inventory, config: DEFAULT_CONFIG }).findings;
    expect(nodeSide.length).toBeGreaterThan(0);
    expect(podSide.length).toBeGreaterThan(0);
    for (const finding of podSide) {
      expect(finding.recommendation).toContain('check node-imds-reachable-from-pods');
      expect(finding.recommendation).not.toContain('hop limit of 1');
      expect(finding.evidence.length).toBeGreaterThan(0);
      for (const item of finding.evidence) {
        expect(item.source?.file, item.fact).toMatch(/\.json$/);
        expect(item.source?.path, item.fact).toMatch(/^\$/);
      }
    }
  });
});
