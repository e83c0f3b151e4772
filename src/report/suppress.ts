import type { ResourceRef } from '../checks/types.js';
import type { Suppression } from '../config/config.js';
import type { RemediatedFinding } from '../remediation/index.js';
import type { SuppressedFinding, SuppressionStatus } from './report.js';
import { describeResource } from './text.js';

export interface SuppressionResult {
  /** Findings that no active suppression matched, in their original order. */
  findings: RemediatedFinding[];
  suppressed: SuppressedFinding[];
  /** One entry per suppression, in settings-file order. */
  statuses: SuppressionStatus[];
}

/**
 * Splits findings into reported and suppressed. A suppression applies while the snapshot time is before its
 * expiry; its expiry is compared with the snapshot time, never the clock, so that the same snapshot and
 * settings always give the same report. The first active suppression that matches a finding wins.
 */
export function applySuppressions(findings: RemediatedFinding[], suppressions: Suppression[], snapshotTime: string | undefined): SuppressionResult {
  const entries = suppressions.map((suppression, index) => ({ suppression, status: initialStatus(suppression, index, snapshotTime) }));
  const reported: RemediatedFinding[] = [];
  const suppressed: SuppressedFinding[] = [];

  for (const finding of findings) {
    const matching = entries.filter((entry) => matchesFinding(entry.suppression, finding)).map((entry) => entry.status);
    const active = matching.find((status) => status.status === 'unused' || status.status === 'applied');
    if (active) {
      active.status = 'applied';
      active.findings.push(finding.id);
      suppressed.push({ finding, suppression: active.index, reason: active.reason, ...(active.expires ? { expires: active.expires } : {}) });
      continue;
    }
    // Expired or unverifiable suppressions record what they no longer hide, so the report can say why it is back.
    for (const status of matching) status.findings.push(finding.id);
    reported.push(finding);
  }
  return { findings: reported, suppressed, statuses: entries.map((entry) => entry.status) };
}

/** True when every selector the suppression has matches the finding. */
export function matchesFinding(suppression: Suppression, finding: Pick<RemediatedFinding, 'id' | 'checkId' | 'resources'>): boolean {
  if (suppression.id !== undefined && suppression.id !== finding.id) return false;
  if (suppression.check !== undefined && suppression.check !== finding.checkId) return false;
  if (suppression.resource !== undefined) {
    const pattern = globToRegExp(suppression.resource);
    if (!finding.resources.some((resource) => resourceNames(resource).some((name) => pattern.test(name)))) return false;
  }
  return true;
}

/**
 * Compiles a resource pattern: `*` matches any run of characters (including `/` and spaces), `?` exactly one
 * character, and everything else itself. The pattern must match the whole name.
 */
export function globToRegExp(pattern: string): RegExp {
  let source = '';
  for (const character of pattern) {
    if (character === '*') source += '.*';
    else if (character === '?') source += '.';
    else source += character.replace(/[\\^$.|+()[\]{}]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 'su');
}

/** The names a resource pattern is tried against: the full description, the id, and `namespace/name`. */
function resourceNames(resource: ResourceRef): string[] {
  const names = [describeResource(resource)];
  if (resource.id) names.push(resource.id);
  if (resource.name) names.push(resource.namespace ? `${resource.namespace}/${resource.name}` : resource.name);
  return names;
}

function initialStatus(suppression: Suppression, index: number, snapshotTime: string | undefined): SuppressionStatus {
  const status: SuppressionStatus = {
    index,
    ...(suppression.id === undefined ? {} : { id: suppression.id }),
    ...(suppression.check === undefined ? {} : { check: suppression.check }),
    ...(suppression.resource === undefined ? {} : { resource: suppression.resource }),
    reason: suppression.reason,
    ...(suppression.expires === undefined ? {} : { expires: suppression.expires }),
    status: 'unused',
    findings: [],
  };
  if (suppression.expires === undefined) return status;
  if (snapshotTime === undefined) return { ...status, status: 'expiry-unknown' };
  // A bare date parses as midnight UTC, so `expires: 2027-03-31` stops applying at the start of that day.
  if (Date.parse(suppression.expires) <= Date.parse(snapshotTime)) return { ...status, status: 'expired' };
  return status;
}
