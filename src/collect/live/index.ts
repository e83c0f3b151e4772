import { createHash } from 'node:crypto';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
import { parseJsonFile, parseYamlFile } from '../snapshot.js';
import type { InputProblem, RawFile } from '../types.js';
import { collectAws, type AwsManifest } from './aws.js';
import { LiveCollectionError } from './errors.js';
import { collectKubernetes, type KubernetesManifest } from './kubernetes.js';
import { CollectionSink, type PendingOutput } from './sink.js';
import { MANIFEST_FILE, type CollectedFile, type KindRecord, type LiveOptions, type LiveSnapshot, type SnapshotManifest } from './types.js';
import { compareText } from '../../compare.js';

export { LiveCollectionError } from './errors.js';
export { MANIFEST_FILE, type KindRecord, type LiveOptions, type LiveSnapshot, type SnapshotManifest } from './types.js';

/**
 * Collects a snapshot from the AWS and Kubernetes APIs, read-only, in the format `rampart audit` reads
 * from a folder: the same files, the same texts, plus `rampart-manifest.json`. Nothing is written; pass
 * the result to writeLiveSnapshot for that. Raises LiveCollectionError when an API cannot be used at all.
 */
export async function collectLive(options: LiveOptions): Promise<LiveSnapshot> {
  if (!options.aws && !options.kubernetes) throw new LiveCollectionError('nothing to collect: both AWS and Kubernetes are turned off');
  const sink = new CollectionSink(options.onProgress);

  // Both sides run at once. The first that cannot use its API stops the other at its next call group,
  // so that the command ends within seconds instead of after the other side's whole collection.
  const stopOnFailure = <T>(work: Promise<T>) =>
    work.catch((error: unknown) => {
      sink.stop(error as Error);
      throw error;
    });
  const [aws, kubernetes] = await Promise.all([
    options.aws ? stopOnFailure(collectAws(options.aws, sink)) : Promise.resolve(null),
    options.kubernetes ? stopOnFailure(collectKubernetes(options.kubernetes, sink)) : Promise.resolve(null),
  ]);

  const texts = serialise(sink.outputs);
  const manifest = buildManifest(options, sink, aws, kubernetes, texts);
  texts.push({ file: MANIFEST_FILE, text: json(manifest) });
  texts.sort((a, b) => compareText(a.file, b.file));

  // The audit reads the same texts it would read from disk, so `audit --live` and `collect` then `audit` agree.
  const files: RawFile[] = [];
  const problems: InputProblem[] = [];
  for (const { file, text } of texts) {
    const parsed = file.endsWith('.yaml') ? parseYamlFile(file, text) : parseJsonFile(file, text);
    problems.push(...parsed.problems);
    if (parsed.file) files.push(parsed.file);
  }
  return { root: 'live', files, problems, ignored: [], manifest, texts };
}

/** Raises LiveCollectionError unless `dir` is absent or an empty folder, so that no older file mixes into a snapshot. */
export async function assertEmptyFolder(dir: string): Promise<void> {
  const existing = await readdir(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [] as string[];
    throw new LiveCollectionError(`cannot use ${dir} for the snapshot: ${error.message}`);
  });
  if (existing.length > 0) throw new LiveCollectionError(`${dir} is not empty: pass a new or empty folder, so the snapshot holds only this collection`);
}

/** Writes a collected snapshot to `dir`, which must be absent or empty. */
export async function writeLiveSnapshot(snapshot: LiveSnapshot, dir: string): Promise<void> {
  await assertEmptyFolder(dir);
  for (const { file, text } of snapshot.texts) {
    const target = path.join(dir, ...file.split('/'));
    await mkdir(path.dirname(target), { recursive: true });
    await writeFile(target, text);
  }
}

/** Summarises the call groups that were not collected, one line each, for the terminal. */
export function uncollectedLines(manifest: SnapshotManifest): string[] {
  return manifest.kinds
    .filter((kind) => kind.status !== 'collected' && !(kind.status === 'not-found' && kind.count === 0 && isOptionalApi(kind)))
    .map((kind) => `${kind.source}${kind.region ? ` ${kind.region}` : ''} ${kind.api}: ${kind.status}: ${kind.error ?? ''}`.trimEnd());
}

/** Calico, Istio and the metrics API are installed on some clusters only, so their absence is expected and no error. */
function isOptionalApi(kind: KindRecord): boolean {
  return kind.kind.startsWith('Calico') || kind.kind === 'AuthorizationPolicy' || kind.kind === 'PodMetrics';
}

function serialise(outputs: Map<string, PendingOutput>): CollectedFile[] {
  return [...outputs].map(([file, output]) => ({ file, text: output.format === 'yaml' ? yaml(output.content) : json(output.content) }));
}

/**
 * YAML as `kubectl -o yaml` prints it: list items at the indentation of their key, and strings that a
 * YAML 1.1 reader would take for a time, a boolean or a number quoted (`"2025-03-11T09:14:04Z"`, `"on"`).
 */
function yaml(value: unknown): string {
  return stringify(value, { version: '1.1', indentSeq: false });
}

/** JSON with 4-space indentation and a final newline, as the AWS CLI and kubectl print it. */
function json(value: unknown): string {
  return `${JSON.stringify(value, null, 4)}\n`;
}

function buildManifest(options: LiveOptions, sink: CollectionSink, aws: AwsManifest | null, kubernetes: KubernetesManifest | null, texts: CollectedFile[]): SnapshotManifest {
  const kinds = [...sink.kinds].sort(
    (a, b) => compareText(a.source, b.source) || compareText(a.region ?? '', b.region ?? '') || compareText(a.kind, b.kind) || compareText(a.api, b.api),
  );
  return {
    rampartManifest: 1,
    rampartVersion: options.toolVersion,
    collectedAt: (options.now ?? (() => new Date()))().toISOString(),
    aws,
    kubernetes,
    awsActions: [...sink.awsActions].sort(),
    kinds,
    files: [...texts]
      .sort((a, b) => compareText(a.file, b.file))
      .map(({ file, text }) => ({ file, sha256: createHash('sha256').update(text).digest('hex') })),
  };
}
