import type { z } from 'zod';
import type * as aws from './schemas/aws.js';
import type * as k8s from './schemas/kubernetes.js';
import type { SourceRef } from './source.js';

/** Every inventory object knows where it was read from. */
export interface Sourced {
  source: SourceRef;
}

/** An AWS object with the region and account taken from its ARN, its fields or the snapshot folder. */
export type AwsObject<T> = T & Sourced & { region?: string; account?: string };

export type Vpc = AwsObject<aws.Vpc>;
export type Subnet = AwsObject<aws.Subnet>;
export type RouteTable = AwsObject<aws.RouteTable>;
export type InternetGateway = AwsObject<aws.InternetGateway>;
export type NatGateway = AwsObject<aws.NatGateway>;
export type NetworkAcl = AwsObject<aws.NetworkAcl>;
export type SecurityGroup = AwsObject<aws.SecurityGroup>;
export type NetworkInterface = AwsObject<aws.NetworkInterface>;
export type Instance = AwsObject<aws.Instance>;
export type LoadBalancer = AwsObject<aws.LoadBalancer>;
export type Listener = AwsObject<aws.Listener>;
export type TargetGroup = AwsObject<aws.TargetGroup> & {
  /** From `describe-target-group-attributes`; absent when that output is not in the snapshot. */
  attributes?: Record<string, string>;
  attributesSource?: SourceRef;
  /** From `describe-target-health`; absent when that output is not in the snapshot. */
  targetHealth?: aws.TargetHealthDescription[];
  targetHealthSource?: SourceRef;
};
export type EksCluster = AwsObject<aws.EksCluster>;
export type ManagedPrefixList = AwsObject<aws.ManagedPrefixList> & {
  /** Resolved CIDRs; absent when the entries were not exported, which makes rules using the list unresolved. */
  entries?: aws.PrefixListEntry[];
};
export type LoadBalancerWithAttributes = LoadBalancer & { attributes?: Record<string, string> };

/**
 * An environment variable with its value removed. Only the Service host names the value referred to are
 * kept, because the value itself may be a credential (a connection string with a password, a token).
 */
export interface SafeEnvVar {
  name: string;
  /** `value` for a literal, else the `valueFrom` kind such as `secretKeyRef`. */
  from: string;
  /** Host names in the value that look like in-cluster Service names (`name.namespace.svc…`). */
  serviceHosts: string[];
}

/** A container with its env values, command and args removed; exec probe commands are reduced to a digest. */
export type SafeContainer = Omit<k8s.Container, 'env'> & { env: SafeEnvVar[] };
export type SafePodSpec = Omit<k8s.PodSpec, 'containers' | 'initContainers'> & {
  containers: SafeContainer[];
  initContainers: SafeContainer[];
};

/** Fields common to every Kubernetes object in the inventory. Annotations are filtered to a safe allowlist. */
export interface KubeObject extends Sourced {
  apiVersion: string;
  kind: string;
  metadata: k8s.ObjectMeta & { labels: Record<string, string>; annotations: Record<string, string> };
}

type KubeOf<S extends z.ZodType> = Omit<z.infer<S>, 'metadata'> & KubeObject;

export type Namespace = KubeOf<typeof k8s.namespaceSchema>;
export type Node = KubeOf<typeof k8s.nodeSchema>;
export type Pod = Omit<KubeOf<typeof k8s.podSchema>, 'spec'> & {
  spec: SafePodSpec;
  /** Set when the pod was synthesised from a workload template because the snapshot has no Pods for it. */
  synthesisedFrom?: string;
};
export type Workload = Omit<KubeOf<typeof k8s.workloadSchema>, 'spec'> & {
  spec: Omit<KubeOf<typeof k8s.workloadSchema>['spec'], 'template'> & {
    template: { metadata?: Partial<k8s.ObjectMeta>; spec: SafePodSpec };
  };
};
export type CronJob = Omit<KubeOf<typeof k8s.cronJobSchema>, 'spec'> & {
  spec: { schedule?: string; jobTemplate: { spec: { template: { metadata?: Partial<k8s.ObjectMeta>; spec: SafePodSpec } } } };
};
export type Service = KubeOf<typeof k8s.serviceSchema>;
export type EndpointSlice = KubeOf<typeof k8s.endpointSliceSchema>;
export type NetworkPolicy = KubeOf<typeof k8s.networkPolicySchema>;
export type Ingress = KubeOf<typeof k8s.ingressSchema>;
export type IngressClass = KubeOf<typeof k8s.ingressClassSchema>;
export type AuthorizationPolicy = KubeOf<typeof k8s.authorizationPolicySchema>;
export type CalicoPolicy = KubeOf<typeof k8s.calicoPolicySchema>;
export type CalicoNetworkSet = KubeOf<typeof k8s.calicoNetworkSetSchema>;
export type CalicoProfile = KubeOf<typeof k8s.calicoProfileSchema>;
export type CalicoTier = KubeOf<typeof k8s.calicoTierSchema>;
export type PodMetrics = KubeOf<typeof k8s.podMetricsSchema>;

/** One Event in a single shape, whichever API version it came from. */
export interface KubeEvent extends Sourced {
  namespace?: string;
  name: string;
  involvedKind?: string;
  involvedName?: string;
  involvedNamespace?: string;
  involvedUid?: string;
  fieldPath?: string;
  reason?: string;
  message?: string;
  type?: string;
  /** How many times the event occurred: `series.count`, else `count` or `deprecatedCount`, else 1. */
  count: number;
  firstTimestamp?: string;
  lastTimestamp?: string;
}

/** Kinds of input the inventory tracks in its coverage, named as AWS and Kubernetes name them. */
export const RESOURCE_KINDS = [
  'Vpc',
  'Subnet',
  'RouteTable',
  'InternetGateway',
  'NatGateway',
  'NetworkAcl',
  'SecurityGroup',
  'NetworkInterface',
  'Instance',
  'LoadBalancer',
  'Listener',
  'TargetGroup',
  'TargetGroupAttributes',
  'TargetHealth',
  'EksCluster',
  'ManagedPrefixList',
  'Namespace',
  'Node',
  'Pod',
  'Service',
  'EndpointSlice',
  'NetworkPolicy',
  'Event',
  'Deployment',
  'ReplicaSet',
  'StatefulSet',
  'DaemonSet',
  'Job',
  'CronJob',
  'Ingress',
  'IngressClass',
  'AuthorizationPolicy',
  'CalicoNetworkPolicy',
  'CalicoGlobalNetworkPolicy',
  'CalicoNetworkSet',
  'CalicoGlobalNetworkSet',
  'CalicoProfile',
  'CalicoTier',
  'PodMetrics',
] as const;
export type ResourceKind = (typeof RESOURCE_KINDS)[number];

export type WorkloadKind = 'Deployment' | 'ReplicaSet' | 'StatefulSet' | 'DaemonSet' | 'Job';
