import type { IgnoredFile, InputProblem } from '../collect/types.js';
import type { CheckRun } from '../checks/run.js';
import { SEVERITIES, type CheckMeta, type Severity } from '../checks/types.js';
import type { LoadResult } from '../inventory/build.js';
import { RESOURCE_KINDS, type ResourceKind } from '../inventory/model.js';
import type { RemediatedFinding } from '../remediation/index.js';
import { compareText } from '../compare.js';

/** One line of the coverage section: what was looked at, and what could not be. */
export type CoverageEntry =
  | {
      type: 'resource';
      kind: ResourceKind;
      /** `denied` and `failed` come from a live collection's manifest: an API call for the kind returned no data. */
      status: 'present' | 'missing' | 'denied' | 'failed';
      count: number;
      /** The API calls that returned no data, with their errors; absent when every call succeeded. */
      details?: string[];
    }
  | { type: 'check'; checkId: string; status: 'ran' | 'skipped'; findings: number; details: string[] }
  | { type: 'file'; file: string; status: 'ignored' | 'invalid' | 'refused'; details: string[] };

/** A finding that a suppression in the settings file accepts: left out of `findings`, but counted and listed. */
export interface SuppressedFinding {
  finding: RemediatedFinding;
  /** Position of the suppression in the settings file's `suppressions` list, from 0. */
  suppression: number;
  reason: string;
  expires?: string;
}

/**
 * The outcome of one suppression, by status:
 * - `applied`: it hides the findings listed.
 * - `unused`: it matched nothing.
 * - `expired`: its expiry is at or before the snapshot time, so the findings listed are reported again.
 * - `expiry-unknown`: the snapshot has no time to compare the expiry with, so it hides nothing.
 */
export interface SuppressionStatus {
  index: number;
  id?: string;
  check?: string;
  resource?: string;
  reason: string;
  expires?: string;
  status: 'applied' | 'unused' | 'expired' | 'expiry-unknown';
  /** Ids of the findings the suppression matched. */
  findings: string[];
}

/** Metadata of a check that was selected for the audit, for formats that list rules (SARIF). */
export type CheckInfo = Pick<CheckMeta, 'id' | 'title' | 'severity' | 'category' | 'description' | 'references'>;

/** The report as data: the JSON output is this object, and every renderer reads only this. */
export interface Report {
  tool: { name: 'rampart'; version: string };
  /** `accounts` and `regions`: the AWS accounts and regions that the snapshot's AWS objects belong to, sorted. */
  snapshot: { source: string; time: string | null; accounts: string[]; regions: string[] };
  summary: {
    findings: number;
    bySeverity: Record<Severity, number>;
    inputErrors: number;
    suppressed: number;
    /** The `--min-severity` threshold, and how many findings below it were left out. */
    minSeverity: Severity | null;
    belowMinSeverity: number;
  };
  findings: RemediatedFinding[];
  suppressed: SuppressedFinding[];
  suppressions: SuppressionStatus[];
  checks: CheckInfo[];
  coverage: CoverageEntry[];
  problems: InputProblem[];
}

export interface ReportInput {
  version: string;
  source: string;
  snapshotTime?: string;
  load: LoadResult;
  findings: RemediatedFinding[];
  runs: CheckRun[];
  suppressed?: SuppressedFinding[];
  suppressions?: SuppressionStatus[];
  checks?: CheckMeta[];
  minSeverity?: Severity;
  belowMinSeverity?: number;
}

export function buildReport(input: ReportInput): Report {
  const bySeverity = Object.fromEntries(SEVERITIES.map((severity) => [severity, 0])) as Record<Severity, number>;
  for (const finding of input.findings) bySeverity[finding.severity] += 1;
  return {
    tool: { name: 'rampart', version: input.version },
    snapshot: { source: input.source, time: input.snapshotTime ?? null, ...awsScope(input.load) },
    summary: {
      findings: input.findings.length,
      bySeverity,
      inputErrors: input.load.problems.filter((problem) => problem.level === 'error').length,
      suppressed: input.suppressed?.length ?? 0,
      minSeverity: input.minSeverity ?? null,
      belowMinSeverity: input.belowMinSeverity ?? 0,
    },
    findings: input.findings,
    suppressed: input.suppressed ?? [],
    suppressions: input.suppressions ?? [],
    checks: (input.checks ?? []).map(({ id, title, severity, category, description, references }) => ({ id, title, severity, category, description, references })),
    coverage: [...resourceCoverage(input.load), ...checkCoverage(input.runs), ...fileCoverage(input.load)],
    problems: input.load.problems,
  };
}

function awsScope(load: LoadResult): { accounts: string[]; regions: string[] } {
  const data = load.inventory.data;
  const objects: Array<{ account?: string; region?: string }> = [
    ...data.vpcs, ...data.subnets, ...data.routeTables, ...data.internetGateways, ...data.natGateways, ...data.networkAcls,
    ...data.securityGroups, ...data.networkInterfaces, ...data.instances, ...data.loadBalancers, ...data.listeners,
    ...data.targetGroups, ...data.eksClusters, ...data.prefixLists,
  ];
  const accounts = new Set<string>();
  const regions = new Set<string>();
  for (const object of objects) {
    if (object.account) accounts.add(object.account);
    if (object.region) regions.add(object.region);
  }
  return { accounts: [...accounts].sort(), regions: [...regions].sort() };
}

function resourceCoverage(load: LoadResult): CoverageEntry[] {
  const data = load.inventory.data;
  const counts: Partial<Record<ResourceKind, number>> = {
    Vpc: data.vpcs.length,
    Subnet: data.subnets.length,
    RouteTable: data.routeTables.length,
    InternetGateway: data.internetGateways.length,
    NatGateway: data.natGateways.length,
    NetworkAcl: data.networkAcls.length,
    SecurityGroup: data.securityGroups.length,
    NetworkInterface: data.networkInterfaces.length,
    Instance: data.instances.length,
    LoadBalancer: data.loadBalancers.length,
    Listener: data.listeners.length,
    TargetGroup: data.targetGroups.length,
    TargetGroupAttributes: data.targetGroups.filter((group) => group.attributes).length,
    TargetHealth: data.targetGroups.filter((group) => group.targetHealth).length,
    EksCluster: data.eksClusters.length,
    ManagedPrefixList: data.prefixLists.length,
    Namespace: data.namespaces.length,
    Node: data.nodes.length,
    Pod: data.pods.length,
    Service: data.services.length,
    EndpointSlice: data.endpointSlices.length,
    NetworkPolicy: data.networkPolicies.length,
    Event: data.events.length,
    Deployment: data.deployments.length,
    ReplicaSet: data.replicaSets.length,
    StatefulSet: data.statefulSets.length,
    DaemonSet: data.daemonSets.length,
    Job: data.jobs.length,
    CronJob: data.cronJobs.length,
    Ingress: data.ingresses.length,
    IngressClass: data.ingressClasses.length,
    AuthorizationPolicy: data.authorizationPolicies.length,
    CalicoNetworkPolicy: data.calicoPolicies.filter((policy) => policy.kind === 'NetworkPolicy').length,
    CalicoGlobalNetworkPolicy: data.calicoPolicies.filter((policy) => policy.kind === 'GlobalNetworkPolicy').length,
    CalicoNetworkSet: data.calicoNetworkSets.filter((set) => set.kind === 'NetworkSet').length,
    CalicoGlobalNetworkSet: data.calicoNetworkSets.filter((set) => set.kind === 'GlobalNetworkSet').length,
    CalicoProfile: data.calicoProfiles.length,
    CalicoTier: data.calicoTiers.length,
    PodMetrics: data.podMetrics.length,
  };
  return RESOURCE_KINDS.map((kind) => {
    const gaps = data.collectionGaps.get(kind) ?? [];
    const present = load.inventory.has(kind) ? ('present' as const) : ('missing' as const);
    // A denial or failure outranks what was read: the count may cover only the calls that succeeded.
    const status = gaps.some((gap) => gap.status === 'forbidden') ? ('denied' as const) : gaps.some((gap) => gap.status === 'failed') ? ('failed' as const) : present;
    const details = gaps.map((gap) => `${gap.api}${gap.region ? ` in ${gap.region}` : ''}: ${gap.status}: ${gap.error}`);
    return { type: 'resource' as const, kind, status, count: counts[kind] ?? 0, ...(details.length > 0 ? { details } : {}) };
  });
}

function checkCoverage(runs: CheckRun[]): CoverageEntry[] {
  return runs.map((run) => ({ type: 'check' as const, checkId: run.checkId, status: run.status, findings: run.findings, details: run.details }));
}

function fileCoverage(load: LoadResult): CoverageEntry[] {
  const entries: CoverageEntry[] = [];
  for (const ignored of load.ignored) entries.push({ type: 'file', file: ignored.file, status: 'ignored', details: [ignored.reason] });
  const invalid = new Map<string, string[]>();
  for (const problem of load.problems.filter((p) => p.level === 'error')) {
    const list = invalid.get(problem.file) ?? [];
    list.push(`${problem.path ?? '$'}: ${problem.message}`);
    invalid.set(problem.file, list);
  }
  for (const [file, details] of invalid) entries.push({ type: 'file', file, status: 'invalid', details });
  for (const refused of load.refusedSecrets) {
    entries.push({ type: 'file', file: refused.file, status: 'refused', details: [`${refused.count} Secret object(s) dropped unread: Rampart never reads Secrets`] });
  }
  return entries.sort((a, b) => (a.type === 'file' && b.type === 'file' ? compareText(a.file, b.file) || compareText(a.status, b.status) : 0));
}

/** Severities at or above a threshold, for `--fail-on`. */
export function countAtOrAbove(report: Report, threshold: Severity): number {
  const limit = SEVERITIES.indexOf(threshold);
  return report.findings.filter((finding) => SEVERITIES.indexOf(finding.severity) <= limit).length;
}

export type { IgnoredFile };
