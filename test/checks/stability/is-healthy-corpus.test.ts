import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHECKS } from '../../../src/checks/registry.js';
import { parseYamlFile } from '../../../src/collect/snapshot.js';
import { workloadMissingResources } from '../../../src/checks/stability/workload-missing-resources.js';
import { workloadOomKilled } from '../../../src/checks/stability/workload-oom-killed.js';
import { workloadRestarts } from '../../../src/checks/stability/workload-restarts.js';
import type { CheckContext, FindingDraft, SetContainerResourcesFix } from '../../../src/checks/types.js';
import { DEFAULT_CONFIG } from '../../../src/config/config.js';
import { loadDocuments } from '../../../src/inventory/load.js';
import { CORPORA, HAS_CORPORA } from '../../support/corpora.js';

// Real Pod and Deployment YAMLs from flanksource/is-healthy, each annotated with the health that project
// expects. Their timestamps hold placeholders such as `@now-5m`, replaced here relative to TEST_TIME, a
// time after every absolute timestamp in the files. The assertions follow from Rampart's thresholds, not
// from is-healthy's verdicts: a pod it calls unhealthy after 2 restarts is below minRestarts here.

const TEST_TIME = '2024-12-01T00:00:00Z';
const ROOT = path.join(CORPORA, 'is-healthy/pkg/health/testdata/Kubernetes');
const { minRestarts } = DEFAULT_CONFIG.stability;

type Raw = Record<string, any>;

interface CorpusCase {
  file: string;
  raw: Raw;
  context: CheckContext;
}

/** Replaces `@now` and `@now-<n><s|m|h|d>` placeholders with timestamps relative to TEST_TIME. */
function substitute(value: unknown): unknown {
  if (typeof value === 'string') {
    const match = /^@now(?:-(\d+)([smhd]))?$/.exec(value);
    if (!match) return value;
    const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(match[2] ?? 's') as 's' | 'm' | 'h' | 'd'];
    return new Date(Date.parse(TEST_TIME) - Number(match[1] ?? 0) * unit).toISOString();
  }
  if (Array.isArray(value)) return value.map(substitute);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, entry]) => [key, substitute(entry)]));
  return value;
}

/** Reads a corpus file with the snapshot reader, which tolerates the duplicate keys one file has. */
function readCase(kind: 'Pod' | 'Deployment', file: string): Raw {
  const parsed = parseYamlFile(file, readFileSync(path.join(ROOT, kind, file), 'utf8'));
  if (!parsed.file || parsed.problems.length > 0) throw new Error(`${kind}/${file} did not parse: ${JSON.stringify(parsed.problems)}`);
  return substitute(parsed.file.documents[0]) as Raw;
}

/** Loads one file on its own, with extra documents when the check needs another kind present. */
function loadCase(kind: 'Pod' | 'Deployment', file: string, companions: Raw[] = []): CorpusCase {
  const raw = readCase(kind, file);
  const { inventory } = loadDocuments({ [`${kind.toLowerCase()}s/${file}`]: [raw], ...(companions.length > 0 ? { 'companions.yaml': companions } : {}) });
  return { file, raw, context: { inventory, config: DEFAULT_CONFIG, snapshotTime: TEST_TIME } };
}

function run(check: typeof workloadRestarts, corpusCase: CorpusCase): FindingDraft[] {
  return check.run(corpusCase.context).findings;
}

function statusesOf(raw: Raw): Raw[] {
  return [...(raw.status?.containerStatuses ?? []), ...(raw.status?.initContainerStatuses ?? [])];
}

const podFiles = HAS_CORPORA ? readdirSync(path.join(ROOT, 'Pod')).filter((file) => file.endsWith('.yaml')).sort() : [];
const deploymentFiles = HAS_CORPORA ? readdirSync(path.join(ROOT, 'Deployment')).filter((file) => file.endsWith('.yaml')).sort() : [];
const stabilityChecks = CHECKS.filter((check) => check.meta.category === 'stability');

describe.skipIf(!HAS_CORPORA)('is-healthy corpus', () => {
  it('loads every file without errors', () => {
    for (const file of podFiles) expect(loadDocuments({ [file]: [readCase('Pod', file)] }).problems, file).toEqual([]);
    for (const file of deploymentFiles) expect(loadDocuments({ [file]: [readCase('Deployment', file)] }).problems, file).toEqual([]);
  });

  it('finds every recent OOM kill', () => {
    const oomFiles = podFiles.filter((file) => readCase('Pod', file).metadata.annotations?.['expected-status'] === 'OOMKilled');
    expect(oomFiles).toEqual(['oomkilled-unhealthy.yaml', 'oomkilled-warning.yaml']);
    for (const file of oomFiles) {
      const corpusCase = loadCase('Pod', file);
      const findings = run(workloadOomKilled, corpusCase);
      expect(findings.map((finding) => finding.title), file).toEqual(['Pod mission-control/oomkilled-pod: container oomkilled OOMKilled (memory limit 200Mi)']);
      // 2 × the 200Mi limit is 400Mi, rounded up to 448Mi. A bare pod cannot be patched, so there is no fix.
      expect(findings[0]?.recommendation, file).toContain('Raise the memory limit of container oomkilled to 448Mi');
      expect(findings[0]?.fixes, file).toBeUndefined();
      // The 9 restarts ended in OOMKilled, so workload-restarts leaves them to the OOM finding.
      expect(run(workloadRestarts, corpusCase), file).toEqual([]);
    }
  });

  it('finds every crash loop at or above minRestarts', () => {
    const crashLooping = podFiles.filter((file) => statusesOf(readCase('Pod', file)).some((status) => status.state?.waiting?.reason === 'CrashLoopBackOff'));
    expect(crashLooping.length).toBeGreaterThan(0);
    for (const file of crashLooping) {
      const corpusCase = loadCase('Pod', file);
      const aboveThreshold = statusesOf(corpusCase.raw).some((status) => status.state?.waiting?.reason === 'CrashLoopBackOff' && status.restartCount >= minRestarts);
      expect(run(workloadRestarts, corpusCase).length > 0, file).toBe(aboveThreshold);
    }
  });

  it('reports the restart loop of test-unhealthy', () => {
    // 6 restarts, the last 5 minutes ago, and now in CrashLoopBackOff. The ReplicaSet is not in the file,
    // so the Deployment is named from the pod-template-hash label. The liveness probe starts after 1 s
    // without a startupProbe, and the last run ended with exit code 0, as after a graceful liveness kill.
    const findings = run(workloadRestarts, loadCase('Pod', 'unhealthy-restarting.yaml'));
    expect(findings.map((finding) => [finding.title, finding.severity])).toEqual([['Deployment flux-182432/test-unhealthy: 1 pod restarted 6 times, 1 in CrashLoopBackOff', 'medium']]);
    expect(findings[0]?.problem).toContain('Its last run ended with Completed (exit code 0).');
    expect(findings[0]?.problem).toContain('There is no startupProbe and the liveness probe starts 1 s after the container');
  });

  it('ignores restarts below minRestarts', () => {
    // is-healthy warns about 2 restarts; Rampart's default minRestarts is 5.
    const corpusCase = loadCase('Pod', 'early-failures.yaml');
    expect(Math.max(...statusesOf(corpusCase.raw).map((status) => status.restartCount))).toBeLessThan(minRestarts);
    expect(run(workloadRestarts, corpusCase)).toEqual([]);
  });

  it('gives healthy pods no stability finding', () => {
    // Healthy means `expected-health: healthy`, or only `expected-ready: "true"` as on the coredns pod.
    // pod-old-restarts (257 restarts, running since May) and restarting (9 restarts in July) are history.
    const healthy = podFiles.filter((file) => {
      const annotations = readCase('Pod', file).metadata.annotations ?? {};
      return annotations['expected-health'] === 'healthy' || (annotations['expected-health'] === undefined && annotations['expected-ready'] === 'true');
    });
    expect(healthy).toEqual(['healthy.yaml', 'pod-old-restarts.yaml', 'restarting.yaml']);
    for (const file of healthy) {
      const corpusCase = loadCase('Pod', file);
      for (const check of stabilityChecks) expect(check.run(corpusCase.context).findings, `${check.meta.id} on ${file}`).toEqual([]);
    }
  });

  it('reads Deployment templates for missing resources', () => {
    // A Deployment file has no pods, so the check reads its template. The healthy coredns pod, whose
    // resources are complete, gives the snapshot its Pod kind as a real export would.
    const companion = readCase('Pod', 'healthy.yaml');
    for (const file of deploymentFiles) {
      const corpusCase = loadCase('Deployment', file, [companion]);
      const containers: Raw[] = corpusCase.raw.spec.template.spec.containers;
      const incomplete = containers.some((entry) => entry.resources?.limits?.memory === undefined || (entry.resources?.requests?.cpu === undefined && entry.resources?.limits?.cpu === undefined));
      const findings = run(workloadMissingResources, corpusCase);
      expect(findings.length, file).toBe(incomplete ? 1 : 0);
    }
  });

  it('names the gap in the Helm-managed podinfo2', () => {
    // podinfo2 requests CPU and memory but sets no memory limit; no PodMetrics, so no fix with numbers.
    const findings = run(workloadMissingResources, loadCase('Deployment', 'restart.yaml', [readCase('Pod', 'healthy.yaml')]));
    expect(findings.map((finding) => finding.title)).toEqual(['Deployment flux-092532/podinfo2: no memory limit on container podinfo']);
    expect(findings[0]?.fixes as SetContainerResourcesFix[] | undefined).toBeUndefined();
  });
});
