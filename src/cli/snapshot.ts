import type { LoadResult } from '../inventory/build.js';
import { loadSnapshotFolder } from '../inventory/load.js';
import { formatSource } from '../inventory/source.js';
import { UsageError, type Io } from './io.js';

/**
 * Loads a snapshot folder for a command: prints every input problem on standard error, and raises a
 * usage error (exit 2) only when nothing usable remains. `emptyMessage` words that error for the command,
 * given the snapshot and the reason; it defaults to audit's wording.
 */
export async function loadSnapshotForCli(snapshot: string, io: Io, progress: (text: string) => void, emptyMessage = auditEmptyMessage): Promise<LoadResult> {
  progress(`Reading ${snapshot} …`);
  const load = await loadSnapshotFolder(snapshot);
  for (const problem of load.problems) {
    const where = problemLocation(problem);
    // An invalid object or file is skipped and the rest audited, so it is reported as skipped, not as a fatal error.
    const label = problem.level === 'error' ? 'skipped' : 'warning';
    io.stderr(`rampart: ${label}: ${where}: ${problem.message}\n`);
  }
  if (load.inventory.data.present.size === 0) {
    const reason = load.problems.length > 0 ? 'every file was invalid' : 'no file holds an AWS CLI or kubectl output Rampart reads';
    throw new UsageError(`${emptyMessage(snapshot, reason)} (see docs/snapshot.md for the expected files)`);
  }
  return load;
}

/** Writes where an input problem is: the file, and the document and JSON path when known. */
export function problemLocation(problem: { file: string; document?: number; path?: string }): string {
  if (!problem.path) return problem.file;
  return formatSource({ file: problem.file, path: problem.path, ...(problem.document === undefined ? {} : { document: problem.document }) });
}

function auditEmptyMessage(snapshot: string, reason: string): string {
  return `nothing to audit in ${snapshot}: ${reason}`;
}
