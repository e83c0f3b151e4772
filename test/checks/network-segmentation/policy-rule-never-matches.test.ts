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

  const serviceEgress = (service: object) => ({
    apiVersion: 'projectcalico.org/v3',
    kind: 'NetworkPolicy',
    metadata: { name: 'api-egress', namespace: 'shop' },
    spec: { selector: "app == 'api'", types: ['Egress'], egress: [{ action: 'Allow', protocol: 'TCP', destination: { services: service } }] },
  });
  const webService = (selector: Record<string, string>) => ({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'shop' }, spec: { selector, ports: [{ port: 80, protocol: 'TCP', targetPort: 'http' }] } });

  it('leaves rules on Services the snapshot lacks alone', () => {
    // The Service may exist in the cluster, so the rule is listed in the coverage rather than called dead.
    const outcome = run(policyRuleNeverMatches, [...documents, serviceEgress({ name: 'kubernetes', namespace: 'default' })]);
    expect(outcome.findings).toEqual([]);
    expect(outcome.notModelled?.join(' ')).toContain('Service default/kubernetes, which is not in the snapshot');
  });

  it('accepts a services rule whose Service has endpoints', () => {
    const outcome = run(policyRuleNeverMatches, [...documents, webService({ app: 'web' }), serviceEgress({ name: 'web' })]);
    expect(outcome.findings).toEqual([]);
  });

  it('reports a services rule whose Service selects no pod', () => {
    const outcome = run(policyRuleNeverMatches, [...documents, webService({ app: 'gone' }), serviceEgress({ name: 'web' })]);
    expect(outcome.findings.map((finding) => finding.problem)).toEqual([expect.stringContaining('matches no pod of any namespace and no address')]);
  });
});
