import { readFileSync, readdirSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { LiveCollectionError, uncollectedLines } from '../../../src/collect/live/index.js';
import { sanitizeObject } from '../../../src/collect/live/kubernetes-sanitize.js';
import { loadDocuments } from '../../../src/inventory/load.js';
import { ASSUMED_ACCESS_KEY } from '../support/aws-server.js';
import { EXAMPLE_REGION, exampleAwsDataset, exampleKubeResources } from '../support/example.js';
import { BASE_ACCESS_KEY, collectFromMocks, documentOf, kindRecord } from '../support/run.js';
import { EXAMPLE } from '../../support/corpora.js';

const AWS_DIR = path.join(EXAMPLE, 'aws', EXAMPLE_REGION);
const CLUSTER_VPC = 'vpc-0a7c3e91d24b6f580';
const OTHER_VPC = 'vpc-0fedcba9876543210';

const readExample = (file: string) => JSON.parse(readFileSync(path.join(EXAMPLE, file), 'utf8')) as Record<string, unknown>;

describe('collectLive', () => {
  it('writes the AWS outputs exactly as the AWS CLI printed them', async () => {
    const { snapshot } = await collectFromMocks();
    const outputs = readdirSync(AWS_DIR).filter((file) => file.endsWith('.json') && !file.startsWith('eks-describe-addon'));
    expect(outputs.length).toBeGreaterThan(15);
    for (const file of outputs) {
      expect(documentOf(snapshot!, `aws/${EXAMPLE_REGION}/${file}`), file).toEqual(readExample(`aws/${EXAMPLE_REGION}/${file}`));
    }
    expect(documentOf(snapshot!, `aws/${EXAMPLE_REGION}/ec2-get-managed-prefix-list-entries.pl-6e2ba13f.json`)).toEqual({ Entries: [] });
  });

  it('writes kubectl lists with every object reduced', async () => {
    const { snapshot } = await collectFromMocks();
    expect(documentOf(snapshot!, 'kubernetes/cluster.json')).toEqual(readExample('kubernetes/cluster.json'));
    const workloads = readExample('kubernetes/workloads.json') as { items: Array<Record<string, unknown>> };
    expect(documentOf(snapshot!, 'kubernetes/workloads.json')).toEqual({ ...workloads, items: workloads.items.map(sanitizeObject) });
    const events = documentOf(snapshot!, 'kubernetes/events.json') as { items: Array<{ apiVersion: string; metadata: { namespace: string } }> };
    expect(events.items.slice(0, 37)).toEqual((readExample('kubernetes/events.json') as { items: unknown[] }).items);
    // The example's events.k8s.io events come back from the core API in core/v1 form.
    expect(events.items.slice(37).map((event) => [event.apiVersion, event.metadata.namespace])).toEqual([
      ['v1', 'monitoring'],
      ['v1', 'monitoring'],
    ]);
  });

  it('follows every page of every list', async () => {
    const { snapshot, aws, kube } = await collectFromMocks({ pageSize: 7 });
    const pods = kube.requests.filter((request) => request.path === '/api/v1/pods');
    // 40 pods, at most 5 per page from this server whatever limit the request sets.
    expect(pods.map((request) => request.query.continue ?? '')).toEqual(['', 'c-5', 'c-10', 'c-15', 'c-20', 'c-25', 'c-30', 'c-35']);
    expect(pods.every((request) => request.query.limit === '7')).toBe(true);
    const enis = aws.requests.filter((request) => request.action === 'DescribeNetworkInterfaces');
    expect(enis.map((request) => request.params.NextToken ?? '')).toEqual(['', 'page-3', 'page-6']);
    const groups = aws.requests.filter((request) => request.action === 'DescribeTargetGroups');
    expect(groups.map((request) => request.params.Marker ?? '')).toEqual(['', 'page-1']);
    expect(kindRecord(snapshot!, 'list pods').count).toBe(40);
    expect(kindRecord(snapshot!, 'ec2:DescribeNetworkInterfaces').count).toBe(9);
  });

  it('scopes EC2 and ELBv2 to the cluster VPC', async () => {
    const { snapshot, aws } = await collectFromMocks({ awsData: withOtherVpc() });
    const groups = (documentOf(snapshot!, `aws/${EXAMPLE_REGION}/ec2-describe-security-groups.json`).SecurityGroups as Array<{ VpcId: string }>).map((group) => group.VpcId);
    expect(new Set(groups)).toEqual(new Set([CLUSTER_VPC]));
    const balancers = documentOf(snapshot!, `aws/${EXAMPLE_REGION}/elbv2-describe-load-balancers.json`).LoadBalancers as Array<{ VpcId: string }>;
    expect(balancers.map((balancer) => balancer.VpcId)).toEqual([CLUSTER_VPC]);
    const filtered = aws.requests.filter((request) => request.service === 'ec2' && request.action !== 'DescribeManagedPrefixLists' && request.action !== 'GetManagedPrefixListEntries');
    expect(filtered.every((request) => request.params['Filter.1.Value.1'] === CLUSTER_VPC)).toBe(true);
    expect(snapshot!.manifest.aws?.vpcs).toEqual({ [EXAMPLE_REGION]: CLUSTER_VPC });
  });

  it('collects the whole region without --cluster', async () => {
    const { snapshot, aws } = await collectFromMocks({ awsData: withOtherVpc(), cluster: false });
    const groups = documentOf(snapshot!, `aws/${EXAMPLE_REGION}/ec2-describe-security-groups.json`).SecurityGroups as Array<{ VpcId: string }>;
    expect(new Set(groups.map((group) => group.VpcId))).toEqual(new Set([CLUSTER_VPC, OTHER_VPC]));
    expect(aws.requests.some((request) => request.params['Filter.1.Name'] !== undefined)).toBe(false);
    expect(aws.requests.filter((request) => request.action === 'ListClusters').map((request) => request.params.nextToken ?? '')).toEqual(['', 'page-1']);
    expect(snapshot!.files.map((file) => file.file).filter((file) => file.includes('eks-describe-cluster'))).toEqual([
      `aws/${EXAMPLE_REGION}/eks-describe-cluster.other-cluster.json`,
      `aws/${EXAMPLE_REGION}/eks-describe-cluster.sde-prod.json`,
    ]);
  });

  // Throttling slows the whole client down (adaptive mode), so the throttled call is the last EC2 call group.
  it('retries a throttled call with the SDK strategy', async () => {
    const { snapshot, aws } = await collectFromMocks({ awsFaults: [{ service: 'ec2', action: 'GetManagedPrefixListEntries', kind: 'throttle', times: 1 }] });
    expect(aws.requests.filter((request) => request.action === 'GetManagedPrefixListEntries')).toHaveLength(5);
    expect(kindRecord(snapshot!, 'ec2:GetManagedPrefixListEntries')).toMatchObject({ status: 'collected', count: 4 });
  });

  it('records a call that fails after the last attempt', async () => {
    const { snapshot, aws } = await collectFromMocks({ awsFaults: [{ service: 'ec2', action: 'DescribeRouteTables', kind: 'server-error' }], maxAttempts: 2 });
    expect(aws.requests.filter((request) => request.action === 'DescribeRouteTables')).toHaveLength(2);
    expect(kindRecord(snapshot!, 'ec2:DescribeRouteTables')).toMatchObject({ status: 'failed', count: 0, files: [], error: 'InternalError: An internal error has occurred' });
    expect(snapshot!.files.some((file) => file.file.endsWith('ec2-describe-route-tables.json'))).toBe(false);
    expect(kindRecord(snapshot!, 'ec2:DescribeSubnets').status).toBe('collected');
  });

  it('records denied calls and goes on', async () => {
    const { snapshot } = await collectFromMocks({
      awsFaults: [
        { service: 'ec2', action: 'DescribeNetworkAcls', kind: 'forbidden' },
        { service: 'elbv2', action: 'DescribeTargetHealth', kind: 'forbidden' },
      ],
      kubeFaults: { pods: 'forbidden' },
    });
    expect(kindRecord(snapshot!, 'ec2:DescribeNetworkAcls')).toMatchObject({ kind: 'NetworkAcl', status: 'forbidden', count: 0 });
    expect(kindRecord(snapshot!, 'ec2:DescribeNetworkAcls').error).toMatch(/^UnauthorizedOperation: You are not authorized to perform this operation\. User: .* is not authorized to perform: ec2:DescribeNetworkAcls$/);
    expect(kindRecord(snapshot!, 'elasticloadbalancing:DescribeTargetHealth')).toMatchObject({ kind: 'TargetHealth', status: 'forbidden', count: 0 });
    expect(kindRecord(snapshot!, 'elasticloadbalancing:DescribeTargetHealth').error).toMatch(/^2 of 2 failed: k8s-ingressn-ingressn-7d3a91c4e2: AccessDenied: /);
    expect(kindRecord(snapshot!, 'list pods')).toMatchObject({ kind: 'Pod', status: 'forbidden', error: expect.stringMatching(/^403 pods is forbidden: User /) });
    expect(kindRecord(snapshot!, 'list services')).toMatchObject({ status: 'collected', count: 20 });
    const workloads = documentOf(snapshot!, 'kubernetes/workloads.json') as { items: Array<{ kind: string }> };
    expect(workloads.items.some((item) => item.kind === 'Pod')).toBe(false);
    expect(uncollectedLines(snapshot!.manifest)).toHaveLength(3);

    const { inventory } = loadDocuments(Object.fromEntries(snapshot!.files.map((file) => [file.file, file.documents])));
    expect(inventory.has('Pod')).toBe(false);
    expect(inventory.data.collectionGaps.get('Pod')?.[0]).toMatchObject({ status: 'forbidden', api: 'list pods' });
    expect(inventory.data.collectionGaps.get('NetworkAcl')?.[0]).toMatchObject({ status: 'forbidden', region: EXAMPLE_REGION });
  });

  it('records malformed responses as failed', async () => {
    const { snapshot } = await collectFromMocks({
      awsFaults: [
        { service: 'ec2', action: 'DescribeNatGateways', kind: 'malformed' },
        { service: 'elbv2', action: 'DescribeLoadBalancerAttributes', kind: 'malformed' },
      ],
      kubeFaults: { 'ingresses.networking.k8s.io': 'malformed', 'jobs.batch': 'server-error' },
    });
    expect(kindRecord(snapshot!, 'ec2:DescribeNatGateways')).toMatchObject({ status: 'failed', count: 0, files: [] });
    expect(kindRecord(snapshot!, 'elasticloadbalancing:DescribeLoadBalancerAttributes')).toMatchObject({ kind: 'LoadBalancer', status: 'failed' });
    expect(kindRecord(snapshot!, 'list ingresses.networking.k8s.io')).toMatchObject({ status: 'failed', error: expect.stringContaining('not valid JSON') });
    expect(kindRecord(snapshot!, 'list jobs.batch')).toMatchObject({ status: 'failed', error: '500 etcdserver: request timed out' });
    expect(kindRecord(snapshot!, 'ec2:DescribeVpcs').status).toBe('collected');
    expect(kindRecord(snapshot!, 'list cronjobs.batch').status).toBe('collected');
    expect(snapshot!.problems).toEqual([]);
  });

  it('assumes the role before any other call', async () => {
    const roleArn = 'arn:aws:iam::111122223333:role/rampart-reader';
    const { snapshot, aws } = await collectFromMocks({ roleArn });
    const assume = aws.requests.filter((request) => request.action === 'AssumeRole');
    expect(assume).toHaveLength(1);
    expect(assume[0]).toMatchObject({ accessKeyId: BASE_ACCESS_KEY, params: { RoleArn: roleArn, RoleSessionName: 'rampart-collect' } });
    const others = aws.requests.filter((request) => request.action !== 'AssumeRole');
    expect(others.length).toBeGreaterThan(20);
    expect(others.every((request) => request.accessKeyId === ASSUMED_ACCESS_KEY)).toBe(true);
    expect(snapshot!.manifest.aws?.roleArn).toBe(roleArn);
  });

  it('stops Kubernetes when AWS cannot be used', async () => {
    const started = Date.now();
    // Each Kubernetes response takes 100 ms, so a full collection would take several seconds.
    const { error, kube } = await collectFromMocks({ stsEndpoint: `http://127.0.0.1:${await closedPort()}`, kubeDelayMs: 100 });
    expect(error).toBeInstanceOf(LiveCollectionError);
    expect((error as Error).message).toMatch(/^AWS cannot be used in eu-west-2: .*ECONNREFUSED/);
    expect(kube.requests.length).toBeLessThan(10);
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('stops when the named cluster does not exist', async () => {
    const { error, aws } = await collectFromMocks({ cluster: 'no-such-cluster' });
    expect(error).toBeInstanceOf(LiveCollectionError);
    expect((error as Error).message).toBe('EKS cluster no-such-cluster was not found in eu-west-2 (ResourceNotFoundException: No cluster found for name: no-such-cluster.): check --cluster and --region');
    expect(aws.requests.some((request) => request.service === 'ec2')).toBe(false);
  });

  it('treats absent Calico and metrics APIs as not installed', async () => {
    const resources = exampleKubeResources().filter((resource) => !resource.group.includes('projectcalico') && resource.group !== 'metrics.k8s.io');
    const { snapshot } = await collectFromMocks({ kubeResources: resources });
    expect(kindRecord(snapshot!, 'list networkpolicies.projectcalico.org')).toMatchObject({ kind: 'CalicoNetworkPolicy', status: 'not-found' });
    expect(kindRecord(snapshot!, 'list pods.metrics.k8s.io')).toMatchObject({ kind: 'PodMetrics', status: 'not-found' });
    expect(snapshot!.files.map((file) => file.file)).not.toContain('kubernetes/calico.yaml');
    expect(uncollectedLines(snapshot!.manifest)).toEqual([]);
  });

  it('reads Calico CRDs when the Calico API server is absent', async () => {
    const resources = exampleKubeResources()
      .filter((resource) => resource.group !== 'projectcalico.org')
      .concat([{ group: 'crd.projectcalico.org', version: 'v1', resource: 'globalnetworkpolicies', listKind: 'GlobalNetworkPolicyList', custom: true, items: [{ apiVersion: 'crd.projectcalico.org/v1', kind: 'GlobalNetworkPolicy', metadata: { name: 'default.deny-all' }, spec: { selector: 'all()', types: ['Ingress'] } }] }]);
    const { snapshot, kube } = await collectFromMocks({ kubeResources: resources });
    expect(snapshot!.manifest.kubernetes?.calicoApiGroup).toBe('crd.projectcalico.org/v1');
    expect((documentOf(snapshot!, 'kubernetes/calico.yaml') as { items: unknown[] }).items).toEqual([
      { apiVersion: 'crd.projectcalico.org/v1', kind: 'GlobalNetworkPolicy', metadata: { name: 'default.deny-all' }, spec: { selector: 'all()', types: ['Ingress'] } },
    ]);
    expect(kindRecord(snapshot!, 'list networkpolicies.crd.projectcalico.org')).toMatchObject({ status: 'not-found' });
    expect(kube.requests.some((request) => request.path.startsWith('/apis/projectcalico.org/'))).toBe(false);
  });

  it('lists the IAM actions it sent in the manifest', async () => {
    const { snapshot, aws } = await collectFromMocks();
    const prefix = { ec2: 'ec2', elbv2: 'elasticloadbalancing', eks: 'eks', sts: 'sts' } as const;
    const sent = [...new Set(aws.requests.map((request) => `${prefix[request.service]}:${request.action}`))].sort();
    expect(snapshot!.manifest.awsActions).toEqual(sent);
  });

  it('reports progress per call group with counts', async () => {
    const { progress } = await collectFromMocks();
    expect(progress).toContain('aws eu-west-2  ec2:DescribeSecurityGroups  4');
    expect(progress).toContain('kubernetes  list pods  40');
    expect(progress).toContain(`aws eu-west-2  scoped to ${CLUSTER_VPC}, the VPC of EKS cluster sde-prod`);
  });
});

/** Returns a loopback port with nothing listening: bound, noted and released again. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Returns the example plus a second VPC with a security group, a load balancer, a target group and an EKS cluster. */
function withOtherVpc() {
  const data = exampleAwsDataset();
  const group = structuredClone((data.ec2.DescribeSecurityGroups?.SecurityGroups as Array<Record<string, unknown>>)[0]!);
  data.ec2.DescribeSecurityGroups!.SecurityGroups!.push({ ...group, GroupId: 'sg-0123456789abcdef0', GroupName: 'other', VpcId: OTHER_VPC });
  const balancer = structuredClone(data.loadBalancers[0] as Record<string, unknown>);
  const balancerArn = 'arn:aws:elasticloadbalancing:eu-west-2:111122223333:loadbalancer/net/other/0123456789abcdef';
  data.loadBalancers.push({ ...balancer, LoadBalancerArn: balancerArn, LoadBalancerName: 'other', VpcId: OTHER_VPC });
  data.listeners[balancerArn] = [];
  data.loadBalancerAttributes[balancerArn] = [];
  const cluster = structuredClone(Object.values(data.clusters)[0]!) as { cluster: Record<string, unknown> & { resourcesVpcConfig: Record<string, unknown> } };
  data.clusters['other-cluster'] = { cluster: { ...cluster.cluster, name: 'other-cluster', resourcesVpcConfig: { ...cluster.cluster.resourcesVpcConfig, vpcId: OTHER_VPC } } };
  return data;
}
