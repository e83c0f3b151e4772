import type { Inventory } from '../inventory/inventory.js';
import type { ResourceKind } from '../inventory/model.js';
import type { SourceRef } from '../inventory/source.js';
import type { RampartConfig } from '../config/config.js';
import type { AwsNetworkFix } from './fixes/aws-network.js';
import type { NetworkPolicyFix } from './fixes/network-policy.js';

export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const CATEGORIES = ['network-exposure', 'network-segmentation', 'stability', 'resources'] as const;
export type Category = (typeof CATEGORIES)[number];

/** A resource a finding is about, named with the AWS or Kubernetes type name (SecurityGroup, DaemonSet…). */
export interface ResourceRef {
  kind: string;
  id?: string;
  namespace?: string;
  name?: string;
}

/** One fact that supports a finding, with the snapshot location it was read from. */
export interface Evidence {
  /** A full sentence stating the fact, for example "container x restarted 712 times". */
  fact: string;
  source?: SourceRef;
}

/** One hop of a network path and what it decided, for example a security group rule that allowed it. */
export interface PathHop {
  kind: string;
  id: string;
  decision: string;
  /** The rule or setting that decided, in one sentence, for reports to show beside the hop. */
  detail?: string;
  source?: SourceRef;
}

/** A path from a source to a listening port, as the exposure and reachability engines compute it. */
export interface EvidencePath {
  source: string;
  protocol: string;
  port: number | string;
  target: { kind: string; id: string };
  hops: PathHop[];
}

/**
 * A change that would resolve a finding, as data. The remediation layer renders it into kubectl, Helm,
 * AWS CLI or Terraform text and checks it against the engines before it is offered as a fix. Each area
 * declares its own fix types in checks/fixes/.
 */
export type FixIntent = SetContainerResourcesFix | AwsNetworkFix | NetworkPolicyFix;

export interface SetContainerResourcesFix {
  type: 'set-container-resources';
  workload: { kind: string; namespace?: string; name: string };
  /** Containers to change, by name, with the resource quantities to set (Kubernetes quantity strings). */
  containers: Array<{
    name: string;
    init?: boolean;
    limits?: Record<string, string>;
    requests?: Record<string, string>;
  }>;
  /** Helm release that manages the workload, from its `meta.helm.sh/release-name` annotation. */
  helmRelease?: { name: string; namespace?: string };
  /** The reason for these numbers in one sentence, shown beside the patch. */
  rationale: string;
}

/** A check's output for one problem it found. The runner adds the stable id and remediations. */
export interface FindingDraft {
  severity: Severity;
  title: string;
  resources: ResourceRef[];
  problem: string;
  risk: string;
  recommendation: string;
  evidence: Evidence[];
  /** Network paths that prove the finding, hop by hop, for reports to print or draw. */
  paths?: EvidencePath[];
  fixes?: FixIntent[];
  /**
   * The discriminator of this finding within its check, for the stable id. Defaults to the resources. Set it
   * when one check can report the same resources twice for different reasons.
   */
  key?: string;
}

/** Check metadata, kept as data and validated by a schema test. */
export interface CheckMeta {
  /** Kebab-case id, the same as the check's file name. */
  id: string;
  title: string;
  /** The highest severity the check reports; single findings may be lower. */
  severity: Severity;
  category: Category;
  /** One sentence saying exactly what is tested. */
  description: string;
  /** Resource kinds read. */
  reads: ResourceKind[];
  /** The subset of `reads` without which the check cannot reach any verdict: one missing kind skips the check. */
  requires: ResourceKind[];
  /**
   * Groups of kinds from `reads` that stand in for each other, such as a Kubernetes NetworkPolicy and the
   * Calico policy kinds. The check needs at least one kind of each group and is skipped when a group has none.
   */
  requiresAny?: ResourceKind[][];
  references: string[];
  limitations: string[];
}

export interface CheckContext {
  inventory: Inventory;
  config: RampartConfig;
  /** The time the snapshot describes (ISO 8601), used instead of the clock so that reports are repeatable. */
  snapshotTime?: string;
}

export interface CheckOutcome {
  findings: FindingDraft[];
  /** Inputs the check saw but does not model, each a sentence; listed in the report's coverage. */
  notModelled?: string[];
}

export interface Check {
  meta: CheckMeta;
  run(context: CheckContext): CheckOutcome;
}
