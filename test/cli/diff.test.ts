import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { EvidencePath } from '../../src/checks/types.js';
import { countNewAtOrAbove, diffReports, type ReportDiff } from '../../src/report/diff.js';
import { runCli } from '../support/cli.js';
import { EXAMPLE } from '../support/corpora.js';
import { writeSnapshot } from '../support/tmp.js';
import { sampleReport } from '../report/fixtures.js';

/** Builds a pod without an owner; `restarts` above the threshold makes workload-restarts report it. */
function pod(restarts: number) {
  const crashing = restarts > 0;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'worker', namespace: 'jobs', uid: 'a1b2c3d4-0000-4000-8000-000000000001' },
    spec: { containers: [{ name: 'worker', image: 'busybox:1.36' }], restartPolicy: 'Always' },
    status: {
      phase: 'Running',
      startTime: '2026-11-20T08:00:00Z',
      containerStatuses: [
        {
          name: 'worker',
          ready: !crashing,
          restartCount: restarts,
          state: crashing ? { waiting: { reason: 'CrashLoopBackOff', message: 'back-off 5m0s restarting failed container' } } : { running: { startedAt: '2026-11-20T09:50:02Z' } },
          ...(crashing ? { lastState: { terminated: { exitCode: 1, reason: 'Error', startedAt: '2026-11-20T09:50:00Z', finishedAt: '2026-11-20T09:50:02Z' } } } : {}),
        },
      ],
    },
  };
}

function parse(stdout: string): ReportDiff {
  return JSON.parse(stdout) as ReportDiff;
}

const pathTo = (source: string, port: number): EvidencePath => ({ source, protocol: 'tcp', port, target: { kind: 'Pod', id: 'hutch/minio-0' }, hops: [] });

describe('rampart diff', () => {
  it('shows a resolved finding between snapshots', async () => {
    const before = await writeSnapshot({ 'pods.json': pod(240) });
    const after = await writeSnapshot({ 'pods.json': pod(0) });
    const result = await runCli('diff', before, after, '-o', 'json');
    expect(result.code).toBe(0);
    const diff = parse(result.stdout);
    expect(diff.resolved.map((finding) => finding.checkId)).toEqual(['workload-restarts']);
    expect(diff.added).toEqual([]);
    // The pod sets no resources and no policy isolates it in either snapshot, so those findings stay.
    expect(diff.unchanged.map((finding) => finding.checkId).sort()).toEqual(['namespace-without-default-deny', 'pod-egress-to-instance-metadata', 'workload-missing-resources']);
  });

  it('fails on a new finding at --fail-on', async () => {
    const healthy = await writeSnapshot({ 'pods.json': pod(0) });
    const crashing = await writeSnapshot({ 'pods.json': pod(240) });
    const json = parse((await runCli('diff', healthy, crashing, '-o', 'json')).stdout);
    const added = json.added.find((finding) => finding.checkId === 'workload-restarts');
    expect(added?.severity).toBe('medium');
    expect((await runCli('diff', healthy, crashing, '--fail-on', 'medium')).code).toBe(1);
    expect((await runCli('diff', healthy, crashing, '--fail-on', 'high')).code).toBe(0);
    // Resolving a finding never fails the gate.
    expect((await runCli('diff', crashing, healthy, '--fail-on', 'info')).code).toBe(0);
  });

  it('prints new and resolved findings as text', async () => {
    const before = await writeSnapshot({ 'pods.json': pod(240) });
    const after = await writeSnapshot({ 'pods.json': pod(0) });
    const result = await runCli('diff', before, after);
    expect(result.stdout).toContain('0 new, 1 resolved, 0 newly suppressed, 3 unchanged; reachability: 0 appeared, 0 vanished');
    expect(result.stdout).toMatch(/Resolved \(1\)\n {2}- \[medium\] Pod jobs\/worker/);
  });

  it('compares JSON reports', async () => {
    const folder = await writeSnapshot({});
    const before = sampleReport();
    const after = sampleReport();
    const [exposure, postgres, minio, restarts] = after.findings;
    if (!exposure || !postgres || !minio || !restarts) throw new Error('sample report changed');
    after.findings = [exposure, { ...minio, severity: 'critical', paths: [pathTo('hutch/hutch-api-6f7c9d-x2x4p', 9000), pathTo('hutch/hutch-worker-0', 9000), pathTo('kube-system/coredns-0', 9000)] }, restarts];
    await writeFile(path.join(folder, 'before.json'), JSON.stringify(before));
    await writeFile(path.join(folder, 'after.json'), JSON.stringify(after));

    const result = await runCli('diff', path.join(folder, 'before.json'), path.join(folder, 'after.json'), '-o', 'json');
    expect(result.code).toBe(0);
    const diff = parse(result.stdout);
    expect(diff.resolved.map((finding) => finding.id)).toEqual([postgres.id]);
    expect(diff.added).toEqual([]);
    expect(diff.unchanged.find((finding) => finding.id === minio.id)?.previousSeverity).toBe('medium');
    expect(diff.reachability.appeared).toEqual([
      { source: 'hutch/hutch-worker-0', protocol: 'tcp', port: 9000, target: 'Pod hutch/minio-0', findings: [minio.id] },
      { source: 'kube-system/coredns-0', protocol: 'tcp', port: 9000, target: 'Pod hutch/minio-0', findings: [minio.id] },
    ]);
    expect(diff.reachability.vanished.map((entry) => `${entry.source} → ${entry.target}`)).toEqual([
      '10.65.0.0/20 → Pod hie-prod-34/hie-prod-34-postgresql-0',
      'hie-prod-34/ffcloud-service-7d9c-abcde → Pod hutch/minio-0',
      'hutch/hutch-api-6f7c9d-x2x4p → Pod hie-prod-34/hie-prod-34-postgresql-0',
      'hutch/hutch-worker-0 → Pod hie-prod-34/hie-prod-34-postgresql-0',
      'spicedb/spicedb-0 → Pod hie-prod-34/hie-prod-34-postgresql-0',
    ]);
    // The MinIO finding rose from medium to critical: an escalation fails the gate.
    expect((await runCli('diff', path.join(folder, 'before.json'), path.join(folder, 'after.json'), '--fail-on', 'high')).code).toBe(1);
  });

  it('writes markdown', async () => {
    const folder = await writeSnapshot({});
    const before = sampleReport();
    const after = sampleReport({ findings: sampleReport().findings.slice(1) });
    await writeFile(path.join(folder, 'before.json'), JSON.stringify(before));
    await writeFile(path.join(folder, 'after.json'), JSON.stringify(after));
    const result = await runCli('diff', path.join(folder, 'before.json'), path.join(folder, 'after.json'), '-o', 'markdown');
    expect(result.stdout).toContain('| Resolved findings | 1 |');
    expect(result.stdout).toContain('| critical | NodePort 31139 is reachable from the internet | `nodeport-open-to-internet` |');
    expect(result.stdout).toContain('- 0.0.0.0/0 → Pod hie-prod-34/ffcloud-service-7d9c-abcde on tcp/31139');
  });

  it('exits 2 for an input that is not a report', async () => {
    const folder = await writeSnapshot({ 'other.json': { hello: 'world' }, 'text.json': 'not json' });
    const notReport = await runCli('diff', path.join(folder, 'other.json'), folder);
    expect(notReport.code).toBe(2);
    expect(notReport.stderr).toContain('other.json is not a Rampart JSON report: $.tool:');
    const notJson = await runCli('diff', path.join(folder, 'text.json'), folder);
    expect(notJson.code).toBe(2);
    expect(notJson.stderr).toContain('is neither a snapshot folder nor a JSON report');
    const missing = await runCli('diff', '/nonexistent/a', folder);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe('rampart: error: /nonexistent/a cannot be read: not found\n');
  });

  it.skipIf(!existsSync(EXAMPLE))('finds no change in the example against its own report', async () => {
    const folder = await writeSnapshot({});
    const report = await runCli('audit', EXAMPLE, '-o', 'json', '--output', path.join(folder, 'example.json'));
    expect(report.code).toBe(0);
    const result = await runCli('diff', path.join(folder, 'example.json'), EXAMPLE, '-o', 'json', '--fail-on', 'info');
    expect(result.code).toBe(0);
    const diff = parse(result.stdout);
    expect(diff.added).toEqual([]);
    expect(diff.resolved).toEqual([]);
    expect(diff.unchanged.length).toBeGreaterThan(0);
  });
});

describe('countNewAtOrAbove', () => {
  const base = { id: 'a', checkId: 'c', title: 't', resources: [] };
  const diff = (partial: Partial<ReportDiff>): ReportDiff => ({
    old: { source: 'a', time: null },
    new: { source: 'b', time: null },
    added: [],
    resolved: [],
    suppressed: [],
    unchanged: [],
    reachability: { appeared: [], vanished: [] },
    ...partial,
  });

  it('counts added findings at or above', () => {
    expect(countNewAtOrAbove(diff({ added: [{ ...base, severity: 'high' }, { ...base, severity: 'low' }] }), 'high')).toBe(1);
  });

  it('counts escalations across the threshold', () => {
    expect(countNewAtOrAbove(diff({ unchanged: [{ ...base, severity: 'high', previousSeverity: 'low' }] }), 'high')).toBe(1);
    expect(countNewAtOrAbove(diff({ unchanged: [{ ...base, severity: 'critical', previousSeverity: 'high' }] }), 'high')).toBe(0);
  });

  it('ignores resolved and suppressed findings', () => {
    expect(countNewAtOrAbove(diff({ resolved: [{ ...base, severity: 'critical' }], suppressed: [{ ...base, severity: 'critical' }] }), 'info')).toBe(0);
  });
});

describe('diffReports', () => {
  it('separates suppressed from resolved', () => {
    const before = sampleReport();
    const after = sampleReport();
    const moved = after.findings.shift();
    if (!moved) throw new Error('sample report changed');
    after.suppressed = [...after.suppressed, { finding: moved, suppression: 1, reason: 'accepted' }];
    const result = diffReports(before, after);
    expect(result.suppressed.map((finding) => finding.id)).toEqual([moved.id]);
    expect(result.resolved).toEqual([]);
    // The path of a suppressed finding still exists, so reachability does not change.
    expect(result.reachability.vanished).toEqual([]);
  });
});
