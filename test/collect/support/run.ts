import { collectLive, type LiveSnapshot } from '../../../src/collect/live/index.js';
import type { AwsCollectOptions } from '../../../src/collect/live/types.js';
import { startAwsServers, type AwsDataset, type AwsServers, type Fault } from './aws-server.js';
import { EXAMPLE_CLUSTER, EXAMPLE_REGION, exampleAwsDataset, exampleKubeResources } from './example.js';
import { startKubeServer, type KubeFault, type KubeResourceData, type KubeServer } from './kube-server.js';

export const BASE_ACCESS_KEY = 'AKIAEXAMPLEBASEKEY01';

export interface MockRun {
  snapshot?: LiveSnapshot;
  error?: unknown;
  aws: AwsServers;
  kube: KubeServer;
  progress: string[];
}

export interface MockRunOptions {
  awsData?: AwsDataset;
  awsFaults?: Fault[];
  kubeResources?: KubeResourceData[];
  kubeFaults?: Record<string, KubeFault>;
  /** Milliseconds the Kubernetes server waits before each response. */
  kubeDelayMs?: number;
  /** Replaces the STS endpoint, for example with a closed port. */
  stsEndpoint?: string;
  /** The EKS cluster to scope to; false collects the whole region. */
  cluster?: string | false;
  roleArn?: string;
  maxAttempts?: number;
  pageSize?: number;
}

/**
 * Runs collectLive against fresh loopback servers serving the example cluster, with static credentials
 * and explicit endpoints as a program embedding Rampart would pass them. The servers are closed again.
 */
export async function collectFromMocks(options: MockRunOptions = {}): Promise<MockRun> {
  const aws = await startAwsServers(options.awsData ?? exampleAwsDataset(), options.awsFaults ?? []);
  const kube = await startKubeServer(options.kubeResources ?? exampleKubeResources(), options.kubeFaults ?? {}, options.kubeDelayMs ?? 0);
  const progress: string[] = [];
  const awsOptions: AwsCollectOptions = {
    regions: [EXAMPLE_REGION],
    ...(options.cluster === false ? {} : { cluster: options.cluster ?? EXAMPLE_CLUSTER }),
    ...(options.roleArn ? { roleArn: options.roleArn } : {}),
    clientOverrides: { endpoints: { ...aws.endpoints, ...(options.stsEndpoint ? { sts: options.stsEndpoint } : {}) }, credentials: { accessKeyId: BASE_ACCESS_KEY, secretAccessKey: 'base-secret-key-for-tests' }, maxAttempts: options.maxAttempts ?? 3 },
  };
  try {
    const snapshot = await collectLive({
      toolVersion: '0.0.0-test',
      aws: awsOptions,
      kubernetes: { kubeconfig: await kube.writeKubeconfig(), pageSize: options.pageSize ?? 7 },
      onProgress: (line) => progress.push(line),
      now: () => new Date('2026-11-20T10:05:00Z'),
    });
    return { snapshot, aws, kube, progress };
  } catch (error) {
    return { error, aws, kube, progress };
  } finally {
    await aws.close();
    await kube.close();
  }
}

/** Returns the parsed document of one collected file. */
export function documentOf(snapshot: LiveSnapshot, file: string): Record<string, unknown> {
  const found = snapshot.files.find((entry) => entry.file === file);
  if (!found) throw new Error(`the snapshot has no ${file}; it has ${snapshot.files.map((entry) => entry.file).join(', ')}`);
  return found.documents[0] as Record<string, unknown>;
}

export function kindRecord(snapshot: LiveSnapshot, api: string) {
  const found = snapshot.manifest.kinds.filter((kind) => kind.api === api);
  if (found.length !== 1) throw new Error(`expected one manifest record for ${api}, found ${found.length}`);
  return found[0]!;
}
