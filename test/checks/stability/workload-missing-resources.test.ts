import { describe, expect, it } from 'vitest';
import type { SetContainerResourcesFix } from '../../../src/checks/types.js';
import { missingInputs } from '../../../src/checks/run.js';
import { workloadMissingResources } from '../../../src/checks/stability/workload-missing-resources.js';
import { container, containerStatus, contextFor, list, pod, podMetrics, runCheck, workload } from './fixtures.js';

/** Builds a Deployment `shop/api` with one pod whose single container `api` has the given resources. */
function apiDeployment(resources: Record<string, unknown>, extra: Record<string, unknown[]> = {}, annotations: Record<string, string> = {}) {
  const spec = container({ name: 'api', resources });
  return {
    'deployments.json': [list([workload({ kind: 'Deployment', namespace: 'shop', name: 'api', containers: [spec], annotations })])],
    'pods.json': [
      list([
        pod({
          namespace: 'shop',
          name: 'api-6b7c8d9f4-hx7kq',
          owner: { kind: 'ReplicaSet', name: 'api-6b7c8d9f4' },
          labels: { 'pod-template-hash': '6b7c8d9f4' },
          containers: [spec],
          containerStatuses: [containerStatus({ name: 'api' })],
        }),
      ]),
    ],
    ...extra,
  };
}

describe('workload-missing-resources', () => {
  it('reports a CNI DaemonSet like any other', () => {
    // A host-network DaemonSet pod in kube-system with no resources at all: system pods are not exempt.
    const spec = container({ name: 'cni-agent' });
    const init = container({ name: 'cni-install' });
    const context = contextFor({
      'daemonsets.json': [list([workload({ kind: 'DaemonSet', namespace: 'kube-system', name: 'cni-node', containers: [spec], initContainers: [init], hostNetwork: true })])],
      'pods.json': [
        list([
          pod({
            namespace: 'kube-system',
            name: 'cni-node-8w4zt',
            owner: { kind: 'DaemonSet', name: 'cni-node' },
            containers: [spec],
            initContainers: [init],
            hostNetwork: true,
            containerStatuses: [containerStatus({ name: 'cni-agent' })],
            initContainerStatuses: [containerStatus({ name: 'cni-install', state: { terminated: { exitCode: 0, reason: 'Completed' } } })],
          }),
        ]),
      ],
    });

    const { findings } = runCheck(workloadMissingResources, context);

    expect(findings).toHaveLength(1);
    const finding = findings[0]!;
    expect(finding.title).toBe('DaemonSet kube-system/cni-node: no memory limit, memory request or CPU request on containers cni-agent and cni-install');
    expect(finding.severity).toBe('low');
    expect(finding.problem).toContain('Container cni-agent has no memory limit, memory request or CPU request.');
    expect(finding.problem).toContain('Init container cni-install has no memory limit, memory request or CPU request.');
    expect(finding.problem).toContain('the pods have the BestEffort QoS class');
    expect(finding.recommendation).toContain('Set `resources.limits.memory`, `resources.requests.memory` and `resources.requests.cpu` on container cni-agent');
    expect(finding.fixes).toBeUndefined();
    expect(finding.evidence[0]?.source).toEqual({ file: 'pods.json', path: '$.items[0].spec.containers[0]' });
  });

  it('accepts limits without requests', () => {
    // Kubernetes copies a limit into an unset request, so memory and CPU limits alone leave no gap.
    const context = contextFor(apiDeployment({ limits: { cpu: '1', memory: '512Mi' } }));
    expect(runCheck(workloadMissingResources, context).findings).toEqual([]);
  });

  it('reports a missing memory limit alone', () => {
    // Requests are set but nothing caps memory; a missing CPU limit is not a gap.
    const context = contextFor(apiDeployment({ requests: { cpu: '100m', memory: '128Mi' } }));
    const finding = runCheck(workloadMissingResources, context).findings[0]!;
    expect(finding.title).toBe('Deployment shop/api: no memory limit on container api');
    expect(finding.problem).not.toContain('BestEffort');
    expect(finding.risk).toContain('Without a memory limit');
    expect(finding.risk).not.toContain('Without a CPU request');
  });

  it('reports a missing CPU request alone', () => {
    // Memory limit and request set, CPU left out entirely.
    const context = contextFor(apiDeployment({ limits: { memory: '256Mi' }, requests: { memory: '256Mi' } }));
    expect(runCheck(workloadMissingResources, context).findings.map((finding) => finding.title)).toEqual(['Deployment shop/api: no CPU request on container api']);
  });

  it('suggests values from PodMetrics', () => {
    // Usage 100Mi and 12m: memory 1.5 × 100Mi = 150Mi, rounded up to 192Mi for both request and limit;
    // CPU 1.5 × 12m = 18m, rounded up to 20m. The Helm release comes from the Deployment's annotations,
    // found although the ReplicaSet between the pod and the Deployment is not in the snapshot.
    const context = contextFor(
      apiDeployment(
        {},
        { 'podmetrics.json': [list([podMetrics('shop', 'api-6b7c8d9f4-hx7kq', [{ name: 'api', cpu: '11574382n', memory: '102400Ki' }])])] },
        { 'meta.helm.sh/release-name': 'shop-api', 'meta.helm.sh/release-namespace': 'shop' },
      ),
    );
    const finding = runCheck(workloadMissingResources, context).findings[0]!;
    expect(finding.fixes).toEqual([
      {
        type: 'set-container-resources',
        workload: { kind: 'Deployment', namespace: 'shop', name: 'api' },
        containers: [{ name: 'api', limits: { memory: '192Mi' }, requests: { memory: '192Mi', cpu: '20m' } }],
        helmRelease: { name: 'shop-api', namespace: 'shop' },
        rationale: expect.stringContaining('Suggested from one PodMetrics sample, not a peak'),
      },
    ]);
    expect(finding.recommendation).toContain('a suggestion from one PodMetrics sample');
    expect(finding.evidence.map((entry) => entry.fact)).toContain('PodMetrics show container api using up to 100Mi of memory and 12m of CPU at 2024-12-01T11:59:00Z.');
  });

  it('bases a missing limit on the request when usage is lower', () => {
    // The 256Mi request is above the 40Mi usage: 1.5 × 256Mi = 384Mi, a multiple of 64Mi. Only the limit is set.
    const context = contextFor(
      apiDeployment({ requests: { cpu: '50m', memory: '256Mi' } }, { 'podmetrics.json': [list([podMetrics('shop', 'api-6b7c8d9f4-hx7kq', [{ name: 'api', cpu: '3m', memory: '40Mi' }])])] }),
    );
    const fix = runCheck(workloadMissingResources, context).findings[0]?.fixes?.[0] as SetContainerResourcesFix | undefined;
    expect(fix?.containers).toEqual([{ name: 'api', limits: { memory: '384Mi' } }]);
  });

  it('reads the template of a workload without pods', () => {
    // The Deployment has no pods in the snapshot; its ReplicaSet belongs to it and is not reported again.
    // The pods of shop/api have complete resources and give the snapshot its Pod kind.
    const spec = container({ name: 'worker' });
    const context = contextFor({
      ...apiDeployment({ limits: { cpu: '1', memory: '512Mi' } }),
      'deployments.json': [list([workload({ kind: 'Deployment', namespace: 'jobs', name: 'worker', containers: [spec] })])],
      'replicasets.json': [list([workload({ kind: 'ReplicaSet', namespace: 'jobs', name: 'worker-7f8c9d', containers: [spec], owner: { kind: 'Deployment', name: 'worker' } })])],
    });
    const { findings } = runCheck(workloadMissingResources, context);
    expect(findings.map((finding) => finding.title)).toEqual(['Deployment jobs/worker: no memory limit, memory request or CPU request on container worker']);
    expect(findings[0]?.problem).toContain('The snapshot has no pods for this workload, so the pod template was read.');
    expect(findings[0]?.evidence[0]?.source).toEqual({ file: 'deployments.json', path: '$.items[0].spec.template.spec.containers[0]' });
  });

  it('reads a CronJob template once', () => {
    // A CronJob and the Job it created, without pods: one finding, about the CronJob.
    const spec = container({ name: 'backup', resources: { requests: { cpu: '100m', memory: '64Mi' } } });
    const cronJob = {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'backup', namespace: 'ops', uid: '5f0c3a52-0d7e-4a47-9a51-6b1f0c2d9e11', resourceVersion: '1200', creationTimestamp: '2024-10-01T00:00:00Z' },
      spec: {
        concurrencyPolicy: 'Forbid',
        jobTemplate: { metadata: { creationTimestamp: null }, spec: { template: { metadata: { creationTimestamp: null }, spec: { containers: [spec], restartPolicy: 'OnFailure' } } } },
        schedule: '0 3 * * *',
      },
      status: { lastScheduleTime: '2024-12-01T03:00:00Z' },
    };
    const context = contextFor({
      ...apiDeployment({ limits: { cpu: '1', memory: '512Mi' } }),
      'cronjobs.json': [list([cronJob])],
      'jobs.json': [list([workload({ kind: 'Job', namespace: 'ops', name: 'backup-28884780', containers: [spec], owner: { kind: 'CronJob', name: 'backup' } })])],
    });
    const { findings } = runCheck(workloadMissingResources, context);
    expect(findings.map((finding) => finding.title)).toEqual(['CronJob ops/backup: no memory limit on container backup']);
    expect(findings[0]?.evidence[0]?.source?.path).toBe('$.items[0].spec.jobTemplate.spec.template.spec.containers[0]');
  });

  it('runs on workload manifests without Pods', () => {
    // Helm-rendered manifests have no Pods at all; the Deployment's template is read.
    const spec = container({ name: 'web' });
    const context = contextFor({ 'manifests.json': [list([workload({ kind: 'Deployment', namespace: 'web', name: 'site', containers: [spec] })])] });
    expect(context.inventory.has('Pod')).toBe(false);
    expect(missingInputs(workloadMissingResources.meta, context.inventory)).toEqual([]);
    const { findings } = runCheck(workloadMissingResources, context);
    expect(findings.map((finding) => finding.title)).toEqual(['Deployment web/site: no memory limit, memory request or CPU request on container web']);
  });

  it('is skipped without Pods or workloads', () => {
    const context = contextFor({ 'events.json': [list([])] });
    expect(missingInputs(workloadMissingResources.meta, context.inventory)).toEqual([
      'no Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job or CronJob in the snapshot (the check needs at least one of these kinds)',
    ]);
  });

  it('reports nothing when resources are complete', () => {
    // Memory request and limit and a CPU request: nothing is missing.
    const context = contextFor(apiDeployment({ limits: { memory: '256Mi' }, requests: { cpu: '100m', memory: '128Mi' } }));
    expect(runCheck(workloadMissingResources, context).findings).toEqual([]);
  });
});
