import type * as m from '../../inventory/model.js';
import type { AuthorizationRule } from '../../inventory/schemas/kubernetes.js';
import { matchesServiceSelector } from '../../inventory/selectors.js';
import { compareText } from '../../compare.js';
import { AddressSet, InvalidCidrError, parseAddress } from './addresses.js';
import type { EndpointClass } from './endpoints.js';
import { layerObjectLabel, type LayerDecision, type LayerObjectRef } from './layer.js';
import { ConnSet, PROTOCOL, protocolName } from './ports.js';
import type { Peer } from './policy.js';

// Istio AuthorizationPolicy (security.istio.io v1 and v1beta1) as a layer on the destination side, following
// the AuthorizationPolicy reference and Istio's RBAC filter generation (pilot/pkg/security/authz/model):
// - A policy applies to the workloads of its namespace that `selector.matchLabels` matches, or to all of them
//   without a selector. A policy in the root namespace applies in every namespace. Istio enforces it only
//   where a proxy receives the traffic: pods with a sidecar, Istio gateways, and ambient pods (ztunnel).
// - CUSTOM policies are evaluated first, then DENY, then ALLOW. A matching DENY denies. With no ALLOW policy
//   for the workload the request is allowed, and otherwise it must match an ALLOW policy. AUDIT decides nothing.
// - A policy without rules never matches, so an ALLOW policy without rules denies everything. An empty rule
//   matches everything. A rule matches when one `from` source, one `to` operation and every `when` condition
//   match; the fields of one source or operation are ANDed; `notX` fields exclude.
// - principals, namespaces and service accounts come from the peer's mTLS certificate: a source outside the
//   mesh (or outside the pods) has none, so it matches no positive list and every negative one.
// - String values match exactly, by prefix (`abc*`), by suffix (`*abc`) or by presence (`*`, non-empty).
// - The proxies authorize TCP only: other protocols pass the layer.
// - HTTP-only fields (hosts, methods, paths, requestPrincipals, request.* conditions) cannot be evaluated on
//   a port the Services declare as plain TCP: there an ALLOW rule using them never matches and a DENY rule
//   ignores them. On other ports they decide per request, which a connection verdict cannot know: an ALLOW
//   rule counts as matching and a DENY rule as not denying, and the verdict reports the condition.

const TCP_ALL = ConnSet.protocol(PROTOCOL.TCP);
const NOT_TCP = ConnSet.ALL.subtract(TCP_ALL);
const TRUST_DOMAIN = 'cluster.local';

type Match = 'yes' | 'maybe' | 'no';
type Action = 'ALLOW' | 'DENY' | 'CUSTOM' | 'AUDIT';

interface RulePorts {
  /** Ports the rule matches on whatever the request carries. */
  definite: ConnSet;
  /** Ports the rule may match, depending on the request (a superset of definite). */
  possible: ConnSet;
}

const NO_PORTS: RulePorts = { definite: ConnSet.NONE, possible: ConnSet.NONE };

interface SourceEntry {
  test(remote: Peer): Match;
  /** Whether the entry has an HTTP-only field (requestPrincipals). */
  http: boolean;
}

interface OperationEntry {
  ports: ConnSet;
  http: boolean;
  /** Whether the entry has a field the engine cannot decide from the snapshot. */
  maybe: boolean;
}

export interface CompiledAuthorizationRule {
  index: number;
  summary: string;
  /** The `from` sources; undefined when the rule has none, which matches every source. */
  sources?: SourceEntry[];
  operations: OperationEntry[];
  whenSource: Array<(remote: Peer) => Match>;
  whenDestination: Array<(local: EndpointClass) => Match>;
  whenPorts: ConnSet;
  whenHttp: boolean;
  whenMaybe: boolean;
  /** Whether any field of the rule is HTTP-only. */
  http: boolean;
  /** The reason Istio drops the rule; undefined when it keeps it. */
  invalid?: string;
  /** Not-modelled notices, other than the one for HTTP conditions. */
  notModelled: string[];
  /** The rule's HTTP conditions, as a not-modelled notice; undefined when it has none. */
  httpNotice?: string;
}

export interface CompiledAuthorizationPolicy {
  ref: LayerObjectRef;
  action: Action;
  provider?: string;
  namespace: string;
  /** Whether the policy is in the root namespace and so applies in every namespace. */
  root: boolean;
  matchLabels: Record<string, string>;
  rules: CompiledAuthorizationRule[];
  /** The reason the policy is left out of evaluation; undefined when it is evaluated. */
  skipped?: string;
  notModelled: string[];
  /** The source address sets the policy names, for splitting the address space outside the pods. */
  addressSets: AddressSet[];
}

interface AppliedPolicies {
  custom: CompiledAuthorizationPolicy[];
  deny: CompiledAuthorizationPolicy[];
  allow: CompiledAuthorizationPolicy[];
}

export interface IstioLayerOptions {
  /** Istio's root namespace (meshConfig.rootNamespace), whose policies apply mesh-wide. */
  rootNamespace: string;
}

/** The AuthorizationPolicies of a snapshot, compiled once and evaluated per pair of endpoint classes. */
export class IstioLayer {
  readonly policies: CompiledAuthorizationPolicy[];
  private readonly applied: Array<AppliedPolicies | null | undefined> = [];
  private readonly tcpOnly: Array<ConnSet | undefined> = [];
  private servicesByNamespace?: Map<string, m.Service[]>;

  constructor(
    readonly objects: m.AuthorizationPolicy[],
    readonly services: m.Service[],
    readonly classes: EndpointClass[],
    readonly options: IstioLayerOptions,
  ) {
    this.policies = objects.map((object) => compileAuthorizationPolicy(object, options.rootNamespace)).sort((a, b) => compareText(layerObjectLabel(a.ref), layerObjectLabel(b.ref)));
  }

  /** Notices for the model: what the policies use that is not modelled, and policies Istio does not enforce. */
  notices(): string[] {
    const result: string[] = [];
    for (const policy of this.policies) {
      result.push(...policy.notModelled);
      if (policy.skipped) continue;
      const outside = this.classes.filter((cls) => !cls.mesh && selects(policy, cls) && cls.pods.length > 0);
      if (outside.length > 0) {
        const pods = outside.flatMap((cls) => cls.pods.map((pod) => `${pod.namespace}/${pod.name}`)).sort(compareText);
        result.push(`${layerObjectLabel(policy.ref)} selects pods without an Istio proxy (${pods.slice(0, 5).join(', ')}${pods.length > 5 ? ', …' : ''}); Istio does not enforce it on them`);
      }
    }
    return result;
  }

  /** Returns every address set the policies test sources against. */
  addressSets(): AddressSet[] {
    return this.policies.flatMap((policy) => policy.addressSets);
  }

  /** Connections the layer lets from the remote peer into the local class. */
  allowed(local: EndpointClass, remote: Peer): ConnSet {
    const applied = this.appliedTo(local);
    if (!applied) return ConnSet.ALL;
    const denied = this.deniedPorts(applied, local, remote);
    if (applied.allow.length === 0) return TCP_ALL.subtract(denied).union(NOT_TCP);
    return this.allowedPorts(applied, local, remote).subtract(denied).union(NOT_TCP);
  }

  /** Connections that an ALLOW policy selecting the local class allows (network-config-analyzer's captured connections). */
  captured(local: EndpointClass, remote: Peer): ConnSet {
    const applied = this.appliedTo(local);
    if (!applied || applied.allow.length === 0) return ConnSet.NONE;
    return this.allowedPorts(applied, local, remote).subtract(this.deniedPorts(applied, local, remote));
  }

  /** Finds the policy and rule that decide one connection, in Istio's order. */
  explain(local: EndpointClass, remote: Peer, protocol: number, port: number): LayerDecision {
    const notModelled: string[] = [];
    if (!local.mesh) {
      const selecting = this.policies.filter((policy) => !policy.skipped && selects(policy, local)).map((policy) => policy.ref);
      const sentence = selecting.length > 0 ? `${selecting.map(layerObjectLabel).join(', ')} select${selecting.length === 1 ? 's' : ''} the destination, but it has no Istio proxy, so Istio does not enforce ${selecting.length === 1 ? 'it' : 'them'}.` : 'the destination has no Istio proxy, so no AuthorizationPolicy applies.';
      return { layer: 'istio', allowed: true, decidedBy: 'not-applicable', ...(selecting.length > 0 ? { selecting } : {}), sentence, notModelled };
    }
    const applied = this.appliedTo(local) ?? { custom: [], deny: [], allow: [] };
    if (protocol !== PROTOCOL.TCP) return { layer: 'istio', allowed: true, decidedBy: 'not-applicable', sentence: `the Istio proxy authorizes TCP only, so it lets ${protocolName(protocol)} through.`, notModelled };

    const tcpMode = this.tcpOnlyPorts(local).has(PROTOCOL.TCP, port);
    for (const policy of applied.custom) {
      for (const rule of policy.rules) {
        if (evaluateRule(rule, policy.action, local, remote, tcpMode).possible.has(PROTOCOL.TCP, port)) {
          notModelled.push(`${layerObjectLabel(policy.ref)} rule ${rule.index + 1} sends the request to the external authorizer ${policy.provider ?? '(no provider named)'}, whose decision is not modelled`);
        }
      }
    }
    for (const policy of applied.deny) {
      for (const rule of policy.rules) {
        const ports = evaluateRule(rule, policy.action, local, remote, tcpMode);
        if (ports.definite.has(PROTOCOL.TCP, port)) {
          const ignored = tcpMode && rule.http ? ', whose HTTP conditions Istio ignores on this plain TCP port' : '';
          return { layer: 'istio', allowed: false, decidedBy: 'rule', object: policy.ref, rule: rule.index + 1, sentence: `denied by ${layerObjectLabel(policy.ref)} (DENY) rule ${rule.index + 1} (${rule.summary})${ignored}.`, notModelled: [...notModelled, ...rule.notModelled] };
        }
        if (ports.possible.has(PROTOCOL.TCP, port)) notModelled.push(`${layerObjectLabel(policy.ref)} (DENY) rule ${rule.index + 1} (${rule.summary}) denies the requests that meet conditions the engine cannot evaluate; the connection is counted as allowed`);
      }
    }
    if (applied.allow.length === 0) {
      return { layer: 'istio', allowed: true, decidedBy: 'no-match', sentence: 'no ALLOW AuthorizationPolicy selects the destination and no DENY rule matches, so Istio allows it.', notModelled };
    }
    for (const policy of applied.allow) {
      for (const rule of policy.rules) {
        const ports = evaluateRule(rule, policy.action, local, remote, tcpMode);
        if (!ports.possible.has(PROTOCOL.TCP, port)) continue;
        const partial = !ports.definite.has(PROTOCOL.TCP, port);
        if (partial) notModelled.push(`${layerObjectLabel(policy.ref)} rule ${rule.index + 1} (${rule.summary}) allows only the requests that meet conditions the engine cannot evaluate`);
        return { layer: 'istio', allowed: true, decidedBy: 'rule', object: policy.ref, rule: rule.index + 1, sentence: `allowed by ${layerObjectLabel(policy.ref)} rule ${rule.index + 1} (${rule.summary})${partial ? ', for the requests that meet its HTTP or request conditions' : ''}.`, notModelled: [...notModelled, ...rule.notModelled] };
      }
    }
    const selecting = applied.allow.map((policy) => policy.ref);
    const names = selecting.map(layerObjectLabel).join(', ');
    return { layer: 'istio', allowed: false, decidedBy: 'no-match', selecting, sentence: `denied: ALLOW policies select the destination (${names}) and no rule of ${selecting.length === 1 ? 'it' : 'them'} matches TCP ${port}${tcpMode ? ' on this plain TCP port, where rules with HTTP conditions never match' : ''}.`, notModelled };
  }

  private allowedPorts(applied: AppliedPolicies, local: EndpointClass, remote: Peer): ConnSet {
    let result = ConnSet.NONE;
    for (const policy of applied.allow) for (const rule of policy.rules) result = result.union(this.rulePorts(rule, policy.action, local, remote).possible);
    return result;
  }

  private deniedPorts(applied: AppliedPolicies, local: EndpointClass, remote: Peer): ConnSet {
    let result = ConnSet.NONE;
    for (const policy of applied.deny) for (const rule of policy.rules) result = result.union(this.rulePorts(rule, policy.action, local, remote).definite);
    return result;
  }

  /** Computes a rule's ports for the pair, each port under the protocol the destination's Services give it. */
  private rulePorts(rule: CompiledAuthorizationRule, action: Action, local: EndpointClass, remote: Peer): RulePorts {
    if (!rule.http) return evaluateRule(rule, action, local, remote, false);
    const tcpOnly = this.tcpOnlyPorts(local);
    const http = evaluateRule(rule, action, local, remote, false);
    const tcp = evaluateRule(rule, action, local, remote, true);
    return {
      definite: http.definite.subtract(tcpOnly).union(tcp.definite.intersect(tcpOnly)),
      possible: http.possible.subtract(tcpOnly).union(tcp.possible.intersect(tcpOnly)),
    };
  }

  /** Returns the policies that apply to the class, or null when Istio enforces none on it. */
  private appliedTo(local: EndpointClass): AppliedPolicies | null {
    let applied = this.applied[local.id];
    if (applied !== undefined) return applied;
    applied = null;
    if (local.mesh && !local.hostNetwork) {
      const matching = this.policies.filter((policy) => !policy.skipped && selects(policy, local));
      if (matching.length > 0) {
        applied = {
          custom: matching.filter((policy) => policy.action === 'CUSTOM'),
          deny: matching.filter((policy) => policy.action === 'DENY'),
          allow: matching.filter((policy) => policy.action === 'ALLOW'),
        };
        if (applied.custom.length + applied.deny.length + applied.allow.length === 0) applied = null;
      }
    }
    this.applied[local.id] = applied;
    return applied;
  }

  /**
   * Computes the TCP ports of the class where the proxy treats traffic as plain TCP: ports the selecting Services
   * declare with a non-HTTP protocol (appProtocol, or the port name's `<protocol>-` prefix). Ports declared as
   * HTTP or not declared at all (Istio then detects HTTP) may carry HTTP. Ambient pods are served by ztunnel,
   * which does not parse HTTP.
   */
  private tcpOnlyPorts(local: EndpointClass): ConnSet {
    let result = this.tcpOnly[local.id];
    if (result) return result;
    if (local.mesh === 'ambient') {
      // NOTE: ztunnel does not parse HTTP, so HTTP-only fields are taken to behave as on a sidecar's plain TCP
      // port. A waypoint would evaluate them, but it is attached by targetRef, which is not modelled.
      result = TCP_ALL;
    } else {
      let tcp = ConnSet.NONE;
      let http = ConnSet.NONE;
      this.servicesByNamespace ??= groupByNamespace(this.services);
      for (const service of this.servicesByNamespace.get(local.namespace) ?? []) {
        if (!matchesServiceSelector(service.spec.selector, local.labels)) continue;
        for (const entry of service.spec.ports ?? []) {
          if ((entry.protocol ?? 'TCP').toUpperCase() !== 'TCP') continue;
          const target = resolveTargetPort(entry.targetPort ?? entry.port, local);
          if (target === undefined) continue;
          const ports = ConnSet.port(PROTOCOL.TCP, target);
          if (declaredProtocol(entry) === 'tcp') tcp = tcp.union(ports);
          else http = http.union(ports);
        }
      }
      result = tcp.subtract(http);
    }
    this.tcpOnly[local.id] = result;
    return result;
  }
}

function groupByNamespace(services: m.Service[]): Map<string, m.Service[]> {
  const result = new Map<string, m.Service[]>();
  for (const service of services) {
    const namespace = service.metadata.namespace ?? 'default';
    const list = result.get(namespace);
    if (list) list.push(service);
    else result.set(namespace, [service]);
  }
  return result;
}

/** Tells whether the policy selects the class by namespace and labels, whether or not Istio enforces it there. */
function selects(policy: CompiledAuthorizationPolicy, cls: EndpointClass): boolean {
  if (!policy.root && policy.namespace !== cls.namespace) return false;
  return Object.entries(policy.matchLabels).every(([key, value]) => cls.labels[key] === value);
}

// Istio's protocol selection: appProtocol, else the Service port name `<protocol>[-<suffix>]`.
const HTTP_PROTOCOLS = new Set(['http', 'http2', 'grpc', 'grpc-web', 'h2c', 'kubernetes.io/h2c', 'kubernetes.io/ws']);
const TCP_PROTOCOLS = new Set(['tcp', 'tls', 'https', 'mongo', 'mysql', 'redis', 'kubernetes.io/wss']);

function declaredProtocol(entry: { name?: string | undefined; appProtocol?: string | undefined }): 'http' | 'tcp' | 'unknown' {
  const declared = (entry.appProtocol ?? entry.name?.split('-')[0] ?? '').toLowerCase();
  if (HTTP_PROTOCOLS.has(declared)) return 'http';
  if (TCP_PROTOCOLS.has(declared)) return 'tcp';
  return 'unknown';
}

function resolveTargetPort(target: number | string, cls: EndpointClass): number | undefined {
  if (typeof target === 'number') return target;
  if (/^\d+$/.test(target)) return Number(target);
  return cls.namedPorts.find((port) => port.name === target && port.protocol === 'TCP')?.port;
}

// --- evaluation -----------------------------------------------------------------------------------------

/**
 * Returns the TCP ports on which the rule matches the pair. With `tcpMode` the port carries plain TCP: an ALLOW rule
 * with an HTTP-only field is dropped, and other actions ignore those fields. Otherwise HTTP-only fields
 * depend on the request, so they make a match possible instead of definite.
 */
function evaluateRule(rule: CompiledAuthorizationRule, action: Action, local: EndpointClass, remote: Peer, tcpMode: boolean): RulePorts {
  if (rule.invalid) return NO_PORTS;
  if (tcpMode && action === 'ALLOW' && rule.http) return NO_PORTS;
  const httpDecides = !tcpMode;

  let base: Match = 'yes';
  if (rule.sources) {
    base = 'no';
    for (const source of rule.sources) {
      let match = source.test(remote);
      if (match === 'yes' && source.http && httpDecides) match = 'maybe';
      base = or(base, match);
      if (base === 'yes') break;
    }
  }
  for (const test of rule.whenSource) base = and(base, test(remote));
  for (const test of rule.whenDestination) base = and(base, test(local));
  if (rule.whenMaybe || (rule.whenHttp && httpDecides)) base = and(base, 'maybe');
  if (base === 'no') return NO_PORTS;

  let definite = ConnSet.NONE;
  let possible = ConnSet.NONE;
  for (const operation of rule.operations) {
    const ports = operation.ports.intersect(rule.whenPorts);
    possible = possible.union(ports);
    if (!operation.maybe && !(operation.http && httpDecides)) definite = definite.union(ports);
  }
  return { definite: base === 'yes' ? definite : ConnSet.NONE, possible };
}

function and(a: Match, b: Match): Match {
  if (a === 'no' || b === 'no') return 'no';
  return a === 'maybe' || b === 'maybe' ? 'maybe' : 'yes';
}

function or(a: Match, b: Match): Match {
  if (a === 'yes' || b === 'yes') return 'yes';
  return a === 'maybe' || b === 'maybe' ? 'maybe' : 'no';
}

function not(a: Match): Match {
  if (a === 'yes') return 'no';
  if (a === 'no') return 'yes';
  return 'maybe';
}

/** Istio's string match: exact, `prefix*`, `*suffix`, or `*` for any non-empty value. */
export function istioStringMatches(pattern: string, value: string): boolean {
  if (pattern === '*') return value !== '';
  if (pattern.startsWith('*')) return value.endsWith(pattern.slice(1));
  if (pattern.endsWith('*')) return value.startsWith(pattern.slice(0, -1));
  return value === pattern;
}

interface PeerIdentity {
  principal: string;
  namespace: string;
  serviceAccount: string;
}

/** Returns the mTLS identity of a source. Pods with an Istio proxy have one, and other pods and outside addresses do not. */
function identityOf(remote: Peer): PeerIdentity | undefined {
  if (remote.kind !== 'class' || !remote.cls.mesh || remote.cls.hostNetwork) return undefined;
  const cls = remote.cls;
  return { principal: `${TRUST_DOMAIN}/ns/${cls.namespace}/sa/${cls.serviceAccount}`, namespace: cls.namespace, serviceAccount: cls.serviceAccount };
}

/** Tests a positive and a negative list on a value that a source may lack (no identity). */
function listMatch(values: string[] | undefined, notValues: string[] | undefined, actual: string | undefined, matches: (pattern: string, value: string) => boolean): boolean {
  if (values && (actual === undefined || !values.some((value) => matches(value, actual)))) return false;
  if (notValues && actual !== undefined && notValues.some((value) => matches(value, actual))) return false;
  return true;
}

/** Tells whether the peer's addresses are in the set: an outside range by containment, a class by its pods' addresses. */
function addressMatch(set: AddressSet, remote: Peer | { kind: 'class'; cls: EndpointClass }): Match {
  if (remote.kind === 'external') {
    if (set.containsRange(remote.range)) return 'yes';
    return set.intersect(AddressSet.of([remote.range])).isEmpty() ? 'no' : 'maybe';
  }
  let inside = 0;
  let outside = 0;
  for (const pod of remote.cls.pods) {
    if (!pod.address) return 'maybe';
    if (set.containsAddress(pod.address.family, pod.address.value)) inside++;
    else outside++;
  }
  if (inside > 0 && outside === 0) return 'yes';
  if (outside > 0 && inside === 0) return 'no';
  return 'maybe';
}

// --- compilation ----------------------------------------------------------------------------------------

const SOURCE_FIELDS = new Set(['principals', 'notPrincipals', 'requestPrincipals', 'notRequestPrincipals', 'namespaces', 'notNamespaces', 'serviceAccounts', 'notServiceAccounts', 'ipBlocks', 'notIpBlocks', 'remoteIpBlocks', 'notRemoteIpBlocks']);
const OPERATION_FIELDS = new Set(['hosts', 'notHosts', 'ports', 'notPorts', 'methods', 'notMethods', 'paths', 'notPaths']);
const RULE_FIELDS = new Set(['from', 'to', 'when']);
const HTTP_OPERATION_FIELDS = ['hosts', 'notHosts', 'methods', 'notMethods', 'paths', 'notPaths'] as const;

class InvalidRuleError extends Error {}

export function compileAuthorizationPolicy(object: m.AuthorizationPolicy, rootNamespace: string): CompiledAuthorizationPolicy {
  const namespace = object.metadata.namespace ?? 'default';
  const ref: LayerObjectRef = { kind: 'AuthorizationPolicy', apiVersion: object.apiVersion, namespace, name: object.metadata.name, source: object.source };
  const label = layerObjectLabel(ref);
  const spec = object.spec ?? {};
  const notModelled: string[] = [];
  const addressSets: AddressSet[] = [];
  const action = (spec.action ?? 'ALLOW').toUpperCase();
  const policy: CompiledAuthorizationPolicy = {
    ref,
    action: 'ALLOW',
    namespace,
    root: namespace === rootNamespace,
    matchLabels: spec.selector?.matchLabels ?? {},
    rules: [],
    notModelled,
    addressSets,
  };
  if (spec.provider?.name) policy.provider = spec.provider.name;

  if (action !== 'ALLOW' && action !== 'DENY' && action !== 'CUSTOM' && action !== 'AUDIT') {
    policy.skipped = `action ${JSON.stringify(spec.action)} is not one Istio defines`;
    notModelled.push(`${label} has action ${JSON.stringify(spec.action)}, which is not ALLOW, DENY, CUSTOM or AUDIT; it is not evaluated`);
    return policy;
  }
  policy.action = action;
  if (spec.targetRef || (spec.targetRefs && spec.targetRefs.length > 0)) {
    policy.skipped = 'it is attached by targetRef';
    notModelled.push(`${label} is attached to a gateway, waypoint or Service by targetRef, which the engine does not model; it is not evaluated`);
    return policy;
  }
  if (action === 'AUDIT') return policy;

  policy.rules = (spec.rules ?? []).map((rule, index) => compileRule(rule, index, namespace, label, addressSets));
  for (const rule of policy.rules) notModelled.push(...rule.notModelled, ...(rule.httpNotice ? [rule.httpNotice] : []));
  return policy;
}

function compileRule(rule: AuthorizationRule, index: number, namespace: string, label: string, addressSets: AddressSet[]): CompiledAuthorizationRule {
  const compiled: CompiledAuthorizationRule = {
    index,
    summary: summariseRule(rule),
    operations: [{ ports: TCP_ALL, http: false, maybe: false }],
    whenSource: [],
    whenDestination: [],
    whenPorts: TCP_ALL,
    whenHttp: false,
    whenMaybe: false,
    http: false,
    notModelled: [],
  };
  const where = `${label} rule ${index + 1}`;
  try {
    for (const key of Object.keys(rule)) {
      if (!RULE_FIELDS.has(key)) throw new InvalidRuleError(`has field ${key}, which the engine does not know`);
    }
    if (rule.from && rule.from.length > 0) compiled.sources = rule.from.map((entry) => compileSource(entry.source ?? {}, namespace, where, compiled, addressSets));
    if (rule.to && rule.to.length > 0) compiled.operations = rule.to.map((entry) => compileOperation(entry.operation ?? {}, where, compiled));
    for (const condition of rule.when ?? []) compileCondition(condition, where, compiled, addressSets);
  } catch (error) {
    if (!(error instanceof InvalidRuleError)) throw error;
    compiled.invalid = error.message;
    compiled.notModelled.push(`${where} ${error.message}; Istio drops such a rule, and so does the engine`);
  }
  compiled.http = compiled.whenHttp || (compiled.sources ?? []).some((source) => source.http) || compiled.operations.some((operation) => operation.http);
  if (compiled.http) compiled.httpNotice = `${where} has HTTP conditions (${httpFieldsOf(rule).join(', ')}), which decide per request; the engine evaluates connections`;
  return compiled;
}

function compileSource(source: Record<string, unknown>, policyNamespace: string, where: string, rule: CompiledAuthorizationRule, addressSets: AddressSet[]): SourceEntry {
  const list = (key: string) => nonEmpty(source[key]);
  let maybe = false;
  for (const key of Object.keys(source)) {
    if (!SOURCE_FIELDS.has(key)) {
      maybe = true;
      rule.notModelled.push(`${where} has source field ${key}, which the engine does not evaluate; the source is taken to possibly match`);
    }
  }
  const principals = list('principals');
  const notPrincipals = list('notPrincipals');
  const namespaces = list('namespaces');
  const notNamespaces = list('notNamespaces');
  const serviceAccounts = list('serviceAccounts')?.map((value) => qualifiedServiceAccount(value, policyNamespace));
  const notServiceAccounts = list('notServiceAccounts')?.map((value) => qualifiedServiceAccount(value, policyNamespace));
  const ipBlocks = list('ipBlocks') ? addressSet(list('ipBlocks') as string[]) : undefined;
  const notIpBlocks = list('notIpBlocks') ? addressSet(list('notIpBlocks') as string[]) : undefined;
  if (ipBlocks) addressSets.push(ipBlocks);
  if (notIpBlocks) addressSets.push(notIpBlocks);
  if (list('remoteIpBlocks') || list('notRemoteIpBlocks')) {
    maybe = true;
    rule.notModelled.push(`${where} tests remoteIpBlocks, the client address from X-Forwarded-For or the PROXY protocol, which the snapshot does not show; the source is taken to possibly match`);
  }
  for (const value of [...(principals ?? []), ...(notPrincipals ?? [])]) checkTrustDomain(value, where, rule);
  const http = list('requestPrincipals') !== undefined || list('notRequestPrincipals') !== undefined;

  return {
    http,
    test(remote: Peer): Match {
      const identity = identityOf(remote);
      if (!listMatch(principals, notPrincipals, identity?.principal, istioStringMatches)) return 'no';
      if (!listMatch(namespaces, notNamespaces, identity?.namespace, istioStringMatches)) return 'no';
      if (!listMatch(serviceAccounts, notServiceAccounts, identity ? `${identity.namespace}/${identity.serviceAccount}` : undefined, (pattern, value) => pattern === value)) return 'no';
      let result: Match = maybe ? 'maybe' : 'yes';
      if (ipBlocks) result = and(result, addressMatch(ipBlocks, remote));
      if (notIpBlocks) result = and(result, not(addressMatch(notIpBlocks, remote)));
      return result;
    },
  };
}

function compileOperation(operation: Record<string, unknown>, where: string, rule: CompiledAuthorizationRule): OperationEntry {
  let maybe = false;
  for (const key of Object.keys(operation)) {
    if (!OPERATION_FIELDS.has(key)) {
      maybe = true;
      rule.notModelled.push(`${where} has operation field ${key}, which the engine does not evaluate; the operation is taken to possibly match`);
    }
  }
  const ports = portSet(nonEmpty(operation.ports), nonEmpty(operation.notPorts));
  const http = HTTP_OPERATION_FIELDS.some((key) => nonEmpty(operation[key]) !== undefined);
  return { ports, http, maybe };
}

function compileCondition(condition: { key: string; values?: string[] | null | undefined; notValues?: string[] | null | undefined }, where: string, rule: CompiledAuthorizationRule, addressSets: AddressSet[]): void {
  const values = nonEmpty(condition.values);
  const notValues = nonEmpty(condition.notValues);
  const key = condition.key;
  if (!values && !notValues) throw new InvalidRuleError(`has a when condition on ${key} without values or notValues`);
  if (key === 'source.ip') {
    const inside = values ? addressSet(values) : undefined;
    const outside = notValues ? addressSet(notValues) : undefined;
    for (const set of [inside, outside]) if (set) addressSets.push(set);
    rule.whenSource.push((remote) => and(inside ? addressMatch(inside, remote) : 'yes', outside ? not(addressMatch(outside, remote)) : 'yes'));
  } else if (key === 'source.namespace') {
    rule.whenSource.push((remote) => (listMatch(values, notValues, identityOf(remote)?.namespace, istioStringMatches) ? 'yes' : 'no'));
  } else if (key === 'source.principal') {
    for (const value of [...(values ?? []), ...(notValues ?? [])]) checkTrustDomain(value, where, rule);
    rule.whenSource.push((remote) => (listMatch(values, notValues, identityOf(remote)?.principal, istioStringMatches) ? 'yes' : 'no'));
  } else if (key === 'destination.port') {
    rule.whenPorts = rule.whenPorts.intersect(portSet(values, notValues));
  } else if (key === 'destination.ip') {
    const inside = values ? addressSet(values) : undefined;
    const outside = notValues ? addressSet(notValues) : undefined;
    rule.whenDestination.push((local) => and(inside ? addressMatch(inside, { kind: 'class', cls: local }) : 'yes', outside ? not(addressMatch(outside, { kind: 'class', cls: local })) : 'yes'));
  } else if (key.startsWith('request.')) {
    rule.whenHttp = true;
  } else if (key === 'connection.sni' || key === 'remote.ip' || key.startsWith('experimental.envoy.filters.')) {
    rule.whenMaybe = true;
    rule.notModelled.push(`${where} has a when condition on ${key}, which depends on the client and is not in the snapshot; the rule is taken to possibly match`);
  } else {
    throw new InvalidRuleError(`has a when condition on ${key}, which is not an Istio attribute`);
  }
}

function portSet(ports: string[] | undefined, notPorts: string[] | undefined): ConnSet {
  let result = ports ? ports.reduce((set, value) => set.union(ConnSet.port(PROTOCOL.TCP, portNumber(value))), ConnSet.NONE) : TCP_ALL;
  for (const value of notPorts ?? []) result = result.subtract(ConnSet.port(PROTOCOL.TCP, portNumber(value)));
  return result;
}

function portNumber(value: string): number {
  const port = /^\d+$/.test(value.trim()) ? Number(value.trim()) : Number.NaN;
  if (!(port >= 0 && port <= 65535)) throw new InvalidRuleError(`names port ${JSON.stringify(value)}, which is not a number from 0 to 65535`);
  return port;
}

/** Parses single addresses and CIDRs, as Istio's ipBlocks and source.ip take them. */
function addressSet(values: string[]): AddressSet {
  try {
    return AddressSet.fromCidrs(values.map((value) => (value.includes('/') ? value : `${value}/${parseAddress(value)?.family === 6 ? 128 : 32}`)));
  } catch (error) {
    if (!(error instanceof InvalidCidrError)) throw error;
    throw new InvalidRuleError(`has an invalid address (${error.message})`);
  }
}

function checkTrustDomain(value: string, where: string, rule: CompiledAuthorizationRule): void {
  if (value.startsWith('*') || value.startsWith(`${TRUST_DOMAIN}/`)) return;
  rule.notModelled.push(`${where} names principal ${value} outside the trust domain ${TRUST_DOMAIN}, which the engine gives every pod; no pod matches it`);
}

/** `name` or `namespace/name`, with the policy's namespace for the short form, as Istio reads serviceAccounts. */
function qualifiedServiceAccount(value: string, policyNamespace: string): string {
  return value.includes('/') ? value : `${policyNamespace}/${value}`;
}

function nonEmpty(value: unknown): string[] | undefined {
  return Array.isArray(value) && value.length > 0 ? value.map(String) : undefined;
}

function httpFieldsOf(rule: Record<string, unknown>): string[] {
  const fields = new Set<string>();
  for (const entry of (rule.from as Array<{ source?: Record<string, unknown> | null }> | null | undefined) ?? []) {
    for (const key of ['requestPrincipals', 'notRequestPrincipals']) if (nonEmpty(entry.source?.[key])) fields.add(key);
  }
  for (const entry of (rule.to as Array<{ operation?: Record<string, unknown> | null }> | null | undefined) ?? []) {
    for (const key of HTTP_OPERATION_FIELDS) if (nonEmpty(entry.operation?.[key])) fields.add(key);
  }
  for (const condition of (rule.when as Array<{ key: string }> | null | undefined) ?? []) if (condition.key.startsWith('request.')) fields.add(condition.key);
  return [...fields];
}

/** Describes a rule briefly, such as `from principals cluster.local/ns/a/sa/b to ports 8080, methods GET`. */
function summariseRule(rule: Record<string, unknown>): string {
  const parts: string[] = [];
  const describe = (object: Record<string, unknown> | null | undefined) =>
    Object.entries(object ?? {})
      .filter(([, value]) => nonEmpty(value))
      .map(([key, value]) => `${key} ${(value as string[]).join(', ')}`)
      .join('; ');
  const from = (rule.from as Array<{ source?: Record<string, unknown> | null }> | null | undefined) ?? [];
  const to = (rule.to as Array<{ operation?: Record<string, unknown> | null }> | null | undefined) ?? [];
  const when = (rule.when as Array<{ key: string; values?: string[] | null; notValues?: string[] | null }> | null | undefined) ?? [];
  if (from.length > 0) parts.push(`from ${from.map((entry) => describe(entry.source) || 'any source').join(' or ')}`);
  if (to.length > 0) parts.push(`to ${to.map((entry) => describe(entry.operation) || 'any operation').join(' or ')}`);
  if (when.length > 0) parts.push(`when ${when.map((condition) => condition.key).join(', ')}`);
  return parts.length > 0 ? parts.join(' ') : 'every request';
}
