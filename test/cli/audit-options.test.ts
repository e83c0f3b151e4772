import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHECKS } from '../../src/checks/registry.js';
import type { Report } from '../../src/report/report.js';
import { runCli } from '../support/cli.js';
import { EXAMPLE } from '../support/corpora.js';
import { crashLoopPod } from '../support/pods.js';
import { writeSnapshot } from '../support/tmp.js';

async function audit(...args: string[]): Promise<{ code: number; report: Report; stderr: string }> {
  const root = await writeSnapshot({ 'pods.json': crashLoopPod });
  const result = await runCli('audit', root, '-o', 'json', ...args);
  return { code: result.code, report: result.code === 2 ? ({} as Report) : (JSON.parse(result.stdout) as Report), stderr: result.stderr };
}

function checkIds(report: Report): string[] {
  return [...new Set(report.findings.map((finding) => finding.checkId))].sort();
}

describe('audit check selection', () => {
  it('finds restarts and missing resources by default', async () => {
    const { report } = await audit();
    // The snapshot has a pod and no policy, so the segmentation checks find its namespace open too.
    expect(checkIds(report)).toEqual(['namespace-without-default-deny', 'pod-egress-to-instance-metadata', 'workload-missing-resources', 'workload-restarts']);
  });

  it('runs only --checks', async () => {
    const { report } = await audit('--checks', 'workload-restarts');
    expect(checkIds(report)).toEqual(['workload-restarts']);
    const skipped = report.coverage.filter((entry) => entry.type === 'check' && entry.status === 'skipped');
    expect(skipped).toHaveLength(CHECKS.length - 1);
    expect(skipped).toContainEqual({ type: 'check', checkId: 'workload-missing-resources', status: 'skipped', findings: 0, details: ['not selected (--checks or --skip-checks)'] });
  });

  it('skips --skip-checks', async () => {
    const { report } = await audit('--skip-checks', 'workload-restarts, workload-missing-resources');
    expect(checkIds(report)).toEqual(['namespace-without-default-deny', 'pod-egress-to-instance-metadata']);
    expect(report.checks.map((check) => check.id)).not.toContain('workload-restarts');
  });

  it('rejects an unknown check id', async () => {
    const { code, stderr } = await audit('--checks', 'workload-restarts,no-such-check');
    expect(code).toBe(2);
    expect(stderr).toContain('rampart: error: --checks: unknown check id no-such-check; valid ids: ');
    for (const check of CHECKS) expect(stderr).toContain(check.meta.id);
  });

  it('rejects an empty list', async () => {
    const { code, stderr } = await audit('--skip-checks', ',');
    expect(code).toBe(2);
    expect(stderr).toContain('--skip-checks needs at least one check id');
  });

  it('leaves out findings below --min-severity', async () => {
    const all = await audit();
    const below = all.report.findings.filter((finding) => finding.severity === 'low' || finding.severity === 'info').length;
    expect(below).toBeGreaterThan(0);
    const { report } = await audit('--min-severity', 'medium');
    expect(report.findings.every((finding) => ['critical', 'high', 'medium'].includes(finding.severity))).toBe(true);
    expect(report.summary.belowMinSeverity).toBe(below);
    expect(report.summary.minSeverity).toBe('medium');
  });
});

describe('audit suppressions', () => {
  it('suppresses by check and resource, and counts it', async () => {
    const root = await writeSnapshot({
      'pods.json': crashLoopPod,
      'settings.yaml': 'suppressions:\n  - check: workload-restarts\n    resource: "Pod jobs/*"\n    reason: The worker is being rewritten.\n    expires: 2027-01-01\n',
    });
    const result = await runCli('audit', root, '-o', 'json', '--config', path.join(root, 'settings.yaml'));
    const report = JSON.parse(result.stdout) as Report;
    expect(checkIds(report)).toEqual(['namespace-without-default-deny', 'pod-egress-to-instance-metadata', 'workload-missing-resources']);
    expect(report.summary.suppressed).toBe(1);
    expect(report.suppressed[0]?.finding.checkId).toBe('workload-restarts');
    expect(report.suppressed[0]?.reason).toBe('The worker is being rewritten.');
    // A suppressed finding does not fail the gate. The segmentation checks, whose medium findings would, are left out.
    const gate = await runCli('audit', root, '--config', path.join(root, 'settings.yaml'), '--fail-on', 'medium', '--checks', 'workload-restarts,workload-missing-resources');
    expect(gate.code).toBe(0);
    const terminal = await runCli('audit', root, '--config', path.join(root, 'settings.yaml'));
    expect(terminal.stdout).toContain('1 more suppressed by the settings file');
  });

  it('reports an expired suppression', async () => {
    const root = await writeSnapshot({
      'pods.json': crashLoopPod,
      'settings.yaml': 'suppressions:\n  - check: workload-restarts\n    reason: Accepted until the rewrite.\n    expires: 2026-11-01\n',
    });
    const result = await runCli('audit', root, '-o', 'json', '--config', path.join(root, 'settings.yaml'));
    const report = JSON.parse(result.stdout) as Report;
    expect(report.summary.suppressed).toBe(0);
    expect(checkIds(report)).toContain('workload-restarts');
    expect(report.suppressions[0]).toMatchObject({ status: 'expired', expires: '2026-11-01' });
    expect((await runCli('audit', root, '--config', path.join(root, 'settings.yaml'), '--fail-on', 'medium')).code).toBe(1);
    const markdown = await runCli('audit', root, '-o', 'markdown', '--config', path.join(root, 'settings.yaml'));
    expect(markdown.stdout).toContain('| #1 | expired (2026-11-01) |');
  });
});

describe('audit formats', () => {
  it.each([
    ['html', /^<!DOCTYPE html>\n/],
    ['sarif', /"version": "2\.1\.0"/],
    ['csv', /^id,status,severity,check,area,title,/],
  ])('writes %s', async (format, start) => {
    const root = await writeSnapshot({ 'pods.json': crashLoopPod });
    const result = await runCli('audit', root, '-o', format);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(start);
  });

  it('exits 2 for asff without an AWS account', async () => {
    const root = await writeSnapshot({ 'pods.json': crashLoopPod });
    const result = await runCli('audit', root, '-o', 'asff');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('rampart: error: ASFF needs the AWS account, and the snapshot names none');
  });

  it.skipIf(!existsSync(EXAMPLE))('writes asff for the example cluster', async () => {
    const result = await runCli('audit', EXAMPLE, '-o', 'asff');
    expect(result.code).toBe(0);
    const findings = JSON.parse(result.stdout) as Array<{ AwsAccountId: string; ProductArn: string }>;
    expect(findings.length).toBeGreaterThan(0);
    expect(findings[0]?.ProductArn).toMatch(/^arn:aws:securityhub:eu-west-2:\d{12}:product\/\d{12}\/default$/);
  });

  it.skipIf(!existsSync(EXAMPLE))('writes sarif lines for the example cluster', async () => {
    const result = await runCli('audit', EXAMPLE, '-o', 'sarif');
    const log = JSON.parse(result.stdout) as { runs: Array<{ results: Array<{ locations: Array<{ physicalLocation: { region?: { startLine: number } } }> }> }> };
    const lines = log.runs[0]?.results.map((item) => item.locations[0]?.physicalLocation.region?.startLine ?? 0) ?? [];
    expect(lines.length).toBeGreaterThan(0);
    // The locator found real lines: not every result points at line 1.
    expect(lines.some((line) => line > 1)).toBe(true);
  });
});
