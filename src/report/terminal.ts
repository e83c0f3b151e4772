import { SEVERITIES, type Severity } from '../checks/types.js';
import type { Report } from './report.js';
import { describeResource } from './text.js';

export interface TerminalOptions {
  color: boolean;
  /** Print evidence and remediations under each finding, not only the summary lines. */
  verbose: boolean;
}

const COLORS: Record<Severity, string> = { critical: '\u001b[1;31m', high: '\u001b[31m', medium: '\u001b[33m', low: '\u001b[36m', info: '\u001b[2m' };
const RESET = '\u001b[0m';

/** Renders a summary for people at a terminal: findings grouped by severity, then coverage gaps and input problems. */
export function renderTerminal(report: Report, options: TerminalOptions): string {
  const paint = (severity: Severity, text: string) => (options.color ? `${COLORS[severity]}${text}${RESET}` : text);
  const lines: string[] = [];
  const counts = SEVERITIES.map((severity) => `${report.summary.bySeverity[severity]} ${severity}`).join(', ');
  lines.push(`Rampart audit of ${clean(report.snapshot.source)} (snapshot time ${report.snapshot.time ?? 'unknown'})`);
  lines.push(`${report.summary.findings} finding(s): ${counts}`);
  if (report.summary.suppressed > 0) lines.push(`${report.summary.suppressed} more suppressed by the settings file (listed in -o markdown, html or json)`);
  if (report.summary.minSeverity !== null && report.summary.belowMinSeverity > 0) lines.push(`${report.summary.belowMinSeverity} more below --min-severity ${report.summary.minSeverity}, left out`);
  for (const status of report.suppressions) {
    if (status.status === 'unused') lines.push(`suppression #${status.index + 1} matches no finding`);
    if (status.status === 'expired') lines.push(`suppression #${status.index + 1} expired on ${clean(status.expires ?? '')}: ${status.findings.length} finding(s) reported again`);
    if (status.status === 'expiry-unknown') lines.push(`suppression #${status.index + 1} not applied: the snapshot has no time to check its expiry against (use --snapshot-time)`);
  }

  for (const severity of SEVERITIES) {
    const findings = report.findings.filter((finding) => finding.severity === severity);
    if (findings.length === 0) continue;
    lines.push('', paint(severity, `${severity.toUpperCase()} (${findings.length})`));
    for (const finding of findings) {
      lines.push(`  ${paint(severity, '●')} ${clean(finding.title)}  [${finding.checkId}]`);
      lines.push(`    ${clean(finding.problem)}`);
      lines.push(`    Fix: ${clean(finding.recommendation)}`);
      if (options.verbose) {
        for (const evidence of finding.evidence) lines.push(`    - ${clean(evidence.fact)}`);
        for (const remediation of finding.remediations) {
          lines.push(`    ${remediation.title} (${remediation.format}):`);
          for (const line of remediation.content.replace(/\n$/, '').split('\n')) lines.push(`      ${clean(line)}`);
        }
      } else if (finding.remediations.length > 0) {
        lines.push(`    Resources: ${finding.resources.map(describeResource).map(clean).join(', ')}; ${finding.remediations.length} remediation(s) in -o markdown or -o json`);
      }
    }
  }

  const skipped = report.coverage.filter((entry) => entry.type === 'check' && entry.status === 'skipped');
  const missing = report.coverage.filter((entry) => entry.type === 'resource' && entry.status === 'missing');
  const files = report.coverage.filter((entry) => entry.type === 'file');
  lines.push('', 'Coverage');
  const ran = report.coverage.filter((entry) => entry.type === 'check' && entry.status === 'ran').length;
  lines.push(`  ${ran} check(s) ran, ${skipped.length} skipped`);
  for (const entry of skipped) if (entry.type === 'check') lines.push(`  skipped ${entry.checkId}: ${clean(entry.details.join('; '))}`);
  if (missing.length > 0) lines.push(`  not in the snapshot: ${missing.map((entry) => (entry.type === 'resource' ? entry.kind : '')).join(', ')}`);
  for (const entry of report.coverage) {
    if (entry.type === 'resource' && (entry.status === 'denied' || entry.status === 'failed')) lines.push(`  ${entry.status} ${entry.kind}: ${clean((entry.details ?? []).join('; '))}`);
  }
  for (const entry of files) if (entry.type === 'file') lines.push(`  ${entry.status} ${clean(entry.file)}: ${clean(entry.details.join('; '))}`);
  return `${lines.join('\n')}\n`;
}

/** Drops control characters from snapshot text, so a crafted name cannot move the cursor or recolour the terminal. */
function clean(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, '?');
}
