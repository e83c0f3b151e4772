import type { Pod } from '../../inventory/model.js';
import { childSource } from '../../inventory/source.js';
import type { Check, CheckContext, Evidence, FindingDraft } from '../types.js';
import {
  MAX_EVIDENCE_ITEMS,
  capitalise,
  containerViews,
  describeAge,
  describeContainer,
  describeRange,
  describeTermination,
  describeWhen,
  groupPodsByWorkload,
  joinNames,
  plural,
  podLabel,
  restartingContainer,
  workloadLabel,
  workloadResource,
  type PodGroup,
  type RestartingContainer,
} from './containers.js';
import { probeEventsOf, probeSmells, sumCounts, type ProbeEvent, type ProbeSmell } from './probes.js';
import { compareText } from '../../compare.js';

/** The restarting containers of one workload that share a container name, with the probe Events of their pods. */
interface ContainerSummary {
  name: string;
  init: boolean;
  entries: RestartingContainer[];
  /** Liveness and startup probe Events of these containers, recent or undated. */
  probeEvents: ProbeEvent[];
  smells: ProbeSmell[];
}

export const workloadRestarts: Check = {
  meta: {
    id: 'workload-restarts',
    title: 'Containers that restart repeatedly',
    severity: 'medium',
    category: 'stability',
    description:
      'Tests whether a container or init container of a workload has restarted at least stability.minRestarts times (default 5) and either restarted last within stability.recentHours (default 168) of the snapshot time or at a time the pod status does not record, or is waiting in CrashLoopBackOff.',
    reads: ['Pod', 'Event', 'ReplicaSet', 'Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob'],
    requires: ['Pod'],
    references: [
      'https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#restart-policy',
      'https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/',
    ],
    limitations: [
      'A container status keeps only its last termination, so the cause named is that of the last restart. Earlier restarts may have had other causes.',
      'The API server keeps Events for one hour by default (kube-apiserver --event-ttl), so liveness failures older than that are not seen and the cause falls back to the exit code.',
      'A container whose last run ended with OOMKilled is reported by workload-oom-killed instead, so that no restart is reported twice.',
      'Only pods present in the snapshot are counted: restarts of pods that were already replaced are not seen.',
    ],
  },

  run(context) {
    const findings: FindingDraft[] = [];
    for (const group of groupPodsByWorkload(context.inventory)) {
      const restarting = group.pods.flatMap((pod) => containerViews(pod).flatMap((view) => restartingContainer(view, context) ?? []));
      if (restarting.length === 0) continue;
      findings.push(restartFinding(group, restarting, context));
    }
    return { findings };
  },
};

function restartFinding(group: PodGroup, restarting: RestartingContainer[], context: CheckContext): FindingDraft {
  const { highRestarts } = context.config.stability;
  const label = workloadLabel(group.workload);
  const summaries = summarise(restarting, context);

  const restartsByPod = new Map<Pod, number>();
  for (const entry of restarting) restartsByPod.set(entry.view.pod, (restartsByPod.get(entry.view.pod) ?? 0) + entry.restartCount);
  const crashLoopPods = new Set(restarting.filter((entry) => entry.crashLoopSource).map((entry) => entry.view.pod));
  const severe = restarting.some((entry) => entry.restartCount >= highRestarts || entry.crashLoopSource);

  return {
    severity: severe ? 'medium' : 'low',
    title: title(group, label, [...restartsByPod.values()], crashLoopPods.size),
    resources: [workloadResource(group.workload)],
    problem: summaries.map((summary) => describeSummary(summary, group.workload.kind === 'Pod')).join(' '),
    risk:
      'Each restart drops the work the container was doing and takes the pod out of its Services until it is ready again. In CrashLoopBackOff the kubelet waits up to 5 minutes before each new start.',
    recommendation: recommendation(summaries),
    evidence: evidence(summaries),
  };
}

function title(group: PodGroup, label: string, podRestarts: number[], crashLoopPods: number): string {
  if (group.workload.kind === 'Pod') {
    const total = podRestarts.reduce((sum, count) => sum + count, 0);
    return `${label}: restarted ${total} times${crashLoopPods > 0 ? ', in CrashLoopBackOff' : ''}`;
  }
  const crashLoop = crashLoopPods > 0 ? `, ${crashLoopPods} in CrashLoopBackOff` : '';
  return `${label}: ${plural(podRestarts.length, 'pod')} restarted ${describeRange(podRestarts)} times${crashLoop}`;
}

/** Groups the restarting containers by name and collects the probe Events that explain them. */
function summarise(restarting: RestartingContainer[], context: CheckContext): ContainerSummary[] {
  const byName = new Map<string, ContainerSummary>();
  for (const entry of restarting) {
    const key = `${entry.view.init ? 'init' : 'app'}/${entry.view.name}`;
    let summary = byName.get(key);
    if (!summary) {
      const spec = entry.view.spec;
      summary = { name: entry.view.name, init: entry.view.init, entries: [], probeEvents: [], smells: spec ? probeSmells(spec, context.config) : [] };
      byName.set(key, summary);
    }
    summary.entries.push(entry);

    const pod = entry.view.pod;
    const onlyContainer = pod.spec.containers.length + pod.spec.initContainers.length === 1;
    for (const probeEvent of probeEventsOf(context.inventory, pod, context)) {
      if (probeEvent.probe === 'readiness') continue;
      // An Event without a container name can only be placed when the pod has a single container.
      const matches = probeEvent.container === undefined ? onlyContainer : probeEvent.container === entry.view.name;
      if (matches) summary.probeEvents.push(probeEvent);
    }
  }
  for (const summary of byName.values()) summary.entries.sort((a, b) => b.restartCount - a.restartCount);
  return [...byName.values()].sort((a, b) => b.entries[0]!.restartCount - a.entries[0]!.restartCount || compareText(a.name, b.name));
}

/** Describes one container's restarts; `barePod` leaves out pod counts, which are always 1 for a bare pod. */
function describeSummary(summary: ContainerSummary, barePod: boolean): string {
  const sentences: string[] = [];
  const who = capitalise(describeContainer(summary));
  const counts = summary.entries.map((entry) => entry.restartCount);
  const ages = summary.entries.flatMap((entry) => (entry.lastRestart.ageMs === undefined ? [] : [entry.lastRestart.ageMs]));
  const latest = ages.length > 0 ? `, most recently ${describeAge(Math.min(...ages))} before the snapshot` : '';
  const probeCauses = probeCausesOf(summary);
  const because = probeCauses.length > 0 ? `, because ${joinNames(probeCauses)}` : '';
  const where = barePod ? '' : ` in ${plural(summary.entries.length, 'pod')}`;
  sentences.push(`${who} restarted ${describeRange(counts)} times${where}${latest}${because}.`);
  sentences.push(`${capitalise(describeEndings(summary.entries))}.`);

  const undated = summary.entries.filter((entry) => entry.lastRestart.recency === 'unknown').length;
  if (undated > 0) {
    const scope = barePod ? 'The' : `In ${plural(undated, 'pod')} the`;
    sentences.push(`${scope} status records neither when its last run ended nor when its current run started, so those restarts may be old.`);
  }
  const crashLooping = summary.entries.filter((entry) => entry.crashLoopSource).length;
  if (crashLooping > 0) sentences.push(`It is waiting in CrashLoopBackOff${barePod ? '' : ` in ${plural(crashLooping, 'pod')}`}.`);
  if (summary.smells.length > 0 && probesMayExplain(summary)) {
    sentences.push('Probe settings can explain the restarts.', ...summary.smells.map((smell) => `${capitalise(smell.sentence)}.`));
  }
  return sentences.join(' ');
}

/** Names the failing probes that Events show for the container, as clauses such as `the liveness probe fails (…)`. */
function probeCausesOf(summary: ContainerSummary): string[] {
  const causes: string[] = [];
  for (const probe of ['liveness', 'startup'] as const) {
    const events = summary.probeEvents.filter((probeEvent) => probeEvent.probe === probe);
    if (events.length === 0) continue;
    const failures = sumCounts(events.filter((probeEvent) => probeEvent.action === 'failed'));
    const kills = sumCounts(events.filter((probeEvent) => probeEvent.action === 'killed'));
    const counted = [failures > 0 ? plural(failures, 'failed probe') : '', kills > 0 ? `${plural(kills, 'restart')} by the kubelet` : ''].filter(Boolean);
    causes.push(`the ${probe} probe fails (${joinNames(counted)} in the Events)`);
  }
  return causes;
}

/** Describes how the last runs ended: `its last run ended with Error (exit code 1) in 2 pods and …`. */
function describeEndings(entries: RestartingContainer[]): string {
  const counts = new Map<string, number>();
  let unrecorded = 0;
  for (const entry of entries) {
    if (!entry.termination) {
      unrecorded += 1;
      continue;
    }
    const ending = describeTermination(entry.termination);
    counts.set(ending, (counts.get(ending) ?? 0) + 1);
  }
  if (counts.size === 0) return 'the snapshot does not record how its last run ended';
  const parts = [...counts.entries()].sort((a, b) => b[1] - a[1] || compareText(a[0], b[0]));
  if (parts.length === 1 && unrecorded === 0) return `its last run ended with ${parts[0]![0]}`;
  const described = parts.map(([ending, count]) => `${ending} in ${plural(count, 'pod')}`);
  if (unrecorded > 0) described.push(`an unrecorded way in ${plural(unrecorded, 'pod')}`);
  return `its last run ended with ${joinNames(described)}`;
}

/**
 * Tests whether probe settings can explain the restarts: when probe Events show failures, or the last run was
 * stopped from outside (exit code 0, 137 or 143, as after a liveness kill) or ended in an unrecorded way.
 * An application that exits on its own with another code is not explained by its probes.
 */
function probesMayExplain(summary: ContainerSummary): boolean {
  if (summary.probeEvents.length > 0) return true;
  return summary.entries.some((entry) => {
    const exitCode = entry.termination?.exitCode;
    return exitCode === undefined || exitCode === 0 || exitCode === 137 || exitCode === 143;
  });
}

function recommendation(summaries: ContainerSummary[]): string {
  const top = summaries[0]!;
  const pod = top.entries[0]!.view.pod;
  const namespace = pod.metadata.namespace ? `-n ${pod.metadata.namespace} ` : '';
  const describe = `\`kubectl ${namespace}describe pod ${pod.metadata.name}\``;
  const logs = `\`kubectl ${namespace}logs ${pod.metadata.name} -c ${top.name} --previous\``;
  const sentences: string[] = [];
  if (top.probeEvents.some((probeEvent) => probeEvent.probe === 'liveness' || probeEvent.probe === 'startup')) {
    sentences.push(
      `Find out why the probe fails: ${describe} shows the probe's recent failures and ${logs} the output of the run it ended.`,
      'If the application is slow rather than stuck, raise timeoutSeconds and failureThreshold or add a startupProbe.',
    );
  } else {
    sentences.push(`Read the output of the last run with ${logs} and fix what makes it exit. Running ${describe} shows the exit code and recent Events.`);
  }
  const smellIds = new Set(summaries.filter(probesMayExplain).flatMap((summary) => summary.smells.map((smell) => smell.id)));
  if (smellIds.has('single-timeout')) sentences.push('Allow the liveness probe more than one failed attempt (failureThreshold 3 or more) and a timeoutSeconds above the slowest normal response.');
  if (smellIds.has('no-startup-probe')) sentences.push('Add a startupProbe whose failureThreshold × periodSeconds covers the longest start time.');
  if (smellIds.has('same-as-readiness')) sentences.push('Point the liveness probe at a check that fails only when the process must be restarted, not when a dependency is down.');
  return sentences.join(' ');
}

function evidence(summaries: ContainerSummary[]): Evidence[] {
  const facts: Evidence[] = [];
  const entries = summaries.flatMap((summary) => summary.entries).sort((a, b) => b.restartCount - a.restartCount);
  for (const entry of entries.slice(0, MAX_EVIDENCE_ITEMS)) {
    const who = `${capitalise(describeContainer(entry.view))} of pod ${podLabel(entry.view.pod)}`;
    facts.push({ fact: `${who} restarted ${entry.restartCount} times.`, source: entry.restartCountSource });
    if (entry.termination) {
      // lastRestart is the termination's end time when it is recorded, else the current run's start.
      const when = entry.termination.finishedAt ? describeWhen(entry.lastRestart) : 'at a time the snapshot does not record';
      facts.push({ fact: `${who} last ended with ${describeTermination(entry.termination)}, ${when}.`, source: entry.termination.source });
    } else if (entry.lastRestart.recency === 'unknown') {
      facts.push({ fact: `${who} has no record of when its last run ended or its current run started.`, ...(entry.view.statusSource ? { source: entry.view.statusSource } : {}) });
    }
    if (entry.crashLoopSource) facts.push({ fact: `${who} is waiting in CrashLoopBackOff.`, source: entry.crashLoopSource });
  }
  if (entries.length > MAX_EVIDENCE_ITEMS) facts.push({ fact: `Not listed here: ${plural(entries.length - MAX_EVIDENCE_ITEMS, 'more restarting container')}.` });

  const probeEvents = summaries.flatMap((summary) => summary.probeEvents).sort((a, b) => b.event.count - a.event.count);
  for (const probeEvent of probeEvents.slice(0, MAX_EVIDENCE_ITEMS)) {
    const event = probeEvent.event;
    const container = probeEvent.container ? `container ${probeEvent.container}` : 'the container';
    const what =
      probeEvent.action === 'failed'
        ? `the ${probeEvent.probe} probe of ${container} in pod ${event.involvedName} failed`
        : `the kubelet restarted ${container} in pod ${event.involvedName} after failed ${probeEvent.probe} probes`;
    facts.push({
      fact: `Event ${event.name} (${event.reason}): ${what}, ${plural(event.count, 'time')}, last ${describeWhen(probeEvent.timing)}.`,
      source: probeEvent.event.source,
    });
  }
  if (probeEvents.length > MAX_EVIDENCE_ITEMS) facts.push({ fact: `Not listed here: ${plural(probeEvents.length - MAX_EVIDENCE_ITEMS, 'more probe Event')}.` });

  for (const summary of summaries) {
    const withSpec = summary.entries.find((entry) => entry.view.specSource);
    if (!withSpec?.view.specSource || summary.smells.length === 0 || !probesMayExplain(summary)) continue;
    const who = `${describeContainer(summary)} of pod ${podLabel(withSpec.view.pod)}`;
    for (const smell of summary.smells) {
      facts.push({ fact: `In ${who}, ${smell.sentence}.`, source: childSource(withSpec.view.specSource, 'livenessProbe') });
    }
  }
  return facts;
}
