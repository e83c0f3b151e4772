import { type Command, Option } from 'commander';
import { describeEndpoint, forEachMatrixRow, explainConnection, parseProtocol, PROTOCOL, protocolName, reachModel, ReachModel } from '../../engines/reach/index.js';
import type { LoadResult } from '../../inventory/build.js';
import { EXIT, UsageError, type ExitState, type Io } from '../io.js';
import { emitOutput, emitStreamedOutput } from '../output.js';
import { loadSnapshotForCli } from '../snapshot.js';
import { resolveEnd, resolveServiceTarget, type AddressResolution } from './reach-endpoints.js';
import { connectionJson, connectionText, matrixNotesForStderr, resultOf, serviceJson, serviceText, skippedInputsOf, writeMatrix, type QueryContext, type QueryResult } from './reach-output.js';

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
  strict?: boolean;
  quiet?: boolean;
}

/** The protocols --port takes: those with ports, as Kubernetes and Calico rules name them. */
const PORT_PROTOCOLS = [PROTOCOL.TCP, PROTOCOL.UDP, PROTOCOL.SCTP, PROTOCOL.UDPLite];

/** A DNS-1123 label, the form of a namespace name. */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

export function registerReach(program: Command, io: Io, exit: ExitState): void {
  program
    .command('reach')
    .description('Answer whether one pod may connect to another under the snapshot\'s NetworkPolicies, Calico policies and Istio AuthorizationPolicies, or list every allowed connection.')
    .argument('<snapshot>', 'snapshot folder (see docs/snapshot.md)')
    .option('--from <endpoint>', "source: NAMESPACE/POD, NAMESPACE/KIND/NAME of a workload, or one IP address (a pod's address means that pod)")
    .option('--to <endpoint>', "destination: NAMESPACE/POD, NAMESPACE/service/NAME, NAMESPACE/KIND/NAME of a workload, or one IP address (a pod's address means that pod, a Service's cluster IP that Service)")
    .option('--port <port>', 'destination port 1-65535 and protocol TCP, UDP, SCTP or UDPLite, such as 5432 or 53/UDP (default protocol TCP); for a Service, the Service port')
    .option('--matrix', 'list every allowed connection between workloads and address ranges instead')
    .addOption(new Option('-o, --format <format>', 'output format: text (or txt) or json for a query; text, json, csv or markdown for --matrix').choices(FORMATS).default('text'))
    .option('--output <file>', 'write the result to FILE instead of standard output')
    .addOption(new Option('--ipblocks <mode>', 'whether ipBlocks and Calico nets match pod IP addresses: as the CNI found in the snapshot does, always, or never').choices(IPBLOCK_MODES).default('cni'))
    .addOption(
      new Option('--ingress-controller-egress <mode>', "what ingress controller pods may open: what their policies allow, or only the routes of their Ingresses as network-config-analyzer models it").choices(INGRESS_EGRESS_MODES).default('policies'),
    )
    .option('--istio-root-namespace <namespace>', "Istio's root namespace, whose AuthorizationPolicies apply in every namespace", 'istio-system')
    .option('--strict', 'exit with code 2 when any input file or object is invalid, after printing the result')
    .option('-q, --quiet', 'print no progress on standard error')
    .addHelpText(
      'after',
      '\nExit codes:\n  0  allowed (query), or the matrix was written\n  1  denied (query): for a Service, every backend pod denies it\n  2  usage error or unusable input (with --strict: any invalid input)\n  3  partly allowed (query): some backend pods of a Service allow it and others deny it\n\nExamples:\n  rampart reach ./snapshot --from shop/web-7d4f9 --to shop/service/postgresql --port 5432\n  rampart reach ./snapshot --from 203.0.113.7 --to shop/db-0 --port 5432 -o json\n  rampart reach ./snapshot --matrix -o csv --output matrix.csv',
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
  checkIstioRootNamespace(options.istioRootNamespace);
  if (options.matrix) {
    if (options.from || options.to || options.port) throw new UsageError('--matrix lists every connection; leave out --from, --to and --port');
    const { model, load } = await loadModel(snapshot, options, io, progress);
    const notes = { assumptions: model.assumptions, notModelled: model.notModelled, skippedInputs: skippedInputsOf(load.problems) };
    await emitStreamedOutput((write) => writeMatrix((visit) => forEachMatrixRow(model, visit), format, notes, write), options.output, io, progress);
    // Text and CSV stay comparable with netpol-analyzer's output, so their notes go to standard error.
    if (format === 'text' || format === 'csv') io.stderr(matrixNotesForStderr(notes));
    return strictExit(load, options, io) ?? EXIT.ok;
  }

  if (!options.from || !options.to || !options.port) throw new UsageError('give --from, --to and --port, or --matrix');
  if (MATRIX_ONLY_FORMATS.includes(format)) throw new UsageError(`output format ${format} is for --matrix only; a query prints text (or txt) or json`);
  const { port, protocol } = parsePort(options.port);
  if (options.from.split('/')[1]?.toLowerCase() === 'service') throw new UsageError('--from cannot be a Service: name a pod or workload');
  const { model, load } = await loadModel(snapshot, options, io, progress);

  const from = resolveEnd(model, options.from, '--from');
  const to = resolveEnd(model, options.to, '--to');
  if (from.kind !== 'endpoint') throw new UsageError('--from cannot be a Service: name a pod or workload');
  const context: QueryContext = { addresses: [from.address, to.address].filter((address): address is AddressResolution => address !== undefined), skippedInputs: skippedInputsOf(load.problems) };

  let result: QueryResult;
  if (to.kind === 'service') {
    const target = resolveServiceTarget(model, to.service, options.to, port, protocol);
    const verdicts = target.backends.map((backend) => explainConnection(model, from.endpoint, { kind: 'pod', pod: backend.pod }, protocol, backend.port));
    const source = describeEndpoint(from.endpoint);
    await emitOutput(format === 'json' ? serviceJson(target, verdicts, context, source) : serviceText(target, verdicts, context, source), options.output, io, progress);
    result = resultOf(verdicts);
  } else {
    const verdict = explainConnection(model, from.endpoint, to.endpoint, protocol, port);
    await emitOutput(format === 'json' ? connectionJson(verdict, context) : connectionText(verdict, context), options.output, io, progress);
    result = resultOf([verdict]);
  }
  return strictExit(load, options, io) ?? QUERY_EXIT[result];
}

// A partly allowed Service gets its own code, so that a CI job that expects allowed (0) or denied (1) fails on it.
const QUERY_EXIT: Record<QueryResult, number> = { allowed: EXIT.ok, denied: EXIT.findings, 'partly-allowed': EXIT.partly };

/** Returns exit code 2 under --strict when the load skipped invalid input, after saying so on standard error. */
function strictExit(load: LoadResult, options: ReachCliOptions, io: Io): number | undefined {
  const invalid = load.problems.filter((problem) => problem.level === 'error').length;
  if (!options.strict || invalid === 0) return undefined;
  io.stderr(`rampart: --strict: ${invalid === 1 ? '1 invalid input was' : `${invalid} invalid inputs were`} skipped (listed above): exit code ${EXIT.usage}\n`);
  return EXIT.usage;
}

async function loadModel(snapshot: string, options: ReachCliOptions, io: Io, progress: (text: string) => void): Promise<{ model: ReachModel; load: LoadResult }> {
  const load = await loadSnapshotForCli(snapshot, io, progress, (folder, reason) => `cannot answer reachability questions from ${folder}: ${reason}`);
  if (!load.inventory.has('Pod') && load.inventory.data.deployments.length + load.inventory.data.statefulSets.length + load.inventory.data.daemonSets.length + load.inventory.data.jobs.length + load.inventory.data.cronJobs.length + load.inventory.data.replicaSets.length === 0) {
    throw new UsageError(`no Pods or workloads in ${snapshot}: export pods (or workload manifests) to ask about reachability`);
  }
  const layers = {
    ...(options.ingressControllerEgress === 'policies' ? {} : { ingressControllerEgress: options.ingressControllerEgress }),
    ...(options.istioRootNamespace === 'istio-system' ? {} : { istioRootNamespace: options.istioRootNamespace }),
  };
  if (options.ipblocks === 'cni') return { model: reachModel(load.inventory, layers), load };
  return { model: new ReachModel(load.inventory, { ipBlocksMatchPods: options.ipblocks === 'match-pods', ...layers }), load };
}

function parsePort(text: string): { port: number; protocol: number } {
  const match = /^(\d+)(?:\/(\w+))?$/.exec(text.trim());
  if (!match) throw new UsageError(`--port ${text} is not PORT or PORT/PROTOCOL, such as 5432 or 53/UDP`);
  const port = Number(match[1]);
  if (port < 1 || port > 65535) throw new UsageError(`--port ${text}: port ${match[1]} is out of range 1-65535`);
  const protocol = parseProtocol(match[2] ?? 'TCP');
  const names = PORT_PROTOCOLS.map(protocolName);
  const accepted = `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`;
  if (protocol === undefined) throw new UsageError(`--port ${text}: ${match[2]} is not a protocol; use ${accepted}`);
  if (!PORT_PROTOCOLS.includes(protocol as (typeof PORT_PROTOCOLS)[number])) throw new UsageError(`--port ${text}: ${protocolName(protocol)} has no ports; use ${accepted}`);
  return { port, protocol };
}

function checkIstioRootNamespace(name: string): void {
  if (name.length <= 63 && DNS_LABEL.test(name)) return;
  throw new UsageError(`--istio-root-namespace ${JSON.stringify(name)} is not a namespace name: use lower-case letters, digits and '-', at most 63 characters, starting and ending with a letter or digit (Istio's default is istio-system)`);
}
