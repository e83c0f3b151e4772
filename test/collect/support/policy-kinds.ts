import { readFileSync } from 'node:fs';
import path from 'node:path';
import { EXAMPLE } from '../../support/corpora.js';
import { exampleKubeResources } from './example.js';
import type { KubeResourceData } from './kube-server.js';

// Objects of the kinds that the example cluster lacks, as the API servers that own them list them.
// Istio AuthorizationPolicies are custom resources, whose list items carry apiVersion and kind. Calico
// Profiles are generated from the example's Namespaces as the Calico API server generates them. The
// IngressClass is the one that ingress-nginx installs.

/** A request header value in an AuthorizationPolicy, which collection must never write. */
export const API_KEY = 'EXAMPLE-NOT-A-REAL-API-KEY';

/**
 * Returns two AuthorizationPolicies in the form the API server lists them for `version`. A custom
 * resource without a conversion webhook is served in every version with only `apiVersion` changed.
 */
export function istioResource(version: 'v1' | 'v1beta1'): KubeResourceData {
  const apiVersion = `security.istio.io/${version}`;
  const requireKey = {
    action: 'ALLOW',
    selector: { matchLabels: { 'app.kubernetes.io/name': 'hie' } },
    rules: [
      {
        from: [{ source: { namespaces: ['ingress-nginx'] } }],
        to: [{ operation: { ports: ['8080'], methods: ['GET', 'POST'] } }],
        when: [
          { key: 'request.headers[x-api-key]', values: [API_KEY] },
          { key: 'source.namespace', values: ['ingress-nginx'] },
        ],
      },
    ],
  };
  const items = [
    {
      apiVersion,
      kind: 'AuthorizationPolicy',
      metadata: {
        annotations: { 'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({ apiVersion, kind: 'AuthorizationPolicy', metadata: { name: 'require-api-key', namespace: 'hie-prod-34' }, spec: requireKey }) },
        creationTimestamp: '2026-09-02T14:11:37Z',
        generation: 3,
        managedFields: [{ apiVersion, fieldsType: 'FieldsV1', manager: 'kubectl-client-side-apply', operation: 'Update', time: '2026-09-02T14:11:37Z' }],
        name: 'require-api-key',
        namespace: 'hie-prod-34',
        resourceVersion: '45102877',
        uid: '5f0c2b7e-9a41-4d2e-8f6b-1c3d7e9a0b42',
      },
      spec: requireKey,
    },
    {
      apiVersion,
      kind: 'AuthorizationPolicy',
      metadata: { creationTimestamp: '2026-08-14T09:02:11Z', generation: 1, name: 'allow-nothing', namespace: 'spicedb', resourceVersion: '44519302', uid: '0b6e4f1a-7c2d-4e8b-9a3f-5d1c6b2e8f70' },
      spec: {},
    },
  ];
  return { group: 'security.istio.io', version, resource: 'authorizationpolicies', listKind: 'AuthorizationPolicyList', custom: true, items };
}

/**
 * Returns the Profiles that the Calico API server lists on the Kubernetes datastore (libcalico-go's
 * profile client): `projectcalico-default-allow`, and one `kns.<namespace>` per Namespace that allows all
 * traffic and applies the Namespace's labels with the prefix `pcns.`, plus `pcns.projectcalico.org/name`.
 * The example has no ServiceAccounts, so there are no `ksa.` Profiles, and the uid that Calico derives
 * from the Namespace's is left out.
 */
export function calicoProfileResource(): KubeResourceData {
  const cluster = JSON.parse(readFileSync(path.join(EXAMPLE, 'kubernetes/cluster.json'), 'utf8')) as { items: Array<{ kind: string; metadata: { name: string; creationTimestamp: string; resourceVersion: string; labels?: Record<string, string> } }> };
  const allowAll = { ingress: [{ action: 'Allow' }], egress: [{ action: 'Allow' }] };
  const namespaceProfiles = cluster.items
    .filter((item) => item.kind === 'Namespace')
    .map(({ metadata }) => ({
      apiVersion: 'projectcalico.org/v3',
      kind: 'Profile',
      metadata: { creationTimestamp: metadata.creationTimestamp, name: `kns.${metadata.name}`, resourceVersion: `${metadata.resourceVersion}/` },
      spec: {
        ...allowAll,
        labelsToApply: { ...Object.fromEntries(Object.entries(metadata.labels ?? {}).map(([key, value]) => [`pcns.${key}`, value])), 'pcns.projectcalico.org/name': metadata.name },
      },
    }));
  const defaultAllow = { apiVersion: 'projectcalico.org/v3', kind: 'Profile', metadata: { name: 'projectcalico-default-allow', resourceVersion: '0/' }, spec: allowAll };
  return { group: 'projectcalico.org', version: 'v3', resource: 'profiles', listKind: 'ProfileList', items: [defaultAllow, ...namespaceProfiles] };
}

export function ingressClassResource(): KubeResourceData {
  const nginx = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'IngressClass',
    metadata: {
      annotations: { 'ingressclass.kubernetes.io/is-default-class': 'true', 'meta.helm.sh/release-name': 'ingress-nginx', 'meta.helm.sh/release-namespace': 'ingress-nginx' },
      creationTimestamp: '2025-03-12T10:41:06Z',
      generation: 1,
      labels: { 'app.kubernetes.io/component': 'controller', 'app.kubernetes.io/instance': 'ingress-nginx', 'app.kubernetes.io/name': 'ingress-nginx' },
      name: 'nginx',
      resourceVersion: '1886990',
      uid: '3c9d1e7f-2b4a-4f6e-8d0c-7a5b9e1f3d26',
    },
    spec: { controller: 'k8s.io/ingress-nginx' },
  };
  return { group: 'networking.k8s.io', version: 'v1', resource: 'ingressclasses', listKind: 'IngressClassList', items: [nginx] };
}

/** Returns the example cluster's resources with an IngressClass, Calico Profiles and, unless `istio` is false, Istio AuthorizationPolicies. */
export function examplePolicyResources(istio: 'v1' | 'v1beta1' | false = 'v1'): KubeResourceData[] {
  const extra = [ingressClassResource(), calicoProfileResource(), ...(istio ? [istioResource(istio)] : [])];
  const replaced = new Set(extra.map(resourceKey));
  return [...exampleKubeResources().filter((resource) => !replaced.has(resourceKey(resource))), ...extra];
}

function resourceKey(resource: KubeResourceData): string {
  return `${resource.group}/${resource.version}/${resource.resource}`;
}
