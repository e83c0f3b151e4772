import type { Inventory } from '../../inventory/inventory.js';
import type * as m from '../../inventory/model.js';
import { AddressSet, InvalidCidrError, partition, type AddressRange } from './addresses.js';
import { compileCalicoPolicy } from './calico-policy.js';
import type { CompileContext, CompiledNetworkSet, KnownNamespace } from './context.js';
import {
  detectCni,
  ipBlocksMatchPodsFor,
  isIngressNginxController,
  istioMeshMode,
  namedPortsOf,
  namespaceLabelsOf,
  podAddress,
  sortedLabels,
  synthesisePods,
  type CniInfo,
  type EndpointClass,
  type PodEndpoint,
  type WorkloadRef,
} from './endpoints.js';
import { evaluateDirection, explainDirection, groupByTier, type AppliedTiers, type DirectionDecision } from './evaluate.js';
import { IngressLayer, type IngressControllerEgress } from './ingress-routes.js';
import { IstioLayer } from './istio.js';
import { compileKubernetesPolicy } from './kubernetes-policy.js';
import type { LayerConnections, LayerDecision } from './layer.js';
import { ConnSet } from './ports.js';
import { MatchCache, type CompiledPolicy, type CompiledRule, type Direction, type Peer } from './policy.js';
import {
  chainProfiles,
  compileProfiles,
  inheritedLabels,
  missingProfilesAssumption,
  NAMESPACE_LABEL_PREFIX,
  profileIndex,
  profileNamesOf,
  profileNotices,
  profilesOfNamespaces,
  SERVICE_ACCOUNT_LABEL_PREFIX,
  SERVICE_ACCOUNT_PROFILE_PREFIX,
  unprefixed,
  type CompiledProfile,
} from './profiles.js';
import { ServiceIndex, type ServiceBackends } from './services.js';
import { CalicoTiers, type TierFacts } from './tiers.js';

export interface ReachOptions {
  /**
   * Whether ipBlocks and Calico nets also match pod addresses. Defaults to what the CNI found in the
   * snapshot does (see ipBlocksMatchPodsFor).
   */
  ipBlocksMatchPods?: boolean;
  /**
   * A model of an inventory with the same pods, workloads and namespaces (one that differs only in its
   * policies, as inventoryWithPolicyChange builds) whose pods and classes this model reuses. They are
   * reused only when the base model has the same ipBlocksMatchPods value, the same Calico Profile list,
   * the same Service and EndpointSlice lists, and address pieces at least as fine as this model's. Profiles
   * label the classes and Service memberships split them, and a finer partition is still sound. Otherwise
   * the classes are rebuilt. When the classes are reused, so are the base's compiled policies for every
   * policy object the two inventories share, its compiled profiles, and the policies assigned to each
   * class that no added or removed policy selects.
   */
  classesFrom?: ReachModel;
  /** Istio's root namespace (meshConfig.rootNamespace), whose AuthorizationPolicies apply in every namespace. Defaults to istio-system. */
  istioRootNamespace?: string;
  /**
   * The evaluation of ingress controller pods' egress: `policies` (the default) by their NetworkPolicies and
   * Calico policies alone, `routes` also limited to the routes of their Ingresses, as network-config-analyzer
   * models an ingress controller. See ingress-routes.ts.
   */
  ingressControllerEgress?: IngressControllerEgress;
}

/** One side of a connection: a pod, or an address outside the pods. */
export type Endpoint = { kind: 'pod'; pod: PodEndpoint } | { kind: 'external'; range: AddressRange };

const DEFAULT_ISTIO_ROOT_NAMESPACE = 'istio-system';

/**
 * The pods, policies and address pieces of one snapshot, compiled for reachability questions. Build it with
 * reachModel(); it is immutable and answers every question from the same compiled state.
 */
export class ReachModel {
  readonly cni: CniInfo;
  readonly ipBlocksMatchPods: boolean;
  /** The reason for the ipBlocksMatchPods value, stated in verdicts. */
  readonly ipBlocksReason: string;
  readonly pods: PodEndpoint[];
  readonly classes: EndpointClass[];
  readonly policies: CompiledPolicy[];
  readonly networkSets: CompiledNetworkSet[];
  /** The Istio layer: the snapshot's AuthorizationPolicies; undefined when it has none. */
  readonly istio?: IstioLayer;
  /** The Ingress layer: the routes of the snapshot's Ingresses; undefined when it has none. */
  readonly ingressRoutes?: IngressLayer;
  private readonly noticeSet = new Set<string>();
  private readonly applied: Record<Direction, AppliedTiers[]> = { ingress: [], egress: [] };
  /** The snapshot's Calico tiers: their order and defaultAction. */
  private readonly tiers: CalicoTiers;
  /** The tiers of the evaluated policies, for the assumptions. */
  private readonly policyTiers: string[];
  /**
   * Whether Kubernetes NetworkPolicy selectors see the labels Calico gives the workload endpoint (its
   * profiles' labels too), which holds when Calico enforces them (see kubernetes-policy.ts).
   */
  readonly kubernetesSelectorsSeeCalicoLabels: boolean;
  private podByKey?: Map<string, PodEndpoint>;
  /** The model whose pods this one shares. Pod lookups go to it. */
  private podsFrom?: ReachModel;
  /** The inventory object each compiled policy came from, by policy position. */
  private readonly policyObjects: object[];
  private readonly namespaces: KnownNamespace[];
  /** Policies that select each class, per direction, before grouping by tier. */
  private selected: Record<Direction, CompiledPolicy[][]> = { ingress: [], egress: [] };
  /** One more than the largest policy id, so that a model built from this one numbers new policies apart. */
  private readonly nextPolicyId: number;
  private byNamespace?: Map<string, EndpointClass[]>;
  private policiesByNamespace?: Map<string, CompiledPolicy[]>;
  private readonly pieces: Partial<Record<Direction, AddressRange[]>> = {};
  /** The address pieces the classes were split by. */
  private readonly classPieces: AddressRange[];
  /** The snapshot's Profiles, compiled, by name. */
  private readonly compiledProfiles: Map<string, CompiledProfile>;
  /** The snapshot's Profiles, compiled, that pods of a known namespace can use. */
  readonly profiles: CompiledProfile[];
  /** Each class's profiles in evaluation order, undefined where only profiles that Calico generates apply. */
  private readonly profileChains: Array<CompiledProfile[] | undefined>;
  private readonly profileAssumption?: string;
  /** The endpoints of the snapshot's Services, for Calico `services` rules. */
  private readonly serviceIndex: ServiceIndex;

  constructor(
    readonly inventory: Inventory,
    options: ReachOptions = {},
  ) {
    this.cni = detectCni(inventory);
    if (options.ipBlocksMatchPods === undefined) {
      this.ipBlocksMatchPods = ipBlocksMatchPodsFor(this.cni);
      const cni = this.cni.name === 'unknown' ? 'the CNI is not known' : `the CNI is ${this.cni.name} (${this.cni.evidence})`;
      this.ipBlocksReason = `ipBlocks and nets are assumed to ${this.ipBlocksMatchPods ? '' : 'not '}match pod IP addresses because ${cni}`;
    } else {
      this.ipBlocksMatchPods = options.ipBlocksMatchPods;
      this.ipBlocksReason = `ipBlocks and nets ${this.ipBlocksMatchPods ? 'match' : 'do not match'} pod IP addresses, as requested`;
    }

    this.kubernetesSelectorsSeeCalicoLabels = this.cni.name === 'calico';
    this.tiers = new CalicoTiers(inventory);

    const base = options.classesFrom;
    const namespaces = knownNamespaces(inventory);
    this.namespaces = namespaces;
    this.networkSets = compileNetworkSets(inventory, (message) => this.notice(message));
    const objects: object[] = [...inventory.data.networkPolicies, ...inventory.data.calicoPolicies];
    this.policyObjects = objects;

    // Try to keep the base's classes and compiled policies first, and compile everything when that fails.
    // Profiles label the classes, so classes are reused only with the same Profile list.
    const sameProfiles = base !== undefined && base.inventory.data.calicoProfiles === inventory.data.calicoProfiles;
    const sameServices = base !== undefined && base.inventory.data.services === inventory.data.services && base.inventory.data.endpointSlices === inventory.data.endpointSlices;
    this.serviceIndex = base && sameServices ? base.serviceIndex : new ServiceIndex(inventory);
    // Compiled policies and their assignment to classes also depend on the CNI's label semantics and the tiers.
    const sameTiers = base !== undefined && base.inventory.data.calicoTiers === inventory.data.calicoTiers && base.inventory.has('CalicoTier') === inventory.has('CalicoTier');
    const sameCompilation = base !== undefined && base.ipBlocksMatchPods === this.ipBlocksMatchPods && base.kubernetesSelectorsSeeCalicoLabels === this.kubernetesSelectorsSeeCalicoLabels;
    const shared = base && sameProfiles && sameServices && sameCompilation && sameTiers && base.inventory.data.calicoNetworkSets === inventory.data.calicoNetworkSets && sameNamespaces(base.namespaces, namespaces) ? base : undefined;
    let firstId = shared ? shared.nextPolicyId : 0;
    let compiled = this.compilePolicies(inventory, objects, namespaces, firstId, shared);
    let addressPieces = piecesOf(compiled.policies, compiled.podProfiles, this.networkSets);
    let reuse = shared !== undefined && refines(shared.classPieces, addressPieces);
    if (shared && !reuse) {
      firstId = 0;
      compiled = this.compilePolicies(inventory, objects, namespaces, firstId, undefined);
      addressPieces = piecesOf(compiled.policies, compiled.podProfiles, this.networkSets);
    }
    if (!shared && base) reuse = sameProfiles && sameServices && base.ipBlocksMatchPods === this.ipBlocksMatchPods && refines(base.classPieces, addressPieces);
    const from = reuse ? (shared ?? base) : undefined;
    this.policies = compiled.policies;
    this.compiledProfiles = compiled.profiles;
    this.profiles = compiled.podProfiles;
    this.nextPolicyId = firstId + compiled.added;
    for (const policy of this.policies) for (const message of policy.notModelled) this.notice(message);
    this.policyTiers = [...new Set(this.policies.filter((policy) => !policy.skipped).map((policy) => policy.tier))];
    for (const message of this.tiers.notices(this.policyTiers)) this.notice(message);
    for (const message of serviceNotices(this.serviceIndex, [...this.policies, ...this.profiles])) this.notice(message);

    const built = from ? { pods: from.pods, classes: from.classes } : buildClasses(inventory, namespaces, addressPieces, this.ipBlocksMatchPods, this.serviceIndex);
    this.classPieces = from ? from.classPieces : addressPieces;
    this.pods = built.pods;
    this.classes = built.classes;
    if (from) this.podsFrom = from;
    compiled.context.classes = this.classes;
    compiled.context.cache.classCount = this.classes.length;
    const synthesised = this.pods.filter((pod) => pod.synthesised).length;
    if (synthesised > 0) this.notice(`${synthesised === 1 ? '1 workload has' : `${synthesised} workloads have`} no Pods in the snapshot; one Pod per workload was synthesised from its pod template`);

    this.profileChains = shared && from === shared ? shared.profileChains : chainProfiles(this.classes, this.compiledProfiles);
    this.profileAssumption = missingProfilesAssumption(profileIndex(inventory), this.classes.flatMap((cls) => cls.profiles));
    for (const message of profileNotices(inventory, this.profileChains, this.kubernetesSelectorsSeeCalicoLabels)) this.notice(message);

    this.assignPolicies(from === shared ? shared : undefined);

    // The layers' caches are per class, so a base model's layers are reused only with its classes.
    const layersFrom = from && from.classes === this.classes ? from : undefined;
    const rootNamespace = options.istioRootNamespace ?? DEFAULT_ISTIO_ROOT_NAMESPACE;
    const data = inventory.data;
    if (data.authorizationPolicies.length > 0) {
      const reusable = layersFrom?.istio;
      this.istio =
        reusable && reusable.objects === data.authorizationPolicies && reusable.services === data.services && reusable.options.rootNamespace === rootNamespace
          ? reusable
          : new IstioLayer(data.authorizationPolicies, data.services, this.classes, { rootNamespace });
      for (const message of this.istio.notices()) this.notice(message);
    }
    if (data.ingresses.length > 0) {
      const reusable = layersFrom?.ingressRoutes;
      const mode = options.ingressControllerEgress ?? 'policies';
      this.ingressRoutes =
        reusable && reusable.ingresses === data.ingresses && reusable.ingressClasses === data.ingressClasses && reusable.services === data.services && reusable.mode === mode
          ? reusable
          : new IngressLayer(data.ingresses, data.ingressClasses, data.services, this.classes, mode);
      for (const message of this.ingressRoutes.notices()) this.notice(message);
    }
  }

  /**
   * Compiles the inventory's policies, taking the compiled form from `shared` for every policy object it
   * also contains. Such a policy keeps the base's match caches, which are valid only while the classes are the
   * base's too. New policies are numbered from firstId.
   */
  private compilePolicies(
    inventory: Inventory,
    objects: object[],
    namespaces: KnownNamespace[],
    firstId: number,
    shared: ReachModel | undefined,
  ): { policies: CompiledPolicy[]; added: number; profiles: Map<string, CompiledProfile>; podProfiles: CompiledProfile[]; context: CompileContext } {
    const context: CompileContext = {
      classes: shared ? shared.classes : [],
      namespaces,
      networkSets: this.networkSets,
      ipBlocksMatchPods: this.ipBlocksMatchPods,
      kubernetesSelectorsSeeCalicoLabels: this.kubernetesSelectorsSeeCalicoLabels,
      serviceAccountLabelsFromProfiles: inventory.data.calicoProfiles.some((profile) => profile.metadata.name.startsWith(SERVICE_ACCOUNT_PROFILE_PREFIX)),
      services: this.serviceIndex,
      cache: new MatchCache(),
      notice: (message) => this.notice(message),
    };
    const known = new Map<object, CompiledPolicy>();
    if (shared) shared.policyObjects.forEach((object, index) => known.set(object, shared.policies[index] as CompiledPolicy));
    const kubernetesCount = inventory.data.networkPolicies.length;
    let id = firstId;
    const policies = objects.map((object, index) => {
      const reused = known.get(object);
      if (reused) return reused;
      return index < kubernetesCount ? compileKubernetesPolicy(object as m.NetworkPolicy, id++, context) : compileCalicoPolicy(object as m.CalicoPolicy, id++, context);
    });
    // The shared model has the same Profile objects and classes, so its compiled profiles and their match caches hold.
    const profiles = shared ? shared.compiledProfiles : compileProfiles(inventory, context);
    const podProfiles = shared ? shared.profiles : profilesOfNamespaces(profiles, namespaces.map((namespace) => namespace.name));
    return { policies, added: id - firstId, profiles, podProfiles, context };
  }

  /** Things met but not modelled, sorted, each once. */
  get notModelled(): string[] {
    return [...this.noticeSet].sort();
  }

  /** Statements the verdicts rest on. The ipBlocks statement appears only when some rule names addresses. */
  get assumptions(): string[] {
    const result = namesAddresses(this.inventory) ? [this.ipBlocksReason] : [];
    if (this.ingressRoutes?.active && this.ingressRoutes.mode === 'policies') {
      result.push("the ingress controller pods' egress is what their policies allow; the routes of their Ingresses are named but limit nothing (network-config-analyzer limits it to the routes)");
    }
    if (this.istio) {
      result.push(
        `Istio's root namespace is ${this.istio.options.rootNamespace}, workload identities are in the trust domain cluster.local, and mutual TLS is PERMISSIVE (Istio's defaults; the mesh configuration and PeerAuthentications are not in the snapshot)`,
      );
    }
    result.push(...this.tiers.assumptions(this.policyTiers));
    if (this.profileAssumption) result.push(this.profileAssumption);
    return result;
  }

  pod(namespace: string, name: string): PodEndpoint | undefined {
    if (this.podsFrom) return this.podsFrom.pod(namespace, name);
    if (!this.podByKey) {
      this.podByKey = new Map();
      for (const pod of this.pods) this.podByKey.set(`${pod.namespace}/${pod.name}`, pod);
    }
    return this.podByKey.get(`${namespace}/${name}`);
  }

  classOf(pod: PodEndpoint): EndpointClass {
    return this.classes[pod.classId] as EndpointClass;
  }

  /** Returns the order and defaultAction of a Calico tier, and where they come from. */
  tierFacts(tier: string): TierFacts {
    return this.tiers.facts(tier);
  }

  /** Policies that select the class for this direction, in evaluation order. */
  appliedTiers(cls: EndpointClass, direction: Direction): AppliedTiers {
    return this.applied[direction][cls.id] ?? [];
  }

  /**
   * Returns the class's profiles in evaluation order, or undefined when only profiles that Calico generates
   * apply, whose kns profile allows everything.
   */
  profilesOf(cls: EndpointClass): CompiledProfile[] | undefined {
    return this.profileChains[cls.id];
  }

  /** Tells whether some policy selects the class for this direction, so that unlisted traffic is denied. */
  isIsolated(cls: EndpointClass, direction: Direction): boolean {
    return this.appliedTiers(cls, direction).length > 0;
  }

  /**
   * Returns a test that is false only for destination classes whose ingress cannot admit the source. That
   * is so when every policy that selects the destination for ingress is a Kubernetes NetworkPolicy without
   * a rule whose peers match the source, no tier passes what it does not decide, and neither profiles nor
   * the Istio layer apply. Kubernetes rules test only the remote end, so they are tested once per source.
   */
  ingressMayAdmit(source: EndpointClass): (destination: EndpointClass) => boolean {
    if (this.istio) return () => true;
    const remote: Peer = { kind: 'class', cls: source };
    const admitting = new Set<CompiledPolicy>();
    for (const policy of this.policies) {
      if (policy.flavour !== 'kubernetes' || policy.skipped || !policy.types.has('ingress')) continue;
      if (policy.rules.ingress.some((rule) => rule.matches(source, remote))) admitting.add(policy);
    }
    return (destination) => {
      if (this.profilesOf(destination) !== undefined) return true;
      const tiers = this.appliedTiers(destination, 'ingress');
      if (tiers.length === 0) return true;
      for (const { policies, defaultAction } of tiers) {
        // A tier that passes what it does not decide hands the connection on.
        if (defaultAction === 'Pass') return true;
        for (const policy of policies) if (policy.flavour !== 'kubernetes' || admitting.has(policy)) return true;
      }
      return false;
    };
  }

  /** Allowed connections between two classes: the source's egress and the destination's ingress, in every layer. */
  classConnections(source: EndpointClass, destination: EndpointClass): ConnSet {
    // Ingress first: destinations are more often isolated than sources, so this side ends most evaluations.
    const ingress = this.ingress(destination, { kind: 'class', cls: source });
    if (ingress.isEmpty()) return ingress;
    return ingress.intersect(this.egress(source, { kind: 'class', cls: destination }));
  }

  /** Policies that can select pods of the namespace: its own namespaced policies and every global one. */
  policiesIn(namespace: string): CompiledPolicy[] {
    if (!this.policiesByNamespace) {
      this.policiesByNamespace = new Map();
      for (const policy of this.policies) {
        const key = policy.ref.kind === 'CalicoGlobalNetworkPolicy' ? '' : (policy.ref.namespace ?? 'default');
        const list = this.policiesByNamespace.get(key);
        if (list) list.push(policy);
        else this.policiesByNamespace.set(key, [policy]);
      }
    }
    return [...(this.policiesByNamespace.get(namespace) ?? []), ...(this.policiesByNamespace.get('') ?? [])];
  }

  /** Returns the classes of one namespace. */
  classesIn(namespace: string): EndpointClass[] {
    if (!this.byNamespace) {
      this.byNamespace = new Map();
      for (const cls of this.classes) {
        const list = this.byNamespace.get(cls.namespace);
        if (list) list.push(cls);
        else this.byNamespace.set(cls.namespace, [cls]);
      }
    }
    return this.byNamespace.get(namespace) ?? [];
  }

  /** Allowed connections between two endpoints, including the rule that a pod's own node may always reach it. */
  connections(source: Endpoint, destination: Endpoint): ConnSet {
    if (source.kind === 'pod' && destination.kind === 'pod') {
      if (isNodeLocal(source.pod, destination.pod)) {
        // The node-local exemption is a NetworkPolicy rule; an Istio proxy on the destination still authorizes.
        const sourceClass = this.classOf(source.pod);
        const destinationClass = this.classOf(destination.pod);
        const egress = this.egress(sourceClass, { kind: 'class', cls: destinationClass });
        return this.istio ? egress.intersect(this.istio.allowed(destinationClass, { kind: 'class', cls: sourceClass })) : egress;
      }
      return this.classConnections(this.classOf(source.pod), this.classOf(destination.pod));
    }
    if (source.kind === 'external' && destination.kind === 'pod') return this.ingress(this.classOf(destination.pod), { kind: 'external', range: source.range });
    if (source.kind === 'pod' && destination.kind === 'external') return this.egress(this.classOf(source.pod), { kind: 'external', range: destination.range });
    return ConnSet.NONE;
  }

  /** Ingress allowed into a class from a remote peer (the destination side only), with the Istio layer. */
  ingress(cls: EndpointClass, remote: Peer): ConnSet {
    const allowed = evaluateDirection(this.appliedTiers(cls, 'ingress'), 'ingress', cls, remote, this.profilesOf(cls));
    if (!this.istio || allowed.isEmpty()) return allowed;
    return allowed.intersect(this.istio.allowed(cls, remote));
  }

  /** Egress allowed out of a class to a remote peer (the source side only), with the Ingress layer. */
  egress(cls: EndpointClass, remote: Peer): ConnSet {
    const allowed = evaluateDirection(this.appliedTiers(cls, 'egress'), 'egress', cls, remote, this.profilesOf(cls));
    if (!this.ingressRoutes?.restricts || !cls.ingressController || allowed.isEmpty()) return allowed;
    return allowed.intersect(this.ingressRoutes.egress(cls, remote));
  }

  /**
   * Lists what each policy layer allows between two endpoints, and what its objects allow explicitly (the
   * connections network-config-analyzer calls captured). The NetworkPolicy and Calico layer comes first; the
   * Istio and Ingress layers follow when the snapshot has their objects. connections() is the intersection
   * of the layers' allowed sets, except that it also applies the node-local rule.
   */
  layers(source: Endpoint, destination: Endpoint): LayerConnections[] {
    const sourcePeer: Peer = source.kind === 'pod' ? { kind: 'class', cls: this.classOf(source.pod) } : source;
    const destinationPeer: Peer = destination.kind === 'pod' ? { kind: 'class', cls: this.classOf(destination.pod) } : destination;
    const sourceClass = sourcePeer.kind === 'class' ? sourcePeer.cls : undefined;
    const destinationClass = destinationPeer.kind === 'class' ? destinationPeer.cls : undefined;

    const egress = sourceClass ? evaluateDirection(this.appliedTiers(sourceClass, 'egress'), 'egress', sourceClass, destinationPeer, this.profilesOf(sourceClass)) : ConnSet.ALL;
    const ingress = destinationClass ? evaluateDirection(this.appliedTiers(destinationClass, 'ingress'), 'ingress', destinationClass, sourcePeer, this.profilesOf(destinationClass)) : ConnSet.ALL;
    const allowed = egress.intersect(ingress);
    const isolated = (sourceClass !== undefined && this.isIsolated(sourceClass, 'egress')) || (destinationClass !== undefined && this.isIsolated(destinationClass, 'ingress'));
    const result: LayerConnections[] = [{ layer: 'policies', allowed, captured: isolated ? allowed : ConnSet.NONE }];

    if (this.istio) {
      const layer = destinationClass ? { allowed: this.istio.allowed(destinationClass, sourcePeer), captured: this.istio.captured(destinationClass, sourcePeer) } : { allowed: ConnSet.ALL, captured: ConnSet.NONE };
      result.push({ layer: 'istio', ...layer });
    }
    if (this.ingressRoutes) {
      const layer = sourceClass ? { allowed: this.ingressRoutes.egress(sourceClass, destinationPeer), captured: this.ingressRoutes.captured(sourceClass, destinationPeer) } : { allowed: ConnSet.ALL, captured: ConnSet.NONE };
      result.push({ layer: 'ingress', ...layer });
    }
    return result;
  }

  /** Explains how the Istio and Ingress layers decide one connection; empty when the snapshot has neither. */
  explainLayers(source: Endpoint, destination: Endpoint, protocol: number, port: number): LayerDecision[] {
    const decisions: LayerDecision[] = [];
    const sourcePeer: Peer = source.kind === 'pod' ? { kind: 'class', cls: this.classOf(source.pod) } : source;
    if (this.istio && destination.kind === 'pod') decisions.push(this.istio.explain(this.classOf(destination.pod), sourcePeer, protocol, port));
    if (this.ingressRoutes && source.kind === 'pod') {
      const destinationPeer: Peer = destination.kind === 'pod' ? { kind: 'class', cls: this.classOf(destination.pod) } : destination;
      const decision = this.ingressRoutes.explain(this.classOf(source.pod), destinationPeer, protocol, port);
      if (decision) decisions.push(decision);
    }
    return decisions;
  }

  explainEgress(cls: EndpointClass, remote: Peer, protocol: number, port: number): DirectionDecision {
    return explainDirection(this.appliedTiers(cls, 'egress'), 'egress', cls, remote, protocol, port, this.profilesOf(cls));
  }

  explainIngress(cls: EndpointClass, remote: Peer, protocol: number, port: number): DirectionDecision {
    return explainDirection(this.appliedTiers(cls, 'ingress'), 'ingress', cls, remote, protocol, port, this.profilesOf(cls));
  }

  /**
   * Splits the address space outside the pods at every CIDR that rules of this direction name: sources for
   * ingress, destinations for egress. Each piece is wholly inside or outside every rule's addresses.
   */
  externalPieces(direction: Direction): AddressRange[] {
    let pieces = this.pieces[direction];
    if (!pieces) {
      const rules = [...this.policies, ...this.profiles].flatMap((owner) => owner.rules[direction]);
      // AuthorizationPolicies test the addresses of sources, so they split the space for ingress only.
      const layerSets = direction === 'ingress' && this.istio ? this.istio.addressSets() : [];
      pieces = partition([...rules.flatMap((rule) => [...rule.remoteAddressSets, ...(rule.remoteServiceAddressSets ?? [])]), ...layerSets, ...this.networkSets.map((set) => set.nets)]);
      this.pieces[direction] = pieces;
    }
    return pieces;
  }

  private notice(message: string): void {
    this.noticeSet.add(message);
  }

  /**
   * Lists the policies that select each class and groups them by tier. With a base model whose classes and
   * compiled policies this model shares, only classes that an added or removed policy selects are redone.
   */
  private assignPolicies(base: ReachModel | undefined): void {
    const tiers = this.tiers;
    if (base) {
      const current = new Set(this.policies);
      const previous = new Set(base.policies);
      const removed = base.policies.filter((policy) => !current.has(policy) && !policy.skipped);
      const added = this.policies.filter((policy) => !previous.has(policy) && !policy.skipped);
      for (const direction of ['ingress', 'egress'] as const) {
        const selected = base.selected[direction].slice();
        const applied = base.applied[direction].slice();
        const touched = new Set<number>();
        for (const policy of removed) {
          if (!policy.types.has(direction)) continue;
          for (const cls of this.candidates(policy)) {
            if (!policy.selects(cls)) continue;
            selected[cls.id] = (selected[cls.id] ?? []).filter((entry) => entry !== policy);
            touched.add(cls.id);
          }
        }
        for (const policy of added) {
          if (!policy.types.has(direction)) continue;
          for (const cls of this.candidates(policy)) {
            if (!policy.selects(cls)) continue;
            selected[cls.id] = [...(selected[cls.id] ?? []), policy];
            touched.add(cls.id);
          }
        }
        for (const id of touched) {
          const policies = selected[id] ?? [];
          applied[id] = policies.length === 0 ? [] : groupByTier(policies.slice(), tiers);
        }
        this.selected[direction] = selected;
        this.applied[direction] = applied;
      }
      return;
    }
    const selected: Record<Direction, CompiledPolicy[][]> = { ingress: this.classes.map(() => []), egress: this.classes.map(() => []) };
    for (const policy of this.policies) {
      if (policy.skipped) continue;
      for (const cls of this.candidates(policy)) {
        if (!policy.selects(cls)) continue;
        for (const direction of policy.types) selected[direction][cls.id]?.push(policy);
      }
    }
    this.selected = selected;
    for (const direction of ['ingress', 'egress'] as const) {
      this.applied[direction] = selected[direction].map((policies) => (policies.length === 0 ? [] : groupByTier(policies.slice(), tiers)));
    }
  }

  /** Returns the classes a policy can select: every class for a global policy, else the classes of its namespace. */
  private candidates(policy: CompiledPolicy): EndpointClass[] {
    return policy.ref.kind === 'CalicoGlobalNetworkPolicy' ? this.classes : this.classesIn(policy.ref.namespace ?? 'default');
  }
}

/** Tells whether the source is a host-network pod on the destination pod's node, whose traffic is always allowed. */
export function isNodeLocal(source: PodEndpoint, destination: PodEndpoint): boolean {
  return source.hostNetwork && !destination.hostNetwork && source.nodeName !== undefined && source.nodeName === destination.nodeName;
}

const models = new WeakMap<Inventory, ReachModel>();

/** Returns the reachability model of an inventory, built once per inventory for the default options. */
export function reachModel(inventory: Inventory, options?: ReachOptions): ReachModel {
  if (options && Object.values(options).some((value) => value !== undefined)) return new ReachModel(inventory, options);
  let model = models.get(inventory);
  if (!model) {
    model = new ReachModel(inventory);
    models.set(inventory, model);
  }
  return model;
}

// Inventories built for proposed fixes share the Namespace and Pod arrays, so their names are collected once.
const namespaceNames = new WeakMap<object, { namespaces: object; names: Set<string> }>();

/** Returns the names of the Namespace objects and of the namespaces that pods run in. */
function namespacesOfPods(inventory: Inventory): Set<string> {
  const cached = namespaceNames.get(inventory.data.pods);
  if (cached && cached.namespaces === inventory.data.namespaces) return cached.names;
  const names = new Set<string>(inventory.data.namespaces.map((namespace) => namespace.metadata.name));
  for (const pod of inventory.data.pods) names.add(pod.metadata.namespace ?? 'default');
  namespaceNames.set(inventory.data.pods, { namespaces: inventory.data.namespaces, names });
  return names;
}

function knownNamespaces(inventory: Inventory): KnownNamespace[] {
  const names = new Set<string>(namespacesOfPods(inventory));
  for (const policy of inventory.data.networkPolicies) names.add(policy.metadata.namespace ?? 'default');
  return [...names].sort().map((name) => {
    const labels = namespaceLabelsOf(inventory, name);
    return { name, labels, calicoLabels: { ...labels, 'projectcalico.org/name': name } };
  });
}

function compileNetworkSets(inventory: Inventory, notice: (message: string) => void): CompiledNetworkSet[] {
  return inventory.data.calicoNetworkSets.map((set) => {
    const kind = set.kind === 'GlobalNetworkSet' ? 'GlobalNetworkSet' : 'NetworkSet';
    let nets = AddressSet.EMPTY;
    try {
      nets = AddressSet.fromCidrs(set.spec?.nets ?? []);
    } catch (error) {
      if (!(error instanceof InvalidCidrError)) throw error;
      notice(`Calico ${kind} ${set.metadata.name} has an invalid address (${error.message}); it holds no addresses here`);
    }
    return {
      kind,
      ...(kind === 'NetworkSet' ? { namespace: set.metadata.namespace ?? 'default' } : {}),
      name: set.metadata.name,
      labels: set.metadata.labels,
      nets,
      source: set.source,
    };
  });
}

function buildClasses(inventory: Inventory, namespaces: KnownNamespace[], pieces: AddressRange[], ipBlocksMatchPods: boolean, services: ServiceIndex): { pods: PodEndpoint[]; classes: EndpointClass[] } {
  const namespaceByName = new Map(namespaces.map((namespace) => [namespace.name, namespace]));
  const profiles = profileIndex(inventory);
  const all: Array<{ pod: m.Pod; synthesised: boolean }> = [
    ...inventory.data.pods.map((pod) => ({ pod, synthesised: false })),
    ...synthesisePods(inventory).map((pod) => ({ pod, synthesised: true })),
  ];
  const classes: EndpointClass[] = [];
  const classByKey = new Map<string, EndpointClass>();
  const pods: PodEndpoint[] = [];

  for (const { pod, synthesised } of all) {
    const namespace = pod.metadata.namespace ?? 'default';
    const hostNetwork = pod.spec.hostNetwork === true;
    const address = podAddress(pod);
    const serviceAccount = pod.spec.serviceAccountName ?? 'default';
    const namedPorts = namedPortsOf(pod);
    const labels = sortedLabels(pod.metadata.labels);
    let addressKey = '';
    if (ipBlocksMatchPods || hostNetwork) addressKey = address ? String(pieceIndex(pieces, address.parsed)) : 'unknown';
    const known = namespaceByName.get(namespace);
    const namespaceLabels = known?.labels ?? { 'kubernetes.io/metadata.name': namespace };
    const mesh = istioMeshMode(pod, namespaceLabels);
    const ingressController = isIngressNginxController(pod);
    // Service memberships come from EndpointSlices pod by pod, so pods with equal labels can still differ.
    const memberships = services.membership(pod);
    const membershipKey = [...memberships].map(([service, ports]) => `${service}=${ports.key()}`);
    const key = JSON.stringify([namespace, labels, namedPorts, serviceAccount, hostNetwork, addressKey, mesh ?? '', ingressController, membershipKey]);

    let cls = classByKey.get(key);
    if (!cls) {
      const endpointLabels = {
        ...labels,
        'projectcalico.org/namespace': namespace,
        'projectcalico.org/orchestrator': 'k8s',
        'projectcalico.org/serviceaccount': serviceAccount,
      };
      // A host-network pod has no workload endpoint, so no profile labels it.
      const calicoLabels = hostNetwork ? endpointLabels : { ...inheritedLabels(profiles, namespace, namespaceLabels, serviceAccount), ...endpointLabels };
      cls = {
        id: classes.length,
        namespace,
        labels,
        calicoLabels,
        namespaceLabels,
        calicoNamespaceLabels: hostNetwork ? (known?.calicoLabels ?? { ...namespaceLabels, 'projectcalico.org/name': namespace }) : unprefixed(NAMESPACE_LABEL_PREFIX, calicoLabels),
        calicoServiceAccountLabels: hostNetwork ? { 'projectcalico.org/name': serviceAccount } : unprefixed(SERVICE_ACCOUNT_LABEL_PREFIX, calicoLabels),
        profiles: hostNetwork ? [] : profileNamesOf(namespace, serviceAccount),
        namedPorts,
        services: memberships,
        serviceAccount,
        hostNetwork,
        mesh,
        ingressController,
        ...(addressKey !== '' && address ? { address: address.parsed } : {}),
        pods: [],
      };
      classes.push(cls);
      classByKey.set(key, cls);
    }
    const endpoint: PodEndpoint = {
      pod,
      namespace,
      name: pod.metadata.name,
      classId: cls.id,
      ...(address ? { address: address.parsed, addressText: address.text } : {}),
      ...(pod.spec.nodeName ? { nodeName: pod.spec.nodeName } : {}),
      hostNetwork,
      workload: workloadOf(inventory, pod, namespace),
      synthesised,
    };
    cls.pods.push(endpoint);
    pods.push(endpoint);
  }
  return { pods, classes };
}

/** Returns the pod's top controller. A static pod, whose mirror Pod the Node owns, is its own workload. */
function workloadOf(inventory: Inventory, pod: m.Pod, namespace: string): WorkloadRef {
  const owner = inventory.owningWorkload(pod);
  if (owner.kind === 'Node') return { kind: 'Pod', namespace, name: pod.metadata.name };
  return { kind: owner.kind, namespace, name: owner.name };
}

/**
 * Says, for each Service that some rule matches by name, how its endpoints were found. Services without
 * endpoints are reported by the rules that name them.
 */
function serviceNotices(index: ServiceIndex, owners: Array<{ rules: Record<Direction, CompiledRule[]> }>): string[] {
  const keys = new Set<string>();
  for (const owner of owners) for (const rule of [...owner.rules.ingress, ...owner.rules.egress]) for (const key of rule.services ?? []) keys.add(key);
  const messages: string[] = [];
  for (const key of keys) {
    const slash = key.indexOf('/');
    const backends: ServiceBackends = index.backends(key.slice(0, slash), key.slice(slash + 1));
    if (backends.resolution === 'endpoint-slices') {
      messages.push(`Calico rules match Service ${key} by the endpoints of its ${backends.sliceCount === 1 ? 'EndpointSlice' : `${backends.sliceCount} EndpointSlices`} in the snapshot`);
    } else if (backends.resolution === 'selector') {
      messages.push(`Calico rules match Service ${key} by its selector, because the snapshot has no EndpointSlice for it: its endpoints are taken to be the pods the selector matches, with target ports resolved on each pod`);
    }
  }
  return messages;
}

const addressUse = new WeakMap<Inventory, boolean>();

/**
 * Tells whether some NetworkPolicy peer has an ipBlock or some Calico policy or Profile rule has nets or
 * notNets, so that whether those match pod addresses can change a verdict.
 */
function namesAddresses(inventory: Inventory): boolean {
  const cached = addressUse.get(inventory);
  if (cached !== undefined) return cached;
  const data = inventory.data;
  const kubernetes = data.networkPolicies.some((policy) =>
    [...(policy.spec.ingress ?? []).flatMap((rule) => rule.from ?? []), ...(policy.spec.egress ?? []).flatMap((rule) => rule.to ?? [])].some((peer) => peer.ipBlock !== undefined),
  );
  const calicoRules = [...data.calicoPolicies.map((policy) => policy.spec), ...data.calicoProfiles.map((profile) => profile.spec ?? {})].flatMap((spec) => [...(spec.ingress ?? []), ...(spec.egress ?? [])]);
  const calico = calicoRules.some((rule) => [rule.source, rule.destination].some((entity) => entity !== undefined && (entity.nets !== undefined || entity.notNets !== undefined)));
  addressUse.set(inventory, kubernetes || calico);
  return kubernetes || calico;
}

/** Splits the address space at every CIDR that any rule (of a policy or a pod's profile) or network set names. */
function piecesOf(policies: CompiledPolicy[], profiles: CompiledProfile[], networkSets: CompiledNetworkSet[]): AddressRange[] {
  const rules = [...policies, ...profiles].flatMap((owner) => [...owner.rules.ingress, ...owner.rules.egress]);
  return partition([...rules.flatMap((rule) => rule.remoteAddressSets), ...networkSets.map((set) => set.nets)]);
}

/** Tells whether two namespace lists have the same names and labels, so that compiled policies mean the same in both. */
function sameNamespaces(a: KnownNamespace[], b: KnownNamespace[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((namespace, index) => {
    const other = b[index] as KnownNamespace;
    return namespace.name === other.name && JSON.stringify(namespace.calicoLabels) === JSON.stringify(other.calicoLabels);
  });
}

/** Tells whether every piece of `fine` lies inside one piece of `coarse`: each start of a coarse piece starts a fine one. */
function refines(fine: AddressRange[], coarse: AddressRange[]): boolean {
  const starts = new Set(fine.map((piece) => `${piece.family}:${piece.from}`));
  return coarse.every((piece) => starts.has(`${piece.family}:${piece.from}`));
}

function pieceIndex(pieces: AddressRange[], address: { family: 4 | 6; value: bigint }): number {
  let low = 0;
  let high = pieces.length - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    const piece = pieces[middle] as AddressRange;
    if (piece.family < address.family || (piece.family === address.family && piece.to < address.value)) low = middle + 1;
    else if (piece.family > address.family || piece.from > address.value) high = middle - 1;
    else return middle;
  }
  return -1;
}
