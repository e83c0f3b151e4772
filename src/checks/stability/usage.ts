import type { Inventory } from '../../inventory/inventory.js';
import type { Pod } from '../../inventory/model.js';
import { childSource, type SourceRef } from '../../inventory/source.js';
import { parseQuantity } from './quantity.js';

/** The highest usage of one resource that PodMetrics show for a container across a workload's pods. */
export interface ObservedUsage {
  /** Bytes for memory, cores for CPU. */
  value: number;
  pod: Pod;
  /** When metrics-server sampled it; PodMetrics hold one sample, not a peak over time. */
  timestamp?: string;
  source: SourceRef;
}

/** Finds the highest usage of `resource` (`memory` or `cpu`) for a container name in the given pods. */
export function maxObservedUsage(inventory: Inventory, pods: Pod[], container: string, resource: 'memory' | 'cpu'): ObservedUsage | undefined {
  let best: ObservedUsage | undefined;
  for (const pod of pods) {
    const metrics = inventory.podMetricsFor(pod.metadata.namespace, pod.metadata.name);
    if (!metrics) continue;
    const index = metrics.containers.findIndex((entry) => entry.name === container);
    const value = index >= 0 ? parseQuantity(metrics.containers[index]!.usage[resource]) : undefined;
    if (value === undefined) continue;
    if (!best || value > best.value) {
      best = {
        value,
        pod,
        ...(metrics.timestamp ? { timestamp: metrics.timestamp } : {}),
        source: childSource(metrics.source, 'containers', index, 'usage', resource),
      };
    }
  }
  return best;
}
