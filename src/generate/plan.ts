import { AddressPool, privateDnsName, subdivide } from './addresses.js';
import { DOMAINS, ROLE_SUFFIXES, SERVICE_NOUNS, TEAMS } from './names.js';
import { Random } from './random.js';
import { DAEMONSETS_PER_NODE, OTHER_NETWORK_INTERFACES, SYSTEM_DEPLOYMENT_PODS, ZONES, type SizeCounts } from './sizes.js';

// The layout of the synthetic cluster, decided before any file is written: namespaces, workloads and
// their pods, nodes with their network interfaces, subnets and every address. The writers turn this plan
// into AWS CLI and kubectl outputs, so both sides of the snapshot agree on every name, ID and address.

export const REGION = 'eu-west-1';
export const ACCOUNT = '111122223333';
export const CLUSTER_NAME = 'bench-prod';
export const KUBERNETES_VERSION = '1.30';
export const VPC_CIDR = '10.0.0.0/16';
/** Pod subnets are carved from the shared address space, as with the VPC CNI's custom networking. */
export const POD_ADDRESS_SPACE = '100.64.0.0/10';
export const SERVICE_CIDR = '172.20.0.0/16';
/** The time the synthetic snapshot describes; every timestamp in it lies before this. */
export const SNAPSHOT_TIME = Date.parse('2026-03-02T10:00:00Z');
export const ZONE_NAMES = ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'] as const;
export const ZONE_IDS = ['euw1-az1', 'euw1-az2', 'euw1-az3'] as const;

const DAY = 86_400_000;
const POD_SUBNET_PREFIX = 18;
const NODES_PER_NODEGROUP = 450;

export type Tier = 'public' | 'node' | 'pod';
export type Role = 'web' | 'api' | 'worker' | 'postgresql' | 'redis' | 'mongodb' | 'system';
/** Container behaviour of a workload. The stability checks report the last three. */
export type Stability = 'stable' | 'crash-loop' | 'probe-failures' | 'oom-killed';

export interface SubnetPlan {
  id: string;
  name: string;
  cidr: string;
  zone: number;
  tier: Tier;
  pool: AddressPool;
  networkAclId?: string;
  routeTableId?: string;
}

export interface InterfacePlan {
  id: string;
  mac: string;
  subnet: SubnetPlan;
  primaryIp: string;
  secondaryIps: string[];
  deviceIndex: number;
  kind: 'node' | 'load-balancer' | 'nat-gateway' | 'eks' | 'database';
  description: string;
  groupIds: string[];
  attachmentId: string;
  attachTime: number;
  /** Public address for interfaces of internet-facing load balancers and NAT gateways. */
  publicIp?: string;
  node?: NodePlan;
}

export interface NodePlan {
  index: number;
  name: string;
  instanceId: string;
  zone: number;
  ip: string;
  instanceType: string;
  nodegroup: string;
  launchTime: number;
  interfaces: InterfacePlan[];
  /** Pods on the pod network, assigned to this node's interfaces. */
  networkPods: PodPlan[];
}

export interface PodPlan {
  name: string;
  uid: string;
  ordinal: number;
  node: NodePlan;
  ip: string;
  createdAt: number;
}

export interface ContainerPort {
  name: string;
  containerPort: number;
}

export interface WorkloadPlan {
  kind: 'Deployment' | 'StatefulSet' | 'DaemonSet';
  namespace: string;
  name: string;
  uid: string;
  role: Role;
  replicas: number;
  /** Labels of the selector, which the pod template and the Service use. */
  selector: Record<string, string>;
  /** Pod template labels, selector included; per-pod labels such as pod-template-hash are added when writing. */
  labels: Record<string, string>;
  containerName: string;
  image: string;
  ports: ContainerPort[];
  hostNetwork: boolean;
  team?: string;
  helmChart?: string;
  /** pod-template-hash of the current ReplicaSet, or the controller-revision-hash suffix. */
  templateHash: string;
  replicaSetUid: string;
  /** An older ReplicaSet kept at zero replicas, as Deployments keep their revision history. */
  previousTemplateHash?: string;
  previousReplicaSetUid?: string;
  createdAt: number;
  stability: Stability;
  /** Names of workloads in the same namespace this one connects to. */
  dependencies: string[];
  memoryLimitMi: number;
  pods: PodPlan[];
}

export interface NamespacePlan {
  name: string;
  uid: string;
  system: boolean;
  team?: string;
  domain?: string;
  createdAt: number;
  workloads: WorkloadPlan[];
}

export interface LoadBalancerPlan {
  /** `in-tree` for the legacy cloud provider (instance targets on NodePorts), `controller` for the AWS Load Balancer Controller (IP targets). */
  provider: 'in-tree' | 'controller';
  name: string;
  id: string;
  scheme: 'internet-facing' | 'internal';
  serviceName: string;
  serviceUid: string;
  namespace: string;
  workload: WorkloadPlan;
  ports: Array<{ name: string; port: number; targetPort: ContainerPort; nodePort: number; targetGroupName: string; targetGroupId: string; listenerId: string }>;
  interfaces: InterfacePlan[];
  createdAt: number;
  /** Frontend security group of a controller-managed load balancer. */
  securityGroupId?: string;
}

export interface SecurityGroupIds {
  cluster: string;
  controlPlane: string;
  nodes: string;
  bastion: string;
  database: string;
  /** The AWS Load Balancer Controller's shared backend group, when it manages any load balancer. */
  backend?: string;
}

export interface ClusterPlan {
  counts: SizeCounts;
  seed: number;
  vpcId: string;
  vpcCidrs: string[];
  subnets: SubnetPlan[];
  nodes: NodePlan[];
  namespaces: NamespacePlan[];
  loadBalancers: LoadBalancerPlan[];
  /** Interfaces of NAT gateways, the EKS control plane and databases. */
  otherInterfaces: InterfacePlan[];
  natGatewayIds: string[];
  securityGroups: SecurityGroupIds;
  clusterCreatedAt: number;
}

/** Lays out the whole cluster for the given counts and seed. */
export function planCluster(counts: SizeCounts, seed: number): ClusterPlan {
  const random = new Random(seed);
  const ids = new IdFactory(random.fork('ids'));
  const clusterCreatedAt = SNAPSHOT_TIME - 400 * DAY;

  const securityGroups: SecurityGroupIds = {
    cluster: ids.next('sg'),
    controlPlane: ids.next('sg'),
    nodes: ids.next('sg'),
    bastion: ids.next('sg'),
    database: ids.next('sg'),
  };
  const publicSubnets = ZONE_NAMES.map((_, zone) => makeSubnet(ids, 'public', zone, subdivide(VPC_CIDR, 20, zone)));
  const nodeSubnets = ZONE_NAMES.map((_, zone) => makeSubnet(ids, 'node', zone, subdivide(VPC_CIDR, 18, zone + 1)));

  const nodes = planNodes(counts, random.fork('nodes'), ids, nodeSubnets, securityGroups, clusterCreatedAt);
  const namespaces = planNamespaces(counts, random.fork('namespaces'), clusterCreatedAt);
  placePods(namespaces, nodes, random.fork('pods'));
  const podSubnets = assignAddresses(nodes, nodeSubnets, ids);

  const loadBalancers = planLoadBalancers(counts, random.fork('load-balancers'), ids, namespaces, publicSubnets, nodeSubnets);
  if (loadBalancers.some((lb) => lb.provider === 'controller')) securityGroups.backend = ids.next('sg');
  for (const lb of loadBalancers) {
    if (lb.provider === 'controller') lb.securityGroupId = ids.next('sg');
    for (const eni of lb.interfaces) eni.groupIds = lb.securityGroupId && securityGroups.backend ? [lb.securityGroupId, securityGroups.backend] : [];
  }

  const natGatewayIds = ZONE_NAMES.map(() => ids.next('nat'));
  const otherInterfaces = planOtherInterfaces(ids, publicSubnets, nodeSubnets, natGatewayIds, securityGroups, clusterCreatedAt);

  const podBlocks = Math.ceil(podSubnets.length / 2 ** (POD_SUBNET_PREFIX - 16));
  const vpcCidrs = [VPC_CIDR, ...Array.from({ length: podBlocks }, (_, index) => subdivide(POD_ADDRESS_SPACE, 16, index))];
  return {
    counts,
    seed,
    vpcId: ids.next('vpc'),
    vpcCidrs,
    subnets: [...publicSubnets, ...nodeSubnets, ...podSubnets],
    nodes,
    namespaces,
    loadBalancers,
    otherInterfaces,
    natGatewayIds,
    securityGroups,
    clusterCreatedAt,
  };
}

/** Counts every pod of the plan, system and DaemonSet pods included. */
export function countPods(plan: ClusterPlan): number {
  return plan.namespaces.reduce((total, namespace) => total + namespace.workloads.reduce((sum, workload) => sum + workload.pods.length, 0), 0);
}

export function allInterfaces(plan: ClusterPlan): InterfacePlan[] {
  return [...plan.nodes.flatMap((node) => node.interfaces), ...plan.loadBalancers.flatMap((lb) => lb.interfaces), ...plan.otherInterfaces];
}

// --- nodes --------------------------------------------------------------------------------------------

function planNodes(counts: SizeCounts, random: Random, ids: IdFactory, nodeSubnets: SubnetPlan[], groups: SecurityGroupIds, clusterCreatedAt: number): NodePlan[] {
  const nodeInterfaces = counts.networkInterfaces - counts.loadBalancers * ZONES - OTHER_NETWORK_INTERFACES;
  const perNode = Math.floor(nodeInterfaces / counts.nodes);
  const extra = nodeInterfaces - perNode * counts.nodes;
  const nodes: NodePlan[] = [];
  for (let index = 0; index < counts.nodes; index++) {
    const zone = index % ZONES;
    const subnet = nodeSubnets[zone] as SubnetPlan;
    const ip = subnet.pool.next();
    const launchTime = clusterCreatedAt + random.int(300, 399) * DAY + random.int(0, DAY - 1);
    const instanceId = ids.next('i');
    const node: NodePlan = {
      index,
      name: privateDnsName(ip, REGION),
      instanceId,
      zone,
      ip,
      instanceType: random.chance(0.8) ? 'm6i.2xlarge' : 'm6i.4xlarge',
      nodegroup: `general-${Math.floor(index / NODES_PER_NODEGROUP) + 1}`,
      launchTime: Math.min(launchTime, SNAPSHOT_TIME - DAY),
      interfaces: [],
      networkPods: [],
    };
    const interfaceCount = perNode + (index < extra ? 1 : 0);
    for (let device = 0; device < interfaceCount; device++) {
      node.interfaces.push({
        id: ids.next('eni'),
        mac: ids.mac(),
        subnet,
        primaryIp: device === 0 ? ip : '',
        secondaryIps: [],
        deviceIndex: device,
        kind: 'node',
        // The VPC CNI describes the interfaces it attaches with the instance ID.
        description: device === 0 ? '' : `aws-K8S-${instanceId}`,
        groupIds: [groups.cluster],
        attachmentId: ids.next('eni-attach'),
        attachTime: node.launchTime + device * 60_000,
        node,
      });
    }
    nodes.push(node);
  }
  return nodes;
}

/**
 * Places the pod-network pods of each node on its secondary interfaces, carves pod subnets for them and
 * hands out every address. A node with a single interface keeps its pods in its node subnet.
 */
function assignAddresses(nodes: NodePlan[], nodeSubnets: SubnetPlan[], ids: IdFactory): SubnetPlan[] {
  const demand = ZONE_NAMES.map(() => 0);
  for (const node of nodes) {
    const secondaries = node.interfaces.length - 1;
    if (secondaries > 0) demand[node.zone] = (demand[node.zone] as number) + secondaries + node.networkPods.length;
  }

  // Pod subnets are numbered zone by zone, so that each zone's subnets are adjacent in the address space.
  const podSubnets: SubnetPlan[] = [];
  const byZone: SubnetPlan[][] = ZONE_NAMES.map(() => []);
  const perSubnet = new AddressPool(subdivide(POD_ADDRESS_SPACE, POD_SUBNET_PREFIX, 0)).capacity;
  for (let zone = 0; zone < ZONES; zone++) {
    // Headroom: an interface never spans subnets, so a subnet can end with unused addresses.
    const needed = Math.max(1, Math.ceil(((demand[zone] as number) * 1.05) / perSubnet));
    for (let k = 0; k < needed; k++) {
      const subnet = makeSubnet(ids, 'pod', zone, subdivide(POD_ADDRESS_SPACE, POD_SUBNET_PREFIX, podSubnets.length));
      podSubnets.push(subnet);
      (byZone[zone] as SubnetPlan[]).push(subnet);
    }
  }

  const cursor = ZONE_NAMES.map(() => 0);
  for (const node of nodes) {
    const secondaries = node.interfaces.slice(1);
    if (secondaries.length === 0) {
      const primary = node.interfaces[0] as InterfacePlan;
      for (const pod of node.networkPods) {
        pod.ip = (nodeSubnets[node.zone] as SubnetPlan).pool.next();
        primary.secondaryIps.push(pod.ip);
      }
      continue;
    }
    const share = secondaries.map(() => [] as PodPlan[]);
    node.networkPods.forEach((pod, index) => (share[index % secondaries.length] as PodPlan[]).push(pod));
    secondaries.forEach((eni, k) => {
      const pods = share[k] as PodPlan[];
      const zoneSubnets = byZone[node.zone] as SubnetPlan[];
      while ((zoneSubnets[cursor[node.zone] as number] as SubnetPlan).pool.free < pods.length + 1) {
        cursor[node.zone] = (cursor[node.zone] as number) + 1;
        if ((cursor[node.zone] as number) >= zoneSubnets.length) throw new RangeError(`pod subnets of ${ZONE_NAMES[node.zone]} are full`);
      }
      const subnet = zoneSubnets[cursor[node.zone] as number] as SubnetPlan;
      eni.subnet = subnet;
      eni.primaryIp = subnet.pool.next();
      for (const pod of pods) {
        pod.ip = subnet.pool.next();
        eni.secondaryIps.push(pod.ip);
      }
    });
  }
  return podSubnets;
}

function planOtherInterfaces(ids: IdFactory, publicSubnets: SubnetPlan[], nodeSubnets: SubnetPlan[], natGatewayIds: string[], groups: SecurityGroupIds, clusterCreatedAt: number): InterfacePlan[] {
  const interfaces: InterfacePlan[] = [];
  const add = (subnet: SubnetPlan, kind: InterfacePlan['kind'], description: string, groupIds: string[], publicIp?: string) => {
    interfaces.push({
      id: ids.next('eni'),
      mac: ids.mac(),
      subnet,
      primaryIp: subnet.pool.next(),
      secondaryIps: [],
      deviceIndex: kind === 'eks' ? 1 : 0,
      kind,
      description,
      groupIds,
      attachmentId: ids.next('ela-attach'),
      attachTime: clusterCreatedAt,
      ...(publicIp ? { publicIp } : {}),
    });
  };
  natGatewayIds.forEach((natId, zone) => add(publicSubnets[zone] as SubnetPlan, 'nat-gateway', `Interface for NAT Gateway ${natId}`, [], `198.51.100.${10 + zone}`));
  for (let k = 0; k < 2; k++) add(nodeSubnets[k] as SubnetPlan, 'eks', `Amazon EKS ${CLUSTER_NAME}`, [groups.cluster, groups.controlPlane]);
  for (let zone = 0; zone < ZONES; zone++) add(nodeSubnets[zone] as SubnetPlan, 'database', 'RDSNetworkInterface', [groups.database]);
  return interfaces;
}

function makeSubnet(ids: IdFactory, tier: Tier, zone: number, cidr: string): SubnetPlan {
  const zoneName = ZONE_NAMES[zone] as string;
  return { id: ids.next('subnet'), name: `${CLUSTER_NAME}-${tier}-${zoneName}`, cidr, zone, tier, pool: new AddressPool(cidr) };
}

// --- namespaces and workloads ---------------------------------------------------------------------------

function planNamespaces(counts: SizeCounts, random: Random, clusterCreatedAt: number): NamespacePlan[] {
  const system = systemNamespaces(random, clusterCreatedAt);
  const applications: NamespacePlan[] = [];
  const domainUse = new Map<string, number>();
  for (let index = 0; index < counts.namespaces; index++) {
    const domain = DOMAINS[index % DOMAINS.length] as string;
    const used = (domainUse.get(domain) ?? 0) + 1;
    domainUse.set(domain, used);
    applications.push({
      name: used === 1 ? domain : `${domain}-${used}`,
      uid: random.uuid(),
      system: false,
      team: random.pick(TEAMS),
      domain,
      createdAt: clusterCreatedAt + random.int(1, 300) * DAY,
      workloads: [],
    });
  }

  // Workloads per namespace vary around the mean, and every namespace gets at least one.
  const quotas = apportion(counts.workloads - counts.namespaces, applications.map(() => random.int(1, 9))).map((quota) => quota + 1);
  const daemonSetPods = counts.nodes * DAEMONSETS_PER_NODE;
  const applicationPods = counts.pods - daemonSetPods - SYSTEM_DEPLOYMENT_PODS;
  applications.forEach((namespace, index) => {
    namespace.workloads = planApplicationWorkloads(namespace, quotas[index] as number, random);
  });
  setReplicas(applications.flatMap((namespace) => namespace.workloads), applicationPods, random);
  return [...system, ...applications];
}

function systemNamespaces(random: Random, clusterCreatedAt: number): NamespacePlan[] {
  const make = (name: string): NamespacePlan => ({ name, uid: random.uuid(), system: true, createdAt: clusterCreatedAt, workloads: [] });
  const kubeSystem = make('kube-system');
  const ingress = make('ingress-nginx');
  const monitoring = make('monitoring');
  const calico = make('calico-system');
  const operator = make('tigera-operator');
  const system = (
    namespace: NamespacePlan,
    kind: WorkloadPlan['kind'],
    name: string,
    selector: Record<string, string>,
    image: string,
    ports: ContainerPort[],
    options: { hostNetwork?: boolean; replicas?: number } = {},
  ) => {
    namespace.workloads.push(
      workload(random, {
        kind,
        namespace: namespace.name,
        name,
        role: 'system',
        replicas: options.replicas ?? 0,
        selector,
        labels: { ...selector },
        containerName: name.replace(/-controller$/, ''),
        image,
        ports,
        hostNetwork: options.hostNetwork ?? false,
        memoryLimitMi: 256,
        dependencies: [],
      }),
    );
  };
  // DaemonSets: one pod per node (DAEMONSETS_PER_NODE of them). Deployments: SYSTEM_DEPLOYMENT_PODS pods in all.
  system(kubeSystem, 'DaemonSet', 'aws-node', { 'k8s-app': 'aws-node' }, '602401143452.dkr.ecr.eu-west-1.amazonaws.com/amazon-k8s-cni:v1.19.2-eksbuild.1', [{ name: 'metrics', containerPort: 61678 }], { hostNetwork: true });
  system(kubeSystem, 'DaemonSet', 'kube-proxy', { 'k8s-app': 'kube-proxy' }, '602401143452.dkr.ecr.eu-west-1.amazonaws.com/eks/kube-proxy:v1.30.6-minimal-eksbuild.3', [], { hostNetwork: true });
  system(calico, 'DaemonSet', 'calico-node', { 'k8s-app': 'calico-node' }, 'quay.io/calico/node:v3.29.1', [], { hostNetwork: true });
  system(monitoring, 'DaemonSet', 'fluent-bit', { 'app.kubernetes.io/name': 'fluent-bit', 'app.kubernetes.io/instance': 'fluent-bit' }, 'cr.fluentbit.io/fluent/fluent-bit:3.2.2', [{ name: 'http', containerPort: 2020 }]);
  system(kubeSystem, 'Deployment', 'coredns', { 'k8s-app': 'kube-dns' }, '602401143452.dkr.ecr.eu-west-1.amazonaws.com/eks/coredns:v1.11.3-eksbuild.2', [{ name: 'dns', containerPort: 53 }, { name: 'dns-tcp', containerPort: 53 }, { name: 'metrics', containerPort: 9153 }], { replicas: 2 });
  system(
    ingress,
    'Deployment',
    'ingress-nginx-controller',
    { 'app.kubernetes.io/component': 'controller', 'app.kubernetes.io/instance': 'ingress-nginx', 'app.kubernetes.io/name': 'ingress-nginx' },
    'registry.k8s.io/ingress-nginx/controller:v1.11.3',
    [{ name: 'http', containerPort: 80 }, { name: 'https', containerPort: 443 }, { name: 'metrics', containerPort: 10254 }],
    { replicas: 3 },
  );
  system(monitoring, 'Deployment', 'prometheus-server', { 'app.kubernetes.io/name': 'prometheus', 'app.kubernetes.io/instance': 'prometheus', 'app.kubernetes.io/component': 'server' }, 'quay.io/prometheus/prometheus:v2.55.1', [{ name: 'web', containerPort: 9090 }], { replicas: 1 });
  system(calico, 'Deployment', 'calico-kube-controllers', { 'k8s-app': 'calico-kube-controllers' }, 'quay.io/calico/kube-controllers:v3.29.1', [], { replicas: 1 });
  system(operator, 'Deployment', 'tigera-operator', { name: 'tigera-operator' }, 'quay.io/tigera/operator:v1.36.2', [], { replicas: 1 });
  return [make('default'), make('kube-public'), make('kube-node-lease'), kubeSystem, calico, operator, ingress, monitoring];
}

/** Roles of one namespace's workloads: datastores first, then one web front end, then APIs and workers. */
function planApplicationWorkloads(namespace: NamespacePlan, quota: number, random: Random): WorkloadPlan[] {
  const roles: Array<Exclude<Role, 'system'>> = [];
  if (quota >= 3) roles.push('postgresql');
  if (quota >= 5 && random.chance(0.7)) roles.push('redis');
  if (quota >= 8 && random.chance(0.3)) roles.push('mongodb');
  if (quota >= 2) roles.push('web');
  while (roles.length < quota) roles.push(random.chance(0.65) ? 'api' : 'worker');

  const used = new Set<string>();
  const nouns = random.shuffled(SERVICE_NOUNS);
  let nounIndex = 0;
  const uniqueName = (role: 'web' | 'api' | 'worker') => {
    for (;;) {
      const noun = nouns[nounIndex % nouns.length] as string;
      const round = Math.floor(nounIndex / nouns.length);
      nounIndex += 1;
      const suffix = random.pick(ROLE_SUFFIXES[role]);
      const name = round === 0 ? `${noun}-${suffix}` : `${noun}-${suffix}-${round + 1}`;
      if (!used.has(name)) {
        used.add(name);
        return name;
      }
    }
  };

  const team = namespace.team as string;
  const workloads = roles.map((role) => {
    if (role === 'postgresql' || role === 'redis' || role === 'mongodb') return datastore(namespace, role, random);
    const name = uniqueName(role);
    const selector = { 'app.kubernetes.io/instance': name, 'app.kubernetes.io/name': name };
    const ports: ContainerPort[] = role === 'worker' ? [] : [{ name: 'http', containerPort: 8080 }];
    if (role === 'api' && random.chance(0.4)) ports.push({ name: 'grpc', containerPort: 9000 });
    ports.push({ name: 'metrics', containerPort: 9090 });
    return workload(random, {
      kind: 'Deployment',
      namespace: namespace.name,
      name,
      role,
      replicas: 0,
      selector,
      labels: { ...selector, 'app.kubernetes.io/component': role, 'app.kubernetes.io/part-of': namespace.domain as string, team },
      containerName: name,
      image: `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/${team}/${name}:1.${random.int(0, 60)}.${random.int(0, 20)}`,
      ports,
      hostNetwork: false,
      team,
      helmChart: `${name}-0.${random.int(1, 30)}.0`,
      memoryLimitMi: random.pick([256, 512, 768, 1024, 2048]),
      dependencies: [],
    });
  });

  // Front ends call APIs; APIs and workers use the datastores and some other APIs.
  const byRole = (role: Role) => workloads.filter((candidate) => candidate.role === role).map((candidate) => candidate.name);
  const apis = byRole('api');
  const stores = [...byRole('postgresql'), ...byRole('redis'), ...byRole('mongodb')];
  for (const item of workloads) {
    if (item.role === 'web') item.dependencies = random.shuffled(apis).slice(0, Math.min(3, apis.length));
    if (item.role === 'api' || item.role === 'worker') {
      const others = random.shuffled(apis.filter((name) => name !== item.name)).slice(0, random.int(0, 2));
      const usedStores = stores.filter((_, index) => index === 0 || random.chance(0.4));
      item.dependencies = [...usedStores, ...others];
    }
  }
  return workloads;
}

const DATASTORES = {
  postgresql: { image: 'docker.io/bitnami/postgresql:16.4.0-debian-12-r14', port: { name: 'tcp-postgresql', containerPort: 5432 }, component: 'primary', suffix: 'postgresql', memory: 2048 },
  redis: { image: 'docker.io/bitnami/redis:7.4.1-debian-12-r0', port: { name: 'redis', containerPort: 6379 }, component: 'master', suffix: 'redis-master', memory: 1024 },
  mongodb: { image: 'docker.io/bitnami/mongodb:7.0.14-debian-12-r0', port: { name: 'mongodb', containerPort: 27017 }, component: 'mongodb', suffix: 'mongodb', memory: 2048 },
} as const;

function datastore(namespace: NamespacePlan, role: 'postgresql' | 'redis' | 'mongodb', random: Random): WorkloadPlan {
  const spec = DATASTORES[role];
  const release = namespace.name;
  const chartName = role;
  const selector = { 'app.kubernetes.io/component': spec.component, 'app.kubernetes.io/instance': release, 'app.kubernetes.io/name': chartName };
  return workload(random, {
    kind: 'StatefulSet',
    namespace: namespace.name,
    name: `${release}-${spec.suffix}`,
    role,
    replicas: 0,
    selector,
    labels: { ...selector, 'app.kubernetes.io/managed-by': 'Helm', 'helm.sh/chart': `${chartName}-${random.int(12, 16)}.${random.int(0, 9)}.${random.int(0, 9)}`, team: namespace.team as string },
    containerName: role,
    image: spec.image,
    ports: [{ ...spec.port }, ...(role === 'postgresql' && random.chance(0.5) ? [{ name: 'http-metrics', containerPort: 9187 }] : [])],
    hostNetwork: false,
    team: namespace.team as string,
    helmChart: `${chartName}`,
    memoryLimitMi: spec.memory,
    dependencies: [],
  });
}

type WorkloadInput = Omit<WorkloadPlan, 'uid' | 'templateHash' | 'replicaSetUid' | 'createdAt' | 'stability' | 'pods' | 'previousTemplateHash' | 'previousReplicaSetUid'>;

function workload(random: Random, input: WorkloadInput): WorkloadPlan {
  const createdAt = SNAPSHOT_TIME - random.int(2, 300) * DAY - random.int(0, DAY - 1);
  const stability: Stability =
    input.role === 'system' ? 'stable' : random.weighted<Stability>([['stable', 95], ['crash-loop', 2], ['probe-failures', 2], ['oom-killed', 1]]);
  const plan: WorkloadPlan = {
    ...input,
    uid: random.uuid(),
    templateHash: random.kubeSuffix(10),
    replicaSetUid: random.uuid(),
    createdAt,
    stability,
    pods: [],
  };
  if (input.kind === 'Deployment' && random.chance(0.6)) {
    plan.previousTemplateHash = random.kubeSuffix(10);
    plan.previousReplicaSetUid = random.uuid();
  }
  return plan;
}

/** Sets replica counts so that the application workloads have exactly `total` pods. */
function setReplicas(workloads: WorkloadPlan[], total: number, random: Random): void {
  const stateful = workloads.filter((item) => item.kind === 'StatefulSet');
  const deployments = workloads.filter((item) => item.kind === 'Deployment');
  for (const item of stateful) item.replicas = item.role === 'redis' ? random.pick([1, 3]) : random.pick([1, 2, 3]);
  let statefulPods = stateful.reduce((sum, item) => sum + item.replicas, 0);
  if (statefulPods > total - deployments.length) {
    for (const item of stateful) item.replicas = 1;
    statefulPods = stateful.length;
  }
  if (deployments.length === 0) {
    // Only datastores: spread the pods over them.
    apportion(total - stateful.length, stateful.map(() => 1)).forEach((extra, index) => ((stateful[index] as WorkloadPlan).replicas = 1 + extra));
    return;
  }
  const weights = deployments.map((item) => (item.role === 'worker' ? random.int(1, 6) : random.int(1, 14)));
  apportion(total - statefulPods - deployments.length, weights).forEach((extra, index) => ((deployments[index] as WorkloadPlan).replicas = 1 + extra));
}

/** Creates every pod and spreads them over the nodes, DaemonSet pods one per node. */
function placePods(namespaces: NamespacePlan[], nodes: NodePlan[], random: Random): void {
  let cursor = 0;
  for (const namespace of namespaces) {
    // Generated suffixes collide now and then (27^5 values, thousands of DaemonSet pods): draw again, as the API server does.
    const names = new Set<string>();
    const uniqueName = (prefix: string) => {
      for (;;) {
        const name = `${prefix}-${random.kubeSuffix(5)}`;
        if (!names.has(name)) {
          names.add(name);
          return name;
        }
      }
    };
    for (const item of namespace.workloads) {
      const count = item.kind === 'DaemonSet' ? nodes.length : item.replicas;
      item.replicas = count;
      for (let ordinal = 0; ordinal < count; ordinal++) {
        const node = item.kind === 'DaemonSet' ? (nodes[ordinal] as NodePlan) : (nodes[cursor++ % nodes.length] as NodePlan);
        let name = `${item.name}-${ordinal}`;
        if (item.kind === 'Deployment') name = uniqueName(`${item.name}-${item.templateHash}`);
        else if (item.kind === 'DaemonSet') name = uniqueName(item.name);
        const pod: PodPlan = {
          name,
          uid: random.uuid(),
          ordinal,
          node,
          ip: item.hostNetwork ? node.ip : '',
          createdAt: Math.max(item.createdAt, node.launchTime) + random.int(0, 3_600_000),
        };
        item.pods.push(pod);
        if (!item.hostNetwork) node.networkPods.push(pod);
      }
    }
  }
}

// --- load balancers -----------------------------------------------------------------------------------

function planLoadBalancers(counts: SizeCounts, random: Random, ids: IdFactory, namespaces: NamespacePlan[], publicSubnets: SubnetPlan[], nodeSubnets: SubnetPlan[]): LoadBalancerPlan[] {
  const ingress = namespaces.find((namespace) => namespace.name === 'ingress-nginx')?.workloads[0] as WorkloadPlan;
  const candidates = namespaces.filter((namespace) => !namespace.system).flatMap((namespace) => namespace.workloads.filter((item) => item.role === 'web' || item.role === 'api'));
  const chosen = [ingress, ...candidates.filter((item) => item.role === 'web'), ...candidates.filter((item) => item.role === 'api')].slice(0, counts.loadBalancers);
  const nodePorts = new Set<number>();
  const nodePort = () => {
    for (;;) {
      const port = random.int(30000, 32767);
      if (!nodePorts.has(port)) {
        nodePorts.add(port);
        return port;
      }
    }
  };

  return chosen.map((item, index) => {
    // The ingress controller and every other one after it use the in-tree provider, as in older clusters.
    const provider = index % 2 === 0 ? 'in-tree' : 'controller';
    const scheme = index === 0 || random.chance(0.5) ? 'internet-facing' : 'internal';
    const serviceName = item.role === 'system' ? item.name : `${item.name}-public`;
    const serviceUid = random.uuid();
    const name = provider === 'in-tree' ? `a${serviceUid.replaceAll('-', '').slice(0, 31)}` : `k8s-${item.namespace.slice(0, 8)}-${serviceName.slice(0, 8)}-${random.hex(10)}`;
    const targetPorts = item.role === 'system' ? item.ports.filter((port) => port.name === 'http' || port.name === 'https') : item.ports.filter((port) => port.name === 'http');
    const ports = targetPorts.map((targetPort) => ({
      name: targetPort.name,
      port: targetPort.name === 'https' || item.role !== 'system' ? 443 : 80,
      targetPort,
      nodePort: nodePort(),
      targetGroupName: `k8s-${item.namespace.slice(0, 8)}-${serviceName.slice(0, 8)}-${random.hex(10)}`,
      targetGroupId: random.hex(16),
      listenerId: random.hex(16),
    }));
    const subnets = scheme === 'internet-facing' ? publicSubnets : nodeSubnets;
    const id = random.hex(16);
    const createdAt = item.createdAt + random.int(0, 3_600_000);
    const interfaces = subnets.map((subnet, zone): InterfacePlan => ({
      id: ids.next('eni'),
      mac: ids.mac(),
      subnet,
      primaryIp: subnet.pool.next(),
      secondaryIps: [],
      deviceIndex: 1,
      kind: 'load-balancer',
      description: `ELB net/${name}/${id}`,
      groupIds: [],
      attachmentId: ids.next('ela-attach'),
      attachTime: createdAt,
      ...(scheme === 'internet-facing' ? { publicIp: `203.0.113.${(index * ZONES + zone) % 250 + 1}` } : {}),
    }));
    return { provider, name, id, scheme, serviceName, serviceUid, namespace: item.namespace, workload: item, ports, interfaces, createdAt };
  });
}

// --- helpers ------------------------------------------------------------------------------------------

/** Splits `total` into whole parts proportional to `weights` (largest remainder method). */
export function apportion(total: number, weights: number[]): number[] {
  if (weights.length === 0) return [];
  const sum = weights.reduce((a, b) => a + b, 0);
  const exact = weights.map((weight) => (total * weight) / sum);
  const parts = exact.map(Math.floor);
  let left = total - parts.reduce((a, b) => a + b, 0);
  const order = exact.map((value, index) => [value - Math.floor(value), index] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (const [, index] of order) {
    if (left === 0) break;
    parts[index] = (parts[index] as number) + 1;
    left -= 1;
  }
  return parts;
}

/** AWS resource IDs: the type prefix and 17 hex digits, unique within one plan. */
class IdFactory {
  private readonly seen = new Set<string>();

  constructor(private readonly random: Random) {}

  next(prefix: string): string {
    for (;;) {
      const id = `${prefix}-0${this.random.hex(16)}`;
      if (!this.seen.has(id)) {
        this.seen.add(id);
        return id;
      }
    }
  }

  /** Returns a locally administered unicast MAC address, as EC2 assigns them (`02:…`). */
  mac(): string {
    return `02:${[0, 1, 2, 3, 4].map(() => this.random.hex(2)).join(':')}`;
  }
}
