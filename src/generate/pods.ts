import { SNAPSHOT_TIME, type PodPlan, type WorkloadPlan } from './plan.js';
import type { Random } from './random.js';

// Pods, pod templates and the kubelet Events of unstable pods, as `kubectl get -o json` prints them: with
// the defaults the API server fills in (terminationMessagePath, dnsPolicy, the projected service account
// token volume) and the status the kubelet reports.

const MINUTE = 60_000;

/** Per-workload parts shared by the template and every pod, computed once. */
export interface WorkloadTemplate {
  container: Record<string, unknown>;
  spec: Record<string, unknown>;
  serviceAccount: string;
  imageId: string;
}

/** Builds the container and pod spec of a workload's template. */
export function workloadTemplate(workload: WorkloadPlan, serviceHost: (name: string) => string, random: Random): WorkloadTemplate {
  const serviceAccount = workload.name;
  const container: Record<string, unknown> = {
    image: workload.image,
    imagePullPolicy: 'IfNotPresent',
    name: workload.containerName,
    resources: resources(workload, random),
    terminationMessagePath: '/dev/termination-log',
    terminationMessagePolicy: 'File',
  };
  if (workload.ports.length > 0) container.ports = workload.ports.map((port) => ({ containerPort: port.containerPort, name: port.name, protocol: port.name === 'dns' ? 'UDP' : 'TCP' }));
  const env = environment(workload, serviceHost, random);
  if (env.length > 0) container.env = env;
  Object.assign(container, probes(workload, random));
  if (workload.role !== 'system') {
    container.securityContext = { allowPrivilegeEscalation: false, readOnlyRootFilesystem: workload.kind === 'Deployment', runAsNonRoot: true, runAsUser: 1001 };
  }

  const spec: Record<string, unknown> = {
    dnsPolicy: workload.hostNetwork ? 'ClusterFirstWithHostNet' : 'ClusterFirst',
    enableServiceLinks: true,
    restartPolicy: 'Always',
    schedulerName: 'default-scheduler',
    securityContext: workload.role === 'system' ? {} : { fsGroup: 1001 },
    serviceAccount,
    serviceAccountName: serviceAccount,
    terminationGracePeriodSeconds: workload.role === 'postgresql' ? 60 : 30,
  };
  if (workload.hostNetwork) spec.hostNetwork = true;
  if (workload.role === 'system') spec.priorityClassName = workload.kind === 'DaemonSet' ? 'system-node-critical' : 'system-cluster-critical';
  const digest = random.hex(64);
  return { container, spec, serviceAccount, imageId: `${workload.image.replace(/:[^:/]+$/, '')}@sha256:${digest}` };
}

/** Returns the pod spec as a workload's `spec.template` shows it. */
export function templateSpec(workload: WorkloadPlan, template: WorkloadTemplate): Record<string, unknown> {
  const spec: Record<string, unknown> = { ...template.spec, containers: [template.container] };
  if (workload.kind === 'DaemonSet') spec.tolerations = [{ operator: 'Exists' }];
  return spec;
}

/** Builds one pod of a workload, with its status. */
export function podObject(
  workload: WorkloadPlan,
  template: WorkloadTemplate,
  pod: PodPlan,
  labels: Record<string, string>,
  owner: { kind: string; name: string; uid: string },
  status: ContainerStatus,
  random: Random,
): Record<string, unknown> {
  const tokenVolume = `kube-api-access-${random.kubeSuffix(5)}`;
  const container = { ...template.container, volumeMounts: [{ mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', name: tokenVolume, readOnly: true }] };
  const ready = status.ready as boolean;
  const started = pod.createdAt + random.int(1_000, 20_000);
  const readySince = ready ? started : SNAPSHOT_TIME - random.int(1, 30) * MINUTE;
  const conditions = [
    { type: 'PodReadyToStartContainers', status: 'True', at: started },
    { type: 'Initialized', status: 'True', at: pod.createdAt },
    { type: 'Ready', status: ready ? 'True' : 'False', at: readySince },
    { type: 'ContainersReady', status: ready ? 'True' : 'False', at: readySince },
    { type: 'PodScheduled', status: 'True', at: pod.createdAt },
  ].map((condition) => ({
    lastProbeTime: null,
    lastTransitionTime: kubeTime(condition.at),
    ...(condition.status === 'False' ? { message: `containers with unready status: [${workload.containerName}]`, reason: 'ContainersNotReady' } : {}),
    status: condition.status,
    type: condition.type,
  }));

  const tolerations = [
    { effect: 'NoExecute', key: 'node.kubernetes.io/not-ready', operator: 'Exists', ...(workload.kind === 'DaemonSet' ? {} : { tolerationSeconds: 300 }) },
    { effect: 'NoExecute', key: 'node.kubernetes.io/unreachable', operator: 'Exists', ...(workload.kind === 'DaemonSet' ? {} : { tolerationSeconds: 300 }) },
  ];
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      ...(workload.role === 'system' ? {} : { annotations: { 'prometheus.io/port': '9090', 'prometheus.io/scrape': 'true' } }),
      creationTimestamp: kubeTime(pod.createdAt),
      ...(workload.kind === 'StatefulSet' ? {} : { generateName: pod.name.slice(0, pod.name.lastIndexOf('-') + 1) }),
      labels,
      name: pod.name,
      namespace: workload.namespace,
      ownerReferences: [{ apiVersion: 'apps/v1', blockOwnerDeletion: true, controller: true, kind: owner.kind, name: owner.name, uid: owner.uid }],
      resourceVersion: resourceVersion(random),
      uid: pod.uid,
    },
    spec: {
      ...templateSpec(workload, template),
      containers: [container],
      ...(workload.kind === 'StatefulSet' ? { hostname: pod.name, subdomain: `${workload.name}-headless` } : {}),
      nodeName: pod.node.name,
      preemptionPolicy: 'PreemptLowerPriority',
      priority: priorityOf(workload),
      tolerations: workload.kind === 'DaemonSet' ? [{ operator: 'Exists' }, ...tolerations] : tolerations,
      volumes: [
        {
          name: tokenVolume,
          projected: {
            defaultMode: 420,
            sources: [
              { serviceAccountToken: { expirationSeconds: 3607, path: 'token' } },
              { configMap: { items: [{ key: 'ca.crt', path: 'ca.crt' }], name: 'kube-root-ca.crt' } },
              { downwardAPI: { items: [{ fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.namespace' }, path: 'namespace' }] } },
            ],
          },
        },
      ],
    },
    status: {
      conditions,
      containerStatuses: [status],
      hostIP: pod.node.ip,
      hostIPs: [{ ip: pod.node.ip }],
      phase: 'Running',
      podIP: pod.ip,
      podIPs: [{ ip: pod.ip }],
      qosClass: 'Burstable',
      startTime: kubeTime(pod.createdAt),
    },
  };
}

/** A kubelet Event about a pod's container. */
export interface PodEvent {
  namespace: string;
  pod: PodPlan;
  container: string;
  reason: 'BackOff' | 'Unhealthy' | 'Killing';
  message: string;
  count: number;
  first: number;
  last: number;
}

/** Lists the Events the kubelet would have recorded within the event retention time for an unstable pod. */
export function podEvents(workload: WorkloadPlan, pod: PodPlan, restartCount: number, random: Random): PodEvent[] {
  const base = { namespace: workload.namespace, pod, container: workload.containerName };
  const last = SNAPSHOT_TIME - random.int(10, 600) * 1_000;
  const first = last - random.int(20, 59) * MINUTE;
  switch (workload.stability) {
    case 'crash-loop':
      return [{ ...base, reason: 'BackOff', message: `Back-off restarting failed container ${workload.containerName} in pod ${pod.name}_${workload.namespace}(${pod.uid})`, count: Math.min(restartCount, 60) * 5, first, last }];
    case 'probe-failures': {
      const kills = Math.min(restartCount, 12);
      const events: PodEvent[] = [
        { ...base, reason: 'Unhealthy', message: `Liveness probe failed: ${probeFailureOutput(workload, pod, random)}`, count: kills * 3, first, last },
        { ...base, reason: 'Killing', message: `Container ${workload.containerName} failed liveness probe, will be restarted`, count: kills, first, last },
      ];
      if (workload.role !== 'worker') {
        events.push({ ...base, reason: 'Unhealthy', message: `Readiness probe failed: ${probeFailureOutput(workload, pod, random)}`, count: kills * 4, first, last });
      }
      return events;
    }
    case 'oom-killed':
      return random.chance(0.5) ? [{ ...base, reason: 'BackOff', message: `Back-off restarting failed container ${workload.containerName} in pod ${pod.name}_${workload.namespace}(${pod.uid})`, count: Math.min(restartCount, 20) * 2, first, last }] : [];
    default:
      return [];
  }
}

/** Returns the kubelet's text for a failed probe: the HTTP result, or an exec probe's output. */
function probeFailureOutput(workload: WorkloadPlan, pod: PodPlan, random: Random): string {
  switch (workload.role) {
    case 'web':
    case 'api':
      return random.chance(0.5)
        ? `Get "http://${pod.ip}:8080/healthz": context deadline exceeded (Client.Timeout exceeded while awaiting headers)`
        : 'HTTP probe failed with statuscode: 503';
    case 'postgresql':
      return '127.0.0.1:5432 - no response';
    case 'redis':
      return 'Timed out';
    case 'mongodb':
      return 'MongoServerSelectionError: connect ECONNREFUSED 127.0.0.1:27017';
    default:
      // `test -f` fails without printing anything.
      return '';
  }
}

export function eventObject(event: PodEvent, random: Random): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    count: event.count,
    eventTime: null,
    firstTimestamp: kubeTime(event.first),
    involvedObject: { apiVersion: 'v1', fieldPath: `spec.containers{${event.container}}`, kind: 'Pod', name: event.pod.name, namespace: event.namespace, resourceVersion: resourceVersion(random), uid: event.pod.uid },
    kind: 'Event',
    lastTimestamp: kubeTime(event.last),
    message: event.message,
    metadata: { creationTimestamp: kubeTime(event.first), name: `${event.pod.name}.${random.hex(16)}`, namespace: event.namespace, resourceVersion: resourceVersion(random), uid: random.uuid() },
    reason: event.reason,
    reportingComponent: 'kubelet',
    reportingInstance: event.pod.node.name,
    source: { component: 'kubelet', host: event.pod.node.name },
    type: event.reason === 'Killing' ? 'Normal' : 'Warning',
  };
}

// --- containers -----------------------------------------------------------------------------------------

/** A container status with the fields the generator reads back typed. */
export type ContainerStatus = Record<string, unknown> & { ready: boolean; restartCount: number };

/** Builds the status of a pod's one container, which depends on its workload's stability. */
export function containerStatus(workload: WorkloadPlan, template: WorkloadTemplate, pod: PodPlan, random: Random): ContainerStatus {
  const base = { containerID: `containerd://${random.hex(64)}`, image: workload.image, imageID: template.imageId, name: workload.containerName };
  const startedAt = pod.createdAt + random.int(2_000, 30_000);
  const terminated = (reason: string, exitCode: number, finishedAt: number) => ({
    terminated: { containerID: `containerd://${random.hex(64)}`, exitCode, finishedAt: kubeTime(finishedAt), reason, startedAt: kubeTime(finishedAt - random.int(5, 600) * 1_000) },
  });
  switch (workload.stability) {
    case 'crash-loop': {
      const finishedAt = SNAPSHOT_TIME - random.int(1, 5) * MINUTE;
      return {
        ...base,
        lastState: terminated('Error', 1, finishedAt),
        ready: false,
        restartCount: random.int(20, 400),
        started: false,
        state: { waiting: { message: `back-off 5m0s restarting failed container=${workload.containerName} pod=${pod.name}_${workload.namespace}(${pod.uid})`, reason: 'CrashLoopBackOff' } },
      };
    }
    case 'probe-failures': {
      const finishedAt = SNAPSHOT_TIME - random.int(5, 120) * MINUTE;
      return { ...base, lastState: terminated('Error', 137, finishedAt), ready: random.chance(0.5), restartCount: random.int(5, 80), started: true, state: { running: { startedAt: kubeTime(finishedAt + 1_000) } } };
    }
    case 'oom-killed': {
      const finishedAt = SNAPSHOT_TIME - random.int(2, 300) * MINUTE;
      const looping = random.chance(0.3);
      return {
        ...base,
        lastState: terminated('OOMKilled', 137, finishedAt),
        ready: !looping,
        restartCount: random.int(3, 40),
        started: !looping,
        state: looping
          ? { waiting: { message: `back-off 2m40s restarting failed container=${workload.containerName} pod=${pod.name}_${workload.namespace}(${pod.uid})`, reason: 'CrashLoopBackOff' } }
          : { running: { startedAt: kubeTime(finishedAt + 1_000) } },
      };
    }
    default: {
      // A few stable containers restarted once or twice long ago, as nodes and deployments come and go.
      if (random.chance(0.03)) {
        const finishedAt = startedAt + random.int(1, 20) * 86_400_000;
        if (finishedAt < SNAPSHOT_TIME - MINUTE) {
          return { ...base, lastState: terminated('Error', 2, finishedAt), ready: true, restartCount: random.int(1, 2), started: true, state: { running: { startedAt: kubeTime(finishedAt + 1_000) } } };
        }
      }
      return { ...base, lastState: {}, ready: true, restartCount: 0, started: true, state: { running: { startedAt: kubeTime(startedAt) } } };
    }
  }
}

/** The values of the system-node-critical and system-cluster-critical priority classes. */
function priorityOf(workload: WorkloadPlan): number {
  if (workload.role !== 'system') return 0;
  return workload.kind === 'DaemonSet' ? 2000001000 : 2000000000;
}

function resources(workload: WorkloadPlan, random: Random): Record<string, unknown> {
  const memory = workload.stability === 'oom-killed' ? Math.min(workload.memoryLimitMi, 256) : workload.memoryLimitMi;
  const requests = { cpu: `${random.pick([50, 100, 200, 250, 500])}m`, memory: `${Math.max(64, memory / 2)}Mi` };
  // About one workload in ten sets no memory limit, as in many real clusters.
  if (workload.role !== 'system' && workload.stability !== 'oom-killed' && random.chance(0.1)) return { requests };
  return { limits: { memory: `${memory}Mi` }, requests };
}

function environment(workload: WorkloadPlan, serviceHost: (name: string) => string, random: Random): Array<Record<string, unknown>> {
  if (workload.role === 'system') return [];
  const env: Array<Record<string, unknown>> = [
    { name: 'APP_ENV', value: 'production' },
    { name: 'POD_IP', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'status.podIP' } } },
  ];
  if (workload.kind === 'StatefulSet') {
    env.push({ name: 'BITNAMI_DEBUG', value: 'false' });
    if (workload.role === 'postgresql') env.push({ name: 'POSTGRES_PASSWORD', valueFrom: { secretKeyRef: { key: 'postgres-password', name: workload.name } } });
    if (workload.role === 'redis') env.push({ name: 'REDIS_PASSWORD', valueFrom: { secretKeyRef: { key: 'redis-password', name: workload.name } } });
    if (workload.role === 'mongodb') env.push({ name: 'MONGODB_ROOT_PASSWORD', valueFrom: { secretKeyRef: { key: 'mongodb-root-password', name: workload.name } } });
    return env;
  }
  for (const dependency of workload.dependencies) {
    const variable = dependency.toUpperCase().replace(/[^A-Z0-9]+/g, '_');
    if (dependency.endsWith('-postgresql')) {
      env.push({ name: 'DATABASE_HOST', value: serviceHost(dependency) }, { name: 'DATABASE_PORT', value: '5432' });
      env.push({ name: 'DATABASE_PASSWORD', valueFrom: { secretKeyRef: { key: 'password', name: `${workload.name}-db` } } });
    } else if (dependency.endsWith('-redis-master')) {
      env.push({ name: 'REDIS_URL', value: `redis://${serviceHost(dependency)}:6379/0` });
    } else if (dependency.endsWith('-mongodb')) {
      env.push({ name: 'MONGODB_HOST', value: serviceHost(dependency) });
    } else {
      env.push({ name: `${variable}_URL`, value: `http://${serviceHost(dependency)}` });
    }
  }
  if (random.chance(0.5)) env.push({ name: 'LOG_LEVEL', value: random.pick(['info', 'warn', 'debug']) });
  return env;
}

function probes(workload: WorkloadPlan, random: Random): Record<string, unknown> {
  const exec = (command: string[], timeoutSeconds: number) => ({ exec: { command }, failureThreshold: 6, initialDelaySeconds: 30, periodSeconds: 10, successThreshold: 1, timeoutSeconds });
  switch (workload.role) {
    case 'postgresql':
      return {
        livenessProbe: exec(['/bin/sh', '-c', 'exec pg_isready -U "postgres" -h 127.0.0.1 -p 5432'], 5),
        readinessProbe: exec(['/bin/sh', '-c', '-e', 'exec pg_isready -U "postgres" -h 127.0.0.1 -p 5432'], 5),
      };
    case 'redis':
      return { livenessProbe: exec(['sh', '-c', '/health/ping_liveness_local.sh 5'], 6), readinessProbe: exec(['sh', '-c', '/health/ping_readiness_local.sh 1'], 2) };
    case 'mongodb':
      return { livenessProbe: exec(['/bitnami/scripts/ping-mongodb.sh'], 10), readinessProbe: exec(['/bitnami/scripts/readiness-probe.sh'], 5) };
    case 'worker':
      return { livenessProbe: { exec: { command: ['/bin/sh', '-c', 'test -f /tmp/healthy'] }, failureThreshold: 3, periodSeconds: 15, successThreshold: 1, timeoutSeconds: 1 } };
    case 'web':
    case 'api': {
      const liveness = { failureThreshold: 3, httpGet: { path: '/healthz', port: 'http', scheme: 'HTTP' }, periodSeconds: 10, successThreshold: 1, timeoutSeconds: 1 };
      // Some teams point readiness at the liveness endpoint, a setting the probe checks look for.
      const readiness = random.chance(0.3) ? { ...liveness } : { ...liveness, httpGet: { path: '/ready', port: 'http', scheme: 'HTTP' }, periodSeconds: 5 };
      const startup = random.chance(0.4) ? { startupProbe: { ...liveness, failureThreshold: 30, periodSeconds: 5 } } : {};
      return { livenessProbe: liveness, readinessProbe: readiness, ...startup };
    }
    default:
      return {};
  }
}

/** Kubernetes timestamps: RFC 3339 in UTC without fractions, `2026-03-02T10:00:00Z`. */
export function kubeTime(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

export function resourceVersion(random: Random): string {
  return String(random.int(100_000_000, 999_999_999));
}
