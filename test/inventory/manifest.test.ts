import { describe, expect, it } from 'vitest';
import { auditInventory } from '../../src/cli/pipeline.js';
import { DEFAULT_CONFIG } from '../../src/config/config.js';
import { loadDocuments } from '../../src/inventory/load.js';

// The manifest that `rampart collect` writes, as the inventory reads it from rampart-manifest.json.
const manifest = (kinds: unknown[], version = 1) => ({
  rampartManifest: version,
  rampartVersion: '0.1.0',
  collectedAt: '2026-11-20T10:05:00.000Z',
  aws: null,
  kubernetes: { context: 'sde-prod' },
  awsActions: [],
  kinds,
  files: [],
});

const emptyList = { apiVersion: 'v1', items: [], kind: 'List', metadata: { resourceVersion: '' } };
const podList = {
  apiVersion: 'v1',
  kind: 'List',
  items: [{ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'a', namespace: 'default' }, spec: { containers: [{ name: 'main' }] } }],
};

const coverageOf = (files: Record<string, unknown[]>) => {
  const load = loadDocuments(files);
  const report = auditInventory(load, 'memory', { config: DEFAULT_CONFIG });
  return { load, resource: (kind: string) => report.coverage.find((entry) => entry.type === 'resource' && entry.kind === kind), files: report.coverage.filter((entry) => entry.type === 'file') };
};

describe('snapshot manifest', () => {
  it('shows a forbidden kind as denied with its error', () => {
    const { load, resource, files } = coverageOf({
      'rampart-manifest.json': [manifest([{ source: 'kubernetes', kind: 'NetworkPolicy', api: 'list networkpolicies.networking.k8s.io', status: 'forbidden', count: 0, files: [], error: '403 networkpolicies.networking.k8s.io is forbidden' }])],
      'kubernetes/workloads.json': [podList],
    });
    expect(load.inventory.has('NetworkPolicy')).toBe(false);
    expect(resource('NetworkPolicy')).toEqual({
      type: 'resource',
      kind: 'NetworkPolicy',
      status: 'denied',
      count: 0,
      details: ['list networkpolicies.networking.k8s.io: forbidden: 403 networkpolicies.networking.k8s.io is forbidden'],
    });
    expect(files).toEqual([]);
  });

  it('shows a failed kind as failed, naming the region', () => {
    const { resource } = coverageOf({
      'rampart-manifest.json': [manifest([{ source: 'aws', kind: 'NatGateway', api: 'ec2:DescribeNatGateways', region: 'eu-west-2', status: 'failed', count: 0, files: [], error: 'InternalError: An internal error has occurred' }])],
      'kubernetes/workloads.json': [podList],
    });
    expect(resource('NatGateway')).toMatchObject({ status: 'failed', details: ['ec2:DescribeNatGateways in eu-west-2: failed: InternalError: An internal error has occurred'] });
  });

  it('keeps not-found kinds missing, with the reason', () => {
    const { resource } = coverageOf({
      'rampart-manifest.json': [manifest([{ source: 'kubernetes', kind: 'PodMetrics', api: 'list pods.metrics.k8s.io', status: 'not-found', count: 0, files: [], error: 'metrics-server is not running' }])],
      'kubernetes/workloads.json': [podList],
    });
    expect(resource('PodMetrics')).toMatchObject({ status: 'missing', details: ['list pods.metrics.k8s.io: not-found: metrics-server is not running'] });
  });

  it('counts a collected kind without objects as present', () => {
    const { load, resource } = coverageOf({
      'rampart-manifest.json': [manifest([{ source: 'kubernetes', kind: 'Ingress', api: 'list ingresses.networking.k8s.io', status: 'collected', count: 0, files: ['kubernetes/workloads.json'] }])],
      'kubernetes/workloads.json': [emptyList],
    });
    expect(load.inventory.has('Ingress')).toBe(true);
    expect(resource('Ingress')).toEqual({ type: 'resource', kind: 'Ingress', status: 'present', count: 0 });
  });

  it('does not count a kind whose file was removed', () => {
    const { load } = coverageOf({
      'rampart-manifest.json': [manifest([{ source: 'kubernetes', kind: 'Ingress', api: 'list ingresses.networking.k8s.io', status: 'collected', count: 0, files: ['kubernetes/workloads.json'] }])],
      'kubernetes/cluster.json': [podList],
    });
    expect(load.inventory.has('Ingress')).toBe(false);
    expect(load.problems).toEqual([
      {
        level: 'warning',
        file: 'rampart-manifest.json',
        path: '$.kinds[0]',
        message: 'lists kubernetes/workloads.json for list ingresses.networking.k8s.io, which the snapshot does not contain; Ingress is not counted as collected from it',
      },
    ]);
  });

  it('does not count a kind as empty when another call for it failed', () => {
    const { load, resource } = coverageOf({
      'rampart-manifest.json': [
        manifest([
          { source: 'aws', kind: 'TargetHealth', api: 'elasticloadbalancing:DescribeTargetHealth', region: 'eu-west-1', status: 'collected', count: 0, files: [] },
          { source: 'aws', kind: 'TargetHealth', api: 'elasticloadbalancing:DescribeTargetHealth', region: 'eu-west-2', status: 'forbidden', count: 0, files: [], error: 'AccessDenied: no' },
        ]),
      ],
      'kubernetes/workloads.json': [podList],
    });
    expect(load.inventory.has('TargetHealth')).toBe(false);
    expect(resource('TargetHealth')?.status).toBe('denied');
  });

  it('ignores records of a newer manifest format', () => {
    const { load } = coverageOf({
      'rampart-manifest.json': [manifest([{ source: 'kubernetes', kind: 'Ingress', api: 'list ingresses.networking.k8s.io', status: 'forbidden', count: 0, files: [] }], 2)],
      'kubernetes/workloads.json': [podList],
    });
    expect(load.inventory.data.collectionGaps.size).toBe(0);
    expect(load.problems.map((problem) => problem.message)).toEqual(['manifest format 2 is newer than this Rampart reads (1); its coverage records are not used']);
  });

  it('reports a manifest it cannot read', () => {
    const { load, files } = coverageOf({ 'rampart-manifest.json': [{ rampartManifest: 1, kinds: 'all' }], 'kubernetes/workloads.json': [podList] });
    expect(load.problems[0]).toMatchObject({ level: 'error', file: 'rampart-manifest.json', path: '$' });
    expect(files).toEqual([expect.objectContaining({ file: 'rampart-manifest.json', status: 'invalid' })]);
  });
});
