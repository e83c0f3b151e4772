import { writeFile } from 'node:fs/promises';
import { type Command, Option } from 'commander';
import { SourceError, computeExposure, describePath, explain, parseTarget, type ExplainResult, type ExposurePath, type Hop } from '../../engines/aws/index.js';
import { EXIT, UsageError, type ExitState, type Io } from '../io.js';
import { loadSnapshotForCli } from '../snapshot.js';

const FORMATS = ['text', 'json'] as const;
type Format = (typeof FORMATS)[number];

interface ExposureCliOptions {
  from?: string;
  to?: string;
  protocol: string;
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
    .option('--to <target>', 'only paths to TARGET[:PORT]: an instance (i-…), a network interface (eni-…), an IP address or a load balancer name')
    .option('--protocol <protocol>', 'protocol for --to: tcp, udp, icmp, icmpv6 or a protocol number', 'tcp')
    .option('--explain', 'with --to: show every route to the target and the hop that blocks each one')
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
  if (options.explain && !options.to) throw new UsageError('--explain needs --to TARGET:PORT, for example --to i-0123456789abcdef0:22');
  const load = await loadSnapshotForCli(snapshot, io, progress);

  let text: string;
  try {
    if (options.explain && options.to) {
      const target = parseTarget(options.to);
      const result = explain(load.inventory, { ...(options.from ? { from: options.from } : {}), to: target.to, protocol: options.protocol, ...(target.port === undefined ? {} : { port: target.port }) });
      text = options.format === 'json' ? `${JSON.stringify(result, null, 2)}\n` : explainText(result, options.from ?? 'internet');
    } else {
      const result = computeExposure(load.inventory, options.from ? { from: options.from } : {});
      const paths = options.to ? filterPaths(result.paths, options.to) : result.paths;
      text = options.format === 'json' ? `${JSON.stringify({ paths: paths.map(jsonPath), notModelled: result.notModelled }, null, 2)}\n` : pathsText(paths, result.notModelled, options.from ?? 'internet');
    }
  } catch (error) {
    if (error instanceof SourceError) throw new UsageError(error.message);
    throw error;
  }

  if (options.output) {
    await writeFile(options.output, text).catch((error: NodeJS.ErrnoException) => {
      throw new UsageError(`cannot write ${options.output}: ${error.message}`);
    });
    progress(`Wrote ${options.output}`);
  } else {
    io.stdout(text);
  }
  return EXIT.ok;
}

/** Keeps paths whose target or target interface is TARGET, on PORT when one is given. */
function filterPaths(paths: ExposurePath[], to: string): ExposurePath[] {
  const { to: target, port } = parseTarget(to);
  return paths.filter((path) => {
    const matches = path.target.id === target || path.targetEni === target || path.loadBalancer?.name === target;
    if (!matches || port === undefined) return matches;
    if (typeof path.port === 'number') return path.port === port;
    const range = /^(\d+)-(\d+)$/.exec(path.port);
    return path.port === 'all' || (range !== null && Number(range[1]) <= port && port <= Number(range[2]));
  });
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

function pathsText(paths: ExposurePath[], notModelled: string[], from: string): string {
  const lines: string[] = [];
  const source = from === 'internet' ? 'the internet' : from;
  lines.push(paths.length === 0 ? `No path from ${source} reaches any port.` : `${paths.length} path(s) from ${source}:`);
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

function hopLine(hop: Hop): string {
  return `${hop.decision.padEnd(13)} ${hop.kind} ${hop.id}${hop.leg === 'reply' ? ' (reply)' : ''}: ${hop.detail}`;
}

function appendNotModelled(lines: string[], notModelled: string[]): void {
  if (notModelled.length === 0) return;
  lines.push('', 'Not modelled:');
  for (const note of notModelled) lines.push(`  - ${note}`);
}
