import { runChecks, type CheckRun } from '../checks/run.js';
import { CHECKS } from '../checks/registry.js';
import { SEVERITIES, type Check, type Severity } from '../checks/types.js';
import type { RampartConfig } from '../config/config.js';
import type { LoadResult } from '../inventory/build.js';
import { observedTime } from '../inventory/load.js';
import { remediate } from '../remediation/index.js';
import { buildReport, type Report } from '../report/report.js';
import { applySuppressions } from '../report/suppress.js';
import { VERSION } from './version.js';

export interface AuditOptions {
  config: RampartConfig;
  /** Overrides the time read from the snapshot. */
  snapshotTime?: string;
  checks?: Check[];
  /** Ids of registered checks left out by `--checks` or `--skip-checks`; listed as skipped in the coverage. */
  deselected?: string[];
  /** Findings below this severity are left out of the report and only counted. */
  minSeverity?: Severity;
}

/** Wires the layers together: inventory → checks → remediation → suppressions → report. */
export function auditInventory(load: LoadResult, source: string, options: AuditOptions): Report {
  const snapshotTime = options.snapshotTime ?? observedTime(load.inventory);
  const checks = options.checks ?? CHECKS;
  const { findings, runs } = runChecks(checks, { inventory: load.inventory, config: options.config, snapshotTime });
  const deselectedRuns: CheckRun[] = (options.deselected ?? []).map((checkId) => ({
    checkId,
    status: 'skipped',
    details: ['not selected (--checks or --skip-checks)'],
    findings: 0,
  }));

  const remediated = remediate(findings, load.inventory);
  const limit = options.minSeverity === undefined ? SEVERITIES.length - 1 : SEVERITIES.indexOf(options.minSeverity);
  const kept = remediated.filter((finding) => SEVERITIES.indexOf(finding.severity) <= limit);
  const decided = applySuppressions(kept, options.config.suppressions, snapshotTime);

  return buildReport({
    version: VERSION,
    source,
    snapshotTime,
    load,
    findings: decided.findings,
    runs: [...runs, ...deselectedRuns],
    suppressed: decided.suppressed,
    suppressions: decided.statuses,
    checks: checks.map((check) => check.meta),
    ...(options.minSeverity === undefined ? {} : { minSeverity: options.minSeverity }),
    belowMinSeverity: remediated.length - kept.length,
  });
}
