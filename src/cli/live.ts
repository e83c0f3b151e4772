import type { Command } from 'commander';
import { collectLive, LiveCollectionError, uncollectedLines, type LiveSnapshot } from '../collect/live/index.js';
import { buildInventory, type LoadResult } from '../inventory/build.js';
import { formatSource } from '../inventory/source.js';
import { UsageError, type Io } from './io.js';
import { VERSION } from './version.js';

/** The options `rampart collect` and `rampart audit --live` share. */
export interface LiveCliOptions {
  profile?: string;
  region?: string[];
  roleArn?: string;
  cluster?: string;
  context?: string;
  kubeconfig?: string;
  /** False with --no-aws. */
  aws: boolean;
  /** False with --no-kubernetes. */
  kubernetes: boolean;
}

/** Adds the AWS and Kubernetes connection options to a command. */
export function addLiveOptions(command: Command): Command {
  return command
    .option('--profile <name>', 'AWS named profile (default: the standard credential chain: environment, SSO, shared files, web identity, container or instance role)')
    .option('--region <region>', 'AWS region to collect; repeat for several (default: AWS_REGION or the profile region)', (value: string, previous: string[] = []) => [...previous, value])
    .option('--role-arn <arn>', 'IAM role to assume with STS before collecting')
    .option('--cluster <name>', 'EKS cluster: describe it and collect only its VPC (one region)')
    .option('--context <name>', 'kubeconfig context (default: the current context)')
    .option('--kubeconfig <file>', 'kubeconfig file (default: KUBECONFIG, ~/.kube/config, or the in-cluster service account)')
    .option('--no-aws', 'collect Kubernetes only')
    .option('--no-kubernetes', 'collect AWS only');
}

/**
 * Collects a live snapshot for a command. Prints progress per API call group when `progress` prints,
 * and one warning line per call group that returned no data. An API that cannot be used at all is a
 * usage error (exit 2) with one line saying why.
 */
export async function collectForCli(options: LiveCliOptions, io: Io, progress: (text: string) => void): Promise<LiveSnapshot> {
  let snapshot: LiveSnapshot;
  try {
    snapshot = await collectLive({
      toolVersion: VERSION,
      aws: options.aws
        ? {
            ...(options.profile ? { profile: options.profile } : {}),
            ...(options.region ? { regions: options.region } : {}),
            ...(options.roleArn ? { roleArn: options.roleArn } : {}),
            ...(options.cluster ? { cluster: options.cluster } : {}),
          }
        : false,
      kubernetes: options.kubernetes ? { ...(options.kubeconfig ? { kubeconfig: options.kubeconfig } : {}), ...(options.context ? { context: options.context } : {}) } : false,
      onProgress: progress,
    });
  } catch (error) {
    if (error instanceof LiveCollectionError) throw new UsageError(error.message);
    throw error;
  }
  for (const line of uncollectedLines(snapshot.manifest)) io.stderr(`rampart: warning: not collected: ${line}\n`);
  return snapshot;
}

/** Builds the inventory of a live snapshot and prints its input problems, as loadSnapshotForCli does for a folder. */
export function loadLiveForCli(snapshot: LiveSnapshot, io: Io): LoadResult {
  const load = buildInventory(snapshot);
  for (const problem of load.problems) {
    const where = problem.path ? formatSource({ file: problem.file, path: problem.path, ...(problem.document === undefined ? {} : { document: problem.document }) }) : problem.file;
    io.stderr(`rampart: ${problem.level}: ${where}: ${problem.message}\n`);
  }
  if (load.inventory.data.present.size === 0) throw new UsageError('nothing to audit: the live collection returned no data Rampart reads');
  return load;
}
