import {
  AddressSet,
  canonicalCidr,
  describePath,
  describeRuleSpec,
  internetExposure,
  networkOf,
  ruleOwner,
  serviceRef,
  type AwsNetwork,
  type ExposurePath,
  type LoadBalancerInfo,
  type NetworkChange,
  type RuleOwner,
  type SecurityGroupRule,
  type SecurityGroupRuleSpec,
  type ServiceInfo,
} from '../../engines/aws/index.js';
import type { Inventory } from '../../inventory/inventory.js';
import type { Evidence, EvidencePath, PathHop } from '../types.js';
import type { KubernetesOwner, ReplaceSecurityGroupRulesFix } from '../fixes/aws-network.js';

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

/** Joins the first `max` items and counts the rest: `a, b, c and 6 more`. */
export function listWithMore(items: readonly string[], max: number): string {
  if (items.length <= max) return items.join(', ');
  return `${items.slice(0, max).join(', ')} and ${items.length - max} more`;
}

/** The text a fix carries in place of the VPC's CIDR blocks when the snapshot does not have them. */
export const VPC_CIDR_PLACEHOLDER = 'VPC_CIDR';

export interface GroupVpcCidrs {
  vpcId?: string;
  /** The VPC's associated CIDR blocks from describe-vpcs; empty when they are unknown. */
  cidrs: string[];
  /** The reason the CIDR blocks are unknown, as a clause that can follow "but". */
  missing?: string;
}

/**
 * Finds the CIDR blocks of a security group's VPC: the group's VpcId, then that VPC's CIDR blocks in
 * describe-vpcs. The CIDRs of the VPC's subnets are not used in their place, because they can leave
 * out blocks that hold no subnet in the snapshot.
 */
export function vpcCidrsOfGroup(network: AwsNetwork, groupId: string): GroupVpcCidrs {
  const vpcId = network.securityGroups.get(groupId)?.vpcId;
  if (!vpcId) return { cidrs: [], missing: `${groupId} names no VPC` };
  const vpc = network.vpcs.get(vpcId);
  if (!vpc?.described || vpc.cidrTexts.length === 0) return { vpcId, cidrs: [], missing: `the CIDR blocks of ${vpcId} are not in the snapshot, because describe-vpcs does not list the VPC` };
  return { vpcId, cidrs: vpc.cidrTexts };
}

/** Says which value replaces the VPC placeholder in a fix, for a VPC whose CIDR blocks are unknown. */
export function vpcPlaceholderNote(vpc: GroupVpcCidrs, groupId: string): string {
  const what = vpc.vpcId ? `the CIDR blocks of ${vpc.vpcId}` : `the CIDR blocks of the VPC of ${groupId}`;
  return `${vpc.missing}, so replace ${VPC_CIDR_PLACEHOLDER} with ${what} before you apply this`;
}

export interface ReplaceRulesOptions {
  title: string;
  rationale: string;
  drops: string[];
  region?: string;
  owner?: KubernetesOwner;
  placeholders?: string[];
}

/**
 * Builds a fix that adds `authorize` and then revokes `revoke` in one group. Rules the group already
 * has are left out of `authorize`, because AWS rejects a duplicate permission and then adds none of
 * the call's rules. A fix with placeholders carries no engine changes, because it cannot be evaluated.
 */
export function replaceRulesFix(network: AwsNetwork, groupId: string, revoke: SecurityGroupRuleSpec[], authorize: SecurityGroupRuleSpec[], options: ReplaceRulesOptions): ReplaceSecurityGroupRulesFix {
  const unique = authorize.filter((spec, index) => authorize.findIndex((other) => sameRule(other, spec)) === index);
  const existing = unique.filter((spec) => hasIngressRule(network, groupId, spec));
  const added = unique.filter((spec) => !existing.includes(spec));
  const placeholders = options.placeholders ?? [];
  const changes: NetworkChange[] =
    placeholders.length > 0
      ? []
      : [...added.map((rule): NetworkChange => ({ kind: 'authorize-security-group-ingress', groupId, rule })), ...revoke.map((rule): NetworkChange => ({ kind: 'revoke-security-group-ingress', groupId, rule }))];
  const already = existing.length > 0 ? ` ${groupId} already admits ${existing.map(describeRuleSpec).join('; ')}, so only the revoke is needed for ${existing.length === 1 ? 'it' : 'them'}.` : '';
  return {
    type: 'aws-network',
    action: 'replace-security-group-rules',
    title: options.title,
    rationale: `${options.rationale}${already}`,
    changes,
    drops: options.drops,
    groupId,
    revoke,
    authorize: added,
    ...(placeholders.length > 0 ? { placeholders } : {}),
    ...(options.owner ? { owner: options.owner } : {}),
    ...(options.region ? { region: options.region } : {}),
  };
}

/** True when the group has an ingress rule with the same protocol, ports and peer as `spec`. */
function hasIngressRule(network: AwsNetwork, groupId: string, spec: SecurityGroupRuleSpec): boolean {
  const group = network.securityGroups.get(groupId);
  return (group?.ingress ?? []).some((rule) => sameRule(specOf(rule), spec));
}

/** True when two specs match the same traffic from the same peer: `tcp` and `6`, `::/0` and `0::/0` are alike. */
function sameRule(a: SecurityGroupRuleSpec, b: SecurityGroupRuleSpec): boolean {
  const traffic = (spec: SecurityGroupRuleSpec) => describeRuleSpec({ ipProtocol: spec.ipProtocol, ...(spec.fromPort === undefined ? {} : { fromPort: spec.fromPort }), ...(spec.toPort === undefined ? {} : { toPort: spec.toPort }) });
  const cidr = (text: string | undefined) => (text === undefined ? undefined : canonicalCidr(text));
  return traffic(a) === traffic(b) && cidr(a.cidr) === cidr(b.cidr) && a.groupId === b.groupId && a.prefixListId === b.prefixListId;
}
