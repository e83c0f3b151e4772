import { describe, expect, it } from 'vitest';
import { explainConnection, isIngressNginxController, PROTOCOL, ReachModel, type ReachOptions } from '../../../src/engines/reach/index.js';
import type * as m from '../../../src/inventory/model.js';
import { load, namespace, networkPolicy, pod, allowed, endpoint } from './support.js';

// The Ingress layer: Ingress routes go from the ingress-nginx controller pods to the backend Service's pods on
// the target port. In mode `routes` the controller opens nothing else, as network-config-analyzer models an
// ingress controller; in the default mode `policies` the routes are named and limit nothing.

function ingress(namespaceName: string, name: string, spec: object, extra: { annotations?: Record<string, string>; apiVersion?: string } = {}): object {
  return { apiVersion: extra.apiVersion ?? 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name, namespace: namespaceName, ...(extra.annotations ? { annotations: extra.annotations } : {}) }, spec };
}

function ingressClass(name: string, controller: string, isDefault = false): object {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name, ...(isDefault ? { annotations: { 'ingressclass.kubernetes.io/is-default-class': 'true' } } : {}) }, spec: { controller } };
}

function service(namespaceName: string, name: string, selector: Record<string, string>, ports: object[], type = 'ClusterIP'): object {
  return { apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: namespaceName }, spec: { type, selector, ports } };
}

const controller = pod('ingress-nginx', 'ingress-nginx-controller-6d9f84c7b5-jdrnf', {
  labels: { 'app.kubernetes.io/name': 'ingress-nginx', 'app.kubernetes.io/component': 'controller', 'app.kubernetes.io/instance': 'ingress-nginx' },
  image: 'registry.k8s.io/ingress-nginx/controller:v1.11.3@sha256:d56f135b6462cfc476447cfe564b83a45e8bb7da2774963b00d12161112270b7',
  ip: '10.0.9.10',
});

const base = [
  namespace('shop'),
  namespace('ingress-nginx'),
  controller,
  pod('shop', 'web', { labels: { app: 'web' }, ports: [{ name: 'http', containerPort: 8080 }], ip: '10.0.1.11' }),
  pod('shop', 'db', { labels: { app: 'db' }, ports: [{ name: 'pg', containerPort: 5432 }], ip: '10.0.1.10' }),
  service('shop', 'web', { app: 'web' }, [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }]),
];

const webIngress = ingress('shop', 'web', { ingressClassName: 'nginx', rules: [{ host: 'shop.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }] });

function model(documents: object[], options: ReachOptions = {}): ReachModel {
  return new ReachModel(load(documents).inventory, options);
}

const CONTROLLER = 'ingress-nginx/ingress-nginx-controller-6d9f84c7b5-jdrnf';


describe('Ingress layer', () => {
  it('finds ingress-nginx controller pods by image or by the chart labels', () => {
    const byLabel = pod('kube-system', 'nginx', { labels: { 'app.kubernetes.io/name': 'ingress-nginx' }, image: 'example/nginx:1' }) as m.Pod;
    const webhook = pod('ingress-nginx', 'admission-create', { labels: { 'app.kubernetes.io/name': 'ingress-nginx', 'app.kubernetes.io/component': 'admission-webhook' }, image: 'registry.k8s.io/ingress-nginx/kube-webhook-certgen:v1.4.4' }) as m.Pod;
    expect(isIngressNginxController(controller as m.Pod)).toBe(true);
    expect(isIngressNginxController(byLabel)).toBe(true);
    expect(isIngressNginxController(webhook)).toBe(false);
    expect(isIngressNginxController(pod('shop', 'web') as m.Pod)).toBe(false);
  });

  it('limits routes mode to routed backends', () => {
    const reach = model([...base, webIngress], { ingressControllerEgress: 'routes' });
    expect(allowed(reach, CONTROLLER, 'shop/web', 8080)).toBe(true);
    // The Service port (80) is not the pod's port; the named target port resolves to 8080.
    expect(allowed(reach, CONTROLLER, 'shop/web', 80)).toBe(false);
    expect(allowed(reach, CONTROLLER, 'shop/web', 8080, PROTOCOL.UDP)).toBe(false);
    expect(allowed(reach, CONTROLLER, 'shop/db', 5432)).toBe(false);
    expect(allowed(reach, CONTROLLER, '169.254.169.254/32', 80)).toBe(false);
    // Other pods are not limited by the layer.
    expect(allowed(reach, 'shop/db', 'shop/web', 9999)).toBe(true);
  });

  it('is intersected with the policies of the controller and the backend', () => {
    const denyWeb = networkPolicy('shop', 'deny-web', { podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Ingress'] });
    const reach = model([...base, webIngress, denyWeb], { ingressControllerEgress: 'routes' });
    expect(allowed(reach, CONTROLLER, 'shop/web', 8080)).toBe(false);
  });

  it('in the default mode policies, limits nothing and names the route', () => {
    const reach = model([...base, webIngress]);
    expect(allowed(reach, CONTROLLER, 'shop/db', 5432)).toBe(true);
    expect(allowed(reach, CONTROLLER, '169.254.169.254/32', 80)).toBe(true);
    const verdict = explainConnection(reach, endpoint(reach, CONTROLLER), endpoint(reach, 'shop/web'), PROTOCOL.TCP, 8080);
    expect(verdict.layers).toEqual([expect.objectContaining({ layer: 'ingress', allowed: true, decidedBy: 'not-applicable', object: expect.objectContaining({ kind: 'Ingress', namespace: 'shop', name: 'web' }) })]);
    expect(reach.assumptions.some((text) => text.startsWith("the ingress controller pods' egress is what their policies allow"))).toBe(true);
  });

  it('names the deciding Ingress, and the denial, in mode routes', () => {
    const reach = model([...base, webIngress], { ingressControllerEgress: 'routes' });
    const granted = explainConnection(reach, endpoint(reach, CONTROLLER), endpoint(reach, 'shop/web'), PROTOCOL.TCP, 8080);
    expect(granted.layers[0]).toMatchObject({ layer: 'ingress', allowed: true, decidedBy: 'rule', object: { kind: 'Ingress', name: 'web' } });
    expect(granted.explanation).toContain('Ingress routes: allowed: Ingress shop/web routes host shop.example.com path / (Prefix) of rule 1 to Service shop/web port 80, which targets TCP 8080 on the destination.');
    expect(granted.notModelled).toContain('Ingress shop/web chooses its backend by request host and path, which the engine does not evaluate; the connection counts as routed for every host and path');

    const denied = explainConnection(reach, endpoint(reach, CONTROLLER), endpoint(reach, 'shop/db'), PROTOCOL.TCP, 5432);
    expect(denied.allowed).toBe(false);
    expect(denied.layers[0]).toMatchObject({ layer: 'ingress', allowed: false, decidedBy: 'no-match' });
  });

  it('follows the Ingress class to the controller', () => {
    const alb = ingress('shop', 'public', { ingressClassName: 'alb', rules: [{ http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { name: 'http' } } } }] } }] });
    const reach = model([...base, alb, ingressClass('alb', 'ingress.k8s.aws/alb')], { ingressControllerEgress: 'routes' });
    // The only Ingress belongs to the AWS Load Balancer Controller, so the layer limits nothing.
    expect(allowed(reach, CONTROLLER, 'shop/db', 5432)).toBe(true);
    expect(reach.notModelled).toContain('Ingress shop/public has IngressClass alb, whose controller ingress.k8s.aws/alb is not ingress-nginx; its routes are not modelled');

    const nginx = model([...base, alb, ingressClass('alb', 'k8s.io/ingress-nginx')], { ingressControllerEgress: 'routes' });
    expect(allowed(nginx, CONTROLLER, 'shop/web', 8080)).toBe(true);
    expect(allowed(nginx, CONTROLLER, 'shop/db', 5432)).toBe(false);
  });

  it('takes the default IngressClass for an Ingress without a class', () => {
    const classless = ingress('shop', 'web', { rules: [{ http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { number: 80 } } } }] } }] });
    const other = model([...base, classless, ingressClass('traefik', 'traefik.io/ingress-controller', true)], { ingressControllerEgress: 'routes' });
    expect(allowed(other, CONTROLLER, 'shop/db', 5432)).toBe(true);
    const none = model([...base, classless], { ingressControllerEgress: 'routes' });
    expect(allowed(none, CONTROLLER, 'shop/db', 5432)).toBe(false);
    expect(none.notModelled.some((text) => text.startsWith('Ingress shop/web has no class and the snapshot has no default IngressClass'))).toBe(true);
  });

  it('reads the v1beta1 backend and the default backend', () => {
    const legacy = ingress('shop', 'legacy', { backend: { serviceName: 'web', servicePort: 80 } }, { apiVersion: 'networking.k8s.io/v1beta1', annotations: { 'kubernetes.io/ingress.class': 'nginx' } });
    const reach = model([...base, legacy], { ingressControllerEgress: 'routes' });
    expect(allowed(reach, CONTROLLER, 'shop/web', 8080)).toBe(true);
    expect(allowed(reach, CONTROLLER, 'shop/db', 5432)).toBe(false);
  });

  it('reports routes to Services it cannot resolve', () => {
    const missing = ingress('shop', 'broken', { ingressClassName: 'nginx', rules: [{ http: { paths: [{ path: '/', pathType: 'Prefix', backend: { service: { name: 'gone', port: { number: 80 } } } }] } }] });
    const reach = model([...base, missing], { ingressControllerEgress: 'routes' });
    expect(reach.notModelled).toContain('Ingress shop/broken routes any host path / (Prefix) of rule 1 to Service shop/gone, which is not in the snapshot; that route is not evaluated');
    expect(allowed(reach, CONTROLLER, 'shop/web', 8080)).toBe(false);
  });

  it('has no effect without a controller pod, and says so', () => {
    const reach = model([...base.filter((document) => document !== controller), pod('shop', 'client'), webIngress], { ingressControllerEgress: 'routes' });
    expect(allowed(reach, 'shop/client', 'shop/db', 5432)).toBe(true);
    expect(reach.notModelled).toContain('no ingress-nginx controller pod is in the snapshot, so the routes of Ingress shop/web are not evaluated');
  });

  it('reports the routes it captures as explicitly allowed', () => {
    const reach = model([...base, webIngress], { ingressControllerEgress: 'routes' });
    const layers = reach.layers(endpoint(reach, CONTROLLER), endpoint(reach, 'shop/web'));
    expect(layers.map((layer) => layer.layer)).toEqual(['policies', 'ingress']);
    expect(layers[1]?.captured.has(PROTOCOL.TCP, 8080)).toBe(true);
    expect(layers[0]?.captured.isEmpty()).toBe(true);
  });
});
