import { SEVERITIES, type EvidencePath, type ResourceRef, type Severity } from '../checks/types.js';
import { describeResource } from './text.js';
import { compareText } from '../compare.js';

// Compares two audits of the same cluster, such as before and after a change. Findings are matched by
// their stable id, reachability by the paths findings carry (source, protocol, port and target).

/** The parts of a finding a comparison reads; both a fresh Report and a JSON report read back have them. */
export interface DiffableFinding {
  id: string;
  checkId: string;
  severity: Severity;
  title: string;
  resources: ResourceRef[];
  paths?: EvidencePath[];
}

export interface DiffableReport {
  snapshot: { source: string; time: string | null };
  findings: DiffableFinding[];
  suppressed: Array<{ finding: DiffableFinding }>;
}

export interface DiffFinding {
  id: string;
  checkId: string;
  severity: Severity;
  title: string;
  resources: string[];
}

/** A reachable pair that paths of findings show, with the findings that reported it. */
export interface ReachabilityEntry {
  source: string;
  protocol: string;
  port: number | string;
  target: string;
  findings: string[];
}

export interface ReportDiff {
  old: { source: string; time: string | null };
  new: { source: string; time: string | null };
  /** Reported in NEW and not in OLD (neither reported nor suppressed there, or suppressed there and back now). */
  added: DiffFinding[];
  /** Reported in OLD and gone from NEW. */
  resolved: DiffFinding[];
  /** Reported in OLD and suppressed in NEW. */
  suppressed: DiffFinding[];
  /** Reported in both; `previousSeverity` is set when the severity changed. */
  unchanged: Array<DiffFinding & { previousSeverity?: Severity }>;
  reachability: { appeared: ReachabilityEntry[]; vanished: ReachabilityEntry[] };
}

export function diffReports(before: DiffableReport, after: DiffableReport): ReportDiff {
  const oldReported = byId(before.findings);
  const newReported = byId(after.findings);
  const newSuppressed = byId(after.suppressed.map((entry) => entry.finding));

  const added: DiffFinding[] = [];
  const unchanged: ReportDiff['unchanged'] = [];
  for (const finding of newReported.values()) {
    const previous = oldReported.get(finding.id);
    if (!previous) {
      added.push(summarise(finding));
      continue;
    }
    unchanged.push({ ...summarise(finding), ...(previous.severity === finding.severity ? {} : { previousSeverity: previous.severity }) });
  }
  const resolved: DiffFinding[] = [];
  const suppressed: DiffFinding[] = [];
  for (const finding of oldReported.values()) {
    if (newReported.has(finding.id)) continue;
    (newSuppressed.has(finding.id) ? suppressed : resolved).push(summarise(finding));
  }

  // Reachability is a fact about the cluster, so suppressed findings' paths count as well.
  const oldPaths = reachability([...before.findings, ...before.suppressed.map((entry) => entry.finding)]);
  const newPaths = reachability([...after.findings, ...after.suppressed.map((entry) => entry.finding)]);
  return {
    old: { source: before.snapshot.source, time: before.snapshot.time },
    new: { source: after.snapshot.source, time: after.snapshot.time },
    added: added.sort(compare),
    resolved: resolved.sort(compare),
    suppressed: suppressed.sort(compare),
    unchanged: unchanged.sort(compare),
    reachability: {
      appeared: [...newPaths.entries()].filter(([key]) => !oldPaths.has(key)).map(([, entry]) => entry),
      vanished: [...oldPaths.entries()].filter(([key]) => !newPaths.has(key)).map(([, entry]) => entry),
    },
  };
}

/**
 * Counts what a CI gate fails on: added findings at or above the threshold, and findings present in both
 * whose severity rose from below the threshold to at or above it.
 */
export function countNewAtOrAbove(diff: ReportDiff, threshold: Severity): number {
  const limit = SEVERITIES.indexOf(threshold);
  const atOrAbove = (severity: Severity) => SEVERITIES.indexOf(severity) <= limit;
  const escalated = diff.unchanged.filter((finding) => finding.previousSeverity !== undefined && atOrAbove(finding.severity) && !atOrAbove(finding.previousSeverity));
  return diff.added.filter((finding) => atOrAbove(finding.severity)).length + escalated.length;
}

export function renderDiffJson(diff: ReportDiff): string {
  return `${JSON.stringify(diff, null, 2)}\n`;
}

export function renderDiffText(diff: ReportDiff): string {
  const lines = [
    `Rampart diff: ${clean(diff.old.source)} (${diff.old.time ?? 'time unknown'}) → ${clean(diff.new.source)} (${diff.new.time ?? 'time unknown'})`,
    `${diff.added.length} new, ${diff.resolved.length} resolved, ${diff.suppressed.length} newly suppressed, ${diff.unchanged.length} unchanged; reachability: ${diff.reachability.appeared.length} appeared, ${diff.reachability.vanished.length} vanished`,
  ];
  const section = (title: string, findings: Array<DiffFinding & { previousSeverity?: Severity }>, mark: string) => {
    if (findings.length === 0) return;
    lines.push('', `${title} (${findings.length})`);
    for (const finding of findings) {
      const change = finding.previousSeverity ? ` (was ${finding.previousSeverity})` : '';
      lines.push(`  ${mark} [${finding.severity}${change}] ${clean(finding.title)}  [${finding.checkId} ${finding.id}]`);
    }
  };
  section('New', diff.added, '+');
  section('Resolved', diff.resolved, '-');
  section('Newly suppressed', diff.suppressed, '~');
  section('Severity changed', diff.unchanged.filter((finding) => finding.previousSeverity !== undefined), '!');
  const paths = (title: string, entries: ReachabilityEntry[], mark: string) => {
    if (entries.length === 0) return;
    lines.push('', `${title} (${entries.length})`);
    for (const entry of entries) lines.push(`  ${mark} ${clean(describePath(entry))}`);
  };
  paths('Reachability appeared', diff.reachability.appeared, '+');
  paths('Reachability vanished', diff.reachability.vanished, '-');
  return `${lines.join('\n')}\n`;
}

export function renderDiffMarkdown(diff: ReportDiff): string {
  const lines = [
    `# Rampart diff`,
    '',
    `From \`${code(diff.old.source)}\` (${diff.old.time ?? 'time unknown'}) to \`${code(diff.new.source)}\` (${diff.new.time ?? 'time unknown'}).`,
    '',
    '| Change | Count |',
    '|---|---|',
    `| New findings | ${diff.added.length} |`,
    `| Resolved findings | ${diff.resolved.length} |`,
    `| Newly suppressed | ${diff.suppressed.length} |`,
    `| Unchanged | ${diff.unchanged.length} |`,
    `| Reachability appeared | ${diff.reachability.appeared.length} |`,
    `| Reachability vanished | ${diff.reachability.vanished.length} |`,
  ];
  const table = (title: string, findings: Array<DiffFinding & { previousSeverity?: Severity }>) => {
    if (findings.length === 0) return;
    lines.push('', `## ${title}`, '', '| Severity | Finding | Check | Resources |', '|---|---|---|---|');
    for (const finding of findings) {
      const severity = finding.previousSeverity ? `${finding.severity} (was ${finding.previousSeverity})` : finding.severity;
      lines.push(`| ${severity} | ${cell(finding.title)} | \`${code(finding.checkId)}\` | ${cell(finding.resources.join(', '))} |`);
    }
  };
  table('New findings', diff.added);
  table('Resolved findings', diff.resolved);
  table('Newly suppressed findings', diff.suppressed);
  table('Severity changed', diff.unchanged.filter((finding) => finding.previousSeverity !== undefined));
  const paths = (title: string, entries: ReachabilityEntry[]) => {
    if (entries.length === 0) return;
    lines.push('', `## ${title}`, '');
    for (const entry of entries) lines.push(`- ${cell(describePath(entry))}`);
  };
  paths('Reachability that appeared', diff.reachability.appeared);
  paths('Reachability that vanished', diff.reachability.vanished);
  return `${lines.join('\n')}\n`;
}

function reachability(findings: DiffableFinding[]): Map<string, ReachabilityEntry> {
  const entries = new Map<string, ReachabilityEntry>();
  for (const finding of findings) {
    for (const path of finding.paths ?? []) {
      const target = `${path.target.kind} ${path.target.id}`;
      const key = JSON.stringify([path.source, path.protocol, String(path.port), target]);
      const entry = entries.get(key) ?? { source: path.source, protocol: path.protocol, port: path.port, target, findings: [] };
      if (!entry.findings.includes(finding.id)) entry.findings.push(finding.id);
      entries.set(key, entry);
    }
  }
  return new Map([...entries.entries()].sort(([a], [b]) => compareText(a, b)).map(([key, entry]) => [key, { ...entry, findings: entry.findings.sort() }]));
}

function byId(findings: DiffableFinding[]): Map<string, DiffableFinding> {
  return new Map(findings.map((finding) => [finding.id, finding]));
}

function summarise(finding: DiffableFinding): DiffFinding {
  return { id: finding.id, checkId: finding.checkId, severity: finding.severity, title: finding.title, resources: finding.resources.map(describeResource) };
}

function compare(a: DiffFinding, b: DiffFinding): number {
  return SEVERITIES.indexOf(a.severity) - SEVERITIES.indexOf(b.severity) || compareText(a.checkId, b.checkId) || compareText(a.title, b.title) || compareText(a.id, b.id);
}

function describePath(entry: ReachabilityEntry): string {
  return `${entry.source} → ${entry.target} on ${entry.protocol}/${entry.port} (finding ${entry.findings.join(', ')})`;
}

/** Drops control characters, so that a crafted name cannot move the cursor or recolour the terminal. */
function clean(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '?');
}

function cell(text: string): string {
  const escaped = text.replace(/[\\`*_[\]<>&|]/g, (character) => {
    if (character === '&') return '&amp;';
    if (character === '<') return '&lt;';
    if (character === '>') return '&gt;';
    return `\\${character}`;
  });
  return escaped.replace(/\r?\n/g, ' ');
}

function code(text: string): string {
  return text.replace(/`/g, "'");
}
