import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { EXAMPLE } from '../support/corpora.js';

// The bundled example cluster, audited end to end through the CLI.

interface JsonFinding {
  id: string;
  checkId: string;
  severity: string;
  title: string;
  problem: string;
  resources: Array<{ kind: string; namespace?: string; name?: string }>;
  evidence: Array<{ fact: string; source?: { file: string; path: string } }>;
  remediations: Array<{ format: string; content: string }>;
}

async function auditJson(): Promise<{ findings: JsonFinding[]; coverage: Array<Record<string, unknown>> }> {
  const result = await runCli('audit', EXAMPLE, '-o', 'json');
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as { findings: JsonFinding[]; coverage: Array<Record<string, unknown>> };
}

const STABILITY_CHECKS = ['workload-restarts', 'workload-oom-killed', 'workload-probe-failures', 'workload-missing-resources'];

describe('example cluster audit', () => {
  it('reports the compliance-benchmarker restarts', async () => {
    const { findings } = await auditJson();
    const finding = findings.find((candidate) => candidate.checkId === 'workload-restarts' && candidate.resources.some((resource) => resource.name === 'compliance-benchmarker'));
    expect(finding).toBeDefined();
    expect(finding?.resources[0]).toMatchObject({ kind: 'DaemonSet', namespace: 'tigera-compliance', name: 'compliance-benchmarker' });
    expect(finding?.title).toMatch(/3 pods restarted 7\d\d–7\d\d times/);
    expect(finding?.problem).toContain('liveness probe fails');
    expect(finding?.evidence.some((evidence) => evidence.source?.file === 'kubernetes/workloads.json')).toBe(true);
  });

  it('reports the reflector OOM kills with a patch', async () => {
    const { findings } = await auditJson();
    const finding = findings.find((candidate) => candidate.checkId === 'workload-oom-killed');
    expect(finding?.resources[0]).toMatchObject({ kind: 'Deployment', namespace: 'reflector', name: 'reflector' });
    expect(finding?.problem).toContain('restarted 27 times');
    const patch = finding?.remediations.find((remediation) => remediation.format === 'kubectl');
    expect(patch?.content).toContain('kubectl -n reflector patch deployment reflector');
    expect(patch?.content).toContain('"memory":"192Mi"');
  });

  it('gives healthy workloads no stability finding', async () => {
    const { findings } = await auditJson();
    const flagged = new Set(findings.filter((finding) => STABILITY_CHECKS.includes(finding.checkId)).flatMap((finding) => finding.resources.map((resource) => `${resource.namespace}/${resource.name}`)));
    for (const healthy of ['kube-system/coredns', 'hie-prod-34/hie-prod-34-ffcloud-service', 'hie-prod-34/hie-prod-34-postgresql', 'hutch/hutch-mongodb', 'monitoring/prometheus-node-exporter']) {
      expect(flagged.has(healthy), healthy).toBe(false);
    }
  });

  it('lists refused and ignored files in coverage', async () => {
    const { coverage } = await auditJson();
    expect(coverage).toContainEqual(expect.objectContaining({ type: 'file', file: 'kubernetes/secrets.json', status: 'refused' }));
    expect(coverage).toContainEqual(expect.objectContaining({ type: 'file', file: 'aws/eu-west-2/eks-describe-addon.vpc-cni.json', status: 'ignored' }));
  });

  it('gives byte-identical JSON and Markdown', async () => {
    const [jsonA, jsonB, markdownA, markdownB] = await Promise.all([
      runCli('audit', EXAMPLE, '-o', 'json'),
      runCli('audit', EXAMPLE, '-o', 'json'),
      runCli('audit', EXAMPLE, '-o', 'markdown'),
      runCli('audit', EXAMPLE, '-o', 'markdown'),
    ]);
    expect(jsonA.stdout.length).toBeGreaterThan(1000);
    expect(jsonA.stdout).toBe(jsonB.stdout);
    expect(markdownA.stdout).toBe(markdownB.stdout);
  });

  it('never prints a credential from the snapshot', async () => {
    const outputs = await Promise.all([
      runCli('audit', EXAMPLE, '-o', 'json'),
      runCli('audit', EXAMPLE, '-o', 'markdown'),
      runCli('audit', EXAMPLE, '-v'),
    ]);
    for (const output of outputs) {
      const text = output.stdout + output.stderr;
      expect(text).not.toContain('EXAMPLE-NOT-A-REAL-PASSWORD');
      expect(text).not.toContain(Buffer.from('EXAMPLE-NOT-A-REAL-PASSWORD').toString('base64'));
      expect(text).not.toContain('last-applied-configuration');
    }
  });
});
