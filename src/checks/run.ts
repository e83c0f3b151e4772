import { createHash } from 'node:crypto';
import type { Inventory } from '../inventory/inventory.js';
import type { Check, CheckContext, CheckMeta, FindingDraft, ResourceRef, Severity } from './types.js';
import { SEVERITIES } from './types.js';
import { compareText } from '../compare.js';

/** A check's finding with its stable id, before remediations are rendered. */
export interface CheckedFinding extends FindingDraft {
  id: string;
  checkId: string;
  category: string;
}

export type CheckStatus = 'ran' | 'skipped';

export interface CheckRun {
  checkId: string;
  status: CheckStatus;
  /** The reason the check was skipped, or the inputs it could not model while it ran. */
  details: string[];
  findings: number;
}

/**
 * Runs every check against the inventory. A check that lacks a required input is skipped with the reason,
 * so that "no findings" always means "looked and found nothing".
 */
export function runChecks(checks: Check[], context: CheckContext): { findings: CheckedFinding[]; runs: CheckRun[] } {
  const findings: CheckedFinding[] = [];
  const runs: CheckRun[] = [];
  for (const check of checks) {
    const missing = missingInputs(check.meta, context.inventory);
    if (missing.length > 0) {
      runs.push({ checkId: check.meta.id, status: 'skipped', details: missing, findings: 0 });
      continue;
    }
    const outcome = check.run(context);
    const produced = outcome.findings.map((draft) => ({
      ...draft,
      id: findingId(check.meta.id, draft),
      checkId: check.meta.id,
      category: check.meta.category,
    }));
    findings.push(...produced);
    runs.push({ checkId: check.meta.id, status: 'ran', details: outcome.notModelled ?? [], findings: produced.length });
  }
  findings.sort(compareFindings);
  return { findings, runs };
}

/**
 * Lists the inputs a check lacks, one sentence per missing requirement: every kind of `requires`, and at
 * least one kind of each `requiresAny` group. An empty list means the check can run.
 */
export function missingInputs(meta: CheckMeta, inventory: Inventory): string[] {
  const reasons: string[] = [];
  const missing = meta.requires.filter((kind) => !inventory.has(kind));
  if (missing.length > 0) reasons.push(`no ${missing.join(', ')} in the snapshot`);
  for (const group of meta.requiresAny ?? []) {
    if (group.some((kind) => inventory.has(kind))) continue;
    const kinds = group.length > 1 ? `${group.slice(0, -1).join(', ')} or ${group[group.length - 1]}` : group.join('');
    reasons.push(`no ${kinds} in the snapshot (the check needs at least one of these kinds)`);
  }
  return reasons;
}

/** Computes a fingerprint that stays the same across runs for the same check and resources. */
export function findingId(checkId: string, draft: FindingDraft): string {
  const key = draft.key ?? draft.resources.map(resourceKey).sort().join('|');
  return createHash('sha256').update(`${checkId}\n${key}`).digest('hex').slice(0, 16);
}

export function resourceKey(resource: ResourceRef): string {
  return [resource.kind, resource.id ?? '', resource.namespace ?? '', resource.name ?? ''].join('/');
}

export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

/** Most severe first, then by check and resource, so that output order never depends on input order. */
export function compareFindings(a: CheckedFinding, b: CheckedFinding): number {
  return (
    severityRank(a.severity) - severityRank(b.severity) ||
    compareText(a.checkId, b.checkId) ||
    compareText(a.title, b.title) ||
    compareText(a.id, b.id)
  );
}
