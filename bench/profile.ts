// Profiles one benchmark measurement with V8's sampling profiler and prints where the time goes.
//
//   npx tsx bench/profile.ts PHASE SNAPSHOT_FOLDER [--top N] [--keep DIR]
//
// It runs bench/measure.ts under `node --cpu-prof` and sums the samples of the .cpuprofile two ways: self
// time per function (where the CPU was) and inclusive time per function (the function or anything it
// called was on the stack). Functions are named `file:function`, with paths relative to the repository.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { PHASES, type Phase } from './phases.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '25' }, keep: { type: 'string' } } });
const [phase, snapshot] = positionals as [Phase, string];
if (!PHASES.includes(phase) || !snapshot) {
  process.stderr.write(`usage: bench/profile.ts ${PHASES.join('|')} SNAPSHOT_FOLDER [--top N] [--keep DIR]\n`);
  process.exit(2);
}
const top = Number(values.top);
const folder = values.keep ? path.resolve(values.keep) : mkdtempSync(path.join(os.tmpdir(), 'rampart-profile-'));

const child = spawnSync(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${folder}`, '--import', 'tsx', path.join(REPO_ROOT, 'bench/measure.ts'), phase, path.resolve(snapshot)], {
  cwd: REPO_ROOT,
  encoding: 'utf8',
  maxBuffer: 64 * 2 ** 20,
});
if (child.status !== 0) {
  process.stderr.write(`bench/profile: the measurement failed (${child.signal ?? `code ${child.status}`}): ${child.stderr.slice(-2_000)}\n`);
  process.exit(1);
}
process.stdout.write(`Measurement: ${child.stdout.trim()}\n`);

// The main thread writes the largest profile; tsx's module loader thread writes a small second one.
const file = readdirSync(folder)
  .filter((name) => name.endsWith('.cpuprofile'))
  .map((name) => ({ name, size: statSync(path.join(folder, name)).size }))
  .sort((a, b) => b.size - a.size)[0]?.name;
if (!file) {
  process.stderr.write(`bench/profile: no .cpuprofile in ${folder}\n`);
  process.exit(1);
}
const profile = JSON.parse(readFileSync(path.join(folder, file), 'utf8')) as CpuProfile;
summarise(profile);
if (values.keep) process.stdout.write(`Profile kept: ${path.join(folder, file)} (open it in Chrome DevTools, Performance tab)\n`);
else rmSync(folder, { recursive: true, force: true });

function summarise(profile: CpuProfile): void {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const childId of node.children ?? []) parent.set(childId, node.id);

  const self = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((sampleId, index) => {
    const delta = profile.timeDeltas[index] ?? 0;
    total += delta;
    const leaf = byId.get(sampleId);
    if (!leaf) return;
    add(self, label(leaf), delta);
    // Count each function once per sample, however deep its recursion.
    const seen = new Set<string>();
    for (let id: number | undefined = sampleId; id !== undefined; id = parent.get(id)) {
      const name = label(byId.get(id) as ProfileNode);
      if (!seen.has(name)) {
        seen.add(name);
        add(inclusive, name, delta);
      }
    }
  });

  const print = (title: string, map: Map<string, number>) => {
    const rows = [...map.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
    process.stdout.write(`\n${title} (of ${(total / 1e6).toFixed(2)} s sampled):\n`);
    for (const [name, time] of rows) process.stdout.write(`  ${((100 * time) / total).toFixed(1).padStart(5)} %  ${(time / 1e6).toFixed(2).padStart(7)} s  ${name}\n`);
  };
  print('Self time', self);
  print('Inclusive time', inclusive);
}

function label(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const name = functionName || '(anonymous)';
  if (!url) return name;
  let where = url.startsWith('file://') ? fileURLToPath(url) : url;
  // tsx compiles each TypeScript file without keeping its lines, so only JavaScript files get a line number.
  if (where.includes('node_modules/')) return `${where.slice(where.lastIndexOf('node_modules/') + 'node_modules/'.length)}:${lineNumber + 1}:${name}`;
  if (where.startsWith(REPO_ROOT)) where = path.relative(REPO_ROOT, where);
  return `${where}:${name}`;
}

function add(map: Map<string, number>, key: string, value: number): void {
  map.set(key, (map.get(key) ?? 0) + value);
}
