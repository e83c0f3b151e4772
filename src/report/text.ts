import { formatSource, type SourceRef } from '../inventory/source.js';
import type { ResourceRef } from '../checks/types.js';

/** `DaemonSet tigera-compliance/compliance-benchmarker`, `SecurityGroup sg-0123 (eks-cluster-sg)`. */
export function describeResource(resource: ResourceRef): string {
  const qualified = resource.namespace && resource.name ? `${resource.namespace}/${resource.name}` : resource.name;
  if (resource.id && qualified && qualified !== resource.id) return `${resource.kind} ${resource.id} (${qualified})`;
  return `${resource.kind} ${resource.id ?? qualified ?? '(unnamed)'}`;
}

export function describeSource(source: SourceRef | undefined): string {
  return source ? formatSource(source) : '';
}
