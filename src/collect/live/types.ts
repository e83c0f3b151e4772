import type { RawSnapshot } from '../types.js';

/** The outcome of one API call group: collected, or the reason it was not. */
export type KindStatus = 'collected' | 'forbidden' | 'not-found' | 'failed';

/** One API call group of a collection, as the manifest lists it. */
export interface KindRecord {
  source: 'aws' | 'kubernetes';
  /** The Rampart resource kind the output feeds, as the report's coverage names it (`SecurityGroup`, `Pod`). */
  kind: string;
  /** The API call: an IAM action such as `ec2:DescribeSecurityGroups`, or `list pods` for Kubernetes. */
  api: string;
  region?: string;
  status: KindStatus;
  /** Objects collected; for per-resource calls, the number of resources described. */
  count: number;
  /** Snapshot files that hold the output, relative to the snapshot root. */
  files: string[];
  /** The error as the API returned it; for per-resource calls, the first errors and how many there were. */
  error?: string;
}

/** A file of the snapshot before it is written: its path and its exact text. */
export interface CollectedFile {
  file: string;
  text: string;
}

export interface AwsCollectOptions {
  /** Named profile of the shared AWS config files; without it the standard credential chain applies. */
  profile?: string;
  /** Regions to collect; without them the region of the profile or `AWS_REGION` applies. */
  regions?: string[];
  /** Role to assume with STS before collecting. */
  roleArn?: string;
  /** EKS cluster whose VPC scopes the EC2 and ELBv2 outputs. */
  cluster?: string;
  /** Settings for tests: endpoints of loopback servers, static credentials and retry limits. */
  clientOverrides?: AwsClientOverrides;
}

export interface AwsClientOverrides {
  endpoints?: Partial<Record<'ec2' | 'elbv2' | 'eks' | 'sts', string>>;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  maxAttempts?: number;
}

export interface KubernetesCollectOptions {
  /** Kubeconfig file; without it `KUBECONFIG`, `~/.kube/config` or the in-cluster service account apply. */
  kubeconfig?: string;
  /** Kubeconfig context; without it the current context applies. */
  context?: string;
  /** Objects per list request (`limit`); the rest is fetched with `continue`. */
  pageSize?: number;
  /** Milliseconds one request may take before it is abandoned. */
  requestTimeoutMs?: number;
}

export interface LiveOptions {
  /** Rampart's version, recorded in the manifest. */
  toolVersion: string;
  /** AWS settings, or false to collect Kubernetes only. */
  aws: AwsCollectOptions | false;
  /** Kubernetes settings, or false to collect AWS only. */
  kubernetes: KubernetesCollectOptions | false;
  /** One line per API call group, for the terminal. */
  onProgress?: (line: string) => void;
  /** The clock for the manifest's collection time; tests pass a fixed one. */
  now?: () => Date;
}

/** The snapshot manifest, written as `rampart-manifest.json` at the snapshot root. */
export interface SnapshotManifest {
  /** Format version of this file; also what the inventory recognises it by. */
  rampartManifest: 1;
  rampartVersion: string;
  collectedAt: string;
  aws: { account?: string; callerArn?: string; regions: string[]; cluster?: string; vpcs: Record<string, string>; profile?: string; roleArn?: string } | null;
  kubernetes: { context?: string; server?: string; calicoApiGroup?: string; istioApiGroup?: string } | null;
  /** IAM actions the collection sent, for comparison with the policy it ran under. */
  awsActions: string[];
  kinds: KindRecord[];
  files: Array<{ file: string; sha256: string }>;
}

export const MANIFEST_FILE = 'rampart-manifest.json';

/** A collected snapshot: the files as the audit reads them, their texts for writing, and the manifest. */
export interface LiveSnapshot extends RawSnapshot {
  manifest: SnapshotManifest;
  texts: CollectedFile[];
}
