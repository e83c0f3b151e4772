import { existsSync } from 'node:fs';
import { type Command, Option } from 'commander';
import { CHECKS } from '../../checks/registry.js';
import { SEVERITIES, type Severity } from '../../checks/types.js';
import { DEFAULT_CONFIG } from '../../config/config.js';
import { loadConfigFile } from '../../config/load.js';
import { countAtOrAbove } from '../../report/report.js';
import { EXIT, UsageError, type ExitState, type Io } from '../io.js';
import { emitOutput } from '../output.js';
import { auditInventory } from '../pipeline.js';
import { FORMATS, renderReport, type Format } from '../render.js';
import { selectChecks } from '../select.js';
import { addLiveOptions, collectForCli, loadLiveForCli, type LiveCliOptions } from '../live.js';
import { loadSnapshotForCli } from '../snapshot.js';

export function registerAudit(program: Command, io: Io, exit: ExitState): void {
  const command = program
    .command('audit')
    .description('Audit a snapshot folder of AWS CLI and kubectl outputs, or the live APIs with --live, and report findings.')
    .argument('[snapshot]', 'folder of unmodified `aws … --output json` and `kubectl get … -o json|yaml` outputs (see docs/snapshot.md); omit it with --live');
  command
    .addOption(new Option('-o, --format <format>', 'report format').choices(FORMATS).default('terminal'))
    .option('--output <file>', 'write the report to FILE instead of standard output')
    .addOption(new Option('--fail-on <severity>', 'exit with code 1 when a finding at or above SEVERITY exists (default: never fail on findings)').choices(SEVERITIES))
    .option('--config <file>', 'settings file with thresholds (default: .rampart.yaml in the current folder, if present)')
    .option('--strict', 'exit with code 2 when any input file is invalid, even if the rest could be audited')
    .option('--snapshot-time <iso8601>', 'the time the snapshot was taken (default: the latest timestamp found in it)')
    .option('--checks <ids>', 'run only these checks (comma-separated check ids)')
    .option('--skip-checks <ids>', 'do not run these checks (comma-separated check ids)')
    .addOption(new Option('--min-severity <severity>', 'leave findings below SEVERITY out of the report (they are counted)').choices(SEVERITIES))
    .option('-v, --verbose', 'terminal format: print evidence and remediations under each finding')
    .option('--no-color', 'terminal format: no colours')
    .option('-q, --quiet', 'print no progress on standard error')
    .option('--live', 'collect from the AWS and Kubernetes APIs into memory and audit that, instead of a folder (see docs/collect.md)');
  addLiveOptions(command)
    .addHelpText(
      'after',
      '\nExit codes:\n  0  no finding at or above --fail-on\n  1  findings at or above --fail-on\n  2  usage error, or no usable input (with --strict: any invalid input)\n\nExamples:\n  rampart audit examples/sde-cluster\n  rampart audit ./snapshot -o markdown --output audit.md\n  rampart audit ./snapshot -o json --fail-on high\n  rampart audit ./snapshot -o html --output audit.html\n  rampart audit ./snapshot -o sarif --output rampart.sarif --skip-checks workload-restarts\n  rampart audit --live --cluster sde-prod --region eu-west-2',
    )
    .action(async (snapshot: string | undefined, options: AuditCliOptions) => {
      exit.code = await runAudit(snapshot, options, io);
    });
}

interface AuditCliOptions extends LiveCliOptions {
  live?: boolean;
  format: Format;
  output?: string;
  failOn?: Severity;
  config?: string;
  strict?: boolean;
  snapshotTime?: string;
  checks?: string;
  skipChecks?: string;
  minSeverity?: Severity;
  verbose?: boolean;
  color: boolean;
  quiet?: boolean;
}

async function runAudit(snapshot: string | undefined, options: AuditCliOptions, io: Io): Promise<number> {
  const progress = (text: string) => {
    if (!options.quiet && io.isTty) io.stderr(`${text}\n`);
  };
  if (options.snapshotTime !== undefined && Number.isNaN(Date.parse(options.snapshotTime))) {
    throw new UsageError(`--snapshot-time ${options.snapshotTime} is not an ISO 8601 time such as 2026-11-20T10:00:00Z`);
  }
  const selection = selectChecks(CHECKS, options.checks, options.skipChecks);
  const configFile = options.config ?? (existsSync('.rampart.yaml') ? '.rampart.yaml' : undefined);
  const config = configFile ? await loadConfigFile(configFile) : DEFAULT_CONFIG;

  if (options.live && snapshot !== undefined) throw new UsageError(`pass either a snapshot folder or --live, not both (got ${snapshot})`);
  if (!options.live && snapshot === undefined) throw new UsageError('missing snapshot folder: pass the folder to audit, or --live to collect from the APIs');
  const load = snapshot === undefined ? loadLiveForCli(await collectForCli(options, io, progress), io) : await loadSnapshotForCli(snapshot, io, progress);
  const source = snapshot ?? 'live';

  progress(`Auditing ${load.inventory.data.pods.length} pods, ${load.inventory.data.securityGroups.length} security groups …`);
  const report = auditInventory(load, source, {
    config,
    checks: selection.selected,
    deselected: selection.deselected,
    ...(options.minSeverity ? { minSeverity: options.minSeverity } : {}),
    ...(options.snapshotTime ? { snapshotTime: new Date(options.snapshotTime).toISOString() } : {}),
  });
  const format: Format = options.format;
  const text = renderReport(report, format, {
    color: options.color && io.isTty && !options.output && !process.env.NO_COLOR,
    verbose: Boolean(options.verbose),
    ...(snapshot === undefined ? {} : { snapshotRoot: snapshot }),
  });
  await emitOutput(text, options.output, io, progress);

  if (options.strict && report.summary.inputErrors > 0) return EXIT.usage;
  const failing = options.failOn ? countAtOrAbove(report, options.failOn) : 0;
  if (options.failOn && failing > 0) {
    // The report may have gone to a file: say on stderr why the run fails, so a CI log shows it.
    io.stderr(`rampart: ${failing} finding(s) at or above ${options.failOn}: exit code ${EXIT.findings}\n`);
    return EXIT.findings;
  }
  return EXIT.ok;
}
