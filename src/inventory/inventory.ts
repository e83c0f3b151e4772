import type * as m from './model.js';
import type { LabelSelector } from './schemas/kubernetes.js';
import { matchesLabelSelector, matchesServiceSelector } from './selectors.js';

/** The plain data of an inventory: one array per kind, in snapshot file order. */
export interface InventoryData {
  /** Kinds for which the snapshot had an output, even an empty one. A kind not listed here is missing. */
  present: Set<m.ResourceKind>;
  /** Kinds that live collection could not read, from the snapshot manifest, with each failed API call. */
  collectionGaps: Map<m.ResourceKind, CollectionGap[]>;
  vpcs: m.Vpc[];
  subnets: m.Subnet[];
  routeTables: m.RouteTable[];
  internetGateways: m.InternetGateway[];
  natGateways: m.NatGateway[];
  networkAcls: m.NetworkAcl[];
  securityGroups: m.SecurityGroup[];
  networkInterfaces: m.NetworkInterface[];
  instances: m.Instance[];
  loadBalancers: m.LoadBalancerWithAttributes[];
  listeners: m.Listener[];
  targetGroups: m.TargetGroup[];
  eksClusters: m.EksCluster[];
  prefixLists: m.ManagedPrefixList[];
  namespaces: m.Namespace[];
  nodes: m.Node[];
  pods: m.Pod[];
  services: m.Service[];
  endpointSlices: m.EndpointSlice[];
  networkPolicies: m.NetworkPolicy[];
  events: m.KubeEvent[];
  deployments: m.Workload[];
  replicaSets: m.Workload[];
  statefulSets: m.Workload[];
  daemonSets: m.Workload[];
  jobs: m.Workload[];
  cronJobs: m.CronJob[];
  ingresses: m.Ingress[];
  ingressClasses: m.IngressClass[];
  authorizationPolicies: m.AuthorizationPolicy[];
  calicoPolicies: m.CalicoPolicy[];
  calicoNetworkSets: m.CalicoNetworkSet[];
  calicoProfiles: m.CalicoProfile[];
  calicoTiers: m.CalicoTier[];
  podMetrics: m.PodMetrics[];
}

/** One API call of a live collection that returned no data, as `rampart-manifest.json` records it. */
export interface CollectionGap {
  status: 'forbidden' | 'not-found' | 'failed';
  /** The call: an IAM action such as `ec2:DescribeSecurityGroups`, or `list pods`. */
  api: string;
  region?: string;
  error: string;
}

export function emptyInventoryData(): InventoryData {
  return {
    present: new Set(),
    collectionGaps: new Map(),
    vpcs: [],
    subnets: [],
    routeTables: [],
    internetGateways: [],
    natGateways: [],
    networkAcls: [],
    securityGroups: [],
    networkInterfaces: [],
    instances: [],
    loadBalancers: [],
    listeners: [],
    targetGroups: [],
    eksClusters: [],
    prefixLists: [],
    namespaces: [],
    nodes: [],
    pods: [],
    services: [],
    endpointSlices: [],
    networkPolicies: [],
    events: [],
    deployments: [],
    replicaSets: [],
    statefulSets: [],
    daemonSets: [],
    jobs: [],
    cronJobs: [],
    ingresses: [],
    ingressClasses: [],
    authorizationPolicies: [],
    calicoPolicies: [],
    calicoNetworkSets: [],
    calicoProfiles: [],
    calicoTiers: [],
    podMetrics: [],
  };
}

/** A controller that owns pods, resolved through the owner chain (Pod → ReplicaSet → Deployment). */
export interface OwningWorkload {
  kind: string;
  namespace?: string;
  name: string;
  /** The workload object when the snapshot has it; absent when only the owner reference names it. */
  object?: m.Workload | m.CronJob;
}

/**
 * The typed, indexed model every engine and check reads. It is never mutated after loading, and indexes
 * are built on first use so that a check that does not need one does not pay for it.
 */
export class Inventory {
  readonly data: InventoryData;
  private cache = new Map<string, unknown>();

  constructor(data: InventoryData) {
    this.data = data;
  }

  has(kind: m.ResourceKind): boolean {
    return this.data.present.has(kind);
  }

  // --- Kubernetes lookups ---

  podsInNamespace(namespace: string): m.Pod[] {
    return this.index('podsByNamespace', () => groupBy(this.data.pods, (pod) => pod.metadata.namespace ?? 'default')).get(namespace) ?? [];
  }

  podsMatching(namespace: string, selector: LabelSelector | undefined): m.Pod[] {
    return this.podsInNamespace(namespace).filter((pod) => matchesLabelSelector(selector, pod.metadata.labels));
  }

  servicesSelecting(pod: m.Pod): m.Service[] {
    const namespace = pod.metadata.namespace ?? 'default';
    return this.servicesInNamespace(namespace).filter((service) => matchesServiceSelector(service.spec.selector, pod.metadata.labels));
  }

  servicesInNamespace(namespace: string): m.Service[] {
    return this.index('servicesByNamespace', () => groupBy(this.data.services, (service) => service.metadata.namespace ?? 'default')).get(namespace) ?? [];
  }

  service(namespace: string, name: string): m.Service | undefined {
    return this.servicesInNamespace(namespace).find((service) => service.metadata.name === name);
  }

  eventsFor(kind: string, namespace: string | undefined, name: string): m.KubeEvent[] {
    const byObject = this.index('eventsByObject', () => groupBy(this.data.events, (event) => `${event.involvedKind}/${event.involvedNamespace ?? ''}/${event.involvedName}`));
    return byObject.get(`${kind}/${namespace ?? ''}/${name}`) ?? [];
  }

  podMetricsFor(namespace: string | undefined, name: string): m.PodMetrics | undefined {
    const byPod = this.index('metricsByPod', () => new Map(this.data.podMetrics.map((metrics) => [`${metrics.metadata.namespace}/${metrics.metadata.name}`, metrics])));
    return byPod.get(`${namespace}/${name}`);
  }

  workload(kind: string, namespace: string | undefined, name: string): m.Workload | m.CronJob | undefined {
    const byKey = this.index('workloadsByKey', () => {
      const map = new Map<string, m.Workload | m.CronJob>();
      for (const [workloadKind, list] of this.workloadLists()) {
        for (const workload of list) map.set(`${workloadKind}/${workload.metadata.namespace ?? ''}/${workload.metadata.name}`, workload);
      }
      return map;
    });
    return byKey.get(`${kind}/${namespace ?? ''}/${name}`);
  }

  /** Lists the workload objects of the snapshot by kind, owners (Deployments) before what they own. */
  workloadLists(): Array<[m.WorkloadKind | 'CronJob', Array<m.Workload | m.CronJob>]> {
    return [
      ['Deployment', this.data.deployments],
      ['StatefulSet', this.data.statefulSets],
      ['DaemonSet', this.data.daemonSets],
      ['ReplicaSet', this.data.replicaSets],
      ['Job', this.data.jobs],
      ['CronJob', this.data.cronJobs],
    ];
  }

  /**
   * Finds the workload that owns a pod: follows the controller owner reference to a ReplicaSet, Job, DaemonSet or
   * StatefulSet, and from a ReplicaSet to its Deployment and from a Job to its CronJob. Owners above those
   * (an operator's custom resource that owns a DaemonSet) are not workloads and are not followed. A pod
   * without a controller is its own workload.
   */
  owningWorkload(pod: m.Pod): OwningWorkload {
    const namespace = pod.metadata.namespace;
    const self: OwningWorkload = { kind: 'Pod', namespace, name: pod.metadata.name };
    const owner = controllerOf(pod.metadata.ownerReferences);
    if (!owner || !WORKLOAD_KINDS.has(owner.kind)) return self;

    const object = this.workload(owner.kind, namespace, owner.name);
    const direct: OwningWorkload = { kind: owner.kind, namespace, name: owner.name, ...(object ? { object } : {}) };
    const parentKind = PARENT_KIND[owner.kind];
    if (!parentKind) return direct;

    const parent = controllerOf(object?.metadata.ownerReferences);
    if (parent && parent.kind === parentKind) {
      const parentObject = this.workload(parent.kind, namespace, parent.name);
      return { kind: parent.kind, namespace, name: parent.name, ...(parentObject ? { object: parentObject } : {}) };
    }
    // A ReplicaSet missing from the snapshot still names its Deployment: `<deployment>-<pod-template-hash>`.
    const hash = pod.metadata.labels['pod-template-hash'];
    if (!object && owner.kind === 'ReplicaSet' && hash && owner.name.endsWith(`-${hash}`)) {
      const name = owner.name.slice(0, -hash.length - 1);
      const deployment = this.workload('Deployment', namespace, name);
      return { kind: 'Deployment', namespace, name, ...(deployment ? { object: deployment } : {}) };
    }
    return direct;
  }

  /** Finds the workload a workload object belongs to: a ReplicaSet's Deployment, a Job's CronJob, else itself. */
  workloadOwner(object: m.Workload | m.CronJob): OwningWorkload {
    const namespace = object.metadata.namespace;
    const self: OwningWorkload = { kind: object.kind, namespace, name: object.metadata.name, object };
    const parentKind = PARENT_KIND[object.kind];
    const parent = controllerOf(object.metadata.ownerReferences);
    if (!parentKind || !parent || parent.kind !== parentKind) return self;
    const parentObject = this.workload(parent.kind, namespace, parent.name);
    return { kind: parent.kind, namespace, name: parent.name, ...(parentObject ? { object: parentObject } : {}) };
  }

  // --- AWS lookups ---

  networkInterfaceByIp(ip: string): m.NetworkInterface | undefined {
    const byIp = this.index('eniByIp', () => {
      const map = new Map<string, m.NetworkInterface>();
      for (const eni of this.data.networkInterfaces) {
        if (eni.PrivateIpAddress) map.set(eni.PrivateIpAddress, eni);
        for (const address of eni.PrivateIpAddresses) {
          map.set(address.PrivateIpAddress, eni);
          if (address.Association?.PublicIp) map.set(address.Association.PublicIp, eni);
        }
        if (eni.Association?.PublicIp) map.set(eni.Association.PublicIp, eni);
        for (const address of eni.Ipv6Addresses) map.set(address.Ipv6Address, eni);
      }
      return map;
    });
    return byIp.get(ip);
  }

  /** Finds the EC2 instance behind a Kubernetes Node by `spec.providerID`, else by private DNS name or IP. */
  instanceForNode(node: m.Node): m.Instance | undefined {
    const providerId = node.spec?.providerID;
    const instanceId = providerId?.startsWith('aws://') ? providerId.slice(providerId.lastIndexOf('/') + 1) : undefined;
    if (instanceId) {
      const instance = this.instance(instanceId);
      if (instance) return instance;
    }
    const internalIp = node.status?.addresses?.find((address) => address.type === 'InternalIP')?.address;
    return this.data.instances.find((instance) => instance.PrivateDnsName === node.metadata.name || (internalIp !== undefined && instance.PrivateIpAddress === internalIp));
  }

  instance(instanceId: string): m.Instance | undefined {
    return this.index('instanceById', () => new Map(this.data.instances.map((instance) => [instance.InstanceId, instance]))).get(instanceId);
  }

  node(name: string): m.Node | undefined {
    return this.index('nodeByName', () => new Map(this.data.nodes.map((node) => [node.metadata.name, node]))).get(name);
  }

  loadBalancerByDnsName(dnsName: string): m.LoadBalancerWithAttributes | undefined {
    const byDns = this.index('lbByDns', () => new Map(this.data.loadBalancers.flatMap((lb) => (lb.DNSName ? [[lb.DNSName.toLowerCase(), lb] as const] : []))));
    return byDns.get(dnsName.toLowerCase().replace(/\.$/, ''));
  }

  securityGroup(groupId: string): m.SecurityGroup | undefined {
    return this.index('sgById', () => new Map(this.data.securityGroups.map((group) => [group.GroupId, group]))).get(groupId);
  }

  subnet(subnetId: string): m.Subnet | undefined {
    return this.index('subnetById', () => new Map(this.data.subnets.map((subnet) => [subnet.SubnetId, subnet]))).get(subnetId);
  }

  private index<T>(name: string, build: () => T): T {
    let value = this.cache.get(name) as T | undefined;
    if (value === undefined) {
      value = build();
      this.cache.set(name, value);
    }
    return value;
  }
}

const WORKLOAD_KINDS = new Set(['ReplicaSet', 'Deployment', 'StatefulSet', 'DaemonSet', 'Job', 'CronJob']);
const PARENT_KIND: Record<string, string> = { ReplicaSet: 'Deployment', Job: 'CronJob' };

function controllerOf(references: Array<{ kind: string; name: string; controller?: boolean }> | undefined) {
  return references?.find((reference) => reference.controller) ?? references?.[0];
}

function groupBy<T>(items: T[], key: (item: T) => string): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = map.get(k);
    if (list) list.push(item);
    else map.set(k, [item]);
  }
  return map;
}
