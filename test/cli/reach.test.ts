import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { writeSnapshot } from '../support/tmp.js';

const namespaces = { apiVersion: 'v1', kind: 'List', items: ['shop', 'ops'].map((name) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'kubernetes.io/metadata.name': name } } })) };

function pod(namespace: string, name: string, labels: Record<string, string>, ports: object[] = []): object {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace, labels }, spec: { containers: [{ name: 'main', image: 'example/app:1', ports }] }, status: { phase: 'Running' } };
}

const pods = {
  apiVersion: 'v1',
  kind: 'List',
  items: [pod('shop', 'db-0', { app: 'db' }, [{ name: 'pg', containerPort: 5432 }]), pod('shop', 'api-1', { app: 'api' }), pod('ops', 'debug', { app: 'debug' })],
};
const service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'db', namespace: 'shop' }, spec: { selector: { app: 'db' }, ports: [{ port: 15432, targetPort: 'pg' }] } };
const policy = {
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name: 'db-clients', namespace: 'shop' },
  spec: { podSelector: { matchLabels: { app: 'db' } }, ingress: [{ from: [{ podSelector: { matchLabels: { app: 'api' } } }], ports: [{ port: 5432 }] }] },
};

async function snapshot(): Promise<string> {
  return writeSnapshot({ 'namespaces.json': namespaces, 'pods.json': pods, 'service.json': service, 'policies.json': { apiVersion: 'v1', kind: 'List', items: [policy] } });
}

describe('rampart reach', () => {
  it('prints allowed with the deciding rule', async () => {
    const result = await runCli('reach', await snapshot(), '--from', 'shop/api-1', '--to', 'shop/db-0', '--port', '5432');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^shop\/api-1 → shop\/db-0 on TCP 5432: allowed\./);
    expect(result.stdout).toContain('Ingress: allowed by NetworkPolicy shop/db-clients ingress rule 1');
    expect(result.stdout).toContain('Egress: no policy selects the source for egress');
  });

  it('exits 1 when denied and names the selecting policy', async () => {
    const result = await runCli('reach', await snapshot(), '--from', 'ops/debug', '--to', 'shop/db-0', '--port', '5432');
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('denied: NetworkPolicy shop/db-clients selects the destination for ingress in tier default and no rule of it matches TCP 5432');
  });

  it('says no policy selects the destination', async () => {
    const result = await runCli('reach', await snapshot(), '--from', 'shop/db-0', '--to', 'ops/debug', '--port', '80', '-o', 'json');
    const body = JSON.parse(result.stdout) as { allowed: boolean; explanation: string; ingress: { decidedBy: string } };
    expect(body.allowed).toBe(true);
    expect(body.ingress.decidedBy).toBe('no-policy');
    expect(body.explanation).toContain('no policy selects the destination');
  });

  it('names the deciding AuthorizationPolicy and Ingress', async () => {
    const meshed = { ...pods, items: pods.items.map((item) => structuredClone(item) as { spec: { containers: object[] } }) };
    for (const item of meshed.items) item.spec.containers.push({ name: 'istio-proxy', image: 'docker.io/istio/proxyv2:1.24.0' });
    const controller = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'ingress-nginx-controller-1', namespace: 'ops', labels: { 'app.kubernetes.io/name': 'ingress-nginx', 'app.kubernetes.io/component': 'controller' } }, spec: { containers: [{ name: 'controller', image: 'registry.k8s.io/ingress-nginx/controller:v1.11.3' }] }, status: { phase: 'Running' } };
    const authorization = { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'db-from-api', namespace: 'shop' }, spec: { selector: { matchLabels: { app: 'db' } }, rules: [{ from: [{ source: { namespaces: ['shop'] } }] }] } };
    const route = { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'db', namespace: 'shop' }, spec: { ingressClassName: 'nginx', defaultBackend: { service: { name: 'db', port: { number: 15432 } } } } };
    const folder = await writeSnapshot({ 'namespaces.json': namespaces, 'pods.json': { ...meshed, items: [...meshed.items, controller] }, 'service.json': service, 'istio.json': authorization, 'ingress.json': route });

    const denied = await runCli('reach', folder, '--from', 'ops/debug', '--to', 'shop/db-0', '--port', '5432', '-o', 'json');
    const body = JSON.parse(denied.stdout) as { allowed: boolean; layers: Array<{ layer: string; selecting?: Array<{ name: string }> }> };
    expect(denied.code).toBe(1);
    expect(body.layers).toEqual([expect.objectContaining({ layer: 'istio', allowed: false, selecting: [expect.objectContaining({ kind: 'AuthorizationPolicy', name: 'db-from-api' })] })]);

    const routes = await runCli('reach', folder, '--from', 'ops/ingress-nginx-controller-1', '--to', 'shop/api-1', '--port', '8080', '--ingress-controller-egress', 'routes');
    expect(routes.code).toBe(1);
    expect(routes.stdout).toContain('Ingress routes: denied: the source is an ingress-nginx controller pod');
    const policies = await runCli('reach', folder, '--from', 'ops/ingress-nginx-controller-1', '--to', 'shop/api-1', '--port', '8080');
    expect(policies.code).toBe(0);
  });

  it('resolves a Service to its pods and target port', async () => {
    const result = await runCli('reach', await snapshot(), '--from', 'shop/api-1', '--to', 'shop/service/db', '--port', '15432', '-o', 'json');
    const body = JSON.parse(result.stdout) as { allowed: boolean; port: number; backends: Array<{ port: number; destination: string }> };
    expect(result.code).toBe(0);
    expect(body.port).toBe(15432);
    expect(body.backends.map((backend) => [backend.destination, backend.port])).toEqual([['shop/db-0', 5432]]);
  });

  it('rejects a Service port the Service does not have', async () => {
    const result = await runCli('reach', await snapshot(), '--from', 'shop/api-1', '--to', 'shop/service/db', '--port', '5432');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('has no port 5432/TCP (ports: 15432/TCP)');
  });

  it('rejects an unknown pod with a hint', async () => {
    const result = await runCli('reach', await snapshot(), '--from', 'shop/nope', '--to', 'shop/db-0', '--port', '5432');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('no pod or workload nope in namespace shop (workloads there: pod/api-1, pod/db-0)');
  });

  it('prints the matrix in connlist form', async () => {
    const result = await runCli('reach', await snapshot(), '--matrix');
    expect(result.code).toBe(0);
    const lines = result.stdout.trim().split('\n');
    expect(lines).toContain('shop/api-1[Pod] => shop/db-0[Pod] : TCP 5432');
    expect(lines).not.toContain('ops/debug[Pod] => shop/db-0[Pod] : TCP 5432');
    expect(lines).toContain('0.0.0.0-255.255.255.255[External] => ops/debug[Pod] : All Connections');
  });

  it('writes the matrix as CSV and markdown', async () => {
    const root = await snapshot();
    const csv = await runCli('reach', root, '--matrix', '-o', 'csv');
    expect(csv.stdout.split('\n')[0]).toBe('source,destination,connections');
    const markdown = await runCli('reach', root, '--matrix', '-o', 'markdown');
    expect(markdown.stdout).toContain('| shop/api-1[Pod] | shop/db-0[Pod] | TCP 5432 |');
  });

  it('rejects a bad port', async () => {
    const result = await runCli('reach', await snapshot(), '--from', 'shop/api-1', '--to', 'shop/db-0', '--port', 'http');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--port http is not PORT or PORT/PROTOCOL');
  });
});

describe('rampart reach output options', () => {
  it('accepts text and txt for a query', async () => {
    const root = await snapshot();
    const query = ['--from', 'shop/api-1', '--to', 'shop/db-0', '--port', '5432'];
    const text = await runCli('reach', root, ...query, '-o', 'text');
    const txt = await runCli('reach', root, ...query, '-o', 'txt');
    expect(txt.code).toBe(0);
    expect(txt.stderr).toBe('');
    expect(txt.stdout).toMatch(/^shop\/api-1 → shop\/db-0 on TCP 5432: allowed\./);
    expect(txt.stdout).toBe(text.stdout);
  });

  it('accepts text and txt for the matrix', async () => {
    const root = await snapshot();
    const text = await runCli('reach', root, '--matrix', '-o', 'text');
    const txt = await runCli('reach', root, '--matrix', '-o', 'txt');
    const unset = await runCli('reach', root, '--matrix');
    expect(text.code).toBe(0);
    expect(text.stderr).toBe('');
    expect(text.stdout).toContain('shop/api-1[Pod] => shop/db-0[Pod] : TCP 5432');
    expect(text.stdout).toBe(txt.stdout);
    expect(text.stdout).toBe(unset.stdout);
  });

  it('prints the matrix as JSON', async () => {
    const result = await runCli('reach', await snapshot(), '--matrix', '-o', 'json');
    const body = JSON.parse(result.stdout) as { connections: Array<{ source: string; destination: string; connections: string }> };
    expect(body.connections).toContainEqual({ source: 'shop/api-1[Pod]', destination: 'shop/db-0[Pod]', connections: 'TCP 5432' });
  });

  it('rejects csv and markdown for a query', async () => {
    for (const format of ['csv', 'markdown']) {
      const result = await runCli('reach', await snapshot(), '--from', 'shop/api-1', '--to', 'shop/db-0', '--port', '5432', '-o', format);
      expect(result.code, format).toBe(2);
      expect(result.stdout, format).toBe('');
      expect(result.stderr, format).toBe(`rampart: error: output format ${format} is for --matrix only; a query prints text (or txt) or json\n`);
    }
  });

  it('rejects an unknown format', async () => {
    const result = await runCli('reach', await snapshot(), '--matrix', '-o', 'yaml');
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("argument 'yaml' is invalid. Allowed choices are text, txt, json, csv, markdown.");
  });

  it('writes a denied query to --output', async () => {
    const root = await snapshot();
    const target = path.join(root, 'verdict.json');
    const result = await runCli('reach', root, '--from', 'ops/debug', '--to', 'shop/db-0', '--port', '5432', '-o', 'json', '--output', target);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    const body = JSON.parse(readFileSync(target, 'utf8')) as { allowed: boolean; source: string };
    expect(body.allowed).toBe(false);
    expect(body.source).toBe('ops/debug');
  });

  it('writes the matrix to --output', async () => {
    const root = await snapshot();
    const target = path.join(root, 'matrix.csv');
    const result = await runCli('reach', root, '--matrix', '-o', 'csv', '--output', target);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('');
    const lines = readFileSync(target, 'utf8').split('\n');
    expect(lines[0]).toBe('source,destination,connections');
    expect(lines).toContain('shop/api-1[Pod],shop/db-0[Pod],TCP 5432');
  });

  it('rejects an --output it cannot write', async () => {
    const root = await snapshot();
    const target = path.join(root, 'no-such-folder', 'matrix.txt');
    const result = await runCli('reach', root, '--matrix', '--output', target);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(new RegExp(`^rampart: error: cannot write ${target.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: ENOENT`));
  });
});
