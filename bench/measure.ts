// One measurement of the benchmark, run in a child process of bench/run.ts so that each measurement has
// its own peak memory (getrusage's maxrss) and starts with a cold JIT, as a CLI run does.
//
//   node --import tsx bench/measure.ts PHASE SNAPSHOT_FOLDER
//
// PHASE is one of:
//   parse         read every snapshot file and JSON.parse it, one file at a time: the floor
//   load          loadSnapshotFolder only: reading, parsing, validating and indexing into the inventory
//   checks        loadSnapshotFolder + runChecks over every registered check, without fixes or report:
//                 shows how much of the audit the checks take and how much rendering and verifying fixes
//   audit         loadSnapshotFolder + auditInventory + renderJson, as `rampart audit -o json` does
//   reach-matrix  loadSnapshotFolder + reachModel + forEachMatrixRow + formatConnlist per row, as `rampart reach --matrix`
//   aws-exposure  the load, then the AWS engine's internet exposure paths alone
//   reach-query   the same load and model, then single queries timed one by one
//
// It prints one JSON object on standard output. Times are in milliseconds and exclude the start of Node and
// the loading of Rampart's modules.

import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { getHeapStatistics } from 'node:v8';
import { CHECKS } from '../src/checks/registry.js';
import { runChecks } from '../src/checks/run.js';
import { auditInventory } from '../src/cli/pipeline.js';
import { DEFAULT_CONFIG } from '../src/config/config.js';
import { loadSnapshotFolder, observedTime } from '../src/inventory/load.js';
import type { Inventory } from '../src/inventory/inventory.js';
import { renderJson } from '../src/report/json.js';
import { computeExposure } from '../src/engines/aws/exposure.js';
import { PHASES, type Measurement, type Phase } from './phases.js';

/** The parts of the reachability engine the benchmark calls, looked up at run time. */
interface ReachApi {
  reachModel: (inventory: Inventory) => ReachModelLike;
  computeMatrix: (model: ReachModelLike) => unknown[];
  formatConnlist?: (entries: unknown[]) => string;
  forEachMatrixRow?: (model: ReachModelLike, visit: (row: unknown[]) => void) => void;
  explainConnection: (model: ReachModelLike, source: unknown, destination: unknown, protocol: number, port: number) => { allowed: boolean };
}

interface ReachModelLike {
  pods: Array<{ namespace: string; name: string; hostNetwork: boolean; pod: { spec: { containers: Array<{ ports?: Array<{ containerPort: number }> }> } } }>;
  classes: unknown[];
}

const QUERIES = 25;
const TCP = 6;

async function main(): Promise<void> {
  const [phase, snapshot] = process.argv.slice(2) as [Phase, string];
  if (!PHASES.includes(phase) || !snapshot) {
    process.stderr.write(`usage: measure.ts ${PHASES.join('|')} SNAPSHOT_FOLDER\n`);
    process.exitCode = 2;
    return;
  }
  const result = await measure(phase, snapshot);
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

async function measure(phase: Phase, snapshot: string): Promise<Measurement> {
  // Imported before the clock starts, like the modules imported at the top.
  let reach: ReachApi | undefined;
  if (phase === 'reach-matrix' || phase === 'reach-query') reach = await loadReachApi();
  const parts: Record<string, number> = {};
  const details: Record<string, number | string> = {};
  const started = performance.now();
  let mark = started;
  const lap = (name: string) => {
    const now = performance.now();
    parts[name] = now - mark;
    mark = now;
  };
  const finish = (extra: Partial<Measurement> = {}): Measurement => ({
    phase,
    available: true,
    ms: performance.now() - started,
    parts,
    maxRssBytes: process.resourceUsage().maxRSS * 1024,
    heapLimitBytes: getHeapStatistics().heap_size_limit,
    details,
    ...extra,
  });

  if (phase === 'parse') {
    let files = 0;
    let bytes = 0;
    for (const file of await snapshotFiles(snapshot)) {
      const text = await readFile(file, 'utf8');
      JSON.parse(text);
      files += 1;
      bytes += Buffer.byteLength(text);
    }
    details.files = files;
    details.bytes = bytes;
    return finish();
  }


  if ((phase === 'reach-matrix' || phase === 'reach-query') && !reach) {
    return { ...finish(), available: false, reason: 'the reachability engine (src/engines/reach) does not export reachModel, computeMatrix and explainConnection' };
  }

  const load = await loadSnapshotFolder(snapshot);
  lap('load');
  details.pods = load.inventory.data.pods.length;
  details.problems = load.problems.length;
  if (phase === 'load') return finish();

  if (phase === 'checks') {
    const { findings } = runChecks(CHECKS, { inventory: load.inventory, config: DEFAULT_CONFIG, snapshotTime: observedTime(load.inventory) });
    lap('checks');
    details.findings = findings.length;
    return finish();
  }

  if (phase === 'audit') {
    const report = auditInventory(load, snapshot, { config: DEFAULT_CONFIG });
    lap('checks and fixes');
    const text = renderJson(report);
    lap('render');
    details.findings = report.findings.length;
    details.reportBytes = Buffer.byteLength(text);
    return finish();
  }

  if (phase === 'aws-exposure') {
    // The AWS engine alone: every path from the internet to a listening port, without checks or fixes.
    const result = computeExposure(load.inventory);
    lap('exposure');
    details.paths = result.paths.length;
    details.securityGroups = load.inventory.data.securityGroups.length;
    details.networkInterfaces = load.inventory.data.networkInterfaces.length;
    return finish();
  }

  const api = reach as ReachApi;
  const model = api.reachModel(load.inventory);
  lap('model');
  details.classes = model.classes.length;
  if (phase === 'reach-matrix') {
    if (api.forEachMatrixRow && api.formatConnlist) {
      // As the CLI does: each source's row is formatted and written (here counted) as it is computed, so
      // the time is computing and rendering together.
      const format = api.formatConnlist;
      let entries = 0;
      let bytes = 0;
      api.forEachMatrixRow(model, (row) => {
        entries += row.length;
        bytes += Buffer.byteLength(format(row));
      });
      lap('matrix and render');
      details.entries = entries;
      details.outputBytes = bytes;
      return finish();
    }
    const entries = api.computeMatrix(model);
    lap('matrix');
    details.entries = entries.length;
    if (api.formatConnlist) {
      details.outputBytes = Buffer.byteLength(api.formatConnlist(entries));
      lap('render');
    }
    return finish();
  }

  // Single queries between pods spread over the snapshot, on a port the destination listens on.
  const pods = model.pods.filter((pod) => !pod.hostNetwork);
  const latencies: number[] = [];
  let allowed = 0;
  for (let k = 0; k < QUERIES && pods.length > 0; k++) {
    const source = pods[(k * 7_919) % pods.length]!;
    const destination = pods[(k * 104_729 + 1) % pods.length]!;
    const port = destination.pod.spec.containers[0]?.ports?.[0]?.containerPort ?? 8080;
    const before = performance.now();
    const verdict = api.explainConnection(model, { kind: 'pod', pod: source }, { kind: 'pod', pod: destination }, TCP, port);
    latencies.push(performance.now() - before);
    if (verdict.allowed) allowed += 1;
  }
  lap('queries');
  const sorted = [...latencies].sort((a, b) => a - b);
  details.queries = latencies.length;
  details.allowed = allowed;
  details.firstQueryMs = latencies[0] ?? 0;
  details.medianQueryMs = sorted[Math.floor(sorted.length / 2)] ?? 0;
  details.maxQueryMs = sorted[sorted.length - 1] ?? 0;
  return finish();
}

/** Lists every file the loader reads: `.json`, `.yaml` and `.yml` files below the folder, dot files skipped. */
async function snapshotFiles(root: string): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(root, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    const full = path.join(root, entry.name);
    if (entry.isDirectory()) files.push(...(await snapshotFiles(full)));
    else if (/\.json$/i.test(entry.name)) files.push(full);
    else if (/\.ya?ml$/i.test(entry.name)) throw new Error(`${full}: the parse floor covers JSON only, and the generator writes no YAML`);
  }
  return files.sort();
}

async function loadReachApi(): Promise<ReachApi | undefined> {
  let module: Record<string, unknown>;
  try {
    module = (await import('../src/engines/reach/index.js')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  if (typeof module.reachModel !== 'function' || typeof module.computeMatrix !== 'function' || typeof module.explainConnection !== 'function') return undefined;
  return {
    reachModel: module.reachModel as ReachApi['reachModel'],
    computeMatrix: module.computeMatrix as ReachApi['computeMatrix'],
    explainConnection: module.explainConnection as ReachApi['explainConnection'],
    ...(typeof module.formatConnlist === 'function' ? { formatConnlist: module.formatConnlist as ReachApi['formatConnlist'] } : {}),
    ...(typeof module.forEachMatrixRow === 'function' ? { forEachMatrixRow: module.forEachMatrixRow as ReachApi['forEachMatrixRow'] } : {}),
  };
}

await main();
