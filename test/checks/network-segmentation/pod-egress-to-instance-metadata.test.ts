import { describe, expect, it } from 'vitest';
import { podEgressToInstanceMetadata } from '../../../src/checks/network-segmentation/pod-egress-to-instance-metadata.js';
import { namespace, networkPolicy, pod, run } from './support.js';

function node(name: string, instanceId: string): object {
  return { apiVersion: 'v1', kind: 'Node', metadata: { name }, spec: { providerID: `aws:///eu-west-2a/${instanceId}` } };
}

function instances(options: object): object {
  return { Reservations: [{ OwnerId: '111122223333', Instances: [{ InstanceId: 'i-0abc', PrivateIpAddress: '10.0.0.5', MetadataOptions: options }] }] };
}

const workload = [namespace('shop'), pod('shop', 'web', { nodeName: 'node-a' }), node('node-a', 'i-0abc')];

describe('pod-egress-to-instance-metadata', () => {
  it('reports pods when the hop limit lets tokens reach them', () => {
    const { findings } = run(podEgressToInstanceMetadata, [...workload, instances({ HttpTokens: 'required', HttpPutResponseHopLimit: 2, HttpEndpoint: 'enabled' })]);
    expect(findings.map((finding) => finding.title)).toEqual(['1 pod in 1 namespace may reach the instance metadata service (HttpTokens required, hop limit 2)']);
    expect(findings[0]?.severity).toBe('high');
  });

  it('accepts IMDSv2 with hop limit 1', () => {
    expect(run(podEgressToInstanceMetadata, [...workload, instances({ HttpTokens: 'required', HttpPutResponseHopLimit: 1, HttpEndpoint: 'enabled' })]).findings).toEqual([]);
  });

  it('accepts an egress policy that excludes the metadata address', () => {
    const policy = networkPolicy('shop', 'egress', { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['169.254.169.254/32'] } }] }] });
    expect(run(podEgressToInstanceMetadata, [...workload, policy, instances({ HttpTokens: 'optional', HttpPutResponseHopLimit: 1 })]).findings).toEqual([]);
  });

  it('reports unknown instance settings as medium', () => {
    const { findings } = run(podEgressToInstanceMetadata, workload);
    expect(findings[0]?.severity).toBe('medium');
    expect(findings[0]?.title).toContain('unknown');
  });
});
