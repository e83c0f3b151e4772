import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { EXAMPLE } from '../../support/corpora.js';
import type { AwsDataset } from './aws-server.js';
import type { KubeResourceData } from './kube-server.js';

// Turns the example snapshot (examples/sde-cluster) into what the APIs would serve for that cluster.
// Nothing is copied by hand: the files are read at test time, and where the example contains a form the
// APIs do not serve, it is converted the way the API server converts it.

export const EXAMPLE_REGION = 'eu-west-2';
export const EXAMPLE_CLUSTER = 'sde-prod';
export const EXAMPLE_ACCOUNT = '111122223333';
export const CALLER_ARN = `arn:aws:sts::${EXAMPLE_ACCOUNT}:assumed-role/rampart-collector/rampart-test`;

export function exampleAwsDataset(): AwsDataset {
  const dir = path.join(EXAMPLE, 'aws', EXAMPLE_REGION);
  const read = (file: string) => JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as Record<string, unknown>;
  const data: AwsDataset = {
    account: EXAMPLE_ACCOUNT,
    callerArn: CALLER_ARN,
    ec2: {},
    prefixListEntries: {},
    loadBalancers: [],
    listeners: {},
    loadBalancerAttributes: {},
    targetGroups: [],
    targetGroupAttributes: {},
    targetHealth: {},
    clusters: {},
  };
  const files = readdirSync(dir).sort();

  for (const file of files.filter((name) => /^ec2-describe-[a-z-]+\.json$/.test(name))) {
    data.ec2[operationOf(file.slice('ec2-'.length, -'.json'.length))] = read(file) as Record<string, unknown[]>;
  }
  data.loadBalancers = read('elbv2-describe-load-balancers.json').LoadBalancers as unknown[];
  data.targetGroups = read('elbv2-describe-target-groups.json').TargetGroups as unknown[];
  const lbArn = byName(data.loadBalancers, 'LoadBalancerName', 'LoadBalancerArn');
  const tgArn = byName(data.targetGroups, 'TargetGroupName', 'TargetGroupArn');

  for (const file of files) {
    const subject = file.replace(/\.json$/, '').split('.').slice(1).join('.');
    if (file.startsWith('elbv2-describe-listeners.')) data.listeners[lbArn(subject)] = read(file).Listeners as unknown[];
    if (file.startsWith('elbv2-describe-load-balancer-attributes.')) data.loadBalancerAttributes[lbArn(subject)] = read(file).Attributes as unknown[];
    if (file.startsWith('elbv2-describe-target-group-attributes.')) data.targetGroupAttributes[tgArn(subject)] = read(file).Attributes as unknown[];
    if (file.startsWith('elbv2-describe-target-health.')) data.targetHealth[tgArn(subject)] = read(file).TargetHealthDescriptions as unknown[];
  }
  const cluster = read('eks-describe-cluster.json') as { cluster: { name: string } };
  data.clusters[cluster.cluster.name] = cluster;

  // The example has no get-managed-prefix-list-entries outputs; every list gets an empty entry set so
  // that the per-list calls succeed, as they do for AWS-managed lists.
  for (const list of (data.ec2.DescribeManagedPrefixLists?.PrefixLists ?? []) as Array<{ PrefixListId: string }>) data.prefixListEntries[list.PrefixListId] = [];
  return data;
}

export function exampleKubeResources(): KubeResourceData[] {
  const dir = path.join(EXAMPLE, 'kubernetes');
  const list = (file: string) => (JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as { items: Array<Record<string, unknown>> }).items;
  const byResource = new Map<string, KubeResourceData>();
  const add = (item: Record<string, unknown>, custom = false) => {
    const apiVersion = item.apiVersion as string;
    const kind = item.kind as string;
    const [group, version] = apiVersion.includes('/') ? (apiVersion.split('/') as [string, string]) : ['', apiVersion];
    const resource = pluralOf(kind);
    const key = `${group}/${version}/${resource}`;
    const entry = byResource.get(key) ?? { group, version, resource, listKind: `${kind}List`, items: [], ...(custom ? { custom } : {}) };
    entry.items.push(item);
    byResource.set(key, entry);
  };

  for (const item of list('cluster.json')) add(item);
  for (const item of list('workloads.json')) add(item);
  for (const item of list('events.json')) add(item);
  // The API server serves every Event in both APIs; the core/v1 view is what collection reads.
  for (const item of list('events-v1.json')) add(coreEventOf(item));
  for (const item of list('podmetrics.json')) add(item);
  for (const item of list('secrets.json')) add(item);
  add({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'app-settings', namespace: 'hie-prod-34' }, data: { LOG_LEVEL: 'info' } });

  // The Calico API server serves CRD-stored policies as projectcalico.org/v3 objects of the same name.
  const calico = parseAllDocuments(readFileSync(path.join(dir, 'calico-policies.yaml'), 'utf8')).map((document) => document.toJS() as Record<string, unknown>);
  for (const item of calico) add(calicoV3Of(item));
  byResource.set('projectcalico.org/v3/tiers', { group: 'projectcalico.org', version: 'v3', resource: 'tiers', listKind: 'TierList', items: tiersOf(calico) });
  for (const kind of ['NetworkSet', 'GlobalNetworkSet']) {
    const resource = pluralOf(kind);
    if (!byResource.has(`projectcalico.org/v3/${resource}`)) byResource.set(`projectcalico.org/v3/${resource}`, { group: 'projectcalico.org', version: 'v3', resource, listKind: `${kind}List`, items: [] });
  }
  // Every API server since Kubernetes 1.19 serves networking.k8s.io/v1 IngressClasses, and the example cluster has none.
  if (!byResource.has('networking.k8s.io/v1/ingressclasses')) byResource.set('networking.k8s.io/v1/ingressclasses', { group: 'networking.k8s.io', version: 'v1', resource: 'ingressclasses', listKind: 'IngressClassList', items: [] });
  return [...byResource.values()];
}

/**
 * Converts an events.k8s.io/v1 Event to its core/v1 form, field by field as the API server converts
 * between the two versions (k8s.io/kubernetes pkg/apis/events/v1 conversion).
 */
export function coreEventOf(event: Record<string, unknown>): Record<string, unknown> {
  const { apiVersion: _apiVersion, regarding, note, deprecatedCount, deprecatedFirstTimestamp, deprecatedLastTimestamp, deprecatedSource, reportingController, ...rest } = event;
  return {
    ...rest,
    apiVersion: 'v1',
    involvedObject: regarding,
    ...(note === undefined ? {} : { message: note }),
    ...(deprecatedCount === undefined ? {} : { count: deprecatedCount }),
    firstTimestamp: deprecatedFirstTimestamp ?? null,
    lastTimestamp: deprecatedLastTimestamp ?? null,
    source: deprecatedSource ?? {},
    ...(reportingController === undefined ? {} : { reportingComponent: reportingController }),
  };
}

function calicoV3Of(item: Record<string, unknown>): Record<string, unknown> {
  if (item.apiVersion !== 'crd.projectcalico.org/v1') return item;
  const metadata = { ...(item.metadata as Record<string, unknown>) };
  const annotations = { ...((metadata.annotations as Record<string, string> | undefined) ?? {}) };
  // The CRD keeps the v3 object's metadata in this annotation; the API server folds it back.
  delete annotations['projectcalico.org/metadata'];
  if (Object.keys(annotations).length > 0) metadata.annotations = annotations;
  else delete metadata.annotations;
  return { ...item, apiVersion: 'projectcalico.org/v3', metadata };
}

/**
 * Returns a Tier for each tier the example's policies name, as a cluster has one for each. The example's
 * hand export has no Tier objects, so a custom tier gets an order before the default tier: the order the
 * engine assumes without Tier objects, so that the collected snapshot audits as the example does.
 */
function tiersOf(policies: Array<Record<string, unknown>>): Array<Record<string, unknown>> {
  const names = new Set(policies.map((policy) => ((policy.spec as { tier?: string } | undefined)?.tier ?? 'default')));
  names.add('default');
  return [...names].sort().map((name) => ({
    apiVersion: 'projectcalico.org/v3',
    kind: 'Tier',
    metadata: { creationTimestamp: '2025-03-12T10:40:51Z', name, resourceVersion: '1870' },
    spec: name === 'default' ? { defaultAction: 'Deny', order: 1_000_000 } : { defaultAction: 'Deny', order: 100 },
  }));
}

function pluralOf(kind: string): string {
  const lower = kind.toLowerCase();
  if (lower === 'podmetrics') return 'pods';
  if (lower.endsWith('y')) return `${lower.slice(0, -1)}ies`;
  if (lower.endsWith('s')) return `${lower}es`;
  return `${lower}s`;
}

function operationOf(command: string): string {
  return command
    .split('-')
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
    .join('');
}

function byName(items: unknown[], nameKey: string, arnKey: string): (name: string) => string {
  const map = new Map((items as Array<Record<string, string>>).map((item) => [item[nameKey], item[arnKey]]));
  return (name) => {
    const arn = map.get(name);
    if (!arn) throw new Error(`the example has no ${nameKey} ${name}`);
    return arn;
  };
}
