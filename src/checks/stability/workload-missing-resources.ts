import type { Inventory, OwningWorkload } from '../../inventory/inventory.js';
import type { CronJob, Pod, SafeContainer, Workload } from '../../inventory/model.js';
import type { SourceRef } from '../../inventory/source.js';
import { childSource } from '../../inventory/source.js';
import { POD_SOURCE_KINDS } from '../kinds.js';
import type { Check, Evidence, FindingDraft, SetContainerResourcesFix } from '../types.js';
import {
  PATCHABLE_KINDS,
  capitalise,
  containerViews,
  describeContainer,
  groupPodsByWorkload,
  helmReleaseOf,
  joinNames,
  plural,
  podLabel,
  podTemplateOf,
  workloadKey,
  workloadLabel,
  workloadResource,
} from './containers.js';
import { MEBIBYTE, describeMemory, formatCpu, formatMemory, parseQuantity, roundUpBytes, roundUpCores } from './quantity.js';
import { maxObservedUsage, type ObservedUsage } from './usage.js';
import { compareText } from '../../compare.js';

type Gap = 'memory limit' | 'memory request' | 'CPU request';
const GAP_ORDER: Gap[] = ['memory limit', 'memory request', 'CPU request'];

/** One container spec of a workload: from a pod, or from the pod template when the snapshot has no pods. */
interface ContainerSpec {
  name: string;
  init: boolean;
  spec: SafeContainer;
  source: SourceRef;
  /** Source of the spec for evidence sentences: `pod shop/api-…` or `pod template`. */
  from: string;
}

/** The containers of one workload to examine, and the pods that PodMetrics are looked up for. */
interface SpecGroup {
  workload: OwningWorkload;
  pods: Pod[];
  containers: ContainerSpec[];
  fromTemplate: boolean;
}

/** A container name with what is missing on it, the specs that show the gaps and the usage PodMetrics show. */
interface ContainerGaps {
  name: string;
  init: boolean;
  gaps: Gap[];
  specs: ContainerSpec[];
  memoryUsage?: ObservedUsage;
  cpuUsage?: ObservedUsage;
  /** Values suggested from the usage, only for the missing fields. */
  suggested: { limits: Record<string, string>; requests: Record<string, string> };
}

const MEMORY_STEP = 64 * MEBIBYTE;
const CPU_STEP_MILLICORES = 10;

export const workloadMissingResources: Check = {
  meta: {
    id: 'workload-missing-resources',
    title: 'Containers without memory limits or requests',
    severity: 'low',
    category: 'resources',
    description:
      "Tests whether any container or init container of a workload has no memory limit, no memory request or no CPU request, reading the workload's pods and, for a workload without pods in the snapshot, its pod template.",
    reads: ['Pod', 'PodMetrics', 'ReplicaSet', 'Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob'],
    requires: [],
    requiresAny: [POD_SOURCE_KINDS],
    references: [
      'https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/',
      'https://kubernetes.io/docs/tasks/configure-pod-container/quality-service-pod/',
    ],
    limitations: [
      'A request left unset next to a limit counts as set, because Kubernetes copies the limit into the request.',
      'A missing CPU limit is not reported: a CPU limit throttles the container even when the node has idle CPU, so leaving it unset is a valid choice.',
      'Defaults from a LimitRange appear only in pods, so a workload whose pods are not in the snapshot may be reported although its pods would get values.',
      'Suggested values come from one PodMetrics sample, not from peak usage, and are offered only when PodMetrics are in the snapshot.',
    ],
  },

  run(context) {
    const findings: FindingDraft[] = [];
    for (const group of specGroups(context.inventory)) {
      const gaps = containerGaps(context.inventory, group);
      if (gaps.length === 0) continue;
      findings.push(gapFinding(group, gaps));
    }
    return { findings };
  },
};

/**
 * Lists every workload once: from its pods when the snapshot has any, else from the pod template of its
 * top workload object (a Deployment rather than its ReplicaSets, a CronJob rather than its Jobs).
 */
function specGroups(inventory: Inventory): SpecGroup[] {
  const groups: SpecGroup[] = [];
  const seen = new Set<string>();
  for (const group of groupPodsByWorkload(inventory)) {
    seen.add(workloadKey(group.workload));
    const containers = group.pods.flatMap((pod) =>
      containerViews(pod).flatMap((view) => (view.spec && view.specSource ? [{ name: view.name, init: view.init, spec: view.spec, source: view.specSource, from: `pod ${podLabel(pod)}` }] : [])),
    );
    groups.push({ workload: group.workload, pods: group.pods, containers, fromTemplate: false });
  }

  const { deployments, statefulSets, daemonSets, cronJobs, jobs, replicaSets } = inventory.data;
  const objects: Array<Workload | CronJob> = [...deployments, ...statefulSets, ...daemonSets, ...cronJobs, ...jobs, ...replicaSets];
  for (const object of objects) {
    const workload = inventory.workloadOwner(object);
    const key = workloadKey(workload);
    if (seen.has(key)) continue;
    seen.add(key);
    const template = podTemplateOf(object);
    const containers = [
      ...template.spec.containers.map((spec, index) => ({ name: spec.name, init: false, spec, source: childSource(template.source, 'containers', index), from: 'pod template' })),
      ...template.spec.initContainers.map((spec, index) => ({ name: spec.name, init: true, spec, source: childSource(template.source, 'initContainers', index), from: 'pod template' })),
    ];
    groups.push({ workload, pods: [], containers, fromTemplate: true });
  }
  return groups;
}

/** Lists the gaps of a container spec. A request left unset next to a limit is not a gap, because Kubernetes copies the limit. */
function gapsOf(spec: SafeContainer): Gap[] {
  const limits = spec.resources?.limits ?? {};
  const requests = spec.resources?.requests ?? {};
  const gaps: Gap[] = [];
  if (limits.memory === undefined) gaps.push('memory limit');
  if (requests.memory === undefined && limits.memory === undefined) gaps.push('memory request');
  if (requests.cpu === undefined && limits.cpu === undefined) gaps.push('CPU request');
  return gaps;
}

function containerGaps(inventory: Inventory, group: SpecGroup): ContainerGaps[] {
  const byName = new Map<string, ContainerGaps>();
  for (const container of group.containers) {
    const gaps = gapsOf(container.spec);
    if (gaps.length === 0) continue;
    const key = `${container.init ? 'init' : 'app'}/${container.name}`;
    let entry = byName.get(key);
    if (!entry) {
      entry = { name: container.name, init: container.init, gaps: [], specs: [], suggested: { limits: {}, requests: {} } };
      byName.set(key, entry);
    }
    // Pods of one workload can run different revisions: a gap in any of them is reported.
    entry.gaps = GAP_ORDER.filter((gap) => entry.gaps.includes(gap) || gaps.includes(gap));
    entry.specs.push(container);
  }
  for (const entry of byName.values()) {
    const memoryUsage = maxObservedUsage(inventory, group.pods, entry.name, 'memory');
    const cpuUsage = maxObservedUsage(inventory, group.pods, entry.name, 'cpu');
    if (memoryUsage) entry.memoryUsage = memoryUsage;
    if (cpuUsage) entry.cpuUsage = cpuUsage;
    suggest(entry);
  }
  return [...byName.values()].sort((a, b) => Number(a.init) - Number(b.init) || compareText(a.name, b.name));
}

/**
 * Suggests values for the missing fields from observed usage. Memory is 1.5 × the higher of the usage and
 * the current request, rounded up to a multiple of 64Mi, with the request equal to the limit. The CPU
 * request is 1.5 × the usage, rounded up to a multiple of 10m.
 */
function suggest(entry: ContainerGaps): void {
  if (entry.memoryUsage && (entry.gaps.includes('memory limit') || entry.gaps.includes('memory request'))) {
    const requested = Math.max(0, ...entry.specs.map((container) => parseQuantity(container.spec.resources?.requests?.memory) ?? 0));
    const memory = formatMemory(roundUpBytes(1.5 * Math.max(entry.memoryUsage.value, requested), MEMORY_STEP));
    if (entry.gaps.includes('memory limit')) entry.suggested.limits.memory = memory;
    if (entry.gaps.includes('memory request')) entry.suggested.requests.memory = memory;
  }
  if (entry.cpuUsage && entry.gaps.includes('CPU request')) {
    entry.suggested.requests.cpu = formatCpu(roundUpCores(1.5 * entry.cpuUsage.value, CPU_STEP_MILLICORES));
  }
}

function gapFinding(group: SpecGroup, entries: ContainerGaps[]): FindingDraft {
  const label = workloadLabel(group.workload);
  const gaps = GAP_ORDER.filter((gap) => entries.some((entry) => entry.gaps.includes(gap)));
  const names = entries.map((entry) => entry.name);
  const shown = names.length > 3 ? [...names.slice(0, 3), `${names.length - 3} more`] : names;
  const fix = fixFor(group, entries);

  return {
    severity: 'low',
    title: `${label}: no ${joinNames(gaps, 'or')} on ${names.length === 1 ? 'container' : 'containers'} ${joinNames(shown)}`,
    resources: [workloadResource(group.workload)],
    problem: problem(group, entries),
    risk: gaps.map((gap) => RISKS[gap]).join(' '),
    recommendation: recommendation(entries, fix !== undefined),
    evidence: evidence(entries),
    ...(fix ? { fixes: [fix] } : {}),
  };
}

const RISKS: Record<Gap, string> = {
  'memory limit': 'Without a memory limit a container can take all the memory of its node, and the kernel then kills processes of other pods as well.',
  'memory request':
    'Without a memory request the scheduler reserves no memory for the container, so its node can be overcommitted, and under memory pressure the kubelet evicts pods that use more than they requested first.',
  'CPU request': 'Without a CPU request the container gets the smallest CPU share when its node is busy, and the scheduler does not count its CPU use.',
};

function problem(group: SpecGroup, entries: ContainerGaps[]): string {
  const sentences = entries.map((entry) => `${capitalise(describeContainer(entry))} has no ${joinNames(entry.gaps, 'or')}.`);
  if (group.fromTemplate) sentences.push('The snapshot has no pods for this workload, so the pod template was read.');
  // All three gaps on every container means no CPU or memory request or limit anywhere in the pod.
  const bestEffort = group.containers.length > 0 && group.containers.every((container) => gapsOf(container.spec).length === GAP_ORDER.length);
  if (bestEffort) sentences.push('No container sets any request or limit, so the pods have the BestEffort QoS class and are the first to be evicted when the node runs short of memory.');
  return sentences.join(' ');
}

function recommendation(entries: ContainerGaps[], hasFix: boolean): string {
  const sentences: string[] = [];
  for (const entry of entries) {
    const fields = entry.gaps.map((gap) => FIELD_NAMES[gap]);
    sentences.push(`Set ${joinNames(fields)} on ${describeContainer(entry)} from its measured peak usage.`);
  }
  if (hasFix) {
    sentences.push(
      'The values in the fix are a suggestion from one PodMetrics sample (memory 1.5 × the observed usage or the current request, whichever is higher, rounded up to 64Mi; CPU 1.5 × the observed usage, rounded up to 10m): check them against peak usage before applying.',
    );
  }
  return sentences.join(' ');
}

const FIELD_NAMES: Record<Gap, string> = {
  'memory limit': '`resources.limits.memory`',
  'memory request': '`resources.requests.memory`',
  'CPU request': '`resources.requests.cpu`',
};

function fixFor(group: SpecGroup, entries: ContainerGaps[]): SetContainerResourcesFix | undefined {
  if (!PATCHABLE_KINDS.has(group.workload.kind)) return undefined;
  const containers = entries.flatMap((entry) => {
    const { limits, requests } = entry.suggested;
    if (Object.keys(limits).length === 0 && Object.keys(requests).length === 0) return [];
    return [
      {
        name: entry.name,
        ...(entry.init ? { init: true } : {}),
        ...(Object.keys(limits).length > 0 ? { limits } : {}),
        ...(Object.keys(requests).length > 0 ? { requests } : {}),
      },
    ];
  });
  if (containers.length === 0) return undefined;
  const helmRelease = helmReleaseOf(group.workload);
  return {
    type: 'set-container-resources',
    workload: workloadResource(group.workload) as SetContainerResourcesFix['workload'],
    containers,
    ...(helmRelease ? { helmRelease } : {}),
    rationale:
      'Suggested from one PodMetrics sample, not a peak: memory 1.5 × the observed usage or the current request, whichever is higher, rounded up to a multiple of 64Mi with the request equal to the limit, and CPU request 1.5 × the observed usage rounded up to a multiple of 10m.',
  };
}

function evidence(entries: ContainerGaps[]): Evidence[] {
  const facts: Evidence[] = [];
  for (const entry of entries) {
    const first = entry.specs[0]!;
    const others = entry.specs.length > 1 ? ` (and ${plural(entry.specs.length - 1, 'more pod')})` : '';
    facts.push({ fact: `${capitalise(describeContainer(entry))} in the ${first.from}${others} has no ${joinNames(entry.gaps, 'or')}.`, source: first.source });
    const usage = [
      entry.memoryUsage ? `${describeMemory(entry.memoryUsage.value)} of memory` : '',
      entry.cpuUsage ? `${formatCpu(entry.cpuUsage.value)} of CPU` : '',
    ].filter(Boolean);
    const sample = entry.memoryUsage ?? entry.cpuUsage;
    if (sample) {
      const when = sample.timestamp ? ` at ${sample.timestamp}` : '';
      facts.push({ fact: `PodMetrics show ${describeContainer(entry)} using up to ${joinNames(usage)}${when}.`, source: sample.source });
    }
  }
  return facts;
}
