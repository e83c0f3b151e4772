import type { RemediatedFinding } from '../remediation/index.js';
import type { Report } from './report.js';
import { describeResource, describeSource } from './text.js';

// One row per finding (RFC 4180: comma-separated, CRLF line ends, fields quoted when needed), suppressed
// findings included with their status and reason, so that a spreadsheet shows everything the audit found.

const COLUMNS = [
  'id',
  'status',
  'severity',
  'check',
  'area',
  'title',
  'resources',
  'problem',
  'risk',
  'recommendation',
  'evidence',
  'sources',
  'remediations',
  'suppression_reason',
  'suppression_expires',
] as const;

export function renderCsv(report: Report): string {
  const rows: string[][] = [[...COLUMNS]];
  for (const finding of report.findings) rows.push(row(finding, 'open', '', ''));
  for (const entry of report.suppressed) rows.push(row(entry.finding, 'suppressed', entry.reason, entry.expires ?? ''));
  return rows.map((fields) => fields.map(field).join(',')).join('\r\n') + '\r\n';
}

function row(finding: RemediatedFinding, status: string, reason: string, expires: string): string[] {
  const sources = finding.evidence.flatMap((evidence) => (evidence.source ? [describeSource(evidence.source)] : []));
  return [
    finding.id,
    status,
    finding.severity,
    finding.checkId,
    finding.category,
    finding.title,
    finding.resources.map(describeResource).join('; '),
    finding.problem,
    finding.risk,
    finding.recommendation,
    finding.evidence.map((evidence) => evidence.fact).join(' | '),
    sources.join(' | '),
    finding.remediations.map((remediation) => `${remediation.title} (${remediation.format})`).join('; '),
    reason,
    expires,
  ];
}

/**
 * Quotes a field when it holds a comma, quote or line break, doubling quotes inside. A field that starts
 * with `=`, `+`, `-`, `@`, tab or carriage return gets a leading `'`, so that a spreadsheet shows a hostile
 * name such as `=HYPERLINK(…)` as text instead of evaluating it as a formula.
 */
function field(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
