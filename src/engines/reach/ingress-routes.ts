import type * as m from '../../inventory/model.js';
import { matchesServiceSelector } from '../../inventory/selectors.js';
import { compareText } from '../../compare.js';
import type { EndpointClass } from './endpoints.js';
import { layerObjectLabel, type LayerDecision, type LayerObjectRef } from './layer.js';
import { ConnSet, PROTOCOL } from './ports.js';
import type { Peer } from './policy.js';

// Kubernetes Ingress (networking.k8s.io/v1, and the v1beta1 backend fields) as a layer on the ingress
// controller's egress. An Ingress routes TCP from the controller pods to the pods of each backend Service, on
// the Service port's target port (a named target port resolves on each pod). Hosts and paths choose a backend
// per request, so a connection counts as routed whatever the host and path.
//
// The layer has two modes. `routes` is network-config-analyzer's model of an ingress controller: the
// controller pods open only the connections their Ingresses route, so this layer denies everything else they
// would open, to pods or to addresses outside them. `policies`, the default, leaves the controller's egress to
// its NetworkPolicies and Calico policies. A controller pod can open any connection they permit, such as to the
// Kubernetes API, or to the instance metadata service when it is compromised. In this mode the layer only
// names the Ingress that routes a connection.
//
// The controller is ingress-nginx, found by its pods (see isIngressNginxController). It serves an Ingress whose
// class (ingressClassName, else the kubernetes.io/ingress.class annotation, else the default IngressClass)
// names an ingress-nginx controller; a class named `nginx` without an IngressClass object in the snapshot is
// ingress-nginx's default class, and an Ingress without any class is taken to be served as well. With no
// controller pod in the snapshot the layer has no effect, as in network-config-analyzer, and says so.

interface IngressRoute {
  ingress: LayerObjectRef;
  /** The rule part the route comes from, such as `host a.example.com path /api`. */
  description: string;
  service: { namespace: string; name: string; port: number | string };
  selector: Record<string, string>;
  targetPort: number | string;
}

/** The Ingress layer's treatment of ingress controller pods' egress (see the header of this file). */
export type IngressControllerEgress = 'routes' | 'policies';

export class IngressLayer {
  /** The Ingresses ingress-nginx serves. */
  readonly served: LayerObjectRef[] = [];
  readonly routes: IngressRoute[] = [];
  /** Whether some Ingress is served and a controller pod exists. */
  readonly active: boolean;
  /** Whether the layer limits the controllers' egress to the routes: active, in mode `routes`. */
  readonly restricts: boolean;
  private readonly noticeList: string[] = [];
  private readonly toClass: Array<ConnSet | undefined> = [];

  constructor(
    readonly ingresses: m.Ingress[],
    readonly ingressClasses: m.IngressClass[],
    readonly services: m.Service[],
    readonly classes: EndpointClass[],
    readonly mode: IngressControllerEgress,
  ) {
    const serviceByName = new Map(services.map((service) => [`${service.metadata.namespace ?? 'default'}/${service.metadata.name}`, service]));
    for (const ingress of [...ingresses].sort((a, b) => compareText(`${a.metadata.namespace ?? 'default'}/${a.metadata.name}`, `${b.metadata.namespace ?? 'default'}/${b.metadata.name}`))) {
      const ref: LayerObjectRef = { kind: 'Ingress', apiVersion: ingress.apiVersion, namespace: ingress.metadata.namespace ?? 'default', name: ingress.metadata.name, source: ingress.source };
      const served = servedByIngressNginx(ingress, ingressClasses);
      if (!served.served) {
        this.noticeList.push(`${layerObjectLabel(ref)} ${served.reason}; its routes are not modelled`);
        continue;
      }
      if (served.note) this.noticeList.push(`${layerObjectLabel(ref)} ${served.note}`);
      this.served.push(ref);
      this.addRoutes(ingress, ref, serviceByName);
    }
    const controllers = classes.filter((cls) => cls.ingressController && cls.pods.length > 0);
    this.active = this.served.length > 0 && controllers.length > 0;
    this.restricts = this.active && mode === 'routes';
    if (this.served.length > 0 && controllers.length === 0) {
      this.noticeList.push(`no ingress-nginx controller pod is in the snapshot, so the routes of ${this.served.map(layerObjectLabel).join(', ')} are not evaluated`);
    }
    if (this.restricts) {
      const pods = controllers.flatMap((cls) => cls.pods.map((pod) => `${pod.namespace}/${pod.name}`)).sort(compareText);
      this.noticeList.push(`the ingress-nginx controller pods (${pods.slice(0, 5).join(', ')}${pods.length > 5 ? ', …' : ''}) are taken to open only the connections their Ingresses route, as network-config-analyzer models an ingress controller; their other connections, such as to the Kubernetes API, are not modelled`);
    }
  }

  notices(): string[] {
    return this.noticeList;
  }

  /** Connections the layer lets the local class open to the remote peer. */
  egress(local: EndpointClass, remote: Peer): ConnSet {
    if (!this.restricts || !local.ingressController) return ConnSet.ALL;
    if (remote.kind === 'external') return ConnSet.NONE;
    return this.routedTo(remote.cls);
  }

  /** Returns the connections the Ingresses route for a controller source, network-config-analyzer's captured connections. */
  captured(local: EndpointClass, remote: Peer): ConnSet {
    if (!this.restricts || !local.ingressController) return ConnSet.NONE;
    return this.egress(local, remote);
  }

  /**
   * Names the route of one connection from a controller pod. In mode `routes` a connection without a route is
   * denied; in mode `policies` it is left out (undefined), because the layer decides nothing then.
   */
  explain(local: EndpointClass, remote: Peer, protocol: number, port: number): LayerDecision | undefined {
    if (!this.active || !local.ingressController) return undefined;
    if (protocol === PROTOCOL.TCP && remote.kind === 'class') {
      const route = this.routes.find((candidate) => routePorts(candidate, remote.cls).has(PROTOCOL.TCP, port));
      if (route) {
        const routed = `${layerObjectLabel(route.ingress)} routes ${route.description} to Service ${route.service.namespace}/${route.service.name} port ${route.service.port}, which targets TCP ${port} on the destination`;
        return {
          layer: 'ingress',
          allowed: true,
          decidedBy: this.restricts ? 'rule' : 'not-applicable',
          object: route.ingress,
          sentence: this.restricts ? `allowed: ${routed}.` : `${routed}; the controller's egress is left to its policies, so the route limits nothing.`,
          notModelled: [`${layerObjectLabel(route.ingress)} chooses its backend by request host and path, which the engine does not evaluate; the connection counts as routed for every host and path`],
        };
      }
    }
    if (!this.restricts) return undefined;
    const target = remote.kind === 'external' ? 'addresses outside the pods' : 'the destination';
    return {
      layer: 'ingress',
      allowed: false,
      decidedBy: 'no-match',
      selecting: this.served,
      sentence: `denied: the source is an ingress-nginx controller pod, whose connections the Ingress layer limits to the backends its Ingresses route, and no Ingress routes to ${target} on this protocol and port.`,
      notModelled: [],
    };
  }

  private routedTo(cls: EndpointClass): ConnSet {
    let result = this.toClass[cls.id];
    if (result) return result;
    result = ConnSet.NONE;
    for (const route of this.routes) result = result.union(routePorts(route, cls));
    this.toClass[cls.id] = result;
    return result;
  }

  private addRoutes(ingress: m.Ingress, ref: LayerObjectRef, services: Map<string, m.Service>): void {
    const spec = ingress.spec ?? {};
    const label = layerObjectLabel(ref);
    const add = (backend: Backend | null | undefined, description: string) => {
      if (!backend) return;
      const route = resolveBackend(backend, ref, description, services, (message) => this.noticeList.push(`${label} ${message}`));
      if (route) this.routes.push(route);
    };
    (spec.rules ?? []).forEach((rule, ruleIndex) => {
      for (const path of rule.http?.paths ?? []) {
        const parts = [rule.host ? `host ${rule.host}` : 'any host', `path ${path.path ?? '/'}${path.pathType ? ` (${path.pathType})` : ''}`];
        add(path.backend, `${parts.join(' ')} of rule ${ruleIndex + 1}`);
      }
    });
    add(spec.defaultBackend ?? spec.backend, 'requests no rule matches (the default backend)');
  }
}

type Backend = NonNullable<NonNullable<m.Ingress['spec']>['defaultBackend']>;

function resolveBackend(backend: Backend, ingress: LayerObjectRef, description: string, services: Map<string, m.Service>, notice: (message: string) => void): IngressRoute | undefined {
  if (backend.resource) {
    notice(`routes ${description} to a ${backend.resource.kind} resource, which the engine does not model`);
    return undefined;
  }
  const name = backend.service?.name ?? backend.serviceName;
  const port = backend.service?.port?.number ?? backend.service?.port?.name ?? backend.servicePort;
  if (!name || port === undefined) {
    notice(`has a backend for ${description} without a Service name and port; it is not evaluated`);
    return undefined;
  }

  const service = services.get(`${ingress.namespace}/${name}`);
  if (!service) {
    notice(`routes ${description} to Service ${ingress.namespace}/${name}, which is not in the snapshot; that route is not evaluated`);
    return undefined;
  }
  if (service.spec.type === 'ExternalName') {
    notice(`routes ${description} to ExternalName Service ${ingress.namespace}/${name}, outside the pods; that route is not modelled`);
    return undefined;
  }

  const selector = service.spec.selector ?? {};
  if (Object.keys(selector).length === 0) {
    notice(`routes ${description} to Service ${ingress.namespace}/${name}, which has no selector, so its endpoints are not known; that route is not evaluated`);
    return undefined;
  }

  const entry = (service.spec.ports ?? []).find((candidate) => (typeof port === 'number' ? candidate.port === port : candidate.name === port));
  if (!entry) {
    notice(`routes ${description} to port ${port} of Service ${ingress.namespace}/${name}, which has no such port; that route is not evaluated`);
    return undefined;
  }
  return { ingress, description, service: { namespace: ingress.namespace, name, port }, selector, targetPort: entry.targetPort ?? entry.port };
}

/** Returns the TCP port the route reaches on the class: its target port, a named one resolved on the class's pods. */
function routePorts(route: IngressRoute, cls: EndpointClass): ConnSet {
  if (cls.namespace !== route.service.namespace || !matchesServiceSelector(route.selector, cls.labels)) return ConnSet.NONE;
  const target = route.targetPort;
  if (typeof target === 'number') return ConnSet.port(PROTOCOL.TCP, target);
  if (/^\d+$/.test(target)) return ConnSet.port(PROTOCOL.TCP, Number(target));
  const named = cls.namedPorts.find((port) => port.name === target && port.protocol === 'TCP');
  return named ? ConnSet.port(PROTOCOL.TCP, named.port) : ConnSet.NONE;
}

/** Decides whether ingress-nginx serves the Ingress, from its class. */
function servedByIngressNginx(ingress: m.Ingress, classes: m.IngressClass[]): { served: true; note?: string } | { served: false; reason: string } {
  const className = ingress.spec?.ingressClassName ?? ingress.metadata.annotations['kubernetes.io/ingress.class'];
  if (className) {
    const object = classes.find((candidate) => candidate.metadata.name === className);
    if (object) {
      const controller = object.spec?.controller ?? '';
      return isIngressNginxClass(controller) ? { served: true } : { served: false, reason: `has IngressClass ${className}, whose controller ${controller || '(none)'} is not ingress-nginx` };
    }
    return className === 'nginx' ? { served: true } : { served: false, reason: `has class ${className}, which is neither ingress-nginx's default class nor an IngressClass in the snapshot` };
  }
  const defaults = classes.filter((candidate) => candidate.metadata.annotations['ingressclass.kubernetes.io/is-default-class'] === 'true');
  if (defaults.some((candidate) => isIngressNginxClass(candidate.spec?.controller ?? ''))) return { served: true };
  if (defaults.length === 0) return { served: true, note: 'has no class and the snapshot has no default IngressClass; it is taken to be served by ingress-nginx, which serves such Ingresses only with --watch-ingress-without-class, a setting the snapshot does not show' };
  return { served: false, reason: `has no class, and the default IngressClass ${defaults.map((candidate) => candidate.metadata.name).join(', ')} is not ingress-nginx's` };
}

function isIngressNginxClass(controller: string): boolean {
  return /(^|\/)ingress-nginx$/.test(controller) || controller.startsWith('k8s.io/ingress-nginx');
}
