import { ApiException, ApisApi, CoreV1Api, CustomObjectsApi, KubeConfig, Observable, ResponseContext, type ConfigurationOptions, type RequestContext } from '@kubernetes/client-node';
import { LiveCollectionError, describeError, firstLine, isAbortOrTimeout, networkCodeOf } from './errors.js';
import { sanitizeObject } from './kubernetes-sanitize.js';
import type { CollectionSink } from './sink.js';
import type { KindRecord, KindStatus, KubernetesCollectOptions, SnapshotManifest } from './types.js';

const DEFAULT_PAGE_SIZE = 500;
const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;
/** Milliseconds the first request (API discovery) may take before the API counts as unreachable. */
const DISCOVERY_TIMEOUT_MS = 10_000;

/** One resource Rampart lists, with the snapshot file it goes to, as docs/snapshot.md exports it. */
interface ResourceType {
  /** The coverage kind, as the report names it. */
  kind: string;
  /** The kind the API server gives the objects. */
  apiKind: string;
  group: string;
  version: string;
  resource: string;
  file: string;
}

type CoreLister = (api: CoreV1Api, page: { limit: number; _continue?: string }, options: ConfigurationOptions) => Promise<unknown>;

// The core group lives under /api/v1, which the custom objects client cannot address.
const CORE_LISTERS: Record<string, CoreLister> = {
  namespaces: (api, page, options) => api.listNamespace(page, options),
  nodes: (api, page, options) => api.listNode(page, options),
  pods: (api, page, options) => api.listPodForAllNamespaces(page, options),
  services: (api, page, options) => api.listServiceForAllNamespaces(page, options),
  events: (api, page, options) => api.listEventForAllNamespaces(page, options),
};

/** Built-in resources, in the order docs/snapshot.md lists them in each file. */
export const BUILT_IN_RESOURCES: ResourceType[] = [
  { kind: 'Namespace', apiKind: 'Namespace', group: '', version: 'v1', resource: 'namespaces', file: 'kubernetes/cluster.json' },
  { kind: 'Node', apiKind: 'Node', group: '', version: 'v1', resource: 'nodes', file: 'kubernetes/cluster.json' },
  { kind: 'IngressClass', apiKind: 'IngressClass', group: 'networking.k8s.io', version: 'v1', resource: 'ingressclasses', file: 'kubernetes/cluster.json' },
  { kind: 'Pod', apiKind: 'Pod', group: '', version: 'v1', resource: 'pods', file: 'kubernetes/workloads.json' },
  { kind: 'Service', apiKind: 'Service', group: '', version: 'v1', resource: 'services', file: 'kubernetes/workloads.json' },
  { kind: 'EndpointSlice', apiKind: 'EndpointSlice', group: 'discovery.k8s.io', version: 'v1', resource: 'endpointslices', file: 'kubernetes/workloads.json' },
  { kind: 'Deployment', apiKind: 'Deployment', group: 'apps', version: 'v1', resource: 'deployments', file: 'kubernetes/workloads.json' },
  { kind: 'ReplicaSet', apiKind: 'ReplicaSet', group: 'apps', version: 'v1', resource: 'replicasets', file: 'kubernetes/workloads.json' },
  { kind: 'StatefulSet', apiKind: 'StatefulSet', group: 'apps', version: 'v1', resource: 'statefulsets', file: 'kubernetes/workloads.json' },
  { kind: 'DaemonSet', apiKind: 'DaemonSet', group: 'apps', version: 'v1', resource: 'daemonsets', file: 'kubernetes/workloads.json' },
  { kind: 'Job', apiKind: 'Job', group: 'batch', version: 'v1', resource: 'jobs', file: 'kubernetes/workloads.json' },
  { kind: 'CronJob', apiKind: 'CronJob', group: 'batch', version: 'v1', resource: 'cronjobs', file: 'kubernetes/workloads.json' },
  { kind: 'Ingress', apiKind: 'Ingress', group: 'networking.k8s.io', version: 'v1', resource: 'ingresses', file: 'kubernetes/workloads.json' },
  { kind: 'NetworkPolicy', apiKind: 'NetworkPolicy', group: 'networking.k8s.io', version: 'v1', resource: 'networkpolicies', file: 'kubernetes/workloads.json' },
  // Core v1 Events only, because the events.k8s.io view contains the same objects and reading both counts each twice.
  { kind: 'Event', apiKind: 'Event', group: '', version: 'v1', resource: 'events', file: 'kubernetes/events.json' },
];

/**
 * Calico's policy API, in the order of preference: the Calico API server (or native v3 CRDs) serves
 * `projectcalico.org/v3`, otherwise the CRDs behind it are read as `crd.projectcalico.org/v1`. Only one
 * form is collected, because the two list each policy under different names.
 */
export const CALICO_GROUPS = [
  { group: 'projectcalico.org', version: 'v3' },
  { group: 'crd.projectcalico.org', version: 'v1' },
] as const;

/**
 * Calico resources, listed from the API group chosen above. On the Kubernetes datastore Calico generates
 * Profiles from Namespaces and ServiceAccounts and stores none as custom resources. So only the Calico
 * API server lists them, and a `crd.projectcalico.org` collection usually has none. Tiers give the order
 * of the policy tiers and what each does with traffic its policies leave undecided.
 */
export const CALICO_RESOURCES = [
  { kind: 'CalicoNetworkPolicy', apiKind: 'NetworkPolicy', resource: 'networkpolicies' },
  { kind: 'CalicoGlobalNetworkPolicy', apiKind: 'GlobalNetworkPolicy', resource: 'globalnetworkpolicies' },
  { kind: 'CalicoNetworkSet', apiKind: 'NetworkSet', resource: 'networksets' },
  { kind: 'CalicoGlobalNetworkSet', apiKind: 'GlobalNetworkSet', resource: 'globalnetworksets' },
  { kind: 'CalicoProfile', apiKind: 'Profile', resource: 'profiles' },
  { kind: 'CalicoTier', apiKind: 'Tier', resource: 'tiers' },
] as const;

/**
 * Istio's AuthorizationPolicy API, in the order of preference. Every served version of a custom resource
 * lists the same stored objects, so only the first served version is read. Istio releases without v1
 * serve `v1beta1` only.
 */
export const ISTIO_GROUPS = [
  { group: 'security.istio.io', version: 'v1' },
  { group: 'security.istio.io', version: 'v1beta1' },
] as const;

const ISTIO_RESOURCE = { kind: 'AuthorizationPolicy', apiKind: 'AuthorizationPolicy', resource: 'authorizationpolicies', file: 'kubernetes/istio.yaml' };

export const METRICS_RESOURCE: ResourceType = { kind: 'PodMetrics', apiKind: 'PodMetrics', group: 'metrics.k8s.io', version: 'v1beta1', resource: 'pods', file: 'kubernetes/pod-metrics.json' };

export type KubernetesManifest = NonNullable<SnapshotManifest['kubernetes']>;

/**
 * Collects the Kubernetes part of a snapshot into `sink`. Raises LiveCollectionError when the API server
 * cannot be reached or rejects the credentials. A kind that is forbidden, not served or fails is recorded
 * in the manifest, and the other kinds are still collected. Secrets and ConfigMaps are never requested.
 */
export async function collectKubernetes(options: KubernetesCollectOptions, sink: CollectionSink): Promise<KubernetesManifest> {
  const config = loadKubeConfig(options);
  const server = config.getCurrentCluster()?.server;
  const context = config.getCurrentContext();
  const client = new KubeClient(config, options);

  const groups = await client.discoverGroups(context, server);
  const calico = CALICO_GROUPS.find((candidate) => groups.has(`${candidate.group}/${candidate.version}`));
  const resources: ResourceType[] = [...BUILT_IN_RESOURCES];
  if (calico) {
    resources.push(...CALICO_RESOURCES.map((entry) => ({ ...entry, group: calico.group, version: calico.version, file: 'kubernetes/calico.yaml' })));
  } else {
    for (const entry of CALICO_RESOURCES) {
      sink.record(kubeRecord(entry.kind, `list ${entry.resource}.projectcalico.org`, 'not-found', 0, [], 'the API server serves neither projectcalico.org/v3 nor crd.projectcalico.org/v1: Calico is not installed'));
    }
  }
  const istio = ISTIO_GROUPS.find((candidate) => groups.has(`${candidate.group}/${candidate.version}`));
  if (istio) {
    resources.push({ ...ISTIO_RESOURCE, group: istio.group, version: istio.version });
  } else {
    sink.record(kubeRecord(ISTIO_RESOURCE.kind, `list ${ISTIO_RESOURCE.resource}.security.istio.io`, 'not-found', 0, [], 'the API server serves neither security.istio.io/v1 nor security.istio.io/v1beta1: Istio is not installed'));
  }
  if (groups.has(`${METRICS_RESOURCE.group}/${METRICS_RESOURCE.version}`)) resources.push(METRICS_RESOURCE);
  else sink.record(kubeRecord(METRICS_RESOURCE.kind, 'list pods.metrics.k8s.io', 'not-found', 0, [], 'the API server does not serve metrics.k8s.io/v1beta1: metrics-server (or another metrics API provider) is not running'));

  const itemsByFile = new Map<string, unknown[]>();
  const recordsByFile = new Map<string, KindRecord[]>();
  for (const resource of resources) {
    const items = itemsByFile.get(resource.file) ?? [];
    itemsByFile.set(resource.file, items);
    const api = `list ${resource.group ? `${resource.resource}.${resource.group}` : resource.resource}`;
    try {
      const listed = await client.listAll(resource);
      items.push(...listed);
      const record = kubeRecord(resource.kind, api, 'collected', listed.length, [resource.file]);
      recordsByFile.set(resource.file, [...(recordsByFile.get(resource.file) ?? []), record]);
      sink.record(record);
    } catch (error) {
      if (error instanceof LiveCollectionError) throw error;
      const { status, message } = classifyKubeError(error, context, server);
      sink.record(kubeRecord(resource.kind, api, status, 0, [], message));
    }
  }

  // A file is written when at least one of its kinds was collected, even with no objects, as kubectl does.
  for (const [file, items] of itemsByFile) {
    if (!recordsByFile.has(file)) continue;
    sink.addOutput(file, kubectlList(items), file.endsWith('.yaml') ? 'yaml' : 'json');
  }

  return {
    context,
    ...(server ? { server } : {}),
    ...(calico ? { calicoApiGroup: `${calico.group}/${calico.version}` } : {}),
    ...(istio ? { istioApiGroup: `${istio.group}/${istio.version}` } : {}),
  };
}

// --- configuration --------------------------------------------------------------------------------

function loadKubeConfig(options: KubernetesCollectOptions): KubeConfig {
  const config = new KubeConfig();
  try {
    if (options.kubeconfig) config.loadFromFile(options.kubeconfig);
    else config.loadFromDefault();
  } catch (error) {
    throw new LiveCollectionError(`kubeconfig ${options.kubeconfig ?? '(default)'} cannot be read: ${describeError(error)}`);
  }
  // Without KUBECONFIG, ~/.kube/config or a service account token, the client falls back to
  // http://localhost:8080, which is never what the caller meant.
  if (!options.kubeconfig && config.getCurrentContext() === 'loaded-context' && config.getCurrentCluster()?.server === 'http://localhost:8080') {
    throw new LiveCollectionError('no kubeconfig found: pass --kubeconfig, set KUBECONFIG, or run inside the cluster with a service account');
  }
  if (options.context) {
    if (!config.getContextObject(options.context)) {
      const known = config.getContexts().map((context) => context.name).sort();
      throw new LiveCollectionError(`context ${options.context} is not in the kubeconfig; its contexts are: ${known.join(', ') || 'none'}`);
    }
    config.setCurrentContext(options.context);
  }
  if (!config.getCurrentCluster()) {
    throw new LiveCollectionError(`kubeconfig context ${config.getCurrentContext() || '(none)'} names no cluster: pass --context`);
  }
  return config;
}

// --- API access -----------------------------------------------------------------------------------

/** Raised for a response that is not a Kubernetes list; recorded as a failed kind. */
class MalformedResponseError extends Error {}

class KubeClient {
  private readonly core: CoreV1Api;
  private readonly custom: CustomObjectsApi;
  private readonly apis: ApisApi;
  private readonly pageSize: number;
  private readonly timeoutMs: number;

  constructor(config: KubeConfig, options: KubernetesCollectOptions) {
    this.core = config.makeApiClient(CoreV1Api);
    this.custom = config.makeApiClient(CustomObjectsApi);
    this.apis = config.makeApiClient(ApisApi);
    this.pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
    this.timeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  }

  /**
   * Lists the API groups the server serves, as `group/version`. This is the first request, so it also
   * shows whether the API server can be reached and accepts the credentials at all.
   */
  async discoverGroups(context: string, server: string | undefined): Promise<Set<string>> {
    try {
      const list = await this.apis.getAPIVersions({}, requestOptions(Math.min(this.timeoutMs, DISCOVERY_TIMEOUT_MS)));
      return new Set((list.groups ?? []).flatMap((group) => (group.versions ?? []).map((version) => version.groupVersion)));
    } catch (error) {
      const where = `Kubernetes API ${server ?? ''} (context ${context})`.replace('  ', ' ');
      if (error instanceof ApiException && error.code !== 401) {
        // Discovery is open to every authenticated user by default. Without it, optional APIs count as absent.
        return new Set();
      }
      throw new LiveCollectionError(`${where} cannot be used: ${describeKubeFailure(error)}`);
    }
  }

  /** Lists every object of a resource across all namespaces, following `continue` to the last page. */
  async listAll(resource: ResourceType): Promise<unknown[]> {
    const items: unknown[] = [];
    const seenTokens = new Set<string>();
    let token: string | undefined;
    do {
      const page = await this.listPage(resource, token);
      if (page === null || typeof page !== 'object' || !Array.isArray((page as { items?: unknown }).items)) {
        throw new MalformedResponseError(`the response to list ${resource.resource} is not a Kubernetes list (no items array)`);
      }
      const list = page as { items: unknown[]; metadata?: { continue?: unknown } };
      for (const item of list.items) items.push(sanitizeObject(withType(item, resource)));
      const next = list.metadata?.continue;
      token = typeof next === 'string' && next !== '' ? next : undefined;
      if (token !== undefined) {
        if (seenTokens.has(token)) throw new MalformedResponseError(`the API server returned the continue token of list ${resource.resource} twice`);
        seenTokens.add(token);
      }
    } while (token !== undefined);
    return items;
  }

  private async listPage(resource: ResourceType, token: string | undefined): Promise<unknown> {
    const page = { limit: this.pageSize, ...(token ? { _continue: token } : {}) };
    if (resource.group === '') {
      // The typed client turns timestamps into Date objects; the raw body keeps the API's own JSON.
      const capture: { text?: string } = {};
      const lister = CORE_LISTERS[resource.resource];
      if (!lister) throw new Error(`no lister for core resource ${resource.resource}`);
      await lister(this.core, page, requestOptions(this.timeoutMs, capture));
      return parseJson(capture.text, resource);
    }
    const capture: { text?: string } = {};
    await this.custom.listClusterCustomObject({ group: resource.group, version: resource.version, plural: resource.resource, ...page }, requestOptions(this.timeoutMs, capture));
    return parseJson(capture.text, resource);
  }
}

/**
 * Per-request options: a timeout, and optionally a copy of the raw response body. The object-parameter
 * API classes take the client's Observable middleware, so each step is wrapped in its Observable.
 */
function requestOptions(timeoutMs: number, capture?: { text?: string }): ConfigurationOptions {
  const middleware = {
    pre: (context: RequestContext) => {
      context.setSignal(AbortSignal.timeout(timeoutMs));
      return new Observable(Promise.resolve(context));
    },
    post: (response: ResponseContext) => new Observable(captureBody(response, capture)),
  };
  return { middleware: [middleware], middlewareMergeStrategy: 'append' } as unknown as ConfigurationOptions;
}

async function captureBody(response: ResponseContext, capture: { text?: string } | undefined): Promise<ResponseContext> {
  if (!capture) return response;
  const body = await response.body.binary();
  const text = body.toString('utf8');
  capture.text = text;
  return new ResponseContext(response.httpStatusCode, response.headers, { text: async () => text, binary: async () => body });
}

function parseJson(text: string | undefined, resource: ResourceType): unknown {
  if (text === undefined) throw new MalformedResponseError(`no response body to list ${resource.resource}`);
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new MalformedResponseError(`the response to list ${resource.resource} is not valid JSON: ${(error as Error).message}`);
  }
}

/** Typed lists leave apiVersion and kind off their items; kubectl writes them on every item, and so does Rampart. */
function withType(item: unknown, resource: ResourceType): Record<string, unknown> {
  if (item === null || typeof item !== 'object' || Array.isArray(item)) {
    throw new MalformedResponseError(`an item of list ${resource.resource} is not an object`);
  }
  const apiVersion = resource.group ? `${resource.group}/${resource.version}` : resource.version;
  return { apiVersion, kind: resource.apiKind, ...(item as Record<string, unknown>) };
}

/** The `List` that `kubectl get … -o json` prints, with object keys sorted as kubectl sorts them. */
function kubectlList(items: unknown[]): unknown {
  return sortKeys({ apiVersion: 'v1', items, kind: 'List', metadata: { resourceVersion: '' } });
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return Object.fromEntries(entries.map(([key, member]) => [key, sortKeys(member)]));
  }
  return value;
}

// --- errors ---------------------------------------------------------------------------------------

function classifyKubeError(error: unknown, context: string, server: string | undefined): { status: Exclude<KindStatus, 'collected'>; message: string } {
  if (error instanceof ApiException) {
    if (error.code === 401) throw new LiveCollectionError(`Kubernetes API ${server ?? ''} (context ${context}) rejected the credentials: ${describeKubeFailure(error)}`);
    const message = `${error.code} ${statusMessage(error.body)}`;
    if (error.code === 403) return { status: 'forbidden', message };
    if (error.code === 404) return { status: 'not-found', message };
    return { status: 'failed', message };
  }
  if (error instanceof SyntaxError) return { status: 'failed', message: `the response is not valid JSON: ${firstLine(error.message)}` };
  if (networkCodeOf(error) || isAbortOrTimeout(error)) {
    throw new LiveCollectionError(`Kubernetes API ${server ?? ''} (context ${context}) cannot be reached: ${describeKubeFailure(error)}`);
  }
  return { status: 'failed', message: describeError(error) };
}

function describeKubeFailure(error: unknown): string {
  if (error instanceof ApiException) {
    if (error.code === 401) return `401 Unauthorized (${statusMessage(error.body)}): the token or certificate is expired or invalid; refresh it, for EKS with aws eks update-kubeconfig`;
    return `${error.code} ${statusMessage(error.body)}`;
  }
  if (isAbortOrTimeout(error)) return 'no response in time';
  return describeError(error);
}

/** The `message` of a Kubernetes Status body, or the body's first line. */
function statusMessage(body: unknown): string {
  let value: unknown = body;
  if (typeof body === 'string') {
    try {
      value = JSON.parse(body);
    } catch {
      return firstLine(body) || 'no message';
    }
  }
  const message = (value as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? firstLine(message) : 'no message';
}

function kubeRecord(kind: string, api: string, status: KindStatus, count: number, files: string[], error?: string): KindRecord {
  return { source: 'kubernetes', kind, api, status, count, files, ...(error ? { error } : {}) };
}
