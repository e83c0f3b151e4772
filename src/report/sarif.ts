import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Severity } from '../checks/types.js';
import type { SourceRef } from '../inventory/source.js';
import type { RemediatedFinding } from '../remediation/index.js';
import type { CheckInfo, Report } from './report.js';
import { describeResource, describeSource } from './text.js';
import { compareText } from '../compare.js';

// SARIF 2.1.0 (OASIS) in the shape GitHub code scanning reads: rules from check metadata, one result per
// finding with a stable partial fingerprint, locations at the snapshot file and a line found from the
// evidence's JSON path.

export interface SarifOptions {
  /** Line of the object a source names, when the caller can read the snapshot files; otherwise line 1. */
  lineOf?: (source: SourceRef) => number | undefined;
}

/** Key of the partial fingerprint: the finding id, which stays the same across runs for the same finding. */
export const FINGERPRINT_KEY = 'rampartFindingId/v1';

const LEVELS: Record<Severity, 'error' | 'warning' | 'note'> = { critical: 'error', high: 'error', medium: 'warning', low: 'note', info: 'note' };

// GitHub code scanning maps `security-severity` to its own labels: over 9.0 critical, 7.0 to 8.9 high,
// 4.0 to 6.9 medium, 0.1 to 3.9 low. Info findings get no security severity.
const SECURITY_SEVERITY: Record<Severity, string | undefined> = { critical: '9.5', high: '8.0', medium: '5.5', low: '3.0', info: undefined };

const SECURITY_CATEGORIES = new Set(['network-exposure', 'network-segmentation']);

export function renderSarif(report: Report, options: SarifOptions = {}): string {
  const rules = rulesOf(report);
  const ruleIndex = new Map(rules.map((rule, index) => [rule.id, index]));
  const results = [
    ...report.findings.map((finding) => result(report, finding, ruleIndex, options)),
    ...report.suppressed.map((entry) => ({
      ...result(report, entry.finding, ruleIndex, options),
      suppressions: [{ kind: 'external', status: 'accepted', justification: entry.reason }],
    })),
  ];
  const log = {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: { driver: { name: 'Rampart', version: report.tool.version, semanticVersion: report.tool.version, rules } },
        results,
        properties: { snapshot: report.snapshot.source, snapshotTime: report.snapshot.time, inputErrors: report.summary.inputErrors },
      },
    ],
  };
  return `${JSON.stringify(log, null, 2)}\n`;
}

interface Rule {
  id: string;
  name: string;
  shortDescription: { text: string };
  fullDescription: { text: string };
  help: { text: string; markdown: string };
  helpUri?: string;
  defaultConfiguration: { level: string };
  properties: Record<string, unknown>;
}

/** One rule per check in the report's metadata, plus a minimal rule for any check id a finding names without metadata. */
function rulesOf(report: Report): Rule[] {
  const checks = new Map<string, CheckInfo>(report.checks.map((check) => [check.id, check]));
  for (const finding of [...report.findings, ...report.suppressed.map((entry) => entry.finding)]) {
    if (!checks.has(finding.checkId)) {
      checks.set(finding.checkId, { id: finding.checkId, title: finding.checkId, severity: finding.severity, category: finding.category as CheckInfo['category'], description: finding.title, references: [] });
    }
  }
  return [...checks.values()]
    .sort((a, b) => compareText(a.id, b.id))
    .map((check) => {
      const security = SECURITY_CATEGORIES.has(check.category);
      const securitySeverity = security ? SECURITY_SEVERITY[check.severity] : undefined;
      const references = check.references.map((reference) => `- ${reference}`).join('\n');
      return {
        id: check.id,
        name: pascalCase(check.id),
        shortDescription: { text: check.title },
        fullDescription: { text: check.description },
        help: {
          text: [check.description, ...check.references].join('\n'),
          markdown: references ? `${check.description}\n\nReferences:\n\n${references}` : check.description,
        },
        ...(check.references[0] ? { helpUri: check.references[0] } : {}),
        defaultConfiguration: { level: LEVELS[check.severity] ?? 'warning' },
        properties: {
          tags: security ? ['security', check.category] : ['reliability', check.category],
          precision: 'high',
          'problem.severity': problemSeverity(check.severity),
          ...(securitySeverity ? { 'security-severity': securitySeverity } : {}),
        },
      };
    });
}

function result(report: Report, finding: RemediatedFinding, ruleIndex: Map<string, number>, options: SarifOptions) {
  const sources = sourcesOf(finding);
  const primary = sources[0];
  const location = primary
    ? physical(report, primary.source, options, primary.text)
    : folderLocation(report, describeResources(finding));
  const related = sources.slice(1, 10).map((entry, index) => ({ id: index + 1, ...physical(report, entry.source, options, entry.text) }));
  return {
    ruleId: finding.checkId,
    ruleIndex: ruleIndex.get(finding.checkId) as number,
    level: LEVELS[finding.severity] ?? 'warning',
    message: { text: `${finding.problem} Risk: ${finding.risk} Recommendation: ${finding.recommendation}` },
    locations: [location],
    ...(related.length > 0 ? { relatedLocations: related } : {}),
    partialFingerprints: { [FINGERPRINT_KEY]: finding.id },
    properties: {
      findingId: finding.id,
      severity: finding.severity,
      category: finding.category,
      title: finding.title,
      resources: finding.resources.map(describeResource),
      remediations: finding.remediations.map((remediation) => `${remediation.title} (${remediation.format})`),
    },
  };
}

/** Evidence sources first, then path hop sources, without repeats. */
function sourcesOf(finding: RemediatedFinding): Array<{ source: SourceRef; text: string }> {
  const seen = new Set<string>();
  const list: Array<{ source: SourceRef; text: string }> = [];
  const add = (source: SourceRef | undefined, text: string) => {
    if (!source) return;
    const key = describeSource(source);
    if (seen.has(key)) return;
    seen.add(key);
    list.push({ source, text });
  };
  for (const evidence of finding.evidence) add(evidence.source, evidence.fact);
  for (const path of finding.paths ?? []) for (const hop of path.hops) add(hop.source, `${hop.kind} ${hop.id}: ${hop.decision}`);
  return list;
}

function physical(report: Report, source: SourceRef, options: SarifOptions, text: string) {
  const line = options.lineOf?.(source) ?? 1;
  return {
    physicalLocation: { artifactLocation: { uri: snapshotUri(report.snapshot.source, source.file) }, region: { startLine: line } },
    logicalLocations: [{ fullyQualifiedName: source.document === undefined ? source.path : `document ${source.document + 1} ${source.path}`, kind: 'object' }],
    message: { text },
  };
}

/**
 * A location for a finding whose evidence names no file: the snapshot folder itself, so that the result
 * still has the location code scanning requires.
 */
function folderLocation(report: Report, text: string) {
  return {
    physicalLocation: { artifactLocation: { uri: `${snapshotUri(report.snapshot.source, '.').replace(/\/?$/, '/')}` } },
    message: { text },
  };
}

/**
 * The URI of a snapshot file: relative to the working directory when the snapshot was given as a relative
 * path (GitHub resolves such URIs against the repository root), a `file:` URI when it was absolute.
 */
export function snapshotUri(snapshot: string, file: string): string {
  const joined = path.posix.normalize(path.posix.join(snapshot.replace(/\\/g, '/'), file));
  if (path.posix.isAbsolute(joined)) return pathToFileURL(joined).href;
  return joined
    .split('/')
    .map((segment) => encodeURIComponent(segment))
    .join('/');
}

function describeResources(finding: RemediatedFinding): string {
  return finding.resources.map(describeResource).join(', ') || finding.title;
}

function problemSeverity(severity: Severity): string {
  if (severity === 'critical' || severity === 'high') return 'error';
  if (severity === 'medium') return 'warning';
  return 'recommendation';
}

function pascalCase(id: string): string {
  return id
    .split(/[^A-Za-z0-9]+/)
    .filter((part) => part.length > 0)
    .map((part) => `${part[0]?.toUpperCase() ?? ''}${part.slice(1)}`)
    .join('');
}
