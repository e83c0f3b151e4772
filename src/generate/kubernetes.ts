import path from 'node:path';
import { addressAt } from './addresses.js';
import { loadBalancerDnsName, type WrittenFile } from './aws.js';
import { StreamingJsonFile } from './json-writer.js';
import { CLUSTER_NAME, KUBERNETES_VERSION, REGION, SERVICE_CIDR, SNAPSHOT_TIME, ZONE_IDS, ZONE_NAMES, type ClusterPlan, type LoadBalancerPlan, type NamespacePlan, type NodePlan, type WorkloadPlan } from './plan.js';
import { buildCalicoResources, buildNetworkPolicies } from './policies.js';
import { containerStatus, eventObject, kubeTime, podEvents, podObject, resourceVersion, templateSpec, workloadTemplate, type PodEvent, type WorkloadTemplate } from './pods.js';
import type { Random } from './random.js';

// kubectl outputs of the synthetic cluster. Namespaced objects go to one file per namespace, each the
// output of `kubectl get pods,services,endpointslices,deployments,replicasets,statefulsets,daemonsets,
// ingresses,networkpolicies -n NAMESPACE -o json`. One file for the whole cluster would pass 512 MiB for
// the huge size, more than a V8 string can hold, and reading a file as one string is how Rampart loads it.

type KubeObject = Record<string, unknown>;

const DAY = 86_400_000;
/** Kinds in the order kubectl lists them for the `get` above. */
const KIND_ORDER = ['Pod', 'Service', 'EndpointSlice', 'Deployment', 'ReplicaSet', 'StatefulSet', 'DaemonSet', 'Ingress', 'NetworkPolicy'];
const MAX_ENDPOINTS_PER_SLICE = 100;

export function writeKubernetesOutputs(plan: ClusterPlan, root: string, random: Random): WrittenFile[] {
  const written: WrittenFile[] = [];
  const list = (file: string) => new StreamingJsonFile(path.join(root, file), 'kubectl', (items) => ({ apiVersion: 'v1', items, kind: 'List', metadata: { resourceVersion: '' } }));
  const finish = (file: string, output: StreamingJsonFile) => written.push({ file, bytes: output.close() });

  const cluster = list('kubernetes/cluster.json');
  for (const namespace of sortedBy(plan.namespaces, (item) => item.name)) cluster.add(namespaceObject(namespace));
  const nodeRandom = random.fork('nodes');
  for (const node of sortedBy(plan.nodes, (item) => item.name)) cluster.add(nodeObject(node, nodeRandom));
  finish('kubernetes/cluster.json', cluster);

  const exposed = new Set(plan.loadBalancers.filter((lb) => lb.provider === 'controller').map((lb) => lb.workload));
  const policies = buildNetworkPolicies(plan.namespaces, plan.counts.policies - plan.counts.calicoPolicies, exposed, random.fork('network-policies'));
  const services = new ServiceAddresses();
  const events: PodEvent[] = [];
  const workloadRandom = random.fork('workloads');
  for (const namespace of plan.namespaces) {
    const file = `kubernetes/workloads.${namespace.name}.json`;
    const output = list(file);
    const objects = namespaceObjects(plan, namespace, policies.get(namespace.name) ?? [], services, events, workloadRandom);
    for (const object of objects) output.add(object);
    finish(file, output);
  }

  const eventRandom = random.fork('events');
  const eventFile = list('kubernetes/events.json');
  const sortedEvents = events.map((event) => eventObject(event, eventRandom)).sort((a, b) => compareKeys(eventKey(a), eventKey(b)));
  for (const event of sortedEvents) eventFile.add(event);
  finish('kubernetes/events.json', eventFile);

  const calico = buildCalicoResources(plan.counts.calicoPolicies, random.fork('calico'));
  const calicoFile = list('kubernetes/calico.json');
  for (const item of [...calico.policies, ...calico.networkSets]) calicoFile.add(item);
  finish('kubernetes/calico.json', calicoFile);
  return written;
}

/** Builds every object of one namespace, grouped by kind in kubectl's order and sorted by name within a kind. */
function namespaceObjects(plan: ClusterPlan, namespace: NamespacePlan, policies: KubeObject[], services: ServiceAddresses, events: PodEvent[], random: Random): KubeObject[] {
  const objects: KubeObject[] = [...policies];
  const serviceHost = (name: string) => `${name}.${namespace.name}.svc.cluster.local`;
  for (const workload of namespace.workloads) {
    const template = workloadTemplate(workload, serviceHost, random);
    objects.push(...workloadObjects(workload, template, events, random));
    for (const service of servicesOf(plan, workload, services, random)) {
      objects.push(service.object);
      objects.push(...endpointSlices(workload, service, random));
    }
    if (workload.role === 'web') objects.push(ingressObject(plan, workload, random));
  }
  if (namespace.name === 'default') {
    const endpoints = plan.otherInterfaces.filter((eni) => eni.kind === 'eks').map((eni) => eni.primaryIp);
    objects.push(kubernetesService(random), kubernetesEndpointSlice(endpoints, random));
  }
  return objects.sort((a, b) => KIND_ORDER.indexOf(a.kind as string) - KIND_ORDER.indexOf(b.kind as string) || compareKeys(nameOf(a), nameOf(b)));
}

// --- cluster-scoped -------------------------------------------------------------------------------------

function namespaceObject(namespace: NamespacePlan): KubeObject {
  const labels: Record<string, string> = { 'kubernetes.io/metadata.name': namespace.name };
  if (namespace.team) Object.assign(labels, { environment: 'production', team: namespace.team });
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { creationTimestamp: kubeTime(namespace.createdAt), labels, name: namespace.name, resourceVersion: String(1000 + namespace.name.length), uid: namespace.uid },
    spec: { finalizers: ['kubernetes'] },
    status: { phase: 'Active' },
  };
}

function nodeObject(node: NodePlan, random: Random): KubeObject {
  const large = node.instanceType === 'm6i.4xlarge';
  const zone = ZONE_NAMES[node.zone] as string;
  const resources = (cpu: string, memory: string) => ({ cpu, 'ephemeral-storage': large ? '95551679124' : '47233297124', 'hugepages-1Gi': '0', 'hugepages-2Mi': '0', memory, pods: large ? '234' : '58' });
  const condition = (type: string, status: string, reason: string, message: string) => ({
    lastHeartbeatTime: kubeTime(SNAPSHOT_TIME - random.int(5, 55) * 1_000),
    lastTransitionTime: kubeTime(node.launchTime + 30_000),
    message,
    reason,
    status,
    type,
  });
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      annotations: { 'alpha.kubernetes.io/provided-node-ip': node.ip, 'node.alpha.kubernetes.io/ttl': '0', 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' },
      creationTimestamp: kubeTime(node.launchTime + 20_000),
      labels: {
        'beta.kubernetes.io/arch': 'amd64',
        'beta.kubernetes.io/instance-type': node.instanceType,
        'beta.kubernetes.io/os': 'linux',
        'eks.amazonaws.com/capacityType': 'ON_DEMAND',
        'eks.amazonaws.com/nodegroup': node.nodegroup,
        'failure-domain.beta.kubernetes.io/region': REGION,
        'failure-domain.beta.kubernetes.io/zone': zone,
        'k8s.io/cloud-provider-aws': random.hex(32),
        'kubernetes.io/arch': 'amd64',
        'kubernetes.io/hostname': node.name,
        'kubernetes.io/os': 'linux',
        'node.kubernetes.io/instance-type': node.instanceType,
        'topology.k8s.aws/zone-id': ZONE_IDS[node.zone] as string,
        'topology.kubernetes.io/region': REGION,
        'topology.kubernetes.io/zone': zone,
      },
      name: node.name,
      resourceVersion: resourceVersion(random),
      uid: random.uuid(),
    },
    spec: { providerID: `aws:///${zone}/${node.instanceId}` },
    status: {
      addresses: [
        { address: node.ip, type: 'InternalIP' },
        { address: node.name, type: 'InternalDNS' },
        { address: node.name, type: 'Hostname' },
      ],
      allocatable: resources(large ? '15890m' : '7910m', large ? '63399260Ki' : '31482280Ki'),
      capacity: resources(large ? '16' : '8', large ? '65023836Ki' : '32506712Ki'),
      conditions: [
        condition('MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'),
        condition('DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'),
        condition('PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'),
        condition('Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'),
      ],
      daemonEndpoints: { kubeletEndpoint: { Port: 10250 } },
      nodeInfo: {
        architecture: 'amd64',
        bootID: random.uuid(),
        containerRuntimeVersion: 'containerd://1.7.23',
        kernelVersion: '5.10.228-219.884.amzn2.x86_64',
        kubeProxyVersion: `v${KUBERNETES_VERSION}.6-eks-94953ac`,
        kubeletVersion: `v${KUBERNETES_VERSION}.6-eks-94953ac`,
        machineID: random.hex(32),
        operatingSystem: 'linux',
        osImage: 'Amazon Linux 2',
        systemUUID: `ec2${random.hex(5)}-${random.hex(4)}-${random.hex(4)}-${random.hex(4)}-${random.hex(12)}`,
      },
    },
  };
}

// --- workloads and pods --------------------------------------------------------------------------------

function workloadObjects(workload: WorkloadPlan, template: WorkloadTemplate, events: PodEvent[], random: Random): KubeObject[] {
  const objects: KubeObject[] = [];
  const revision = random.int(1, 40);
  const helm = workload.helmChart ? { 'meta.helm.sh/release-name': workload.selector['app.kubernetes.io/instance'] ?? workload.name, 'meta.helm.sh/release-namespace': workload.namespace } : {};
  const objectLabels = workload.role === 'system' ? { ...workload.selector } : { ...workload.labels, 'app.kubernetes.io/managed-by': 'Helm', 'helm.sh/chart': workload.helmChart as string };
  const meta = (name: string, uid: string, extra: KubeObject = {}) => ({
    creationTimestamp: kubeTime(workload.createdAt),
    generation: revision,
    labels: objectLabels,
    name,
    namespace: workload.namespace,
    resourceVersion: resourceVersion(random),
    uid,
    ...extra,
  });
  const ready = workload.stability === 'crash-loop' ? 0 : workload.replicas;
  const spec = templateSpec(workload, template);
  const templateMetadata = (labels: Record<string, string>) => ({
    ...(workload.role === 'system' ? {} : { annotations: { 'prometheus.io/port': '9090', 'prometheus.io/scrape': 'true' } }),
    creationTimestamp: null,
    labels,
  });

  let podLabels: (ordinal: number, podName: string) => Record<string, string>;
  let owner: { kind: string; name: string; uid: string };
  if (workload.kind === 'Deployment') {
    const replicaSetName = `${workload.name}-${workload.templateHash}`;
    owner = { kind: 'ReplicaSet', name: replicaSetName, uid: workload.replicaSetUid };
    const labels = { ...workload.labels, 'pod-template-hash': workload.templateHash };
    podLabels = () => labels;
    objects.push({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: meta(workload.name, workload.uid, { annotations: { 'deployment.kubernetes.io/revision': String(revision), ...helm } }),
      spec: {
        progressDeadlineSeconds: 600,
        replicas: workload.replicas,
        revisionHistoryLimit: 10,
        selector: { matchLabels: workload.selector },
        strategy: { rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' }, type: 'RollingUpdate' },
        template: { metadata: templateMetadata(workload.labels), spec },
      },
      status: {
        ...(ready > 0 ? { availableReplicas: ready } : {}),
        conditions: deploymentConditions(workload, ready),
        observedGeneration: revision,
        ...(ready > 0 ? { readyReplicas: ready } : {}),
        replicas: workload.replicas,
        ...(ready < workload.replicas ? { unavailableReplicas: workload.replicas - ready } : {}),
        updatedReplicas: workload.replicas,
      },
    });
    const replicaSet = (hash: string, uid: string, replicas: number, rev: number) => ({
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: {
        ...meta(`${workload.name}-${hash}`, uid, {
          annotations: { 'deployment.kubernetes.io/desired-replicas': String(workload.replicas), 'deployment.kubernetes.io/max-replicas': String(workload.replicas + Math.ceil(workload.replicas / 4)), 'deployment.kubernetes.io/revision': String(rev), ...helm },
          ownerReferences: [{ apiVersion: 'apps/v1', blockOwnerDeletion: true, controller: true, kind: 'Deployment', name: workload.name, uid: workload.uid }],
        }),
        labels: { ...workload.labels, 'pod-template-hash': hash },
      },
      spec: { replicas, selector: { matchLabels: { ...workload.selector, 'pod-template-hash': hash } }, template: { metadata: templateMetadata({ ...workload.labels, 'pod-template-hash': hash }), spec } },
      status: replicas > 0 ? { availableReplicas: ready, fullyLabeledReplicas: replicas, observedGeneration: 1, readyReplicas: ready, replicas } : { observedGeneration: 2, replicas: 0 },
    });
    objects.push(replicaSet(workload.templateHash, workload.replicaSetUid, workload.replicas, revision));
    if (workload.previousTemplateHash && workload.previousReplicaSetUid && revision > 1) objects.push(replicaSet(workload.previousTemplateHash, workload.previousReplicaSetUid, 0, revision - 1));
  } else if (workload.kind === 'StatefulSet') {
    owner = { kind: 'StatefulSet', name: workload.name, uid: workload.uid };
    const revisionName = `${workload.name}-${workload.templateHash}`;
    podLabels = (ordinal, podName) => ({ ...workload.labels, 'apps.kubernetes.io/pod-index': String(ordinal), 'controller-revision-hash': revisionName, 'statefulset.kubernetes.io/pod-name': podName });
    objects.push({
      apiVersion: 'apps/v1',
      kind: 'StatefulSet',
      metadata: meta(workload.name, workload.uid, { annotations: helm }),
      spec: {
        persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
        podManagementPolicy: 'OrderedReady',
        replicas: workload.replicas,
        revisionHistoryLimit: 10,
        selector: { matchLabels: workload.selector },
        serviceName: `${workload.name}-headless`,
        template: { metadata: templateMetadata(workload.labels), spec },
        updateStrategy: { rollingUpdate: { partition: 0 }, type: 'RollingUpdate' },
        volumeClaimTemplates: [
          {
            apiVersion: 'v1',
            kind: 'PersistentVolumeClaim',
            metadata: { creationTimestamp: null, name: 'data' },
            spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '20Gi' } }, storageClassName: 'gp3', volumeMode: 'Filesystem' },
            status: { phase: 'Pending' },
          },
        ],
      },
      status: {
        availableReplicas: ready,
        collisionCount: 0,
        currentReplicas: workload.replicas,
        currentRevision: revisionName,
        observedGeneration: revision,
        readyReplicas: ready,
        replicas: workload.replicas,
        updateRevision: revisionName,
        updatedReplicas: workload.replicas,
      },
    });
  } else {
    owner = { kind: 'DaemonSet', name: workload.name, uid: workload.uid };
    const labels = { ...workload.labels, 'controller-revision-hash': workload.templateHash, 'pod-template-generation': '1' };
    podLabels = () => labels;
    objects.push({
      apiVersion: 'apps/v1',
      kind: 'DaemonSet',
      metadata: meta(workload.name, workload.uid, { annotations: { 'deprecated.daemonset.template.generation': '1' } }),
      spec: {
        revisionHistoryLimit: 10,
        selector: { matchLabels: workload.selector },
        template: { metadata: templateMetadata(workload.labels), spec },
        updateStrategy: { rollingUpdate: { maxSurge: 0, maxUnavailable: '10%' }, type: 'RollingUpdate' },
      },
      status: {
        currentNumberScheduled: workload.replicas,
        desiredNumberScheduled: workload.replicas,
        numberAvailable: workload.replicas,
        numberMisscheduled: 0,
        numberReady: workload.replicas,
        observedGeneration: 1,
        updatedNumberScheduled: workload.replicas,
      },
    });
  }

  for (const pod of workload.pods) {
    const status = containerStatus(workload, template, pod, random);
    objects.push(podObject(workload, template, pod, podLabels(pod.ordinal, pod.name), owner, status, random));
    events.push(...podEvents(workload, pod, status.restartCount, random));
  }
  return objects;
}

function deploymentConditions(workload: WorkloadPlan, ready: number): KubeObject[] {
  const at = kubeTime(workload.createdAt + 60_000);
  const available = ready >= Math.max(1, Math.floor(workload.replicas * 0.75));
  const replicaSet = `${workload.name}-${workload.templateHash}`;
  return [
    {
      lastTransitionTime: available ? at : kubeTime(SNAPSHOT_TIME - 3_600_000),
      lastUpdateTime: available ? at : kubeTime(SNAPSHOT_TIME - 3_600_000),
      message: available ? 'Deployment has minimum availability.' : 'Deployment does not have minimum availability.',
      reason: available ? 'MinimumReplicasAvailable' : 'MinimumReplicasUnavailable',
      status: available ? 'True' : 'False',
      type: 'Available',
    },
    {
      lastTransitionTime: at,
      lastUpdateTime: at,
      message: `ReplicaSet "${replicaSet}" has successfully progressed.`,
      reason: 'NewReplicaSetAvailable',
      status: 'True',
      type: 'Progressing',
    },
  ];
}

// --- services ---------------------------------------------------------------------------------------------

interface ServiceOutput {
  object: KubeObject;
  name: string;
  uid: string;
  /** Ports of the EndpointSlice: the container ports the Service's target ports resolve to. */
  ports: Array<{ name: string; port: number; protocol: string }>;
}

/** Cluster IPs handed out in order; 172.20.0.1 and .10 are the `kubernetes` and `kube-dns` Services, as on EKS. */
class ServiceAddresses {
  private next = 11;

  allocate(): string {
    return addressAt(SERVICE_CIDR, this.next++);
  }
}

function servicesOf(plan: ClusterPlan, workload: WorkloadPlan, addresses: ServiceAddresses, random: Random): ServiceOutput[] {
  const outputs: ServiceOutput[] = [];
  const byName = new Map(workload.ports.map((port) => [port.name, port]));
  const add = (name: string, ports: Array<{ name: string; port: number; target: string }>, options: { clusterIP?: string; headless?: boolean; loadBalancer?: LoadBalancerPlan } = {}) => {
    const uid = options.loadBalancer?.serviceUid ?? random.uuid();
    const clusterIP = options.headless ? 'None' : (options.clusterIP ?? addresses.allocate());
    const lb = options.loadBalancer;
    const protocolOf = (target: string) => (byName.get(target)?.name === 'dns' ? 'UDP' : 'TCP');
    const annotations: Record<string, string> = workload.helmChart ? { 'meta.helm.sh/release-name': workload.selector['app.kubernetes.io/instance'] ?? workload.name, 'meta.helm.sh/release-namespace': workload.namespace } : {};
    if (lb?.provider === 'in-tree') {
      annotations['service.beta.kubernetes.io/aws-load-balancer-type'] = 'nlb';
      if (lb.scheme === 'internal') annotations['service.beta.kubernetes.io/aws-load-balancer-internal'] = 'true';
    } else if (lb) {
      annotations['service.beta.kubernetes.io/aws-load-balancer-type'] = 'external';
      annotations['service.beta.kubernetes.io/aws-load-balancer-nlb-target-type'] = 'ip';
      annotations['service.beta.kubernetes.io/aws-load-balancer-scheme'] = lb.scheme;
    }
    const object: KubeObject = {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
        creationTimestamp: kubeTime(lb?.createdAt ?? workload.createdAt),
        ...(lb && lb.provider === 'controller' ? { finalizers: ['service.k8s.aws/resources'] } : lb ? { finalizers: ['service.kubernetes.io/load-balancer-cleanup'] } : {}),
        labels: workload.role === 'system' ? { ...workload.selector } : { ...workload.selector, 'app.kubernetes.io/managed-by': 'Helm' },
        name,
        namespace: workload.namespace,
        resourceVersion: resourceVersion(random),
        uid,
      },
      spec: {
        ...(lb ? { allocateLoadBalancerNodePorts: true, externalTrafficPolicy: 'Cluster' } : {}),
        clusterIP,
        clusterIPs: [clusterIP],
        internalTrafficPolicy: 'Cluster',
        ipFamilies: ['IPv4'],
        ipFamilyPolicy: 'SingleStack',
        ...(lb?.provider === 'controller' ? { loadBalancerClass: 'service.k8s.aws/nlb' } : {}),
        ports: ports.map((port) => {
          const nodePort = lb?.ports.find((candidate) => candidate.targetPort.name === port.target)?.nodePort;
          return { name: port.name, ...(nodePort ? { nodePort } : {}), port: port.port, protocol: protocolOf(port.target), targetPort: port.target };
        }),
        ...(options.headless ? { publishNotReadyAddresses: true } : {}),
        selector: workload.selector,
        sessionAffinity: 'None',
        type: lb ? 'LoadBalancer' : 'ClusterIP',
      },
      status: { loadBalancer: lb ? { ingress: [{ hostname: loadBalancerDnsName(lb) }] } : {} },
    };
    const slicePorts = ports.map((port) => ({ name: port.name, port: byName.get(port.target)?.containerPort ?? 0, protocol: protocolOf(port.target) }));
    outputs.push({ object, name, uid, ports: slicePorts });
  };

  const has = (name: string) => byName.has(name);
  if (workload.role === 'system') {
    if (workload.name === 'coredns') {
      add('kube-dns', [{ name: 'dns', port: 53, target: 'dns' }, { name: 'dns-tcp', port: 53, target: 'dns-tcp' }, { name: 'metrics', port: 9153, target: 'metrics' }], { clusterIP: addressAt(SERVICE_CIDR, 10) });
    } else if (workload.name === 'prometheus-server') {
      add('prometheus-server', [{ name: 'http', port: 80, target: 'web' }]);
    } else if (workload.name === 'ingress-nginx-controller') {
      add('ingress-nginx-controller', [{ name: 'http', port: 80, target: 'http' }, { name: 'https', port: 443, target: 'https' }], { loadBalancer: plan.loadBalancers.find((lb) => lb.workload === workload) });
    }
    return outputs;
  }
  if (workload.kind === 'StatefulSet') {
    const port = workload.ports[0] as { name: string; containerPort: number };
    add(workload.name, [{ name: port.name, port: port.containerPort, target: port.name }]);
    add(`${workload.name}-headless`, [{ name: port.name, port: port.containerPort, target: port.name }], { headless: true });
    return outputs;
  }
  const ports = [...(has('http') ? [{ name: 'http', port: 80, target: 'http' }] : []), ...(has('grpc') ? [{ name: 'grpc', port: 9000, target: 'grpc' }] : [])];
  if (ports.length > 0) add(workload.name, ports);
  const lb = plan.loadBalancers.find((candidate) => candidate.workload === workload);
  if (lb) add(lb.serviceName, lb.ports.map((port) => ({ name: port.name, port: port.port, target: port.targetPort.name })), { loadBalancer: lb });
  return outputs;
}

function endpointSlices(workload: WorkloadPlan, service: ServiceOutput, random: Random): KubeObject[] {
  const slices: KubeObject[] = [];
  const ready = workload.stability !== 'crash-loop';
  for (let start = 0; start < workload.pods.length || start === 0; start += MAX_ENDPOINTS_PER_SLICE) {
    const pods = workload.pods.slice(start, start + MAX_ENDPOINTS_PER_SLICE);
    slices.push({
      addressType: 'IPv4',
      apiVersion: 'discovery.k8s.io/v1',
      endpoints: pods.map((pod) => ({
        addresses: [pod.ip],
        conditions: { ready, serving: ready, terminating: false },
        nodeName: pod.node.name,
        targetRef: { kind: 'Pod', name: pod.name, namespace: workload.namespace, uid: pod.uid },
        zone: ZONE_NAMES[pod.node.zone],
      })),
      kind: 'EndpointSlice',
      metadata: {
        creationTimestamp: kubeTime(workload.createdAt),
        generateName: `${service.name}-`,
        generation: random.int(1, 300),
        labels: { 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io', 'kubernetes.io/service-name': service.name },
        name: `${service.name}-${random.kubeSuffix(5)}`,
        namespace: workload.namespace,
        ownerReferences: [{ apiVersion: 'v1', blockOwnerDeletion: true, controller: true, kind: 'Service', name: service.name, uid: service.uid }],
        resourceVersion: resourceVersion(random),
        uid: random.uuid(),
      },
      ports: service.ports,
    });
    if (pods.length === 0) break;
  }
  return slices;
}

function kubernetesService(random: Random): KubeObject {
  const clusterIP = addressAt(SERVICE_CIDR, 1);
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { creationTimestamp: kubeTime(SNAPSHOT_TIME - 400 * DAY), labels: { component: 'apiserver', provider: 'kubernetes' }, name: 'kubernetes', namespace: 'default', resourceVersion: resourceVersion(random), uid: random.uuid() },
    spec: {
      clusterIP,
      clusterIPs: [clusterIP],
      internalTrafficPolicy: 'Cluster',
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack',
      ports: [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 443 }],
      sessionAffinity: 'None',
      type: 'ClusterIP',
    },
    status: { loadBalancer: {} },
  };
}

function kubernetesEndpointSlice(addresses: string[], random: Random): KubeObject {
  return {
    addressType: 'IPv4',
    apiVersion: 'discovery.k8s.io/v1',
    endpoints: addresses.map((address) => ({ addresses: [address], conditions: { ready: true } })),
    kind: 'EndpointSlice',
    metadata: {
      creationTimestamp: kubeTime(SNAPSHOT_TIME - 400 * DAY),
      generation: 1,
      labels: { 'endpointslice.kubernetes.io/managed-by': 'endpointslicemirroring-controller.k8s.io', 'kubernetes.io/service-name': 'kubernetes' },
      name: 'kubernetes',
      namespace: 'default',
      resourceVersion: resourceVersion(random),
      uid: random.uuid(),
    },
    ports: [{ name: 'https', port: 443, protocol: 'TCP' }],
  };
}

function ingressObject(plan: ClusterPlan, workload: WorkloadPlan, random: Random): KubeObject {
  const controller = plan.loadBalancers.find((lb) => lb.workload.name === 'ingress-nginx-controller');
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: {
      annotations: { 'meta.helm.sh/release-name': workload.name, 'meta.helm.sh/release-namespace': workload.namespace },
      creationTimestamp: kubeTime(workload.createdAt),
      generation: 1,
      labels: { ...workload.selector, 'app.kubernetes.io/managed-by': 'Helm' },
      name: workload.name,
      namespace: workload.namespace,
      resourceVersion: resourceVersion(random),
      uid: random.uuid(),
    },
    spec: {
      ingressClassName: 'nginx',
      rules: [{ host: `${workload.name}.${workload.namespace}.${CLUSTER_NAME}.example.com`, http: { paths: [{ backend: { service: { name: workload.name, port: { name: 'http' } } }, path: '/', pathType: 'Prefix' }] } }],
    },
    status: { loadBalancer: controller ? { ingress: [{ hostname: loadBalancerDnsName(controller) }] } : {} },
  };
}

// --- helpers ------------------------------------------------------------------------------------------

function nameOf(object: KubeObject): string {
  return (object.metadata as { name: string }).name;
}

function eventKey(event: KubeObject): string {
  const metadata = event.metadata as { namespace: string; name: string };
  return `${metadata.namespace}/${metadata.name}`;
}

/** Byte-order comparison, as Go sorts names, independent of the locale. */
function compareKeys(a: string, b: string): number {
  if (a === b) return 0;
  return a < b ? -1 : 1;
}

function sortedBy<T>(items: T[], key: (item: T) => string): T[] {
  return [...items].sort((a, b) => compareKeys(key(a), key(b)));
}

