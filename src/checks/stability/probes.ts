import type { Inventory } from '../../inventory/inventory.js';
import type { KubeEvent, Pod, SafeContainer } from '../../inventory/model.js';
import type { Probe } from '../../inventory/schemas/kubernetes.js';
import type { RampartConfig } from '../../config/config.js';
import type { CheckContext } from '../types.js';
import { timingOf, type Timing } from './containers.js';
import { compareText } from '../../compare.js';

// Probe failures as the kubelet reports them in Events, and probe settings that make restarts likely.
// The kubelet writes `Unhealthy` events with messages such as "Readiness probe failed: HTTP probe failed
// with statuscode: 503" and, when it restarts a container, `Killing` events with "Container web failed
// liveness probe, will be restarted".

export type ProbeKind = 'liveness' | 'readiness' | 'startup';

/** One probe Event of a pod, inside the recent window or with an unknown time. */
export interface ProbeEvent {
  event: KubeEvent;
  probe: ProbeKind;
  /** `failed` for an `Unhealthy` event, `killed` for a `Killing` event that names a probe. */
  action: 'failed' | 'killed';
  /** The container the event names, from its field path or its message. */
  container?: string;
  timing: Timing;
  /** The kind of failure read from a failed probe's message, such as `HTTP status 503` or `timed out`. */
  failure?: string;
}

const UNHEALTHY_MESSAGE = /^(Liveness|Readiness|Startup) probe (?:failed|errored)/i;
const KILLING_MESSAGE = /^Container (\S+) failed (liveness|startup) probe/i;
const FIELD_PATH = /^spec\.(?:containers|initContainers|ephemeralContainers)\{(.+)\}$/;

/** Reads the probe Events of a pod, leaving out those older than `stability.recentHours`. */
export function probeEventsOf(inventory: Inventory, pod: Pod, context: CheckContext): ProbeEvent[] {
  const result: ProbeEvent[] = [];
  for (const event of inventory.eventsFor('Pod', pod.metadata.namespace, pod.metadata.name)) {
    const parsed = parseProbeEvent(event);
    if (!parsed) continue;
    const timing = timingOf(event.lastTimestamp ?? event.firstTimestamp, context);
    if (timing.recency === 'old') continue;
    result.push({ ...parsed, timing });
  }
  return result;
}

/** Recognises a kubelet probe Event, or returns undefined for any other Event. */
export function parseProbeEvent(event: KubeEvent): Omit<ProbeEvent, 'timing'> | undefined {
  const message = event.message ?? '';
  const fromFieldPath = event.fieldPath ? FIELD_PATH.exec(event.fieldPath)?.[1] : undefined;
  if (event.reason === 'Unhealthy') {
    const match = UNHEALTHY_MESSAGE.exec(message);
    if (!match) return undefined;
    const probe = match[1]!.toLowerCase() as ProbeKind;
    return { event, probe, action: 'failed', ...(fromFieldPath ? { container: fromFieldPath } : {}), failure: classifyFailure(message) };
  }
  if (event.reason === 'Killing') {
    const match = KILLING_MESSAGE.exec(message);
    if (!match) return undefined;
    return { event, probe: match[2]!.toLowerCase() as ProbeKind, action: 'killed', container: fromFieldPath ?? match[1]! };
  }
  return undefined;
}

/**
 * Sorts a probe failure message into a few kinds, so that findings never repeat the message itself: an
 * exec probe's message carries the command's output, which may hold anything.
 */
export function classifyFailure(message: string): string {
  const status = /statuscode: (\d{3})/.exec(message);
  if (status) return `HTTP status ${status[1]}`;
  if (/context deadline exceeded|timed? ?out|timeout/i.test(message)) return 'timed out';
  if (/connection refused/i.test(message)) return 'connection refused';
  if (/connection reset/i.test(message)) return 'connection reset';
  if (/no route to host/i.test(message)) return 'no route to host';
  return 'other failure';
}

/** Counts of failure kinds as prose: `HTTP status 503 ×200, timed out ×30`. */
export function describeFailureKinds(events: ProbeEvent[]): string {
  const counts = new Map<string, number>();
  for (const probeEvent of events) {
    if (!probeEvent.failure) continue;
    counts.set(probeEvent.failure, (counts.get(probeEvent.failure) ?? 0) + probeEvent.event.count);
  }
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || compareText(a[0], b[0]))
    .map(([failure, count]) => `${failure} ×${count}`)
    .join(', ');
}

export function sumCounts(events: ProbeEvent[]): number {
  return events.reduce((total, probeEvent) => total + probeEvent.event.count, 0);
}

// Defaults from the Kubernetes Probe API: timeoutSeconds 1, periodSeconds 10, failureThreshold 3,
// initialDelaySeconds 0.
const DEFAULT_TIMEOUT_SECONDS = 1;
const DEFAULT_PERIOD_SECONDS = 10;
const DEFAULT_FAILURE_THRESHOLD = 3;

/** Effective probe timings, with the defaults filled in for unset fields. */
export function describeTimings(probe: Probe): string {
  return [
    `timeoutSeconds ${probe.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS}`,
    `periodSeconds ${probe.periodSeconds ?? DEFAULT_PERIOD_SECONDS}`,
    `failureThreshold ${probe.failureThreshold ?? DEFAULT_FAILURE_THRESHOLD}`,
  ].join(', ');
}

/** A probe setting that can explain restarts, as a lower-case sentence about the container's probes. */
export interface ProbeSmell {
  id: 'single-timeout' | 'no-startup-probe' | 'same-as-readiness';
  sentence: string;
}

/**
 * Finds liveness probe settings that restart a container that is slow rather than dead. These are a single
 * 1-second timeout that kills it, an early liveness probe without a startupProbe, and a liveness probe that
 * runs the same check as the readiness probe.
 */
export function probeSmells(container: SafeContainer, config: RampartConfig): ProbeSmell[] {
  const liveness = container.livenessProbe;
  if (!liveness) return [];
  const smells: ProbeSmell[] = [];

  const timeout = liveness.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS;
  const failureThreshold = liveness.failureThreshold ?? DEFAULT_FAILURE_THRESHOLD;
  if (timeout <= 1 && failureThreshold === 1) {
    const timeoutText = liveness.timeoutSeconds === undefined ? 'timeoutSeconds 1 by default' : `timeoutSeconds ${timeout}`;
    smells.push({
      id: 'single-timeout',
      sentence: `the liveness probe restarts the container after a single probe that takes longer than ${timeout} s (${timeoutText}, failureThreshold 1)`,
    });
  }

  const initialDelay = liveness.initialDelaySeconds ?? 0;
  if (!container.startupProbe && initialDelay < config.stability.minLivenessInitialDelaySeconds) {
    const period = liveness.periodSeconds ?? DEFAULT_PERIOD_SECONDS;
    const grace = initialDelay + failureThreshold * period;
    smells.push({
      id: 'no-startup-probe',
      sentence:
        `there is no startupProbe and the liveness probe starts ${initialDelay} s after the container, ` +
        `so an application that needs more than ${grace} s (${initialDelay} + ${failureThreshold} × ${period}) to start is killed before it is up`,
    });
  }

  const readiness = container.readinessProbe;
  if (readiness && sameCheck(liveness, readiness)) {
    smells.push({
      id: 'same-as-readiness',
      sentence:
        `the liveness probe runs the same check as the readiness probe (${describeProbeCheck(liveness)}), ` +
        'so a failure that should only take the pod out of its Services, such as an unavailable dependency, restarts the container',
    });
  }
  return smells;
}

/** Tests whether two probes run the same check. Exec commands are compared by the digest the loader keeps. */
export function sameCheck(a: Probe, b: Probe): boolean {
  const check = probeCheck(a);
  return check !== undefined && JSON.stringify(check) === JSON.stringify(probeCheck(b));
}

function probeCheck(probe: Probe): unknown {
  if (probe.httpGet) return { httpGet: { path: probe.httpGet.path ?? '/', port: probe.httpGet.port, scheme: probe.httpGet.scheme ?? 'HTTP' } };
  if (probe.tcpSocket) return { tcpSocket: { port: probe.tcpSocket.port } };
  if (probe.grpc) return { grpc: { port: probe.grpc.port, service: probe.grpc.service ?? '' } };
  if (probe.exec) return { exec: probe.exec.command ?? [] };
  return undefined;
}

/** Describes what a probe checks without printing an exec command, which may embed credentials. */
export function describeProbeCheck(probe: Probe): string {
  if (probe.httpGet) return `HTTP GET ${probe.httpGet.path ?? '/'} on port ${probe.httpGet.port}`;
  if (probe.tcpSocket) return `TCP connection to port ${probe.tcpSocket.port}`;
  if (probe.grpc) return `gRPC health check on port ${probe.grpc.port}`;
  if (probe.exec) return 'the same command';
  return 'no handler';
}
