import { describe, expect, it } from 'vitest';
import { explainConnection, istioStringMatches, parseCidr, PROTOCOL, ReachModel, type ReachOptions } from '../../../src/engines/reach/index.js';
import { load, namespace, pod, type PodOptions, allowed, endpoint } from './support.js';

// One test per rule of Istio AuthorizationPolicy semantics, as the AuthorizationPolicy reference, the
// security concepts page and the "TCP traffic" task of istio.io state them, each with a case that allows and
// a case that denies.

/** Builds a pod as kubectl prints it after sidecar injection: the app container and an istio-proxy container. */
function meshPod(namespaceName: string, name: string, options: PodOptions = {}): object {
  const object = pod(namespaceName, name, options) as { spec: { containers: object[] } };
  object.spec.containers.push({ name: 'istio-proxy', image: 'docker.io/istio/proxyv2:1.24.0', ports: [{ name: 'http-envoy-prom', containerPort: 15090, protocol: 'TCP' }] });
  return object;
}

function authorizationPolicy(namespaceName: string, name: string, spec: object, apiVersion = 'security.istio.io/v1'): object {
  return { apiVersion, kind: 'AuthorizationPolicy', metadata: { name, namespace: namespaceName }, spec };
}

function service(namespaceName: string, name: string, selector: Record<string, string>, ports: object[]): object {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: namespaceName }, spec: { type: 'ClusterIP', selector, ports } };
}

function model(documents: object[], options: ReachOptions = {}): ReachModel {
  return new ReachModel(load(documents).inventory, options);
}


const base = [
  namespace('shop'),
  namespace('ops'),
  namespace('istio-system'),
  meshPod('shop', 'db', { labels: { app: 'db' }, serviceAccountName: 'db', ports: [{ name: 'pg', containerPort: 5432 }], ip: '10.0.1.10' }),
  meshPod('shop', 'web', { labels: { app: 'web' }, serviceAccountName: 'web', ip: '10.0.1.11' }),
  meshPod('ops', 'tool', { labels: { app: 'tool' }, serviceAccountName: 'tool', ip: '10.0.2.10' }),
  pod('ops', 'plain', { labels: { app: 'plain' }, serviceAccountName: 'plain', ip: '10.0.2.11' }),
];

const fromWebOnly = authorizationPolicy('shop', 'db-from-web', { selector: { matchLabels: { app: 'db' } }, action: 'ALLOW', rules: [{ from: [{ source: { principals: ['cluster.local/ns/shop/sa/web'] } }] }] });

describe('Istio AuthorizationPolicy semantics', () => {
  it('allows every request when no ALLOW policy selects the workload', () => {
    const reach = model([...base, authorizationPolicy('shop', 'web-only', { selector: { matchLabels: { app: 'web' } }, rules: [{}] })]);
    expect(allowed(reach, 'ops/tool', 'shop/db', 5432)).toBe(true);
    expect(reach.istio).toBeDefined();
  });

  it('requires an ALLOW rule match once an ALLOW policy selects the workload', () => {
    const reach = model([...base, fromWebOnly]);
    expect(allowed(reach, 'shop/web', 'shop/db', 5432)).toBe(true);
    expect(allowed(reach, 'ops/tool', 'shop/db', 5432)).toBe(false);
  });

  it('ALLOW without rules denies every TCP request', () => {
    // A policy without rules never matches, so as an ALLOW policy it denies everything.
    const reach = model([...base, authorizationPolicy('shop', 'allow-nothing', {})]);
    expect(allowed(reach, 'shop/web', 'shop/db', 5432)).toBe(false);
    expect(allowed(reach, 'shop/web', 'ops/tool', 80)).toBe(true);
  });

  it('authorizes TCP only', () => {
    // The proxies authorize TCP, so UDP and SCTP pass the layer whatever the policies contain.
    const reach = model([...base, authorizationPolicy('shop', 'allow-nothing', {})]);
    expect(allowed(reach, 'shop/web', 'shop/db', 53, PROTOCOL.UDP)).toBe(true);
    expect(allowed(reach, 'shop/web', 'shop/db', 53, PROTOCOL.TCP)).toBe(false);
  });

  it('DENY wins over a matching ALLOW', () => {
    const deny = authorizationPolicy('shop', 'deny-web', { selector: { matchLabels: { app: 'db' } }, action: 'DENY', rules: [{ from: [{ source: { principals: ['cluster.local/ns/shop/sa/web'] } }], to: [{ operation: { ports: ['5432'] } }] }] });
    const reach = model([...base, fromWebOnly, deny]);
    expect(allowed(reach, 'shop/web', 'shop/db', 5432)).toBe(false);
    expect(allowed(reach, 'shop/web', 'shop/db', 8080)).toBe(true);
  });

  it('DENY without rules never matches', () => {
    const reach = model([...base, authorizationPolicy('shop', 'deny-none', { action: 'DENY' })]);
    expect(allowed(reach, 'ops/tool', 'shop/db', 5432)).toBe(true);
  });

  it('an empty rule matches every request', () => {
    const reach = model([...base, authorizationPolicy('shop', 'deny-all', { action: 'DENY', rules: [{}] })]);
    expect(allowed(reach, 'shop/web', 'shop/db', 5432)).toBe(false);
    expect(allowed(reach, 'shop/db', 'ops/tool', 80)).toBe(true);
  });

  it('selector matches workloads of the policy namespace only', () => {
    const reach = model([...base, meshPod('ops', 'db', { labels: { app: 'db' } }), authorizationPolicy('shop', 'allow-nothing-db', { selector: { matchLabels: { app: 'db' } } })]);
    expect(allowed(reach, 'ops/tool', 'shop/db', 5432)).toBe(false);
    expect(allowed(reach, 'ops/tool', 'ops/db', 5432)).toBe(true);
  });

  it('a policy in the root namespace applies to every namespace', () => {
    const documents = [...base, authorizationPolicy('istio-system', 'mesh-allow-nothing', { selector: { matchLabels: { app: 'db' } } })];
    expect(allowed(model(documents), 'ops/tool', 'shop/db', 5432)).toBe(false);
    // With another root namespace configured, istio-system is an ordinary namespace.
    expect(allowed(model(documents, { istioRootNamespace: 'istio-config' }), 'ops/tool', 'shop/db', 5432)).toBe(true);
  });

  it('is not enforced on pods without an Istio proxy', () => {
    const reach = model([...base, authorizationPolicy('ops', 'allow-nothing', {})]);
    expect(allowed(reach, 'shop/web', 'ops/tool', 80)).toBe(false);
    expect(allowed(reach, 'shop/web', 'ops/plain', 80)).toBe(true);
    expect(reach.notModelled).toContain('AuthorizationPolicy ops/allow-nothing selects pods without an Istio proxy (ops/plain); Istio does not enforce it on them');
  });

  it('principals need a mesh identity', () => {
    // Pods without a proxy and addresses outside the pods have none.
    const reach = model([...base, authorizationPolicy('shop', 'authenticated', { selector: { matchLabels: { app: 'db' } }, rules: [{ from: [{ source: { principals: ['*'] } }] }] })]);
    expect(allowed(reach, 'ops/tool', 'shop/db', 5432)).toBe(true);
    expect(allowed(reach, 'ops/plain', 'shop/db', 5432)).toBe(false);
    expect(allowed(reach, '203.0.113.5/32', 'shop/db', 5432)).toBe(false);
  });

  it('notPrincipals matches sources without an identity', () => {
    // The usual DENY for plain text: deny whatever has no principal.
    const reach = model([...base, authorizationPolicy('shop', 'deny-plaintext', { action: 'DENY', rules: [{ from: [{ source: { notPrincipals: ['*'] } }] }] })]);
    expect(allowed(reach, 'ops/plain', 'shop/db', 5432)).toBe(false);
    expect(allowed(reach, 'ops/tool', 'shop/db', 5432)).toBe(true);
  });

  it('namespaces and notNamespaces come from the peer identity', () => {
    const reach = model([...base, authorizationPolicy('shop', 'from-ops', { selector: { matchLabels: { app: 'db' } }, rules: [{ from: [{ source: { namespaces: ['ops'] } }] }] })]);
    expect(allowed(reach, 'ops/tool', 'shop/db', 5432)).toBe(true);
    expect(allowed(reach, 'shop/web', 'shop/db', 5432)).toBe(false);
    expect(allowed(reach, 'ops/plain', 'shop/db', 5432)).toBe(false);

    const not = model([...base, authorizationPolicy('shop', 'not-ops', { selector: { matchLabels: { app: 'db' } }, rules: [{ from: [{ source: { notNamespaces: ['ops'] } }] }] })]);
    expect(allowed(not, 'shop/web', 'shop/db', 5432)).toBe(true);
    expect(allowed(not, 'ops/tool', 'shop/db', 5432)).toBe(false);
  });

  it('serviceAccounts takes name or namespace/name', () => {
    const reach = model([...base, authorizationPolicy('shop', 'by-account', { selector: { matchLabels: { app: 'db' } }, rules: [{ from: [{ source: { serviceAccounts: ['web', 'ops/tool'] } }] }] })]);
    expect(allowed(reach, 'shop/web', 'shop/db', 5432)).toBe(true);
    expect(allowed(reach, 'ops/tool', 'shop/db', 5432)).toBe(true);

    const other = model([...base, authorizationPolicy('shop', 'by-account', { selector: { matchLabels: { app: 'db' } }, rules: [{ from: [{ source: { serviceAccounts: ['tool'] } }] }] })]);
    // `tool` alone means shop/tool, the policy's namespace.
    expect(allowed(other, 'ops/tool', 'shop/db', 5432)).toBe(false);
  });

  it('fields of one source are ANDed and sources are ORed', () => {
    const and = model([...base, authorizationPolicy('shop', 'and', { selector: { matchLabels: { app: 'db' } }, rules: [{ from: [{ source: { namespaces: ['ops'], principals: ['cluster.local/ns/shop/sa/web'] } }] }] })]);
    expect(allowed(and, 'ops/tool', 'shop/db', 5432)).toBe(false);
    expect(allowed(and, 'shop/web', 'shop/db', 5432)).toBe(false);

    const or = model([...base, authorizationPolicy('shop', 'or', { selector: { matchLabels: { app: 'db' } }, rules: [{ from: [{ source: { namespaces: ['ops'] } }, { source: { principals: ['cluster.local/ns/shop/sa/web'] } }] }] })]);
    expect(allowed(or, 'ops/tool', 'shop/db', 5432)).toBe(true);
    expect(allowed(or, 'shop/web', 'shop/db', 5432)).toBe(true);
  });

  it('ipBlocks and notIpBlocks test the source address', () => {
    const reach = model([...base, authorizationPolicy('shop', 'office', { selector: { matchLabels: { app: 'db' } }, rules: [{ from: [{ source: { ipBlocks: ['203.0.113.0/24', '10.0.2.11'], notIpBlocks: ['203.0.113.128/25'] } }] }] })]);
    expect(allowed(reach, '203.0.113.5/32', 'shop/db', 5432)).toBe(true);
    expect(allowed(reach, '203.0.113.200/32', 'shop/db', 5432)).toBe(false);
    expect(allowed(reach, '198.51.100.1/32', 'shop/db', 5432)).toBe(false);
    // A single address is a /32; pods match by their own address.
    expect(allowed(reach, 'ops/plain', 'shop/db', 5432)).toBe(true);
    expect(allowed(reach, 'ops/tool', 'shop/db', 5432)).toBe(false);
    // The ranges split the address space outside the pods.
    expect(reach.externalPieces('ingress').some((piece) => piece.from === parseCidr('203.0.113.128/25').from)).toBe(true);
  });

  it('to.operation ports and notPorts limit the ports', () => {
    const reach = model([...base, authorizationPolicy('shop', 'pg', { selector: { matchLabels: { app: 'db' } }, rules: [{ to: [{ operation: { ports: ['5432', '9187'], notPorts: ['9187'] } }] }] })]);
    expect(allowed(reach, 'ops/tool', 'shop/db', 5432)).toBe(true);
    expect(allowed(reach, 'ops/tool', 'shop/db', 9187)).toBe(false);
  });

  it('string values match exactly, by prefix, by suffix and by presence', () => {
    expect(istioStringMatches('cluster.local/ns/shop/*', 'cluster.local/ns/shop/sa/web')).toBe(true);
    expect(istioStringMatches('*/sa/web', 'cluster.local/ns/shop/sa/web')).toBe(true);
    expect(istioStringMatches('*', 'x')).toBe(true);
    expect(istioStringMatches('*', '')).toBe(false);
    expect(istioStringMatches('shop', 'shopping')).toBe(false);
    expect(istioStringMatches('*/sa/db', 'cluster.local/ns/shop/sa/web')).toBe(false);
  });

  describe('HTTP-only fields', () => {
    const getOnly = authorizationPolicy('shop', 'get-only', { selector: { matchLabels: { app: 'db' } }, rules: [{ to: [{ operation: { methods: ['GET'] } }] }] });
    const denyPost = authorizationPolicy('shop', 'deny-post', { selector: { matchLabels: { app: 'db' } }, action: 'DENY', rules: [{ to: [{ operation: { methods: ['POST'], ports: ['5432'] } }] }] });
    const tcpService = service('shop', 'db', { app: 'db' }, [{ name: 'tcp-postgres', port: 5432, targetPort: 'pg', protocol: 'TCP' }]);
    const httpService = service('shop', 'db', { app: 'db' }, [{ name: 'http', port: 5432, targetPort: 'pg', protocol: 'TCP' }]);

    it('ALLOW with HTTP fields allows on HTTP ports', () => {
      const reach = model([...base, httpService, getOnly]);
      expect(allowed(reach, 'ops/tool', 'shop/db', 5432)).toBe(true);
      const verdict = explainConnection(reach, endpoint(reach, 'ops/tool'), endpoint(reach, 'shop/db'), PROTOCOL.TCP, 5432);
      expect(verdict.notModelled.some((text) => text.includes('allows only the requests that meet conditions the engine cannot evaluate'))).toBe(true);
      expect(reach.notModelled).toContain('AuthorizationPolicy shop/get-only rule 1 has HTTP conditions (methods), which decide per request; the engine evaluates connections');
    });

    it('a port without a declared protocol may carry HTTP', () => {
      // Istio detects the protocol of undeclared ports, so an HTTP client meets the HTTP rules there.
      expect(allowed(model([...base, getOnly]), 'ops/tool', 'shop/db', 5432)).toBe(true);
    });

    it('an ALLOW rule with HTTP fields never matches on a plain TCP port', () => {
      // The "TCP traffic" task: the rule becomes invalid for TCP traffic and Istio ignores it.
      expect(allowed(model([...base, tcpService, getOnly]), 'ops/tool', 'shop/db', 5432)).toBe(false);
    });

    it('a DENY rule ignores HTTP fields on a plain TCP port', () => {
      // On TCP traffic a DENY rule counts the attributes it cannot read as matching.
      expect(allowed(model([...base, tcpService, denyPost]), 'ops/tool', 'shop/db', 5432)).toBe(false);
    });

    it('DENY with HTTP fields allows on HTTP ports', () => {
      const reach = model([...base, httpService, denyPost]);
      expect(allowed(reach, 'ops/tool', 'shop/db', 5432)).toBe(true);
      const verdict = explainConnection(reach, endpoint(reach, 'ops/tool'), endpoint(reach, 'shop/db'), PROTOCOL.TCP, 5432);
      expect(verdict.notModelled.some((text) => text.includes('(DENY) rule 1') && text.includes('the connection is counted as allowed'))).toBe(true);
    });

    it('request conditions in when are HTTP-only, and their values are not kept', () => {
      const headers = authorizationPolicy('shop', 'api-key', { selector: { matchLabels: { app: 'db' } }, rules: [{ when: [{ key: 'request.headers[x-api-key]', values: ['secret-value-123'] }] }] });
      const result = load([...base, tcpService, headers]);
      expect(JSON.stringify(result.inventory.data.authorizationPolicies)).not.toContain('secret-value-123');
      expect(allowed(new ReachModel(result.inventory), 'ops/tool', 'shop/db', 5432)).toBe(false);
    });
  });

  it('when conditions on the destination port and the source namespace', () => {
    const reach = model([...base, authorizationPolicy('shop', 'when', { selector: { matchLabels: { app: 'db' } }, rules: [{ when: [{ key: 'destination.port', values: ['5432'] }, { key: 'source.namespace', notValues: ['shop'] }] }] })]);
    expect(allowed(reach, 'ops/tool', 'shop/db', 5432)).toBe(true);
    expect(allowed(reach, 'ops/tool', 'shop/db', 8080)).toBe(false);
    expect(allowed(reach, 'shop/web', 'shop/db', 5432)).toBe(false);
  });

  it('drops a rule with an unknown when key, as Istio does', () => {
    const reach = model([...base, authorizationPolicy('shop', 'typo', { selector: { matchLabels: { app: 'db' } }, rules: [{ when: [{ key: 'source.namespaces', values: ['ops'] }] }] })]);
    expect(allowed(reach, 'ops/tool', 'shop/db', 5432)).toBe(false);
    expect(reach.notModelled.some((text) => text.startsWith('AuthorizationPolicy shop/typo rule 1 has a when condition on source.namespaces, which is not an Istio attribute'))).toBe(true);
  });

  it('reports CUSTOM and does not deny on its behalf', () => {
    const reach = model([...base, authorizationPolicy('shop', 'ext-authz', { selector: { matchLabels: { app: 'db' } }, action: 'CUSTOM', provider: { name: 'opa' }, rules: [{}] })]);
    expect(allowed(reach, 'ops/tool', 'shop/db', 5432)).toBe(true);
    const verdict = explainConnection(reach, endpoint(reach, 'ops/tool'), endpoint(reach, 'shop/db'), PROTOCOL.TCP, 5432);
    expect(verdict.notModelled).toContain('AuthorizationPolicy shop/ext-authz rule 1 sends the request to the external authorizer opa, whose decision is not modelled');
  });

  it('leaves out policies attached by targetRef and AUDIT policies', () => {
    const reach = model([
      ...base,
      authorizationPolicy('shop', 'waypoint', { targetRefs: [{ kind: 'Gateway', group: 'gateway.networking.k8s.io', name: 'waypoint' }], rules: [{ from: [{ source: { namespaces: ['nowhere'] } }] }] }),
      authorizationPolicy('shop', 'audit', { action: 'AUDIT', rules: [{}] }),
    ]);
    expect(allowed(reach, 'ops/tool', 'shop/db', 5432)).toBe(true);
    expect(reach.notModelled).toContain('AuthorizationPolicy shop/waypoint is attached to a gateway, waypoint or Service by targetRef, which the engine does not model; it is not evaluated');
  });

  it('meshes synthesised pods with injection', () => {
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'api', namespace: 'injected' },
      spec: { selector: { matchLabels: { app: 'api' } }, template: { metadata: { labels: { app: 'api' } }, spec: { containers: [{ name: 'api', image: 'registry.example/api:1' }] } } },
    };
    const documents = [namespace('injected', { 'istio-injection': 'enabled' }), namespace('ops'), pod('ops', 'tool'), deployment, authorizationPolicy('injected', 'allow-nothing', {})];
    expect(allowed(model(documents), 'ops/tool', 'injected/api', 8080)).toBe(false);
    const optedOut = [...documents.slice(0, 3), { ...deployment, spec: { ...deployment.spec, template: { ...deployment.spec.template, metadata: { labels: { app: 'api', 'sidecar.istio.io/inject': 'false' } } } } }, documents[4] as object];
    expect(allowed(model(optedOut), 'ops/tool', 'injected/api', 8080)).toBe(true);
    const annotated = [...documents.slice(0, 3), { ...deployment, spec: { ...deployment.spec, template: { ...deployment.spec.template, metadata: { labels: { app: 'api' }, annotations: { 'sidecar.istio.io/inject': 'false' } } } } }, documents[4] as object];
    expect(allowed(model(annotated), 'ops/tool', 'injected/api', 8080)).toBe(true);
  });

  it('names the deciding policy and rule in the verdict', () => {
    const reach = model([...base, fromWebOnly]);
    const denied = explainConnection(reach, endpoint(reach, 'ops/tool'), endpoint(reach, 'shop/db'), PROTOCOL.TCP, 5432);
    expect(denied.allowed).toBe(false);
    expect(denied.layers).toEqual([expect.objectContaining({ layer: 'istio', allowed: false, decidedBy: 'no-match', selecting: [expect.objectContaining({ kind: 'AuthorizationPolicy', namespace: 'shop', name: 'db-from-web' })] })]);
    expect(denied.explanation).toContain('Istio: denied: ALLOW policies select the destination (AuthorizationPolicy shop/db-from-web)');

    const granted = explainConnection(reach, endpoint(reach, 'shop/web'), endpoint(reach, 'shop/db'), PROTOCOL.TCP, 5432);
    expect(granted.allowed).toBe(true);
    expect(granted.layers[0]).toMatchObject({ decidedBy: 'rule', rule: 1, object: { kind: 'AuthorizationPolicy', name: 'db-from-web', source: { file: 'snapshot.yaml' } } });
  });

  it('loads v1 and v1beta1 as one object', () => {
    const result = load([fromWebOnly, { ...(fromWebOnly as Record<string, unknown>), apiVersion: 'security.istio.io/v1beta1' }]);
    expect(result.inventory.data.authorizationPolicies).toHaveLength(1);
    expect(result.inventory.has('AuthorizationPolicy')).toBe(true);
  });
});
