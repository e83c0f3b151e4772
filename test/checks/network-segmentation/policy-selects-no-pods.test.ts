import { describe, expect, it } from 'vitest';
import { policySelectsNoPods } from '../../../src/checks/network-segmentation/policy-selects-no-pods.js';
import { calicoPolicy, namespace, networkPolicy, pod, run } from './support.js';

const documents = [namespace('shop'), pod('shop', 'web', { labels: { app: 'web' } })];

describe('policy-selects-no-pods', () => {
  it('reports a selector with a typo', () => {
    const { findings } = run(policySelectsNoPods, [...documents, networkPolicy('shop', 'typo', { podSelector: { matchLabels: { app: 'wbe' } } })]);
    expect(findings.map((finding) => finding.title)).toEqual(['NetworkPolicy shop/typo selects no pods']);
  });

  it('accepts a policy that selects a pod', () => {
    expect(run(policySelectsNoPods, [...documents, networkPolicy('shop', 'ok', { podSelector: { matchLabels: { app: 'web' } } })]).findings).toEqual([]);
  });

  it('checks Calico selectors too', () => {
    const { findings } = run(policySelectsNoPods, [...documents, networkPolicy('shop', 'ok', { podSelector: {} }), calicoPolicy('GlobalNetworkPolicy', 'none', { selector: "role == 'db'" })]);
    expect(findings.map((finding) => finding.title)).toEqual(['Calico GlobalNetworkPolicy none selects no pods']);
  });
});
