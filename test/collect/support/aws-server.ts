import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ec2Error, ec2Response, queryError, queryResponse, restJsonBody, type AwsService } from './wire.js';

// Loopback stand-ins for EC2, ELBv2, STS and EKS. They respond in each service's wire format from data in
// AWS CLI JSON form, page every list (so that clients must follow NextToken and NextMarker), apply the
// VPC filters EC2 supports, and inject faults: throttling, denial and malformed responses.

/** The data one region serves, as the AWS CLI prints it. */
export interface AwsDataset {
  account: string;
  callerArn: string;
  /** EC2 list outputs by operation, for example `DescribeVpcs` → `{ Vpcs: [...] }`. */
  ec2: Record<string, Record<string, unknown[]>>;
  /** Entries of managed prefix lists by PrefixListId. */
  prefixListEntries: Record<string, unknown[]>;
  loadBalancers: unknown[];
  /** Listeners, attributes, target groups and target health by the ARN they describe. */
  listeners: Record<string, unknown[]>;
  loadBalancerAttributes: Record<string, unknown[]>;
  targetGroups: unknown[];
  targetGroupAttributes: Record<string, unknown[]>;
  targetHealth: Record<string, unknown[]>;
  /** `describe-cluster` outputs (`{ cluster: {...} }`) by cluster name. */
  clusters: Record<string, Record<string, unknown>>;
}

export type FaultKind = 'throttle' | 'forbidden' | 'malformed' | 'server-error';

export interface Fault {
  service: AwsService;
  action: string;
  kind: FaultKind;
  /** How many requests fail before the action succeeds; unlimited when absent. */
  times?: number;
}

export interface RecordedAwsRequest {
  service: AwsService;
  action: string;
  params: Record<string, string>;
  /** The access key id from the SigV4 Authorization header. */
  accessKeyId?: string;
}

export interface AwsServers {
  endpoints: Record<AwsService, string>;
  requests: RecordedAwsRequest[];
  close: () => Promise<void>;
}

/** Items per page, kept small so that every list of the example spans several pages. */
const EC2_PAGE = 3;
const ELB_PAGE = 1;
const EKS_PAGE = 1;

const EC2_LIST_KEYS: Record<string, string> = {
  DescribeVpcs: 'Vpcs',
  DescribeSubnets: 'Subnets',
  DescribeRouteTables: 'RouteTables',
  DescribeInternetGateways: 'InternetGateways',
  DescribeNatGateways: 'NatGateways',
  DescribeNetworkAcls: 'NetworkAcls',
  DescribeSecurityGroups: 'SecurityGroups',
  DescribeNetworkInterfaces: 'NetworkInterfaces',
  DescribeInstances: 'Reservations',
  DescribeManagedPrefixLists: 'PrefixLists',
};

export const ASSUMED_ACCESS_KEY = 'ASIAEXAMPLEASSUMED01';

export async function startAwsServers(data: AwsDataset, faults: Fault[] = []): Promise<AwsServers> {
  const requests: RecordedAwsRequest[] = [];
  const remaining = faults.map((fault) => ({ ...fault, left: fault.times ?? Number.POSITIVE_INFINITY }));
  const servers: Partial<Record<AwsService, Server>> = {};
  const endpoints = {} as Record<AwsService, string>;

  for (const service of ['ec2', 'elbv2', 'sts', 'eks'] as const) {
    const server = createServer((request, response) => {
      void handle(service, request, response).catch((error: unknown) => {
        response.writeHead(500, { 'content-type': 'text/plain' });
        response.end(String(error));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    servers[service] = server;
    endpoints[service] = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  async function handle(service: AwsService, request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readBody(request);
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const params = service === 'eks' ? Object.fromEntries(url.searchParams) : Object.fromEntries(new URLSearchParams(body));
    const action = service === 'eks' ? eksAction(request.method ?? 'GET', url.pathname, params) : (params.Action ?? '');
    const accessKeyId = /Credential=([^/]+)\//.exec(request.headers.authorization ?? '')?.[1];
    requests.push({ service, action, params, ...(accessKeyId ? { accessKeyId } : {}) });

    const fault = remaining.find((entry) => entry.service === service && entry.action === action && entry.left > 0);
    if (fault) {
      fault.left -= 1;
      sendFault(service, action, fault.kind, response, data);
      return;
    }
    switch (service) {
      case 'ec2':
        return handleEc2(action, params, response, data);
      case 'elbv2':
        return handleElbv2(action, params, response, data);
      case 'sts':
        return handleSts(action, params, response, data);
      case 'eks':
        return handleEks(action, url.pathname, params, response, data);
    }
  }

  return {
    endpoints,
    requests,
    close: async () => {
      await Promise.all(Object.values(servers).map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
    },
  };
}

// --- EC2 ------------------------------------------------------------------------------------------

function handleEc2(action: string, params: Record<string, string>, response: ServerResponse, data: AwsDataset): void {
  if (action === 'GetManagedPrefixListEntries') {
    const entries = data.prefixListEntries[params.PrefixListId ?? ''];
    if (!entries) return sendXml(response, 400, ec2Error('InvalidPrefixListID.NotFound', `The prefix list ID '${params.PrefixListId}' does not exist`));
    const page = paginate(entries, params.NextToken, EC2_PAGE);
    return sendXml(response, 200, ec2Response(action, { Entries: page.items, ...(page.next ? { NextToken: page.next } : {}) }));
  }
  const key = EC2_LIST_KEYS[action];
  if (!key) return sendXml(response, 400, ec2Error('InvalidAction', `The action ${action} is not valid for this web service.`));

  let items = [...(data.ec2[action]?.[key] ?? [])];
  for (const filter of filtersOf(params)) {
    const matcher = EC2_FILTERS[filter.name];
    if (!matcher) return sendXml(response, 400, ec2Error('InvalidParameterValue', `The filter '${filter.name}' is invalid`));
    items = items.flatMap((item) => matcher(item, filter.values));
  }
  const page = paginate(items, params.NextToken, EC2_PAGE);
  sendXml(response, 200, ec2Response(action, { [key]: page.items, ...(page.next ? { NextToken: page.next } : {}) }));
}

/** Filters the collector may send, applied as EC2 applies them; an item maps to itself, a narrowed copy, or nothing. */
const EC2_FILTERS: Record<string, (item: unknown, values: string[]) => unknown[]> = {
  'vpc-id': (item, values) => {
    const record = item as { VpcId?: string; Instances?: Array<{ VpcId?: string }> };
    if (Array.isArray(record.Instances)) {
      // describe-instances filters the instances of each reservation and drops empty reservations.
      const instances = record.Instances.filter((instance) => values.includes(instance.VpcId ?? ''));
      return instances.length > 0 ? [{ ...record, Instances: instances }] : [];
    }
    return values.includes(record.VpcId ?? '') ? [item] : [];
  },
  'attachment.vpc-id': (item, values) => ((item as { Attachments?: Array<{ VpcId?: string }> }).Attachments ?? []).some((attachment) => values.includes(attachment.VpcId ?? '')) ? [item] : [],
};

/** Reads `Filter.N.Name` and `Filter.N.Value.M` from an EC2 Query request. */
function filtersOf(params: Record<string, string>): Array<{ name: string; values: string[] }> {
  const filters: Array<{ name: string; values: string[] }> = [];
  for (let index = 1; params[`Filter.${index}.Name`] !== undefined; index++) {
    const values: string[] = [];
    for (let value = 1; params[`Filter.${index}.Value.${value}`] !== undefined; value++) values.push(params[`Filter.${index}.Value.${value}`] as string);
    filters.push({ name: params[`Filter.${index}.Name`] as string, values });
  }
  return filters;
}

// --- ELBv2 ----------------------------------------------------------------------------------------

function handleElbv2(action: string, params: Record<string, string>, response: ServerResponse, data: AwsDataset): void {
  const notFound = (code: string, what: string) => sendXml(response, 400, queryError('elbv2', code, `${what} not found`));
  switch (action) {
    case 'DescribeLoadBalancers': {
      const page = paginate(data.loadBalancers, params.Marker, ELB_PAGE);
      return sendXml(response, 200, queryResponse('elbv2', action, { LoadBalancers: page.items, ...(page.next ? { NextMarker: page.next } : {}) }));
    }
    case 'DescribeListeners': {
      const listeners = data.listeners[params.LoadBalancerArn ?? ''];
      if (!listeners) return notFound('LoadBalancerNotFound', `Load balancer '${params.LoadBalancerArn}'`);
      const page = paginate(listeners, params.Marker, ELB_PAGE);
      return sendXml(response, 200, queryResponse('elbv2', action, { Listeners: page.items, ...(page.next ? { NextMarker: page.next } : {}) }));
    }
    case 'DescribeLoadBalancerAttributes': {
      const attributes = data.loadBalancerAttributes[params.LoadBalancerArn ?? ''];
      if (!attributes) return notFound('LoadBalancerNotFound', `Load balancer '${params.LoadBalancerArn}'`);
      return sendXml(response, 200, queryResponse('elbv2', action, { Attributes: attributes }));
    }
    case 'DescribeTargetGroups': {
      const page = paginate(data.targetGroups, params.Marker, ELB_PAGE);
      return sendXml(response, 200, queryResponse('elbv2', action, { TargetGroups: page.items, ...(page.next ? { NextMarker: page.next } : {}) }));
    }
    case 'DescribeTargetGroupAttributes': {
      const attributes = data.targetGroupAttributes[params.TargetGroupArn ?? ''];
      if (!attributes) return notFound('TargetGroupNotFound', `Target group '${params.TargetGroupArn}'`);
      return sendXml(response, 200, queryResponse('elbv2', action, { Attributes: attributes }));
    }
    case 'DescribeTargetHealth': {
      const health = data.targetHealth[params.TargetGroupArn ?? ''];
      if (!health) return notFound('TargetGroupNotFound', `Target group '${params.TargetGroupArn}'`);
      return sendXml(response, 200, queryResponse('elbv2', action, { TargetHealthDescriptions: health }));
    }
    default:
      return sendXml(response, 400, queryError('elbv2', 'InvalidAction', `Could not find operation ${action}`));
  }
}

// --- STS ------------------------------------------------------------------------------------------

function handleSts(action: string, params: Record<string, string>, response: ServerResponse, data: AwsDataset): void {
  if (action === 'GetCallerIdentity') {
    return sendXml(response, 200, queryResponse('sts', action, { Account: data.account, Arn: data.callerArn, UserId: 'AIDAEXAMPLEUSERID0001' }));
  }
  if (action === 'AssumeRole') {
    const roleName = (params.RoleArn ?? '').split('/').pop();
    return sendXml(
      response,
      200,
      queryResponse('sts', action, {
        Credentials: { AccessKeyId: ASSUMED_ACCESS_KEY, SecretAccessKey: 'assumed-secret-key-for-tests', SessionToken: 'assumed-session-token-for-tests', Expiration: '2099-01-01T00:00:00Z' },
        AssumedRoleUser: { AssumedRoleId: `AROAEXAMPLEROLEID0001:${params.RoleSessionName}`, Arn: `arn:aws:sts::${data.account}:assumed-role/${roleName}/${params.RoleSessionName}` },
      }),
    );
  }
  return sendXml(response, 400, queryError('sts', 'InvalidAction', `Could not find operation ${action}`));
}

// --- EKS ------------------------------------------------------------------------------------------

function eksAction(method: string, pathname: string, params: Record<string, string>): string {
  if (method === 'GET' && pathname === '/clusters') return 'ListClusters';
  if (method === 'GET' && /^\/clusters\/[^/]+$/.test(pathname)) return 'DescribeCluster';
  return `${method} ${pathname}${Object.keys(params).length > 0 ? '?…' : ''}`;
}

function handleEks(action: string, pathname: string, params: Record<string, string>, response: ServerResponse, data: AwsDataset): void {
  if (action === 'ListClusters') {
    const page = paginate(Object.keys(data.clusters).sort(), params.nextToken, EKS_PAGE);
    return sendJson(response, 200, restJsonBody(action, { clusters: page.items, ...(page.next ? { nextToken: page.next } : {}) }));
  }
  if (action === 'DescribeCluster') {
    const name = decodeURIComponent(pathname.split('/')[2] ?? '');
    const output = data.clusters[name];
    if (!output) return sendEksError(response, 404, 'ResourceNotFoundException', `No cluster found for name: ${name}.`);
    return sendJson(response, 200, restJsonBody(action, output));
  }
  return sendEksError(response, 404, 'UnknownOperationException', `no operation for ${action}`);
}

// --- faults and responses -------------------------------------------------------------------------

function sendFault(service: AwsService, action: string, kind: FaultKind, response: ServerResponse, data: AwsDataset): void {
  const iamPrefix = service === 'eks' ? 'eks' : service === 'elbv2' ? 'elasticloadbalancing' : service;
  const denied = `User: ${data.callerArn} is not authorized to perform: ${iamPrefix}:${action}`;
  if (kind === 'malformed') {
    // Cut off mid-element, as a proxy that drops the connection's tail would leave it.
    if (service === 'eks') return sendJson(response, 200, '{"cluster": {"name": "sde-pr');
    return sendXml(response, 200, `<?xml version="1.0" encoding="UTF-8"?>\n<${action}Response><broken`);
  }
  if (service === 'ec2') {
    if (kind === 'throttle') return sendXml(response, 503, ec2Error('RequestLimitExceeded', 'Request limit exceeded.'));
    if (kind === 'forbidden') return sendXml(response, 403, ec2Error('UnauthorizedOperation', `You are not authorized to perform this operation. ${denied}`));
    return sendXml(response, 500, ec2Error('InternalError', 'An internal error has occurred'));
  }
  if (service === 'eks') {
    if (kind === 'throttle') return sendEksError(response, 429, 'ThrottlingException', 'Rate exceeded');
    if (kind === 'forbidden') return sendEksError(response, 403, 'AccessDeniedException', denied);
    return sendEksError(response, 500, 'ServerException', 'internal error');
  }
  if (kind === 'throttle') return sendXml(response, 400, queryError(service, 'Throttling', 'Rate exceeded'));
  if (kind === 'forbidden') return sendXml(response, 403, queryError(service, 'AccessDenied', denied));
  return sendXml(response, 500, queryError(service, 'InternalFailure', 'internal error', 'Receiver'));
}

function paginate<T>(items: T[], token: string | undefined, size: number): { items: T[]; next?: string } {
  const start = token ? Number(/^page-(\d+)$/.exec(token)?.[1] ?? 'NaN') : 0;
  if (Number.isNaN(start)) throw new Error(`unknown pagination token ${token}`);
  const end = start + size;
  return { items: items.slice(start, end), ...(end < items.length ? { next: `page-${end}` } : {}) };
}

function sendXml(response: ServerResponse, status: number, body: string): void {
  response.writeHead(status, { 'content-type': 'text/xml;charset=UTF-8' });
  response.end(body);
}

function sendJson(response: ServerResponse, status: number, body: string): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(body);
}

function sendEksError(response: ServerResponse, status: number, code: string, message: string): void {
  response.writeHead(status, { 'content-type': 'application/json', 'x-amzn-errortype': code });
  response.end(JSON.stringify({ message }));
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
