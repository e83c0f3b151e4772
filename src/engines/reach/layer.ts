import type { SourceRef } from '../../inventory/source.js';
import type { ConnSet } from './ports.js';

// Policy layers beside Kubernetes NetworkPolicies and Calico policies. As network-config-analyzer combines its
// layers, a connection is allowed only when every layer allows it. The layers are the NetworkPolicy and Calico
// layer, the Istio layer (AuthorizationPolicies, on the destination side) and the Ingress layer (the routes of
// Ingress resources, on the ingress controller's side). A snapshot without Istio or Ingress objects has
// neither of the last two.

export type LayerName = 'policies' | 'istio' | 'ingress';

/** An AuthorizationPolicy or Ingress that a layer verdict names. */
export interface LayerObjectRef {
  kind: 'AuthorizationPolicy' | 'Ingress';
  apiVersion: string;
  namespace: string;
  name: string;
  source: SourceRef;
}

/** The connections one layer allows between a connection's two ends. */
export interface LayerConnections {
  layer: LayerName;
  /** Every connection the layer lets through, whether or not one of its objects decides it. */
  allowed: ConnSet;
  /**
   * The connections the layer's objects allow explicitly (network-config-analyzer's "captured" connections):
   * those of an end that a policy of the layer selects.
   */
  captured: ConnSet;
}

/** One layer's decision on one connection, for explanations. */
export interface LayerDecision {
  layer: 'istio' | 'ingress';
  allowed: boolean;
  /**
   * The kind of decision: a rule or route of an object, the default of a layer whose objects select the end
   * but match nothing, or the fact that the layer does not apply to this connection.
   */
  decidedBy: 'rule' | 'no-match' | 'not-applicable';
  /** The object whose rule or route decided. */
  object?: LayerObjectRef;
  /** One-based rule number within an AuthorizationPolicy. */
  rule?: number;
  /** The objects that select the end when none of them matches. */
  selecting?: LayerObjectRef[];
  sentence: string;
  /** Facts about the decision that the engine could not evaluate, such as HTTP conditions. */
  notModelled: string[];
}

export function layerObjectLabel(ref: LayerObjectRef): string {
  return `${ref.kind} ${ref.namespace}/${ref.name}`;
}
