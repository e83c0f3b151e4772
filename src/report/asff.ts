import type { ResourceRef, Severity } from '../checks/types.js';
import type { RemediatedFinding } from '../remediation/index.js';
import type { Report } from './report.js';
import { describeResource } from './text.js';

// AWS Security Finding Format (ASFF), schema version 2018-10-08, as `aws securityhub batch-import-findings
// --findings file://…` takes it: a JSON array of findings for a custom integration
// (product ARN `arn:aws:securityhub:REGION:ACCOUNT:product/ACCOUNT/default`).

/** Raised when the report lacks what ASFF requires (one account, one region, a time). */
export class AsffError extends Error {}

const LABELS: Record<Severity, string> = { critical: 'CRITICAL', high: 'HIGH', medium: 'MEDIUM', low: 'LOW', info: 'INFORMATIONAL' };

// Security Hub's type taxonomy (namespace/category/classifier); partial paths are valid.
const NETWORK_TYPE = 'Software and Configuration Checks/AWS Security Best Practices/Network Reachability';
const OTHER_TYPE = 'Software and Configuration Checks';

// ASFF field limits from the Security Hub API reference: Title 256 characters, Description 1024,
// Remediation.Recommendation.Text 512, ProductFields values 2048, Resources 32 entries.
const MAX_TITLE = 256;
const MAX_DESCRIPTION = 1024;
const MAX_RECOMMENDATION = 512;
const MAX_RESOURCES = 32;

interface AwsResourceType {
  type: string;
  service: string;
  /** ARN resource part before the id, for example `security-group/`. */
  prefix: string;
}

const AWS_TYPES: Record<string, AwsResourceType> = {
  SecurityGroup: { type: 'AwsEc2SecurityGroup', service: 'ec2', prefix: 'security-group/' },
  NetworkAcl: { type: 'AwsEc2NetworkAcl', service: 'ec2', prefix: 'network-acl/' },
  Instance: { type: 'AwsEc2Instance', service: 'ec2', prefix: 'instance/' },
  Vpc: { type: 'AwsEc2Vpc', service: 'ec2', prefix: 'vpc/' },
  Subnet: { type: 'AwsEc2Subnet', service: 'ec2', prefix: 'subnet/' },
  NetworkInterface: { type: 'AwsEc2NetworkInterface', service: 'ec2', prefix: 'network-interface/' },
  LoadBalancer: { type: 'AwsElbv2LoadBalancer', service: 'elasticloadbalancing', prefix: '' },
  EksCluster: { type: 'AwsEksCluster', service: 'eks', prefix: 'cluster/' },
};

/**
 * Renders every finding, suppressed ones with workflow status SUPPRESSED. AWS resources are typed and named
 * by ARN; Kubernetes objects become `Other` resources. Raises AsffError when the snapshot does not name
 * exactly one AWS account and region, or has no time for CreatedAt and UpdatedAt.
 */
export function renderAsff(report: Report): string {
  const account = single(report.snapshot.accounts, 'account', 'ARNs or OwnerId fields');
  const region = single(report.snapshot.regions, 'region', 'ARNs or a region folder');
  if (report.snapshot.time === null) {
    throw new AsffError('ASFF needs a time for CreatedAt and UpdatedAt, and the snapshot has no timestamps: pass --snapshot-time');
  }
  const context: Context = { account, region, partition: partitionOf(region), time: report.snapshot.time };
  const findings = [
    ...report.findings.map((finding) => asffFinding(finding, context)),
    ...report.suppressed.map((entry) => ({
      ...asffFinding(entry.finding, context),
      Workflow: { Status: 'SUPPRESSED' },
      Note: { Text: truncate(`Suppressed by Rampart settings: ${entry.reason}`, 512), UpdatedBy: 'rampart', UpdatedAt: context.time },
    })),
  ];
  return `${JSON.stringify(findings, null, 2)}\n`;
}

interface Context {
  account: string;
  region: string;
  partition: string;
  time: string;
}

function asffFinding(finding: RemediatedFinding, context: Context) {
  const network = finding.category === 'network-exposure' || finding.category === 'network-segmentation';
  const resources = finding.resources.slice(0, MAX_RESOURCES).map((resource) => asffResource(resource, context));
  return {
    SchemaVersion: '2018-10-08',
    Id: `rampart/${context.account}/${context.region}/${finding.checkId}/${finding.id}`,
    ProductArn: `arn:${context.partition}:securityhub:${context.region}:${context.account}:product/${context.account}/default`,
    ProductName: 'Rampart',
    CompanyName: 'Rampart',
    GeneratorId: `rampart/${finding.checkId}`,
    AwsAccountId: context.account,
    Region: context.region,
    Types: [network ? NETWORK_TYPE : OTHER_TYPE],
    CreatedAt: context.time,
    UpdatedAt: context.time,
    Severity: { Label: LABELS[finding.severity] ?? 'INFORMATIONAL', Original: finding.severity },
    Title: truncate(finding.title, MAX_TITLE),
    Description: truncate(`${finding.problem} ${finding.risk}`, MAX_DESCRIPTION),
    Remediation: { Recommendation: { Text: truncate(finding.recommendation, MAX_RECOMMENDATION) } },
    ProductFields: {
      'rampart/FindingId': finding.id,
      'rampart/CheckId': finding.checkId,
      'rampart/Category': finding.category,
    },
    Resources: resources.length > 0 ? resources : [{ Type: 'Other', Id: `rampart:${finding.checkId}`, Partition: context.partition, Region: context.region }],
    RecordState: 'ACTIVE',
    Workflow: { Status: 'NEW' },
  };
}

function asffResource(resource: ResourceRef, context: Context) {
  const aws = AWS_TYPES[resource.kind];
  if (aws && (resource.id || resource.name)) {
    return { Type: aws.type, Id: arnOf(resource, aws, context), Partition: context.partition, Region: context.region };
  }
  const details: Record<string, string> = { kind: resource.kind };
  if (resource.namespace) details.namespace = resource.namespace;
  if (resource.name) details.name = resource.name;
  if (resource.id) details.id = resource.id;
  return { Type: 'Other', Id: truncate(describeResource(resource), 512), Partition: context.partition, Region: context.region, Details: { Other: details } };
}

/** The resource's ARN: its id when that already is one, else built from the account, region and id. */
function arnOf(resource: ResourceRef, aws: AwsResourceType, context: Context): string {
  const given = [resource.id, resource.name].find((value) => value?.startsWith('arn:'));
  if (given) return given;
  const id = (aws.type === 'AwsEksCluster' ? (resource.name ?? resource.id) : (resource.id ?? resource.name)) as string;
  // NOTE: an elbv2 ARN needs the load balancer's type and hash suffix; a bare name cannot be turned into one.
  if (aws.type === 'AwsElbv2LoadBalancer') return id;
  return `arn:${context.partition}:${aws.service}:${context.region}:${context.account}:${aws.prefix}${id}`;
}

function single(values: string[], what: string, where: string): string {
  if (values.length === 1) return values[0] as string;
  if (values.length === 0) throw new AsffError(`ASFF needs the AWS ${what}, and the snapshot names none (it is read from ${where})`);
  throw new AsffError(`ASFF needs one AWS ${what}, and the snapshot names ${values.length}: ${values.join(', ')}`);
}

function partitionOf(region: string): string {
  if (region.startsWith('cn-')) return 'aws-cn';
  if (region.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

function truncate(text: string, max: number): string {
  const characters = [...text];
  return characters.length <= max ? text : `${characters.slice(0, max - 1).join('')}…`;
}
