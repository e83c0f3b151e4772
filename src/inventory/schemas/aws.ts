import { z } from 'zod';

// Schemas for the AWS CLI outputs Rampart reads. They name only the fields the analysis uses; zod drops
// every other field, so newer CLI versions that add fields still load. Field names are the AWS API's own,
// as `aws ... --output json` prints them.

const tags = z.array(z.object({ Key: z.string(), Value: z.string() })).optional();

export const vpcSchema = z.object({
  VpcId: z.string(),
  CidrBlock: z.string().optional(),
  CidrBlockAssociationSet: z.array(z.object({ CidrBlock: z.string(), CidrBlockState: z.object({ State: z.string().optional() }).optional() })).optional(),
  Ipv6CidrBlockAssociationSet: z.array(z.object({ Ipv6CidrBlock: z.string().optional(), Ipv6CidrBlockState: z.object({ State: z.string().optional() }).optional() })).optional(),
  IsDefault: z.boolean().optional(),
  OwnerId: z.string().optional(),
  Tags: tags,
});

export const subnetSchema = z.object({
  SubnetId: z.string(),
  VpcId: z.string(),
  CidrBlock: z.string().optional(),
  AvailabilityZone: z.string().optional(),
  MapPublicIpOnLaunch: z.boolean().optional(),
  Ipv6CidrBlockAssociationSet: z.array(z.object({ Ipv6CidrBlock: z.string().optional() })).optional(),
  OwnerId: z.string().optional(),
  Tags: tags,
});

export const routeSchema = z.object({
  DestinationCidrBlock: z.string().optional(),
  DestinationIpv6CidrBlock: z.string().optional(),
  DestinationPrefixListId: z.string().optional(),
  GatewayId: z.string().optional(),
  NatGatewayId: z.string().optional(),
  InstanceId: z.string().optional(),
  NetworkInterfaceId: z.string().optional(),
  TransitGatewayId: z.string().optional(),
  VpcPeeringConnectionId: z.string().optional(),
  EgressOnlyInternetGatewayId: z.string().optional(),
  State: z.string().optional(),
  Origin: z.string().optional(),
});

export const routeTableSchema = z.object({
  RouteTableId: z.string(),
  VpcId: z.string(),
  Routes: z.array(routeSchema).default([]),
  Associations: z
    .array(z.object({ Main: z.boolean().optional(), SubnetId: z.string().optional(), GatewayId: z.string().optional() }))
    .default([]),
  Tags: tags,
});

export const internetGatewaySchema = z.object({
  InternetGatewayId: z.string(),
  Attachments: z.array(z.object({ VpcId: z.string(), State: z.string().optional() })).default([]),
  Tags: tags,
});

export const natGatewaySchema = z.object({
  NatGatewayId: z.string(),
  VpcId: z.string().optional(),
  SubnetId: z.string().optional(),
  State: z.string().optional(),
  ConnectivityType: z.string().optional(),
  NatGatewayAddresses: z
    .array(
      z.object({
        PublicIp: z.string().optional(),
        PrivateIp: z.string().optional(),
        NetworkInterfaceId: z.string().optional(),
        AllocationId: z.string().optional(),
      }),
    )
    .default([]),
  Tags: tags,
});

export const networkAclEntrySchema = z.object({
  RuleNumber: z.number().int(),
  Protocol: z.string(),
  RuleAction: z.enum(['allow', 'deny']),
  Egress: z.boolean(),
  CidrBlock: z.string().optional(),
  Ipv6CidrBlock: z.string().optional(),
  PortRange: z.object({ From: z.number().int().optional(), To: z.number().int().optional() }).optional(),
  IcmpTypeCode: z.object({ Code: z.number().int().optional(), Type: z.number().int().optional() }).optional(),
});

export const networkAclSchema = z.object({
  NetworkAclId: z.string(),
  VpcId: z.string(),
  IsDefault: z.boolean().optional(),
  Entries: z.array(networkAclEntrySchema),
  Associations: z.array(z.object({ SubnetId: z.string(), NetworkAclAssociationId: z.string().optional() })).default([]),
  Tags: tags,
});

const ruleDescription = z.string().optional();

export const ipPermissionSchema = z.object({
  IpProtocol: z.string(),
  FromPort: z.number().int().optional(),
  ToPort: z.number().int().optional(),
  IpRanges: z.array(z.object({ CidrIp: z.string(), Description: ruleDescription })).default([]),
  Ipv6Ranges: z.array(z.object({ CidrIpv6: z.string(), Description: ruleDescription })).default([]),
  PrefixListIds: z.array(z.object({ PrefixListId: z.string(), Description: ruleDescription })).default([]),
  UserIdGroupPairs: z
    .array(
      z.object({
        GroupId: z.string().optional(),
        GroupName: z.string().optional(),
        UserId: z.string().optional(),
        VpcId: z.string().optional(),
        Description: ruleDescription,
      }),
    )
    .default([]),
});

export const securityGroupSchema = z.object({
  GroupId: z.string(),
  GroupName: z.string().optional(),
  Description: z.string().optional(),
  VpcId: z.string().optional(),
  OwnerId: z.string().optional(),
  IpPermissions: z.array(ipPermissionSchema).default([]),
  IpPermissionsEgress: z.array(ipPermissionSchema).default([]),
  Tags: tags,
});

const privateIpSchema = z.object({
  PrivateIpAddress: z.string(),
  Primary: z.boolean().optional(),
  Association: z.object({ PublicIp: z.string().optional() }).optional(),
});

export const networkInterfaceSchema = z.object({
  NetworkInterfaceId: z.string(),
  SubnetId: z.string().optional(),
  VpcId: z.string().optional(),
  AvailabilityZone: z.string().optional(),
  Description: z.string().optional(),
  InterfaceType: z.string().optional(),
  RequesterId: z.string().optional(),
  PrivateIpAddress: z.string().optional(),
  PrivateIpAddresses: z.array(privateIpSchema).default([]),
  Ipv6Addresses: z.array(z.object({ Ipv6Address: z.string() })).default([]),
  Association: z.object({ PublicIp: z.string().optional(), AllocationId: z.string().optional() }).optional(),
  Attachment: z.object({ InstanceId: z.string().optional(), DeviceIndex: z.number().optional() }).optional(),
  Groups: z.array(z.object({ GroupId: z.string(), GroupName: z.string().optional() })).default([]),
  Status: z.string().optional(),
  TagSet: tags,
});

export const instanceSchema = z.object({
  InstanceId: z.string(),
  InstanceType: z.string().optional(),
  PrivateIpAddress: z.string().optional(),
  PrivateDnsName: z.string().optional(),
  PublicIpAddress: z.string().optional(),
  SubnetId: z.string().optional(),
  VpcId: z.string().optional(),
  State: z.object({ Name: z.string().optional() }).optional(),
  SecurityGroups: z.array(z.object({ GroupId: z.string(), GroupName: z.string().optional() })).default([]),
  NetworkInterfaces: z.array(z.object({ NetworkInterfaceId: z.string() })).default([]),
  Placement: z.object({ AvailabilityZone: z.string().optional() }).optional(),
  // Instance metadata service settings: HttpTokens `optional` still answers IMDSv1 requests, and a
  // PUT response hop limit above 1 lets IMDSv2 tokens reach containers behind one more hop.
  MetadataOptions: z
    .object({
      State: z.string().optional(),
      HttpTokens: z.string().optional(),
      HttpPutResponseHopLimit: z.number().int().optional(),
      HttpEndpoint: z.string().optional(),
    })
    .optional(),
  Tags: tags,
});

export const reservationSchema = z.object({
  ReservationId: z.string().optional(),
  OwnerId: z.string().optional(),
  Instances: z.array(z.unknown()).default([]),
});

export const loadBalancerSchema = z.object({
  LoadBalancerArn: z.string(),
  LoadBalancerName: z.string(),
  DNSName: z.string().optional(),
  Scheme: z.string().optional(),
  Type: z.string().optional(),
  VpcId: z.string().optional(),
  IpAddressType: z.string().optional(),
  SecurityGroups: z.array(z.string()).default([]),
  AvailabilityZones: z
    .array(
      z.object({
        SubnetId: z.string().optional(),
        ZoneName: z.string().optional(),
        LoadBalancerAddresses: z
          .array(z.object({ IpAddress: z.string().optional(), PrivateIPv4Address: z.string().optional(), AllocationId: z.string().optional() }))
          .default([]),
      }),
    )
    .default([]),
  State: z.object({ Code: z.string().optional() }).optional(),
});

const forwardTarget = z.object({ TargetGroupArn: z.string(), Weight: z.number().optional() });

export const listenerSchema = z.object({
  ListenerArn: z.string(),
  LoadBalancerArn: z.string(),
  Port: z.number().int().optional(),
  Protocol: z.string().optional(),
  DefaultActions: z
    .array(
      z.object({
        Type: z.string(),
        TargetGroupArn: z.string().optional(),
        ForwardConfig: z.object({ TargetGroups: z.array(forwardTarget).default([]) }).optional(),
      }),
    )
    .default([]),
});

export const targetGroupSchema = z.object({
  TargetGroupArn: z.string(),
  TargetGroupName: z.string(),
  Protocol: z.string().optional(),
  Port: z.number().int().optional(),
  VpcId: z.string().optional(),
  TargetType: z.string().optional(),
  HealthCheckPort: z.string().optional(),
  HealthCheckProtocol: z.string().optional(),
  LoadBalancerArns: z.array(z.string()).default([]),
});

export const attributeSchema = z.object({ Key: z.string(), Value: z.string() });

export const targetHealthDescriptionSchema = z.object({
  Target: z.object({ Id: z.string(), Port: z.number().int().optional(), AvailabilityZone: z.string().optional() }),
  HealthCheckPort: z.string().optional(),
  TargetHealth: z.object({ State: z.string().optional(), Reason: z.string().optional() }).optional(),
});

export const eksClusterSchema = z.object({
  name: z.string(),
  arn: z.string().optional(),
  version: z.string().optional(),
  platformVersion: z.string().optional(),
  endpoint: z.string().optional(),
  status: z.string().optional(),
  resourcesVpcConfig: z
    .looseObject({
      vpcId: z.string().optional(),
      subnetIds: z.array(z.string()).default([]),
      securityGroupIds: z.array(z.string()).default([]),
      clusterSecurityGroupId: z.string().optional(),
      endpointPublicAccess: z.boolean().optional(),
      endpointPrivateAccess: z.boolean().optional(),
      publicAccessCidrs: z.array(z.string()).default([]),
    })
    .optional(),
  kubernetesNetworkConfig: z.object({ serviceIpv4Cidr: z.string().optional(), ipFamily: z.string().optional() }).optional(),
});

export const managedPrefixListSchema = z.object({
  PrefixListId: z.string(),
  PrefixListName: z.string().optional(),
  AddressFamily: z.string().optional(),
  OwnerId: z.string().optional(),
  // Batfish's snapshots carry the older `describe-prefix-lists` shape, which lists the CIDRs inline.
  Cidrs: z.array(z.string()).optional(),
});

export const prefixListEntrySchema = z.object({ Cidr: z.string(), Description: z.string().optional() });

export type Vpc = z.infer<typeof vpcSchema>;
export type Subnet = z.infer<typeof subnetSchema>;
export type RouteTable = z.infer<typeof routeTableSchema>;
export type Route = z.infer<typeof routeSchema>;
export type InternetGateway = z.infer<typeof internetGatewaySchema>;
export type NatGateway = z.infer<typeof natGatewaySchema>;
export type NetworkAcl = z.infer<typeof networkAclSchema>;
export type NetworkAclEntry = z.infer<typeof networkAclEntrySchema>;
export type SecurityGroup = z.infer<typeof securityGroupSchema>;
export type IpPermission = z.infer<typeof ipPermissionSchema>;
export type NetworkInterface = z.infer<typeof networkInterfaceSchema>;
export type Instance = z.infer<typeof instanceSchema>;
export type LoadBalancer = z.infer<typeof loadBalancerSchema>;
export type Listener = z.infer<typeof listenerSchema>;
export type TargetGroup = z.infer<typeof targetGroupSchema>;
export type Attribute = z.infer<typeof attributeSchema>;
export type TargetHealthDescription = z.infer<typeof targetHealthDescriptionSchema>;
export type EksCluster = z.infer<typeof eksClusterSchema>;
export type ManagedPrefixList = z.infer<typeof managedPrefixListSchema>;
export type PrefixListEntry = z.infer<typeof prefixListEntrySchema>;
