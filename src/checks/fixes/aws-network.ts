// Fix intents for AWS network findings (security groups, NACLs, load balancers, EKS, instances),
// rendered by remediation/aws.ts. Each intent carries the engine changes that describe it, so that the
// remediation layer can re-evaluate the cluster's needed flows with the fix applied before offering it.

import type { NaclEntrySpec, NetworkChange, SecurityGroupRuleSpec } from '../../engines/aws/index.js';

export type AwsNetworkFix =
  | ReplaceSecurityGroupRulesFix
  | ServiceSourceRangesFix
  | DisableClientIpPreservationFix
  | NlbSecurityGroupsFix
  | ReplaceNaclsFix
  | RestrictEksEndpointFix
  | RequireImdsV2Fix
  | RemoveNodePublicIpsFix;

interface AwsNetworkFixBase {
  type: 'aws-network';
  /** A short imperative title for the remediation. */
  title: string;
  /** The reason for this change, in one or two sentences. */
  rationale: string;
  /** The change as the engine evaluates it; empty when it cannot be expressed (a new load balancer). */
  changes: NetworkChange[];
  /**
   * Traffic the change drops on purpose, each a sentence; a fix with any is offered as a suggestion.
   * Values the user must fill in (client ranges) are listed here too.
   */
  drops: string[];
  /**
   * Values in the fix that stand for facts the snapshot lacks, each a sentence naming the value and what
   * to replace it with. A fix with any is not verified and is offered as a suggestion.
   */
  placeholders?: string[];
  region?: string;
}

/** Kubernetes object that owns an AWS resource: a rule written by a cloud controller comes back unless it changes. */
export interface KubernetesOwner {
  namespace: string;
  name: string;
  controller: 'in-tree' | 'aws-load-balancer-controller';
  helmRelease?: { name: string; namespace?: string };
  /** `app.kubernetes.io/name` of the Service, to name the chart value (ingress-nginx). */
  appName?: string;
}

export interface ReplaceSecurityGroupRulesFix extends AwsNetworkFixBase {
  action: 'replace-security-group-rules';
  groupId: string;
  revoke: SecurityGroupRuleSpec[];
  authorize: SecurityGroupRuleSpec[];
  /** Set when a controller wrote the rule: the AWS change alone would be undone. */
  owner?: KubernetesOwner;
}

export interface ServiceSourceRangesFix extends AwsNetworkFixBase {
  action: 'set-service-source-ranges';
  service: KubernetesOwner;
  ranges: string[];
  /** True when `ranges` stand in for client ranges Rampart cannot know. */
  placeholder: boolean;
  /** The security group holding the rules the controller rewrites. */
  groupId?: string;
}

export interface DisableClientIpPreservationFix extends AwsNetworkFixBase {
  action: 'disable-client-ip-preservation';
  targetGroupArn: string;
  targetGroupName: string;
  groupId: string;
  revoke: SecurityGroupRuleSpec[];
  authorize: SecurityGroupRuleSpec[];
  owner?: KubernetesOwner;
}

export interface NlbSecurityGroupsFix extends AwsNetworkFixBase {
  action: 'use-nlb-security-groups';
  service: KubernetesOwner;
  loadBalancerName: string;
  /** The node security group whose NodePort rules should reference the NLB's group. */
  groupId: string;
  nodePorts: number[];
  clientRanges: string[];
}

export interface ReplaceNaclsFix extends AwsNetworkFixBase {
  action: 'replace-nacls';
  vpcId: string;
  currentAclId: string;
  tiers: Array<{
    tier: 'public' | 'private';
    subnetIds: string[];
    /** `NetworkAclAssociationId` per subnet, for replace-network-acl-association. */
    associationIds: Record<string, string>;
    entries: NaclEntrySpec[];
  }>;
}

export interface RestrictEksEndpointFix extends AwsNetworkFixBase {
  action: 'restrict-eks-endpoint';
  clusterName: string;
  publicAccessCidrs: string[];
  enablePrivateAccess: boolean;
}

export interface RequireImdsV2Fix extends AwsNetworkFixBase {
  action: 'require-imdsv2';
  instanceIds: string[];
  hopLimit: number;
}

export interface RemoveNodePublicIpsFix extends AwsNetworkFixBase {
  action: 'remove-node-public-ips';
  instanceIds: string[];
  subnetIds: string[];
}
