import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSnapshotFolder } from '../../src/inventory/load.js';
import { CORPORA, HAS_CORPORA } from '../support/corpora.js';

// Real captured AWS outputs from other projects. Every file must either load or be listed as ignored with
// a reason; nothing may vanish silently.

const batfish = path.join(CORPORA, 'batfish-aws');
const scenarios = HAS_CORPORA ? readdirSync(batfish, { withFileTypes: true }).filter((entry) => entry.isDirectory()).map((entry) => entry.name) : [];

describe.skipIf(!HAS_CORPORA)('Batfish AWS snapshots', () => {
  it.each(scenarios)('%s loads or explains every file', async (scenario) => {
    const root = path.join(batfish, scenario);
    const result = await loadSnapshotFolder(root);
    const errors = result.problems.filter((problem) => problem.level === 'error');
    expect(errors).toEqual([]);
    const jsonFiles = listJson(root);
    const accounted = new Set(result.ignored.map((entry) => entry.file));
    for (const entry of result.ignored) expect(entry.reason.length).toBeGreaterThan(10);
    // A JSON file that was not ignored must have contributed at least one recognised kind.
    const loaded = jsonFiles.filter((file) => !accounted.has(file));
    if (loaded.length > 0) expect(result.inventory.data.present.size).toBeGreaterThan(0);
    expect(loaded.length + [...accounted].filter((file) => file.endsWith('.json')).length).toBe(jsonFiles.length);
  });

  it('reads the wrapped load balancer outputs', async () => {
    const { inventory, problems } = await loadSnapshotFolder(path.join(batfish, 'test-load-balancer'));
    expect(problems.filter((problem) => problem.level === 'error')).toEqual([]);
    const listeners = inventory.data.listeners;
    expect(listeners.length).toBeGreaterThan(0);
    const group = inventory.data.targetGroups.find((candidate) => candidate.TargetGroupName === 'test-lb-tg');
    expect(group?.targetHealth?.map((description) => description.Target.Id).sort()).toEqual(['i-055b0db7be365202c', 'i-0f4af951d61a19245']);
    const loadBalancer = inventory.data.loadBalancers.find((candidate) => candidate.LoadBalancerName === 'test-lb');
    expect(loadBalancer?.attributes?.['load_balancing.cross_zone.enabled']).toBe('true');
  });

  it('takes account and region from the folder layout', async () => {
    const { inventory } = await loadSnapshotFolder(path.join(batfish, 'test-multi-account'));
    expect(inventory.data.vpcs.map((vpc) => `${vpc.VpcId} ${vpc.account}/${vpc.region}`).sort()).toEqual([
      'vpc-0008a7b45e3ddf1dd 222/us-west-2',
      'vpc-015b20578b48c1349 111/us-west-1',
    ]);
  });
});

describe.skipIf(!HAS_CORPORA)('AWS CLI documentation examples', () => {
  it('load, naming per-resource outputs whose file names lack their subject', async () => {
    const { problems, inventory, ignored } = await loadSnapshotFolder(path.join(CORPORA, 'aws-cli-examples'));
    // These documentation files are named `elbv2_describe-target-health_1.json`, so the target group
    // (or list) each one describes is unknown: they are errors that say how to name the file.
    const errors = problems.filter((problem) => problem.level === 'error');
    expect(errors.length).toBe(12);
    for (const error of errors) {
      expect(error.file).toMatch(/attributes|target-health|prefix-list-entries/);
      expect(error.message).toMatch(/name the file .*<(TargetGroupName|PrefixListId)>\.json/);
    }
    for (const kind of ['Vpc', 'Subnet', 'RouteTable', 'NetworkAcl', 'SecurityGroup', 'NetworkInterface', 'Instance', 'LoadBalancer', 'Listener', 'TargetGroup', 'EksCluster', 'ManagedPrefixList'] as const) {
      expect(inventory.has(kind), kind).toBe(true);
    }
    expect(ignored.every((entry) => entry.reason.length > 0)).toBe(true);
  });
});

function listJson(root: string, relative = ''): string[] {
  return readdirSync(path.join(root, relative), { withFileTypes: true }).flatMap((entry) => {
    const child = relative ? `${relative}/${entry.name}` : entry.name;
    if (entry.isDirectory()) return listJson(root, child);
    return entry.name.endsWith('.json') ? [child] : [];
  });
}
