import { z } from 'zod';
import type { InputProblem } from '../collect/types.js';
import type { CollectionGap, InventoryData } from './inventory.js';
import { RESOURCE_KINDS, type ResourceKind } from './model.js';
import type { SourceRef } from './source.js';

// `rampart-manifest.json`, which `rampart collect` writes at the snapshot root, records for every API
// call whether it returned data. The inventory takes two facts from it: kinds whose calls were denied or
// failed (so coverage shows that instead of "missing"), and kinds that were collected but have no objects
// (so checks treat them as looked at and empty, which a hand export cannot show).

/** The top-level key that identifies the manifest, holding its format version. */
export const MANIFEST_KEY = 'rampartManifest';

const manifestSchema = z.object({
  rampartManifest: z.number().int(),
  kinds: z.array(
    z.object({
      kind: z.string(),
      api: z.string(),
      region: z.string().optional(),
      status: z.enum(['collected', 'forbidden', 'not-found', 'failed']),
      files: z.array(z.string()).default([]),
      error: z.string().optional(),
    }),
  ),
});

const KNOWN_KINDS = new Set<string>(RESOURCE_KINDS);

/**
 * Records the manifest's collection outcomes in `data`. A kind counts as collected only when every file
 * the manifest lists for it is in the snapshot, so a file removed after collection makes its kind
 * missing again. Returns the problems found in the manifest itself.
 */
export function applyManifest(document: Record<string, unknown>, source: SourceRef, files: ReadonlySet<string>, data: InventoryData): InputProblem[] {
  const parsed = manifestSchema.safeParse(document);
  if (!parsed.success) {
    return [{ level: 'error', file: source.file, path: '$', message: `is not a valid Rampart snapshot manifest (${parsed.error.issues[0]?.message ?? 'invalid'}); its coverage records are not used` }];
  }
  if (parsed.data.rampartManifest !== 1) {
    return [{ level: 'warning', file: source.file, path: `$.${MANIFEST_KEY}`, message: `manifest format ${parsed.data.rampartManifest} is newer than this Rampart reads (1); its coverage records are not used` }];
  }

  const problems: InputProblem[] = [];
  const entries = parsed.data.kinds.map((entry, index) => ({ ...entry, index })).filter((entry) => KNOWN_KINDS.has(entry.kind));
  for (const entry of entries) {
    if (entry.status === 'collected') continue;
    const kind = entry.kind as ResourceKind;
    const gap: CollectionGap = { status: entry.status, api: entry.api, error: entry.error ?? 'no error recorded', ...(entry.region ? { region: entry.region } : {}) };
    data.collectionGaps.set(kind, [...(data.collectionGaps.get(kind) ?? []), gap]);
  }
  for (const entry of entries) {
    if (entry.status !== 'collected') continue;
    const kind = entry.kind as ResourceKind;
    const absent = entry.files.filter((file) => !files.has(file));
    if (absent.length > 0) {
      problems.push({ level: 'warning', file: source.file, path: `$.kinds[${entry.index}]`, message: `lists ${absent.join(', ')} for ${entry.api}, which the snapshot does not contain; ${kind} is not counted as collected from it` });
      continue;
    }
    // Collected with no objects: the kind was looked at and is empty, unless another call for it failed.
    if (!data.collectionGaps.has(kind)) data.present.add(kind);
  }
  return problems;
}
