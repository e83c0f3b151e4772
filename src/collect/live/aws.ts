import {
  EC2Client,
  paginateDescribeInstances,
  paginateDescribeInternetGateways,
  paginateDescribeManagedPrefixLists,
  paginateDescribeNatGateways,
  paginateDescribeNetworkAcls,
  paginateDescribeNetworkInterfaces,
  paginateDescribeRouteTables,
  paginateDescribeSecurityGroups,
  paginateDescribeSubnets,
  paginateDescribeVpcs,
  paginateGetManagedPrefixListEntries,
  type Filter,
} from '@aws-sdk/client-ec2';
import { DescribeClusterCommand, EKSClient, paginateListClusters } from '@aws-sdk/client-eks';
import {
  DescribeLoadBalancerAttributesCommand,
  DescribeTargetGroupAttributesCommand,
  DescribeTargetHealthCommand,
  ElasticLoadBalancingV2Client,
  paginateDescribeListeners,
  paginateDescribeLoadBalancers,
  paginateDescribeTargetGroups,
} from '@aws-sdk/client-elastic-load-balancing-v2';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { fromNodeProviderChain, fromTemporaryCredentials } from '@aws-sdk/credential-providers';
import { toCliJson } from './aws-json.js';
import { LiveCollectionError, classifyAwsError, describeError, isFatalAwsError } from './errors.js';
import { mapLimit, type CollectionSink } from './sink.js';
import type { AwsCollectOptions, KindRecord, SnapshotManifest } from './types.js';
import { compareText } from '../../compare.js';

/** Per-resource calls (listeners, attributes, target health) in flight at once, per region. */
const PER_RESOURCE_CONCURRENCY = 8;

/** Milliseconds to wait for a TCP connection before the SDK gives up on an attempt. */
const CONNECTION_TIMEOUT_MS = 5_000;
/** Milliseconds of socket inactivity before an attempt is abandoned. */
const REQUEST_TIMEOUT_MS = 60_000;

type Ec2Pages = AsyncIterable<Record<string, unknown>>;

/**
 * The EC2 outputs of a snapshot, as docs/snapshot.md exports them. `vpcFilter` names the filter that
 * scopes an output to one VPC. Prefix lists are regional and referenced from security group rules, so
 * they are never scoped.
 */
const EC2_OUTPUTS: Array<{
  kind: string;
  action: string;
  command: string;
  key: string;
  vpcFilter?: string;
  pages: (client: EC2Client, filters: Filter[] | undefined) => Ec2Pages;
}> = [
  { kind: 'Vpc', action: 'DescribeVpcs', command: 'describe-vpcs', key: 'Vpcs', vpcFilter: 'vpc-id', pages: (client, Filters) => paginateDescribeVpcs({ client }, { Filters }) },
  { kind: 'Subnet', action: 'DescribeSubnets', command: 'describe-subnets', key: 'Subnets', vpcFilter: 'vpc-id', pages: (client, Filters) => paginateDescribeSubnets({ client }, { Filters }) },
  { kind: 'RouteTable', action: 'DescribeRouteTables', command: 'describe-route-tables', key: 'RouteTables', vpcFilter: 'vpc-id', pages: (client, Filters) => paginateDescribeRouteTables({ client }, { Filters }) },
  {
    kind: 'InternetGateway',
    action: 'DescribeInternetGateways',
    command: 'describe-internet-gateways',
    key: 'InternetGateways',
    vpcFilter: 'attachment.vpc-id',
    pages: (client, Filters) => paginateDescribeInternetGateways({ client }, { Filters }),
  },
  // DescribeNatGateways names its filter parameter `Filter`, not `Filters`.
  { kind: 'NatGateway', action: 'DescribeNatGateways', command: 'describe-nat-gateways', key: 'NatGateways', vpcFilter: 'vpc-id', pages: (client, Filter) => paginateDescribeNatGateways({ client }, { Filter }) },
  { kind: 'NetworkAcl', action: 'DescribeNetworkAcls', command: 'describe-network-acls', key: 'NetworkAcls', vpcFilter: 'vpc-id', pages: (client, Filters) => paginateDescribeNetworkAcls({ client }, { Filters }) },
  {
    kind: 'SecurityGroup',
    action: 'DescribeSecurityGroups',
    command: 'describe-security-groups',
    key: 'SecurityGroups',
    vpcFilter: 'vpc-id',
    pages: (client, Filters) => paginateDescribeSecurityGroups({ client }, { Filters }),
  },
  {
    kind: 'NetworkInterface',
    action: 'DescribeNetworkInterfaces',
    command: 'describe-network-interfaces',
    key: 'NetworkInterfaces',
    vpcFilter: 'vpc-id',
    pages: (client, Filters) => paginateDescribeNetworkInterfaces({ client }, { Filters }),
  },
  { kind: 'Instance', action: 'DescribeInstances', command: 'describe-instances', key: 'Reservations', vpcFilter: 'vpc-id', pages: (client, Filters) => paginateDescribeInstances({ client }, { Filters }) },
  {
    kind: 'ManagedPrefixList',
    action: 'DescribeManagedPrefixLists',
    command: 'describe-managed-prefix-lists',
    key: 'PrefixLists',
    pages: (client) => paginateDescribeManagedPrefixLists({ client }, {}),
  },
] as Array<{ kind: string; action: string; command: string; key: string; vpcFilter?: string; pages: (client: EC2Client, filters: Filter[] | undefined) => Ec2Pages }>;

interface RegionClients {
  region: string;
  ec2: EC2Client;
  elbv2: ElasticLoadBalancingV2Client;
  eks: EKSClient;
}

export type AwsManifest = NonNullable<SnapshotManifest['aws']>;

/**
 * Collects the AWS part of a snapshot into `sink`, region by region. Raises LiveCollectionError when
 * AWS cannot be used at all. A single call that fails is recorded in the manifest, and collection goes on.
 */
export async function collectAws(options: AwsCollectOptions, sink: CollectionSink): Promise<AwsManifest> {
  const credentials = credentialProvider(options);
  const regions = options.regions && options.regions.length > 0 ? [...new Set(options.regions)] : [await defaultRegion(options)];
  if (options.cluster && regions.length > 1) {
    throw new LiveCollectionError(`--cluster ${options.cluster} scopes collection to the cluster's VPC, which is in one region: pass one --region, not ${regions.length}`);
  }

  const identity = await callerIdentity(options, regions[0] as string, credentials, sink);
  const manifest: AwsManifest = {
    account: identity.Account,
    callerArn: identity.Arn,
    regions,
    vpcs: {},
    ...(options.cluster ? { cluster: options.cluster } : {}),
    ...(options.profile ? { profile: options.profile } : {}),
    ...(options.roleArn ? { roleArn: options.roleArn } : {}),
  };

  for (const region of regions) {
    const clients = createClients(options, region, credentials, sink);
    try {
      const vpcId = await collectEks(clients, options.cluster, sink);
      if (vpcId) {
        manifest.vpcs[region] = vpcId;
        sink.note(`aws ${region}  scoped to ${vpcId}, the VPC of EKS cluster ${options.cluster}`);
      }
      await collectEc2(clients, vpcId, sink);
      await collectElbv2(clients, vpcId, sink);
    } finally {
      clients.ec2.destroy();
      clients.elbv2.destroy();
      clients.eks.destroy();
    }
  }
  return manifest;
}

// --- credentials and clients ----------------------------------------------------------------------

type CredentialProvider = ReturnType<typeof fromNodeProviderChain>;

function credentialProvider(options: AwsCollectOptions): CredentialProvider {
  const overrides = options.clientOverrides;
  const base: CredentialProvider = overrides?.credentials
    ? async () => overrides.credentials as Awaited<ReturnType<CredentialProvider>>
    : fromNodeProviderChain(options.profile ? { profile: options.profile } : {});
  if (!options.roleArn) return memoize(base);
  return memoize(fromTemporaryCredentials({
    masterCredentials: base,
    params: { RoleArn: options.roleArn, RoleSessionName: 'rampart-collect', DurationSeconds: 3600 },
    clientConfig: {
      ...(options.regions?.[0] ? { region: options.regions[0] } : {}),
      ...(overrides?.endpoints?.sts ? { endpoint: overrides.endpoints.sts } : {}),
      ...(overrides?.maxAttempts ? { maxAttempts: overrides.maxAttempts } : {}),
    },
  }));
}

/** Milliseconds before expiry at which cached credentials are fetched again. */
const CREDENTIAL_REFRESH_MARGIN_MS = 5 * 60_000;

/**
 * Shares one credential lookup among the clients of a collection, so that a role is assumed once rather
 * than once per client, and fetches again shortly before the credentials expire.
 */
function memoize(provider: CredentialProvider): CredentialProvider {
  let cached: ReturnType<CredentialProvider> | undefined;
  return async (...args: Parameters<CredentialProvider>) => {
    if (cached) {
      const identity = await cached.catch(() => undefined);
      if (identity && (!identity.expiration || identity.expiration.getTime() - Date.now() > CREDENTIAL_REFRESH_MARGIN_MS)) return identity;
    }
    cached = provider(...args);
    return cached;
  };
}

function clientConfig(options: AwsCollectOptions, region: string, credentials: CredentialProvider, endpoint: string | undefined) {
  return {
    region,
    credentials,
    ...(options.profile ? { profile: options.profile } : {}),
    ...(endpoint ? { endpoint } : {}),
    // Adaptive mode adds client-side rate limiting to the standard retries when the service throttles.
    retryMode: 'adaptive',
    ...(options.clientOverrides?.maxAttempts ? { maxAttempts: options.clientOverrides.maxAttempts } : {}),
    requestHandler: { connectionTimeout: CONNECTION_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS },
  };
}

function createClients(options: AwsCollectOptions, region: string, credentials: CredentialProvider, sink: CollectionSink): RegionClients {
  const endpoints = options.clientOverrides?.endpoints ?? {};
  const clients = {
    region,
    ec2: new EC2Client(clientConfig(options, region, credentials, endpoints.ec2)),
    elbv2: new ElasticLoadBalancingV2Client(clientConfig(options, region, credentials, endpoints.elbv2)),
    eks: new EKSClient(clientConfig(options, region, credentials, endpoints.eks)),
  };
  recordActions(clients.ec2, 'ec2', sink);
  recordActions(clients.elbv2, 'elasticloadbalancing', sink);
  recordActions(clients.eks, 'eks', sink);
  return clients;
}

/** Records the IAM action of every command a client sends, so the manifest lists what the collection used. */
function recordActions(client: { middlewareStack: { add: (...args: never[]) => void } }, service: string, sink: CollectionSink): void {
  const add = client.middlewareStack.add as unknown as (middleware: unknown, options: { step: string; name: string }) => void;
  add.call(
    client.middlewareStack,
    (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => async (args: unknown) => {
      if (context.commandName) sink.awsActions.add(`${service}:${context.commandName.replace(/Command$/, '')}`);
      return next(args);
    },
    { step: 'initialize', name: 'rampartRecordAction' },
  );
}

async function defaultRegion(options: AwsCollectOptions): Promise<string> {
  const probe = new EC2Client(options.profile ? { profile: options.profile } : {});
  try {
    return await probe.config.region();
  } catch {
    throw new LiveCollectionError('no AWS region: pass --region, or set AWS_REGION or the region of the profile');
  } finally {
    probe.destroy();
  }
}

/**
 * Asks STS who the credentials belong to. The call needs no IAM permission, so any failure here means
 * that AWS cannot be reached or the credentials are unusable, and collection stops at once.
 */
async function callerIdentity(options: AwsCollectOptions, region: string, credentials: CredentialProvider, sink: CollectionSink) {
  const sts = new STSClient(clientConfig(options, region, credentials, options.clientOverrides?.endpoints?.sts));
  recordActions(sts, 'sts', sink);
  try {
    const identity = await sts.send(new GetCallerIdentityCommand({}));
    sink.note(`aws  account ${identity.Account ?? 'unknown'} as ${identity.Arn ?? 'unknown'}`);
    return identity;
  } catch (error) {
    throw new LiveCollectionError(`AWS cannot be used in ${region}: ${describeAwsFailure(error)}`);
  } finally {
    sts.destroy();
  }
}

function describeAwsFailure(error: unknown): string {
  const name = (error as { name?: string }).name;
  if (name === 'CredentialsProviderError') return `no credentials found (${describeError(error)}); pass --profile, or set AWS credentials in the environment`;
  if (name === 'ExpiredToken' || name === 'ExpiredTokenException' || name === 'RequestExpired') return `the credentials have expired (${describeError(error)}); renew them, for example with aws sso login`;
  return `${name && !describeError(error).startsWith(name) ? `${name}: ` : ''}${describeError(error)}`;
}

// --- EKS ------------------------------------------------------------------------------------------

/** Describes the named cluster (or every cluster of the region) and returns the VPC that scopes the rest. */
async function collectEks(clients: RegionClients, cluster: string | undefined, sink: CollectionSink): Promise<string | undefined> {
  const { region, eks } = clients;
  const base = `aws/${region}`;
  if (cluster) {
    const file = `${base}/eks-describe-cluster.json`;
    try {
      const output = await eks.send(new DescribeClusterCommand({ name: cluster }));
      sink.addOutput(file, toCliJson(output));
      sink.record(awsRecord(region, 'EksCluster', 'eks:DescribeCluster', 1, [file]));
      const vpcId = output.cluster?.resourcesVpcConfig?.vpcId;
      if (!vpcId) throw new LiveCollectionError(`EKS cluster ${cluster} in ${region} has no VPC in its description, so collection cannot be scoped to it`);
      return vpcId;
    } catch (error) {
      if (error instanceof LiveCollectionError) throw error;
      fatalIfUnusable(error, region);
      const { status, message } = classifyAwsError(error);
      // Without the cluster's VPC the requested scope cannot be applied, and collecting the whole region instead would surprise.
      throw new LiveCollectionError(
        status === 'not-found'
          ? `EKS cluster ${cluster} was not found in ${region} (${message}): check --cluster and --region`
          : `cannot read EKS cluster ${cluster} in ${region} to scope collection to its VPC (${message}): grant eks:DescribeCluster or run without --cluster`,
      );
    }
  }

  let names: string[];
  try {
    names = [];
    for await (const page of paginateListClusters({ client: eks }, {})) names.push(...(page.clusters ?? []));
  } catch (error) {
    fatalIfUnusable(error, region);
    sink.record(failedRecord(region, 'EksCluster', 'eks:ListClusters', error));
    return undefined;
  }
  sink.record(awsRecord(region, 'EksCluster', 'eks:ListClusters', names.length, []));
  const described = await describeEach(sorted(names), (name) => eks.send(new DescribeClusterCommand({ name })), (name, output) => {
    const file = `${base}/eks-describe-cluster.${name}.json`;
    sink.addOutput(file, toCliJson(output));
    return file;
  }, region);
  sink.record(perResourceRecord(region, 'EksCluster', 'eks:DescribeCluster', described));
  return undefined;
}

// --- EC2 ------------------------------------------------------------------------------------------

async function collectEc2(clients: RegionClients, vpcId: string | undefined, sink: CollectionSink): Promise<void> {
  const { region, ec2 } = clients;
  const base = `aws/${region}`;
  let prefixListIds: string[] = [];
  for (const output of EC2_OUTPUTS) {
    const file = `${base}/ec2-${output.command}.json`;
    const filters = vpcId && output.vpcFilter ? [{ Name: output.vpcFilter, Values: [vpcId] }] : undefined;
    try {
      const items: unknown[] = [];
      for await (const page of output.pages(ec2, filters)) items.push(...((page[output.key] as unknown[] | undefined) ?? []));
      sink.addOutput(file, { [output.key]: toCliJson(items) });
      sink.record(awsRecord(region, output.kind, `ec2:${output.action}`, items.length, [file]));
      if (output.key === 'PrefixLists') prefixListIds = items.map((item) => (item as { PrefixListId?: string }).PrefixListId).filter((id): id is string => Boolean(id));
    } catch (error) {
      fatalIfUnusable(error, region);
      sink.record(failedRecord(region, output.kind, `ec2:${output.action}`, error));
    }
  }

  const entries = await describeEach(
    sorted(prefixListIds),
    async (id) => {
      const collected: unknown[] = [];
      for await (const page of paginateGetManagedPrefixListEntries({ client: ec2 }, { PrefixListId: id })) collected.push(...(page.Entries ?? []));
      return { Entries: collected };
    },
    (id, output) => {
      const file = `${base}/ec2-get-managed-prefix-list-entries.${id}.json`;
      sink.addOutput(file, toCliJson(output));
      return file;
    },
    region,
  );
  // Missing entries leave the prefix lists unresolved, so their coverage carries the failure.
  sink.record(perResourceRecord(region, 'ManagedPrefixList', 'ec2:GetManagedPrefixListEntries', entries));
}

// --- ELBv2 ----------------------------------------------------------------------------------------

interface LoadBalancerSummary {
  LoadBalancerArn?: string;
  LoadBalancerName?: string;
  VpcId?: string;
}

interface TargetGroupSummary {
  TargetGroupArn?: string;
  TargetGroupName?: string;
  VpcId?: string;
  LoadBalancerArns?: string[];
}

async function collectElbv2(clients: RegionClients, vpcId: string | undefined, sink: CollectionSink): Promise<void> {
  const { region, elbv2 } = clients;
  const base = `aws/${region}`;

  // describe-load-balancers has no VPC filter, so the scope is applied to its output.
  let loadBalancers: LoadBalancerSummary[] = [];
  const loadBalancersFile = `${base}/elbv2-describe-load-balancers.json`;
  try {
    const all: LoadBalancerSummary[] = [];
    for await (const page of paginateDescribeLoadBalancers({ client: elbv2 }, {})) all.push(...((page.LoadBalancers ?? []) as LoadBalancerSummary[]));
    loadBalancers = vpcId ? all.filter((lb) => lb.VpcId === vpcId) : all;
    sink.addOutput(loadBalancersFile, { LoadBalancers: toCliJson(loadBalancers) });
    sink.record(awsRecord(region, 'LoadBalancer', 'elasticloadbalancing:DescribeLoadBalancers', loadBalancers.length, [loadBalancersFile]));
  } catch (error) {
    fatalIfUnusable(error, region);
    sink.record(failedRecord(region, 'LoadBalancer', 'elasticloadbalancing:DescribeLoadBalancers', error));
  }

  const named = loadBalancers.filter((lb): lb is Required<Pick<LoadBalancerSummary, 'LoadBalancerArn' | 'LoadBalancerName'>> & LoadBalancerSummary => Boolean(lb.LoadBalancerArn && lb.LoadBalancerName));
  const byName = new Map(named.map((lb) => [lb.LoadBalancerName, lb.LoadBalancerArn]));
  const lbNames = sorted([...byName.keys()]);

  const listeners = await describeEach(
    lbNames,
    async (name) => {
      const collected: unknown[] = [];
      for await (const page of paginateDescribeListeners({ client: elbv2 }, { LoadBalancerArn: byName.get(name) })) collected.push(...(page.Listeners ?? []));
      return { Listeners: collected };
    },
    (name, output) => writeOutput(sink, `${base}/elbv2-describe-listeners.${name}.json`, output),
    region,
  );
  sink.record(perResourceRecord(region, 'Listener', 'elasticloadbalancing:DescribeListeners', listeners));

  const lbAttributes = await describeEach(
    lbNames,
    (name) => elbv2.send(new DescribeLoadBalancerAttributesCommand({ LoadBalancerArn: byName.get(name) })),
    (name, output) => writeOutput(sink, `${base}/elbv2-describe-load-balancer-attributes.${name}.json`, output),
    region,
  );
  // Load balancer attributes have no coverage kind of their own, so they count for the load balancers.
  sink.record(perResourceRecord(region, 'LoadBalancer', 'elasticloadbalancing:DescribeLoadBalancerAttributes', lbAttributes));

  let targetGroups: TargetGroupSummary[] = [];
  const targetGroupsFile = `${base}/elbv2-describe-target-groups.json`;
  try {
    const all: TargetGroupSummary[] = [];
    for await (const page of paginateDescribeTargetGroups({ client: elbv2 }, {})) all.push(...((page.TargetGroups ?? []) as TargetGroupSummary[]));
    // Lambda target groups have no VPC. They belong to the scope when a load balancer in it uses them.
    const inScope = new Set(named.map((lb) => lb.LoadBalancerArn));
    targetGroups = vpcId ? all.filter((group) => group.VpcId === vpcId || (group.LoadBalancerArns ?? []).some((arn) => inScope.has(arn))) : all;
    sink.addOutput(targetGroupsFile, { TargetGroups: toCliJson(targetGroups) });
    sink.record(awsRecord(region, 'TargetGroup', 'elasticloadbalancing:DescribeTargetGroups', targetGroups.length, [targetGroupsFile]));
  } catch (error) {
    fatalIfUnusable(error, region);
    sink.record(failedRecord(region, 'TargetGroup', 'elasticloadbalancing:DescribeTargetGroups', error));
  }

  const groupsByName = new Map(targetGroups.filter((group) => group.TargetGroupArn && group.TargetGroupName).map((group) => [group.TargetGroupName as string, group.TargetGroupArn as string]));
  const tgNames = sorted([...groupsByName.keys()]);
  const tgAttributes = await describeEach(
    tgNames,
    (name) => elbv2.send(new DescribeTargetGroupAttributesCommand({ TargetGroupArn: groupsByName.get(name) })),
    (name, output) => writeOutput(sink, `${base}/elbv2-describe-target-group-attributes.${name}.json`, output),
    region,
  );
  sink.record(perResourceRecord(region, 'TargetGroupAttributes', 'elasticloadbalancing:DescribeTargetGroupAttributes', tgAttributes));

  const health = await describeEach(
    tgNames,
    (name) => elbv2.send(new DescribeTargetHealthCommand({ TargetGroupArn: groupsByName.get(name) })),
    (name, output) => writeOutput(sink, `${base}/elbv2-describe-target-health.${name}.json`, output),
    region,
  );
  sink.record(perResourceRecord(region, 'TargetHealth', 'elasticloadbalancing:DescribeTargetHealth', health));
}

function writeOutput(sink: CollectionSink, file: string, output: unknown): string {
  sink.addOutput(file, toCliJson(output));
  return file;
}

// --- per-resource calls and records ---------------------------------------------------------------

interface PerResourceOutcome {
  subject: string;
  file?: string;
  error?: unknown;
}

/** Calls `describe` for every subject, writing each success with `write`; one failure does not stop the others. */
async function describeEach<T>(
  subjects: string[],
  describe: (subject: string) => Promise<T>,
  write: (subject: string, output: T) => string,
  region: string,
): Promise<PerResourceOutcome[]> {
  return mapLimit(subjects, PER_RESOURCE_CONCURRENCY, async (subject) => {
    try {
      return { subject, file: write(subject, await describe(subject)) };
    } catch (error) {
      fatalIfUnusable(error, region);
      return { subject, error };
    }
  });
}

function perResourceRecord(region: string, kind: string, api: string, outcomes: PerResourceOutcome[]): KindRecord {
  const files = outcomes.flatMap((outcome) => (outcome.file ? [outcome.file] : []));
  const failures = outcomes.filter((outcome) => outcome.error !== undefined);
  if (failures.length === 0) return awsRecord(region, kind, api, outcomes.length, files);
  const classified = failures.map((failure) => ({ subject: failure.subject, ...classifyAwsError(failure.error) }));
  // The manifest keeps the most severe status: a denial explains every other failure of the same call.
  const status = classified.some((entry) => entry.status === 'forbidden') ? 'forbidden' : classified.some((entry) => entry.status === 'failed') ? 'failed' : 'not-found';
  const listed = classified.slice(0, 3).map((entry) => `${entry.subject}: ${entry.message}`);
  const more = classified.length > listed.length ? `; and ${classified.length - listed.length} more` : '';
  return { source: 'aws', kind, api, region, status, count: files.length, files, error: `${failures.length} of ${outcomes.length} failed: ${listed.join('; ')}${more}` };
}

function awsRecord(region: string, kind: string, api: string, count: number, files: string[]): KindRecord {
  return { source: 'aws', kind, api, region, status: 'collected', count, files };
}

function failedRecord(region: string, kind: string, api: string, error: unknown): KindRecord {
  const { status, message } = classifyAwsError(error);
  return { source: 'aws', kind, api, region, status, count: 0, files: [], error: message };
}

/** Stops the whole collection when an error shows that no AWS call can succeed. */
function fatalIfUnusable(error: unknown, region: string): void {
  if (isFatalAwsError(error)) throw new LiveCollectionError(`AWS cannot be used in ${region}: ${describeAwsFailure(error)}`);
}

function sorted(values: string[]): string[] {
  return [...values].sort((a, b) => compareText(a, b));
}
