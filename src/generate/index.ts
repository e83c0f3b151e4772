import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { writeAwsOutputs, type WrittenFile } from './aws.js';
import { writeJsonDocument } from './json-writer.js';
import { writeKubernetesOutputs } from './kubernetes.js';
import { countPods, planCluster } from './plan.js';
import { Random } from './random.js';
import { resolveCounts, type SizeCounts, type SizeName, type SizeRequest } from './sizes.js';
import { compareText } from '../compare.js';

export { SIZE_NAMES, PRESETS, resolveCounts, type SizeCounts, type SizeName, type SizeRequest } from './sizes.js';

/**
 * Version of the generator's output. Raise it whenever a change alters the files generated for a given
 * size and seed, so that the benchmark does not reuse a snapshot made by an older generator.
 */
export const GENERATOR_VERSION = 1;
/** Describes a generated folder; a dot file, so the snapshot loader skips it. */
export const MANIFEST_FILE = '.rampart-generate.json';
export const DEFAULT_SEED = 1;

export interface GenerateOptions {
  out: string;
  size?: SizeName;
  seed?: number;
  counts?: SizeRequest;
  /** Called with one line per step, for progress output. */
  progress?: (text: string) => void;
}

export interface GenerateManifest {
  generator: 'rampart generate';
  version: number;
  seed: number;
  size?: SizeName;
  counts: SizeCounts;
  files: WrittenFile[];
  bytes: number;
}

/** Raised for an unusable output folder or invalid counts. The message names the value and what to change. */
export class GenerateError extends Error {}

/** Writes a synthetic snapshot to `options.out` and returns its manifest. The same size and seed always give the same bytes. */
export function generateSnapshot(options: GenerateOptions): GenerateManifest {
  const seed = options.seed ?? DEFAULT_SEED;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new GenerateError(`seed must be a whole number from 0 to 4294967295, not ${seed}`);
  let counts: SizeCounts;
  try {
    counts = resolveCounts(options.size, options.counts ?? {});
  } catch (error) {
    if (error instanceof RangeError) throw new GenerateError(error.message);
    throw error;
  }
  prepareFolder(options.out);
  const progress = options.progress ?? (() => undefined);

  const random = new Random(seed);
  progress(`Planning ${counts.pods} pods on ${counts.nodes} nodes in ${counts.namespaces} namespaces …`);
  let plan;
  try {
    plan = planCluster(counts, seed);
  } catch (error) {
    if (error instanceof RangeError) throw new GenerateError(error.message);
    throw error;
  }
  const planned = countPods(plan);
  if (planned !== counts.pods) throw new Error(`planned ${planned} pods instead of ${counts.pods}`);

  progress('Writing AWS CLI outputs …');
  let files: WrittenFile[];
  try {
    files = writeAwsOutputs(plan, options.out, random.fork('aws'));
  } catch (error) {
    if (error instanceof RangeError) throw new GenerateError(error.message);
    throw error;
  }
  progress('Writing kubectl outputs …');
  files.push(...writeKubernetesOutputs(plan, options.out, random.fork('kubernetes')));
  files.sort((a, b) => compareText(a.file, b.file));

  const manifest: GenerateManifest = {
    generator: 'rampart generate',
    version: GENERATOR_VERSION,
    seed,
    ...(options.size ? { size: options.size } : {}),
    counts,
    files,
    bytes: files.reduce((total, file) => total + file.bytes, 0),
  };
  writeJsonDocument(path.join(options.out, MANIFEST_FILE), 'aws', manifest);
  return manifest;
}

/** Reads the manifest of a generated folder, or returns undefined when the folder has none. */
export function readManifest(folder: string): GenerateManifest | undefined {
  const file = path.join(folder, MANIFEST_FILE);
  if (!existsSync(file)) return undefined;
  try {
    const manifest = JSON.parse(readFileSync(file, 'utf8')) as GenerateManifest;
    return manifest.generator === 'rampart generate' ? manifest : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Makes sure the folder is new, empty or an earlier output of the generator, whose files are then removed.
 * Any other folder is left untouched, so that a typo in --out never deletes someone's files.
 */
function prepareFolder(folder: string): void {
  if (!existsSync(folder)) {
    mkdirSync(folder, { recursive: true });
    return;
  }
  const entries = readdirSync(folder);
  if (entries.length === 0) return;
  const manifest = readManifest(folder);
  if (!manifest) throw new GenerateError(`${folder} is not empty and contains no ${MANIFEST_FILE}, so it was not written by rampart generate: choose a new or empty folder for --out`);
  for (const file of manifest.files) rmSync(path.join(folder, file.file), { force: true });
  rmSync(path.join(folder, MANIFEST_FILE), { force: true });
  for (const sub of ['aws', 'kubernetes']) {
    const child = path.join(folder, sub);
    if (existsSync(child) && isEmptyTree(child)) rmSync(child, { recursive: true });
  }
}

function isEmptyTree(folder: string): boolean {
  return readdirSync(folder, { withFileTypes: true }).every((entry) => entry.isDirectory() && isEmptyTree(path.join(folder, entry.name)));
}
