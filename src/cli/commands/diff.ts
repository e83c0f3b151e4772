import { existsSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { type Command, Option } from 'commander';
import { z } from 'zod';
import { SEVERITIES, type Severity } from '../../checks/types.js';
import { DEFAULT_CONFIG, type RampartConfig } from '../../config/config.js';
import { loadConfigFile } from '../../config/load.js';
import { countNewAtOrAbove, diffReports, renderDiffJson, renderDiffMarkdown, renderDiffText, type DiffableReport } from '../../report/diff.js';
import { EXIT, UsageError, type ExitState, type Io } from '../io.js';
import { emitOutput } from '../output.js';
import { auditInventory } from '../pipeline.js';
import { loadSnapshotForCli } from '../snapshot.js';

const FORMATS = ['terminal', 'markdown', 'json'] as const;
type Format = (typeof FORMATS)[number];

export function registerDiff(program: Command, io: Io, exit: ExitState): void {
  program
    .command('diff')
    .description('Compare two audits: findings that are new, resolved or unchanged, and reachability that appeared or vanished.')
    .argument('<old>', 'snapshot folder, or a JSON report written by `rampart audit -o json`')
    .argument('<new>', 'snapshot folder, or a JSON report written by `rampart audit -o json`')
    .addOption(new Option('-o, --format <format>', 'output format').choices(FORMATS).default('terminal'))
    .option('--output <file>', 'write the comparison to FILE instead of standard output')
    .addOption(new Option('--fail-on <severity>', 'exit with code 1 when a new finding at or above SEVERITY appears, or an existing one rises to it').choices(SEVERITIES))
    .option('--config <file>', 'settings file used to audit snapshot folders (default: .rampart.yaml in the current folder, if present)')
    .option('-q, --quiet', 'print no progress on standard error')
    .addHelpText(
      'after',
      '\nExit codes:\n  0  nothing new at or above --fail-on\n  1  a new or escalated finding at or above --fail-on\n  2  usage error, or an input that is neither a snapshot folder nor a Rampart JSON report\n\nExamples:\n  rampart diff before/ after/\n  rampart diff main-report.json ./snapshot --fail-on high\n  rampart diff old.json new.json -o markdown --output changes.md',
    )
    .action(async (before: string, after: string, options: DiffCliOptions) => {
      exit.code = await runDiff(before, after, options, io);
    });
}

interface DiffCliOptions {
  format: Format;
  output?: string;
  failOn?: Severity;
  config?: string;
  quiet?: boolean;
}

async function runDiff(before: string, after: string, options: DiffCliOptions, io: Io): Promise<number> {
  const progress = (text: string) => {
    if (!options.quiet && io.isTty) io.stderr(`${text}\n`);
  };
  const configFile = options.config ?? (existsSync('.rampart.yaml') ? '.rampart.yaml' : undefined);
  const config = configFile ? await loadConfigFile(configFile) : DEFAULT_CONFIG;

  const oldReport = await loadInput(before, config, io, progress);
  const newReport = await loadInput(after, config, io, progress);
  const diff = diffReports(oldReport, newReport);

  let text = renderDiffText(diff);
  if (options.format === 'json') text = renderDiffJson(diff);
  if (options.format === 'markdown') text = renderDiffMarkdown(diff);
  await emitOutput(text, options.output, io, progress);
  if (options.failOn && countNewAtOrAbove(diff, options.failOn) > 0) return EXIT.findings;
  return EXIT.ok;
}

/** Audits a snapshot folder, or reads a JSON report; anything else is a usage error. */
async function loadInput(input: string, config: RampartConfig, io: Io, progress: (text: string) => void): Promise<DiffableReport> {
  const info = await stat(input).catch((error: NodeJS.ErrnoException) => {
    throw new UsageError(`${input} cannot be read: ${error.code === 'ENOENT' ? 'not found' : error.message}`);
  });
  if (info.isDirectory()) {
    const load = await loadSnapshotForCli(input, io, progress);
    return auditInventory(load, input, { config });
  }
  return readJsonReport(input);
}

const resourceSchema = z.looseObject({ kind: z.string(), id: z.string().optional(), namespace: z.string().optional(), name: z.string().optional() });
const pathSchema = z.looseObject({
  source: z.string(),
  protocol: z.string(),
  port: z.union([z.number(), z.string()]),
  target: z.looseObject({ kind: z.string(), id: z.string() }),
  hops: z.array(z.unknown()),
});
const findingSchema = z.looseObject({
  id: z.string(),
  checkId: z.string(),
  severity: z.enum(SEVERITIES),
  title: z.string(),
  resources: z.array(resourceSchema),
  paths: z.array(pathSchema).optional(),
});
const reportSchema = z.looseObject({
  tool: z.looseObject({ name: z.literal('rampart') }),
  snapshot: z.looseObject({ source: z.string(), time: z.string().nullable() }),
  findings: z.array(findingSchema),
  // Reports written before suppressions existed have no `suppressed` list.
  suppressed: z.array(z.looseObject({ finding: findingSchema })).default([]),
});

async function readJsonReport(file: string): Promise<DiffableReport> {
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    throw new UsageError(`${file} cannot be read: ${error.message}`);
  });
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new UsageError(`${file} is neither a snapshot folder nor a JSON report: it is not valid JSON (write a report with \`rampart audit SNAPSHOT -o json --output FILE\`)`);
  }
  const result = reportSchema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    const where = ['$', ...(issue?.path ?? []).map(String)].join('.');
    throw new UsageError(`${file} is not a Rampart JSON report: ${where}: ${issue?.message ?? 'invalid'} (write one with \`rampart audit SNAPSHOT -o json\`)`);
  }
  return result.data as DiffableReport;
}
