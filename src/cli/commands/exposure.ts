import { type Command, Option } from 'commander';
import {
  SourceError,
  computeExposure,
  describePath,
  explain,
  parseProtocolOption,
  parseTarget,
  protocolLabel,
  selectPaths,
  type ExplainResult,
  type ExposurePath,
  type Hop,
  type PathFilter,
} from '../../engines/aws/index.js';
import { EXIT, UsageError, type ExitState, type Io } from '../io.js';
import { emitOutput } from '../output.js';
import { loadSnapshotForCli } from '../snapshot.js';

const FORMATS = ['text', 'json'] as const;
type Format = (typeof FORMATS)[number];

interface ExposureCliOptions {
  from?: string;
  to?: string;
  protocol?: string;
  explain?: boolean;
  format: Format;
  output?: string;
  quiet?: boolean;
}

export function registerExposure(program: Command, io: Io, exit: ExitState): void {
  program
    .command('exposure')
    .description('List every network path from the internet (or another source) to a port, with the hop that admits it at each step, or explain why one target is not reachable.')
    .argument('<snapshot>', 'folder of unmodified `aws … --output json` and `kubectl get … -o json|yaml` outputs (see docs/snapshot.md)')
    .option('--from <source>', 'where traffic starts: "internet" (the default), a CIDR, a security group ID (sg-…) or a subnet ID (subnet-…)')
    .option('--to <target>', 'only paths to TARGET[:PORT]: an instance (i-…), a network interface (eni-…), an IP address ([ADDRESS]:PORT for IPv6) or a load balancer name, DNS name or ARN; PORT is an integer from 1 to 65535')
    .option('--protocol <protocol>', 'only paths of this protocol: tcp, udp, icmp, icmpv6, all (or -1) or an IP protocol number from 0 to 255 (default: every protocol; tcp with --explain)')
    .option('--explain', 'with --to: show every route to the target and the hop that blocks each one; ICMP and ICMPv6 are evaluated as echo requests')
    .addOption(new Option('-o, --format <format>', 'output format').choices(FORMATS).default('text'))
    .option('--output <file>', 'write the result to FILE instead of standard output')
    .option('-q, --quiet', 'print no progress on standard error')
    .addHelpText(
      'after',
      '\nExit codes:\n  0  the paths or the explanation were printed\n  2  usage error, or no usable input\n\nExamples:\n  rampart exposure ./snapshot\n  rampart exposure ./snapshot --from sg-0123456789abcdef0 -o json\n  rampart exposure ./snapshot --to i-0123456789abcdef0:22 --from 0.0.0.0/0 --explain',
    )
    .action(async (snapshot: string, options: ExposureCliOptions) => {
      exit.code = await runExposure(snapshot, options, io);
    });
}

async function runExposure(snapshot: string, options: ExposureCliOptions, io: Io): Promise<number> {
  const progress = (text: string) => {
    if (!options.quiet && io.isTty) io.stderr(`${text}\n`);
  };

  // Check the options before reading the snapshot, so that a typo fails fast and never reads as "not exposed".
  if (options.explain && !options.to) throw new UsageError('--explain needs --to TARGET:PORT, for example --to i-0123456789abcdef0:22');
  const filter = usage((): PathFilter => ({
    ...(options.to === undefined ? {} : { to: parseTarget(options.to) }),
    ...(options.protocol === undefined ? {} : { protocol: parseProtocolOption(options.protocol) }),
  }));
  const load = await loadSnapshotForCli(snapshot, io, progress);

  const from = options.from ?? 'internet';
  const text = usage(() => {
    if (options.explain && filter.to) {
      const query = { to: filter.to.to, ...(options.from ? { from: options.from } : {}), ...(options.protocol === undefined ? {} : { protocol: options.protocol }), ...(filter.to.port === undefined ? {} : { port: filter.to.port }) };
      const result = explain(load.inventory, query);
      return options.format === 'json' ? `${JSON.stringify(result, null, 2)}\n` : explainText(result, from);
    }
    const result = computeExposure(load.inventory, options.from ? { from: options.from } : {});
    const paths = filter.to || filter.protocol !== undefined ? selectPaths(load.inventory, result.paths, filter) : result.paths;
    return options.format === 'json' ? `${JSON.stringify({ paths: paths.map(jsonPath), notModelled: result.notModelled }, null, 2)}\n` : pathsText(paths, result.notModelled, from, filter);
  });

  await emitOutput(text, options.output, io, progress);
  return EXIT.ok;
}

/** Runs `work`, turning the engine's errors about --from, --to and --protocol into usage errors. */
function usage<T>(work: () => T): T {
  try {
    return work();
  } catch (error) {
    if (error instanceof SourceError) throw new UsageError(error.message);
    throw error;
  }
}

function jsonPath(path: ExposurePath) {
  return {
    source: path.source,
    protocol: path.protocol,
    port: path.port,
    target: path.target,
    hops: path.hops.map(jsonHop),
    verdict: path.verdict,
    via: path.via,
    admitted: path.admitted,
    ...(path.loadBalancer ? { loadBalancer: path.loadBalancer } : {}),
    services: path.services,
  };
}

function jsonHop(hop: Hop) {
  return { kind: hop.kind, id: hop.id, decision: hop.decision, ...(hop.leg ? { leg: hop.leg } : {}), detail: hop.detail };
}

// --- text ---------------------------------------------------------------------------------------

function pathsText(paths: ExposurePath[], notModelled: string[], from: string, filter: PathFilter): string {
  const lines: string[] = [];
  const source = from === 'internet' ? 'the internet' : from;
  const query = queryText(filter);
  if (paths.length === 0) lines.push(`No path from ${source} reaches ${query ?? 'any port'}.`);
  else lines.push(`${paths.length} path(s) from ${source}${query ? ` to ${query}` : ''}:`);
  for (const path of paths) {
    lines.push('', `${path.protocol} ${path.port} on ${path.target.kind} ${path.target.id}${path.services.length > 0 ? ` (${path.services.join(', ')})` : ''}: ${path.verdict}, from ${path.admitted}`);
    lines.push(`  ${describePath(path)}`);
    for (const hop of path.hops) lines.push(`    ${hopLine(hop)}`);
  }
  appendNotModelled(lines, notModelled);
  return `${lines.join('\n')}\n`;
}

function explainText(result: ExplainResult, from: string): string {
  const lines = [`${result.protocol} ${result.port} on ${result.target.kind} ${result.target.id} from ${from === 'internet' ? 'the internet' : from}: ${result.verdict}`];
  for (const route of result.routes) {
    const outcome = route.blockedAt ? `blocked at ${route.blockedAt.kind} ${route.blockedAt.id}: ${route.blockedAt.detail}` : `${route.verdict}, from ${route.admitted}`;
    lines.push('', `Route ${route.via} from ${route.source}: ${outcome}`);
    for (const hop of route.hops) lines.push(`    ${hopLine(hop)}${hop === route.blockedAt ? '   <- blocks' : ''}`);
  }
  appendNotModelled(lines, result.notModelled);
  return `${lines.join('\n')}\n`;
}

/** Describes a filter the way the path lines name traffic (`udp 31139 on i-…`, `port 443 on NAME`), or returns undefined without one. */
function queryText(filter: PathFilter): string | undefined {
  const protocol = filter.protocol === undefined || filter.protocol === 'all' ? undefined : protocolLabel(filter.protocol);
  const port = filter.to?.port;
  if (!filter.to && protocol === undefined) return undefined;
  const what = protocol !== undefined && port !== undefined ? `${protocol} ${port}` : protocol ?? (port !== undefined ? `port ${port}` : 'any port');
  return filter.to ? `${what} on ${filter.to.to}` : what;
}

function hopLine(hop: Hop): string {
  return `${hop.decision.padEnd(13)} ${hop.kind} ${hop.id}${hop.leg === 'reply' ? ' (reply)' : ''}: ${hop.detail}`;
}

function appendNotModelled(lines: string[], notModelled: string[]): void {
  if (notModelled.length === 0) return;
  lines.push('', 'Not modelled:');
  for (const note of notModelled) lines.push(`  - ${note}`);
}
