import { describe, expect, it } from 'vitest';
import { datastoresOf, ReachModel } from '../../../src/engines/reach/index.js';
import { load, namespace, pod } from './support.js';

// A datastore is recognised by its image or its name label, or by a distinctive port when nothing else
// runs in the pod. Injected mesh proxies do not count as something else.

function withSidecar(document: object, name: string): object {
  const copy = structuredClone(document) as { spec: { containers: object[] } };
  copy.spec.containers.push({ name, image: `registry.example/${name}:1.0`, ports: [{ name: 'http-envoy-prom', containerPort: 15090 }] });
  return copy;
}

function recognised(documents: object[]): string[] {
  return datastoresOf(new ReachModel(load([namespace('data'), ...documents]).inventory)).map((datastore) => `${datastore.workload.name}:${datastore.detected.kind.id}`);
}

const byPort = pod('data', 'store-0', { labels: { app: 'store' }, ports: [{ name: 'tcp', containerPort: 5432 }] });

describe('detectDatastore', () => {
  it('recognises an image', () => {
    expect(recognised([pod('data', 'db-0', { labels: { app: 'db' }, image: 'docker.io/bitnami/postgresql:16.2.0' })])).toEqual(['db-0:postgresql']);
  });

  it('recognises a distinctive port alone', () => {
    expect(recognised([byPort])).toEqual(['store-0:postgresql']);
  });

  it('recognises a port beside a mesh proxy', () => {
    expect(recognised([withSidecar(byPort, 'istio-proxy')])).toEqual(['store-0:postgresql']);
    expect(recognised([withSidecar(byPort, 'linkerd-proxy')])).toEqual(['store-0:postgresql']);
  });

  it('ignores a port beside another container', () => {
    expect(recognised([withSidecar(byPort, 'exporter')])).toEqual([]);
  });
});
