// Tables that tell what a snapshot file is from its content. AWS CLI outputs are recognised by their
// top-level key and Kubernetes objects by apiVersion and kind.

/** AWS CLI output keys Rampart reads, with the resource kind each one holds. */
export const AWS_LIST_KEYS = {
  Vpcs: 'Vpc',
  Subnets: 'Subnet',
  RouteTables: 'RouteTable',
  InternetGateways: 'InternetGateway',
  NatGateways: 'NatGateway',
  NetworkAcls: 'NetworkAcl',
  SecurityGroups: 'SecurityGroup',
  NetworkInterfaces: 'NetworkInterface',
  Reservations: 'Instance',
  LoadBalancers: 'LoadBalancer',
  Listeners: 'Listener',
  TargetGroups: 'TargetGroup',
  ManagedPrefixLists: 'ManagedPrefixList',
  PrefixLists: 'ManagedPrefixList',
} as const;

/**
 * AWS outputs Rampart recognises but does not model yet, with what that means for the analysis. Batfish
 * snapshots carry most of these.
 */
export const AWS_UNSUPPORTED_KEYS: Record<string, string> = {
  Addresses: 'Elastic IP addresses are read from the network interfaces that carry them, not from describe-addresses',
  AvailabilityZones: 'availability zones do not affect reachability',
  VpcEndpoints: 'VPC endpoints are not modelled: paths through them are not evaluated',
  VpcEndpointServices: 'VPC endpoint services are not modelled',
  ServiceDetails: 'VPC endpoint services are not modelled',
  VpcPeeringConnections: 'VPC peering is not modelled: paths from peered VPCs are not evaluated',
  TransitGateways: 'transit gateways are not modelled: paths through them are not evaluated',
  TransitGatewayRouteTables: 'transit gateways are not modelled: paths through them are not evaluated',
  TransitGatewayAttachments: 'transit gateways are not modelled: paths through them are not evaluated',
  TransitGatewayVpcAttachments: 'transit gateways are not modelled: paths through them are not evaluated',
  TransitGatewayStaticRoutes: 'transit gateways are not modelled: paths through them are not evaluated',
  TransitGatewayPropagations: 'transit gateways are not modelled: paths through them are not evaluated',
  VpnGateways: 'VPN gateways are not modelled: paths from on-premises networks are not evaluated',
  VpnConnections: 'VPN connections are not modelled: paths from on-premises networks are not evaluated',
  CustomerGateways: 'customer gateways are not modelled: paths from on-premises networks are not evaluated',
  DirectConnectGateways: 'Direct Connect is not modelled: paths from on-premises networks are not evaluated',
  DirectConnectGatewayAssociations: 'Direct Connect is not modelled: paths from on-premises networks are not evaluated',
  VirtualInterfaces: 'Direct Connect is not modelled: paths from on-premises networks are not evaluated',
  DBInstances: 'RDS instances are not modelled: their network interfaces are evaluated when describe-network-interfaces lists them',
  DomainStatusList: 'OpenSearch domains are not modelled: their network interfaces are evaluated when describe-network-interfaces lists them',
  LoadBalancerDescriptions: 'Classic Load Balancers are not modelled: only elbv2 (Network and Application) load balancers are evaluated',
  addon: 'EKS add-ons do not affect the network or stability analysis',
  nodegroup: 'EKS node groups are read from the instances and Kubernetes Nodes instead',
  nodegroups: 'EKS node groups are read from the instances and Kubernetes Nodes instead',
  fargateProfile: 'Fargate profiles are not modelled',
  SecurityGroupRules: 'describe-security-group-rules is not read: export describe-security-groups, which holds the same rules',
};

/** Kubernetes kinds Rampart reads, by `group/kind` (core group written as ``). */
export const KUBERNETES_KINDS: Record<string, string> = {
  '/Namespace': 'Namespace',
  '/Node': 'Node',
  '/Pod': 'Pod',
  '/Service': 'Service',
  '/Event': 'Event',
  'events.k8s.io/Event': 'Event',
  'discovery.k8s.io/EndpointSlice': 'EndpointSlice',
  'networking.k8s.io/NetworkPolicy': 'NetworkPolicy',
  'networking.k8s.io/Ingress': 'Ingress',
  'networking.k8s.io/IngressClass': 'IngressClass',
  'security.istio.io/AuthorizationPolicy': 'AuthorizationPolicy',
  'apps/Deployment': 'Deployment',
  'apps/ReplicaSet': 'ReplicaSet',
  'apps/StatefulSet': 'StatefulSet',
  'apps/DaemonSet': 'DaemonSet',
  'batch/Job': 'Job',
  'batch/CronJob': 'CronJob',
  'projectcalico.org/NetworkPolicy': 'CalicoNetworkPolicy',
  'projectcalico.org/GlobalNetworkPolicy': 'CalicoGlobalNetworkPolicy',
  'projectcalico.org/NetworkSet': 'CalicoNetworkSet',
  'projectcalico.org/GlobalNetworkSet': 'CalicoGlobalNetworkSet',
  'projectcalico.org/Profile': 'CalicoProfile',
  'projectcalico.org/Tier': 'CalicoTier',
  'crd.projectcalico.org/NetworkPolicy': 'CalicoNetworkPolicy',
  'crd.projectcalico.org/GlobalNetworkPolicy': 'CalicoGlobalNetworkPolicy',
  'crd.projectcalico.org/NetworkSet': 'CalicoNetworkSet',
  'crd.projectcalico.org/GlobalNetworkSet': 'CalicoGlobalNetworkSet',
  'crd.projectcalico.org/Profile': 'CalicoProfile',
  'crd.projectcalico.org/Tier': 'CalicoTier',
  'metrics.k8s.io/PodMetrics': 'PodMetrics',
};

/** Splits `apps/v1` into `apps` and `v1`; the core group (`v1`) has the empty name. */
export function apiGroupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/');
  return slash === -1 ? '' : apiVersion.slice(0, slash);
}

const REGION = /^(?:[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d)$/;

/** Region and account taken from the folders of a Batfish-style layout (`accounts/ID/REGION/…`). */
export function locationFromPath(file: string): { region?: string; account?: string } {
  const segments = file.split('/');
  const location: { region?: string; account?: string } = {};
  for (let i = 0; i < segments.length - 1; i++) {
    const segment = segments[i] as string;
    if (REGION.test(segment)) location.region = segment;
    if (segments[i - 1] === 'accounts' && /^\d+$/.test(segment)) location.account = segment;
  }
  return location;
}

/** Region and account from an ARN (`arn:aws:service:region:account:resource`). */
export function locationFromArn(arn: string | undefined): { region?: string; account?: string } {
  const parts = arn?.split(':') ?? [];
  if (parts.length < 6 || parts[0] !== 'arn') return {};
  const location: { region?: string; account?: string } = {};
  if (parts[3]) location.region = parts[3];
  if (parts[4]) location.account = parts[4];
  return location;
}

/**
 * Extracts the name a per-resource output is about from its file name: `elbv2-describe-target-health.NAME.json`
 * gives NAME. Returns undefined when the file name does not follow that pattern.
 */
export function subjectFromFileName(file: string, marker: string): string | undefined {
  const base = file.slice(file.lastIndexOf('/') + 1);
  if (!base.includes(marker)) return undefined;
  const withoutExtension = base.replace(/\.(json|ya?ml)$/i, '');
  const dot = withoutExtension.indexOf('.');
  if (dot === -1) return undefined;
  const subject = withoutExtension.slice(dot + 1);
  return subject === '' ? undefined : subject;
}
