import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import ipaddr from 'ipaddr.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MANIFEST_FILE, resolveCounts } from '../../src/generate/index.js';
import { StreamingJsonFile, stringifyAs } from '../../src/generate/json-writer.js';
import { loadSnapshotFolder } from '../../src/inventory/load.js';
import type { LoadResult } from '../../src/inventory/build.js';
import { runCli } from '../support/cli.js';

// Small custom sizes only: the presets are for `npm run bench`.
const REQUEST = ['--pods', '300', '--namespaces', '4', '--policies', '40', '--calico-policies', '6', '--security-groups', '14', '--security-group-rules', '150', '--load-balancers', '2'];

const folders: string[] = [];
async function tempFolder(): Promise<string> {
  const folder = await mkdtemp(path.join(os.tmpdir(), 'rampart-generate-'));
  folders.push(folder);
  return folder;
}

afterAll(async () => {
  for (const folder of folders) await rm(folder, { recursive: true, force: true });
});

async function generate(out: string, ...extra: string[]) {
  return runCli('generate', ...REQUEST, '--out', out, '--quiet', ...extra);
}

/** Relative path → SHA-256 of every file below the folder, the manifest included. */
async function hashes(root: string, relative = ''): Promise<Record<string, string>> {
  const result: Record<string, string> = {};
  for (const entry of await readdir(path.join(root, relative), { withFileTypes: true })) {
    const child = relative ? `${relative}/${entry.name}` : entry.name;
    if (entry.isDirectory()) Object.assign(result, await hashes(root, child));
    else result[child] = createHash('sha256').update(await readFile(path.join(root, child))).digest('hex');
  }
  return result;
}

function sortKeys(_key: string, value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  return Object.fromEntries(Object.keys(value).sort().map((key) => [key, (value as Record<string, unknown>)[key]]));
}

describe('rampart generate', () => {
  let root: string;
  let load: LoadResult;

  beforeAll(async () => {
    root = await tempFolder();
    const result = await generate(root);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    load = await loadSnapshotFolder(root);
  });

  it('loads with no input problems', () => {
    expect(load.problems).toEqual([]);
    expect(load.ignored).toEqual([]);
    expect(load.refusedSecrets).toEqual([]);
  });

  it('writes the requested counts', () => {
    const data = load.inventory.data;
    const counts = resolveCounts(undefined, { pods: 300, namespaces: 4, policies: 40, calicoPolicies: 6, securityGroups: 14, securityGroupRules: 150, loadBalancers: 2 });
    expect(data.pods).toHaveLength(300);
    // Eight system namespaces (default, kube-system, calico-system, …) come on top of the application ones.
    expect(data.namespaces.filter((namespace) => namespace.metadata.labels.team !== undefined)).toHaveLength(4);
    expect(data.networkPolicies).toHaveLength(34);
    expect(data.calicoPolicies.filter((policy) => policy.kind === 'GlobalNetworkPolicy')).toHaveLength(6);
    expect(data.securityGroups).toHaveLength(14);
    const rules = data.securityGroups.flatMap((group) => [...group.IpPermissions, ...group.IpPermissionsEgress]);
    const ruleCount = rules.reduce((total, rule) => total + rule.IpRanges.length + rule.Ipv6Ranges.length + rule.PrefixListIds.length + rule.UserIdGroupPairs.length, 0);
    expect(ruleCount).toBe(150);
    expect(data.loadBalancers).toHaveLength(2);
    expect(data.nodes).toHaveLength(counts.nodes);
    expect(data.instances).toHaveLength(counts.nodes);
    expect(data.networkInterfaces).toHaveLength(counts.networkInterfaces);
    const applicationWorkloads = [...data.deployments, ...data.statefulSets].filter((workload) => workload.metadata.labels.team !== undefined);
    expect(applicationWorkloads).toHaveLength(counts.workloads);
  });

  it('is byte-identical for the same seed', async () => {
    const again = await tempFolder();
    expect((await generate(again)).code).toBe(0);
    expect(await hashes(again)).toEqual(await hashes(root));
  });

  it('differs for another seed', async () => {
    const other = await tempFolder();
    expect((await generate(other, '--seed', '2')).code).toBe(0);
    const first = await hashes(root);
    const second = await hashes(other);
    expect(Object.keys(second).sort()).not.toEqual(Object.keys(first).sort());
    expect(second['kubernetes/cluster.json']).not.toBe(first['kubernetes/cluster.json']);
  });

  it('prints files as the AWS CLI and kubectl do', async () => {
    const all = Object.keys(await hashes(root)).filter((file) => file !== MANIFEST_FILE);
    expect(all.filter((file) => file.startsWith('aws/eu-west-1/ec2-describe-')).length).toBeGreaterThanOrEqual(9);
    expect(all).toContain('kubernetes/cluster.json');
    for (const file of all) {
      const text = await readFile(path.join(root, file), 'utf8');
      const parsed: unknown = JSON.parse(text);
      // The AWS CLI: json.dump with indent=4 and a newline. kubectl: MarshalIndent with 4 spaces, sorted keys.
      const expected = file.startsWith('kubernetes/') ? JSON.stringify(parsed, sortKeys, 4) : JSON.stringify(parsed, null, 4);
      expect(text, file).toBe(`${expected}\n`);
    }
  });

  it('resolves pods to their Deployments through ReplicaSets', () => {
    const inventory = load.inventory;
    const byKind = new Map<string, number>();
    for (const pod of inventory.data.pods) {
      const owner = inventory.owningWorkload(pod);
      expect(owner.object, `${pod.metadata.namespace}/${pod.metadata.name}`).toBeDefined();
      byKind.set(owner.kind, (byKind.get(owner.kind) ?? 0) + 1);
    }
    expect([...byKind.keys()].sort()).toEqual(['DaemonSet', 'Deployment', 'StatefulSet']);
    const deploymentPod = inventory.data.pods.find((pod) => pod.metadata.ownerReferences?.[0]?.kind === 'ReplicaSet' && pod.metadata.labels.team !== undefined);
    expect(deploymentPod?.metadata.labels['pod-template-hash']).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]{10}$/);
    expect(deploymentPod?.metadata.labels['app.kubernetes.io/name']).toBeDefined();
    expect(deploymentPod?.metadata.labels['app.kubernetes.io/instance']).toBeDefined();
  });

  it('places every pod address on a network interface in a matching subnet', () => {
    const data = load.inventory.data;
    const subnets = new Map(data.subnets.map((subnet) => [subnet.SubnetId, ipaddr.IPv4.parseCIDR(subnet.CidrBlock as string)]));
    const owner = new Map<string, string>();
    for (const eni of data.networkInterfaces) {
      const cidr = subnets.get(eni.SubnetId as string);
      expect(cidr, eni.NetworkInterfaceId).toBeDefined();
      for (const address of eni.PrivateIpAddresses) {
        expect(ipaddr.IPv4.parse(address.PrivateIpAddress).match(cidr!), address.PrivateIpAddress).toBe(true);
        expect(owner.has(address.PrivateIpAddress), `${address.PrivateIpAddress} on two interfaces`).toBe(false);
        owner.set(address.PrivateIpAddress, eni.NetworkInterfaceId);
      }
    }
    for (const pod of data.pods) {
      expect(owner.has(pod.status?.podIP as string), `${pod.metadata.name} ${pod.status?.podIP}`).toBe(true);
    }
  });

  it('includes datastores on their standard ports', () => {
    const ports = new Map<string, number[]>();
    for (const workload of load.inventory.data.statefulSets) {
      const container = workload.spec.template.spec.containers[0];
      ports.set(container?.image?.split('/').pop()?.split(':')[0] ?? '', container?.ports?.map((port) => port.containerPort) ?? []);
    }
    expect(ports.get('postgresql')).toContain(5432);
    const allPorts = [...ports.values()].flat();
    expect(allPorts.some((port) => port === 6379 || port === 27017)).toBe(true);
  });

  it('gives restarting containers a last termination and Events', () => {
    const data = load.inventory.data;
    const restarting = data.pods.filter((pod) => (pod.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 5);
    expect(restarting.length).toBeGreaterThan(0);
    for (const pod of restarting) {
      expect(pod.status?.containerStatuses?.[0]?.lastState?.terminated?.reason, pod.metadata.name).toMatch(/^(Error|OOMKilled)$/);
    }
    const named = new Set(data.events.map((event) => `${event.involvedNamespace}/${event.involvedName}`));
    expect(restarting.some((pod) => named.has(`${pod.metadata.namespace}/${pod.metadata.name}`))).toBe(true);
  });

  it('uses named ports and namespace selectors in policies', () => {
    const specs = load.inventory.data.networkPolicies.map((policy) => JSON.stringify(policy.spec));
    expect(specs.some((spec) => spec.includes('"port":"tcp-postgresql"'))).toBe(true);
    expect(specs.some((spec) => spec.includes('"namespaceSelector"'))).toBe(true);
    expect(load.inventory.data.networkPolicies.some((policy) => policy.metadata.name === 'default-deny-ingress')).toBe(true);
  });

  it('rejects a folder it did not write', async () => {
    const folder = await tempFolder();
    await writeFile(path.join(folder, 'notes.txt'), 'keep me');
    const result = await generate(folder);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('is not empty');
    expect(await readFile(path.join(folder, 'notes.txt'), 'utf8')).toBe('keep me');
  });

  it('replaces its own earlier output', async () => {
    const folder = await tempFolder();
    expect((await generate(folder)).code).toBe(0);
    expect((await generate(folder, '--seed', '3')).code).toBe(0);
    const seeded = JSON.parse(await readFile(path.join(folder, MANIFEST_FILE), 'utf8')) as { seed: number };
    expect(seeded.seed).toBe(3);
  });

  it('rejects counts that cannot be laid out', async () => {
    const result = await runCli('generate', '--pods', '20', '--out', await tempFolder());
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('raise --pods');
  });
});

describe('StreamingJsonFile', () => {
  it('writes what JSON.stringify writes', async () => {
    const folder = await tempFolder();
    const cases: Array<[string, 'aws' | 'kubectl', unknown[]]> = [
      ['empty.json', 'aws', []],
      ['one.json', 'aws', [{ b: 1, a: [1, { c: 'x' }] }]],
      ['list.json', 'kubectl', [{ kind: 'Pod', apiVersion: 'v1', metadata: { name: 'a<b>' } }, { z: null, a: {} }]],
    ];
    for (const [name, style, items] of cases) {
      const file = path.join(folder, name);
      const output = new StreamingJsonFile(file, style, (array) => ({ apiVersion: 'v1', items: array, kind: 'List' }));
      for (const item of items) output.add(item);
      output.close();
      const expected = `${stringifyAs(style, { apiVersion: 'v1', items, kind: 'List' })}\n`;
      expect(await readFile(file, 'utf8'), name).toBe(expected);
    }
  });

  it('escapes HTML characters as Go does', () => {
    expect(stringifyAs('kubectl', { message: 'a<b>&c' })).toContain('"a\\u003cb\\u003e\\u0026c"');
    expect(stringifyAs('aws', { message: 'a<b>&c' })).toContain('"a<b>&c"');
  });

  it('rejects a template without the array', () => {
    expect(() => new StreamingJsonFile(path.join(os.tmpdir(), 'never-written.json'), 'aws', () => ({ Items: [] }))).toThrow(/exactly once/);
  });
});
