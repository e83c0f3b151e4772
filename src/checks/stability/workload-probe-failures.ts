import type { Pod } from '../../inventory/model.js';
import type { Probe } from '../../inventory/schemas/kubernetes.js';
import { childSource, type SourceRef } from '../../inventory/source.js';
import type { Check, CheckContext, Evidence, FindingDraft } from '../types.js';
import {
  MAX_EVIDENCE_ITEMS,
  containerViews,
  describeAge,
  describeWhen,
  groupPodsByWorkload,
  joinNames,
  plural,
  podLabel,
  restartingContainer,
  timingOf,
  workloadLabel,
  workloadResource,
  type PodGroup,
} from './containers.js';
import { describeFailureKinds, describeProbeCheck, describeTimings, parseProbeEvent, probeEventsOf, sumCounts, type ProbeEvent, type ProbeKind } from './probes.js';
import { compareText } from '../../compare.js';

/** The failures of one probe of one container name across a workload's pods. */
interface ProbeSummary {
  probe: ProbeKind;
  container?: string;
  events: ProbeEvent[];
  /** The probe as the first pod with this container defines it. */
  spec?: { probe: Probe; pod: Pod; source: SourceRef };
}

const PROBE_ORDER: ProbeKind[] = ['readiness', 'startup', 'liveness'];
const PROBE_FIELDS = { liveness: 'livenessProbe', readiness: 'readinessProbe', startup: 'startupProbe' } as const;

export const workloadProbeFailures: Check = {
  meta: {
    id: 'workload-probe-failures',
    title: 'Probes that fail often',
    severity: 'low',
    category: 'stability',
    description:
      "Tests whether the kubelet's Unhealthy Events for a workload's pods within stability.recentHours (default 168) of the snapshot time count at least stability.minProbeFailures (default 10) failed readiness, startup or liveness probes, leaving out liveness and startup failures of containers that workload-restarts reports.",
    reads: ['Pod', 'Event', 'ReplicaSet', 'Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob'],
    requires: ['Pod', 'Event'],
    references: [
      'https://kubernetes.io/docs/tasks/configure-pod-container/configure-liveness-readiness-startup-probes/',
      'https://kubernetes.io/docs/concepts/workloads/pods/pod-lifecycle/#container-probes',
    ],
    limitations: [
      'The API server keeps Events for one hour by default (kube-apiserver --event-ttl), so the count covers that retention, not the whole recentHours window.',
      'Events of pods that are no longer in the snapshot cannot be placed in a workload and are only counted in the coverage notes.',
      'Failure messages are sorted into kinds (HTTP status, timeout, connection refused) and never quoted, because an exec probe message carries the command output.',
    ],
  },

  run(context) {
    const findings: FindingDraft[] = [];
    for (const group of groupPodsByWorkload(context.inventory)) {
      const events = group.pods.flatMap((pod) => reportableFailures(pod, context));
      if (sumCounts(events) < context.config.stability.minProbeFailures) continue;
      findings.push(probeFinding(group, events));
    }
    const orphans = orphanFailureEvents(context);
    return { findings, ...(orphans > 0 ? { notModelled: [`Not counted for any workload: ${plural(orphans, 'probe failure Event')} of pods that are not in the snapshot.`] } : {}) };
  },
};

/**
 * Selects the failed-probe Events of a pod that this check reports. Liveness and startup failures of a container
 * that workload-restarts counts are the cause of those restarts and are reported there.
 */
function reportableFailures(pod: Pod, context: CheckContext): ProbeEvent[] {
  const restarting = new Set(containerViews(pod).flatMap((view) => (restartingContainer(view, context) ? [view.name] : [])));
  return probeEventsOf(context.inventory, pod, context).filter((probeEvent) => {
    if (probeEvent.action !== 'failed') return false;
    if (probeEvent.probe === 'readiness') return true;
    return probeEvent.container === undefined ? restarting.size === 0 : !restarting.has(probeEvent.container);
  });
}

function probeFinding(group: PodGroup, events: ProbeEvent[]): FindingDraft {
  const label = workloadLabel(group.workload);
  const summaries = summarise(group, events);
  const kinds = PROBE_ORDER.filter((probe) => summaries.some((summary) => summary.probe === probe));
  const pods = new Set(events.map((probeEvent) => probeEvent.event.involvedName));
  const where = group.workload.kind === 'Pod' ? '' : ` in ${plural(pods.size, 'pod')}`;
  const subject = kinds.length === 1 ? `${kinds[0]} probe` : `${joinNames(kinds)} probes`;

  return {
    severity: 'low',
    title: `${label}: ${subject} failed ${sumCounts(events)} times${where}`,
    resources: [workloadResource(group.workload)],
    problem: summaries.map(describeSummary).join(' '),
    risk: risk(kinds),
    recommendation: recommendation(group, events),
    evidence: evidence(summaries, events),
  };
}

function summarise(group: PodGroup, events: ProbeEvent[]): ProbeSummary[] {
  const byKey = new Map<string, ProbeSummary>();
  for (const probeEvent of events) {
    const key = `${probeEvent.probe}/${probeEvent.container ?? ''}`;
    let summary = byKey.get(key);
    if (!summary) {
      summary = { probe: probeEvent.probe, ...(probeEvent.container ? { container: probeEvent.container } : {}), events: [] };
      const spec = probeSpec(group, probeEvent.probe, probeEvent.container);
      if (spec) summary.spec = spec;
      byKey.set(key, summary);
    }
    summary.events.push(probeEvent);
  }
  return [...byKey.values()].sort(
    (a, b) => PROBE_ORDER.indexOf(a.probe) - PROBE_ORDER.indexOf(b.probe) || sumCounts(b.events) - sumCounts(a.events) || compareText(a.container ?? '', b.container ?? ''),
  );
}

function probeSpec(group: PodGroup, probe: ProbeKind, container: string | undefined): ProbeSummary['spec'] {
  for (const pod of group.pods) {
    const views = containerViews(pod).filter((view) => view.spec && view.specSource);
    // An Event without a container name can only be placed when the pod has a single container.
    let view = views.find((candidate) => candidate.name === container);
    if (container === undefined && views.length === 1) view = views[0];
    const spec = view?.spec?.[PROBE_FIELDS[probe]];
    if (view?.specSource && spec) return { probe: spec, pod, source: childSource(view.specSource, PROBE_FIELDS[probe]) };
  }
  return undefined;
}

function describeSummary(summary: ProbeSummary): string {
  const sentences: string[] = [];
  const container = summary.container ? ` of container ${summary.container}` : '';
  const pods = new Set(summary.events.map((probeEvent) => probeEvent.event.involvedName));
  const kinds = describeFailureKinds(summary.events);
  const ages = summary.events.flatMap((probeEvent) => (probeEvent.timing.ageMs === undefined ? [] : [probeEvent.timing.ageMs]));
  const latest = ages.length > 0 ? `, most recently ${describeAge(Math.min(...ages))} before the snapshot` : '';
  sentences.push(`The ${summary.probe} probe${container} failed ${sumCounts(summary.events)} times in ${plural(pods.size, 'pod')}${kinds ? ` (${kinds})` : ''}${latest}.`);

  if (summary.spec) sentences.push(`It runs ${describeProbeCheck(summary.spec.probe)} with ${describeTimings(summary.spec.probe)}.`);
  const undated = summary.events.filter((probeEvent) => probeEvent.timing.recency === 'unknown').length;
  if (undated > 0) sentences.push(`${plural(undated, 'of these Events has', 'of these Events have')} no time, so those failures may be old.`);
  sentences.push(CONSEQUENCES[summary.probe]);
  return sentences.join(' ');
}

const CONSEQUENCES: Record<ProbeKind, string> = {
  readiness: 'While it fails, the pod is removed from the endpoints of its Services.',
  startup: 'Until it succeeds the liveness and readiness probes do not run, and after failureThreshold failures in a row the kubelet restarts the container.',
  liveness: 'The container has not restarted often enough for workload-restarts, but each run of failureThreshold failures in a row restarts it.',
};

function risk(kinds: ProbeKind[]): string {
  const parts: string[] = [];
  if (kinds.includes('readiness')) {
    parts.push('A pod that fails its readiness probe gets no traffic from its Services, and when every pod fails at once the Service has no endpoints and clients get errors.');
  }
  if (kinds.includes('startup') || kinds.includes('liveness')) {
    parts.push('Failing startup and liveness probes restart the container, which drops its work in progress.');
  }
  return parts.join(' ');
}

function recommendation(group: PodGroup, events: ProbeEvent[]): string {
  const top = [...events].sort((a, b) => b.event.count - a.event.count)[0]!;
  const namespace = top.event.involvedNamespace ? `-n ${top.event.involvedNamespace} ` : '';
  const sentences = [`Running \`kubectl ${namespace}describe pod ${top.event.involvedName}\` lists the recent probe failures of ${workloadLabel(group.workload)}.`];

  const failures = new Map<string, number>();
  for (const probeEvent of events) {
    const kind = probeEvent.failure?.startsWith('HTTP status') ? 'HTTP status' : probeEvent.failure ?? 'other failure';
    failures.set(kind, (failures.get(kind) ?? 0) + probeEvent.event.count);
  }
  const [mainFailure] = [...failures.entries()].sort((a, b) => b[1] - a[1])[0]!;
  if (mainFailure === 'timed out') {
    sentences.push('Most failures are timeouts: raise timeoutSeconds above the slowest normal response of the probed endpoint, or make the endpoint respond without waiting for its dependencies.');
  } else if (mainFailure === 'HTTP status') {
    sentences.push('Most failures are error responses: check what the endpoint reports as unhealthy and whether that condition should take the pod out of service.');
  } else if (mainFailure === 'connection refused') {
    sentences.push('Most failures are refused connections: check that the probe port is the port the application listens on and that the probe waits until the application has started.');
  } else {
    sentences.push('Make the probe test only what the container needs to serve, and give it a timeout above its slowest normal response.');
  }
  return sentences.join(' ');
}

function evidence(summaries: ProbeSummary[], events: ProbeEvent[]): Evidence[] {
  const facts: Evidence[] = [];
  const sorted = [...events].sort((a, b) => b.event.count - a.event.count);
  for (const probeEvent of sorted.slice(0, MAX_EVIDENCE_ITEMS)) {
    const event = probeEvent.event;
    const container = probeEvent.container ? `container ${probeEvent.container}` : 'the container';
    const failure = probeEvent.failure ? ` (${probeEvent.failure})` : '';
    facts.push({
      fact: `Event ${event.name} (${event.reason}): the ${probeEvent.probe} probe of ${container} in pod ${event.involvedName} failed ${plural(event.count, 'time')}${failure}, last ${describeWhen(probeEvent.timing)}.`,
      source: event.source,
    });
  }
  if (sorted.length > MAX_EVIDENCE_ITEMS) facts.push({ fact: `Not listed here: ${plural(sorted.length - MAX_EVIDENCE_ITEMS, 'more probe Event')}.` });

  for (const summary of summaries) {
    if (!summary.spec) continue;
    const container = summary.container ? `Container ${summary.container}` : 'The container';
    facts.push({
      fact: `${container} of pod ${podLabel(summary.spec.pod)} has a ${summary.probe} probe that runs ${describeProbeCheck(summary.spec.probe)} with ${describeTimings(summary.spec.probe)}.`,
      source: summary.spec.source,
    });
  }
  return facts;
}

/** Counts recent failed-probe Events whose pod is not in the snapshot. */
function orphanFailureEvents(context: CheckContext): number {
  const pods = new Set(context.inventory.data.pods.map((pod) => `${pod.metadata.namespace ?? ''}/${pod.metadata.name}`));
  let count = 0;
  for (const event of context.inventory.data.events) {
    if (event.involvedKind !== 'Pod' || pods.has(`${event.involvedNamespace ?? ''}/${event.involvedName}`)) continue;
    if (parseProbeEvent(event)?.action !== 'failed') continue;
    if (timingOf(event.lastTimestamp ?? event.firstTimestamp, context).recency !== 'old') count += 1;
  }
  return count;
}
