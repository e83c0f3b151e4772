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
});
