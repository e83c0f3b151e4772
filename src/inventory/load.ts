import { readSnapshotFolder } from '../collect/snapshot.js';
import type { RawSnapshot } from '../collect/types.js';
import { buildInventory, type LoadResult } from './build.js';
import type { Inventory } from './inventory.js';

/** Reads a snapshot folder and builds its inventory. Raises SnapshotError only when the folder itself is unusable. */
export async function loadSnapshotFolder(root: string): Promise<LoadResult> {
  return buildInventory(await readSnapshotFolder(root));
}

/** Builds an inventory from documents held in memory, keyed by the file name they would have. */
export function loadDocuments(files: Record<string, unknown[]>, root = 'memory'): LoadResult {
  const raw: RawSnapshot = {
    root,
    files: Object.entries(files).map(([file, documents]) => ({ file, documents })),
    problems: [],
    ignored: [],
  };
  return buildInventory(raw);
}

/**
 * Returns the time the snapshot describes: the latest timestamp found in events, container states and metrics.
 * Reports use it instead of the clock, so that the same snapshot always gives the same findings.
 */
export function observedTime(inventory: Inventory): string | undefined {
  let latest: number | undefined;
  const consider = (value: string | null | undefined) => {
    if (!value) return;
    const time = Date.parse(value);
    if (!Number.isNaN(time) && (latest === undefined || time > latest)) latest = time;
  };
  for (const event of inventory.data.events) {
    consider(event.lastTimestamp);
    consider(event.firstTimestamp);
  }
  for (const pod of inventory.data.pods) {
    consider(pod.status?.startTime);
    for (const status of [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])]) {
      consider(status.state?.running?.startedAt);
      consider(status.state?.terminated?.finishedAt);
      consider(status.lastState?.terminated?.finishedAt);
    }
  }
  for (const metrics of inventory.data.podMetrics) consider(metrics.timestamp);
  return latest === undefined ? undefined : new Date(latest).toISOString();
}
