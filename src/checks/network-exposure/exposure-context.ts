import {
  AddressSet,
  describePath,
  internetExposure,
  networkOf,
  ruleOwner,
  serviceRef,
  type AwsNetwork,
  type ExposurePath,
  type LoadBalancerInfo,
  type RuleOwner,
  type SecurityGroupRule,
  type SecurityGroupRuleSpec,
  type ServiceInfo,
} from '../../engines/aws/index.js';
import type { Inventory } from '../../inventory/inventory.js';
import type { Evidence, EvidencePath, PathHop } from '../types.js';
import type { KubernetesOwner } from '../fixes/aws-network.js';

// What the network-exposure checks share: the internet exposure of the snapshot indexed by the rule
// that opened each path, who owns a rule, and how a rule or a path reads in a finding.

/** Ports of administrative and data services that should never face the internet. */
export const ADMIN_PORTS: ReadonlyArray<{ port: number; name: string }> = [
  { port: 22, name: 'SSH' },
  { port: 23, name: 'Telnet' },
  { port: 445, name: 'SMB' },
  { port: 1433, name: 'SQL Server' },
  { port: 1521, name: 'Oracle' },
  { port: 2375, name: 'Docker API' },
  { port: 2376, name: 'Docker API (TLS)' },
  { port: 2379, name: 'etcd' },
  { port: 2380, name: 'etcd peer' },
  { port: 3306, name: 'MySQL' },
  { port: 3389, name: 'RDP' },
  { port: 5432, name: 'PostgreSQL' },
  { port: 5601, name: 'Kibana' },
  { port: 5900, name: 'VNC' },
  { port: 5984, name: 'CouchDB' },
  { port: 6379, name: 'Redis' },
  { port: 6443, name: 'Kubernetes API' },
  { port: 9042, name: 'Cassandra' },
  { port: 9200, name: 'Elasticsearch' },
  { port: 9300, name: 'Elasticsearch transport' },
  { port: 10250, name: 'kubelet' },
  { port: 10255, name: 'kubelet read-only' },
  { port: 11211, name: 'Memcached' },
  { port: 27017, name: 'MongoDB' },
];

export interface ExposureContext {
  network: AwsNetwork;
  paths: ExposurePath[];
  /** Paths by the key of the security group rule that admitted them at the target. */
  pathsByRule: Map<string, ExposurePath[]>;
  notModelled: string[];
}

const contexts = new WeakMap<Inventory, ExposureContext>();

export function exposureContext(inventory: Inventory): ExposureContext {
  let context = contexts.get(inventory);
  if (context) return context;
  const network = networkOf(inventory);
  const result = internetExposure(inventory);
  const pathsByRule = new Map<string, ExposurePath[]>();
  for (const path of result.paths) {
    for (const key of path.ruleKeys) {
      const list = pathsByRule.get(key) ?? [];
      list.push(path);
      pathsByRule.set(key, list);
    }
  }
  context = { network, paths: result.paths, pathsByRule, notModelled: result.notModelled };
  contexts.set(inventory, context);
  return context;
}

/** True when a rule admits a whole address family: `0.0.0.0/0`, `::/0`, or a prefix list holding one. */
export function admitsWholeInternet(rule: SecurityGroupRule): boolean {
  if (rule.peer.kind === 'cidr') return rule.peer.prefix === 0;
  if (rule.peer.kind === 'prefix-list' && rule.peer.addresses) return rule.peer.addresses.covers(AddressSet.ALL_IPV4) || rule.peer.addresses.covers(AddressSet.ALL_IPV6);
  return false;
}

/** Lists the administrative ports a rule opens. */
export function adminPortsOf(rule: SecurityGroupRule): Array<{ port: number; name: string }> {
  if (rule.protocol !== 'all' && rule.protocol !== 6) return [];
  return ADMIN_PORTS.filter((entry) => rule.range[0] <= entry.port && entry.port <= rule.range[1]);
}

/** True when every port the rule opens is administrative, so the admin-port check reports it alone. */
export function onlyAdminPorts(rule: SecurityGroupRule): boolean {
  if (rule.protocol !== 6 || rule.range[1] - rule.range[0] >= ADMIN_PORTS.length) return false;
  for (let port = rule.range[0]; port <= rule.range[1]; port++) {
    if (!ADMIN_PORTS.some((entry) => entry.port === port)) return false;
  }
  return true;
}

export interface OwnedRule {
  owner?: RuleOwner;
  service?: ServiceInfo;
  loadBalancer?: LoadBalancerInfo;
}

/** Finds the controller, Service and load balancer behind a rule from its description. */
export function ownerOfRule(network: AwsNetwork, rule: SecurityGroupRule): OwnedRule {
  const owner = ruleOwner(rule);
  if (!owner) return {};
  const loadBalancer = owner.loadBalancerName ? network.loadBalancers.find((lb) => lb.name === owner.loadBalancerName) : undefined;
  const service = loadBalancer?.services[0] ?? (owner.loadBalancerName ? network.services.find((candidate) => candidate.inTreeName === owner.loadBalancerName) : undefined);
  return { owner, ...(service ? { service } : {}), ...(loadBalancer ? { loadBalancer } : {}) };
}

export function kubernetesOwner(service: ServiceInfo, controller: KubernetesOwner['controller']): KubernetesOwner {
  return {
    namespace: service.namespace,
    name: service.name,
    controller,
    ...(service.helmRelease ? { helmRelease: service.helmRelease } : {}),
    ...(service.appName ? { appName: service.appName } : {}),
  };
}

/** Turns a compiled rule into a spec the CLI and Terraform renderers can write back. */
export function specOf(rule: SecurityGroupRule): SecurityGroupRuleSpec {
  const peer = rule.peer;
  return {
    ipProtocol: rule.ipProtocol,
    ...(rule.fromPort === undefined ? {} : { fromPort: rule.fromPort }),
    ...(rule.toPort === undefined ? {} : { toPort: rule.toPort }),
    ...(peer.kind === 'cidr' ? { cidr: peer.cidr } : peer.kind === 'group' ? { groupId: peer.groupId } : { prefixListId: peer.prefixListId }),
    ...(rule.description ? { description: rule.description } : {}),
  };
}

/** Turns a path into evidence: one sentence with every hop, sourced at the rule that let it in. */
export function pathEvidence(path: ExposurePath): Evidence {
  const rule = path.hops.find((hop) => hop.kind === 'security-group-rule' && hop.leg === 'request' && path.ruleKeys.length > 0);
  const verdict = path.verdict === 'unresolved' ? ' (unresolved: a hop could not be evaluated from the snapshot)' : '';
  const through = path.loadBalancer ? ` through ${path.loadBalancer.name}` : ' directly';
  return { fact: `Path${through}: ${describePath(path)}${verdict}.`, ...(rule?.source ? { source: rule.source } : {}) };
}

/** Turns a path into the finding's structured evidence, with hops trimmed to the fields reports use. */
export function evidencePath(path: ExposurePath): EvidencePath {
  return {
    source: path.source,
    protocol: path.protocol,
    port: path.port,
    target: path.target,
    hops: path.hops.map((hop): PathHop => ({ kind: hop.kind, id: hop.id, decision: hop.decision, ...(hop.source ? { source: hop.source } : {}) })),
  };
}

export function groupLabel(network: AwsNetwork, groupId: string): string {
  const name = network.securityGroups.get(groupId)?.name;
  return name ? `${name} (${groupId})` : groupId;
}

export function regionOfGroup(inventory: Inventory, groupId: string): string | undefined {
  return inventory.securityGroup(groupId)?.region;
}

/** Ports of a rule as words: `port 22`, `ports 30000-32767`, `all ports`. */
export function portsText(rule: SecurityGroupRule): string {
  if (rule.protocol === 'all') return 'all protocols and ports';
  if (rule.range[0] === 0 && rule.range[1] === 65535) return 'all ports';
  return rule.range[0] === rule.range[1] ? `port ${rule.range[0]}` : `ports ${rule.range[0]}-${rule.range[1]}`;
}

export function serviceLabel(service: ServiceInfo): string {
  return `Service ${serviceRef(service)}`;
}

/** True when a path reaches `port`: its port is that number, a range holding it, or `all`. */
export function pathCoversPort(path: ExposurePath, port: number): boolean {
  if (typeof path.port === 'number') return path.port === port;
  if (path.port === 'all') return true;
  const match = /^(\d+)-(\d+)$/.exec(path.port);
  return match !== null && Number(match[1]) <= port && port <= Number(match[2]);
}
