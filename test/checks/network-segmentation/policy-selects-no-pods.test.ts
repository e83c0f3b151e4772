import { describe, expect, it } from 'vitest';
import { policySelectsNoPods } from '../../../src/checks/network-segmentation/policy-selects-no-pods.js';
import { calicoProfile } from '../../engines/reach/support.js';
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

  it('sees Calico profile labels', () => {
    // Calico matches a Kubernetes podSelector against the labels the pod's profiles apply too.
    const zone = calicoProfile('kns.shop', { labelsToApply: { zone: 'eu', 'pcns.projectcalico.org/name': 'shop' }, ingress: [{ action: 'Allow' }], egress: [{ action: 'Allow' }] });
    const byZone = networkPolicy('shop', 'zone-eu', { podSelector: { matchLabels: { zone: 'eu' } }, ingress: [{}] });
    const awsNode = pod('kube-system', 'aws-node-7xk2p', { labels: { 'k8s-app': 'aws-node' }, image: '602401143452.dkr.ecr.eu-west-2.amazonaws.com/amazon-k8s-cni:v1.19.2', hostNetwork: true });

    expect(run(policySelectsNoPods, [...documents, zone, byZone]).findings).toEqual([]);
    // With the Amazon VPC CNI enforcing Kubernetes policies, only the pods' own labels count.
    expect(run(policySelectsNoPods, [...documents, awsNode, zone, byZone]).findings.map((finding) => finding.title)).toEqual(['NetworkPolicy shop/zone-eu selects no pods']);
  });

  it('counts pods in singular and plural', () => {
    const typo = networkPolicy('shop', 'typo', { podSelector: { matchLabels: { app: 'wbe' } } });
    const one = run(policySelectsNoPods, [...documents, typo]).findings[0];
    expect(one?.problem).toBe('NetworkPolicy shop/typo selects no pod of the snapshot, which has 1 pod in total and 1 pod in namespace shop.');
    const many = run(policySelectsNoPods, [...documents, namespace('ops'), pod('ops', 'a'), pod('ops', 'b'), typo]).findings[0];
    expect(many?.problem).toBe('NetworkPolicy shop/typo selects no pod of the snapshot, which has 3 pods in total and 1 pod in namespace shop.');
  });
});
