import { readSnapshotFolder } from '../../../src/collect/snapshot.js';

// Reports of two snapshots of one cluster cite evidence by file and JSON path. A hand export and a
// collection lay some objects out differently (events-v1.json against events.json, one YAML document
// per policy against a List), so evidence is compared by what it points at. That is the Kubernetes
// object by kind, namespace and name plus the path inside it, or the AWS output by file name and path.

type Documents = Map<string, unknown[]>;

export async function documentsOf(root: string): Promise<Documents> {
  const raw = await readSnapshotFolder(root);
  return new Map(raw.files.map((file) => [file.file, file.documents]));
}

/** Returns a copy of `value` with every snapshot location `{file, path, document?}` replaced by what it points at. */
export function canonicalSources(value: unknown, documents: Documents): unknown {
  if (Array.isArray(value)) return value.map((entry) => canonicalSources(entry, documents));
  if (value === null || typeof value !== 'object') return value;
  const record = value as Record<string, unknown>;
  if (typeof record.file === 'string' && typeof record.path === 'string' && Object.keys(record).every((key) => ['file', 'path', 'document'].includes(key))) {
    return canonicalLocation(record.file, record.path, record.document as number | undefined, documents);
  }
  return Object.fromEntries(Object.entries(record).map(([key, member]) => [key, canonicalSources(member, documents)]));
}

function canonicalLocation(file: string, path: string, document: number | undefined, documents: Documents): string {
  const root = documents.get(file)?.[document ?? 0];
  if (root === undefined) return `unresolved ${file} ${path}`;
  const segments = [...path.matchAll(/\.([^.[\]]+)|\[(\d+)\]/g)].map((match) => (match[2] === undefined ? (match[1] as string) : Number(match[2])));
  let current: unknown = root;
  let objectAt = -1;
  let object: Record<string, unknown> | undefined = isKubernetesObject(root) ? (root as Record<string, unknown>) : undefined;
  segments.forEach((segment, index) => {
    current = (current as Record<string | number, unknown> | undefined)?.[segment];
    if (index < 2 && isKubernetesObject(current)) {
      object = current as Record<string, unknown>;
      objectAt = index;
    }
  });
  if (current === undefined) return `unresolved ${file} ${path}`;
  if (!object) return `${file.slice(file.lastIndexOf('/') + 1)} ${path}`;
  const metadata = object.metadata as { name: string; namespace?: string };
  const rest = segments.slice(objectAt + 1).map((segment) => (typeof segment === 'number' ? `[${segment}]` : `.${segment}`)).join('');
  return `${object.kind as string} ${metadata.namespace ?? ''}/${metadata.name}${rest}`;
}

function isKubernetesObject(value: unknown): boolean {
  const record = value as { kind?: unknown; metadata?: { name?: unknown } } | null;
  return typeof record?.kind === 'string' && record.kind !== 'List' && typeof record.metadata?.name === 'string';
}
