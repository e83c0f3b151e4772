import { symlink } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadSnapshotFolder } from '../../src/inventory/load.js';
import { SnapshotError } from '../../src/collect/snapshot.js';
import { writeSnapshot } from '../support/tmp.js';

const securityGroups = {
  SecurityGroups: [
    {
      Description: 'web',
      GroupName: 'web',
      IpPermissions: [{ FromPort: 443, IpProtocol: 'tcp', IpRanges: [{ CidrIp: '0.0.0.0/0' }], Ipv6Ranges: [], PrefixListIds: [], ToPort: 443, UserIdGroupPairs: [] }],
      OwnerId: '111122223333',
      GroupId: 'sg-0aaa1111bbbb2222c',
      IpPermissionsEgress: [],
      VpcId: 'vpc-0123456789abcdef0',
    },
  ],
};

const pod = (name: string, namespace = 'default') => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace, labels: { app: name } },
  spec: { containers: [{ name: 'main', image: 'nginx:1.27' }] },
});

describe('loadSnapshotFolder', () => {
  it('recognises files by content, not name', async () => {
    const root = await writeSnapshot({ 'anything.json': securityGroups, 'nested/deeper/x.yaml': `apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  namespace: default\nspec:\n  containers:\n  - name: main\n` });
    const { inventory, problems } = await loadSnapshotFolder(root);
    expect(problems).toEqual([]);
    expect(inventory.data.securityGroups.map((group) => group.GroupId)).toEqual(['sg-0aaa1111bbbb2222c']);
    expect(inventory.data.pods.map((p) => p.metadata.name)).toEqual(['a']);
  });

  it('records the file and JSON path of every object', async () => {
    const root = await writeSnapshot({ 'aws/sg.json': securityGroups, 'k8s/pods.json': { apiVersion: 'v1', kind: 'List', items: [pod('a'), pod('b')] } });
    const { inventory } = await loadSnapshotFolder(root);
    expect(inventory.data.securityGroups[0]?.source).toEqual({ file: 'aws/sg.json', path: '$.SecurityGroups[0]' });
    expect(inventory.data.pods[1]?.source).toEqual({ file: 'k8s/pods.json', path: '$.items[1]' });
  });

  it('reads multi-document YAML with document indexes', async () => {
    const yaml = ['apiVersion: v1', 'kind: Namespace', 'metadata:', '  name: one', '---', 'apiVersion: v1', 'kind: Namespace', 'metadata:', '  name: two', '---', ''].join('\n');
    const root = await writeSnapshot({ 'ns.yaml': yaml });
    const { inventory } = await loadSnapshotFolder(root);
    expect(inventory.data.namespaces.map((ns) => [ns.metadata.name, ns.source.document])).toEqual([
      ['one', 0],
      ['two', 1],
    ]);
  });

  it('infers item kinds of typed lists', async () => {
    const root = await writeSnapshot({ 'pods.json': { apiVersion: 'v1', kind: 'PodList', items: [{ metadata: { name: 'a', namespace: 'x' }, spec: { containers: [{ name: 'c' }] } }] } });
    const { inventory } = await loadSnapshotFolder(root);
    expect(inventory.data.pods).toHaveLength(1);
    expect(inventory.has('Pod')).toBe(true);
  });

  it('merges several files of one kind', async () => {
    const second = { SecurityGroups: [{ ...securityGroups.SecurityGroups[0], GroupId: 'sg-0bbb2222cccc3333d' }] };
    const root = await writeSnapshot({ 'eu-west-2/sg.json': securityGroups, 'eu-west-1/sg.json': second });
    const { inventory } = await loadSnapshotFolder(root);
    expect(inventory.data.securityGroups.map((group) => [group.GroupId, group.region])).toEqual([
      ['sg-0bbb2222cccc3333d', 'eu-west-1'],
      ['sg-0aaa1111bbbb2222c', 'eu-west-2'],
    ]);
  });

  it('keeps one copy of a resource exported twice', async () => {
    const root = await writeSnapshot({ 'a.json': securityGroups, 'b.json': securityGroups });
    const { inventory, problems } = await loadSnapshotFolder(root);
    expect(inventory.data.securityGroups).toHaveLength(1);
    expect(problems.map((problem) => problem.message)).toEqual(['duplicates GroupId sg-0aaa1111bbbb2222c from a.json; the first copy is used']);
  });

  it('matches target group outputs by file name', async () => {
    const targetGroups = {
      TargetGroups: [
        {
          TargetGroupArn: 'arn:aws:elasticloadbalancing:eu-west-2:111122223333:targetgroup/k8s-web-0a1b2c3d4e/0123456789abcdef',
          TargetGroupName: 'k8s-web-0a1b2c3d4e',
          Protocol: 'TCP',
          Port: 31139,
          TargetType: 'instance',
          LoadBalancerArns: [],
        },
      ],
    };
    const root = await writeSnapshot({
      'tg.json': targetGroups,
      'elbv2-describe-target-group-attributes.k8s-web-0a1b2c3d4e.json': { Attributes: [{ Key: 'preserve_client_ip.enabled', Value: 'true' }] },
      'elbv2-describe-target-health.k8s-web-0a1b2c3d4e.json': { TargetHealthDescriptions: [{ Target: { Id: 'i-0123456789abcdef0', Port: 31139 }, HealthCheckPort: '31139', TargetHealth: { State: 'healthy' } }] },
    });
    const { inventory, problems } = await loadSnapshotFolder(root);
    expect(problems).toEqual([]);
    const group = inventory.data.targetGroups[0];
    expect(group?.attributes).toEqual({ 'preserve_client_ip.enabled': 'true' });
    expect(group?.targetHealth?.[0]?.Target.Id).toBe('i-0123456789abcdef0');
    expect(group?.region).toBe('eu-west-2');
    expect(group?.account).toBe('111122223333');
  });

  it('reports attributes whose file name names no target group', async () => {
    const root = await writeSnapshot({ 'attributes.json': { Attributes: [{ Key: 'a', Value: 'b' }] } });
    const { problems } = await loadSnapshotFolder(root);
    expect(problems).toHaveLength(1);
    expect(problems[0]?.message).toContain('elbv2-describe-target-group-attributes.<TargetGroupName>.json');
  });

  it('warns about attributes of an unknown target group', async () => {
    const root = await writeSnapshot({ 'elbv2-describe-target-group-attributes.gone.json': { Attributes: [] } });
    const { problems } = await loadSnapshotFolder(root);
    expect(problems.map((problem) => [problem.level, problem.message])).toEqual([['warning', 'describes target group gone, which no other file of the snapshot defines; it is not used']]);
  });

  it('warns about a single page of paginated output', async () => {
    const root = await writeSnapshot({ 'sg.json': { ...securityGroups, NextToken: 'eyJ2IjoxfQ==' } });
    const { problems, inventory } = await loadSnapshotFolder(root);
    expect(inventory.data.securityGroups).toHaveLength(1);
    expect(problems[0]?.path).toBe('$.NextToken');
    expect(problems[0]?.level).toBe('warning');
  });
});

describe('bad input', () => {
  it('names file and line of malformed JSON', async () => {
    const root = await writeSnapshot({ 'broken.json': '{\n  "Vpcs": [\n    {"VpcId": "vpc-1",}\n  ]\n}\n', 'sg.json': securityGroups });
    const { problems, inventory } = await loadSnapshotFolder(root);
    expect(problems).toHaveLength(1);
    expect(problems[0]?.file).toBe('broken.json');
    expect(problems[0]?.message).toMatch(/^is not valid JSON .*line 3/);
    expect(inventory.data.securityGroups).toHaveLength(1);
  });

  it('names file and line of malformed YAML', async () => {
    const root = await writeSnapshot({ 'bad.yaml': 'apiVersion: v1\nkind: Pod\nmetadata:\n  name: [unclosed\n' });
    const { problems } = await loadSnapshotFolder(root);
    expect(problems).toHaveLength(1);
    expect(problems[0]?.file).toBe('bad.yaml');
    expect(problems[0]?.message).toMatch(/^is not valid YAML at line \d+, column \d+/);
    expect(problems[0]?.message.match(/at line/g)).toHaveLength(1);
  });

  it('skips one object with a wrong shape and keeps the rest', async () => {
    const bad = { ...securityGroups.SecurityGroups[0], GroupId: 'sg-0bad', IpPermissions: 'all' };
    const root = await writeSnapshot({ 'sg.json': { SecurityGroups: [bad, { ...securityGroups.SecurityGroups[0], GroupId: 'sg-0good' }] } });
    const { problems, inventory } = await loadSnapshotFolder(root);
    expect(inventory.data.securityGroups.map((group) => group.GroupId)).toEqual(['sg-0good']);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ level: 'error', file: 'sg.json', path: '$.SecurityGroups[0].IpPermissions' });
    expect(problems[0]?.message).toBe('expected array, found the string "all" (in a security group; the object is skipped)');
  });

  it('reports a known key that is not a list', async () => {
    const root = await writeSnapshot({ 'vpcs.json': { Vpcs: { VpcId: 'vpc-1' } } });
    const { problems } = await loadSnapshotFolder(root);
    expect(problems[0]).toMatchObject({ path: '$.Vpcs', message: 'expected a list of Vpc objects, found an object' });
  });

  it('reports a missing required field', async () => {
    const root = await writeSnapshot({ 'pods.json': { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x' }, spec: {} } });
    const { problems } = await loadSnapshotFolder(root);
    expect(problems[0]).toMatchObject({ path: '$.spec.containers', message: 'missing array (in a Kubernetes Pod; the object is skipped)' });
  });

  it('reports an empty file', async () => {
    const root = await writeSnapshot({ 'empty.json': '', 'empty.yaml': '\n' });
    const { problems } = await loadSnapshotFolder(root);
    expect(problems.map((problem) => problem.file)).toEqual(['empty.json', 'empty.yaml']);
    expect(problems.every((problem) => problem.message.startsWith('is empty'))).toBe(true);
  });

  it('reports a file that cannot be read', async () => {
    const root = await writeSnapshot({ 'sg.json': securityGroups });
    await symlink(path.join(root, 'does-not-exist.json'), path.join(root, 'dangling.json'));
    const { problems, inventory } = await loadSnapshotFolder(root);
    expect(problems).toEqual([{ level: 'error', file: 'dangling.json', message: 'cannot be read: not found' }]);
    expect(inventory.data.securityGroups).toHaveLength(1);
  });

  it('raises for a missing folder', async () => {
    await expect(loadSnapshotFolder('/nonexistent/rampart-snapshot')).rejects.toThrow(SnapshotError);
    await expect(loadSnapshotFolder('/nonexistent/rampart-snapshot')).rejects.toThrow('snapshot folder /nonexistent/rampart-snapshot cannot be read: not found');
  });

  it('lists unknown files as ignored with the reason', async () => {
    const root = await writeSnapshot({
      'notes.txt': 'hello',
      'configmap.json': { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { password: 'x' } },
      'tgw.json': { TransitGateways: [] },
      'other.json': { Something: [] },
    });
    const { ignored, inventory } = await loadSnapshotFolder(root);
    expect(Object.fromEntries(ignored.map((entry) => [entry.file, entry.reason]))).toEqual({
      'notes.txt': 'not a JSON or YAML file',
      'configmap.json': 'Kubernetes ConfigMap (v1) is not read by Rampart',
      'tgw.json': 'TransitGateways: transit gateways are not modelled: paths through them are not evaluated',
      'other.json': 'not an AWS CLI or kubectl output Rampart reads',
    });
    expect(inventory.data.present.size).toBe(0);
  });
});

describe('secrets', () => {
  it('drops Secret objects unread', async () => {
    const secret = { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'default' }, data: { password: 'aHVudGVyMg==' } };
    const root = await writeSnapshot({ 'mixed.json': { apiVersion: 'v1', kind: 'List', items: [secret, pod('a')] } });
    const { refusedSecrets, inventory, ignored } = await loadSnapshotFolder(root);
    expect(refusedSecrets).toEqual([{ file: 'mixed.json', count: 1 }]);
    expect(ignored).toEqual([]);
    expect(JSON.stringify(inventory.data)).not.toContain('aHVudGVyMg');
  });

  it('keeps no env value, command or unsafe annotation', async () => {
    const withSecrets = {
      ...pod('app'),
      metadata: {
        name: 'app',
        namespace: 'shop',
        labels: { app: 'app' },
        annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"password":"hunter2"}', 'meta.helm.sh/release-name': 'shop' },
      },
      spec: {
        containers: [
          {
            name: 'main',
            command: ['/bin/app', '--password=hunter2'],
            env: [
              { name: 'DATABASE_URL', value: 'postgresql://shop:hunter2@db.shop.svc.cluster.local:5432/shop' },
              { name: 'CACHE', value: 'redis://cache:6379' },
              { name: 'TOKEN', valueFrom: { secretKeyRef: { name: 'tokens', key: 'api' } } },
            ],
            livenessProbe: { exec: { command: ['check', '--token=hunter2'] } },
          },
        ],
      },
    };
    const root = await writeSnapshot({ 'pod.json': withSecrets });
    const { inventory } = await loadSnapshotFolder(root);
    const serialised = JSON.stringify(inventory.data.pods);
    expect(serialised).not.toContain('hunter2');
    const container = inventory.data.pods[0]?.spec.containers[0];
    expect(container?.env).toEqual([
      { name: 'DATABASE_URL', from: 'value', serviceHosts: ['db.shop'] },
      { name: 'CACHE', from: 'value', serviceHosts: ['cache'] },
      { name: 'TOKEN', from: 'secretKeyRef', serviceHosts: [] },
    ]);
    expect(inventory.data.pods[0]?.metadata.annotations).toEqual({ 'meta.helm.sh/release-name': 'shop' });
  });
});

describe('EndpointSlices', () => {
  it('keeps endpoint addresses, target references, conditions and ports only', async () => {
    const slice = {
      apiVersion: 'discovery.k8s.io/v1',
      kind: 'EndpointSlice',
      metadata: { name: 'db-7xk2p', namespace: 'shop', labels: { 'kubernetes.io/service-name': 'db' } },
      addressType: 'IPv4',
      endpoints: [
        {
          addresses: ['10.0.0.10'],
          conditions: { ready: false, serving: true, terminating: true },
          hostname: 'db-0',
          nodeName: 'ip-10-0-0-1.eu-west-1.compute.internal',
          zone: 'eu-west-1a',
          hints: { forZones: [{ name: 'eu-west-1a' }] },
          targetRef: { kind: 'Pod', name: 'db-0', namespace: 'shop', uid: '0f9c2a1e-5d3b-4c8a-9e7f-1a2b3c4d5e6f' },
        },
      ],
      ports: [{ name: 'pg', port: 5432, protocol: 'TCP', appProtocol: 'postgresql' }, { name: 'unset', port: null, protocol: 'TCP' }],
    };
    const root = await writeSnapshot({ 'endpointslices.json': { apiVersion: 'v1', kind: 'List', items: [slice] } });
    const { inventory } = await loadSnapshotFolder(root);
    const [loaded] = inventory.data.endpointSlices;

    expect(loaded?.endpoints).toEqual([{ addresses: ['10.0.0.10'], conditions: { ready: false, serving: true, terminating: true }, targetRef: { kind: 'Pod', name: 'db-0', namespace: 'shop' } }]);
    expect(loaded?.ports).toEqual([{ name: 'pg', port: 5432, protocol: 'TCP' }, { name: 'unset', port: null, protocol: 'TCP' }]);
    expect(loaded?.metadata.labels).toEqual({ 'kubernetes.io/service-name': 'db' });
  });
});

describe('identity across API groups', () => {
  const meta = { name: 'db', namespace: 'shop' };

  it('keeps a Calico policy named like a Kubernetes one', async () => {
    const kubernetes = { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: meta, spec: { podSelector: {} } };
    const calico = { apiVersion: 'projectcalico.org/v3', kind: 'NetworkPolicy', metadata: meta, spec: { selector: 'all()' } };
    const root = await writeSnapshot({ 'k.json': kubernetes, 'c.json': calico });
    const { inventory, problems } = await loadSnapshotFolder(root);
    expect(problems).toEqual([]);
    expect(inventory.data.networkPolicies).toHaveLength(1);
    expect(inventory.data.calicoPolicies).toHaveLength(1);
  });

  it('counts an event exported in both API forms once', async () => {
    const core = { apiVersion: 'v1', kind: 'Event', metadata: { name: 'web.1', namespace: 'shop' }, involvedObject: { kind: 'Pod', name: 'web' }, reason: 'Unhealthy', count: 4 };
    const v1 = { apiVersion: 'events.k8s.io/v1', kind: 'Event', metadata: { name: 'web.1', namespace: 'shop' }, regarding: { kind: 'Pod', name: 'web' }, reason: 'Unhealthy', deprecatedCount: 4 };
    const root = await writeSnapshot({ 'a.json': core, 'b.json': v1 });
    const { inventory } = await loadSnapshotFolder(root);
    expect(inventory.data.events).toHaveLength(1);
    expect(inventory.data.events[0]?.count).toBe(4);
  });

  it('lists kinds left out of a mixed List', async () => {
    const configMap = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', namespace: 'shop' }, data: { a: 'b' } };
    const root = await writeSnapshot({ 'mixed.json': { apiVersion: 'v1', kind: 'List', items: [configMap, pod('a')] } });
    const { ignored } = await loadSnapshotFolder(root);
    expect(ignored).toEqual([{ file: 'mixed.json', reason: 'partly read; not read: Kubernetes ConfigMap (v1) is not read by Rampart' }]);
  });
});
