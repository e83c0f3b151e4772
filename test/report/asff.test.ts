import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { AsffError, renderAsff } from '../../src/report/asff.js';
import { hostileReport, sampleReport } from './fixtures.js';

// The fields Security Hub's BatchImportFindings requires of every finding, from the AWS Security Hub user
// guide ("Required top-level ASFF attributes"). The value rules are the ones it documents: schema version
// 2018-10-08, ISO 8601 times, a 12-digit account and a severity label. Title has up to 256 and
// Description up to 1024 characters, and there are 1 to 32 resources, each with Type and Id.
const requiredSchema = {
  type: 'array',
  items: {
    type: 'object',
    required: ['SchemaVersion', 'Id', 'ProductArn', 'GeneratorId', 'AwsAccountId', 'Types', 'CreatedAt', 'UpdatedAt', 'Severity', 'Title', 'Description', 'Resources'],
    properties: {
      SchemaVersion: { const: '2018-10-08' },
      Id: { type: 'string', minLength: 1, maxLength: 512 },
      ProductArn: { type: 'string', pattern: '^arn:aws(-cn|-us-gov)?:securityhub:[a-z0-9-]+:[0-9]{12}:product/[0-9]{12}/default$' },
      GeneratorId: { type: 'string', minLength: 1, maxLength: 512 },
      AwsAccountId: { type: 'string', pattern: '^[0-9]{12}$' },
      Types: { type: 'array', minItems: 1, maxItems: 50, items: { type: 'string', pattern: '^(Software and Configuration Checks|TTPs|Effects|Unusual Behaviors|Sensitive Data Identifications)(/[^/]+){0,2}$' } },
      CreatedAt: { type: 'string', format: 'date-time' },
      UpdatedAt: { type: 'string', format: 'date-time' },
      Severity: {
        type: 'object',
        required: ['Label'],
        properties: { Label: { enum: ['INFORMATIONAL', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] } },
      },
      Title: { type: 'string', minLength: 1, maxLength: 256 },
      Description: { type: 'string', minLength: 1, maxLength: 1024 },
      Resources: {
        type: 'array',
        minItems: 1,
        maxItems: 32,
        items: { type: 'object', required: ['Type', 'Id'], properties: { Type: { type: 'string', minLength: 1 }, Id: { type: 'string', minLength: 1, maxLength: 512 } } },
      },
      Workflow: { type: 'object', properties: { Status: { enum: ['NEW', 'NOTIFIED', 'RESOLVED', 'SUPPRESSED'] } } },
    },
  },
};

const ajv = new Ajv({ allErrors: true });
ajv.addFormat('date-time', (value: string) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(value) && !Number.isNaN(Date.parse(value)));
const validate = ajv.compile(requiredSchema);

interface AsffFinding {
  Id: string;
  AwsAccountId: string;
  CreatedAt: string;
  Types: string[];
  Severity: { Label: string };
  Resources: Array<{ Type: string; Id: string; Details?: { Other: Record<string, string> } }>;
  Workflow: { Status: string };
  Note?: { Text: string };
}

function render(report = sampleReport()): AsffFinding[] {
  const findings = JSON.parse(renderAsff(report)) as AsffFinding[];
  const valid = validate(findings);
  expect(valid ? [] : validate.errors).toEqual([]);
  return findings;
}

describe('renderAsff', () => {
  it('has every required field', () => {
    expect(render()).toHaveLength(5);
  });

  it('is valid with hostile values', () => {
    const report = hostileReport();
    expect(render({ ...report, snapshot: { ...report.snapshot, accounts: ['111122223333'], regions: ['eu-west-2'] } })).toHaveLength(5);
  });

  it('names AWS resources by ARN', () => {
    const [nodePort] = render();
    expect(nodePort?.Resources).toEqual([
      { Type: 'AwsEc2SecurityGroup', Id: 'arn:aws:ec2:eu-west-2:111122223333:security-group/sg-0a1b2c3d4e5f60718', Partition: 'aws', Region: 'eu-west-2' },
      { Type: 'AwsElbv2LoadBalancer', Id: 'arn:aws:elasticloadbalancing:eu-west-2:111122223333:loadbalancer/net/sde-prod-nlb/0123456789abcdef', Partition: 'aws', Region: 'eu-west-2' },
    ]);
  });

  it('maps each AWS kind to its resource type', () => {
    const report = sampleReport();
    const base = report.findings[0];
    if (!base) throw new Error('no finding');
    const resources = [
      { kind: 'NetworkAcl', id: 'acl-1' },
      { kind: 'Instance', id: 'i-1' },
      { kind: 'EksCluster', name: 'sde-prod' },
      { kind: 'Deployment', namespace: 'jobs', name: 'worker' },
    ];
    const [finding] = render({ ...report, findings: [{ ...base, resources }], suppressed: [] });
    expect(finding?.Resources.map((resource) => [resource.Type, resource.Id])).toEqual([
      ['AwsEc2NetworkAcl', 'arn:aws:ec2:eu-west-2:111122223333:network-acl/acl-1'],
      ['AwsEc2Instance', 'arn:aws:ec2:eu-west-2:111122223333:instance/i-1'],
      ['AwsEksCluster', 'arn:aws:eks:eu-west-2:111122223333:cluster/sde-prod'],
      ['Other', 'Deployment jobs/worker'],
    ]);
    expect(finding?.Resources[3]?.Details).toEqual({ Other: { kind: 'Deployment', namespace: 'jobs', name: 'worker' } });
  });

  it('types network findings as reachability', () => {
    const findings = render();
    expect(findings[0]?.Types).toEqual(['Software and Configuration Checks/AWS Security Best Practices/Network Reachability']);
    expect(findings[3]?.Types).toEqual(['Software and Configuration Checks']);
  });

  it('takes times from the snapshot', () => {
    for (const finding of render()) expect(finding.CreatedAt).toBe('2026-11-20T10:00:00.000Z');
  });

  it('marks suppressed findings', () => {
    const findings = render();
    expect(findings.map((finding) => finding.Workflow.Status)).toEqual(['NEW', 'NEW', 'NEW', 'NEW', 'SUPPRESSED']);
    expect(findings[4]?.Note?.Text).toBe('Suppressed by Rampart settings: Import job retries by design.');
  });

  it('truncates long titles', () => {
    const report = sampleReport();
    const base = report.findings[0];
    if (!base) throw new Error('no finding');
    const [finding] = render({ ...report, findings: [{ ...base, title: 'x'.repeat(400), problem: 'y'.repeat(2000) }], suppressed: [] });
    expect((finding as unknown as { Title: string }).Title).toHaveLength(256);
  });

  it('requires one account', () => {
    const report = sampleReport();
    expect(() => renderAsff({ ...report, snapshot: { ...report.snapshot, accounts: [] } })).toThrow(AsffError);
    expect(() => renderAsff({ ...report, snapshot: { ...report.snapshot, accounts: ['111122223333', '444455556666'] } })).toThrow('names 2: 111122223333, 444455556666');
  });

  it('requires a snapshot time', () => {
    const report = sampleReport();
    expect(() => renderAsff({ ...report, snapshot: { ...report.snapshot, time: null } })).toThrow('pass --snapshot-time');
  });

  it('uses the China partition', () => {
    const report = sampleReport();
    const [finding] = render({ ...report, snapshot: { ...report.snapshot, regions: ['cn-north-1'] } });
    expect(finding?.Resources[0]?.Id).toBe('arn:aws-cn:ec2:cn-north-1:111122223333:security-group/sg-0a1b2c3d4e5f60718');
  });
});
