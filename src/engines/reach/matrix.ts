import { formatRange, type AddressRange } from './addresses.js';
import type { EndpointClass, PodEndpoint, WorkloadRef } from './endpoints.js';
import { isNodeLocal, type ReachModel } from './model.js';
import { ConnSet, PROTOCOL } from './ports.js';
import { compareText } from '../../compare.js';

// Every allowed connection between workloads, and between workloads and address ranges outside the pods,
// aggregated per workload pair as netpol-analyzer's connlist does: the union over the pods of each side,
// without a workload's connections to itself.

export type MatrixNode = { kind: 'workload'; workload: WorkloadRef } | { kind: 'external'; range: AddressRange };

export interface MatrixEntry {
  source: MatrixNode;
  destination: MatrixNode;
  connections: ConnSet;
}

export interface MatrixOptions {
  /** How pods are grouped into workloads; defaults to each pod's top controller. */
  workloadOf?: (pod: PodEndpoint) => WorkloadRef;
  /** Whether to list IPv6 ranges; defaults to true when the snapshot has IPv6 pod addresses or IPv6 CIDRs. */
  ipv6?: boolean;
}

interface Group {
  workload: WorkloadRef;
  /** The group as a matrix node, shared by all of its entries. */
  node: MatrixNode;
  key: string;
  classes: EndpointClass[];
  pods: PodEndpoint[];
}

export function computeMatrix(model: ReachModel, options: MatrixOptions = {}): MatrixEntry[] {
  const entries: MatrixEntry[] = [];
  forEachMatrixRow(model, (row) => entries.push(...row), options);
  return entries;
}

/**
 * Computes the matrix one source at a time and hands each source's entries to `visit`, sources in name
 * order and each row in destination name order, so the rows together are computeMatrix's list. A caller
 * that writes each row as it comes keeps one row in memory instead of the whole matrix, which grows with
 * the square of the workloads.
 */
export function forEachMatrixRow(model: ReachModel, visit: (row: MatrixEntry[]) => void, options: MatrixOptions = {}): void {
  const workloadOf = options.workloadOf ?? ((pod: PodEndpoint) => pod.workload);
  const groups = groupPods(model, workloadOf);
  const ipv6 = options.ipv6 ?? usesIpv6(model);
  const ingressPieces = model.externalPieces('ingress').filter((piece) => ipv6 || piece.family === 4);
  const egressPieces = model.externalPieces('egress').filter((piece) => ipv6 || piece.family === 4).map((range) => ({ range, node: { kind: 'external', range } as MatrixNode }));

  const names = new Map<MatrixNode, string>();
  const name = (node: MatrixNode) => {
    let text = names.get(node);
    if (text === undefined) {
      text = nodeName(node);
      names.set(node, text);
    }
    return text;
  };
  const byDestination = (a: MatrixEntry, b: MatrixEntry) => compareText(name(a.destination), name(b.destination));

  // Sources in name order: address pieces and workloads. The groups are already in name order, which the
  // class-pair cache relies on to release rows.
  type Source = { kind: 'external'; node: MatrixNode; range: AddressRange } | { kind: 'group'; index: number; group: Group };
  const sources: Source[] = [
    ...ingressPieces.map((range): Source => ({ kind: 'external', node: { kind: 'external', range }, range })),
    ...groups.map((group, index): Source => ({ kind: 'group', index, group })),
  ];
  const sourceName = (source: Source) => (source.kind === 'external' ? name(source.node) : name(source.group.node));
  sources.sort((a, b) => compareText(sourceName(a), sourceName(b)));

  const pairs = new ClassPairCache(model, groups);
  for (const source of sources) {
    const row: MatrixEntry[] = [];
    if (source.kind === 'external') {
      const peer = { kind: 'external' as const, range: source.range };
      for (const group of groups) {
        let connections = ConnSet.NONE;
        for (const cls of group.classes) connections = connections.union(model.ingress(cls, peer));
        if (!connections.isEmpty()) row.push({ source: source.node, destination: group.node, connections });
      }
    } else {
      const from = source.group;
      for (const destination of groups) {
        if (from.key === destination.key) continue;
        let connections = ConnSet.NONE;
        for (const sourceClass of from.classes) {
          for (const destinationClass of destination.classes) {
            connections = connections.union(pairs.between(sourceClass, destinationClass));
            if (connections.isAll()) break;
          }
          if (connections.isAll()) break;
        }
        if (!connections.isAll()) connections = connections.union(nodeLocal(model, from, destination));
        if (!connections.isEmpty()) row.push({ source: from.node, destination: destination.node, connections });
      }
      pairs.release(source.index);
      for (const { range, node } of egressPieces) {
        const peer = { kind: 'external' as const, range };
        let connections = ConnSet.NONE;
        for (const cls of from.classes) connections = connections.union(model.egress(cls, peer));
        if (!connections.isEmpty()) row.push({ source: from.node, destination: node, connections });
      }
    }
    if (row.length > 0) visit(row.sort(byDestination));
  }
}

/** `namespace/name[Kind]` or `from-to[External]`, as netpol-analyzer names connlist endpoints. */
export function nodeName(node: MatrixNode): string {
  if (node.kind === 'external') return `${formatRange(node.range)}[External]`;
  return `${node.workload.namespace}/${node.workload.name}[${node.workload.kind}]`;
}

const CONNLIST_PROTOCOLS = ConnSet.protocol(PROTOCOL.TCP).union(ConnSet.protocol(PROTOCOL.UDP)).union(ConnSet.protocol(PROTOCOL.SCTP));

/**
 * One connlist line per entry: `src => dst : conn`. Like netpol-analyzer, the connlist counts TCP, UDP and
 * SCTP only, so `All Connections` means every port of those three; entries that allow only other protocols
 * (ICMP through a Calico rule, for example) are left out here and kept in the structured output.
 */
export function formatConnlist(entries: MatrixEntry[]): string {
  return entries
    .map((entry) => ({ entry, connections: entry.connections.intersect(CONNLIST_PROTOCOLS) }))
    .filter(({ connections }) => !connections.isEmpty())
    .map(({ entry, connections }) => `${nodeName(entry.source)} => ${nodeName(entry.destination)} : ${connections.equals(CONNLIST_PROTOCOLS) ? 'All Connections' : connections.format()}\n`)
    .join('');
}

function groupPods(model: ReachModel, workloadOf: (pod: PodEndpoint) => WorkloadRef): Group[] {
  const groups = new Map<string, Group>();
  for (const pod of model.pods) {
    const workload = workloadOf(pod);
    const key = `${workload.namespace}/${workload.name}[${workload.kind}]`;
    let group = groups.get(key);
    if (!group) {
      group = { workload, node: { kind: 'workload', workload }, key, classes: [], pods: [] };
      groups.set(key, group);
    }
    group.pods.push(pod);
  }
  for (const group of groups.values()) {
    const seen = new Set<number>();
    for (const pod of group.pods) seen.add(pod.classId);
    group.classes = [...seen].sort((a, b) => a - b).map((id) => model.classes[id] as EndpointClass);
  }
  return [...groups.values()].sort((a, b) => compareText(a.key, b.key));
}

/**
 * Connections between class pairs, computed once. The cache keeps one row per source class, indexed by
 * destination class id, and drops the row after the last workload group that contains the source class,
 * so it contains rows only for the classes of the current group and for classes shared by later groups.
 */
class ClassPairCache {
  private readonly rows = new Map<number, Array<ConnSet | undefined>>();
  /** For each group index, the source classes whose last group it is. */
  private readonly lastUse: number[][];

  constructor(
    private readonly model: ReachModel,
    groups: Group[],
  ) {
    const lastGroupOf = new Map<number, number>();
    for (const [index, group] of groups.entries()) for (const cls of group.classes) lastGroupOf.set(cls.id, index);
    this.lastUse = groups.map(() => []);
    for (const [classId, index] of lastGroupOf) this.lastUse[index]?.push(classId);
  }

  between(source: EndpointClass, destination: EndpointClass): ConnSet {
    let row = this.rows.get(source.id);
    if (!row) {
      row = new Array<ConnSet | undefined>(this.model.classes.length);
      this.rows.set(source.id, row);
    }
    let value = row[destination.id];
    if (!value) {
      value = this.model.classConnections(source, destination);
      row[destination.id] = value;
    }
    return value;
  }

  /** Drops the rows of the source classes that no group after this one contains. */
  release(groupIndex: number): void {
    for (const classId of this.lastUse[groupIndex] ?? []) this.rows.delete(classId);
  }
}

function nodeLocal(model: ReachModel, source: Group, destination: Group): ConnSet {
  let result = ConnSet.NONE;
  for (const sourcePod of source.pods) {
    if (!sourcePod.hostNetwork || sourcePod.nodeName === undefined) continue;
    for (const destinationPod of podsOnNode(destination, sourcePod.nodeName)) {
      if (isNodeLocal(sourcePod, destinationPod)) result = result.union(model.connections({ kind: 'pod', pod: sourcePod }, { kind: 'pod', pod: destinationPod }));
    }
  }
  return result;
}

const podsByNode = new WeakMap<Group, Map<string, PodEndpoint[]>>();

/** Returns the group's pods on one node, indexing the group on first use. */
function podsOnNode(group: Group, nodeName: string): PodEndpoint[] {
  let index = podsByNode.get(group);
  if (!index) {
    index = new Map();
    for (const pod of group.pods) {
      if (pod.nodeName === undefined) continue;
      const list = index.get(pod.nodeName);
      if (list) list.push(pod);
      else index.set(pod.nodeName, [pod]);
    }
    podsByNode.set(group, index);
  }
  return index.get(nodeName) ?? [];
}

function usesIpv6(model: ReachModel): boolean {
  if (model.pods.some((pod) => pod.address?.family === 6)) return true;
  return [...model.policies, ...model.profiles].some((owner) => [...owner.rules.ingress, ...owner.rules.egress].some((rule) => rule.remoteAddressSets.some((set) => set.ranges.some((range) => range.family === 6 && !(range.from === 0n && range.to === (1n << 128n) - 1n)))));
}
