import { describe, expect, it } from 'vitest';
import { workloadRestarts } from '../../../src/checks/stability/workload-restarts.js';
import {
  ago,
  container,
  containerStatus,
  contextFor,
  coreEvent,
  crashLoopBackOff,
  eventsV1Event,
  list,
  pod,
  running,
  runCheck,
  terminated,
  withStability,
  workload,
} from './fixtures.js';

const httpProbe = (path: string, extra: Record<string, unknown> = {}) => ({ httpGet: { path, port: 8080, scheme: 'HTTP' }, periodSeconds: 10, successThreshold: 1, ...extra });

/** Builds a Deployment `shop/api` with its ReplicaSet and one pod per given container status. */
function deploymentWithPods(statuses: Array<Record<string, unknown>>, options: { spec?: Record<string, unknown> } = {}) {
  const spec = options.spec ?? container({ name: 'api', livenessProbe: httpProbe('/livez', { initialDelaySeconds: 30, timeoutSeconds: 2, failureThreshold: 3 }), readinessProbe: httpProbe('/readyz') });
  const pods = statuses.map((status, index) =>
    pod({
      namespace: 'shop',
      name: `api-7d9f8b6c5-${['x2kqp', 'm4tzl', 'q8wnr'][index]}`,
      owner: { kind: 'ReplicaSet', name: 'api-7d9f8b6c5' },
      labels: { 'app.kubernetes.io/name': 'api', 'pod-template-hash': '7d9f8b6c5' },
      containers: [spec],
      containerStatuses: [status],
    }),
  );
  return {
    'deployments.json': [list([workload({ kind: 'Deployment', namespace: 'shop', name: 'api', containers: [spec] })])],
    'replicasets.json': [list([workload({ kind: 'ReplicaSet', namespace: 'shop', name: 'api-7d9f8b6c5', containers: [spec], owner: { kind: 'Deployment', name: 'api' } })])],
    'pods.json': [list(pods)],
  };
}

describe('workload-restarts', () => {
  it('aggregates a DaemonSet into one finding with the liveness cause', () => {
    // Three pods of one DaemonSet restarted 712–745 times, the last restart minutes ago, and the kubelet
    // reports liveness failures and kills for them: one medium finding naming the liveness probe.
    const spec = container({ name: 'agent', livenessProbe: httpProbe('/healthz', { initialDelaySeconds: 30, timeoutSeconds: 5, failureThreshold: 3 }) });
    const names = ['node-agent-4kq9z', 'node-agent-7xw2p', 'node-agent-b8r5d'];
    const counts = [712, 745, 730];
    const pods = names.map((name, index) =>
      pod({
        namespace: 'monitoring',
        name,
        owner: { kind: 'DaemonSet', name: 'node-agent' },
        containers: [spec],
        containerStatuses: [containerStatus({ name: 'agent', restartCount: counts[index], state: running(ago('4m')), lastState: terminated('Error', 137, ago('4m')) })],
      }),
    );
    const context = contextFor({
      'daemonsets.json': [list([workload({ kind: 'DaemonSet', namespace: 'monitoring', name: 'node-agent', containers: [spec] })])],
      'pods.json': [list(pods)],
      'events.json': [
        list([
          coreEvent({ namespace: 'monitoring', pod: names[0]!, container: 'agent', reason: 'Unhealthy', message: 'Liveness probe failed: Get "http://10.0.40.17:8080/healthz": context deadline exceeded', count: 40 }),
          coreEvent({ namespace: 'monitoring', pod: names[0]!, container: 'agent', reason: 'Killing', message: 'Container agent failed liveness probe, will be restarted', count: 12, type: 'Normal' }),
          // No count field: the Event happened once.
          coreEvent({ namespace: 'monitoring', pod: names[1]!, container: 'agent', reason: 'Killing', message: 'Container agent failed liveness probe, will be restarted', type: 'Normal' }),
        ]),
      ],
    });

    const { findings } = runCheck(workloadRestarts, context);

    expect(findings).toHaveLength(1);
    const finding = findings[0]!;
    expect(finding.title).toBe('DaemonSet monitoring/node-agent: 3 pods restarted 712–745 times');
    expect(finding.severity).toBe('medium');
    expect(finding.resources).toEqual([{ kind: 'DaemonSet', namespace: 'monitoring', name: 'node-agent' }]);
    expect(finding.problem).toContain('Container agent restarted 712–745 times in 3 pods, most recently 4 minutes before the snapshot');
    expect(finding.problem).toContain('the liveness probe fails (40 failed probes and 13 restarts by the kubelet in the Events)');
    expect(finding.problem).toContain('Its last run ended with Error (exit code 137, killed by SIGKILL).');
  });

  it('cites the restart count by its JSONPath', () => {
    // The second pod of the List has the most restarts, so it is the first evidence entry.
    const context = deploymentWithPods([
      containerStatus({ name: 'api', restartCount: 6, state: running(ago('1h')), lastState: terminated('Error', 1, ago('1h')) }),
      containerStatus({ name: 'api', restartCount: 9, state: running(ago('2h')), lastState: terminated('Error', 1, ago('2h')) }),
    ]);

    const [finding] = runCheck(workloadRestarts, contextFor(context)).findings;

    expect(finding?.evidence[0]).toEqual({
      fact: 'Container api of pod shop/api-7d9f8b6c5-m4tzl restarted 9 times.',
      source: { file: 'pods.json', path: '$.items[1].status.containerStatuses[0].restartCount' },
    });
    expect(finding?.evidence[1]?.source?.path).toBe('$.items[1].status.containerStatuses[0].lastState.terminated');
  });

  it('ignores a restart count just below minRestarts', () => {
    // 4 recent restarts are one below the default minRestarts of 5.
    const context = contextFor(deploymentWithPods([containerStatus({ name: 'api', restartCount: 4, lastState: terminated('Error', 1, ago('1h')) })]));
    expect(runCheck(workloadRestarts, context).findings).toEqual([]);
  });

  it('reports a restart count at minRestarts as low', () => {
    // Exactly 5 recent restarts meet minRestarts; 5 is below highRestarts and there is no crash loop.
    const context = contextFor(deploymentWithPods([containerStatus({ name: 'api', restartCount: 5, lastState: terminated('Error', 1, ago('1h')) })]));
    const { findings } = runCheck(workloadRestarts, context);
    expect(findings.map((finding) => [finding.title, finding.severity])).toEqual([['Deployment shop/api: 1 pod restarted 5 times', 'low']]);
    expect(findings[0]?.problem).toContain('Container api restarted 5 times in 1 pod, most recently 1 hour before the snapshot. Its last run ended with Error (exit code 1).');
  });

  it('raises severity at highRestarts', () => {
    // 49 restarts stay low; 50 reach the default highRestarts and make the finding medium.
    const below = contextFor(deploymentWithPods([containerStatus({ name: 'api', restartCount: 49, lastState: terminated('Error', 1, ago('1h')) })]));
    const at = contextFor(deploymentWithPods([containerStatus({ name: 'api', restartCount: 50, lastState: terminated('Error', 1, ago('1h')) })]));
    expect(runCheck(workloadRestarts, below).findings[0]?.severity).toBe('low');
    expect(runCheck(workloadRestarts, at).findings[0]?.severity).toBe('medium');
  });

  it('ignores restarts older than recentHours', () => {
    // 30 restarts, but the last one ended 8 days ago and the container has run since: history, not a finding.
    const context = contextFor(deploymentWithPods([containerStatus({ name: 'api', restartCount: 30, state: running(ago('8d')), lastState: terminated('Error', 1, ago('8d')) })]));
    expect(runCheck(workloadRestarts, context).findings).toEqual([]);
  });

  it('counts a restart exactly recentHours old', () => {
    // 168 hours is inside the window; the window is inclusive.
    const context = contextFor(deploymentWithPods([containerStatus({ name: 'api', restartCount: 30, state: running(ago('168h')), lastState: terminated('Error', 1, ago('168h')) })]));
    expect(runCheck(workloadRestarts, context).findings).toHaveLength(1);
  });

  it('honours a changed recentHours', () => {
    // The same 2-day-old restarts are outside a 24-hour window.
    const files = deploymentWithPods([containerStatus({ name: 'api', restartCount: 30, state: running(ago('2d')), lastState: terminated('Error', 1, ago('2d')) })]);
    expect(runCheck(workloadRestarts, contextFor(files)).findings).toHaveLength(1);
    expect(runCheck(workloadRestarts, contextFor(files, withStability({ recentHours: 24 }))).findings).toEqual([]);
  });

  it('dates restarts by the current run when lastState is empty', () => {
    // 257 restarts, no previous state recorded, running since 200 days: the last restart is that old.
    const context = contextFor(deploymentWithPods([containerStatus({ name: 'api', restartCount: 257, state: running(ago('200d')) })]));
    expect(runCheck(workloadRestarts, context).findings).toEqual([]);
  });

  it('reports undated restarts and says so', () => {
    // 7 restarts with neither a previous termination nor a start time: the age is unknown, so it is reported.
    const context = contextFor(deploymentWithPods([containerStatus({ name: 'api', restartCount: 7, ready: false, state: { waiting: { reason: 'ContainerCreating' } } })]));
    const { findings } = runCheck(workloadRestarts, context);
    expect(findings).toHaveLength(1);
    expect(findings[0]?.problem).toContain('The snapshot does not record how its last run ended.');
    expect(findings[0]?.problem).toContain('In 1 pod the status records neither when its last run ended nor when its current run started, so those restarts may be old.');
  });

  it('reports an old crash loop as medium', () => {
    // The last termination is 9 days old but the container is waiting in CrashLoopBackOff now.
    const context = contextFor(
      deploymentWithPods([
        containerStatus({ name: 'api', restartCount: 12, ready: false, state: crashLoopBackOff('api', 'api-7d9f8b6c5-x2kqp'), lastState: terminated('Error', 2, ago('9d')) }),
      ]),
    );
    const { findings } = runCheck(workloadRestarts, context);
    expect(findings.map((finding) => [finding.title, finding.severity])).toEqual([['Deployment shop/api: 1 pod restarted 12 times, 1 in CrashLoopBackOff', 'medium']]);
    expect(findings[0]?.problem).toContain('It is waiting in CrashLoopBackOff in 1 pod.');
    expect(findings[0]?.evidence.map((entry) => entry.source?.path)).toContain('$.items[0].status.containerStatuses[0].state.waiting');
  });

  it('counts init container restarts', () => {
    // The init container has failed 8 times and waits in CrashLoopBackOff; the app container never started.
    const context = contextFor({
      'pods.json': [
        list([
          pod({
            namespace: 'batch',
            name: 'migrate-0',
            owner: { kind: 'StatefulSet', name: 'migrate' },
            containers: [container({ name: 'db' })],
            initContainers: [container({ name: 'schema' })],
            containerStatuses: [containerStatus({ name: 'db', ready: false, state: { waiting: { reason: 'PodInitializing' } } })],
            initContainerStatuses: [
              containerStatus({ name: 'schema', restartCount: 8, ready: false, state: crashLoopBackOff('schema', 'migrate-0'), lastState: terminated('Error', 1, ago('3m')) }),
            ],
            phase: 'Pending',
          }),
        ]),
      ],
    });
    const { findings } = runCheck(workloadRestarts, context);
    expect(findings.map((finding) => finding.title)).toEqual(['StatefulSet batch/migrate: 1 pod restarted 8 times, 1 in CrashLoopBackOff']);
    expect(findings[0]?.problem).toContain('Init container schema restarted 8 times');
    expect(findings[0]?.evidence[0]?.source?.path).toBe('$.items[0].status.initContainerStatuses[0].restartCount');
  });

  it('leaves OOMKilled restarts to workload-oom-killed', () => {
    // 20 recent restarts, the last one OOMKilled: reported once, by the OOM check.
    const context = contextFor(deploymentWithPods([containerStatus({ name: 'api', restartCount: 20, lastState: terminated('OOMKilled', 137, ago('20m')) })]));
    expect(runCheck(workloadRestarts, context).findings).toEqual([]);
  });

  it('names the Deployment when the ReplicaSet is missing', () => {
    // Only the pod was exported: its ReplicaSet name minus the pod-template-hash label names the Deployment.
    const files = deploymentWithPods([containerStatus({ name: 'api', restartCount: 6, lastState: terminated('Error', 1, ago('1h')) })]);
    const context = contextFor({ 'pods.json': files['pods.json'] });
    expect(runCheck(workloadRestarts, context).findings.map((finding) => finding.title)).toEqual(['Deployment shop/api: 1 pod restarted 6 times']);
  });

  it('names the ReplicaSet when no hash label links it', () => {
    // Without a pod-template-hash label the ReplicaSet cannot be traced to a Deployment and is the workload.
    const context = contextFor({
      'pods.json': [
        list([
          pod({
            namespace: 'shop',
            name: 'legacy-rs-abcde',
            owner: { kind: 'ReplicaSet', name: 'legacy-rs' },
            containers: [container({ name: 'web' })],
            containerStatuses: [containerStatus({ name: 'web', restartCount: 6, lastState: terminated('Error', 1, ago('1h')) })],
          }),
        ]),
      ],
    });
    expect(runCheck(workloadRestarts, context).findings.map((finding) => finding.title)).toEqual(['ReplicaSet shop/legacy-rs: 1 pod restarted 6 times']);
  });

  it('treats a bare pod as its own workload', () => {
    // No owner reference: the pod is the workload, and the title gives its total restarts.
    const context = contextFor({
      'pods.json': [
        list([
          pod({
            namespace: 'default',
            name: 'debug-shell',
            containers: [container({ name: 'shell' })],
            containerStatuses: [containerStatus({ name: 'shell', restartCount: 9, lastState: terminated('Completed', 0, ago('30m')) })],
          }),
        ]),
      ],
    });
    const { findings } = runCheck(workloadRestarts, context);
    expect(findings.map((finding) => [finding.title, finding.severity])).toEqual([['Pod default/debug-shell: restarted 9 times', 'low']]);
    expect(findings[0]?.resources).toEqual([{ kind: 'Pod', namespace: 'default', name: 'debug-shell' }]);
  });

  it('reports nothing for a healthy workload', () => {
    // Running for days, no restarts, no probe Events.
    const context = contextFor(deploymentWithPods([containerStatus({ name: 'api' }), containerStatus({ name: 'api' })]));
    expect(runCheck(workloadRestarts, context).findings).toEqual([]);
  });

  it('sums events.k8s.io series and deprecated counts', () => {
    // series.count wins over deprecatedCount (20, not 3), and deprecatedCount counts without a series (5).
    // An Event with neither happened once (1), so there are 26 failed liveness probes in all.
    const files = deploymentWithPods([containerStatus({ name: 'api', restartCount: 6, lastState: terminated('Error', 137, ago('2m')) })]);
    const podName = 'api-7d9f8b6c5-x2kqp';
    const message = 'Liveness probe failed: HTTP probe failed with statuscode: 500';
    const context = contextFor({
      ...files,
      'events.json': [
        list([
          eventsV1Event({ namespace: 'shop', pod: podName, container: 'api', reason: 'Unhealthy', message, seriesCount: 20, deprecatedCount: 3 }),
          eventsV1Event({ namespace: 'shop', pod: podName, container: 'api', reason: 'Unhealthy', message, deprecatedCount: 5 }),
          eventsV1Event({ namespace: 'shop', pod: podName, container: 'api', reason: 'Unhealthy', message }),
        ]),
      ],
    });
    expect(runCheck(workloadRestarts, context).findings[0]?.problem).toContain('the liveness probe fails (26 failed probes in the Events)');
  });

  it('ignores liveness Events older than recentHours', () => {
    // The only liveness Event is 9 days old, so the cause falls back to the exit code.
    const files = deploymentWithPods([containerStatus({ name: 'api', restartCount: 6, lastState: terminated('Error', 137, ago('2m')) })]);
    const context = contextFor({
      ...files,
      'events.json': [list([coreEvent({ namespace: 'shop', pod: 'api-7d9f8b6c5-x2kqp', container: 'api', reason: 'Unhealthy', message: 'Liveness probe failed: timeout', count: 50, lastTimestamp: ago('9d') })])],
    });
    const problem = runCheck(workloadRestarts, context).findings[0]?.problem ?? '';
    expect(problem).not.toContain('liveness probe fails');
    expect(problem).toContain('Its last run ended with Error (exit code 137, killed by SIGKILL).');
  });

  it('names probe settings that explain the restarts', () => {
    // The liveness probe leaves timeoutSeconds unset (1 s) with failureThreshold 1 and starts at once with no
    // startupProbe. It checks the same endpoint as the readiness probe, and the last run was killed (137).
    const spec = container({ name: 'api', livenessProbe: httpProbe('/healthz', { failureThreshold: 1 }), readinessProbe: httpProbe('/healthz', { failureThreshold: 3 }) });
    const context = contextFor(deploymentWithPods([containerStatus({ name: 'api', restartCount: 15, lastState: terminated('Error', 137, ago('5m')) })], { spec }));
    const finding = runCheck(workloadRestarts, context).findings[0]!;
    expect(finding.problem).toContain('The liveness probe restarts the container after a single probe that takes longer than 1 s (timeoutSeconds 1 by default, failureThreshold 1).');
    expect(finding.problem).toContain('There is no startupProbe and the liveness probe starts 0 s after the container, so an application that needs more than 10 s (0 + 1 × 10) to start is killed before it is up.');
    expect(finding.problem).toContain('The liveness probe runs the same check as the readiness probe (HTTP GET /healthz on port 8080)');
    expect(finding.recommendation).toContain('Add a startupProbe');
    expect(finding.evidence.map((entry) => entry.source?.path)).toContain('$.items[0].spec.containers[0].livenessProbe');
  });

  it('leaves out probe settings when the application exits on its own', () => {
    // Exit code 1 is the application's own exit, which its probe settings do not explain.
    const spec = container({ name: 'api', livenessProbe: httpProbe('/healthz', { failureThreshold: 1 }) });
    const context = contextFor(deploymentWithPods([containerStatus({ name: 'api', restartCount: 15, lastState: terminated('Error', 1, ago('5m')) })], { spec }));
    expect(runCheck(workloadRestarts, context).findings[0]?.problem).not.toContain('Probe settings');
  });

  it('reports each workload separately', () => {
    // Two Deployments in one namespace each have a restarting pod: two findings, one per workload.
    const first = deploymentWithPods([containerStatus({ name: 'api', restartCount: 6, lastState: terminated('Error', 1, ago('1h')) })]);
    const other = pod({
      namespace: 'shop',
      name: 'cart-5c6d7e8f9-abcde',
      owner: { kind: 'ReplicaSet', name: 'cart-5c6d7e8f9' },
      labels: { 'pod-template-hash': '5c6d7e8f9' },
      containers: [container({ name: 'cart' })],
      containerStatuses: [containerStatus({ name: 'cart', restartCount: 7, lastState: terminated('Error', 1, ago('1h')) })],
    });
    const context = contextFor({ ...first, 'pods.json': [list([...((first['pods.json'][0] as { items: unknown[] }).items), other])] });
    expect(runCheck(workloadRestarts, context).findings.map((finding) => finding.title)).toEqual([
      'Deployment shop/api: 1 pod restarted 6 times',
      'Deployment shop/cart: 1 pod restarted 7 times',
    ]);
  });
});
