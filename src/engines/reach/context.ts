import type { SourceRef } from '../../inventory/source.js';
import { AddressSet, type AddressRange } from './addresses.js';
import type { EndpointClass } from './endpoints.js';
import type { MatchCache, Peer } from './policy.js';
import type { ServiceIndex } from './services.js';

/** A Calico NetworkSet or GlobalNetworkSet: labelled addresses that rule selectors can match. */
export interface CompiledNetworkSet {
  kind: 'NetworkSet' | 'GlobalNetworkSet';
  namespace?: string;
  name: string;
  labels: Record<string, string>;
  nets: AddressSet;
  source: SourceRef;
}

export interface KnownNamespace {
  name: string;
  labels: Record<string, string>;
  calicoLabels: Record<string, string>;
}

/** What policy compilation needs to know about the cluster. */
export interface CompileContext {
  classes: EndpointClass[];
  namespaces: KnownNamespace[];
  networkSets: CompiledNetworkSet[];
  /** Whether ipBlocks and nets also match pod addresses (see ipBlocksMatchPodsFor). */
  ipBlocksMatchPods: boolean;
  /**
   * Whether Kubernetes NetworkPolicy selectors match the labels Calico gives the workload endpoint, profile
   * labels included, as they do when Calico enforces them. Otherwise they match the pod's own labels.
   */
  kubernetesSelectorsSeeCalicoLabels: boolean;
  /**
   * Whether the snapshot has ksa Profiles, whose `pcsa.` labels carry ServiceAccount labels. Without them
   * only the service account's name is known.
   */
  serviceAccountLabelsFromProfiles: boolean;
  /** The endpoints of the snapshot's Services, for Calico `services` rules. */
  services: ServiceIndex;
  cache: MatchCache;
  /** Records something the engine met but does not model; repeated messages are kept once. */
  notice(message: string): void;
}

/**
 * Whether an address rule matches a peer. Pod classes match by their address when the CNI applies address
 * rules to pods, or always for host-network pods, whose address is the node's. A pod whose address is not in
 * the snapshot matches only a set that holds every address of the family (IPv4 assumed).
 */
export function addressMatches(set: AddressSet, remote: Peer, context: CompileContext, describe: () => string): boolean {
  if (remote.kind === 'external') return set.containsRange(remote.range);
  const cls = remote.cls;
  if (!cls.hostNetwork && !context.ipBlocksMatchPods) return false;
  if (cls.address) return set.containsAddress(cls.address.family, cls.address.value);
  if (set.coversFamily(4)) return true;
  context.notice(`${describe()} may also match pods whose IP address is not in the snapshot; those pods are treated as outside it`);
  return false;
}

export function externalRange(range: AddressRange): Peer {
  return { kind: 'external', range };
}

export function emptyAddressSet(): AddressSet {
  return AddressSet.EMPTY;
}
