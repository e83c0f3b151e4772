import type { CheckedFinding } from '../checks/run.js';
import type { FixIntent } from '../checks/types.js';
import type { Inventory } from '../inventory/inventory.js';
import { renderAwsFix } from './aws.js';
import { renderFix as renderKubernetesFix } from './kubernetes.js';
import { renderNetworkPolicyFix } from './network-policy.js';

/** A change a person can apply, rendered in one format (kubectl, yaml, helm-values, aws-cli, terraform). */
export interface Remediation {
  format: string;
  title: string;
  content: string;
  /**
   * `fix` when Rampart checked that the change keeps every flow the cluster needs (or changes no
   * traffic); `suggestion` when it could not, with what might break in `verification`.
   */
  safety?: 'fix' | 'suggestion';
  /** What the re-run of the engines showed: flows kept and flows cut. */
  verification?: string;
}

export type RemediatedFinding = Omit<CheckedFinding, 'fixes'> & { remediations: Remediation[] };

/** Renders each finding's fix intents into remediations, verifying network changes against the engines. */
export function remediate(findings: CheckedFinding[], inventory: Inventory): RemediatedFinding[] {
  return findings.map(({ fixes, ...finding }) => ({
    ...finding,
    remediations: (fixes ?? []).flatMap((fix) => renderIntent(fix, inventory)),
  }));
}

function renderIntent(fix: FixIntent, inventory: Inventory): Remediation[] {
  switch (fix.type) {
    case 'set-container-resources':
      return renderKubernetesFix(fix);
    case 'aws-network':
      return renderAwsFix(fix, inventory);
    case 'network-policy':
      return renderNetworkPolicyFix(fix, inventory);
  }
}
