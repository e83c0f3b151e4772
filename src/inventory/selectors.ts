import type { LabelSelector } from './schemas/kubernetes.js';

/**
 * Whether labels match a Kubernetes label selector. An empty selector matches everything. `NotIn` matches
 * objects without the key and `DoesNotExist` requires its absence, as in the Kubernetes API.
 */
export function matchesLabelSelector(selector: LabelSelector | undefined | null, labels: Record<string, string>): boolean {
  if (!selector) return true;
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (labels[key] !== value) return false;
  }
  for (const expression of selector.matchExpressions ?? []) {
    const has = Object.prototype.hasOwnProperty.call(labels, expression.key);
    const values = expression.values ?? [];
    switch (expression.operator) {
      case 'In':
        if (!has || !values.includes(labels[expression.key] as string)) return false;
        break;
      case 'NotIn':
        if (has && values.includes(labels[expression.key] as string)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        // The API server rejects other operators; a snapshot that has one cannot be trusted to match.
        return false;
    }
  }
  return true;
}

/** Whether a Service's plain `selector` map matches the labels; a Service without a selector selects nothing. */
export function matchesServiceSelector(selector: Record<string, string> | null | undefined, labels: Record<string, string>): boolean {
  if (!selector || Object.keys(selector).length === 0) return false;
  return Object.entries(selector).every(([key, value]) => labels[key] === value);
}
