import { writeFile } from 'node:fs/promises';
import { type Command, Option } from 'commander';
import {
  computeMatrix,
  explainConnection,
  formatConnlist,
  nodeName,
  parseAddress,
  parseProtocol,
  protocolName,
  reachModel,
  ReachModel,
  type Endpoint,
  type MatrixEntry,
  type PodEndpoint,
  type ReachVerdict,
} from '../../engines/reach/index.js';
import type * as m from '../../inventory/model.js';
import { EXIT, UsageError, type ExitState, type Io } from '../io.js';
import { loadSnapshotForCli } from '../snapshot.js';
import { compareText } from '../../compare.js';

// One list of format names for both modes; `txt` is an alias of `text`. CSV and markdown are tables, so only
// the matrix has them.
const FORMATS = ['text', 'txt', 'json', 'csv', 'markdown'] as const;
const MATRIX_ONLY_FORMATS: readonly Format[] = ['csv', 'markdown'];
type Format = (typeof FORMATS)[number];
type ResolvedFormat = Exclude<Format, 'txt'>;
const IPBLOCK_MODES = ['cni', 'match-pods', 'outside-only'] as const;
const INGRESS_EGRESS_MODES = ['policies', 'routes'] as const;

interface ReachCliOptions {
  from?: string;
  to?: string;
  port?: string;
  matrix?: boolean;
  format: Format;
  output?: string;
  ipblocks: (typeof IPBLOCK_MODES)[number];
  ingressControllerEgress: (typeof INGRESS_EGRESS_MODES)[number];
  istioRootNamespace: string;
  quiet?: boolean;
}

export function registerReach(program: Command, io: Io, exit: ExitState): void {
  program
    .command('reach')
    .description('Answer whether one pod may connect to another under the snapshot\'s NetworkPolicies, Calico policies and Istio AuthorizationPolicies, or list every allowed connection.')
    .argument('<snapshot>', 'snapshot folder (see docs/snapshot.md)')
    .option('--from <endpoint>', 'source: NAMESPACE/POD, NAMESPACE/KIND/NAME of a workload, or an IP address')
    .option('--to <endpoint>', 'destination: NAMESPACE/POD, NAMESPACE/service/NAME, NAMESPACE/KIND/NAME of a workload, or an IP address')
    .option('--port <port>', 'destination port and protocol, such as 5432 or 53/UDP (default protocol TCP); for a Service, the Service port')
    .option('--matrix', 'list every allowed connection between workloads and address ranges instead')
    .addOption(new Option('-o, --format <format>', 'output format: text (or txt) or json for a query; text, json, csv or markdown for --matrix').choices(FORMATS).default('text'))
    .option('--output <file>', 'write the result to FILE instead of standard output')
    .addOption(new Option('--ipblocks <mode>', 'whether ipBlocks and Calico nets match pod IP addresses: as the CNI found in the snapshot does, always, or never').choices(IPBLOCK_MODES).default('cni'))
    .addOption(
      new Option('--ingress-controller-egress <mode>', "what ingress controller pods may open: what their policies allow, or only the routes of their Ingresses as network-config-analyzer models it").choices(INGRESS_EGRESS_MODES).default('policies'),
    )
    .option('--istio-root-namespace <namespace>', "Istio's root namespace, whose AuthorizationPolicies apply in every namespace", 'istio-system')
    .option('-q, --quiet', 'print no progress on standard error')
    .addHelpText(
      'after',
      '\nExit codes:\n  0  allowed (query), or the matrix was written\n  1  denied (query)\n  2  usage error or unusable input\n\nExamples:\n  rampart reach ./snapshot --from shop/web-7d4f9 --to shop/service/postgresql --port 5432\n  rampart reach ./snapshot --from 203.0.113.7 --to shop/db-0 --port 5432 -o json\n  rampart reach ./snapshot --matrix -o csv --output matrix.csv',
    )
    .action(async (snapshot: string, options: ReachCliOptions) => {
      exit.code = await runReach(snapshot, options, io);
    });
}

async function runReach(snapshot: string, options: ReachCliOptions, io: Io): Promise<number> {
  const progress = (text: string) => {
    if (!options.quiet && io.isTty) io.stderr(`${text}\n`);
  };
  const format: ResolvedFormat = options.format === 'txt' ? 'text' : options.format;
  if (options.matrix) {
    if (options.from || options.to || options.port) throw new UsageError('--matrix lists every connection; leave out --from, --to and --port');
    const model = await loadModel(snapshot, options, io, progress);
    await writeResult(renderMatrix(computeMatrix(model), format, model), options, io, progress);
    return EXIT.ok;
  }

  if (!options.from || !options.to || !options.port) throw new UsageError('give --from, --to and --port, or --matrix');
  if (MATRIX_ONLY_FORMATS.includes(format)) throw new UsageError(`output format ${format} is for --matrix only; a query prints text (or txt) or json`);
  const { port, protocol } = parsePort(options.port);
  const model = await loadModel(snapshot, options, io, progress);

  if (options.from.split('/')[1]?.toLowerCase() === 'service') throw new UsageError('--from cannot be a Service: name a pod or workload');
  const source = resolveEndpoint(model, options.from, '--from');
  const targets = options.to.split('/')[1]?.toLowerCase() === 'service' ? resolveService(model, options.to, port, protocol) : [{ endpoint: endpointOf(resolveEndpoint(model, options.to, '--to')), port }];
  const verdicts = targets.map((target) => explainConnection(model, source.endpoint, target.endpoint, protocol, target.port));
  const allowed = verdicts.every((verdict) => verdict.allowed);

  if (format === 'json') {
    const [first] = verdicts;
    const body = verdicts.length === 1 && first ? { ...first } : { allowed, explanation: verdicts.map((verdict) => verdict.explanation).join('\n\n'), backends: verdicts };
    await writeResult(`${JSON.stringify(body, null, 2)}\n`, options, io, progress);
  } else {
    await writeResult(renderVerdicts(verdicts, allowed, options.to), options, io, progress);
  }
  return allowed ? EXIT.ok : EXIT.findings;
}

async function writeResult(text: string, options: ReachCliOptions, io: Io, progress: (text: string) => void): Promise<void> {
  if (!options.output) {
    io.stdout(text);
    return;
  }
  await writeFile(options.output, text).catch((error: NodeJS.ErrnoException) => {
    throw new UsageError(`cannot write ${options.output}: ${error.message}`);
  });
  progress(`Wrote ${options.output}`);
}

async function loadModel(snapshot: string, options: ReachCliOptions, io: Io, progress: (text: string) => void): Promise<ReachModel> {
  const load = await loadSnapshotForCli(snapshot, io, progress);
  if (!load.inventory.has('Pod') && load.inventory.data.deployments.length + load.inventory.data.statefulSets.length + load.inventory.data.daemonSets.length + load.inventory.data.jobs.length + load.inventory.data.cronJobs.length + load.inventory.data.replicaSets.length === 0) {
    throw new UsageError(`no Pods or workloads in ${snapshot}: export pods (or workload manifests) to ask about reachability`);
  }
  const layers = {
    ...(options.ingressControllerEgress === 'policies' ? {} : { ingressControllerEgress: options.ingressControllerEgress }),
    ...(options.istioRootNamespace === 'istio-system' ? {} : { istioRootNamespace: options.istioRootNamespace }),
  };
  if (options.ipblocks === 'cni') return reachModel(load.inventory, layers);
  return new ReachModel(load.inventory, { ipBlocksMatchPods: options.ipblocks === 'match-pods', ...layers });
}

function parsePort(text: string): { port: number; protocol: number } {
  const match = /^(\d+)(?:\/(\w+))?$/.exec(text.trim());
  const port = match ? Number(match[1]) : Number.NaN;
  const protocol = parseProtocol(match?.[2] ?? 'TCP');
  if (!match || port < 1 || port > 65535 || protocol === undefined) {
    throw new UsageError(`--port ${text} is not PORT or PORT/PROTOCOL, such as 5432 or 53/UDP`);
  }
  return { port, protocol };
}

type Resolved = { kind: 'endpoint'; endpoint: Endpoint } | { kind: 'service' };

function endpointOf(resolved: Resolved): Endpoint {
  if (resolved.kind !== 'endpoint') throw new UsageError('a Service cannot be resolved here');
  return resolved.endpoint;
}

/** `NAMESPACE/POD`, `NAMESPACE/KIND/NAME` (a workload: its first pod), or an IP address. */
function resolveEndpoint(model: ReachModel, text: string, option: string): { kind: 'endpoint'; endpoint: Endpoint } {
  const address = parseAddress(text);
  if (address) return { kind: 'endpoint', endpoint: { kind: 'external', range: { family: address.family, from: address.value, to: address.value } } };
  const parts = text.split('/');
  if (parts.length === 2) {
    const [namespace, name] = parts as [string, string];
    const found = model.pod(namespace, name) ?? firstPod(model.pods.filter((pod) => pod.namespace === namespace && pod.workload.name === name));
    if (found) return { kind: 'endpoint', endpoint: { kind: 'pod', pod: found } };
    throw new UsageError(`${option} ${text}: no pod or workload ${name} in namespace ${namespace}${suggest(model, namespace)}`);
  }
  if (parts.length === 3) {
    const [namespace, kind, name] = parts as [string, string, string];
    const found = firstPod(model.pods.filter((pod) => pod.namespace === namespace && pod.workload.kind.toLowerCase() === kind.toLowerCase() && pod.workload.name === name));
    if (found) return { kind: 'endpoint', endpoint: { kind: 'pod', pod: found } };
    throw new UsageError(`${option} ${text}: no ${kind} ${name} with pods in namespace ${namespace}${suggest(model, namespace)}`);
  }
  throw new UsageError(`${option} ${text} is not NAMESPACE/POD, NAMESPACE/KIND/NAME or an IP address`);
}

/** The Service's pods, each with the target port the Service port maps to on that pod. */
function resolveService(model: ReachModel, text: string, servicePort: number, protocol: number): Array<{ endpoint: Endpoint; port: number }> {
  const [namespace, , name] = text.split('/') as [string, string, string];
  const service = model.inventory.service(namespace, name);
  if (!service) throw new UsageError(`--to ${text}: no Service ${name} in namespace ${namespace}`);
  const ports = service.spec.ports ?? [];
  const servicePortEntry = ports.find((entry) => entry.port === servicePort && (parseProtocol(entry.protocol ?? 'TCP') ?? 6) === protocol);
  if (!servicePortEntry) {
    const listed = ports.map((entry) => `${entry.port}/${entry.protocol ?? 'TCP'}`).join(', ') || 'none';
    throw new UsageError(`--to ${text}: Service ${namespace}/${name} has no port ${servicePort}/${protocolName(protocol)} (ports: ${listed})`);
  }
  const selector = service.spec.selector;
  if (!selector || Object.keys(selector).length === 0) throw new UsageError(`--to ${text}: Service ${namespace}/${name} has no selector, so its endpoints are not known from the snapshot`);
  const backends = model.pods.filter((pod) => pod.namespace === namespace && Object.entries(selector).every(([key, value]) => pod.pod.metadata.labels[key] === value));
  if (backends.length === 0) throw new UsageError(`--to ${text}: Service ${namespace}/${name} selects no pod in the snapshot`);
  return backends
    .sort((a, b) => compareText(a.name, b.name))
    .flatMap((pod) => {
      const port = targetPort(pod.pod, servicePortEntry, protocol);
      return port === undefined ? [] : [{ endpoint: { kind: 'pod' as const, pod }, port }];
    });
}

function targetPort(pod: m.Pod, entry: { port: number; targetPort?: number | string | undefined }, protocol: number): number | undefined {
  const target = entry.targetPort ?? entry.port;
  if (typeof target === 'number') return target;
  if (/^\d+$/.test(target)) return Number(target);
  for (const container of pod.spec.containers) {
    for (const port of container.ports ?? []) {
      if (port.name === target && (parseProtocol(port.protocol ?? 'TCP') ?? 6) === protocol) return port.containerPort;
    }
  }
  return undefined;
}

function firstPod(pods: PodEndpoint[]): PodEndpoint | undefined {
  return [...pods].sort((a, b) => compareText(a.name, b.name))[0];
}

function suggest(model: ReachModel, namespace: string): string {
  const workloads = [...new Set(model.pods.filter((pod) => pod.namespace === namespace).map((pod) => `${pod.workload.kind.toLowerCase()}/${pod.workload.name}`))].sort();
  if (workloads.length === 0) return ` (the snapshot has no pods in namespace ${namespace})`;
  return ` (workloads there: ${workloads.slice(0, 8).join(', ')}${workloads.length > 8 ? ', …' : ''})`;
}

function renderVerdicts(verdicts: ReachVerdict[], allowed: boolean, target: string): string {
  if (verdicts.length === 1) return `${(verdicts[0] as ReachVerdict).explanation}\n`;
  const allowedCount = verdicts.filter((verdict) => verdict.allowed).length;
  const head = `${target}: ${allowed ? 'allowed' : 'denied'} (${allowedCount} of ${verdicts.length} backend pods allow it).`;
  return `${[head, ...verdicts.map((verdict) => verdict.explanation)].join('\n\n')}\n`;
}

function renderMatrix(entries: MatrixEntry[], format: ResolvedFormat, model: ReachModel): string {
  switch (format) {
    case 'text':
      return formatConnlist(entries);
    case 'json':
      return `${JSON.stringify(
        {
          connections: entries.map((entry) => ({ source: nodeName(entry.source), destination: nodeName(entry.destination), connections: entry.connections.format() })),
          assumptions: model.assumptions,
          notModelled: model.notModelled,
        },
        null,
        2,
      )}\n`;
    case 'csv':
      return ['source,destination,connections', ...entries.map((entry) => [nodeName(entry.source), nodeName(entry.destination), entry.connections.format()].map(csvField).join(','))].join('\n') + '\n';
    case 'markdown':
      return ['| Source | Destination | Connections |', '| --- | --- | --- |', ...entries.map((entry) => `| ${markdownCell(nodeName(entry.source))} | ${markdownCell(nodeName(entry.destination))} | ${markdownCell(entry.connections.format())} |`)].join('\n') + '\n';
  }
}

function csvField(value: string): string {
  return /[",\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

function markdownCell(value: string): string {
  return value.replace(/\|/g, '\\|');
}

