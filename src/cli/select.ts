import type { Check } from '../checks/types.js';
import { UsageError } from './io.js';

/**
 * Applies `--checks` (only these) and `--skip-checks` (all but these) to the registered checks, keeping
 * registry order. An unknown id is a usage error that lists the valid ids.
 */
export function selectChecks(all: Check[], only: string | undefined, skip: string | undefined): { selected: Check[]; deselected: string[] } {
  const known = new Set(all.map((check) => check.meta.id));
  const onlyIds = only === undefined ? undefined : parseIds('--checks', only, known);
  const skipIds = skip === undefined ? new Set<string>() : parseIds('--skip-checks', skip, known);
  const selected = all.filter((check) => (onlyIds === undefined || onlyIds.has(check.meta.id)) && !skipIds.has(check.meta.id));
  const deselected = all.filter((check) => !selected.includes(check)).map((check) => check.meta.id);
  return { selected, deselected };
}

/** Parses a comma-separated list of check ids. */
function parseIds(option: string, value: string, known: Set<string>): Set<string> {
  const ids = value
    .split(',')
    .map((id) => id.trim())
    .filter((id) => id.length > 0);
  if (ids.length === 0) throw new UsageError(`${option} needs at least one check id`);
  const unknown = ids.filter((id) => !known.has(id));
  if (unknown.length > 0) {
    const valid = [...known].sort().join(', ');
    throw new UsageError(`${option}: unknown check id ${unknown.join(', ')}; valid ids: ${valid || '(none registered)'}`);
  }
  return new Set(ids);
}
