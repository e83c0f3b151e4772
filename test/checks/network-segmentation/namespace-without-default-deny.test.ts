import { describe, expect, it } from 'vitest';
import { namespaceWithoutDefaultDeny } from '../../../src/checks/network-segmentation/namespace-without-default-deny.js';
import { namespace, networkPolicy, pod, run } from './support.js';

const documents = [namespace('shop'), pod('shop', 'web'), pod('shop', 'db', { labels: { app: 'db' } })];

describe('namespace-without-default-deny', () => {
  it('reports both directions without policies', () => {
    const { findings } = run(namespaceWithoutDefaultDeny, [...documents, networkPolicy('shop', 'db-only', { podSelector: { matchLabels: { app: 'db' } } })]);
    expect(findings.map((finding) => finding.title)).toEqual(['Namespace shop has no default deny for ingress or egress']);
  });

  it('accepts podSelector {} without rules', () => {
    const deny = networkPolicy('shop', 'default-deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] });
    expect(run(namespaceWithoutDefaultDeny, [...documents, deny]).findings).toEqual([]);
  });

  it('does not count a policy that allows everything', () => {
    const allowAll = networkPolicy('shop', 'allow-all', { podSelector: {}, policyTypes: ['Ingress', 'Egress'], ingress: [{}], egress: [{}] });
    const { findings } = run(namespaceWithoutDefaultDeny, [...documents, allowAll]);
    expect(findings).toHaveLength(1);
  });

  it('reports egress only when ingress is denied', () => {
    const ingressDeny = networkPolicy('shop', 'default-deny', { podSelector: {} });
    const { findings } = run(namespaceWithoutDefaultDeny, [...documents, ingressDeny]);
    expect(findings.map((finding) => [finding.title, finding.severity])).toEqual([['Namespace shop has no default deny for egress', 'low']]);
  });
});
