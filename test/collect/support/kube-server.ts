import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

// A loopback stand-in for the Kubernetes API server: discovery at /apis, and list requests for the
// resources it holds, paged with `limit` and `continue` as the API server pages them. Typed lists leave
// apiVersion and kind off their items, as the real server does; custom resources keep them.

export interface KubeResourceData {
  group: string;
  version: string;
  resource: string;
  /** The kind of the list, for example `PodList`. */
  listKind: string;
  items: Array<Record<string, unknown>>;
  /** True for CustomResourceDefinitions, whose list items carry apiVersion and kind. */
  custom?: boolean;
}

export type KubeFault = 'forbidden' | 'not-found' | 'malformed' | 'unauthorized' | 'server-error';

export interface RecordedKubeRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  authorization?: string;
}

export interface KubeServer {
  url: string;
  requests: RecordedKubeRequest[];
  /** Writes a kubeconfig for this server with one context, `sde-prod`, and returns its path. */
  writeKubeconfig: () => Promise<string>;
  close: () => Promise<void>;
}

/** The maximum items per page, whatever `limit` requests. Real servers may also return fewer. */
const MAX_PAGE = 5;

export const TEST_TOKEN = 'rampart-test-token';

/**
 * Starts the server, which waits `delayMs` before each response. `faults` maps `resource.group` (core resources by plural alone) to the response every
 * list of that resource gets instead of its items.
 */
export async function startKubeServer(resources: KubeResourceData[], faults: Record<string, KubeFault> = {}, delayMs = 0): Promise<KubeServer> {
  const requests: RecordedKubeRequest[] = [];
  const byPath = new Map(resources.map((resource) => [listPath(resource), resource]));

  const server = createServer((request, response) => {
    setTimeout(() => {
      try {
        handle(request, response);
      } catch (error) {
        sendStatus(response, 500, 'InternalError', String(error));
      }
    }, delayMs);
  });

  function handle(request: IncomingMessage, response: ServerResponse): void {
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const query = Object.fromEntries(url.searchParams);
    requests.push({ method: request.method ?? 'GET', path: url.pathname, query, ...(request.headers.authorization ? { authorization: request.headers.authorization } : {}) });
    if (request.headers.authorization !== `Bearer ${TEST_TOKEN}`) return sendStatus(response, 401, 'Unauthorized', 'Unauthorized');
    if (request.method !== 'GET') return sendStatus(response, 405, 'MethodNotAllowed', `the server does not allow ${request.method}`);

    if (url.pathname === '/apis') return sendJson(response, 200, discovery(resources));
    const resource = byPath.get(url.pathname);
    const name = resource ? (resource.group ? `${resource.resource}.${resource.group}` : resource.resource) : undefined;
    const fault = name ? faults[name] : undefined;
    if (!resource || fault === 'not-found') return sendStatus(response, 404, 'NotFound', 'the server could not find the requested resource');
    if (fault === 'unauthorized') return sendStatus(response, 401, 'Unauthorized', 'Unauthorized');
    if (fault === 'forbidden') {
      const message = `${name} is forbidden: User "system:serviceaccount:rampart:rampart" cannot list resource "${resource.resource}" in API group "${resource.group}" at the cluster scope`;
      return sendStatus(response, 403, 'Forbidden', message);
    }
    if (fault === 'server-error') return sendStatus(response, 500, 'InternalError', 'etcdserver: request timed out');
    if (fault === 'malformed') {
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end('{"kind":"List","items":[{"metadata":');
      return;
    }

    const start = query.continue ? Number(/^c-(\d+)$/.exec(query.continue)?.[1] ?? 'NaN') : 0;
    if (Number.isNaN(start)) return sendStatus(response, 410, 'Expired', 'The provided continue parameter is too old');
    const limit = Math.min(query.limit ? Number(query.limit) : Number.POSITIVE_INFINITY, MAX_PAGE);
    const end = start + limit;
    const items = resource.items.slice(start, end).map((item) => (resource.custom ? item : withoutType(item)));
    const metadata = { resourceVersion: '46000000', ...(end < resource.items.length ? { continue: `c-${end}` } : {}) };
    sendJson(response, 200, { kind: resource.listKind, apiVersion: resource.group ? `${resource.group}/${resource.version}` : resource.version, metadata, items });
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const tempDirs: string[] = [];

  return {
    url,
    requests,
    writeKubeconfig: async () => {
      const dir = await mkdtemp(path.join(os.tmpdir(), 'rampart-kubeconfig-'));
      tempDirs.push(dir);
      const file = path.join(dir, 'config');
      // client-node 1.4 refuses plain http unless the cluster entry sets insecure-skip-tls-verify.
      const config = [
        'apiVersion: v1',
        'kind: Config',
        'clusters:',
        '- name: sde-prod',
        '  cluster:',
        `    server: ${url}`,
        '    insecure-skip-tls-verify: true',
        'users:',
        '- name: rampart',
        '  user:',
        `    token: ${TEST_TOKEN}`,
        'contexts:',
        '- name: sde-prod',
        '  context:',
        '    cluster: sde-prod',
        '    user: rampart',
        'current-context: sde-prod',
        '',
      ].join('\n');
      await writeFile(file, config);
      return file;
    },
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      for (const dir of tempDirs) await rm(dir, { recursive: true, force: true });
    },
  };
}

function listPath(resource: KubeResourceData): string {
  return resource.group ? `/apis/${resource.group}/${resource.version}/${resource.resource}` : `/api/${resource.version}/${resource.resource}`;
}

/** The APIGroupList at /apis, listing every non-core group the server has resources for. */
function discovery(resources: KubeResourceData[]): unknown {
  const groups = new Map<string, Set<string>>();
  for (const resource of resources) {
    if (!resource.group) continue;
    const versions = groups.get(resource.group) ?? new Set();
    versions.add(resource.version);
    groups.set(resource.group, versions);
  }
  return {
    kind: 'APIGroupList',
    apiVersion: 'v1',
    groups: [...groups].sort(([a], [b]) => a.localeCompare(b)).map(([name, versions]) => {
      const list = [...versions].sort().map((version) => ({ groupVersion: `${name}/${version}`, version }));
      return { name, versions: list, preferredVersion: list[0] };
    }),
  };
}

function withoutType(item: Record<string, unknown>): Record<string, unknown> {
  const { apiVersion: _apiVersion, kind: _kind, ...rest } = item;
  return rest;
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

function sendStatus(response: ServerResponse, code: number, reason: string, message: string): void {
  sendJson(response, code, { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code });
}
