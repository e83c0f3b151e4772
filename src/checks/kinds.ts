import type { ResourceKind } from '../inventory/model.js';

// Groups of resource kinds that checks require one of (CheckMeta.requiresAny).

/** Kinds that give a check its pods: Pods, or the pod templates of workloads that have no Pods in the snapshot. */
export const POD_SOURCE_KINDS: ResourceKind[] = ['Pod', 'Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob'];

/** Kinds of network policy that the reachability engine evaluates. */
export const POLICY_KINDS: ResourceKind[] = ['NetworkPolicy', 'CalicoNetworkPolicy', 'CalicoGlobalNetworkPolicy'];
