import { SEVERITIES } from '../checks/types.js';
import type { Report } from './report.js';
import { describeResource, describeSource } from './text.js';

/**
 * Renders the human report in the shape auditors write: one numbered section per finding with Problem, Risk and
 * Recommendation, then the evidence and the remediation, then what the audit could and could not see.
 */
export function renderMarkdown(report: Report): string {
  const lines: string[] = [];
  lines.push(`# Rampart audit of ${inline(report.snapshot.source)}`, '');
  lines.push(`Snapshot time: ${report.snapshot.time ?? 'unknown (no timestamps in the snapshot)'}. Rampart ${report.tool.version}.`, '');

  lines.push('| Severity | Findings |', '|---|---|');
  for (const severity of SEVERITIES) lines.push(`| ${severity} | ${report.summary.bySeverity[severity]} |`);
  lines.push('');
  if (report.summary.inputErrors > 0) {
    lines.push(`> **${report.summary.inputErrors} input error(s):** parts of the snapshot could not be read and were not audited. See [Input problems](#input-problems).`, '');
  }
  if (report.summary.suppressed > 0) {
    lines.push(`> **${report.summary.suppressed} suppressed finding(s)** are accepted in the settings file and listed under [Suppressed findings](#suppressed-findings).`, '');
  }
  if (report.summary.minSeverity !== null && report.summary.belowMinSeverity > 0) {
    lines.push(`> ${report.summary.belowMinSeverity} finding(s) below the minimum severity ${report.summary.minSeverity} are left out.`, '');
  }
  if (report.findings.length === 0) lines.push('No findings. The coverage section lists what was examined.', '');

  report.findings.forEach((finding, index) => {
    lines.push('---', '', `## ${index + 1}. ${inline(finding.title)}`, '');
    lines.push(`Severity: **${finding.severity}** · Check: \`${finding.checkId}\` · ID: \`${finding.id}\``, '');
    lines.push(`- **Problem:** ${inline(finding.problem)}`);
    lines.push(`- **Risk:** ${inline(finding.risk)}`);
    lines.push(`- **Recommendation:** ${inline(finding.recommendation)}`, '');
    lines.push(`Resources: ${finding.resources.map((resource) => `\`${code(describeResource(resource))}\``).join(', ')}`, '');
    if (finding.evidence.length > 0) {
      lines.push('**Evidence**', '');
      for (const evidence of finding.evidence) {
        const where = evidence.source ? ` (\`${code(describeSource(evidence.source))}\`)` : '';
        lines.push(`- ${inline(evidence.fact)}${where}`);
      }
      lines.push('');
    }
    if (finding.paths && finding.paths.length > 0) {
      lines.push('**Paths**', '');
      for (const path of finding.paths) {
        const hops = path.hops.map((hop) => `${hop.kind} ${hop.id} (${hop.decision}${hop.detail ? `: ${hop.detail}` : ''})`).join(' → ');
        lines.push(`- ${inline(`${path.source} → ${hops} → ${path.target.kind} ${path.target.id} ${path.protocol} ${path.port}`)}`);
      }
      lines.push('');
    }
    let lastVerification: string | undefined;
    for (const remediation of finding.remediations) {
      const safety = remediation.safety === 'fix' ? 'verified fix' : remediation.safety === 'suggestion' ? 'suggestion for review' : undefined;
      lines.push(`**Remediation: ${inline(remediation.title)}** (${remediation.format}${safety ? `, ${safety}` : ''})`, '');
      // Alternatives rendered in several formats share one verification; it is printed once, before the first.
      if (remediation.verification && remediation.verification !== lastVerification && !remediation.content.includes(remediation.verification.split('\n')[0] ?? '')) {
        for (const line of remediation.verification.split('\n')) lines.push(`> ${inline(line)}`);
        lines.push('');
      }
      lastVerification = remediation.verification;
      lines.push(fence(remediation.content, languageOf(remediation.format)), '');
    }
  });

  lines.push(...suppressionLines(report));
  lines.push('---', '', '## Coverage', '');
  lines.push('| Check | Status | Findings | Notes |', '|---|---|---|---|');
  for (const entry of report.coverage) {
    if (entry.type === 'check') lines.push(`| \`${entry.checkId}\` | ${entry.status} | ${entry.findings} | ${cell(entry.details.join('; '))} |`);
  }
  lines.push('', '| Resource kind | Status | Count |', '|---|---|---|');
  for (const entry of report.coverage) {
    if (entry.type === 'resource') lines.push(`| ${entry.kind} | ${entry.details ? `${entry.status}: ${cell(entry.details.join('; '))}` : entry.status} | ${entry.count} |`);
  }
  const files = report.coverage.filter((entry) => entry.type === 'file');
  if (files.length > 0) {
    lines.push('', '| File | Status | Reason |', '|---|---|---|');
    for (const entry of files) if (entry.type === 'file') lines.push(`| \`${code(entry.file)}\` | ${entry.status} | ${cell(entry.details.join('; '))} |`);
  }
  if (report.problems.length > 0) {
    lines.push('', '## Input problems', '');
    for (const problem of report.problems) {
      lines.push(`- ${problem.level}: \`${code(problem.file)}\`${problem.path ? ` \`${code(problem.path)}\`` : ''}: ${inline(problem.message)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

/** Lists the suppressed findings with their reasons, and every suppression that hides nothing. */
function suppressionLines(report: Report): string[] {
  if (report.suppressed.length === 0 && report.suppressions.length === 0) return [];
  const lines = ['---', '', '## Suppressed findings', ''];
  for (const entry of report.suppressed) {
    const until = entry.expires ? ` until ${entry.expires}` : '';
    lines.push(`- **${entry.finding.severity}** ${inline(entry.finding.title)} (\`${entry.finding.checkId}\`, ID \`${entry.finding.id}\`): suppression #${entry.suppression + 1}${until}: ${inline(entry.reason)}`);
  }
  if (report.suppressed.length === 0) lines.push('No finding is suppressed.');
  const idle = report.suppressions.filter((status) => status.status !== 'applied');
  if (idle.length > 0) {
    lines.push('', '| Suppression | Status | Findings reported again | Reason |', '|---|---|---|---|');
    for (const status of idle) {
      lines.push(`| #${status.index + 1} | ${status.status}${status.expires ? ` (${status.expires})` : ''} | ${status.findings.map((id) => `\`${id}\``).join(', ')} | ${cell(status.reason)} |`);
    }
  }
  lines.push('');
  return lines;
}

/** Escapes snapshot text for Markdown prose, so a hostile label renders as text, not HTML or links. */
function inline(text: string): string {
  return text.replace(/[\\`*_[\]<>&|]/g, (character) => (character === '&' ? '&amp;' : character === '<' ? '&lt;' : character === '>' ? '&gt;' : `\\${character}`));
}

function cell(text: string): string {
  return inline(text).replace(/\n/g, ' ');
}

function code(text: string): string {
  return text.replace(/`/g, "'");
}

/** Wraps content in a fence longer than any backtick run inside it, so the content cannot close the block. */
function fence(content: string, language: string): string {
  const longest = Math.max(2, ...[...content.matchAll(/`+/g)].map((match) => match[0].length));
  const marks = '`'.repeat(longest + 1);
  return `${marks}${language}\n${content.replace(/\n$/, '')}\n${marks}`;
}

function languageOf(format: string): string {
  if (format === 'kubectl' || format === 'aws-cli') return 'sh';
  if (format === 'yaml' || format === 'helm-values') return 'yaml';
  if (format === 'terraform') return 'hcl';
  return '';
}
