import { describe, expect, it } from 'vitest';
import { policyPeersOrInsteadOfAnd } from '../../../src/checks/network-segmentation/policy-peers-or-instead-of-and.js';
import { namespace, networkPolicy, run } from './support.js';

describe('policy-peers-or-instead-of-and', () => {
  it('reports separate namespaceSelector {} and podSelector peers', () => {
    const policy = networkPolicy('shop', 'metrics', { podSelector: {}, ingress: [{ from: [{ namespaceSelector: {} }, { podSelector: { matchLabels: { app: 'prometheus' } } }] }] });
    const { findings } = run(policyPeersOrInsteadOfAnd, [namespace('shop'), policy]);
    expect(findings.map((finding) => finding.title)).toEqual(['NetworkPolicy shop/metrics ingress rule 1 admits every namespace, not just pods app=prometheus']);
  });

  it('accepts both selectors in one peer', () => {
    const policy = networkPolicy('shop', 'metrics', { podSelector: {}, ingress: [{ from: [{ namespaceSelector: {}, podSelector: { matchLabels: { app: 'prometheus' } } }] }] });
    expect(run(policyPeersOrInsteadOfAnd, [namespace('shop'), policy]).findings).toEqual([]);
  });

  it('accepts a non-empty namespaceSelector next to a podSelector', () => {
    const policy = networkPolicy('shop', 'p', { podSelector: {}, egress: [{ to: [{ namespaceSelector: { matchLabels: { team: 'ops' } } }, { podSelector: { matchLabels: { app: 'x' } } }] }] });
    expect(run(policyPeersOrInsteadOfAnd, [namespace('shop'), policy]).findings).toEqual([]);
  });
});
