import { describe, expect, it } from 'vitest';
import { policyRuleNeverMatches } from '../../../src/checks/network-segmentation/policy-rule-never-matches.js';
import { namespace, networkPolicy, pod, run } from './support.js';

const documents = [namespace('shop', { team: 'shop' }), pod('shop', 'web', { labels: { app: 'web' }, ports: [{ name: 'http', containerPort: 8080 }] }), pod('shop', 'api', { labels: { app: 'api' } })];

describe('policy-rule-never-matches', () => {
  it('reports a peer that matches nothing', () => {
    const policy = networkPolicy('shop', 'p', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'nobody' } } }] }] });
    const { findings } = run(policyRuleNeverMatches, [...documents, policy]);
    expect(findings.map((finding) => finding.problem)).toEqual([expect.stringContaining('matches no pod of any namespace and no address')]);
  });

  it('reports a named port no selected pod declares', () => {
    const policy = networkPolicy('shop', 'p', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ podSelector: {} }], ports: [{ port: 'https' }] }] });
    const { findings } = run(policyRuleNeverMatches, [...documents, policy]);
    expect(findings[0]?.problem).toContain('none of its ports exists');
  });

  it('accepts rules that match', () => {
    const policy = networkPolicy('shop', 'p', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'api' } } }], ports: [{ port: 'http' }] }] });
    expect(run(policyRuleNeverMatches, [...documents, policy]).findings).toEqual([]);
  });

  it('leaves rules on unmodelled Services alone', () => {
    // Calico's `destination.services` matches a Service's endpoints, which the engine does not model: the
    // rule is listed in the coverage as not modelled rather than reported as dead.
    const calico = {
      apiVersion: 'projectcalico.org/v3',
      kind: 'NetworkPolicy',
      metadata: { name: 'api-egress', namespace: 'shop' },
      spec: { selector: "app == 'web'", types: ['Egress'], egress: [{ action: 'Allow', protocol: 'TCP', destination: { services: { name: 'kubernetes', namespace: 'default' } } }] },
    };
    const outcome = run(policyRuleNeverMatches, [...documents, calico]);
    expect(outcome.findings).toEqual([]);
    expect(outcome.notModelled?.join(' ')).toContain('Kubernetes Services');
  });
});
