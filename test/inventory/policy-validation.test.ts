import { describe, expect, it } from 'vitest';
import { loadDocuments } from '../../src/inventory/load.js';

// The API server rejects these policies, so a snapshot that has one is invalid input: the object is skipped
// with a problem naming its file and JSON path, never evaluated as a policy that matches nothing.

function networkPolicy(spec: object): object {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'p', namespace: 'shop' }, spec };
}

function calicoPolicy(spec: object): object {
  return { apiVersion: 'projectcalico.org/v3', kind: 'NetworkPolicy', metadata: { name: 'default.p', namespace: 'shop' }, spec: { selector: 'all()', ...spec } };
}

function problemsOf(document: object): Array<{ path?: string; message: string }> {
  const result = loadDocuments({ 'policies.yaml': [document] });
  return result.problems.filter((problem) => problem.level === 'error').map((problem) => ({ ...(problem.path ? { path: problem.path } : {}), message: problem.message }));
}

function loadedPolicies(document: object): number {
  const data = loadDocuments({ 'policies.yaml': [document] }).inventory.data;
  return data.networkPolicies.length + data.calicoPolicies.length;
}

describe('NetworkPolicy validation', () => {
  // Kubernetes ValidateNetworkPolicyPort: a numeric port is 1-65535, endPort is in range and not below port.
  it('rejects a port out of range', () => {
    const policy = networkPolicy({ podSelector: {}, ingress: [{ ports: [{ port: 70000 }] }] });
    expect(problemsOf(policy)).toEqual([{ path: '$.spec.ingress[0].ports[0].port', message: 'port 70000 is out of range 1-65535 (in a Kubernetes NetworkPolicy; the object is skipped)' }]);
    expect(loadedPolicies(policy)).toBe(0);
    expect(problemsOf(networkPolicy({ podSelector: {}, egress: [{ ports: [{ port: 0 }] }] }))[0]?.path).toBe('$.spec.egress[0].ports[0].port');
  });

  it('rejects an endPort out of range or below port', () => {
    expect(problemsOf(networkPolicy({ podSelector: {}, ingress: [{ ports: [{ port: 8000, endPort: 65536 }] }] }))[0]?.message).toContain('endPort 65536 is out of range 1-65535');
    expect(problemsOf(networkPolicy({ podSelector: {}, ingress: [{ ports: [{ port: 8000, endPort: 7999 }] }] }))[0]?.message).toContain('endPort 7999 is less than port 8000');
  });

  it('accepts ports at the limits and named ports', () => {
    const policy = networkPolicy({ podSelector: {}, ingress: [{ ports: [{ port: 1 }, { port: 65535 }, { port: 8000, endPort: 8000 }, { port: 'pg' }] }] });
    expect(problemsOf(policy)).toEqual([]);
    expect(loadedPolicies(policy)).toBe(1);
  });

  // Kubernetes ValidateLabelSelectorRequirement: the operators are In, NotIn, Exists and DoesNotExist; In and
  // NotIn need values, Exists and DoesNotExist take none.
  it('rejects an unknown selector operator', () => {
    const policy = networkPolicy({ podSelector: { matchExpressions: [{ key: 'app', operator: 'Equals', values: ['db'] }] } });
    expect(problemsOf(policy)).toEqual([
      { path: '$.spec.podSelector.matchExpressions[0].operator', message: 'operator "Equals" is not a label selector operator: expected In, NotIn, Exists or DoesNotExist (in a Kubernetes NetworkPolicy; the object is skipped)' },
    ]);
    const peer = networkPolicy({ podSelector: {}, ingress: [{ from: [{ namespaceSelector: { matchExpressions: [{ key: 'team', operator: 'in', values: ['a'] }] } }] }] });
    expect(problemsOf(peer)[0]?.path).toBe('$.spec.ingress[0].from[0].namespaceSelector.matchExpressions[0].operator');
  });

  it('rejects values that do not fit the operator', () => {
    expect(problemsOf(networkPolicy({ podSelector: { matchExpressions: [{ key: 'app', operator: 'In', values: [] }] } }))[0]?.message).toContain('operator In needs at least one value');
    expect(problemsOf(networkPolicy({ podSelector: { matchExpressions: [{ key: 'app', operator: 'Exists', values: ['x'] }] } }))[0]?.message).toContain('operator Exists takes no values');
  });

  it('accepts every valid operator', () => {
    const selector = { matchExpressions: [{ key: 'a', operator: 'In', values: ['x'] }, { key: 'b', operator: 'NotIn', values: ['y'] }, { key: 'c', operator: 'Exists' }, { key: 'd', operator: 'DoesNotExist' }] };
    expect(problemsOf(networkPolicy({ podSelector: selector }))).toEqual([]);
  });
});

describe('Calico policy port validation', () => {
  // libcalico-go numorstring.Port: numbers are 16-bit, a range MIN:MAX needs MIN <= MAX, a name matches
  // [a-zA-Z0-9_.-]{1,128}.
  it('rejects a port out of range', () => {
    const policy = calicoPolicy({ ingress: [{ action: 'Allow', protocol: 'TCP', destination: { ports: [70000] } }] });
    expect(problemsOf(policy)).toEqual([{ path: '$.spec.ingress[0].destination.ports[0]', message: 'port 70000 is out of range 0-65535 (in a Calico NetworkPolicy; the object is skipped)' }]);
    expect(loadedPolicies(policy)).toBe(0);
  });

  it('rejects a reversed or oversized range and a bad name', () => {
    expect(problemsOf(calicoPolicy({ egress: [{ action: 'Allow', protocol: 'TCP', destination: { notPorts: ['9000:8000'] } }] }))[0]?.message).toContain('port range 9000:8000 starts above its end');
    expect(problemsOf(calicoPolicy({ egress: [{ action: 'Allow', protocol: 'TCP', source: { ports: ['1:70000'] } }] }))[0]?.message).toContain('port range 1:70000 is out of range 0-65535');
    expect(problemsOf(calicoPolicy({ ingress: [{ action: 'Allow', protocol: 'TCP', destination: { ports: ['http port'] } }] }))[0]?.message).toContain('is neither a number, a range MIN:MAX nor a port name');
  });

  it('accepts numbers, ranges and names', () => {
    const policy = calicoPolicy({ ingress: [{ action: 'Allow', protocol: 'TCP', source: { ports: ['1024:65535'] }, destination: { ports: [0, 65535, '8000:8010', 'http-metrics'] } }] });
    expect(problemsOf(policy)).toEqual([]);
    expect(loadedPolicies(policy)).toBe(1);
  });
});
