import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { computeMatrix, ConnSet, nodeName, ReachModel, workloadKey, type Endpoint, type MatrixEntry } from '../../../src/engines/reach/index.js';
import { loadSnapshotFolder } from '../../../src/inventory/load.js';
import { EXAMPLE } from '../../support/corpora.js';
import { load, namespace, networkPolicy, pod } from './support.js';

// computeMatrix caches connections per class pair. These tests compare it with the definition it
// implements: the union, per ordered workload pair, of the allowed connections of every pod pair, and per
// external range and workload, of every pod's connections to or from that range.

function connlistByDefinition(model: ReachModel): Map<string, ConnSet> {
  const expected = new Map<string, ConnSet>();
  const add = (key: string, connections: ConnSet) => {
    if (connections.isEmpty()) return;
    expected.set(key, (expected.get(key) ?? ConnSet.NONE).union(connections));
  };
  const workloadName = (endpoint: Endpoint) => nodeName(endpoint.kind === 'pod' ? { kind: 'workload', workload: endpoint.pod.workload } : endpoint);

  for (const source of model.pods) {
    for (const destination of model.pods) {
      if (workloadKey(source.workload) === workloadKey(destination.workload)) continue;
      const from: Endpoint = { kind: 'pod', pod: source };
      const to: Endpoint = { kind: 'pod', pod: destination };
      add(`${workloadName(from)} => ${workloadName(to)}`, model.connections(from, to));
    }
  }
  for (const range of model.externalPieces('ingress')) {
    for (const destination of model.pods) {
      const from: Endpoint = { kind: 'external', range };
      const to: Endpoint = { kind: 'pod', pod: destination };
      add(`${workloadName(from)} => ${workloadName(to)}`, model.connections(from, to));
    }
  }
  for (const range of model.externalPieces('egress')) {
    for (const source of model.pods) {
      const from: Endpoint = { kind: 'pod', pod: source };
      const to: Endpoint = { kind: 'external', range };
      add(`${workloadName(from)} => ${workloadName(to)}`, model.connections(from, to));
    }
  }
  return expected;
}

function formatEntries(entries: Iterable<[string, ConnSet]>): string[] {
  return [...entries].map(([key, connections]) => `${key} : ${connections.format()}`).sort();
}

function matrixLines(entries: MatrixEntry[]): string[] {
  return formatEntries(entries.map((entry) => [`${nodeName(entry.source)} => ${nodeName(entry.destination)}`, entry.connections]));
}

const documents = [
  namespace('shop', { team: 'shop' }),
  namespace('ops', { team: 'ops' }),
  // web-a and web-b have the same labels, so they share one class across two workloads.
  pod('shop', 'web-a-0', { labels: { app: 'web' }, ip: '10.0.1.1', nodeName: 'node-1', owner: { kind: 'StatefulSet', name: 'web-a' } }),
  pod('shop', 'web-b-0', { labels: { app: 'web' }, ip: '10.0.1.2', nodeName: 'node-2', owner: { kind: 'StatefulSet', name: 'web-b' } }),
  // The pods of db differ in one label, so the workload spans two classes.
  pod('shop', 'db-0', { labels: { app: 'db', role: 'primary' }, ip: '10.0.1.3', nodeName: 'node-1', ports: [{ name: 'pg', containerPort: 5432 }], owner: { kind: 'StatefulSet', name: 'db' } }),
  pod('shop', 'db-1', { labels: { app: 'db', role: 'replica' }, ip: '10.0.1.4', nodeName: 'node-2', ports: [{ name: 'pg', containerPort: 5432 }], owner: { kind: 'StatefulSet', name: 'db' } }),
  pod('ops', 'tool-0', { labels: { app: 'tool' }, ip: '10.0.2.1', nodeName: 'node-2', owner: { kind: 'StatefulSet', name: 'tool' } }),
  // A host-network agent on node-1 reaches db-0 through the node-local rule only.
  pod('ops', 'agent-0', { labels: { app: 'agent' }, ip: '192.168.0.1', hostNetwork: true, nodeName: 'node-1', owner: { kind: 'DaemonSet', name: 'agent' } }),
  networkPolicy('shop', 'default-deny', { podSelector: {}, policyTypes: ['Ingress', 'Egress'] }),
  networkPolicy('shop', 'db-from-web', { podSelector: { matchLabels: { app: 'db' } }, policyTypes: ['Ingress'], ingress: [{ from: [{ podSelector: { matchLabels: { app: 'web' } } }], ports: [{ port: 'pg', protocol: 'TCP' }] }] }),
  networkPolicy('shop', 'replica-from-office', { podSelector: { matchLabels: { role: 'replica' } }, policyTypes: ['Ingress'], ingress: [{ from: [{ ipBlock: { cidr: '203.0.113.0/24' } }], ports: [{ port: 5432, protocol: 'TCP' }] }] }),
  networkPolicy('shop', 'web-egress', { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Egress'], egress: [{ to: [{ podSelector: { matchLabels: { app: 'db' } } }] }, { to: [{ ipBlock: { cidr: '0.0.0.0/0', except: ['10.0.0.0/8'] } }], ports: [{ port: 443, protocol: 'TCP' }] }] }),
  networkPolicy('ops', 'tool-egress', { podSelector: { matchLabels: { app: 'tool' } }, policyTypes: ['Egress'], egress: [{ to: [{ namespaceSelector: { matchLabels: { team: 'shop' } } }], ports: [{ port: 8080, protocol: 'TCP' }] }] }),
];

describe('computeMatrix', () => {
  it('matches the pod-pair definition', () => {
    const model = new ReachModel(load(documents).inventory);
    const classesOfDb = new Set(model.pods.filter((pod) => pod.workload.name === 'db').map((pod) => pod.classId));
    const webA = model.pod('shop', 'web-a-0');
    const webB = model.pod('shop', 'web-b-0');

    expect(classesOfDb.size).toBe(2);
    expect(webA?.classId).toBe(webB?.classId);
    expect(matrixLines(computeMatrix(model, { ipv6: true }))).toEqual(formatEntries(connlistByDefinition(model)));
  });

  it('keeps node-local and policy results', () => {
    const lines = matrixLines(computeMatrix(new ReachModel(load(documents).inventory), { ipv6: true }));

    expect(lines).toContain('shop/web-a[StatefulSet] => shop/db[StatefulSet] : TCP 5432');
    expect(lines).toContain('ops/agent[DaemonSet] => shop/db[StatefulSet] : All Connections');
    expect(lines.some((line) => line.startsWith('ops/tool[StatefulSet] => shop/'))).toBe(false);
    expect(lines.some((line) => line.startsWith('shop/web-a[StatefulSet] => shop/web-b[StatefulSet]'))).toBe(false);
  });

  it.skipIf(!existsSync(EXAMPLE))('matches the definition on the example', async () => {
    const model = new ReachModel((await loadSnapshotFolder(EXAMPLE)).inventory);

    expect(matrixLines(computeMatrix(model, { ipv6: true }))).toEqual(formatEntries(connlistByDefinition(model)));
  });
});
