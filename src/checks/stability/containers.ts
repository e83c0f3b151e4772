import type { Inventory, OwningWorkload } from '../../inventory/inventory.js';
import type { CronJob, Pod, SafeContainer, SafePodSpec, Workload } from '../../inventory/model.js';
import type { ContainerStatus } from '../../inventory/schemas/kubernetes.js';
import { childSource, type SourceRef } from '../../inventory/source.js';
import type { CheckContext, ResourceRef } from '../types.js';
import { compareText } from '../../compare.js';

// Helpers shared by the workload stability checks: pods grouped by the workload that owns them, each
// container seen from its spec and its status together, and the time rules that separate a recent
// problem from history.

/** The pods of one workload, found through their owner references. */
export interface PodGroup {
  workload: OwningWorkload;
  pods: Pod[];
}

/** Groups every pod of the snapshot under its top controller. A pod without one is its own group. */
export function groupPodsByWorkload(inventory: Inventory): PodGroup[] {
  const groups = new Map<string, PodGroup>();
  for (const pod of inventory.data.pods) {
    const workload = withObject(inventory, inventory.owningWorkload(pod));
    const key = workloadKey(workload);
    const group = groups.get(key);
    if (group) group.pods.push(pod);
    else groups.set(key, { workload, pods: [pod] });
  }
  return [...groups.values()].sort((a, b) => compareText(workloadLabel(a.workload), workloadLabel(b.workload)));
}

/**
 * Attaches the workload object when the owner chain named the workload without finding it, as for a
 * Deployment inferred from a ReplicaSet that is missing from the snapshot.
 */
function withObject(inventory: Inventory, workload: OwningWorkload): OwningWorkload {
  if (workload.object || workload.kind === 'Pod') return workload;
  const object = inventory.workload(workload.kind, workload.namespace, workload.name);
  return object ? { ...workload, object } : workload;
}

export function workloadKey(workload: { kind: string; namespace?: string; name: string }): string {
  return `${workload.kind}/${workload.namespace ?? ''}/${workload.name}`;
}

/** Names a workload as findings do: `Deployment shop/api`. */
export function workloadLabel(workload: { kind: string; namespace?: string; name: string }): string {
  return `${workload.kind} ${workload.namespace ? `${workload.namespace}/` : ''}${workload.name}`;
}

export function workloadResource(workload: { kind: string; namespace?: string; name: string }): ResourceRef {
  return { kind: workload.kind, ...(workload.namespace ? { namespace: workload.namespace } : {}), name: workload.name };
}

export function podLabel(pod: Pod): string {
  return `${pod.metadata.namespace ? `${pod.metadata.namespace}/` : ''}${pod.metadata.name}`;
}

/** Returns the pod template of a workload object with the JSONPath of its spec. A CronJob nests it in its job template. */
export function podTemplateOf(object: Workload | CronJob): { spec: SafePodSpec; source: SourceRef } {
  if (object.kind === 'CronJob') {
    const cronJob = object as CronJob;
    return { spec: cronJob.spec.jobTemplate.spec.template.spec, source: childSource(cronJob.source, 'spec', 'jobTemplate', 'spec', 'template', 'spec') };
  }
  const workload = object as Workload;
  return { spec: workload.spec.template.spec, source: childSource(workload.source, 'spec', 'template', 'spec') };
}

/** One container of a pod, from its spec and its status. Either may be missing from the snapshot. */
export interface ContainerView {
  pod: Pod;
  name: string;
  init: boolean;
  spec?: SafeContainer;
  specSource?: SourceRef;
  status?: ContainerStatus;
  statusSource?: SourceRef;
}

/** Lists the containers and init containers of a pod, pairing each spec with the status of the same name. */
export function containerViews(pod: Pod): ContainerView[] {
  const views: ContainerView[] = [];
  const lists = [
    { init: false, specs: pod.spec.containers, specField: 'containers', statuses: pod.status?.containerStatuses ?? [], statusField: 'containerStatuses' },
    { init: true, specs: pod.spec.initContainers, specField: 'initContainers', statuses: pod.status?.initContainerStatuses ?? [], statusField: 'initContainerStatuses' },
  ] as const;
  for (const list of lists) {
    const matched = new Set<number>();
    list.specs.forEach((spec, specIndex) => {
      const statusIndex = list.statuses.findIndex((status) => status.name === spec.name);
      const view: ContainerView = { pod, name: spec.name, init: list.init, spec, specSource: childSource(pod.source, 'spec', list.specField, specIndex) };
      if (statusIndex >= 0) {
        matched.add(statusIndex);
        view.status = list.statuses[statusIndex];
        view.statusSource = childSource(pod.source, 'status', list.statusField, statusIndex);
      }
      views.push(view);
    });
    // A status without a spec of the same name still reports restarts and terminations.
    list.statuses.forEach((status, statusIndex) => {
      if (matched.has(statusIndex)) return;
      views.push({ pod, name: status.name, init: list.init, status, statusSource: childSource(pod.source, 'status', list.statusField, statusIndex) });
    });
  }
  return views;
}

export function describeContainer(view: { name: string; init: boolean }): string {
  return `${view.init ? 'init container' : 'container'} ${view.name}`;
}

/** A terminated state of a container, current (`state`) or previous (`lastState`). */
export interface Termination {
  field: 'state' | 'lastState';
  reason?: string;
  exitCode?: number;
  signal?: number;
  finishedAt?: string;
  source: SourceRef;
}

/** Lists the terminated states of a container, the current one first. */
export function terminationsOf(view: ContainerView): Termination[] {
  const result: Termination[] = [];
  if (!view.status || !view.statusSource) return result;
  for (const field of ['state', 'lastState'] as const) {
    const terminated = view.status[field]?.terminated;
    if (!terminated) continue;
    result.push({
      field,
      ...(terminated.reason !== undefined ? { reason: terminated.reason } : {}),
      ...(terminated.exitCode !== undefined ? { exitCode: terminated.exitCode } : {}),
      ...(terminated.signal !== undefined ? { signal: terminated.signal } : {}),
      ...(terminated.finishedAt ? { finishedAt: terminated.finishedAt } : {}),
      source: childSource(view.statusSource, field, 'terminated'),
    });
  }
  return result;
}

/** Describes how a run ended: `Error (exit code 137, killed by SIGKILL)`. */
export function describeTermination(termination: Pick<Termination, 'reason' | 'exitCode' | 'signal'>): string {
  const details: string[] = [];
  if (termination.exitCode !== undefined) details.push(`exit code ${termination.exitCode}`);
  // Exit codes above 128 mean the process ended on signal (code − 128): 137 is SIGKILL, 143 is SIGTERM.
  const signal = termination.signal ?? (termination.exitCode !== undefined && termination.exitCode > 128 && termination.exitCode < 160 ? termination.exitCode - 128 : undefined);
  if (signal !== undefined) details.push(`killed by ${SIGNAL_NAMES[signal] ?? `signal ${signal}`}`);
  const reason = termination.reason ?? 'an unknown reason';
  return details.length > 0 ? `${reason} (${details.join(', ')})` : reason;
}

const SIGNAL_NAMES: Record<number, string> = { 6: 'SIGABRT', 9: 'SIGKILL', 11: 'SIGSEGV', 15: 'SIGTERM' };

/** Position of a time relative to the snapshot: inside the recent window, before it, or unknown. */
export type Recency = 'recent' | 'old' | 'unknown';

export interface Timing {
  recency: Recency;
  time?: string;
  /** Milliseconds between the time and the snapshot time, when both are known. */
  ageMs?: number;
}

/** Places a timestamp against the snapshot time and the `stability.recentHours` window. */
export function timingOf(time: string | null | undefined, context: CheckContext): Timing {
  if (!time) return { recency: 'unknown' };
  const at = Date.parse(time);
  const snapshot = context.snapshotTime ? Date.parse(context.snapshotTime) : Number.NaN;
  if (Number.isNaN(at) || Number.isNaN(snapshot)) return { recency: 'unknown', time };
  const ageMs = Math.max(0, snapshot - at);
  const recency = ageMs <= context.config.stability.recentHours * HOUR ? 'recent' : 'old';
  return { recency, time, ageMs };
}

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** Formats a duration for a sentence: `5 minutes`, `2 hours`, `3 days`. */
export function describeAge(ageMs: number): string {
  if (ageMs < MINUTE) return 'less than a minute';
  if (ageMs < HOUR) return plural(Math.floor(ageMs / MINUTE), 'minute');
  if (ageMs < 48 * HOUR) return plural(Math.floor(ageMs / HOUR), 'hour');
  return plural(Math.floor(ageMs / (24 * HOUR)), 'day');
}

/** Describes when something happened relative to the snapshot, or states that the time is not recorded. */
export function describeWhen(timing: Timing): string {
  if (timing.ageMs !== undefined) return `${describeAge(timing.ageMs)} before the snapshot`;
  if (timing.time) return `at ${timing.time}`;
  return 'at a time the snapshot does not record';
}

/** A container that counts as restarting: enough restarts, the last one recent or unknown, or a crash loop. */
export interface RestartingContainer {
  view: ContainerView;
  restartCount: number;
  restartCountSource: SourceRef;
  /** Set when the container is waiting in CrashLoopBackOff. */
  crashLoopSource?: SourceRef;
  /** The latest termination: the current state when it is terminated, else the previous one. */
  termination?: Termination;
  /** When the container last restarted: the end of its previous run, else the start of its current run. */
  lastRestart: Timing;
}

/**
 * Decides whether a container's restarts are a finding. It needs at least `minRestarts` restarts, and
 * the last restart within `recentHours` of the snapshot, unknown, or followed by CrashLoopBackOff. A
 * container whose last run ended with OOMKilled is left to workload-oom-killed, so that no restart is
 * reported twice.
 */
export function restartingContainer(view: ContainerView, context: CheckContext): RestartingContainer | undefined {
  const status = view.status;
  if (!status || !view.statusSource) return undefined;
  if (status.restartCount < context.config.stability.minRestarts) return undefined;

  const termination = terminationsOf(view)[0];
  if (termination?.reason === 'OOMKilled') return undefined;

  const crashLoop = status.state?.waiting?.reason === 'CrashLoopBackOff';
  // The current run started at the last restart, so its start time replaces a missing end time.
  const lastRestart = timingOf(termination?.finishedAt ?? status.state?.running?.startedAt, context);
  if (lastRestart.recency === 'old' && !crashLoop) return undefined;

  return {
    view,
    restartCount: status.restartCount,
    restartCountSource: childSource(view.statusSource, 'restartCount'),
    ...(crashLoop ? { crashLoopSource: childSource(view.statusSource, 'state', 'waiting') } : {}),
    ...(termination ? { termination } : {}),
    lastRestart,
  };
}

/** Returns the Helm release that manages a workload, from its `meta.helm.sh/release-*` annotations. */
export function helmReleaseOf(workload: OwningWorkload): { name: string; namespace?: string } | undefined {
  const annotations = workload.object?.metadata.annotations ?? {};
  const name = annotations['meta.helm.sh/release-name'];
  if (!name) return undefined;
  const namespace = annotations['meta.helm.sh/release-namespace'];
  return { name, ...(namespace ? { namespace } : {}) };
}

/**
 * Workload kinds whose pod template can be patched. A Job's template is immutable and a bare Pod's
 * resources cannot be changed by a patch, so findings about them get no fix.
 */
export const PATCHABLE_KINDS: ReadonlySet<string> = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'CronJob']);

export function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export function plural(count: number, noun: string, pluralNoun = `${noun}s`): string {
  return `${count} ${count === 1 ? noun : pluralNoun}`;
}

/** Formats a range of counts: `712` when all are equal, else `712–745`. */
export function describeRange(values: number[]): string {
  const min = Math.min(...values);
  const max = Math.max(...values);
  return min === max ? `${min}` : `${min}–${max}`;
}

/** Joins names as prose: `a`, `a and b`, `a, b and c`, or with `or` as the conjunction. */
export function joinNames(names: string[], conjunction: 'and' | 'or' = 'and'): string {
  if (names.length <= 1) return names.join('');
  return `${names.slice(0, -1).join(', ')} ${conjunction} ${names[names.length - 1]}`;
}

/** Maximum number of per-container evidence entries in one finding. One closing fact counts the rest. */
export const MAX_EVIDENCE_ITEMS = 10;
