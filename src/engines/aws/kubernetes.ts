import type { Inventory } from '../../inventory/inventory.js';
import type * as m from '../../inventory/model.js';
import type { SourceRef } from '../../inventory/source.js';
import type { SecurityGroupRule } from './security-groups.js';
import { compareText } from '../../compare.js';

// Kubernetes Services from the AWS side: the NodePorts every node listens on, the load
// balancer a LoadBalancer Service asked for, and the security group rules a cloud controller wrote
// because of it. Annotation names are those of the in-tree AWS cloud provider and of the AWS Load
// Balancer Controller (`service.beta.kubernetes.io/aws-load-balancer-*`).

const ANNOTATION = 'service.beta.kubernetes.io/aws-load-balancer-';

export type LoadBalancerController = 'in-tree' | 'aws-load-balancer-controller' | 'none';

export interface ServicePortInfo {
  name?: string;
  protocol: string;
  port: number;
  nodePort?: number;
  targetPort?: number | string;
}

export interface ServiceInfo {
  namespace: string;
  name: string;
  uid?: string;
  type: string;
  ports: ServicePortInfo[];
  healthCheckNodePort?: number;
  externalTrafficPolicy: 'Cluster' | 'Local';
  /** `spec.loadBalancerSourceRanges`; empty means the controller admits 0.0.0.0/0. */
  sourceRanges: string[];
  hostnames: string[];
  controller: LoadBalancerController;
  /** The load balancer name the in-tree provider derives from the Service UID: `a` + UID without dashes, 32 characters. */
  inTreeName?: string;
  annotations: {
    type?: string;
    targetType?: string;
    scheme?: string;
    internal?: string;
    securityGroups?: string[];
    targetGroupAttributes?: string;
  };
  helmRelease?: { name: string; namespace?: string };
  /** `app.kubernetes.io/name`, used to name the chart value that sets source ranges (ingress-nginx). */
  appName?: string;
  source: SourceRef;
}

export type RuleRole = 'client' | 'health' | 'mtu' | 'unknown';

/** The writer of a security group rule, read from its description. */
export interface RuleOwner {
  controller: Exclude<LoadBalancerController, 'none'>;
  role: RuleRole;
  loadBalancerName?: string;
}

export function buildServices(inventory: Inventory): ServiceInfo[] {
  return inventory.data.services
    .filter((service) => service.spec.type === 'LoadBalancer' || service.spec.type === 'NodePort')
    .map((service) => describeService(service))
    .sort((a, b) => compareText(`${a.namespace}/${a.name}`, `${b.namespace}/${b.name}`));
}

/**
 * Finds the owner of a rule the cloud controllers write. The in-tree provider describes NodePort rules
 * as `kubernetes.io/rule/nlb/{client,health,mtu}=<load balancer name>`. The AWS Load Balancer Controller
 * writes `elbv2.k8s.aws/targetGroupBinding=shared` on rules it manages in node groups.
 */
export function ruleOwner(rule: SecurityGroupRule): RuleOwner | undefined {
  const description = rule.description ?? '';
  const inTree = /^kubernetes\.io\/rule\/nlb\/(client|health|mtu)(?:=(\S+))?/.exec(description);
  if (inTree) return { controller: 'in-tree', role: inTree[1] as RuleRole, ...(inTree[2] ? { loadBalancerName: inTree[2] } : {}) };
  if (description.startsWith('elbv2.k8s.aws/targetGroupBinding')) return { controller: 'aws-load-balancer-controller', role: 'unknown' };
  return undefined;
}

/** Lists the NodePorts of a Service, with the health check NodePort of `externalTrafficPolicy: Local`. */
export function nodePortsOf(service: ServiceInfo): number[] {
  const ports = service.ports.flatMap((port) => (port.nodePort ? [port.nodePort] : []));
  if (service.healthCheckNodePort) ports.push(service.healthCheckNodePort);
  return [...new Set(ports)].sort((a, b) => a - b);
}

export function serviceRef(service: ServiceInfo): string {
  return `${service.namespace}/${service.name}`;
}

// --- helpers ------------------------------------------------------------------------------------

function describeService(service: m.Service): ServiceInfo {
  const annotations = service.metadata.annotations;
  const get = (suffix: string) => annotations[`${ANNOTATION}${suffix}`];
  const type = get('type');
  const securityGroups = get('security-groups');
  const uid = service.metadata.uid;
  const release = service.metadata.annotations['meta.helm.sh/release-name'];
  const releaseNamespace = service.metadata.annotations['meta.helm.sh/release-namespace'];
  const appName = service.metadata.labels['app.kubernetes.io/name'];
  return {
    namespace: service.metadata.namespace ?? 'default',
    name: service.metadata.name,
    ...(uid ? { uid, inTreeName: `a${uid.replace(/-/g, '')}`.slice(0, 32) } : {}),
    type: service.spec.type ?? 'ClusterIP',
    ports: (service.spec.ports ?? []).map((port) => ({
      ...(port.name ? { name: port.name } : {}),
      protocol: port.protocol ?? 'TCP',
      port: port.port,
      ...(port.nodePort ? { nodePort: port.nodePort } : {}),
      ...(port.targetPort === undefined ? {} : { targetPort: port.targetPort }),
    })),
    ...(service.spec.healthCheckNodePort ? { healthCheckNodePort: service.spec.healthCheckNodePort } : {}),
    externalTrafficPolicy: service.spec.externalTrafficPolicy === 'Local' ? 'Local' : 'Cluster',
    sourceRanges: service.spec.loadBalancerSourceRanges ?? [],
    hostnames: (service.status?.loadBalancer?.ingress ?? []).flatMap((ingress) => (ingress.hostname ? [ingress.hostname.toLowerCase()] : [])),
    controller: controllerOf(service),
    annotations: {
      ...(type ? { type } : {}),
      ...(get('nlb-target-type') ? { targetType: get('nlb-target-type') } : {}),
      ...(get('scheme') ? { scheme: get('scheme') } : {}),
      ...(get('internal') ? { internal: get('internal') } : {}),
      ...(securityGroups ? { securityGroups: securityGroups.split(',').map((group) => group.trim()).filter(Boolean) } : {}),
      ...(get('target-group-attributes') ? { targetGroupAttributes: get('target-group-attributes') } : {}),
    },
    ...(release ? { helmRelease: { name: release, ...(releaseNamespace ? { namespace: releaseNamespace } : {}) } } : {}),
    ...(appName ? { appName } : {}),
    source: service.source,
  };
}

/**
 * Identifies the controller that provisions the load balancer: the AWS Load Balancer Controller for
 * `loadBalancerClass: service.k8s.aws/nlb` and the `external` and `nlb-ip` types, the in-tree provider
 * for every other LoadBalancer Service (an NLB with type `nlb`, else a Classic Load Balancer).
 */
function controllerOf(service: m.Service): LoadBalancerController {
  if (service.spec.type !== 'LoadBalancer') return 'none';
  if (service.spec.loadBalancerClass === 'service.k8s.aws/nlb') return 'aws-load-balancer-controller';
  const type = service.metadata.annotations[`${ANNOTATION}type`];
  if (type === 'external' || type === 'nlb-ip') return 'aws-load-balancer-controller';
  if (service.spec.loadBalancerClass) return 'none';
  return 'in-tree';
}
