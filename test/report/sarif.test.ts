import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { auditInventory } from '../../src/cli/pipeline.js';
import { DEFAULT_CONFIG } from '../../src/config/config.js';
import { loadSnapshotFolder } from '../../src/inventory/load.js';
import { createLineLocator } from '../../src/report/locate.js';
import { FINGERPRINT_KEY, renderSarif, snapshotUri } from '../../src/report/sarif.js';
import { EXAMPLE, REPO_ROOT } from '../support/corpora.js';
import { emptyReport, hostileReport, sampleReport } from './fixtures.js';

// The SARIF schema below is a subset written for these tests, not the OASIS file: the tests cannot download
// the official schema, and copying it is not allowed. It checks the structure SARIF 2.1.0 defines for the
// objects Rampart writes and the fields GitHub code scanning requires (see the schema's $comment).
const schema = JSON.parse(readFileSync(path.join(REPO_ROOT, 'test/fixtures/sarif-2.1.0-subset.schema.json'), 'utf8')) as object;
const ajv = new Ajv({ allErrors: true, strict: true });
ajv.addFormat('uri', (value: string) => URL.canParse(value));
// A URI reference is absolute, or relative and resolvable against a base, with no spaces or backslashes.
ajv.addFormat('uri-reference', (value: string) => !/[\s\\]/.test(value) && URL.canParse(value, 'file:///base/'));
const validate = ajv.compile(schema);

interface SarifLog {
  version: string;
  runs: Array<{
    tool: { driver: { name: string; rules: Array<{ id: string; properties: Record<string, unknown>; defaultConfiguration: { level: string } }> } };
    results: Array<{
      ruleId: string;
      ruleIndex: number;
      level: string;
      message: { text: string };
      locations: Array<{ physicalLocation: { artifactLocation: { uri: string }; region?: { startLine: number } }; logicalLocations?: Array<{ fullyQualifiedName: string }> }>;
      partialFingerprints: Record<string, string>;
      suppressions?: Array<{ kind: string; status: string; justification: string }>;
    }>;
  }>;
}

function parse(text: string): SarifLog {
  return JSON.parse(text) as SarifLog;
}

function expectValid(log: unknown): void {
  const valid = validate(log);
  expect(valid ? [] : validate.errors).toEqual([]);
}

describe('renderSarif', () => {
  it('validates against the schema subset', () => {
    expectValid(parse(renderSarif(sampleReport())));
  });

  it('validates with hostile values', () => {
    expectValid(parse(renderSarif(hostileReport())));
  });

  it('validates with no findings', () => {
    const log = parse(renderSarif(emptyReport()));
    expectValid(log);
    expect(log.runs[0]?.results).toEqual([]);
  });

  it('rejects a log without fingerprints', () => {
    // Guards the schema itself: a result GitHub would not deduplicate must fail validation.
    const log = parse(renderSarif(sampleReport()));
    delete (log.runs[0]?.results[0] as { partialFingerprints?: unknown }).partialFingerprints;
    expect(validate(log)).toBe(false);
  });

  it('has one rule per check', () => {
    const log = parse(renderSarif(sampleReport()));
    const rules = log.runs[0]?.tool.driver.rules ?? [];
    expect(rules.map((rule) => rule.id)).toEqual(['datastore-reachable-from-any-pod', 'nodeport-open-to-internet', 'workload-restarts']);
    const nodePort = rules.find((rule) => rule.id === 'nodeport-open-to-internet');
    expect(nodePort?.properties['security-severity']).toBe('9.5');
    expect(nodePort?.properties.tags).toEqual(['security', 'network-exposure']);
    expect(nodePort?.defaultConfiguration.level).toBe('error');
    const restarts = rules.find((rule) => rule.id === 'workload-restarts');
    expect(restarts?.properties['security-severity']).toBeUndefined();
    expect(restarts?.properties.tags).toEqual(['reliability', 'stability']);
  });

  it('points ruleIndex at the rule', () => {
    const log = parse(renderSarif(sampleReport()));
    const run = log.runs[0];
    for (const result of run?.results ?? []) expect(run?.tool.driver.rules[result.ruleIndex]?.id).toBe(result.ruleId);
  });

  it('adds a rule for a check without metadata', () => {
    const log = parse(renderSarif(sampleReport({ checks: [] })));
    expectValid(log);
    expect(log.runs[0]?.tool.driver.rules.map((rule) => rule.id)).toContain('workload-restarts');
  });

  it('fingerprints with the finding id', () => {
    const report = sampleReport();
    const results = parse(renderSarif(report)).runs[0]?.results ?? [];
    expect(results.map((result) => result.partialFingerprints[FINGERPRINT_KEY])).toEqual([...report.findings.map((finding) => finding.id), ...report.suppressed.map((entry) => entry.finding.id)]);
  });

  it('marks suppressed findings', () => {
    const results = parse(renderSarif(sampleReport())).runs[0]?.results ?? [];
    const suppressed = results.filter((result) => result.suppressions);
    expect(suppressed).toHaveLength(1);
    expect(suppressed[0]?.suppressions).toEqual([{ kind: 'external', status: 'accepted', justification: 'Import job retries by design.' }]);
  });

  it('locates results at the evidence file and JSON path', () => {
    const results = parse(renderSarif(sampleReport())).runs[0]?.results ?? [];
    const location = results[0]?.locations[0];
    expect(location?.physicalLocation.artifactLocation.uri).toBe('examples/sde-cluster/aws/ec2-describe-security-groups.json');
    expect(location?.physicalLocation.region?.startLine).toBe(1);
    expect(location?.logicalLocations?.[0]?.fullyQualifiedName).toBe('$.SecurityGroups[0].IpPermissions[1]');
  });

  it('uses the line the caller finds', () => {
    const results = parse(renderSarif(sampleReport(), { lineOf: (source) => (source.path.endsWith('IpPermissions[1]') ? 42 : undefined) })).runs[0]?.results ?? [];
    expect(results[0]?.locations[0]?.physicalLocation.region?.startLine).toBe(42);
  });

  it('falls back to the snapshot folder without evidence sources', () => {
    const report = sampleReport();
    const results = parse(renderSarif(report)).runs[0]?.results ?? [];
    // The MinIO finding in the sample has no evidence and its path hops no sources.
    const minio = results.find((result) => result.partialFingerprints[FINGERPRINT_KEY] === '3c4d5e6f70819203');
    expect(minio?.locations[0]?.physicalLocation.artifactLocation.uri).toBe('examples/sde-cluster/');
  });

  it('is deterministic', () => {
    expect(renderSarif(sampleReport())).toBe(renderSarif(sampleReport()));
  });

  it.skipIf(!existsSync(EXAMPLE))('validates for the example cluster with real lines', async () => {
    const load = await loadSnapshotFolder(EXAMPLE);
    const report = auditInventory(load, 'examples/sde-cluster', { config: DEFAULT_CONFIG });
    const lineOf = createLineLocator((file) => readFileSync(path.join(EXAMPLE, file), 'utf8'));
    const log = parse(renderSarif(report, { lineOf }));
    expectValid(log);
    expect(log.runs[0]?.results.length).toBe(report.findings.length + report.suppressed.length);
    for (const result of log.runs[0]?.results ?? []) {
      const location = result.locations[0]?.physicalLocation;
      if (!location?.region) continue;
      const file = path.join(REPO_ROOT, decodeURIComponent(location.artifactLocation.uri));
      const lines = readFileSync(file, 'utf8').split('\n');
      expect(location.region.startLine).toBeLessThanOrEqual(lines.length);
    }
  });
});

describe('snapshotUri', () => {
  it('keeps relative snapshots relative', () => {
    expect(snapshotUri('examples/sde-cluster', 'aws/eu-west-2/ec2.json')).toBe('examples/sde-cluster/aws/eu-west-2/ec2.json');
    expect(snapshotUri('./snap/', 'a.json')).toBe('snap/a.json');
  });

  it('encodes unsafe characters', () => {
    expect(snapshotUri('my snapshot', 'k8s/#1.json')).toBe('my%20snapshot/k8s/%231.json');
  });

  it('writes file URIs for absolute snapshots', () => {
    expect(snapshotUri('/tmp/snap', 'a b.json')).toBe('file:///tmp/snap/a%20b.json');
  });
});
