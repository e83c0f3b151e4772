import type { Command } from 'commander';
import { LiveCollectionError, assertEmptyFolder, writeLiveSnapshot } from '../../collect/live/index.js';
import { EXIT, UsageError, type ExitState, type Io } from '../io.js';
import { addLiveOptions, collectForCli, type LiveCliOptions } from '../live.js';

export function registerCollect(program: Command, io: Io, exit: ExitState): void {
  const command = program
    .command('collect')
    .description('Collect a snapshot from the AWS and Kubernetes APIs, read-only, into a folder that `rampart audit` reads.')
    .requiredOption('--out <dir>', 'folder to write the snapshot to; it must be new or empty');
  addLiveOptions(command)
    .option('-q, --quiet', 'print no progress on standard error')
    .addHelpText(
      'after',
      '\nThe snapshot contains the same files as a hand export (docs/snapshot.md) plus rampart-manifest.json, which\n' +
        'records the time, account, regions, cluster, context, every API call with its outcome, and a SHA-256\n' +
        'checksum of every file. Secrets are never requested; env values are reduced to Service host names\n' +
        'before anything is written. Permissions: deploy/iam-policy.json and deploy/rbac.yaml (see docs/collect.md).\n\n' +
        'Exit codes:\n  0  snapshot written (call groups that were denied or failed are listed as warnings)\n  2  usage error, or an API cannot be used at all\n\n' +
        'Examples:\n  rampart collect --out snapshot --cluster sde-prod --region eu-west-2\n  rampart collect --out snapshot --profile audit --role-arn arn:aws:iam::111122223333:role/rampart-reader --cluster sde-prod\n  rampart collect --out snapshot --no-aws --context sde-prod',
    )
    .action(async (options: LiveCliOptions & { out: string; quiet?: boolean }) => {
      exit.code = await runCollect(options, io);
    });
}

async function runCollect(options: LiveCliOptions & { out: string; quiet?: boolean }, io: Io): Promise<number> {
  const progress = (text: string) => {
    if (!options.quiet && io.isTty) io.stderr(`${text}\n`);
  };
  // Checked before collecting as well as before writing, so a wrong --out costs no API calls.
  await assertEmptyFolder(options.out).catch((error: unknown) => {
    throw error instanceof LiveCollectionError ? new UsageError(error.message) : error;
  });
  const snapshot = await collectForCli(options, io, progress);
  try {
    await writeLiveSnapshot(snapshot, options.out);
  } catch (error) {
    if (error instanceof LiveCollectionError) throw new UsageError(error.message);
    throw new UsageError(`cannot write the snapshot to ${options.out}: ${(error as Error).message}`);
  }
  const gaps = snapshot.manifest.kinds.filter((kind) => kind.status !== 'collected').length;
  progress(`Wrote ${snapshot.texts.length} files to ${options.out}${gaps > 0 ? `; ${gaps} call group(s) returned no data, see rampart-manifest.json` : ''}`);
  return EXIT.ok;
}
