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
    expect(findings[0]?.problem).toContain('The snapshot has no pods, so every pod these nodes run is taken to reach the metadata service.');
  });

  it('gives every evidence fact its source', () => {
    const pods = Array.from({ length: 9 }, (_, index) => pod(`web-${index}`, `team-${index}`, NODE1));
    for (const files of [withMetadata({ HttpTokens: 'optional' }, { 'kubernetes/pods.json': [{ apiVersion: 'v1', kind: 'List', items: pods }] }), withMetadata({ HttpTokens: 'optional' })]) {
      const { findings } = audit(files);
      expect(findings).toHaveLength(1);
      for (const item of findings[0]?.evidence ?? []) {
        expect(item.source?.file, item.fact).toMatch(/\.json$/);
        expect(item.source?.path, item.fact).toMatch(/^\$/);
      }
    }
  });

  it('cites the pods that may reach the service', () => {
    const { findings } = audit(withMetadata({ HttpTokens: 'optional' }, { 'kubernetes/pods.json': [{ apiVersion: 'v1', kind: 'List', items: [pod('web', 'shop', NODE1), pod('api', 'shop', NODE1)] }] }));
    const fact = findings[0]?.evidence.find((item) => item.fact.startsWith('Namespace shop'));
    expect(fact?.fact).toBe('Namespace shop: 2 pod(s) have no egress policy that blocks 169.254.169.254/32 on TCP 80 (api, web).');
    expect(fact?.source).toEqual({ file: 'kubernetes/pods.json', path: '$.items[1]' });
  });

  it('says how many namespaces a list leaves out', () => {
    const pods = Array.from({ length: 9 }, (_, index) => pod(`web-${index}`, `team-${index}`, NODE1));
    const { findings } = audit(withMetadata({ HttpTokens: 'optional' }, { 'kubernetes/pods.json': [{ apiVersion: 'v1', kind: 'List', items: pods }] }));
    expect(findings[0]?.problem).toContain('9 pod(s) in 9 namespace(s) (team-0, team-1, team-2, team-3, team-4, team-5 and 3 more)');
  });

  it('says how many nodes and namespaces the evidence leaves out', () => {
    const files = withMetadata({ HttpTokens: 'optional' });
    // Twelve answering nodes, each with one pod in its own namespace.
    const reservations = documentOf<{ Reservations: Array<{ Instances: Array<Record<string, unknown>> }> }>(files, 'aws/ec2-describe-instances.json').Reservations;
    const nodes = documentOf<{ items: Array<Record<string, unknown>> }>(files, 'kubernetes/nodes.json').items;
    const template = reservations[0]?.Instances[0] as Record<string, unknown>;
    const nodeTemplate = nodes[0] as { spec: { providerID: string }; metadata: { name: string } };
    const pods = [];
    for (let index = 3; index <= 12; index++) {
      const id = `i-0f0f0f0f0f0f0f0${index.toString(16).padStart(2, '0')}`;
      const name = `ip-10-20-12-${index}.eu-central-1.compute.internal`;
      reservations.push({ Instances: [{ ...template, InstanceId: id, PrivateIpAddress: `10.20.12.${index}`, PrivateDnsName: name, NetworkInterfaces: [] }] });
      nodes.push({ ...nodeTemplate, metadata: { name }, spec: { providerID: `aws:///eu-central-1a/${id}` } });
      pods.push(pod(`web-${index}`, `team-${index}`, name));
    }
    pods.push(pod('web-1', 'team-01', NODE1), pod('web-2', 'team-02', 'ip-10-20-11-12.eu-central-1.compute.internal'));
    const { findings } = audit({ ...files, 'kubernetes/pods.json': [{ apiVersion: 'v1', kind: 'List', items: pods }] });
    const facts = findings[0]?.evidence.map((item) => item.fact) ?? [];
    expect(findings[0]?.resources).toHaveLength(12);
    expect(facts.filter((fact) => fact.startsWith('Instance '))).toHaveLength(10);
    // Instances are listed by ID, so the two demo nodes (…0f1, …0f2) come last.
    expect(facts).toContain(`2 more instance(s) have the same settings: ${IDS.node1}, ${IDS.node2}.`);
    expect(facts.filter((fact) => fact.startsWith('Namespace '))).toHaveLength(10);
    expect(facts.some((fact) => fact.startsWith('Pods in 2 more namespace(s) have no such policy either'))).toBe(true);
  });

  it('lists instances without metadata options as not modelled', () => {
    const { findings, runs } = audit(withMetadata(undefined));
    expect(findings).toEqual([]);
    expect(runs[0]?.details).toContain(`instance ${IDS.node1}: MetadataOptions is not in the snapshot`);
  });
});
