import { DEFAULT_CONFIG, type RampartConfig } from '../../../src/config/config.js';
import type { Check, CheckContext, CheckOutcome } from '../../../src/checks/types.js';
import { missingInputs } from '../../../src/checks/run.js';
import { loadDocuments } from '../../../src/inventory/load.js';

// Builders for Kubernetes objects in the shape `kubectl get -o json` prints them, with the fields the API
// server fills in (uid, resourceVersion, ownerReferences with controller and blockOwnerDeletion, container
// IDs). Tests pass only the fields their scenario is about, with a comment beside each case on why it passes or fails.

/** The time every scenario's snapshot describes. */
export const SNAPSHOT_TIME = '2024-12-01T12:00:00Z';

/** Returns a timestamp before SNAPSHOT_TIME, as kubectl prints it: `ago('5m')`, `ago('8d')`. */
export function ago(offset: string): string {
  const match = /^(\d+)([smhd])$/.exec(offset);
  if (!match) throw new Error(`invalid offset ${offset}: expected a number and one of s, m, h, d`);
  const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 's' | 'm' | 'h' | 'd'];
  return new Date(Date.parse(SNAPSHOT_TIME) - Number(match[1]) * unit).toISOString().replace('.000Z', 'Z');
}

let uidCounter = 0;
function uid(): string {
  uidCounter += 1;
  return `00000000-0000-4000-8000-${String(uidCounter).padStart(12, '0')}`;
}

/** Wraps items as `kubectl get … -o json` prints them: a List whose items each carry apiVersion and kind. */
export function list(items: unknown[]): Record<string, unknown> {
  return { apiVersion: 'v1', items, kind: 'List', metadata: { resourceVersion: '' } };
}

type Json = Record<string, unknown>;

export interface ContainerOptions {
  name: string;
  image?: string;
  resources?: Json;
  livenessProbe?: Json;
  readinessProbe?: Json;
  startupProbe?: Json;
}

export function container(options: ContainerOptions): Json {
  return {
    image: options.image ?? `registry.example.com/${options.name}:1.4.2`,
    imagePullPolicy: 'IfNotPresent',
    name: options.name,
    resources: options.resources ?? {},
    ...(options.livenessProbe ? { livenessProbe: options.livenessProbe } : {}),
    ...(options.readinessProbe ? { readinessProbe: options.readinessProbe } : {}),
    ...(options.startupProbe ? { startupProbe: options.startupProbe } : {}),
    terminationMessagePath: '/dev/termination-log',
    terminationMessagePolicy: 'File',
  };
}

export interface StatusOptions {
  name: string;
  restartCount?: number;
  ready?: boolean;
  state?: Json;
  lastState?: Json;
}

export function containerStatus(options: StatusOptions): Json {
  return {
    containerID: `containerd://${options.name.padEnd(12, '0')}`,
    image: `registry.example.com/${options.name}:1.4.2`,
    imageID: `registry.example.com/${options.name}@sha256:${'a'.repeat(64)}`,
    lastState: options.lastState ?? {},
    name: options.name,
    ready: options.ready ?? true,
    restartCount: options.restartCount ?? 0,
    started: options.ready ?? true,
    state: options.state ?? { running: { startedAt: ago('3d') } },
  };
}

/** Builds a running state whose current run started at `startedAt`. */
export function running(startedAt: string): Json {
  return { running: { startedAt } };
}

export function terminated(reason: string, exitCode: number, finishedAt: string | undefined): Json {
  return {
    terminated: {
      containerID: 'containerd://0123456789ab',
      exitCode,
      ...(finishedAt ? { finishedAt } : {}),
      reason,
      startedAt: finishedAt ?? '2024-11-01T00:00:00Z',
    },
  };
}

export function crashLoopBackOff(container: string, pod: string): Json {
  return { waiting: { message: `back-off 5m0s restarting failed container=${container} pod=${pod}`, reason: 'CrashLoopBackOff' } };
}

export interface OwnerOptions {
  kind: string;
  name: string;
  apiVersion?: string;
}

export interface PodOptions {
  namespace: string;
  name: string;
  owner?: OwnerOptions;
  labels?: Record<string, string>;
  containers: Json[];
  initContainers?: Json[];
  containerStatuses?: Json[];
  initContainerStatuses?: Json[];
  restartPolicy?: string;
  hostNetwork?: boolean;
  phase?: string;
}

export function pod(options: PodOptions): Json {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      creationTimestamp: ago('10d'),
      ...(options.owner ? { generateName: `${options.owner.name}-` } : {}),
      labels: options.labels ?? {},
      name: options.name,
      namespace: options.namespace,
      ...(options.owner
        ? {
            ownerReferences: [
              {
                apiVersion: options.owner.apiVersion ?? (options.owner.kind === 'Job' ? 'batch/v1' : 'apps/v1'),
                blockOwnerDeletion: true,
                controller: true,
                kind: options.owner.kind,
                name: options.owner.name,
                uid: uid(),
              },
            ],
          }
        : {}),
      resourceVersion: '48213377',
      uid: uid(),
    },
    spec: {
      containers: options.containers,
      dnsPolicy: 'ClusterFirst',
      enableServiceLinks: true,
      ...(options.hostNetwork ? { hostNetwork: true } : {}),
      ...(options.initContainers ? { initContainers: options.initContainers } : {}),
      nodeName: 'ip-10-0-12-34.eu-west-1.compute.internal',
      restartPolicy: options.restartPolicy ?? 'Always',
      schedulerName: 'default-scheduler',
      serviceAccountName: 'default',
      terminationGracePeriodSeconds: 30,
    },
    status: {
      conditions: [{ lastProbeTime: null, lastTransitionTime: ago('10d'), status: 'True', type: 'PodScheduled' }],
      containerStatuses: options.containerStatuses ?? [],
      ...(options.initContainerStatuses ? { initContainerStatuses: options.initContainerStatuses } : {}),
      hostIP: '10.0.12.34',
      phase: options.phase ?? 'Running',
      podIP: options.hostNetwork ? '10.0.12.34' : '10.0.40.17',
      podIPs: [{ ip: options.hostNetwork ? '10.0.12.34' : '10.0.40.17' }],
      qosClass: 'Burstable',
      startTime: ago('10d'),
    },
  };
}

export interface WorkloadOptions {
  kind: 'Deployment' | 'ReplicaSet' | 'DaemonSet' | 'StatefulSet' | 'Job';
  namespace: string;
  name: string;
  containers: Json[];
  initContainers?: Json[];
  owner?: OwnerOptions;
  annotations?: Record<string, string>;
  labels?: Record<string, string>;
  hostNetwork?: boolean;
}

export function workload(options: WorkloadOptions): Json {
  const labels = options.labels ?? { 'app.kubernetes.io/name': options.name };
  return {
    apiVersion: options.kind === 'Job' ? 'batch/v1' : 'apps/v1',
    kind: options.kind,
    metadata: {
      annotations: options.annotations ?? {},
      creationTimestamp: ago('30d'),
      generation: 3,
      labels,
      name: options.name,
      namespace: options.namespace,
      ...(options.owner
        ? { ownerReferences: [{ apiVersion: 'apps/v1', blockOwnerDeletion: true, controller: true, kind: options.owner.kind, name: options.owner.name, uid: uid() }] }
        : {}),
      resourceVersion: '48210011',
      uid: uid(),
    },
    spec: {
      ...(options.kind === 'DaemonSet' || options.kind === 'Job' ? {} : { replicas: 2 }),
      selector: { matchLabels: labels },
      template: {
        metadata: { creationTimestamp: null, labels },
        spec: {
          containers: options.containers,
          ...(options.hostNetwork ? { hostNetwork: true } : {}),
          ...(options.initContainers ? { initContainers: options.initContainers } : {}),
          restartPolicy: options.kind === 'Job' ? 'Never' : 'Always',
        },
      },
    },
    status: { observedGeneration: 3 },
  };
}

export interface EventOptions {
  namespace: string;
  pod: string;
  reason: string;
  message: string;
  container?: string;
  count?: number;
  lastTimestamp?: string;
  type?: string;
}

/** Builds a core/v1 Event as the kubelet writes it, without `count` when the option is undefined. */
export function coreEvent(options: EventOptions): Json {
  const last = options.lastTimestamp ?? ago('10m');
  return {
    apiVersion: 'v1',
    ...(options.count !== undefined ? { count: options.count } : {}),
    eventTime: null,
    firstTimestamp: last,
    involvedObject: {
      apiVersion: 'v1',
      ...(options.container ? { fieldPath: `spec.containers{${options.container}}` } : {}),
      kind: 'Pod',
      name: options.pod,
      namespace: options.namespace,
      resourceVersion: '48213001',
      uid: uid(),
    },
    kind: 'Event',
    lastTimestamp: last,
    message: options.message,
    metadata: { creationTimestamp: last, name: `${options.pod}.17f3a${uid().slice(-6)}`, namespace: options.namespace, resourceVersion: '48213002', uid: uid() },
    reason: options.reason,
    reportingComponent: 'kubelet',
    reportingInstance: 'ip-10-0-12-34.eu-west-1.compute.internal',
    source: { component: 'kubelet', host: 'ip-10-0-12-34.eu-west-1.compute.internal' },
    type: options.type ?? 'Warning',
  };
}

/** Builds an events.k8s.io/v1 Event, with `series` and `deprecatedCount` only when given. */
export function eventsV1Event(options: EventOptions & { seriesCount?: number; deprecatedCount?: number }): Json {
  const last = options.lastTimestamp ?? ago('10m');
  return {
    apiVersion: 'events.k8s.io/v1',
    ...(options.deprecatedCount !== undefined ? { deprecatedCount: options.deprecatedCount } : {}),
    deprecatedFirstTimestamp: last,
    deprecatedLastTimestamp: last,
    deprecatedSource: { component: 'kubelet', host: 'ip-10-0-12-34.eu-west-1.compute.internal' },
    eventTime: null,
    kind: 'Event',
    metadata: { creationTimestamp: last, name: `${options.pod}.18a2b${uid().slice(-6)}`, namespace: options.namespace, resourceVersion: '48213003', uid: uid() },
    note: options.message,
    reason: options.reason,
    regarding: {
      apiVersion: 'v1',
      ...(options.container ? { fieldPath: `spec.containers{${options.container}}` } : {}),
      kind: 'Pod',
      name: options.pod,
      namespace: options.namespace,
      uid: uid(),
    },
    ...(options.seriesCount !== undefined ? { series: { count: options.seriesCount, lastObservedTime: `${last.replace('Z', '')}.000000Z` } } : {}),
    type: options.type ?? 'Warning',
  };
}

/** Builds a metrics.k8s.io/v1beta1 PodMetrics object as `kubectl get podmetrics -o json` prints it. */
export function podMetrics(namespace: string, podName: string, containers: Array<{ name: string; cpu: string; memory: string }>): Json {
  return {
    apiVersion: 'metrics.k8s.io/v1beta1',
    containers: containers.map((entry) => ({ name: entry.name, usage: { cpu: entry.cpu, memory: entry.memory } })),
    kind: 'PodMetrics',
    metadata: { creationTimestamp: ago('0s'), labels: {}, name: podName, namespace },
    timestamp: ago('1m'),
    window: '15.029s',
  };
}

/** Loads kubectl outputs, keyed by file name, and returns a check context at SNAPSHOT_TIME. */
export function contextFor(files: Record<string, unknown[]>, config: RampartConfig = DEFAULT_CONFIG): CheckContext {
  const { inventory, problems } = loadDocuments(files);
  const errors = problems.filter((problem) => problem.level === 'error');
  if (errors.length > 0) throw new Error(`fixture did not load: ${JSON.stringify(errors)}`);
  return { inventory, config, snapshotTime: SNAPSHOT_TIME };
}

/** Runs one check the way the runner does, skipping it when a required kind is missing. */
export function runCheck(check: Check, context: CheckContext): CheckOutcome {
  const missing = missingInputs(check.meta, context.inventory);
  if (missing.length > 0) throw new Error(`check ${check.meta.id} would be skipped: ${missing.join('; ')}`);
  return check.run(context);
}

/** Returns the default config with some stability thresholds changed. */
export function withStability(overrides: Partial<RampartConfig['stability']>): RampartConfig {
  return { ...DEFAULT_CONFIG, stability: { ...DEFAULT_CONFIG.stability, ...overrides } };
}
