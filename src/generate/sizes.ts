// Sizes of synthetic snapshots. A preset fixes the counts the benchmark is defined by; every count not
// given is derived from the number of pods with the ratios below, which follow the shape of large EKS
// clusters: about 30 pods per node, three ENIs per node under the VPC CNI, and about six replicas per
// workload.

export const SIZE_NAMES = ['small', 'large', 'huge'] as const;
export type SizeName = (typeof SIZE_NAMES)[number];

/** Counts a caller may set; the rest are derived. */
export interface SizeRequest {
  pods?: number;
  namespaces?: number;
  /** Deployments and StatefulSets in the application namespaces: the number of distinct application label sets. */
  workloads?: number;
  /** Kubernetes NetworkPolicies plus Calico GlobalNetworkPolicies. */
  policies?: number;
  /** How many of `policies` are Calico GlobalNetworkPolicies. */
  calicoPolicies?: number;
  securityGroups?: number;
  /** Security group rules, counted as `describe-security-group-rules` lists them: one per CIDR, prefix list or group reference. */
  securityGroupRules?: number;
  nodes?: number;
  /** Every network interface in the VPC: nodes', load balancers', NAT gateways', the EKS control plane's and others. */
  networkInterfaces?: number;
  /** Network Load Balancers, one per Service of type LoadBalancer. */
  loadBalancers?: number;
}

export type SizeCounts = Required<SizeRequest>;

export const PRESETS: Record<SizeName, SizeRequest> = {
  small: { pods: 1_000, namespaces: 12, policies: 150, securityGroups: 50, loadBalancers: 2 },
  large: { pods: 20_000, namespaces: 120, policies: 3_000, securityGroups: 1_000, loadBalancers: 8 },
  huge: { pods: 100_000, namespaces: 400, policies: 12_000, securityGroups: 2_000, securityGroupRules: 30_000, networkInterfaces: 10_000, loadBalancers: 20 },
};

/** Pods each node runs: DaemonSet pods included. */
export const PODS_PER_NODE = 30;
/** DaemonSets on every node: aws-node and kube-proxy on the host network, ebs-csi-node and fluent-bit on the pod network. */
export const DAEMONSETS_PER_NODE = 4;
/** Pods of the system Deployments (CoreDNS, ingress-nginx, Prometheus, …) outside the application namespaces. */
export const SYSTEM_DEPLOYMENT_PODS = 8;
/** Network interfaces that belong to neither a node nor a load balancer: NAT gateways, EKS control plane, databases. */
export const OTHER_NETWORK_INTERFACES = 3 + 2 + 3;
/** Availability zones the VPC spans. */
export const ZONES = 3;
/** Security groups every cluster has whatever its size: cluster, control plane, nodes, bastion, database. */
export const FIXED_SECURITY_GROUPS = 5;

/** Fills in every count from the preset, the request and the derivation rules, and checks that they fit together. */
export function resolveCounts(size: SizeName | undefined, request: SizeRequest): SizeCounts {
  const given = { ...(size ? PRESETS[size] : {}), ...withoutUndefined(request) };
  const pods = given.pods ?? PRESETS.small.pods!;
  const nodes = given.nodes ?? Math.ceil(pods / PODS_PER_NODE);
  const loadBalancers = given.loadBalancers ?? Math.max(1, Math.round(pods / 5_000));
  const policies = given.policies ?? Math.round(pods * 0.15);
  const securityGroups = given.securityGroups ?? Math.max(FIXED_SECURITY_GROUPS + loadBalancers + 3, Math.round(pods / 20));
  const counts: SizeCounts = {
    pods,
    namespaces: given.namespaces ?? Math.max(3, Math.round(pods / 85)),
    workloads: given.workloads ?? Math.max(1, Math.round((pods - nodes * DAEMONSETS_PER_NODE - SYSTEM_DEPLOYMENT_PODS) / 6)),
    policies,
    calicoPolicies: given.calicoPolicies ?? Math.min(policies, Math.max(4, Math.round(policies * 0.01))),
    securityGroups,
    securityGroupRules: given.securityGroupRules ?? securityGroups * 15,
    nodes,
    networkInterfaces: given.networkInterfaces ?? nodes * 3 + loadBalancers * ZONES + OTHER_NETWORK_INTERFACES,
    loadBalancers,
  };
  checkCounts(counts);
  return counts;
}

/** Rejects combinations that cannot be laid out, with the count to change. */
function checkCounts(counts: SizeCounts): void {
  for (const [name, value] of Object.entries(counts)) {
    if (!Number.isInteger(value) || value < 0) throw new RangeError(`${name} must be a whole number of 0 or more, not ${value}`);
  }
  const appPods = counts.pods - counts.nodes * DAEMONSETS_PER_NODE - SYSTEM_DEPLOYMENT_PODS;
  if (counts.nodes < 1) throw new RangeError('nodes must be at least 1');
  if (counts.namespaces < 1) throw new RangeError('namespaces must be at least 1');
  if (appPods < counts.workloads || counts.workloads < counts.namespaces) {
    throw new RangeError(
      `${counts.pods} pods leave ${appPods} application pods after ${counts.nodes} nodes × ${DAEMONSETS_PER_NODE} DaemonSet pods and ${SYSTEM_DEPLOYMENT_PODS} system pods, ` +
        `which must be at least the ${counts.workloads} workloads, and workloads must be at least the ${counts.namespaces} namespaces: raise --pods or lower --nodes, --workloads or --namespaces`,
    );
  }
  if (counts.calicoPolicies > counts.policies) throw new RangeError(`calico policies (${counts.calicoPolicies}) cannot exceed policies (${counts.policies})`);
  const fixedInterfaces = counts.loadBalancers * ZONES + OTHER_NETWORK_INTERFACES;
  if (counts.networkInterfaces < counts.nodes + fixedInterfaces) {
    throw new RangeError(
      `${counts.networkInterfaces} network interfaces are too few: ${counts.nodes} nodes need one each and load balancers, NAT gateways and the control plane need ${fixedInterfaces}`,
    );
  }
  const minimumGroups = FIXED_SECURITY_GROUPS + counts.loadBalancers;
  if (counts.securityGroups < minimumGroups) {
    throw new RangeError(`security groups must be at least ${minimumGroups}: ${FIXED_SECURITY_GROUPS} for the cluster and one per load balancer`);
  }
  if (counts.securityGroupRules < counts.securityGroups * 2) {
    throw new RangeError(`security group rules must be at least twice the security groups (${counts.securityGroups * 2}): each group has an egress rule and an ingress rule`);
  }
}

function withoutUndefined(request: SizeRequest): SizeRequest {
  return Object.fromEntries(Object.entries(request).filter(([, value]) => value !== undefined)) as SizeRequest;
}
