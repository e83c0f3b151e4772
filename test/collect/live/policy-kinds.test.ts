import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { uncollectedLines, writeLiveSnapshot } from '../../../src/collect/live/index.js';
import { loadDocuments, loadSnapshotFolder } from '../../../src/inventory/load.js';
import { exampleKubeResources } from '../support/example.js';
import { API_KEY, examplePolicyResources } from '../support/policy-kinds.js';
import { collectFromMocks, documentOf, kindRecord, type MockRun } from '../support/run.js';

// IngressClasses, Istio AuthorizationPolicies and Calico Profiles, the kinds the reachability engine reads
// beside NetworkPolicies, collected from loopback API servers in their wire formats.

type Items = { items: Array<{ apiVersion: string; kind: string; metadata: { name: string; namespace?: string } }> };

describe('collectLive policy kinds', () => {
  // One collection from a cluster that serves every kind, shared by the tests that only read it.
  let served: MockRun;
  beforeAll(async () => {
    served = await collectFromMocks({ kubeResources: examplePolicyResources('v1') });
  });

  it('collects IngressClasses, AuthorizationPolicies and Profiles', () => {
    const { snapshot, kube } = served;

    expect(kindRecord(snapshot!, 'list ingressclasses.networking.k8s.io')).toMatchObject({ kind: 'IngressClass', status: 'collected', count: 1, files: ['kubernetes/cluster.json'] });
    expect(kindRecord(snapshot!, 'list authorizationpolicies.security.istio.io')).toMatchObject({ kind: 'AuthorizationPolicy', status: 'collected', count: 2, files: ['kubernetes/istio.yaml'] });
    // projectcalico-default-allow and one kns profile for each of the example's 13 Namespaces.
    expect(kindRecord(snapshot!, 'list profiles.projectcalico.org')).toMatchObject({ kind: 'CalicoProfile', status: 'collected', count: 14, files: ['kubernetes/calico.yaml'] });
    expect(snapshot!.manifest.kubernetes).toMatchObject({ calicoApiGroup: 'projectcalico.org/v3', istioApiGroup: 'security.istio.io/v1' });

    const cluster = documentOf(snapshot!, 'kubernetes/cluster.json') as Items;
    expect(cluster.items.filter((item) => item.kind === 'IngressClass')).toEqual([expect.objectContaining({ apiVersion: 'networking.k8s.io/v1', metadata: expect.objectContaining({ name: 'nginx' }) })]);
    const istio = documentOf(snapshot!, 'kubernetes/istio.yaml') as Items;
    expect(istio.items.map((item) => `${item.apiVersion} ${item.metadata.namespace}/${item.metadata.name}`)).toEqual(['security.istio.io/v1 hie-prod-34/require-api-key', 'security.istio.io/v1 spicedb/allow-nothing']);
    const profiles = (documentOf(snapshot!, 'kubernetes/calico.yaml') as Items).items.filter((item) => item.kind === 'Profile');
    expect(profiles.map((item) => item.metadata.name)).toContain('kns.hie-prod-34');
    expect(profiles.every((item) => item.apiVersion === 'projectcalico.org/v3')).toBe(true);

    // Both versions of the custom resource list the same objects, so only the preferred one is requested.
    const istioPaths = new Set(kube.requests.map((request) => request.path).filter((requested) => requested.includes('security.istio.io')));
    expect([...istioPaths]).toEqual(['/apis/security.istio.io/v1/authorizationpolicies']);
  });

  it('collects Calico Tiers into the Calico file', async () => {
    const { snapshot } = served;

    expect(kindRecord(snapshot!, 'list tiers.projectcalico.org')).toMatchObject({ kind: 'CalicoTier', status: 'collected', count: 2, files: ['kubernetes/calico.yaml'] });
    const tiers = (documentOf(snapshot!, 'kubernetes/calico.yaml') as Items).items.filter((item) => item.kind === 'Tier');
    expect(tiers.map((item) => `${item.apiVersion} ${item.metadata.name}`)).toEqual(['projectcalico.org/v3 allow-tigera', 'projectcalico.org/v3 default']);
    const { inventory } = loadDocuments(Object.fromEntries(snapshot!.files.map((file) => [file.file, file.documents])));
    expect(inventory.has('CalicoTier')).toBe(true);
    expect(inventory.data.calicoTiers.map((tier) => [tier.metadata.name, tier.spec?.order, tier.spec?.defaultAction])).toEqual([
      ['allow-tigera', 100, 'Deny'],
      ['default', 1_000_000, 'Deny'],
    ]);
  });

  it('writes a snapshot that the inventory loads', async () => {
    const { snapshot } = served;
    const dir = await mkdtemp(path.join(os.tmpdir(), 'rampart-policy-kinds-'));
    try {
      await writeLiveSnapshot(snapshot!, dir);
      const { inventory, problems } = await loadSnapshotFolder(dir);
      expect(problems).toEqual([]);
      for (const kind of ['IngressClass', 'AuthorizationPolicy', 'CalicoProfile', 'EndpointSlice', 'Ingress'] as const) expect(inventory.has(kind), kind).toBe(true);
      expect(inventory.data.ingressClasses.map((item) => item.spec?.controller)).toEqual(['k8s.io/ingress-nginx']);
      expect(inventory.data.calicoProfiles.find((profile) => profile.metadata.name === 'kns.hie-prod-34')?.spec?.labelsToApply).toEqual({
        'pcns.kubernetes.io/metadata.name': 'hie-prod-34',
        'pcns.projectcalico.org/name': 'hie-prod-34',
      });
      expect(inventory.data.endpointSlices).toHaveLength(20);
      expect(inventory.data.ingresses).toHaveLength(2);
      const policy = inventory.data.authorizationPolicies.find((item) => item.metadata.name === 'require-api-key');
      expect(policy?.spec?.rules?.[0]?.when).toEqual([
        { key: 'request.headers[x-api-key]', values: ['(removed)'] },
        { key: 'source.namespace', values: ['ingress-nginx'] },
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('writes no request condition value', () => {
    const { snapshot } = served;
    const text = snapshot!.texts.find((entry) => entry.file === 'kubernetes/istio.yaml')!.text;
    expect(text).not.toContain(API_KEY);
    expect(text).not.toContain('last-applied-configuration');
    expect(text).not.toContain('managedFields');
    expect(text).toContain('request.headers[x-api-key]');
    for (const entry of snapshot!.texts) expect(entry.text, entry.file).not.toContain(API_KEY);
  });

  it('reads v1beta1 when Istio serves no v1', async () => {
    const { snapshot, kube } = await collectFromMocks({ kubeResources: examplePolicyResources('v1beta1') });
    expect(snapshot!.manifest.kubernetes?.istioApiGroup).toBe('security.istio.io/v1beta1');
    expect(kindRecord(snapshot!, 'list authorizationpolicies.security.istio.io')).toMatchObject({ status: 'collected', count: 2 });
    const istio = documentOf(snapshot!, 'kubernetes/istio.yaml') as Items;
    expect(istio.items.map((item) => item.apiVersion)).toEqual(['security.istio.io/v1beta1', 'security.istio.io/v1beta1']);
    expect(kube.requests.some((request) => request.path.startsWith('/apis/security.istio.io/v1/'))).toBe(false);
  });

  it('records Istio as not installed', async () => {
    const { snapshot, kube } = await collectFromMocks({ kubeResources: examplePolicyResources(false) });
    expect(kindRecord(snapshot!, 'list authorizationpolicies.security.istio.io')).toEqual({
      source: 'kubernetes',
      kind: 'AuthorizationPolicy',
      api: 'list authorizationpolicies.security.istio.io',
      status: 'not-found',
      count: 0,
      files: [],
      error: 'the API server serves neither security.istio.io/v1 nor security.istio.io/v1beta1: Istio is not installed',
    });
    expect(snapshot!.manifest.kubernetes?.istioApiGroup).toBeUndefined();
    expect(snapshot!.files.map((file) => file.file)).not.toContain('kubernetes/istio.yaml');
    expect(kube.requests.some((request) => request.path.includes('security.istio.io'))).toBe(false);
    // An absent optional API is no warning, and the inventory keeps the kind missing with the reason.
    expect(uncollectedLines(snapshot!.manifest)).toEqual([]);
    const { inventory } = loadDocuments(Object.fromEntries(snapshot!.files.map((file) => [file.file, file.documents])));
    expect(inventory.has('AuthorizationPolicy')).toBe(false);
    expect(inventory.data.collectionGaps.get('AuthorizationPolicy')).toEqual([{ status: 'not-found', api: 'list authorizationpolicies.security.istio.io', error: expect.stringContaining('Istio is not installed') }]);
  });

  it('records denied kinds and goes on', async () => {
    const { snapshot } = await collectFromMocks({
      kubeResources: examplePolicyResources('v1'),
      kubeFaults: { 'ingressclasses.networking.k8s.io': 'forbidden', 'authorizationpolicies.security.istio.io': 'forbidden', 'profiles.projectcalico.org': 'forbidden' },
    });
    expect(kindRecord(snapshot!, 'list ingressclasses.networking.k8s.io')).toMatchObject({ kind: 'IngressClass', status: 'forbidden', count: 0, files: [], error: expect.stringMatching(/^403 ingressclasses\.networking\.k8s\.io is forbidden: User /) });
    expect(kindRecord(snapshot!, 'list authorizationpolicies.security.istio.io')).toMatchObject({ kind: 'AuthorizationPolicy', status: 'forbidden', error: expect.stringMatching(/^403 authorizationpolicies\.security\.istio\.io is forbidden: /) });
    expect(kindRecord(snapshot!, 'list profiles.projectcalico.org')).toMatchObject({ kind: 'CalicoProfile', status: 'forbidden', error: expect.stringMatching(/^403 profiles\.projectcalico\.org is forbidden: /) });
    expect(uncollectedLines(snapshot!.manifest)).toHaveLength(3);

    // The other kinds of the same files are still written, without the denied ones.
    expect(kindRecord(snapshot!, 'list namespaces').status).toBe('collected');
    expect(kindRecord(snapshot!, 'list globalnetworkpolicies.projectcalico.org').status).toBe('collected');
    expect((documentOf(snapshot!, 'kubernetes/cluster.json') as Items).items.some((item) => item.kind === 'IngressClass')).toBe(false);
    expect((documentOf(snapshot!, 'kubernetes/calico.yaml') as Items).items.some((item) => item.kind === 'Profile')).toBe(false);
    expect(snapshot!.files.map((file) => file.file)).not.toContain('kubernetes/istio.yaml');

    const { inventory } = loadDocuments(Object.fromEntries(snapshot!.files.map((file) => [file.file, file.documents])));
    for (const kind of ['IngressClass', 'AuthorizationPolicy', 'CalicoProfile'] as const) {
      expect(inventory.has(kind), kind).toBe(false);
      expect(inventory.data.collectionGaps.get(kind)?.[0]?.status, kind).toBe('forbidden');
    }
  });

  it('records Profiles as not installed without Calico', async () => {
    const resources = examplePolicyResources('v1').filter((resource) => !resource.group.includes('projectcalico'));
    const { snapshot, kube } = await collectFromMocks({ kubeResources: resources });
    expect(kindRecord(snapshot!, 'list profiles.projectcalico.org')).toMatchObject({
      kind: 'CalicoProfile',
      status: 'not-found',
      count: 0,
      error: 'the API server serves neither projectcalico.org/v3 nor crd.projectcalico.org/v1: Calico is not installed',
    });
    expect(kube.requests.some((request) => request.path.endsWith('/profiles'))).toBe(false);
    expect(uncollectedLines(snapshot!.manifest)).toEqual([]);
  });

  it('lists Profiles from the Calico CRDs without the API server', async () => {
    // On the Kubernetes datastore Calico stores no Profiles as custom resources, so the CRD lists none.
    const resources = exampleKubeResources()
      .filter((resource) => resource.group !== 'projectcalico.org')
      .concat([{ group: 'crd.projectcalico.org', version: 'v1', resource: 'profiles', listKind: 'ProfileList', custom: true, items: [] }]);
    const { snapshot, kube } = await collectFromMocks({ kubeResources: resources });
    expect(kindRecord(snapshot!, 'list profiles.crd.projectcalico.org')).toMatchObject({ kind: 'CalicoProfile', status: 'collected', count: 0, files: ['kubernetes/calico.yaml'] });
    expect(kube.requests.filter((request) => request.path.endsWith('/profiles')).map((request) => request.path)).toEqual(['/apis/crd.projectcalico.org/v1/profiles']);
    // This server has no tiers CRD: the kind is recorded as not found, without a warning.
    expect(kindRecord(snapshot!, 'list tiers.crd.projectcalico.org')).toMatchObject({ kind: 'CalicoTier', status: 'not-found', count: 0 });
    expect(uncollectedLines(snapshot!.manifest)).toEqual([]);
    const { inventory } = loadDocuments(Object.fromEntries(snapshot!.files.map((file) => [file.file, file.documents])));
    expect(inventory.has('CalicoProfile')).toBe(true);
    expect(inventory.data.calicoProfiles).toEqual([]);
  });
});
