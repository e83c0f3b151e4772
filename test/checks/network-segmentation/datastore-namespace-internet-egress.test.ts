import { describe, expect, it } from 'vitest';
import { datastoreNamespaceInternetEgress } from '../../../src/checks/network-segmentation/datastore-namespace-internet-egress.js';
import { namespace, networkPolicy, pod, run } from './support.js';

const documents = [namespace('data'), pod('data', 'mongo-0', { labels: { app: 'mongo' }, image: 'mongo:7', ports: [{ containerPort: 27017 }] }), pod('data', 'api', { labels: { app: 'api' } })];

describe('datastore-namespace-internet-egress', () => {
  it('reports unrestricted egress next to a datastore', () => {
    const { findings } = run(datastoreNamespaceInternetEgress, [...documents, networkPolicy('data', 'x', { podSelector: { matchLabels: { app: 'none' } } })]);
    expect(findings.map((finding) => finding.title)).toEqual(['Namespace data runs a datastore and 2 workloads there may reach the internet on every port']);
  });

  it('accepts egress limited to private addresses', () => {
    const policy = networkPolicy('data', 'egress', { podSelector: {}, policyTypes: ['Egress'], egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/8' } }] }] });
    expect(run(datastoreNamespaceInternetEgress, [...documents, policy]).findings).toEqual([]);
  });

  it('ignores namespaces without datastores', () => {
    expect(run(datastoreNamespaceInternetEgress, [namespace('web'), pod('web', 'api'), networkPolicy('web', 'x', { podSelector: {} })]).findings).toEqual([]);
  });

  it('names each open workload with its source', () => {
    const { findings } = run(datastoreNamespaceInternetEgress, [...documents, networkPolicy('data', 'x', { podSelector: { matchLabels: { app: 'none' } } })]);
    expect(findings[0]?.evidence).toEqual([
      { fact: 'Pod data/api may open any port to public addresses.', source: { file: 'snapshot.yaml', document: 2, path: '$' } },
      { fact: 'Pod data/mongo-0 may open any port to public addresses.', source: { file: 'snapshot.yaml', document: 1, path: '$' } },
    ]);
  });

  it('names only the public ranges and counts the rest', () => {
    const datastore = [namespace('data'), pod('data', 'mongo-0', { labels: { app: 'mongo' }, image: 'mongo:7', ports: [{ containerPort: 27017 }] })];
    const { findings } = run(datastoreNamespaceInternetEgress, [...datastore, networkPolicy('data', 'x', { podSelector: { matchLabels: { app: 'none' } } })]);
    // 0.0.0.0/0 minus 0/8, 10/8, 100.64/10, 127/8 and 169.254/16 (then 172.16/12, 192.168/16 and the IPv6 ranges).
    expect(findings[0]?.problem).toBe(
      'Pod mongo-0 in namespace data may open any port to public addresses (1.0.0.0-9.255.255.255, 11.0.0.0-100.63.255.255, 100.128.0.0-126.255.255.255, 128.0.0.0-169.253.255.255, and 7 more ranges), since no egress policy limits it.',
    );
  });

  it('lists workloads with their pod counts', () => {
    const replica = (name: string) => pod('data', name, { labels: { app: 'api' }, owner: { kind: 'ReplicaSet', name: 'api-7d4f9' } });
    const { findings } = run(datastoreNamespaceInternetEgress, [...documents, replica('api-7d4f9-a'), replica('api-7d4f9-b'), networkPolicy('data', 'x', { podSelector: { matchLabels: { app: 'none' } } })]);
    expect(findings[0]?.problem).toMatch(/^Pod api, Pod mongo-0 and ReplicaSet api-7d4f9 \(2 pods\) in namespace data may open any port/);
    expect(findings[0]?.problem).toMatch(/, since no egress policy limits them\.$/);
  });
});
