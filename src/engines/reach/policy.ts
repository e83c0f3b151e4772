import type { SourceRef } from '../../inventory/source.js';
import type { AddressRange, AddressSet } from './addresses.js';
import type { EndpointClass } from './endpoints.js';
import type { ConnSet } from './ports.js';

// The form every policy is compiled into, whichever API it came from. Kubernetes NetworkPolicies become
// Allow-only policies at order 1000 in Calico's default tier, which is how Calico itself evaluates them and
// gives plain Kubernetes semantics when no Calico policy exists.

export type Direction = 'ingress' | 'egress';
export type Action = 'Allow' | 'Deny' | 'Pass' | 'Log';

export type PolicyKind = 'NetworkPolicy' | 'CalicoNetworkPolicy' | 'CalicoGlobalNetworkPolicy';

export interface PolicyRef {
  kind: PolicyKind;
  apiVersion: string;
  namespace?: string;
  name: string;
  source: SourceRef;
}

/** The other side of a connection: a pod class, or a piece of the address space outside the pods. */
export type Peer = { kind: 'class'; cls: EndpointClass } | { kind: 'external'; range: AddressRange };

export interface CompiledRule {
  direction: Direction;
  /** Zero-based position in the policy's ingress or egress list. */
  index: number;
  action: Action;
  /** Whether the rule applies to this pair, ignoring protocol and ports. */
  matches(local: EndpointClass, remote: Peer): boolean;
  /** The connections the rule covers for this pair, with named ports resolved on the destination pod. */
  connections(local: EndpointClass, remote: Peer): ConnSet;
  /** A short description for explanations, such as `from namespaceSelector {} on TCP 5432`. */
  summary: string;
  /** Address sets the rule tests remote peers against, for splitting the address space. */
  remoteAddressSets: AddressSet[];
  /**
   * Service endpoint addresses outside the pods that the rule tests remote peers against. They split the
   * address space outside the pods but not the pod classes, because pods match a Service by membership.
   */
  remoteServiceAddressSets?: AddressSet[];
  /** The Services (`namespace/name`) the rule matches by name, for the model's notices. */
  services?: string[];
  /** Whether any peer of the rule can match a pod (false for rules that only name addresses). */
  namesPods: boolean;
  notModelled: string[];
}

export interface CompiledPolicy {
  id: number;
  ref: PolicyRef;
  flavour: 'kubernetes' | 'calico';
  tier: string;
  /** Calico order; Kubernetes NetworkPolicies have 1000. Undefined sorts after every number. */
  order?: number;
  selects(cls: EndpointClass): boolean;
  types: ReadonlySet<Direction>;
  rules: Record<Direction, CompiledRule[]>;
  /** The reason the policy is left out of evaluation (settings for host endpoints only); undefined when it is evaluated. */
  skipped?: string;
  notModelled: string[];
}

export function policyLabel(ref: PolicyRef): string {
  const kind = ref.kind === 'NetworkPolicy' ? 'NetworkPolicy' : ref.kind === 'CalicoNetworkPolicy' ? 'Calico NetworkPolicy' : 'Calico GlobalNetworkPolicy';
  return ref.namespace ? `${kind} ${ref.namespace}/${ref.name}` : `${kind} ${ref.name}`;
}

/** Memoised per-class results of one selector-like test, shared by every rule that uses the same test. */
export class MatchCache {
  private readonly tables = new Map<string, MatchTable>();

  /** The number of classes; set once the classes are known, before the first lookup. */
  classCount = 0;

  /** Returns the table for one test. Resolve it once when compiling and call get() per class. */
  table(key: string): MatchTable {
    let table = this.tables.get(key);
    if (!table) {
      table = new MatchTable(this);
      this.tables.set(key, table);
    }
    return table;
  }

  get(key: string, cls: EndpointClass, compute: () => boolean): boolean {
    return this.table(key).get(cls, compute);
  }
}

export class MatchTable {
  private values?: Int8Array;

  constructor(private readonly cache: MatchCache) {}

  get(cls: EndpointClass, compute: () => boolean): boolean {
    this.values ??= new Int8Array(this.cache.classCount);
    const cached = this.values[cls.id];
    if (cached === 1) return true;
    if (cached === 2) return false;
    const value = compute();
    this.values[cls.id] = value ? 1 : 2;
    return value;
  }
}

/**
 * Orders policies as Calico does inside a tier: by order (unset last), then by name, where a namespaced
 * policy's name is `namespace/name` and a Kubernetes NetworkPolicy is named `knp.default.<name>`
 * (libcalico-go PolicyNameLessThan).
 */
export function comparePolicies(a: CompiledPolicy, b: CompiledPolicy): number {
  const orderA = a.order ?? Number.POSITIVE_INFINITY;
  const orderB = b.order ?? Number.POSITIVE_INFINITY;
  if (orderA !== orderB) return orderA < orderB ? -1 : 1;
  const nameA = calicoSortName(a.ref);
  const nameB = calicoSortName(b.ref);
  return nameA < nameB ? -1 : nameA > nameB ? 1 : 0;
}

function calicoSortName(ref: PolicyRef): string {
  const name = ref.kind === 'NetworkPolicy' ? `knp.default.${ref.name}` : ref.name;
  return ref.namespace === undefined ? name : `${ref.namespace}/${name}`;
}
