import { describe, expect, it } from 'vitest';
import { workloadProbeFailures } from '../../../src/checks/stability/workload-probe-failures.js';
import { ago, container, containerStatus, contextFor, coreEvent, eventsV1Event, list, pod, runCheck, terminated, withStability, workload } from './fixtures.js';

const POD = 'web-58c9d7f6b4-kq2xz';
const readiness = { httpGet: { path: '/ready', port: 8080, scheme: 'HTTP' }, periodSeconds: 5, timeoutSeconds: 1, failureThreshold: 3, successThreshold: 1 };
const liveness = { httpGet: { path: '/livez', port: 8080, scheme: 'HTTP' }, initialDelaySeconds: 20, periodSeconds: 10, timeoutSeconds: 3, failureThreshold: 3, successThreshold: 1 };

/** Builds a Deployment `shop/web` with one pod, whose container restarted `restartCount` times, and the given Events. */
function webDeployment(events: unknown[], restartCount = 0) {
  const spec = container({ name: 'web', readinessProbe: readiness, livenessProbe: liveness });
  return {
    'deployments.json': [list([workload({ kind: 'Deployment', namespace: 'shop', name: 'web', containers: [spec] })])],
    'pods.json': [
      list([
        pod({
          namespace: 'shop',
          name: POD,
          owner: { kind: 'ReplicaSet', name: 'web-58c9d7f6b4' },
          labels: { 'pod-template-hash': '58c9d7f6b4' },
          containers: [spec],
          containerStatuses: [
            containerStatus({ name: 'web', restartCount, ...(restartCount > 0 ? { lastState: terminated('Error', 137, ago('15m')) } : {}) }),
          ],
        }),
      ]),
    ],
    'events.json': [list(events)],
  };
}

const unhealthy = (message: string, count: number | undefined, lastTimestamp?: string) =>
  coreEvent({ namespace: 'shop', pod: POD, container: 'web', reason: 'Unhealthy', message, count, ...(lastTimestamp ? { lastTimestamp } : {}) });

describe('workload-probe-failures', () => {
  it('reports readiness failures at minProbeFailures', () => {
    // 8 + 2 = 10 readiness failures within the window: exactly the default minProbeFailures.
    const context = contextFor(
      webDeployment([
        unhealthy('Readiness probe failed: HTTP probe failed with statuscode: 503', 8),
        unhealthy('Readiness probe failed: Get "http://10.0.40.17:8080/ready": context deadline exceeded (Client.Timeout exceeded while awaiting headers)', 2),
      ]),
    );

    const { findings } = runCheck(workloadProbeFailures, context);

    expect(findings).toHaveLength(1);
    const finding = findings[0]!;
    expect(finding.title).toBe('Deployment shop/web: readiness probe failed 10 times in 1 pod');
    expect(finding.severity).toBe('low');
    expect(finding.problem).toContain('The readiness probe of container web failed 10 times in 1 pod (HTTP status 503 ×8, timed out ×2), most recently 10 minutes before the snapshot.');
    expect(finding.problem).toContain('It runs HTTP GET /ready on port 8080 with timeoutSeconds 1, periodSeconds 5, failureThreshold 3.');
    expect(finding.problem).toContain('While it fails, the pod is removed from the endpoints of its Services.');
    expect(finding.recommendation).toContain('Most failures are error responses');
    expect(finding.evidence[0]?.source).toEqual({ file: 'events.json', path: '$.items[0]' });
    expect(finding.evidence.map((entry) => entry.source?.path)).toContain('$.items[0].spec.containers[0].readinessProbe');
  });

  it('ignores failures just below minProbeFailures', () => {
    // 9 failures are one short of the default threshold of 10.
    const context = contextFor(webDeployment([unhealthy('Readiness probe failed: HTTP probe failed with statuscode: 503', 9)]));
    expect(runCheck(workloadProbeFailures, context).findings).toEqual([]);
  });

  it('honours a changed minProbeFailures', () => {
    // The same 9 failures pass a threshold lowered to 5.
    const files = webDeployment([unhealthy('Readiness probe failed: HTTP probe failed with statuscode: 503', 9)]);
    expect(runCheck(workloadProbeFailures, contextFor(files, withStability({ minProbeFailures: 5 }))).findings).toHaveLength(1);
  });

  it('ignores failures older than recentHours', () => {
    // 40 failures, all 8 days before the snapshot.
    const context = contextFor(webDeployment([unhealthy('Readiness probe failed: HTTP probe failed with statuscode: 500', 40, ago('8d'))]));
    expect(runCheck(workloadProbeFailures, context).findings).toEqual([]);
  });

  it('counts startup failures', () => {
    // 12 startup failures, reported as the kind of failure they are.
    const context = contextFor(webDeployment([unhealthy('Startup probe failed: dial tcp 10.0.40.17:8080: connect: connection refused', 12)]));
    const finding = runCheck(workloadProbeFailures, context).findings[0]!;
    expect(finding.title).toBe('Deployment shop/web: startup probe failed 12 times in 1 pod');
    expect(finding.problem).toContain('(connection refused ×12)');
    expect(finding.recommendation).toContain('Most failures are refused connections');
  });

  it('counts liveness failures of a container that is not restarting', () => {
    // 15 liveness failures, but the container never restarted: nothing else reports them.
    const context = contextFor(webDeployment([unhealthy('Liveness probe failed: HTTP probe failed with statuscode: 500', 15)]));
    const finding = runCheck(workloadProbeFailures, context).findings[0]!;
    expect(finding.title).toBe('Deployment shop/web: liveness probe failed 15 times in 1 pod');
    expect(finding.problem).toContain('The container has not restarted often enough for workload-restarts');
  });

  it('leaves liveness failures of a restarting container to workload-restarts', () => {
    // 20 recent restarts make the container a workload-restarts finding, whose cause these 15 failures are.
    const context = contextFor(webDeployment([unhealthy('Liveness probe failed: HTTP probe failed with statuscode: 500', 15)], 20));
    expect(runCheck(workloadProbeFailures, context).findings).toEqual([]);
  });

  it('keeps readiness failures of a restarting container', () => {
    // Readiness failures never restart a container, so they are reported even when it restarts.
    const context = contextFor(webDeployment([unhealthy('Readiness probe failed: HTTP probe failed with statuscode: 503', 11)], 20));
    expect(runCheck(workloadProbeFailures, context).findings.map((finding) => finding.title)).toEqual(['Deployment shop/web: readiness probe failed 11 times in 1 pod']);
  });

  it('sums probe kinds in the title', () => {
    // 6 readiness and 5 startup failures make 11 together.
    const context = contextFor(
      webDeployment([unhealthy('Readiness probe failed: HTTP probe failed with statuscode: 503', 6), unhealthy('Startup probe failed: HTTP probe failed with statuscode: 503', 5)]),
    );
    expect(runCheck(workloadProbeFailures, context).findings.map((finding) => finding.title)).toEqual(['Deployment shop/web: readiness and startup probes failed 11 times in 1 pod']);
  });

  it('reads events.k8s.io series counts', () => {
    // series.count 14 wins over deprecatedCount 2.
    const context = contextFor(
      webDeployment([
        eventsV1Event({ namespace: 'shop', pod: POD, container: 'web', reason: 'Unhealthy', message: 'Readiness probe failed: HTTP probe failed with statuscode: 503', seriesCount: 14, deprecatedCount: 2 }),
      ]),
    );
    expect(runCheck(workloadProbeFailures, context).findings.map((finding) => finding.title)).toEqual(['Deployment shop/web: readiness probe failed 14 times in 1 pod']);
  });

  it('counts a core Event without count once', () => {
    // Ten Events without a count field are ten failures.
    const events = Array.from({ length: 10 }, () => unhealthy('Readiness probe failed: HTTP probe failed with statuscode: 503', undefined));
    expect(runCheck(workloadProbeFailures, contextFor(webDeployment(events))).findings.map((finding) => finding.title)).toEqual([
      'Deployment shop/web: readiness probe failed 10 times in 1 pod',
    ]);
  });

  it('does not quote exec probe output', () => {
    // An exec probe's message carries the command's output; only the failure kind appears.
    const context = contextFor(webDeployment([unhealthy('Readiness probe failed: token=abc123 rejected by upstream', 12)]));
    const finding = runCheck(workloadProbeFailures, context).findings[0]!;
    expect(JSON.stringify(finding)).not.toContain('abc123');
    expect(finding.problem).toContain('(other failure ×12)');
  });

  it('notes failures of pods missing from the snapshot', () => {
    // The Events name a replaced pod: they cannot be placed in a workload and are listed as not modelled.
    const context = contextFor(
      webDeployment([coreEvent({ namespace: 'shop', pod: 'web-58c9d7f6b4-gone1', container: 'web', reason: 'Unhealthy', message: 'Readiness probe failed: HTTP probe failed with statuscode: 503', count: 30 })]),
    );
    const outcome = runCheck(workloadProbeFailures, context);
    expect(outcome.findings).toEqual([]);
    expect(outcome.notModelled).toEqual(['Not counted for any workload: 1 probe failure Event of pods that are not in the snapshot.']);
  });

  it('reports nothing for a healthy workload', () => {
    // Only routine Events: a pulled image and a started container.
    const context = contextFor(
      webDeployment([
        coreEvent({ namespace: 'shop', pod: POD, container: 'web', reason: 'Pulled', message: 'Container image "registry.example.com/web:1.4.2" already present on machine', type: 'Normal' }),
        coreEvent({ namespace: 'shop', pod: POD, container: 'web', reason: 'Started', message: 'Started container web', type: 'Normal' }),
      ]),
    );
    expect(runCheck(workloadProbeFailures, context).findings).toEqual([]);
  });
});
