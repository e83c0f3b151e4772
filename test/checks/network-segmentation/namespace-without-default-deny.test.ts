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

  it('words a namespace with one pod', () => {
    const { findings } = run(namespaceWithoutDefaultDeny, [namespace('solo'), pod('solo', 'web'), networkPolicy('solo', 'other', { podSelector: { matchLabels: { app: 'none' } } })]);
    expect(findings[0]?.problem).toBe(
      'No policy selects the only pod of namespace solo for ingress and egress without allowing every peer, so traffic into and traffic out of it is allowed unless a rule says otherwise.',
    );
    expect(findings[0]?.evidence.map((item) => item.fact)).toEqual(['Namespace solo runs 1 pod and no policy isolates it for ingress and egress.']);
  });

  it('words a namespace with several pods', () => {
    const { findings } = run(namespaceWithoutDefaultDeny, [...documents, networkPolicy('shop', 'other', { podSelector: { matchLabels: { app: 'none' } } })]);
    expect(findings[0]?.problem).toBe(
      'No policy selects all 2 pods of namespace shop for ingress and egress without allowing every peer, so traffic into and traffic out of its pods is allowed unless a rule says otherwise.',
    );
    expect(findings[0]?.evidence.map((item) => item.fact)).toEqual(['Namespace shop runs 2 pods and no policy isolates all of them for ingress and egress.']);
  });
});
