import { describe, expect, it } from 'vitest';
import { policyPeerAdmitsAll } from '../../../src/checks/network-segmentation/policy-peer-admits-all.js';
import { calicoPolicy, namespace, networkPolicy, run } from './support.js';

describe('policy-peer-admits-all', () => {
  it('reports namespaceSelector {} and 0.0.0.0/0 peers', () => {
    const policy = networkPolicy('shop', 'wide', { podSelector: {}, ingress: [{ from: [{ namespaceSelector: {} }] }, { from: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8'] } }], ports: [{ port: 443 }] }] });
    const titles = run(policyPeerAdmitsAll, [namespace('shop'), policy]).findings.map((finding) => finding.title);
    expect(titles).toEqual(['NetworkPolicy shop/wide ingress rule 1 admits every namespace on every port', 'NetworkPolicy shop/wide ingress rule 2 admits every address on TCP 443']);
  });

  it('accepts selectors that name peers', () => {
    const policy = networkPolicy('shop', 'narrow', { podSelector: {}, ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'shop' } } }, { ipBlock: { cidr: '10.0.0.0/8' } }] }] });
    expect(run(policyPeerAdmitsAll, [namespace('shop'), policy]).findings).toEqual([]);
  });

  it('ignores rules of a type the policy does not list', () => {
    const policy = networkPolicy('shop', 'p', { podSelector: {}, policyTypes: ['Ingress'], ingress: [{ from: [{ podSelector: {} }] }], egress: [{}] });
    expect(run(policyPeerAdmitsAll, [namespace('shop'), policy]).findings).toEqual([]);
  });

  it('reports Calico nets 0.0.0.0/0 only without a selector', () => {
    // The fields of a Calico entity rule apply together: nets next to a selector match only the selected
    // endpoints in those nets.
    const policy = calicoPolicy('NetworkPolicy', 'p', { selector: 'all()', ingress: [{ action: 'Allow', source: { nets: ['0.0.0.0/0'] } }, { action: 'Allow', source: { nets: ['0.0.0.0/0'], selector: "app == 'api'" } }] }, 'shop');
    expect(run(policyPeerAdmitsAll, [namespace('shop'), policy]).findings.map((finding) => finding.title)).toEqual(['Calico NetworkPolicy shop/p ingress rule 1 allows every address']);
  });

  it('ignores Calico rules of a type the policy does not list', () => {
    // types [Ingress] makes the egress rules inert. Without types, egress rules alone make the policy Egress.
    const ingressOnly = calicoPolicy('GlobalNetworkPolicy', 'in', { selector: 'all()', types: ['Ingress'], ingress: [{ action: 'Deny' }], egress: [{ action: 'Allow' }] });
    const egressOnly = calicoPolicy('GlobalNetworkPolicy', 'out', { selector: 'all()', egress: [{ action: 'Allow' }] });
    expect(run(policyPeerAdmitsAll, [ingressOnly, egressOnly]).findings.map((finding) => finding.title)).toEqual(['Calico GlobalNetworkPolicy out egress rule 1 allows every pod and every address']);
  });

  it('reports Calico allow rules without peers, not deny rules', () => {
    const policy = calicoPolicy('GlobalNetworkPolicy', 'g', { selector: 'all()', ingress: [{ action: 'Allow', protocol: 'TCP' }, { action: 'Deny' }] });
    expect(run(policyPeerAdmitsAll, [policy]).findings.map((finding) => finding.title)).toEqual(['Calico GlobalNetworkPolicy g ingress rule 1 allows every pod and every address']);
  });

  it('names the ports of an open Calico rule', () => {
    const policy = calicoPolicy('GlobalNetworkPolicy', 'debug', { selector: 'all()', ingress: [{ action: 'Allow', protocol: 'TCP', destination: { ports: [9999] } }, { action: 'Allow' }] });
    const problems = run(policyPeerAdmitsAll, [policy]).findings.map((finding) => finding.problem);

    expect(problems).toEqual([
      'Allow rule 1 (ingress) of Calico GlobalNetworkPolicy debug matches every pod and every address on TCP port 9999.',
      'Allow rule 2 (ingress) of Calico GlobalNetworkPolicy debug matches every pod and every address on every protocol and port.',
    ]);
  });

  // Calico rejects destination services in an ingress rule; such a rule matches nothing, so it admits nobody.
  it('ignores a rule with services on its own endpoint', () => {
    const policy = calicoPolicy('NetworkPolicy', 'http-only', { selector: 'all()', ingress: [{ action: 'Allow', destination: { services: { name: 'web', namespace: 'shop' } } }] }, 'shop');

    expect(run(policyPeerAdmitsAll, [namespace('shop'), policy]).findings).toEqual([]);
  });
});
