import path from 'node:path';
import { privateDnsName } from './addresses.js';
import { ARRAY, StreamingJsonFile, writeJsonDocument } from './json-writer.js';
import {
  ACCOUNT,
  CLUSTER_NAME,
  KUBERNETES_VERSION,
  REGION,
  SERVICE_CIDR,
  ZONE_IDS,
  ZONE_NAMES,
  allInterfaces,
  type ClusterPlan,
  type InterfacePlan,
  type LoadBalancerPlan,
  type NodePlan,
  type SubnetPlan,
} from './plan.js';
import type { Random } from './random.js';
import { buildSecurityGroups, type PrefixListPlan } from './security-groups.js';

// AWS CLI outputs of the synthetic VPC, in the layout of docs/snapshot.md (`aws/<region>/…`). Keys are in
// the order of the EC2 and ELBv2 service models, as AWS CLI v2 prints them; fields the real outputs carry
// but Rampart does not read are kept, so that parsing costs what it costs on a real export.

/** A file written by the generator, relative to the snapshot root. */
export interface WrittenFile {
  file: string;
  bytes: number;
}

/** The AWS account that owns the interfaces EKS attaches for the control plane. */
const EKS_SERVICE_ACCOUNT = '690987654321';

export function writeAwsOutputs(plan: ClusterPlan, root: string, random: Random): WrittenFile[] {
  const folder = `aws/${REGION}`;
  const written: WrittenFile[] = [];
  const write = (name: string, value: unknown) => {
    const file = `${folder}/${name}`;
    written.push({ file, bytes: writeJsonDocument(path.join(root, file), 'aws', value) });
  };
  const stream = (name: string, key: string, items: Iterable<unknown>) => {
    const file = `${folder}/${name}`;
    const output = new StreamingJsonFile(path.join(root, file), 'aws', (array) => ({ [key]: array }));
    for (const item of items) output.add(item);
    written.push({ file, bytes: output.close() });
  };

  const prefixList: PrefixListPlan = {
    id: `pl-0${random.hex(16)}`,
    name: 'office-networks',
    entries: [
      { Cidr: '192.0.2.0/27', Description: 'head office' },
      { Cidr: '198.51.100.0/26', Description: 'branch office' },
      { Cidr: '198.51.100.64/26', Description: 'VPN pool' },
    ],
  };
  const securityGroups = buildSecurityGroups(plan, prefixList, random.fork('security-groups'));
  const groupNames = new Map(securityGroups.map((group) => [group.GroupId, group.GroupName]));
  const groupsOf = (ids: string[]) => ids.map((id) => ({ GroupName: groupNames.get(id) ?? id, GroupId: id }));
  const networkAcls = buildNetworkAcls(plan, random);
  const routeTables = buildRouteTables(plan, random);
  const internetGatewayId = `igw-0${random.hex(16)}`;

  write('ec2-describe-vpcs.json', { Vpcs: [vpc(plan, random)] });
  write('ec2-describe-subnets.json', { Subnets: plan.subnets.map((subnet) => subnetOutput(plan, subnet)) });
  write('ec2-describe-route-tables.json', { RouteTables: routeTables(internetGatewayId) });
  write('ec2-describe-internet-gateways.json', {
    InternetGateways: [{ Attachments: [{ State: 'available', VpcId: plan.vpcId }], InternetGatewayId: internetGatewayId, OwnerId: ACCOUNT, Tags: [{ Key: 'Name', Value: `${CLUSTER_NAME}-igw` }] }],
  });
  write('ec2-describe-nat-gateways.json', { NatGateways: natGateways(plan) });
  write('ec2-describe-network-acls.json', { NetworkAcls: networkAcls });
  stream('ec2-describe-security-groups.json', 'SecurityGroups', securityGroups);
  stream('ec2-describe-network-interfaces.json', 'NetworkInterfaces', mapIterable(allInterfaces(plan), (eni) => networkInterface(plan, eni, groupsOf)));
  stream('ec2-describe-instances.json', 'Reservations', mapIterable(plan.nodes, (node) => reservation(plan, node, groupsOf, random)));
  write('ec2-describe-managed-prefix-lists.json', {
    PrefixLists: [
      {
        PrefixListId: prefixList.id,
        AddressFamily: 'IPv4',
        State: 'create-complete',
        PrefixListArn: `arn:aws:ec2:${REGION}:${ACCOUNT}:prefix-list/${prefixList.id}`,
        PrefixListName: prefixList.name,
        MaxEntries: 10,
        Version: 3,
        Tags: [],
        OwnerId: ACCOUNT,
      },
    ],
  });
  write(`ec2-get-managed-prefix-list-entries.${prefixList.id}.json`, { Entries: prefixList.entries });

  write('elbv2-describe-load-balancers.json', { LoadBalancers: plan.loadBalancers.map((lb) => loadBalancer(plan, lb)) });
  write('elbv2-describe-target-groups.json', { TargetGroups: plan.loadBalancers.flatMap((lb) => targetGroups(plan, lb)) });
  for (const lb of plan.loadBalancers) {
    write(`elbv2-describe-listeners.${lb.name}.json`, { Listeners: listeners(lb) });
    write(`elbv2-describe-load-balancer-attributes.${lb.name}.json`, {
      Attributes: [
        { Key: 'access_logs.s3.enabled', Value: 'false' },
        { Key: 'deletion_protection.enabled', Value: 'false' },
        { Key: 'load_balancing.cross_zone.enabled', Value: lb.provider === 'in-tree' ? 'false' : 'true' },
        { Key: 'ipv6.deny_all_igw_traffic', Value: 'false' },
        { Key: 'dns_record.client_routing_policy', Value: 'any_availability_zone' },
      ],
    });
    for (const port of lb.ports) {
      write(`elbv2-describe-target-group-attributes.${port.targetGroupName}.json`, {
        Attributes: [
          { Key: 'proxy_protocol_v2.enabled', Value: 'false' },
          { Key: 'preserve_client_ip.enabled', Value: lb.provider === 'in-tree' ? 'true' : 'false' },
          { Key: 'stickiness.enabled', Value: 'false' },
          { Key: 'deregistration_delay.timeout_seconds', Value: '300' },
          { Key: 'stickiness.type', Value: 'source_ip' },
          { Key: 'deregistration_delay.connection_termination.enabled', Value: 'false' },
        ],
      });
      stream(`elbv2-describe-target-health.${port.targetGroupName}.json`, 'TargetHealthDescriptions', targetHealth(plan, lb, port));
    }
  }
  write('eks-describe-cluster.json', { cluster: eksCluster(plan, random) });
  return written;
}

// --- VPC ----------------------------------------------------------------------------------------------

function vpc(plan: ClusterPlan, random: Random) {
  return {
    CidrBlock: plan.vpcCidrs[0],
    DhcpOptionsId: `dopt-0${random.hex(16)}`,
    State: 'available',
    VpcId: plan.vpcId,
    OwnerId: ACCOUNT,
    InstanceTenancy: 'default',
    CidrBlockAssociationSet: plan.vpcCidrs.map((cidr) => ({ AssociationId: `vpc-cidr-assoc-0${random.hex(16)}`, CidrBlock: cidr, CidrBlockState: { State: 'associated' } })),
    IsDefault: false,
    Tags: [
      { Key: 'Name', Value: `${CLUSTER_NAME}-vpc` },
      { Key: `kubernetes.io/cluster/${CLUSTER_NAME}`, Value: 'shared' },
    ],
  };
}

function subnetOutput(plan: ClusterPlan, subnet: SubnetPlan) {
  const tags = [{ Key: 'Name', Value: subnet.name }];
  if (subnet.tier === 'public') tags.push({ Key: 'kubernetes.io/role/elb', Value: '1' });
  if (subnet.tier === 'node') tags.push({ Key: 'kubernetes.io/role/internal-elb', Value: '1' });
  tags.push({ Key: `kubernetes.io/cluster/${CLUSTER_NAME}`, Value: 'shared' });
  return {
    AvailabilityZone: ZONE_NAMES[subnet.zone],
    AvailabilityZoneId: ZONE_IDS[subnet.zone],
    AvailableIpAddressCount: subnet.pool.free,
    CidrBlock: subnet.cidr,
    DefaultForAz: false,
    MapPublicIpOnLaunch: subnet.tier === 'public',
    State: 'available',
    SubnetId: subnet.id,
    VpcId: plan.vpcId,
    OwnerId: ACCOUNT,
    AssignIpv6AddressOnCreation: false,
    Ipv6CidrBlockAssociationSet: [],
    Tags: tags,
    SubnetArn: `arn:aws:ec2:${REGION}:${ACCOUNT}:subnet/${subnet.id}`,
    EnableDns64: false,
    Ipv6Native: false,
    PrivateDnsNameOptionsOnLaunch: { HostnameType: 'ip-name', EnableResourceNameDnsARecord: false, EnableResourceNameDnsAAAARecord: false },
  };
}

/** Public subnets route to the internet gateway, private ones to the NAT gateway of their zone. */
function buildRouteTables(plan: ClusterPlan, random: Random) {
  const mainId = `rtb-0${random.hex(16)}`;
  const publicId = `rtb-0${random.hex(16)}`;
  const privateIds = ZONE_NAMES.map(() => `rtb-0${random.hex(16)}`);
  const association = (tableId: string, subnetId?: string) => ({
    Main: subnetId === undefined,
    RouteTableAssociationId: `rtbassoc-0${random.hex(16)}`,
    RouteTableId: tableId,
    ...(subnetId ? { SubnetId: subnetId } : {}),
    AssociationState: { State: 'associated' },
  });
  const localRoutes = () => plan.vpcCidrs.map((cidr) => ({ DestinationCidrBlock: cidr, GatewayId: 'local', Origin: 'CreateRouteTable', State: 'active' }));
  const table = (id: string, name: string, associations: unknown[], routes: unknown[]) => ({
    Associations: associations,
    PropagatingVgws: [],
    RouteTableId: id,
    Routes: [...localRoutes(), ...routes],
    Tags: [{ Key: 'Name', Value: name }],
    VpcId: plan.vpcId,
    OwnerId: ACCOUNT,
  });
  return (internetGatewayId: string) => [
    table(mainId, `${CLUSTER_NAME}-main`, [association(mainId)], []),
    table(
      publicId,
      `${CLUSTER_NAME}-public`,
      plan.subnets.filter((subnet) => subnet.tier === 'public').map((subnet) => association(publicId, subnet.id)),
      [{ DestinationCidrBlock: '0.0.0.0/0', GatewayId: internetGatewayId, Origin: 'CreateRoute', State: 'active' }],
    ),
    ...privateIds.map((id, zone) =>
      table(
        id,
        `${CLUSTER_NAME}-private-${ZONE_NAMES[zone]}`,
        plan.subnets.filter((subnet) => subnet.tier !== 'public' && subnet.zone === zone).map((subnet) => association(id, subnet.id)),
        [{ DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: plan.natGatewayIds[zone], Origin: 'CreateRoute', State: 'active' }],
      ),
    ),
  ];
}

function natGateways(plan: ClusterPlan) {
  const interfaces = plan.otherInterfaces.filter((eni) => eni.kind === 'nat-gateway');
  return plan.natGatewayIds.map((natId, zone) => {
    const eni = interfaces[zone] as InterfacePlan;
    return {
      CreateTime: ec2Time(plan.clusterCreatedAt),
      NatGatewayAddresses: [
        {
          AllocationId: `eipalloc-0${natId.slice(5)}`,
          NetworkInterfaceId: eni.id,
          PrivateIp: eni.primaryIp,
          PublicIp: eni.publicIp,
          AssociationId: `eipassoc-0${natId.slice(5)}`,
          IsPrimary: true,
          Status: 'succeeded',
        },
      ],
      NatGatewayId: natId,
      State: 'available',
      SubnetId: eni.subnet.id,
      VpcId: plan.vpcId,
      Tags: [{ Key: 'Name', Value: `${CLUSTER_NAME}-nat-${ZONE_NAMES[zone]}` }],
      ConnectivityType: 'public',
    };
  });
}

/**
 * The default ACL allows everything and covers the public and node subnets; the pod subnets have their own
 * ACL that blocks SSH and RDP from anywhere before allowing the rest.
 */
function buildNetworkAcls(plan: ClusterPlan, random: Random) {
  const entry = (ruleNumber: number, egress: boolean, action: 'allow' | 'deny', protocol: string, cidr: string, ports?: [number, number]) => ({
    CidrBlock: cidr,
    Egress: egress,
    ...(ports ? { PortRange: { From: ports[0], To: ports[1] } } : {}),
    Protocol: protocol,
    RuleAction: action,
    RuleNumber: ruleNumber,
  });
  const defaults = (egress: boolean) => [entry(100, egress, 'allow', '-1', '0.0.0.0/0'), entry(32767, egress, 'deny', '-1', '0.0.0.0/0')];
  const acl = (id: string, isDefault: boolean, subnets: SubnetPlan[], entries: unknown[], name: string) => ({
    Associations: subnets.map((subnet) => ({ NetworkAclAssociationId: `aclassoc-0${random.hex(16)}`, NetworkAclId: id, SubnetId: subnet.id })),
    Entries: entries,
    IsDefault: isDefault,
    NetworkAclId: id,
    Tags: [{ Key: 'Name', Value: name }],
    VpcId: plan.vpcId,
    OwnerId: ACCOUNT,
  });
  const defaultId = `acl-0${random.hex(16)}`;
  const podId = `acl-0${random.hex(16)}`;
  return [
    acl(defaultId, true, plan.subnets.filter((subnet) => subnet.tier !== 'pod'), [...defaults(true), ...defaults(false)], `${CLUSTER_NAME}-default`),
    acl(
      podId,
      false,
      plan.subnets.filter((subnet) => subnet.tier === 'pod'),
      [
        ...defaults(true),
        entry(90, false, 'deny', '6', '0.0.0.0/0', [22, 22]),
        entry(91, false, 'deny', '6', '0.0.0.0/0', [3389, 3389]),
        ...defaults(false),
      ],
      `${CLUSTER_NAME}-pods`,
    ),
  ];
}

// --- interfaces and instances --------------------------------------------------------------------------

type GroupsOf = (ids: string[]) => Array<{ GroupName: string; GroupId: string }>;

function networkInterface(plan: ClusterPlan, eni: InterfacePlan, groupsOf: GroupsOf) {
  const addresses = [
    { Primary: true, PrivateDnsName: privateDnsName(eni.primaryIp, REGION), PrivateIpAddress: eni.primaryIp, ...publicAssociation(eni) },
    ...eni.secondaryIps.map((ip) => ({ Primary: false, PrivateDnsName: privateDnsName(ip, REGION), PrivateIpAddress: ip })),
  ];
  const managed = eni.kind === 'load-balancer' || eni.kind === 'nat-gateway' || eni.kind === 'database';
  const requester = { 'load-balancer': 'amazon-elb', 'nat-gateway': '470379210366', database: 'amazon-rds', eks: EKS_SERVICE_ACCOUNT, node: undefined }[eni.kind];
  const attachment = eni.node
    ? {
        AttachTime: ec2Time(eni.attachTime),
        AttachmentId: eni.attachmentId,
        DeleteOnTermination: true,
        DeviceIndex: eni.deviceIndex,
        NetworkCardIndex: 0,
        InstanceId: eni.node.instanceId,
        InstanceOwnerId: ACCOUNT,
        Status: 'attached',
      }
    : eni.kind === 'nat-gateway'
      ? undefined
      : { AttachmentId: eni.attachmentId, DeleteOnTermination: false, DeviceIndex: eni.deviceIndex, InstanceOwnerId: requester, Status: 'attached' };
  const tags = eni.node && eni.deviceIndex > 0
    ? [
        { Key: 'node.k8s.amazonaws.com/instance_id', Value: eni.node.instanceId },
        { Key: 'cluster.k8s.amazonaws.com/name', Value: CLUSTER_NAME },
        { Key: 'node.k8s.amazonaws.com/createdAt', Value: new Date(eni.attachTime).toISOString().slice(0, 19) + 'Z' },
      ]
    : [];
  return {
    ...(eni.publicIp ? { Association: { IpOwnerId: 'amazon', PublicDnsName: '', PublicIp: eni.publicIp } } : {}),
    ...(attachment ? { Attachment: attachment } : {}),
    AvailabilityZone: ZONE_NAMES[eni.subnet.zone],
    Description: eni.description,
    Groups: groupsOf(eni.groupIds),
    InterfaceType: { 'load-balancer': 'network_load_balancer', 'nat-gateway': 'nat_gateway', database: 'interface', eks: 'interface', node: 'interface' }[eni.kind],
    Ipv6Addresses: [],
    MacAddress: eni.mac,
    NetworkInterfaceId: eni.id,
    OwnerId: ACCOUNT,
    PrivateDnsName: privateDnsName(eni.primaryIp, REGION),
    PrivateIpAddress: eni.primaryIp,
    PrivateIpAddresses: addresses,
    ...(requester ? { RequesterId: requester } : {}),
    RequesterManaged: managed,
    SourceDestCheck: true,
    Status: 'in-use',
    SubnetId: eni.subnet.id,
    TagSet: tags,
    VpcId: plan.vpcId,
  };
}

function publicAssociation(eni: InterfacePlan) {
  return eni.publicIp ? { Association: { IpOwnerId: 'amazon', PublicDnsName: '', PublicIp: eni.publicIp } } : {};
}

/** One reservation per node, as an Auto Scaling group launches its instances one by one. */
function reservation(plan: ClusterPlan, node: NodePlan, groupsOf: GroupsOf, random: Random) {
  const primary = node.interfaces[0] as InterfacePlan;
  const groups = groupsOf(primary.groupIds);
  const instance = {
    AmiLaunchIndex: 0,
    ImageId: 'ami-0a1b2c3d4e5f60718',
    InstanceId: node.instanceId,
    InstanceType: node.instanceType,
    LaunchTime: ec2Time(node.launchTime),
    Monitoring: { State: 'disabled' },
    Placement: { AvailabilityZone: ZONE_NAMES[node.zone], GroupName: '', Tenancy: 'default' },
    PrivateDnsName: node.name,
    PrivateIpAddress: node.ip,
    ProductCodes: [],
    PublicDnsName: '',
    State: { Code: 16, Name: 'running' },
    StateTransitionReason: '',
    SubnetId: primary.subnet.id,
    VpcId: plan.vpcId,
    Architecture: 'x86_64',
    BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { AttachTime: ec2Time(node.launchTime), DeleteOnTermination: true, Status: 'attached', VolumeId: `vol-0${random.hex(16)}` } }],
    ClientToken: random.uuid(),
    EbsOptimized: true,
    EnaSupport: true,
    Hypervisor: 'xen',
    IamInstanceProfile: { Arn: `arn:aws:iam::${ACCOUNT}:instance-profile/eks-${random.uuid()}`, Id: `AIPA${random.hex(17).toUpperCase()}` },
    NetworkInterfaces: node.interfaces.map((eni) => ({
      Attachment: { AttachTime: ec2Time(eni.attachTime), AttachmentId: eni.attachmentId, DeleteOnTermination: true, DeviceIndex: eni.deviceIndex, Status: 'attached', NetworkCardIndex: 0 },
      Description: eni.description,
      Groups: groupsOf(eni.groupIds),
      Ipv6Addresses: [],
      MacAddress: eni.mac,
      NetworkInterfaceId: eni.id,
      OwnerId: ACCOUNT,
      PrivateDnsName: privateDnsName(eni.primaryIp, REGION),
      PrivateIpAddress: eni.primaryIp,
      PrivateIpAddresses: [eni.primaryIp, ...eni.secondaryIps].map((ip, index) => ({ Primary: index === 0, PrivateDnsName: privateDnsName(ip, REGION), PrivateIpAddress: ip })),
      SourceDestCheck: true,
      Status: 'in-use',
      SubnetId: eni.subnet.id,
      VpcId: plan.vpcId,
      InterfaceType: 'interface',
    })),
    RootDeviceName: '/dev/xvda',
    RootDeviceType: 'ebs',
    SecurityGroups: groups,
    SourceDestCheck: true,
    Tags: [
      { Key: 'eks:cluster-name', Value: CLUSTER_NAME },
      { Key: 'eks:nodegroup-name', Value: node.nodegroup },
      { Key: `kubernetes.io/cluster/${CLUSTER_NAME}`, Value: 'owned' },
      { Key: 'aws:autoscaling:groupName', Value: `eks-${node.nodegroup}-${node.nodegroup.length}a1b2c3` },
    ],
    VirtualizationType: 'hvm',
    CpuOptions: { CoreCount: node.instanceType === 'm6i.2xlarge' ? 4 : 8, ThreadsPerCore: 2 },
    MetadataOptions: { State: 'applied', HttpTokens: 'required', HttpPutResponseHopLimit: 2, HttpEndpoint: 'enabled', HttpProtocolIpv6: 'disabled', InstanceMetadataTags: 'disabled' },
    PlatformDetails: 'Linux/UNIX',
    PrivateDnsNameOptions: { HostnameType: 'ip-name', EnableResourceNameDnsARecord: false, EnableResourceNameDnsAAAARecord: false },
  };
  return { Groups: [], Instances: [instance], OwnerId: ACCOUNT, RequesterId: '111111111111', ReservationId: `r-0${random.hex(16)}` };
}

// --- load balancers ------------------------------------------------------------------------------------

export function loadBalancerArn(lb: LoadBalancerPlan): string {
  return `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:loadbalancer/net/${lb.name}/${lb.id}`;
}

export function loadBalancerDnsName(lb: LoadBalancerPlan): string {
  return `${lb.name}-${lb.id}.elb.${REGION}.amazonaws.com`;
}

function targetGroupArn(name: string, id: string): string {
  return `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:targetgroup/${name}/${id}`;
}

function loadBalancer(plan: ClusterPlan, lb: LoadBalancerPlan) {
  return {
    LoadBalancerArn: loadBalancerArn(lb),
    DNSName: loadBalancerDnsName(lb),
    CanonicalHostedZoneId: 'Z2IFOLAFXWLO4F',
    CreatedTime: elbTime(lb.createdAt),
    LoadBalancerName: lb.name,
    Scheme: lb.scheme,
    VpcId: plan.vpcId,
    State: { Code: 'active' },
    Type: 'network',
    AvailabilityZones: lb.interfaces.map((eni) => ({ ZoneName: ZONE_NAMES[eni.subnet.zone], SubnetId: eni.subnet.id, LoadBalancerAddresses: [] })),
    ...(lb.securityGroupId && plan.securityGroups.backend ? { SecurityGroups: [lb.securityGroupId, plan.securityGroups.backend] } : {}),
    IpAddressType: 'ipv4',
    ...(lb.securityGroupId ? { EnforceSecurityGroupInboundRulesOnPrivateLinkTraffic: 'on' } : {}),
  };
}

function listeners(lb: LoadBalancerPlan) {
  return lb.ports.map((port) => {
    const arn = targetGroupArn(port.targetGroupName, port.targetGroupId);
    return {
      ListenerArn: `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:listener/net/${lb.name}/${lb.id}/${port.listenerId}`,
      LoadBalancerArn: loadBalancerArn(lb),
      Port: port.port,
      Protocol: 'TCP',
      DefaultActions: [{ Type: 'forward', TargetGroupArn: arn, Order: 1, ForwardConfig: { TargetGroups: [{ TargetGroupArn: arn, Weight: 1 }], TargetGroupStickinessConfig: { Enabled: false } } }],
    };
  });
}

function targetGroups(plan: ClusterPlan, lb: LoadBalancerPlan) {
  return lb.ports.map((port) => ({
    TargetGroupArn: targetGroupArn(port.targetGroupName, port.targetGroupId),
    TargetGroupName: port.targetGroupName,
    Protocol: 'TCP',
    Port: lb.provider === 'in-tree' ? port.nodePort : port.targetPort.containerPort,
    VpcId: plan.vpcId,
    HealthCheckProtocol: 'TCP',
    HealthCheckPort: 'traffic-port',
    HealthCheckEnabled: true,
    HealthCheckIntervalSeconds: 10,
    HealthCheckTimeoutSeconds: 10,
    HealthyThresholdCount: 2,
    UnhealthyThresholdCount: 2,
    LoadBalancerArns: [loadBalancerArn(lb)],
    TargetType: lb.provider === 'in-tree' ? 'instance' : 'ip',
    IpAddressType: 'ipv4',
  }));
}

/** In-tree target groups register every node on the NodePort; controller ones register the pod IPs. */
function* targetHealth(plan: ClusterPlan, lb: LoadBalancerPlan, port: LoadBalancerPlan['ports'][number]) {
  if (lb.provider === 'in-tree') {
    for (const node of plan.nodes) {
      yield { Target: { Id: node.instanceId, Port: port.nodePort }, HealthCheckPort: String(port.nodePort), TargetHealth: { State: 'healthy' } };
    }
    return;
  }
  for (const pod of lb.workload.pods) {
    const healthy = lb.workload.stability !== 'crash-loop';
    yield {
      Target: { Id: pod.ip, Port: port.targetPort.containerPort, AvailabilityZone: ZONE_NAMES[pod.node.zone] },
      HealthCheckPort: String(port.targetPort.containerPort),
      TargetHealth: healthy ? { State: 'healthy' } : { State: 'unhealthy', Reason: 'Target.FailedHealthChecks', Description: 'Health checks failed' },
    };
  }
}

function eksCluster(plan: ClusterPlan, random: Random) {
  return {
    name: CLUSTER_NAME,
    arn: `arn:aws:eks:${REGION}:${ACCOUNT}:cluster/${CLUSTER_NAME}`,
    createdAt: elbTime(plan.clusterCreatedAt),
    version: KUBERNETES_VERSION,
    endpoint: `https://${random.hex(32).toUpperCase()}.gr7.${REGION}.eks.amazonaws.com`,
    roleArn: `arn:aws:iam::${ACCOUNT}:role/${CLUSTER_NAME}-cluster-role`,
    resourcesVpcConfig: {
      subnetIds: plan.subnets.filter((subnet) => subnet.tier !== 'pod').map((subnet) => subnet.id),
      securityGroupIds: [plan.securityGroups.controlPlane],
      clusterSecurityGroupId: plan.securityGroups.cluster,
      vpcId: plan.vpcId,
      endpointPublicAccess: true,
      endpointPrivateAccess: true,
      publicAccessCidrs: ['0.0.0.0/0'],
    },
    kubernetesNetworkConfig: { serviceIpv4Cidr: SERVICE_CIDR, ipFamily: 'ipv4' },
    logging: { clusterLogging: [{ types: ['api', 'audit', 'authenticator', 'controllerManager', 'scheduler'], enabled: false }] },
    identity: { oidc: { issuer: `https://oidc.eks.${REGION}.amazonaws.com/id/${random.hex(32).toUpperCase()}` } },
    status: 'ACTIVE',
    platformVersion: 'eks.23',
    tags: {},
    accessConfig: { authenticationMode: 'API_AND_CONFIG_MAP' },
  };
}

// --- helpers ------------------------------------------------------------------------------------------

/** EC2 timestamps as the AWS CLI prints them: `2026-03-02T10:00:00+00:00`. */
function ec2Time(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}+00:00`;
}

/** ELBv2 and EKS timestamps carry microseconds: `2026-03-02T10:00:00.123000+00:00`. */
function elbTime(ms: number): string {
  const iso = new Date(ms).toISOString();
  return `${iso.slice(0, 19)}.${iso.slice(20, 23)}000+00:00`;
}

function* mapIterable<T, U>(items: Iterable<T>, map: (item: T) => U): Generator<U> {
  for (const item of items) yield map(item);
}
