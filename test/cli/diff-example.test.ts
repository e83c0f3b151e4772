import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DiffFinding, ReportDiff } from '../../src/report/diff.js';
import { runCli } from '../support/cli.js';
import { EXAMPLE, REPO_ROOT } from '../support/corpora.js';

// `rampart diff` on the bundled example before and after three of its generated fixes: the reflector memory
// patch, the NetworkPolicy for hie-prod-34 PostgreSQL, and loadBalancerSourceRanges on ingress-nginx.
// examples/sde-cluster-fixed/README.md lists every file that differs.

const FIXED = path.join(REPO_ROOT, 'examples/sde-cluster-fixed');

const HIGH_OR_ABOVE = new Set(['critical', 'high']);

async function diffJson(before: string, after: string, ...options: string[]): Promise<{ code: number; diff: ReportDiff }> {
  const result = await runCli('diff', before, after, '-o', 'json', ...options);
  return { code: result.code, diff: JSON.parse(result.stdout) as ReportDiff };
}

// Each diff audits two snapshot folders, so every direction runs once and the tests share the result.
let forward: Promise<{ code: number; diff: ReportDiff }> | undefined;
function fixedDiff(): Promise<{ code: number; diff: ReportDiff }> {
  forward ??= diffJson(EXAMPLE, FIXED, '--fail-on', 'high');
  return forward;
}

function find(findings: DiffFinding[], checkId: string, resource: string): DiffFinding | undefined {
  return findings.find((finding) => finding.checkId === checkId && finding.resources.includes(resource));
}

const FIXED_FINDINGS = [
  { checkId: 'workload-oom-killed', resource: 'Deployment reflector/reflector' },
  { checkId: 'datastore-reachable-beyond-clients', resource: 'StatefulSet hie-prod-34/hie-prod-34-postgresql' },
  { checkId: 'sg-ingress-from-internet', resource: 'Service ingress-nginx/ingress-nginx-controller' },
];

describe('diff of the example before and after its fixes', () => {
  it('lists the fixed findings as resolved', async () => {
    const { diff } = await fixedDiff();
    for (const { checkId, resource } of FIXED_FINDINGS) {
      expect(find(diff.resolved, checkId, resource), `${checkId} ${resource} resolved`).toBeDefined();
      expect(find(diff.unchanged, checkId, resource), `${checkId} ${resource} still reported`).toBeUndefined();
    }
  });

  it('names the right resources in the resolved findings', async () => {
    const { diff } = await fixedDiff();
    const nodePorts = diff.resolved.find((finding) => finding.checkId === 'sg-ingress-from-internet');
    expect(nodePorts?.title).toContain('ingress-nginx/ingress-nginx-controller');
    expect(nodePorts?.title).toContain('sg-0c3f5e2a9d81b4a70');
    const oom = diff.resolved.find((finding) => finding.checkId === 'workload-oom-killed');
    expect(oom?.title).toContain('memory limit 128Mi');
  });

  it('keeps the datastores it did not fix', async () => {
    const { diff } = await fixedDiff();
    expect(find(diff.unchanged, 'datastore-reachable-beyond-clients', 'StatefulSet spicedb/spicedb-postgresql')).toBeDefined();
    expect(find(diff.unchanged, 'datastore-reachable-beyond-clients', 'StatefulSet hutch/hutch-mongodb')).toBeDefined();
  });

  it('adds nothing at high or above', async () => {
    const { diff } = await fixedDiff();
    expect(diff.added.filter((finding) => HIGH_OR_ABOVE.has(finding.severity))).toEqual([]);
    const escalated = diff.unchanged.filter((finding) => finding.previousSeverity !== undefined && HIGH_OR_ABOVE.has(finding.severity));
    expect(escalated).toEqual([]);
  });

  it('shows the internet paths vanishing', async () => {
    const { diff } = await fixedDiff();
    expect(diff.reachability.appeared).toEqual([]);
    const vanished = diff.reachability.vanished.map((entry) => `${entry.source} ${entry.protocol}/${entry.port} ${entry.target}`);
    expect(vanished).toContain('0.0.0.0/0 TCP/5432 Pod hie-prod-34/hie-prod-34-postgresql-0');
    expect(vanished.filter((entry) => entry.startsWith('0.0.0.0/0 tcp/31139 Instance '))).toHaveLength(3);
    expect(vanished.filter((entry) => entry.startsWith('0.0.0.0/0 tcp/32623 Instance '))).toHaveLength(3);
  });

  it('passes --fail-on high', async () => {
    const { code } = await fixedDiff();
    expect(code).toBe(0);
  });

  it('fails --fail-on high when reversed', async () => {
    // Undoing the fixes brings the high PostgreSQL exposure back as new, so the same gate must fail.
    const { code, diff } = await diffJson(FIXED, EXAMPLE, '--fail-on', 'high');
    expect(find(diff.added, 'datastore-reachable-beyond-clients', 'StatefulSet hie-prod-34/hie-prod-34-postgresql')?.severity).toBe('high');
    expect(code).toBe(1);
  });
});
