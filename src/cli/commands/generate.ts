import { type Command, Option } from 'commander';
import { GenerateError, SIZE_NAMES, generateSnapshot, type SizeName, type SizeRequest } from '../../generate/index.js';
import { UsageError, type ExitState, type Io } from '../io.js';

export function registerGenerate(program: Command, io: Io, exit: ExitState): void {
  program
    .command('generate')
    .description('Write a synthetic snapshot of an EKS cluster and its VPC, for benchmarks and tests.')
    .requiredOption('--out <folder>', 'folder to write to: new, empty, or an earlier output of rampart generate (whose files are replaced)')
    .addOption(new Option('--size <size>', 'preset counts: small (1,000 pods), large (20,000 pods), huge (100,000 pods)').choices(SIZE_NAMES))
    .option('--seed <number>', 'seed of the pseudo-random generator; the same seed and counts give byte-identical files', '1')
    .option('--pods <count>', 'pods, DaemonSet and system pods included (default: 1,000, or the preset)')
    .option('--namespaces <count>', 'application namespaces, besides the 8 system ones (default: pods / 85)')
    .option('--workloads <count>', 'application Deployments and StatefulSets, that is the number of distinct application pod templates (default: about 6 pods each)')
    .option('--policies <count>', 'Kubernetes NetworkPolicies plus Calico GlobalNetworkPolicies (default: 15% of pods)')
    .option('--calico-policies <count>', 'how many of --policies are Calico GlobalNetworkPolicies (default: 1%, at least 4)')
    .option('--security-groups <count>', 'security groups (default: pods / 20)')
    .option('--security-group-rules <count>', 'security group rules, one per CIDR, prefix list or group reference (default: 15 per group)')
    .option('--nodes <count>', 'nodes, one EC2 instance each (default: pods / 30)')
    .option('--network-interfaces <count>', 'network interfaces in the VPC (default: 3 per node plus those of load balancers, NAT gateways, the control plane and databases)')
    .option('--load-balancers <count>', 'Network Load Balancers, one per Service of type LoadBalancer (default: pods / 5,000, at least 1)')
    .option('-q, --quiet', 'print no progress on standard error')
    .addHelpText(
      'after',
      '\nEvery count not given comes from the preset (when --size is given) or is derived from --pods.\n\nExamples:\n  rampart generate --size small --out /tmp/small\n  rampart generate --pods 5000 --policies 800 --out /tmp/custom',
    )
    .action((options: GenerateCliOptions) => {
      const counts: SizeRequest = {};
      const numeric: Array<[keyof SizeRequest, string | undefined, string]> = [
        ['pods', options.pods, '--pods'],
        ['namespaces', options.namespaces, '--namespaces'],
        ['workloads', options.workloads, '--workloads'],
        ['policies', options.policies, '--policies'],
        ['calicoPolicies', options.calicoPolicies, '--calico-policies'],
        ['securityGroups', options.securityGroups, '--security-groups'],
        ['securityGroupRules', options.securityGroupRules, '--security-group-rules'],
        ['nodes', options.nodes, '--nodes'],
        ['networkInterfaces', options.networkInterfaces, '--network-interfaces'],
        ['loadBalancers', options.loadBalancers, '--load-balancers'],
      ];
      for (const [key, text, flag] of numeric) {
        if (text !== undefined) counts[key] = parseCount(text, flag);
      }
      const seed = parseCount(options.seed, '--seed');
      const started = Date.now();
      const progress = (text: string) => {
        if (!options.quiet) io.stderr(`${text}\n`);
      };
      try {
        const manifest = generateSnapshot({ out: options.out, ...(options.size ? { size: options.size } : {}), seed, counts, progress });
        const c = manifest.counts;
        progress(
          `Wrote ${manifest.files.length} files (${(manifest.bytes / 2 ** 20).toFixed(1)} MiB) to ${options.out} in ${((Date.now() - started) / 1000).toFixed(1)} s: ` +
            `${c.pods} pods, ${c.workloads} workloads, ${c.namespaces} namespaces, ${c.policies - c.calicoPolicies} NetworkPolicies, ${c.calicoPolicies} Calico GlobalNetworkPolicies, ` +
            `${c.securityGroups} security groups with ${c.securityGroupRules} rules, ${c.nodes} nodes, ${c.networkInterfaces} network interfaces, ${c.loadBalancers} load balancers`,
        );
      } catch (error) {
        if (error instanceof GenerateError) throw new UsageError(error.message);
        throw error;
      }
      exit.code = 0;
    });
}

interface GenerateCliOptions {
  out: string;
  size?: SizeName;
  seed: string;
  pods?: string;
  namespaces?: string;
  workloads?: string;
  policies?: string;
  calicoPolicies?: string;
  securityGroups?: string;
  securityGroupRules?: string;
  nodes?: string;
  networkInterfaces?: string;
  loadBalancers?: string;
  quiet?: boolean;
}

function parseCount(text: string, flag: string): number {
  const value = Number(text.replaceAll('_', '').replaceAll(',', ''));
  if (!/^[\d_,]+$/.test(text) || !Number.isSafeInteger(value)) throw new UsageError(`${flag} ${text} is not a whole number such as 1000`);
  return value;
}
