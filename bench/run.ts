// `npm run bench`: generates the synthetic snapshots and measures, for each size, the parse floor, the
// load, the checks, the full audit, the reachability matrix, single reachability queries and peak memory.
// It prints a table with each time as a multiple of the parse floor and writes the same figures as JSON.
//
//   npm run bench -- [--sizes small,large,huge] [--phases parse,load,…] [--json bench/results.json]
//                    [--data DIR] [--seed N] [--runs N] [--timeout SECONDS] [--heap MIB] [--no-scaling]
//
// Every measurement runs in its own child process (bench/measure.ts), so each has its own peak resident
// set size and a cold JIT, as one CLI run has. Snapshots are generated once into --data and reused while
// the generator version, seed and counts stay the same. The JSON file is rewritten after every snapshot,
// so an interrupted run keeps the figures measured so far.

import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { GENERATOR_VERSION, SIZE_NAMES, generateSnapshot, readManifest, resolveCounts, type GenerateManifest, type SizeName, type SizeRequest } from '../src/generate/index.js';
import { PHASES, type Measurement, type Phase } from './phases.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const MEASURE = path.join(REPO_ROOT, 'bench/measure.ts');
const MIB = 2 ** 20;
/** The memory target of the huge snapshot: 4 GiB of peak resident set. */
const MEMORY_TARGET_BYTES = 4 * 2 ** 30;
const QUERY_TARGET_MS = 100;

/** Repetitions per size when --runs is not given: the median is reported. */
const DEFAULT_RUNS: Record<SizeName, { default: number; matrix: number }> = {
  small: { default: 5, matrix: 3 },
  large: { default: 3, matrix: 1 },
  huge: { default: 1, matrix: 1 },
};

/**
 * The scaling series: the same workloads (so the same distinct label sets), namespaces and security groups,
 * with pods and policies doubled from one point to the next.
 */
const SCALING_BASE: SizeRequest = { pods: 4_000, workloads: 300, namespaces: 20, policies: 600, securityGroups: 100, loadBalancers: 2 };
const SCALING_FACTORS = [1, 2, 4];

interface PhaseResult {
  phase: Phase;
  available: boolean;
  /** Why the phase has no figure: not available, out of memory, timed out, failed. */
  failure?: string;
  runs: number;
  medianMs?: number;
  minMs?: number;
  maxMs?: number;
  /** Median of each part over the runs. */
  parts?: Record<string, number>;
  maxRssBytes?: number;
  details?: Record<string, number | string>;
}

interface SizeResult {
  name: string;
  counts: GenerateManifest['counts'];
  files: number;
  bytes: number;
  generateSeconds?: number;
  loadAverageBefore: number;
  phases: Record<Phase, PhaseResult>;
  ratios: { load?: number; audit?: number; matrix?: number };
}

interface Options {
  sizes: SizeName[];
  json: string;
  data: string;
  seed: number;
  runs?: number;
  timeoutSeconds: number;
  heapMib?: number;
  scaling: boolean;
  phases: Phase[];
}

async function main(): Promise<void> {
  const options = parseOptions();
  const machine = describeMachine();
  process.stderr.write(`Benchmark on ${machine.cpu} (${machine.cores} cores, ${machine.memoryGiB} GiB), Node ${machine.node}; snapshots in ${options.data}\n`);

  const sizes: SizeResult[] = [];
  const points: SizeResult[] = [];
  let scaling: ReturnType<typeof summariseScaling> | undefined;
  const save = () => {
    const result = { machine, generatorVersion: GENERATOR_VERSION, seed: options.seed, command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(), sizes, scaling, scalingPoints: points, targets: evaluateTargets(sizes, scaling) };
    mkdirSync(path.dirname(options.json), { recursive: true });
    writeFileSync(options.json, `${JSON.stringify(result, null, 2)}\n`);
  };

  for (const size of options.sizes) {
    const runs = options.runs ?? DEFAULT_RUNS[size].default;
    const matrixRuns = options.runs ?? DEFAULT_RUNS[size].matrix;
    sizes.push(await benchmarkSnapshot(size, { size }, options, runs, matrixRuns));
    save();
  }
  printSizes(sizes);

  if (options.scaling) {
    for (const factor of SCALING_FACTORS) {
      const request = { ...SCALING_BASE, pods: SCALING_BASE.pods! * factor, policies: SCALING_BASE.policies! * factor };
      points.push(await benchmarkSnapshot(`scaling-x${factor}`, request, options, options.runs ?? 3, 1));
      save();
    }
    scaling = summariseScaling(points);
    printScaling(scaling);
  }

  printTargets(evaluateTargets(sizes, scaling));
  save();
  process.stderr.write(`Wrote ${options.json}\n`);
}

// --- one snapshot -------------------------------------------------------------------------------------

async function benchmarkSnapshot(name: string, request: { size?: SizeName } & SizeRequest, options: Options, runs: number, matrixRuns: number): Promise<SizeResult> {
  const { size, ...counts } = request;
  const folder = path.join(options.data, `${name}-seed${options.seed}`);
  const generated = ensureSnapshot(folder, size, counts, options.seed);
  process.stderr.write(`\n${name}: ${generated.manifest.counts.pods} pods, ${generated.manifest.files.length} files, ${(generated.manifest.bytes / MIB).toFixed(0)} MiB${generated.seconds === undefined ? ' (reused)' : ` (generated in ${generated.seconds.toFixed(1)} s)`}\n`);

  const loadAverageBefore = os.loadavg()[0] as number;
  const phases = {} as Record<Phase, PhaseResult>;
  for (const phase of PHASES) {
    if (!options.phases.includes(phase)) {
      phases[phase] = { phase, available: false, failure: 'skipped (not in --phases)', runs: 0 };
      continue;
    }
    phases[phase] = await measurePhase(phase, folder, phase === 'reach-matrix' ? matrixRuns : runs, options);
    process.stderr.write(`  ${phase.padEnd(12)} ${describePhase(phases[phase])}\n`);
  }
  const parse = phases.parse.medianMs;
  const ratio = (phase: Phase) => (parse && phases[phase].medianMs !== undefined ? (phases[phase].medianMs as number) / parse : undefined);
  return {
    name,
    counts: generated.manifest.counts,
    files: generated.manifest.files.length,
    bytes: generated.manifest.bytes,
    ...(generated.seconds === undefined ? {} : { generateSeconds: generated.seconds }),
    loadAverageBefore,
    phases,
    ratios: { ...optional('load', ratio('load')), ...optional('audit', ratio('audit')), ...optional('matrix', ratio('reach-matrix')) },
  };
}

/** Generates the snapshot unless the folder already contains one from this generator version with the same seed and counts. */
function ensureSnapshot(folder: string, size: SizeName | undefined, counts: SizeRequest, seed: number): { manifest: GenerateManifest; seconds?: number } {
  const wanted = resolveCounts(size, counts);
  const existing = readManifest(folder);
  if (existing && existing.version === GENERATOR_VERSION && existing.seed === seed && JSON.stringify(existing.counts) === JSON.stringify(wanted)) return { manifest: existing };
  const started = performance.now();
  const manifest = generateSnapshot({ out: folder, ...(size ? { size } : {}), seed, counts });
  return { manifest, seconds: (performance.now() - started) / 1000 };
}

async function measurePhase(phase: Phase, folder: string, runs: number, options: Options): Promise<PhaseResult> {
  const measurements: Measurement[] = [];
  for (let run = 0; run < runs; run++) {
    const outcome = await runChild(phase, folder, options);
    if ('failure' in outcome) return { phase, available: true, failure: outcome.failure, runs: run };
    if (!outcome.measurement.available) return { phase, available: false, failure: outcome.measurement.reason ?? 'not available', runs: 0 };
    measurements.push(outcome.measurement);
  }
  const times = measurements.map((item) => item.ms);
  const partNames = Object.keys(measurements[0]?.parts ?? {});
  return {
    phase,
    available: true,
    runs,
    medianMs: median(times),
    minMs: Math.min(...times),
    maxMs: Math.max(...times),
    parts: Object.fromEntries(partNames.map((part) => [part, median(measurements.map((item) => item.parts[part] ?? 0))])),
    maxRssBytes: Math.max(...measurements.map((item) => item.maxRssBytes)),
    details: measurements[measurements.length - 1]?.details ?? {},
  };
}

/** Runs bench/measure.ts in a child process and reads its one line of JSON. */
function runChild(phase: Phase, folder: string, options: Options): Promise<{ measurement: Measurement } | { failure: string }> {
  const args = [...(options.heapMib ? [`--max-old-space-size=${options.heapMib}`] : []), '--import', 'tsx', MEASURE, phase, folder];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-8_192)));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutSeconds * 1000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (timedOut) return resolve({ failure: `did not finish within ${options.timeoutSeconds} s` });
      if (code !== 0) {
        if (/heap out of memory|Reached heap limit/i.test(stderr)) return resolve({ failure: `ran out of memory at the V8 heap limit (${options.heapMib ? `${options.heapMib} MiB, --heap` : 'the default'})` });
        // The error line, not the stack frames under it.
        const lines = stderr.trim().split('\n').filter(Boolean);
        const error = lines.filter((line) => /^\s*(\w*Error\b|Error:)/.test(line)).pop() ?? lines.pop() ?? '';
        return resolve({ failure: `exited with ${signal ?? `code ${code}`}: ${error.trim()}` });
      }
      try {
        resolve({ measurement: JSON.parse(stdout.trim().split('\n').pop() ?? '') as Measurement });
      } catch {
        resolve({ failure: `printed no result: ${stdout.slice(0, 200)}` });
      }
    });
  });
}

// --- scaling and targets --------------------------------------------------------------------------------

function summariseScaling(points: SizeResult[]) {
  const first = points[0] as SizeResult;
  const last = points[points.length - 1] as SizeResult;
  const factor = last.counts.pods / first.counts.pods;
  // The exponent k in time ∝ size^k between the first and last points: 1 is linear growth.
  const exponent = (phase: Phase) => {
    const a = first.phases[phase].medianMs;
    const b = last.phases[phase].medianMs;
    return a && b ? Math.log(b / a) / Math.log(factor) : undefined;
  };
  return {
    description: `pods and policies doubled at each point; ${SCALING_BASE.workloads} workloads (distinct application label sets), ${SCALING_BASE.namespaces} namespaces and ${SCALING_BASE.securityGroups} security groups fixed`,
    points: points.map((point) => ({
      name: point.name,
      pods: point.counts.pods,
      policies: point.counts.policies,
      bytes: point.bytes,
      parseMs: point.phases.parse.medianMs,
      loadMs: point.phases.load.medianMs,
      checksMs: point.phases.checks.medianMs,
      auditMs: point.phases.audit.medianMs,
      auditFailure: point.phases.audit.failure,
      matrixMs: point.phases['reach-matrix'].medianMs,
      matrixFailure: point.phases['reach-matrix'].failure,
    })),
    exponents: { parse: exponent('parse'), load: exponent('load'), checks: exponent('checks'), audit: exponent('audit'), matrix: exponent('reach-matrix') },
  };
}

interface Target {
  target: string;
  status: 'met' | 'missed' | 'not measured';
  measured: string;
}

function evaluateTargets(sizes: SizeResult[], scaling: ReturnType<typeof summariseScaling> | undefined): Target[] {
  const targets: Target[] = [];
  const bySize = (name: string) => sizes.find((size) => size.name === name);
  const ratioTarget = (name: string, limit: number) => {
    const size = bySize(name);
    const audit = size?.phases.audit;
    const ratio = size?.ratios.audit;
    targets.push({
      target: `${name}: full audit within ${limit} × its parse time`,
      status: judge(ratio, (value) => value <= limit),
      measured: ratio === undefined ? (audit?.failure ?? 'size not run') : `${ratio.toFixed(2)} × (${seconds(audit?.medianMs)} s against ${seconds(size?.phases.parse.medianMs)} s)`,
    });
  };
  ratioTarget('huge', 3);
  const huge = bySize('huge');
  const rss = huge?.phases.audit.maxRssBytes;
  targets.push({
    target: 'huge: full audit under 4 GiB of peak memory',
    status: judge(rss, (value) => value < MEMORY_TARGET_BYTES),
    measured: rss === undefined ? (huge?.phases.audit.failure ?? 'size not run') : `${(rss / MIB).toFixed(0)} MiB peak RSS`,
  });
  ratioTarget('large', 2);
  const query = huge?.phases['reach-query'];
  const slowest = query?.details?.maxQueryMs as number | undefined;
  targets.push({
    target: `huge: a single reach query answers in under ${QUERY_TARGET_MS} ms once loaded`,
    status: judge(slowest, (value) => value < QUERY_TARGET_MS),
    measured: slowest === undefined ? (query?.failure ?? 'size not run') : `slowest of ${query?.details?.queries} queries ${slowest.toFixed(2)} ms, median ${(query?.details?.medianQueryMs as number).toFixed(2)} ms`,
  });
  const exponent = scaling?.exponents.audit;
  const checks = scaling?.exponents.checks;
  const span = `×${SCALING_FACTORS[SCALING_FACTORS.length - 1]}`;
  let measured = 'scaling series not run';
  if (exponent !== undefined) measured = `time ∝ size^${exponent.toFixed(2)} over ${span}`;
  else if (scaling) measured = `the audit did not finish at every point${checks === undefined ? '' : `; the checks alone grow as size^${checks.toFixed(2)} over ${span}`}`;
  targets.push({
    target: 'audit time grows no faster than linearly in pods and policies for fixed label sets',
    // A measured exponent up to 1.15 is taken as linear: timing noise on a shared machine is about that large.
    status: judge(exponent, (value) => value <= 1.15),
    measured,
  });
  return targets;
}

function judge(value: number | undefined, meets: (value: number) => boolean): Target['status'] {
  if (value === undefined) return 'not measured';
  return meets(value) ? 'met' : 'missed';
}

// --- output ---------------------------------------------------------------------------------------------

function printSizes(sizes: SizeResult[]): void {
  const header = ['size', 'pods', 'policies', 'SG rules', 'MiB', 'parse s', 'load s', 'load ×', 'checks s', 'audit s', 'audit ×', 'audit RSS MiB', 'exposure s', 'matrix s', 'matrix ×', 'matrix RSS MiB', 'query ms (max)'];
  const rows = sizes.map((size) => {
    const { parse, load, checks, audit } = size.phases;
    const matrix = size.phases['reach-matrix'];
    const query = size.phases['reach-query'];
    const exposure = size.phases['aws-exposure'];
    return [
      size.name,
      String(size.counts.pods),
      String(size.counts.policies),
      String(size.counts.securityGroupRules),
      (size.bytes / MIB).toFixed(0),
      cell(parse, seconds(parse.medianMs)),
      cell(load, seconds(load.medianMs)),
      size.ratios.load === undefined ? '—' : size.ratios.load.toFixed(2),
      cell(checks, seconds(checks.medianMs)),
      cell(audit, seconds(audit.medianMs)),
      size.ratios.audit === undefined ? '—' : size.ratios.audit.toFixed(2),
      cell(audit, audit.maxRssBytes === undefined ? undefined : (audit.maxRssBytes / MIB).toFixed(0)),
      cell(exposure, seconds(exposure.medianMs)),
      cell(matrix, seconds(matrix.medianMs)),
      size.ratios.matrix === undefined ? '—' : size.ratios.matrix.toFixed(2),
      cell(matrix, matrix.maxRssBytes === undefined ? undefined : (matrix.maxRssBytes / MIB).toFixed(0)),
      cell(query, query.details?.maxQueryMs === undefined ? undefined : (query.details.maxQueryMs as number).toFixed(2)),
    ];
  });
  process.stdout.write(`\n${table([header, ...rows])}\n`);
  const notes = sizes.flatMap((size) => PHASES.filter((phase) => size.phases[phase].failure).map((phase) => `  ${size.name} ${phase}: ${size.phases[phase].failure}`));
  if (notes.length > 0) process.stdout.write(`Not measured:\n${notes.join('\n')}\n`);
  process.stdout.write('Times are medians of the runs; × is the time divided by the parse time of the same snapshot; RSS is the peak resident set of the measuring process.\n');
}

function printScaling(scaling: ReturnType<typeof summariseScaling>): void {
  const rows = scaling.points.map((point) => [
    point.name,
    String(point.pods),
    String(point.policies),
    seconds(point.parseMs) ?? '—',
    seconds(point.loadMs) ?? '—',
    seconds(point.checksMs) ?? '—',
    seconds(point.auditMs) ?? point.auditFailure ?? '—',
    seconds(point.matrixMs) ?? point.matrixFailure ?? '—',
  ]);
  process.stdout.write(`\nScaling (${scaling.description}):\n${table([['point', 'pods', 'policies', 'parse s', 'load s', 'checks s', 'audit s', 'matrix s'], ...rows])}\n`);
  const format = (value: number | undefined) => (value === undefined ? '—' : value.toFixed(2));
  const exponents = scaling.exponents;
  process.stdout.write(
    `Growth exponents (1 = linear): parse ${format(exponents.parse)}, load ${format(exponents.load)}, checks ${format(exponents.checks)}, audit ${format(exponents.audit)}, matrix ${format(exponents.matrix)}\n`,
  );
}

function printTargets(targets: Target[]): void {
  process.stdout.write(`\nTargets:\n${targets.map((target) => `  [${target.status}] ${target.target}: ${target.measured}`).join('\n')}\n`);
}

function table(rows: string[][]): string {
  const widths = (rows[0] as string[]).map((_, column) => Math.max(...rows.map((row) => (row[column] ?? '').length)));
  const line = (row: string[]) => row.map((value, column) => (column === 0 ? value.padEnd(widths[column] as number) : value.padStart(widths[column] as number))).join('  ');
  return [line(rows[0] as string[]), widths.map((width) => '-'.repeat(width)).join('  '), ...rows.slice(1).map(line)].join('\n');
}

function cell(result: PhaseResult, value: string | undefined): string {
  if (value !== undefined) return value;
  if (!result.available) return 'n/a';
  if (result.failure?.startsWith('ran out of memory')) return 'OOM';
  if (result.failure?.startsWith('did not finish')) return 'timeout';
  return result.failure ? 'failed' : '—';
}

function describePhase(result: PhaseResult): string {
  if (result.failure) return result.failure;
  const parts = Object.entries(result.parts ?? {}).map(([name, ms]) => `${name} ${seconds(ms)}`).join(', ');
  return `${seconds(result.medianMs)} s median of ${result.runs}${parts ? ` (${parts})` : ''}, peak RSS ${((result.maxRssBytes ?? 0) / MIB).toFixed(0)} MiB`;
}

// --- helpers --------------------------------------------------------------------------------------------

function parseOptions(): Options {
  const { values } = parseArgs({
    options: {
      sizes: { type: 'string', default: SIZE_NAMES.join(',') },
      json: { type: 'string', default: path.join(REPO_ROOT, 'bench/results.json') },
      data: { type: 'string', default: path.join(os.tmpdir(), 'rampart-bench') },
      seed: { type: 'string', default: '1' },
      runs: { type: 'string' },
      timeout: { type: 'string', default: '600' },
      heap: { type: 'string' },
      phases: { type: 'string', default: PHASES.join(',') },
      'no-scaling': { type: 'boolean', default: false },
    },
  });
  const sizes = (values.sizes as string).split(',').map((size) => size.trim()).filter(Boolean);
  const phases = (values.phases as string).split(',').map((phase) => phase.trim());
  for (const phase of phases) {
    if (!(PHASES as string[]).includes(phase)) fail(`--phases: ${phase} is not one of ${PHASES.join(', ')}`);
  }
  if (!phases.includes('parse')) fail('--phases must include parse: every other time is reported as a multiple of it');
  for (const size of sizes) {
    if (!(SIZE_NAMES as readonly string[]).includes(size)) fail(`--sizes: ${size} is not one of ${SIZE_NAMES.join(', ')}`);
  }
  const whole = (text: string | undefined, flag: string) => {
    if (text === undefined) return undefined;
    const value = Number(text);
    if (!Number.isSafeInteger(value) || value < 1) fail(`${flag} ${text} is not a whole number of 1 or more`);
    return value;
  };
  return {
    sizes: sizes as SizeName[],
    json: path.resolve(values.json as string),
    data: path.resolve(values.data as string),
    seed: whole(values.seed as string, '--seed') as number,
    ...optional('runs', whole(values.runs as string | undefined, '--runs')),
    timeoutSeconds: whole(values.timeout as string, '--timeout') as number,
    ...optional('heapMib', whole(values.heap as string | undefined, '--heap')),
    scaling: !values['no-scaling'],
    phases: phases as Phase[],
  };
}

function describeMachine() {
  return {
    cpu: os.cpus()[0]?.model ?? 'unknown',
    cores: os.cpus().length,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
}

function seconds(ms: number | undefined): string | undefined {
  return ms === undefined ? undefined : (ms / 1000).toFixed(2);
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

function fail(message: string): never {
  process.stderr.write(`bench: error: ${message}\n`);
  process.exit(2);
}

await main();
