import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Suppression } from '../../src/config/config.js';
import { loadConfigFile } from '../../src/config/load.js';
import { applySuppressions, globToRegExp, matchesFinding } from '../../src/report/suppress.js';
import { writeSnapshot } from '../support/tmp.js';
import { sampleFindings } from './fixtures.js';

const SNAPSHOT_TIME = '2026-11-20T10:00:00.000Z';

/** Applies suppressions to the sample findings; `null` stands for a snapshot without a time. */
function apply(suppressions: Suppression[], snapshotTime: string | null = SNAPSHOT_TIME) {
  return applySuppressions(sampleFindings(), suppressions, snapshotTime ?? undefined);
}

describe('globToRegExp', () => {
  it('matches any characters with a star', () => {
    expect(globToRegExp('SecurityGroup sg-0a1b*').test('SecurityGroup sg-0a1b2c3d (eks-cluster-sg)')).toBe(true);
    expect(globToRegExp('Deployment jobs/*').test('Deployment jobs/worker')).toBe(true);
  });

  it('matches one character with a question mark', () => {
    expect(globToRegExp('sg-?').test('sg-1')).toBe(true);
    expect(globToRegExp('sg-?').test('sg-12')).toBe(false);
  });

  it('matches the whole name', () => {
    expect(globToRegExp('jobs').test('Deployment jobs/worker')).toBe(false);
  });

  it('treats other characters literally', () => {
    expect(globToRegExp('a.b(c)').test('a.b(c)')).toBe(true);
    expect(globToRegExp('a.b').test('axb')).toBe(false);
  });
});

describe('matchesFinding', () => {
  const finding = { id: '1a2b3c4d5e6f7081', checkId: 'nodeport-open-to-internet', resources: [{ kind: 'SecurityGroup', id: 'sg-0a1b2c3d4e5f60718', name: 'eks-cluster-sg-sde-prod' }] };

  it('matches by id', () => {
    expect(matchesFinding({ id: '1a2b3c4d5e6f7081', reason: 'r' }, finding)).toBe(true);
    expect(matchesFinding({ id: '0000000000000000', reason: 'r' }, finding)).toBe(false);
  });

  it('matches by check', () => {
    expect(matchesFinding({ check: 'nodeport-open-to-internet', reason: 'r' }, finding)).toBe(true);
    expect(matchesFinding({ check: 'workload-restarts', reason: 'r' }, finding)).toBe(false);
  });

  it('matches resources by description, id or name', () => {
    expect(matchesFinding({ resource: 'SecurityGroup sg-0a1b* (eks-*)', reason: 'r' }, finding)).toBe(true);
    expect(matchesFinding({ resource: 'sg-0a1b2c3d4e5f60718', reason: 'r' }, finding)).toBe(true);
    expect(matchesFinding({ resource: 'eks-cluster-sg-*', reason: 'r' }, finding)).toBe(true);
    expect(matchesFinding({ resource: 'sg-9*', reason: 'r' }, finding)).toBe(false);
  });

  it('requires every selector given', () => {
    expect(matchesFinding({ check: 'nodeport-open-to-internet', resource: 'sg-9*', reason: 'r' }, finding)).toBe(false);
    expect(matchesFinding({ check: 'nodeport-open-to-internet', resource: 'sg-0*', reason: 'r' }, finding)).toBe(true);
  });
});

describe('applySuppressions', () => {
  it('moves matched findings to suppressed', () => {
    const result = apply([{ check: 'datastore-reachable-from-any-pod', resource: 'NetworkPolicy hutch/*', reason: 'MinIO is internal test data.' }]);
    expect(result.findings.map((finding) => finding.id)).toEqual(['1a2b3c4d5e6f7081', '2b3c4d5e6f708192', '4d5e6f7081920314']);
    expect(result.suppressed.map((entry) => [entry.finding.id, entry.suppression, entry.reason])).toEqual([['3c4d5e6f70819203', 0, 'MinIO is internal test data.']]);
    expect(result.statuses[0]).toMatchObject({ status: 'applied', findings: ['3c4d5e6f70819203'] });
  });

  it('reports suppressions that match nothing', () => {
    const result = apply([{ check: 'no-such-check', reason: 'typo' }]);
    expect(result.findings).toHaveLength(4);
    expect(result.statuses[0]).toMatchObject({ status: 'unused', findings: [] });
  });

  it('applies until the expiry date', () => {
    const result = apply([{ id: '4d5e6f7081920314', reason: 'r', expires: '2026-11-21' }]);
    expect(result.suppressed.map((entry) => entry.finding.id)).toEqual(['4d5e6f7081920314']);
    expect(result.suppressed[0]?.expires).toBe('2026-11-21');
  });

  it('brings expired findings back', () => {
    const result = apply([{ id: '4d5e6f7081920314', reason: 'r', expires: '2026-11-20' }]);
    expect(result.suppressed).toEqual([]);
    expect(result.findings.map((finding) => finding.id)).toContain('4d5e6f7081920314');
    expect(result.statuses[0]).toMatchObject({ status: 'expired', findings: ['4d5e6f7081920314'] });
  });

  it('expires at the exact time given', () => {
    expect(apply([{ id: '4d5e6f7081920314', reason: 'r', expires: '2026-11-20T10:00:00Z' }]).statuses[0]?.status).toBe('expired');
    expect(apply([{ id: '4d5e6f7081920314', reason: 'r', expires: '2026-11-20T10:00:01Z' }]).statuses[0]?.status).toBe('applied');
    // 11:30 in UTC+01:00 is 10:30 UTC, after the snapshot time.
    expect(apply([{ id: '4d5e6f7081920314', reason: 'r', expires: '2026-11-20T11:30:00+01:00' }]).statuses[0]?.status).toBe('applied');
  });

  it('does not apply an expiry it cannot check', () => {
    const result = apply([{ id: '4d5e6f7081920314', reason: 'r', expires: '2030-01-01' }], null);
    expect(result.suppressed).toEqual([]);
    expect(result.statuses[0]).toMatchObject({ status: 'expiry-unknown', findings: ['4d5e6f7081920314'] });
  });

  it('applies a suppression without expiry without a snapshot time', () => {
    expect(apply([{ id: '4d5e6f7081920314', reason: 'r' }], null).suppressed).toHaveLength(1);
  });

  it('lets an active suppression win over an expired one', () => {
    const result = apply([
      { check: 'workload-restarts', reason: 'old', expires: '2026-01-01' },
      { check: 'workload-restarts', reason: 'new' },
    ]);
    expect(result.suppressed.map((entry) => entry.reason)).toEqual(['new']);
    expect(result.statuses.map((status) => status.status)).toEqual(['expired', 'applied']);
  });
});

describe('suppressions in the settings file', () => {
  async function configFile(text: string): Promise<string> {
    const folder = await writeSnapshot({});
    const file = path.join(folder, '.rampart.yaml');
    await writeFile(file, text);
    return file;
  }

  it('reads suppressions with dates', async () => {
    const file = await configFile('suppressions:\n  - check: workload-restarts\n    resource: "Job batch/*"\n    reason: Import job retries by design.\n    expires: 2027-01-31\n');
    const config = await loadConfigFile(file);
    expect(config.suppressions).toEqual([{ check: 'workload-restarts', resource: 'Job batch/*', reason: 'Import job retries by design.', expires: '2027-01-31' }]);
  });

  it('rejects a suppression without reason', async () => {
    const file = await configFile('suppressions:\n  - check: workload-restarts\n');
    await expect(loadConfigFile(file)).rejects.toThrow('$.suppressions.0.reason: a suppression needs a reason');
  });

  it('rejects a suppression without selector', async () => {
    const file = await configFile('suppressions:\n  - reason: everything\n');
    await expect(loadConfigFile(file)).rejects.toThrow('$.suppressions.0: a suppression needs at least one of id, check or resource');
  });

  it('rejects an invalid date', async () => {
    const file = await configFile('suppressions:\n  - check: a\n    reason: r\n    expires: 31/01/2027\n');
    await expect(loadConfigFile(file)).rejects.toThrow('expected a date such as 2027-03-31');
  });

  it('rejects an unknown key', async () => {
    const file = await configFile('suppressions:\n  - check: a\n    reason: r\n    until: 2027-01-31\n');
    await expect(loadConfigFile(file)).rejects.toThrow('$.suppressions.0');
  });
});
