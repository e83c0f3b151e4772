import type { Inventory } from '../../inventory/inventory.js';
import { childSource, type SourceRef } from '../../inventory/source.js';
import type { Check, CheckContext, Evidence, FindingDraft, SetContainerResourcesFix } from '../types.js';
import {
  MAX_EVIDENCE_ITEMS,
  capitalise,
  PATCHABLE_KINDS,
  containerViews,
  describeContainer,
  describeRange,
  describeTermination,
  describeWhen,
  groupPodsByWorkload,
  helmReleaseOf,
  joinNames,
  plural,
  podLabel,
  terminationsOf,
  timingOf,
  workloadLabel,
  workloadResource,
  type ContainerView,
  type PodGroup,
  type Termination,
  type Timing,
} from './containers.js';
import { MEBIBYTE, describeMemory, formatMemory, parseQuantity, roundUpBytes } from './quantity.js';
import { maxObservedUsage, type ObservedUsage } from './usage.js';
import { compareText } from '../../compare.js';

/** One container of one pod whose current or previous run ended with OOMKilled. */
interface OomEntry {
  view: ContainerView;
  termination: Termination;
  timing: Timing;
}

/** A memory quantity from a container spec, with its text as written and where it was read. */
interface SpecQuantity {
  bytes: number;
  text: string;
  source: SourceRef;
}

/** The OOM-killed containers of one workload that share a container name, with the memory facts about them. */
interface OomSummary {
  name: string;
  init: boolean;
  entries: OomEntry[];
  limit?: SpecQuantity;
  request?: SpecQuantity;
  usage?: ObservedUsage;
  /** The memory limit and request to set, with the rule that produced it. Absent when the container has no limit. */
  recommended?: { bytes: number; rule: string };
}

const LIMIT_STEP = 64 * MEBIBYTE;

export const workloadOomKilled: Check = {
  meta: {
    id: 'workload-oom-killed',
    title: 'Containers killed for exceeding their memory',
    severity: 'medium',
    category: 'stability',
    description:
      'Tests whether a container or init container of a workload has a current or previous termination with reason OOMKilled that ended within stability.recentHours (default 168) of the snapshot time or at a time the pod status does not record.',
    reads: ['Pod', 'PodMetrics', 'ReplicaSet', 'Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob'],
    requires: ['Pod'],
    references: [
      'https://kubernetes.io/docs/concepts/configuration/manage-resources-containers/',
      'https://kubernetes.io/docs/tasks/configure-pod-container/assign-memory-resource/',
    ],
    limitations: [
      'A container status keeps only its current and previous state, so OOM kills before the last restart are not counted.',
      'PodMetrics hold one sample from metrics-server, not the peak before the kill, so the recommended limit is a starting point to check against monitoring.',
      'Without PodMetrics the recommendation doubles the current limit, which may be more or less than the container needs.',
      'A container without a memory limit gets no recommended value, because one usage sample is no basis for a limit.',
    ],
  },

  run(context) {
    const findings: FindingDraft[] = [];
    for (const group of groupPodsByWorkload(context.inventory)) {
      const entries = group.pods.flatMap((pod) => containerViews(pod).flatMap((view) => oomEntry(view, context) ?? []));
      if (entries.length === 0) continue;
      findings.push(oomFinding(group, entries, context));
    }
    return { findings };
  },
};

/** Returns the container's latest OOMKilled termination when it is recent or undated. */
function oomEntry(view: ContainerView, context: CheckContext): OomEntry | undefined {
  // With restartPolicy Never or OnFailure the kill can be in `state` and restartCount stays 0.
  const termination = terminationsOf(view).find((candidate) => candidate.reason === 'OOMKilled');
  if (!termination) return undefined;
  const timing = timingOf(termination.finishedAt, context);
  if (timing.recency === 'old') return undefined;
  return { view, termination, timing };
}

function oomFinding(group: PodGroup, entries: OomEntry[], context: CheckContext): FindingDraft {
  const label = workloadLabel(group.workload);
  const summaries = summarise(context.inventory, group, entries);
  const pods = new Set(entries.map((entry) => entry.view.pod));
  const names = summaries.map((summary) => summary.name);

  const single = summaries.length === 1 ? summaries[0] : undefined;
  let limitNote = '';
  if (single) limitNote = single.limit ? ` (memory limit ${single.limit.text})` : ' (no memory limit)';
  const where = group.workload.kind === 'Pod' ? '' : ` in ${plural(pods.size, 'pod')}`;
  const fix = fixFor(group, summaries);

  return {
    severity: 'medium',
    title: `${label}: ${names.length === 1 ? 'container' : 'containers'} ${joinNames(names)} OOMKilled${where}${limitNote}`,
    resources: [workloadResource(group.workload)],
    problem: summaries.map((summary) => describeSummary(summary, group.workload.kind === 'Pod')).join(' '),
    risk:
      'The kernel ends an OOM-killed container at once, without a graceful shutdown: the work in progress is lost, and repeated kills put the pod into CrashLoopBackOff.',
    recommendation: summaries.map(recommendationFor).join(' '),
    evidence: evidence(summaries),
    ...(fix ? { fixes: [fix] } : {}),
  };
}

function summarise(inventory: Inventory, group: PodGroup, entries: OomEntry[]): OomSummary[] {
  const byName = new Map<string, OomSummary>();
  for (const entry of entries) {
    const key = `${entry.view.init ? 'init' : 'app'}/${entry.view.name}`;
    let summary = byName.get(key);
    if (!summary) {
      summary = { name: entry.view.name, init: entry.view.init, entries: [] };
      byName.set(key, summary);
    }
    summary.entries.push(entry);
    // Pods of one workload can run different revisions: the highest limit and request are kept.
    summary.limit = higher(summary.limit, specQuantity(entry.view, 'limits'));
    summary.request = higher(summary.request, specQuantity(entry.view, 'requests'));
  }
  for (const summary of byName.values()) {
    summary.entries.sort((a, b) => (a.timing.ageMs ?? Infinity) - (b.timing.ageMs ?? Infinity));
    const usage = maxObservedUsage(inventory, group.pods, summary.name, 'memory');
    if (usage) summary.usage = usage;
    const recommended = recommendLimit(summary);
    if (recommended) summary.recommended = recommended;
  }
  return [...byName.values()].sort((a, b) => compareText(a.name, b.name));
}

/**
 * Computes the memory limit to set. With PodMetrics: 1.5 × the higher of the current limit and the observed
 * usage, because usage sampled after a restart is often below the amount that was killed. Without them:
 * 2 × the current limit. Both are rounded up to a multiple of 64Mi.
 */
function recommendLimit(summary: OomSummary): { bytes: number; rule: string } | undefined {
  const limit = summary.limit;
  const usage = summary.usage;
  if (!limit) return undefined;
  if (usage) {
    const bytes = roundUpBytes(1.5 * Math.max(limit.bytes, usage.value), LIMIT_STEP);
    return {
      bytes,
      rule: `1.5 × the higher of the current limit of ${limit.text} and the highest usage in PodMetrics of ${describeMemory(usage.value)}, rounded up to a multiple of 64Mi`,
    };
  }
  return { bytes: roundUpBytes(2 * limit.bytes, LIMIT_STEP), rule: `2 × the current limit of ${limit.text}, rounded up to a multiple of 64Mi, because the snapshot has no PodMetrics for these pods` };
}

/** Describes one container's OOM kills; `barePod` leaves out pod counts, which are always 1 for a bare pod. */
function describeSummary(summary: OomSummary, barePod: boolean): string {
  const sentences: string[] = [];
  const who = capitalise(describeContainer(summary));
  const latest = summary.entries[0]!;
  sentences.push(
    `${who} ended with ${describeTermination(latest.termination)}${barePod ? '' : ` in ${plural(summary.entries.length, 'pod')}`}, most recently ${describeWhen(latest.timing)}.`,
  );

  if (summary.limit) {
    const request = summary.request ? ` and its memory request ${summary.request.text}` : '';
    sentences.push(`Its memory limit is ${summary.limit.text}${request}.`);
  } else {
    sentences.push('It has no memory limit, so the kill came from its node running out of memory.');
  }
  if (summary.usage) {
    const when = summary.usage.timestamp ? ` at ${summary.usage.timestamp}` : '';
    sentences.push(`PodMetrics show up to ${describeMemory(summary.usage.value)} in use${when}.`);
  }

  const restarts = summary.entries.map((entry) => entry.view.status?.restartCount ?? 0);
  if (restarts.some((count) => count > 0)) sentences.push(`It has restarted ${describeRange(restarts)} times.`);
  const stopped = summary.entries.filter((entry) => entry.termination.field === 'state').length;
  if (stopped > 0) sentences.push(`It is still terminated${barePod ? '' : ` in ${plural(stopped, 'pod')}`}.`);
  return sentences.join(' ');
}

function recommendationFor(summary: OomSummary): string {
  const who = describeContainer(summary);
  if (summary.recommended) {
    const value = formatMemory(summary.recommended.bytes);
    return (
      `Raise the memory limit of ${who} to ${value} (${summary.recommended.rule}) and set its memory request to the same value, so that the scheduler reserves that memory on the node. ` +
      'If usage keeps growing after that, look for a leak or an unbounded cache instead.'
    );
  }
  return (
    `Measure the peak memory use of ${who} over several days and set its memory request and limit to that peak with headroom. ` +
    'The snapshot holds at most one usage sample, which is no basis for a limit.'
  );
}

function fixFor(group: PodGroup, summaries: OomSummary[]): SetContainerResourcesFix | undefined {
  if (!PATCHABLE_KINDS.has(group.workload.kind)) return undefined;
  const sized = summaries.filter((summary) => summary.recommended);
  if (sized.length === 0) return undefined;
  const helmRelease = helmReleaseOf(group.workload);
  return {
    type: 'set-container-resources',
    workload: workloadResource(group.workload) as SetContainerResourcesFix['workload'],
    containers: sized.map((summary) => {
      const value = formatMemory(summary.recommended!.bytes);
      return { name: summary.name, ...(summary.init ? { init: true } : {}), limits: { memory: value }, requests: { memory: value } };
    }),
    ...(helmRelease ? { helmRelease } : {}),
    rationale: `Memory limit from ${joinNames(sized.map((summary) => `${summary.recommended!.rule} for ${describeContainer(summary)}`))}; the request is set equal to the limit.`,
  };
}

function evidence(summaries: OomSummary[]): Evidence[] {
  const facts: Evidence[] = [];
  const entries = summaries.flatMap((summary) => summary.entries);
  for (const entry of entries.slice(0, MAX_EVIDENCE_ITEMS)) {
    const who = `${capitalise(describeContainer(entry.view))} of pod ${podLabel(entry.view.pod)}`;
    facts.push({ fact: `${who} ended with ${describeTermination(entry.termination)}, ${describeWhen(entry.timing)}.`, source: entry.termination.source });
    const restartCount = entry.view.status?.restartCount ?? 0;
    if (restartCount > 0 && entry.view.statusSource) {
      facts.push({ fact: `${who} restarted ${restartCount} times.`, source: childSource(entry.view.statusSource, 'restartCount') });
    }
  }
  if (entries.length > MAX_EVIDENCE_ITEMS) facts.push({ fact: `Not listed here: ${plural(entries.length - MAX_EVIDENCE_ITEMS, 'more OOM-killed container')}.` });

  for (const summary of summaries) {
    const who = capitalise(describeContainer(summary));
    if (summary.limit) facts.push({ fact: `${who} has a memory limit of ${summary.limit.text}.`, source: summary.limit.source });
    if (summary.request) facts.push({ fact: `${who} has a memory request of ${summary.request.text}.`, source: summary.request.source });
    if (summary.usage) {
      const when = summary.usage.timestamp ? ` at ${summary.usage.timestamp}` : '';
      facts.push({ fact: `PodMetrics of pod ${podLabel(summary.usage.pod)} show ${describeMemory(summary.usage.value)} in use by ${describeContainer(summary)}${when}.`, source: summary.usage.source });
    }
  }
  return facts;
}

function specQuantity(view: ContainerView, field: 'limits' | 'requests'): SpecQuantity | undefined {
  const value = view.spec?.resources?.[field]?.memory;
  const bytes = parseQuantity(value);
  if (value === undefined || bytes === undefined || !view.specSource) return undefined;
  return { bytes, text: String(value), source: childSource(view.specSource, 'resources', field, 'memory') };
}

function higher(current: SpecQuantity | undefined, candidate: SpecQuantity | undefined): SpecQuantity | undefined {
  if (!candidate) return current;
  if (!current || candidate.bytes > current.bytes) return candidate;
  return current;
}
