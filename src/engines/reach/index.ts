// The pod-to-pod reachability engine: Kubernetes NetworkPolicy and Calico policy semantics over
// equivalence classes of pods. See docs/reach.md.

export { AddressSet, formatRange, parseAddress, parseCidr, type AddressRange } from './addresses.js';
export { matchesCalicoSelector, parseCalicoSelector, SelectorSyntaxError, type SelectorNode } from './calico-selector.js';
export { detectCni, ipBlocksMatchPodsFor, isIngressNginxController, istioMeshMode, synthesisePods, type CniInfo, type EndpointClass, type NamedPort, type PodEndpoint, type WorkloadRef } from './endpoints.js';
export type { DirectionDecision, TierPass } from './evaluate.js';
export { computeMatrix, forEachMatrixRow, formatConnlist, nodeName, type MatrixEntry, type MatrixNode, type MatrixOptions } from './matrix.js';
export { isNodeLocal, ReachModel, reachModel, type Endpoint, type ReachOptions } from './model.js';
export { ConnSet, parseProtocol, PROTOCOL, protocolName } from './ports.js';
export { policyLabel, type CompiledPolicy, type CompiledRule, type Direction, type Peer, type PolicyRef } from './policy.js';
export type { CompiledProfile } from './profiles.js';
export type { TierDefaultAction, TierFacts } from './tiers.js';
export { describeEndpoint, explainConnection, type LayerMention, type LayerVerdict, type PolicyMention, type ProfileMention, type ReachVerdict, type SideVerdict } from './verdict.js';
export { IngressLayer } from './ingress-routes.js';
export { IstioLayer, istioStringMatches } from './istio.js';
export { layerObjectLabel, type LayerConnections, type LayerDecision, type LayerName, type LayerObjectRef } from './layer.js';
export { CLIENT_INFERENCE_LIMITATIONS, inferClients, type ClientEvidence, type InferredClients } from './clients.js';
export { DATASTORE_KINDS, detectDatastore, imageName, workloadKey, type DatastoreKind, type DatastorePod } from './datastores.js';
export { datastoresOf, hasDefaultDeny, inventoryWithPolicyChange, reachersOf, type Datastore, type PolicyChange, type Reachers } from './exposure.js';
