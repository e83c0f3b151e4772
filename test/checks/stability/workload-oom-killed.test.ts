import { describe, expect, it } from 'vitest';
import type { SetContainerResourcesFix } from '../../../src/checks/types.js';
import { workloadOomKilled } from '../../../src/checks/stability/workload-oom-killed.js';
import { workloadRestarts } from '../../../src/checks/stability/workload-restarts.js';
import { ago, container, containerStatus, contextFor, list, pod, podMetrics, running, runCheck, terminated, workload } from './fixtures.js';

const memory = (limit: string, request: string) => ({ limits: { cpu: '500m', memory: limit }, requests: { cpu: '100m', memory: request } });
const HELM = { 'meta.helm.sh/release-name': 'shop-api', 'meta.helm.sh/release-namespace': 'shop' };

/** Builds a Helm-managed Deployment `shop/api` with one pod whose container `api` has the given resources and status. */
function apiDeployment(resources: Record<string, unknown>, status: Record<string, unknown>, extra: Record<string, unknown[]> = {}) {
  const spec = container({ name: 'api', resources });
  return {
    'deployments.json': [list([workload({ kind: 'Deployment', namespace: 'shop', name: 'api', containers: [spec], annotations: HELM })])],
    'replicasets.json': [list([workload({ kind: 'ReplicaSet', namespace: 'shop', name: 'api-6b7c8d9f4', containers: [spec], owner: { kind: 'Deployment', name: 'api' } })])],
    'pods.json': [
      list([
        pod({
          namespace: 'shop',
          name: 'api-6b7c8d9f4-hx7kq',
          owner: { kind: 'ReplicaSet', name: 'api-6b7c8d9f4' },
          labels: { 'pod-template-hash': '6b7c8d9f4' },
          containers: [spec],
          containerStatuses: [status],
        }),
      ]),
    ],
    ...extra,
  };
}

describe('workload-oom-killed', () => {
  it('doubles the limit without PodMetrics', () => {
    // lastState OOMKilled 2 hours ago, limit 256Mi, no metrics: 2 × 256Mi = 512Mi, already a multiple of 64Mi.
    const context = contextFor(apiDeployment(memory('256Mi', '128Mi'), containerStatus({ name: 'api', restartCount: 3, state: running(ago('2h')), lastState: terminated('OOMKilled', 137, ago('2h')) })));

    const { findings } = runCheck(workloadOomKilled, context);

    expect(findings).toHaveLength(1);
    const finding = findings[0]!;
    expect(finding.title).toBe('Deployment shop/api: container api OOMKilled in 1 pod (memory limit 256Mi)');
    expect(finding.severity).toBe('medium');
    expect(finding.problem).toContain('Container api ended with OOMKilled (exit code 137, killed by SIGKILL) in 1 pod, most recently 2 hours before the snapshot.');
    expect(finding.problem).toContain('Its memory limit is 256Mi and its memory request 128Mi.');
    expect(finding.recommendation).toContain('Raise the memory limit of container api to 512Mi (2 × the current limit of 256Mi');
    expect(finding.fixes).toEqual([
      {
        type: 'set-container-resources',
        workload: { kind: 'Deployment', namespace: 'shop', name: 'api' },
        containers: [{ name: 'api', limits: { memory: '512Mi' }, requests: { memory: '512Mi' } }],
        helmRelease: { name: 'shop-api', namespace: 'shop' },
        rationale: expect.stringContaining('2 × the current limit of 256Mi, rounded up to a multiple of 64Mi'),
      },
    ]);
  });

  it('sizes the limit from PodMetrics usage', () => {
    // Usage 400Mi is above the 256Mi limit (it was sampled as the container grew again):
    // 1.5 × 400Mi = 600Mi, rounded up to 640Mi.
    const context = contextFor(
      apiDeployment(memory('256Mi', '256Mi'), containerStatus({ name: 'api', restartCount: 1, lastState: terminated('OOMKilled', 137, ago('30m')) }), {
        'podmetrics.json': [list([podMetrics('shop', 'api-6b7c8d9f4-hx7kq', [{ name: 'api', cpu: '87m', memory: '409600Ki' }])])],
      }),
    );
    const finding = runCheck(workloadOomKilled, context).findings[0]!;
    expect(finding.fixes?.[0]).toMatchObject({ containers: [{ name: 'api', limits: { memory: '640Mi' }, requests: { memory: '640Mi' } }] });
    expect(finding.problem).toContain('PodMetrics show up to 400Mi in use');
    expect(finding.evidence.map((entry) => entry.source?.path)).toContain('$.items[0].containers[0].usage.memory');
  });

  it('keeps the limit as the base when usage is lower', () => {
    // Usage of 50Mi right after the restart is below the limit: 1.5 × the 200Mi limit = 300Mi, rounded up to 320Mi.
    const context = contextFor(
      apiDeployment(memory('200Mi', '100Mi'), containerStatus({ name: 'api', restartCount: 9, lastState: terminated('OOMKilled', 137, ago('2h')) }), {
        'podmetrics.json': [list([podMetrics('shop', 'api-6b7c8d9f4-hx7kq', [{ name: 'api', cpu: '5m', memory: '50Mi' }])])],
      }),
    );
    expect(runCheck(workloadOomKilled, context).findings[0]?.fixes?.[0]).toMatchObject({ containers: [{ limits: { memory: '320Mi' } }] });
  });

  it('finds OOMKilled in state with restartPolicy Never', () => {
    // A Job pod never restarts: the kill is in `state`, restartCount stays 0, and a Job template is
    // immutable, so the finding carries no fix.
    const spec = container({ name: 'report', resources: memory('1Gi', '1Gi') });
    const context = contextFor({
      'jobs.json': [list([workload({ kind: 'Job', namespace: 'batch', name: 'nightly-report', containers: [spec] })])],
      'pods.json': [
        list([
          pod({
            namespace: 'batch',
            name: 'nightly-report-9xk2v',
            owner: { kind: 'Job', name: 'nightly-report' },
            containers: [spec],
            containerStatuses: [containerStatus({ name: 'report', ready: false, state: terminated('OOMKilled', 137, ago('5h')) })],
            restartPolicy: 'Never',
            phase: 'Failed',
          }),
        ]),
      ],
    });
    const { findings } = runCheck(workloadOomKilled, context);
    expect(findings.map((finding) => finding.title)).toEqual(['Job batch/nightly-report: container report OOMKilled in 1 pod (memory limit 1Gi)']);
    expect(findings[0]?.problem).toContain('It is still terminated in 1 pod.');
    expect(findings[0]?.problem).not.toContain('restarted');
    expect(findings[0]?.fixes).toBeUndefined();
    expect(findings[0]?.evidence[0]?.source?.path).toBe('$.items[0].status.containerStatuses[0].state.terminated');
  });

  it('ignores an OOM kill older than recentHours', () => {
    // The only OOM kill ended 8 days ago: history, not a finding.
    const context = contextFor(apiDeployment(memory('256Mi', '128Mi'), containerStatus({ name: 'api', restartCount: 1, lastState: terminated('OOMKilled', 137, ago('8d')) })));
    expect(runCheck(workloadOomKilled, context).findings).toEqual([]);
  });

  it('offers no value without a limit', () => {
    // No memory limit: the node ran out of memory, and one usage sample is no basis for a limit.
    const context = contextFor(apiDeployment({}, containerStatus({ name: 'api', restartCount: 2, lastState: terminated('OOMKilled', 137, ago('1h')) })));
    const finding = runCheck(workloadOomKilled, context).findings[0]!;
    expect(finding.title).toBe('Deployment shop/api: container api OOMKilled in 1 pod (no memory limit)');
    expect(finding.problem).toContain('It has no memory limit, so the kill came from its node running out of memory.');
    expect(finding.recommendation).toContain('Measure the peak memory use of container api');
    expect(finding.fixes).toBeUndefined();
  });

  it('marks an OOM-killed init container in the fix', () => {
    // The init container was killed; the fix patches initContainers, not containers.
    const app = container({ name: 'web', resources: memory('512Mi', '256Mi') });
    const init = container({ name: 'warm-cache', resources: memory('128Mi', '64Mi') });
    const context = contextFor({
      'statefulsets.json': [list([workload({ kind: 'StatefulSet', namespace: 'cache', name: 'web', containers: [app], initContainers: [init] })])],
      'pods.json': [
        list([
          pod({
            namespace: 'cache',
            name: 'web-0',
            owner: { kind: 'StatefulSet', name: 'web' },
            containers: [app],
            initContainers: [init],
            containerStatuses: [containerStatus({ name: 'web', ready: false, state: { waiting: { reason: 'PodInitializing' } } })],
            initContainerStatuses: [containerStatus({ name: 'warm-cache', restartCount: 4, ready: false, lastState: terminated('OOMKilled', 137, ago('3m')) })],
          }),
        ]),
      ],
    });
    const finding = runCheck(workloadOomKilled, context).findings[0]!;
    expect(finding.title).toBe('StatefulSet cache/web: container warm-cache OOMKilled in 1 pod (memory limit 128Mi)');
    expect((finding.fixes?.[0] as SetContainerResourcesFix | undefined)?.containers).toEqual([{ name: 'warm-cache', init: true, limits: { memory: '256Mi' }, requests: { memory: '256Mi' } }]);
  });

  it('reports an OOM kill once, not as a restart', () => {
    // 30 recent restarts ending in OOMKilled: workload-oom-killed reports them and workload-restarts stays silent.
    const context = contextFor(apiDeployment(memory('256Mi', '128Mi'), containerStatus({ name: 'api', restartCount: 30, lastState: terminated('OOMKilled', 137, ago('10m')) })));
    expect(runCheck(workloadOomKilled, context).findings).toHaveLength(1);
    expect(runCheck(workloadRestarts, context).findings).toEqual([]);
  });

  it('reports nothing for a healthy workload', () => {
    // The container's last run ended with Error, not OOMKilled.
    const context = contextFor(apiDeployment(memory('256Mi', '128Mi'), containerStatus({ name: 'api', restartCount: 1, lastState: terminated('Error', 1, ago('10m')) })));
    expect(runCheck(workloadOomKilled, context).findings).toEqual([]);
  });

  it('gives a bare pod no fix', () => {
    // A bare pod's resources cannot be patched; the title drops the pod count.
    const spec = container({ name: 'stress', resources: memory('200Mi', '100Mi') });
    const context = contextFor({
      'pods.json': [
        list([
          pod({
            namespace: 'default',
            name: 'memory-test',
            containers: [spec],
            containerStatuses: [containerStatus({ name: 'stress', restartCount: 9, lastState: terminated('OOMKilled', 1, ago('2h')) })],
          }),
        ]),
      ],
    });
    const finding = runCheck(workloadOomKilled, context).findings[0]!;
    expect(finding.title).toBe('Pod default/memory-test: container stress OOMKilled (memory limit 200Mi)');
    expect(finding.problem.startsWith('Container stress ended with OOMKilled (exit code 1), most recently 2 hours before the snapshot.')).toBe(true);
    expect(finding.fixes).toBeUndefined();
  });
});
